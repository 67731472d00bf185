"""Which MAC for the CH32V003 (RV32EC, no MUL)? Builds the firmware once per kernel (firmware/src/engine/dot.h: the
assembly dot_rv32.S or the portable dot.c) and multiply (mul8.h) and measures flash (the real image, .text + .data)
and the decoder's estimated cycles for the same forced face in the simulated chip; every option must dump the same
face (bit-exact) or the study fails.

    python host_tools/ch32_mul_study.py            # table on stdout
    python host_tools/ch32_mul_study.py --write    # ... and into docs/ch32v003.md
"""
from __future__ import annotations

import re
import subprocess
import sys

import numpy as np

from gendie.budgets import CH32_FLASH_BYTES
from gendie.cli import Parser, run
from gendie.fileio import build_lock
from host_tools import ch32_die, ch32_profile
from host_tools import virtual_die as vd
from host_tools.virtual_die_build import memory_plan

OPTIONS = {  # name -> extra CFLAGS (see mul8.h and dot.h)
    "C kernel dot.c, shift-and-add, inline (default)": "",
    "assembly kernel dot_rv32.S, quarter squares": "-DGD_RV32_ASM -DGD_MUL_QSQ",
    "C kernel dot.c, quarter squares, inline": "-DGD_MUL_QSQ -DGD_MUL_INLINE",
    "C kernel dot.c, quarter squares, out of line": "-DGD_MUL_QSQ",
    "C kernel dot.c, shift-and-add, out of line": "-DGD_MUL_SHIFT_ADD",
    "C kernel dot.c, libgcc __mulsi3 (plain `*`)": "-DGD_MUL_LIBGCC",
}
OUT = vd.ROOT / "build" / "ch32_mul"


def measure(name: str, flags: str, pips: int = 3, code: int = 77) -> dict:
    out = OUT / re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    sizes = {}
    for variant in ("ch32v003", "ch32v003-test"):  # 64K region: an option that does not fit is still measured
        with build_lock(out):
            r = subprocess.run(["make", "-s", "-C", str(vd.FIRMWARE), variant, "RV_FLASH=64K", f"RV_OUT={out}",
                                f"RV_EXTRA={flags}"], capture_output=True, text=True)
        if r.returncode:
            raise ValueError(f"{name}: build failed: {(r.stderr.strip().splitlines() or ['?'])[-1]}")
        sizes[variant] = int(re.search(r"Flash: (\d+)", r.stdout).group(1))
    script = vd.Script().run(400).uart(b"a" + bytes([code]) + b"p" + str(pips).encode()).quiet(30, 5000)
    res = ch32_die.simulate(out / "ch32v003-test" / "firmware.elf", script, display=False)
    if res.raw["crashed"] or len(res.rolls) != 1:
        raise ValueError(f"{name}: the simulated roll failed ({res.raw['crash_reason']})")
    roll = res.rolls[0]
    return {"name": name, "flags": flags, "flash": sizes["ch32v003"], "cycles": roll["cycles"],
            "engine": ch32_profile.engine_cycles(out / "ch32v003-test" / "firmware.elf"), "face": roll["face"]}


def table(rows: list[dict]) -> str:
    macs, hz = vd.macs_per_face(), ch32_die.BOARD.f_cpu
    lines = [f"| kernel, multiply | CFLAGS | flash, `make ch32v003` (B) | fits {CH32_FLASH_BYTES:,} | decoder cycles "
             f"per face (estimate) | at {hz / 1e6:g} MHz | of which the decoder's own code | per MAC |",
             "|---|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['name']} | `{r['flags'] or '-'}` | {r['flash']:,} | "
                     f"{'yes' if r['flash'] <= CH32_FLASH_BYTES else 'no'} | {r['cycles']:,} | "
                     f"{r['cycles'] / hz * 1e3:.0f} ms | {r['engine']:,} | {r['engine'] / macs:.1f} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = Parser(prog="ch32_mul_study.py", description=__doc__)
    p.add_argument("--write", action="store_true", help="also write the table into docs/ch32v003.md")
    a = p.parse_args(argv)
    rows = [measure(n, f) for n, f in OPTIONS.items()]
    if any(not np.array_equal(r["face"], rows[0]["face"]) for r in rows):
        raise ValueError("the options dumped different faces: a multiply is not exact")
    ch32_die.print_and_write("ch32_mul_study", f"Model `{memory_plan()['model']}`, {vd.macs_per_face():,} MACs per "
                             "face, one forced face (`python host_tools/ch32_mul_study.py --write`); all options "
                             "dumped the same face, bit for bit. *Decoder cycles*: the firmware's own count of "
                             "`decoder_run`, which includes waiting for the UART (the face is dumped row by row as it "
                             "is computed); *the decoder's own code*: the profile's cycles in the functions of "
                             "`src/engine/` and libgcc's multiply and divide (ch32_profile.py), the compute alone, "
                             "and per MAC from it."
                             f"\n\n{table(rows)}", a.write)
    return 0


if __name__ == "__main__":
    sys.exit(run(main))
