"""Where the CH32V003's cycles go during one face: estimated cycles per function (the simulator's timing model,
taken-branch penalties included), for the decoder's kernels and whatever they call.

    python host_tools/ch32_profile.py                       # the default build, one forced face
    python host_tools/ch32_profile.py --elf other.elf --top 20
    python host_tools/ch32_profile.py --write               # ... and into docs/ch32v003.md
"""
from __future__ import annotations

import bisect
import re
import sys
from collections import Counter
from pathlib import Path

from unicorn import UC_HOOK_BLOCK

from gendie.cli import Parser, positive_int, run
from host_tools import ch32_die
from host_tools import virtual_die as vd
from host_tools.ch32_sim import Ch32, Elf

FACE = b"a\x4dp3"  # angle code 77, 3 pips: the forced face of ch32_mul_study.py


def profile(elf_path: Path) -> tuple[Counter, int]:
    """Cycles per function between the command and the end of the roll's display writes, and the total."""
    elf = Elf.load(elf_path)
    funcs = sorted((a, n) for n, a in elf.symbols.items() if a < elf.flash_bytes and not n.startswith((".", "$")))
    starts = [a for a, _ in funcs]
    sim = Ch32(elf, display=True)
    sim.run_until(int(400e3 * ch32_die.CYCLES_PER_US))
    per: Counter = Counter()
    state = {"prev": -1}

    def count(uc, addr, size, _):
        cyc = sim.cost.get(addr, 0) + (2 if addr != state["prev"] else 0)
        per[funcs[bisect.bisect_right(starts, addr) - 1][1]] += cyc
        state["prev"] = addr + size

    sim.uc.hook_add(UC_HOOK_BLOCK, count)
    sim.uc.ctl_flush_tb()  # blocks translated at boot would otherwise run without this hook
    t0 = sim.chip.now
    sim.chip.uart_in += [(t0 + (i + 1) * 4170, b) for i, b in enumerate(FACE)]
    ch32_die._quiet(sim, 30e3 * ch32_die.CYCLES_PER_US, 5e6 * ch32_die.CYCLES_PER_US)
    return per, sum(per.values())


LIBGCC_ARITH = re.compile(r"__(hidden___)?u?(mul|div|mod)[sd]i3$")


def engine_functions(elf_path: Path) -> set[str]:
    """The decoder's own functions: those compiled from firmware/src/engine/ (one .text.<name> section each in the
    linker map, -ffunction-sections), plus libgcc's multiply and divide (the engine's index arithmetic and the
    libgcc multiply option call them; the rest of a forced face, a few calls)."""
    text = Path(elf_path).with_suffix(".map").read_text()
    own = set(re.findall(r"^ \.text\.(\S+)\s+0x[0-9a-f]+\s+0x[0-9a-f]+\s+\S*obj/src/engine/", text, re.M))
    return own | {n for n in Elf.load(elf_path).symbols if LIBGCC_ARITH.match(n)}


def engine_cycles(elf_path: Path) -> int:
    """Estimated cycles in the decoder's own code for one forced face: its compute, without the UART and display
    waits that the firmware's own count of a roll includes."""
    per, _ = profile(elf_path)
    return sum(c for n, c in per.items() if n in engine_functions(elf_path))


def main(argv: list[str] | None = None) -> int:
    p = Parser(prog="ch32_profile.py", description=__doc__)
    p.add_argument("--elf", type=Path, help="firmware to profile (default: make -C firmware ch32v003-test)")
    p.add_argument("--top", type=positive_int, default=12, help="functions listed (default 12)")
    p.add_argument("--write", action="store_true", help="also write the table into docs/ch32v003.md")
    a = p.parse_args(argv)
    if a.elf is not None and not a.elf.is_file():
        raise ValueError(f"--elf {a.elf}: no such file")
    elf = a.elf or vd.build_firmware("ch32v003-test")
    per, total = profile(elf)
    engine = sum(c for n, c in per.items() if n in engine_functions(elf))
    rows = ["| function | cycles (estimate) | share |", "|---|---|---|"]
    rows += [f"| `{n}` | {c:,} | {100 * c / total:.1f} % |" for n, c in per.most_common(a.top)]
    rows.append(f"| the decoder's own code (src/engine/ + libgcc arithmetic) | {engine:,} | "
                f"{100 * engine / total:.1f} % |")
    rows.append(f"| all (command -> roll shown) | {total:,} | 100 % |")
    ch32_die.print_and_write("ch32_profile", "One forced face on the default build, estimated cycles per function "
                             f"(`python host_tools/ch32_profile.py --write`):\n\n" + "\n".join(rows),
                             a.write and a.elf is None)
    return 0


if __name__ == "__main__":
    sys.exit(run(main))
