"""Where every flash byte of the CH32V003 image goes: the linker map of `make -C firmware ch32v003`, summed per source
file into code (.text) and constant data (.rodata, .data's initial values), largest first, plus the alignment gaps.

    python host_tools/ch32_flash.py           # table on stdout
    python host_tools/ch32_flash.py --write   # ... and into docs/ch32v003.md
"""
from __future__ import annotations

import re
import sys
from collections import defaultdict
from pathlib import Path

from gendie.budgets import CH32_FLASH_BYTES
from gendie.cli import Parser, run
from host_tools import ch32_die
from host_tools import virtual_die as vd

# An input section in the map: name, then (maybe on the next line) address, size and the object or archive(member).
INPUT = re.compile(r"^ (\.[\w.$]+)\s+0x([0-9a-f]+)\s+0x([0-9a-f]+)\s+(\S+)", re.M)


def source_of(obj: str) -> str:
    m = re.search(r"obj/(.+)\.o$", obj)
    if m:
        return m.group(1) + (".S" if (vd.FIRMWARE / (m.group(1) + ".S")).is_file() else ".c")
    m = re.search(r"lib(\w+)\.a\((.+)\.o\)$", obj)
    return f"lib{m.group(1)}: {m.group(2)}" if m else Path(obj).name


def flash_by_source(map_path: Path) -> tuple[dict[str, dict[str, int]], int]:
    """{source: {"code": bytes, "data": bytes}} of everything placed in flash, and the map's flash total."""
    text = map_path.read_text()
    text = text[text.index("Linker script and memory map"):]
    text = re.sub(r"\n\s+(0x[0-9a-f]+\s+0x[0-9a-f]+\s+\S+)", r" \1", text)  # long names wrap: join
    out: dict[str, dict[str, int]] = defaultdict(lambda: {"code": 0, "data": 0})
    total = 0
    for name, _addr, size, obj in INPUT.findall(text):
        size = int(size, 16)
        if not size or not name.startswith((".text", ".rodata", ".srodata", ".vectors", ".data", ".sdata")):
            continue  # RAM-only (.bss) and debug sections take no flash
        out[source_of(obj)]["code" if name.startswith((".text", ".vectors")) else "data"] += size
        total += size
    return dict(out), total


def weight_symbols(elf: Path) -> str:
    """The decoder's constant tables in flash (the model's data and the quarter-square table), largest first."""
    import subprocess

    def nm(path: Path) -> list[list[str]]:
        out = subprocess.run(["riscv64-unknown-elf-nm", "-S", "--size-sort", "-r", str(path)], capture_output=True,
                             text=True, check=True).stdout
        return [p for p in (line.split() for line in out.splitlines()) if len(p) == 4]

    model = {n for *_, n in nm(elf.parent / "obj" / "src" / "model" / "decoder_model.o")} | {"gd_qsq"}
    rows = [(n, int(sz, 16)) for a, sz, t, n in nm(elf) if t in "TtRr" and n in model]
    return "| decoder table | bytes |\n|---|---|\n" + "\n".join(f"| `{n}` | {sz:,} |" for n, sz in rows)


def table(elf: Path) -> str:
    from host_tools.ch32_sim import Elf
    rows, placed = flash_by_source(elf.with_suffix(".map"))
    flash = Elf.load(elf).flash_bytes
    lines = ["| source | code (B) | constant data (B) | total (B) |", "|---|---|---|---|"]
    for src, d in sorted(rows.items(), key=lambda kv: -(kv[1]["code"] + kv[1]["data"])):
        lines.append(f"| {src} | {d['code']:,} | {d['data']:,} | {d['code'] + d['data']:,} |")
    lines.append(f"| alignment padding | | | {flash - placed:,} |")
    lines.append(f"| **image (.text + .data)** | | | **{flash:,}** of {CH32_FLASH_BYTES:,} "
                 f"({CH32_FLASH_BYTES - flash:,} free) |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = Parser(prog="ch32_flash.py", description=__doc__)
    p.add_argument("--write", action="store_true", help="also write the table into docs/ch32v003.md")
    a = p.parse_args(argv)
    elf = vd.build_firmware("ch32v003")
    ch32_die.print_and_write("ch32_flash", "`make -C firmware ch32v003`, from its linker map "
                             f"(`python host_tools/ch32_flash.py --write`):\n\n{table(elf)}\n\n{weight_symbols(elf)}",
                             a.write)
    return 0


if __name__ == "__main__":
    sys.exit(run(main))
