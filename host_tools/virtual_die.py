"""The virtual GenDie: the real firmware.elf in simavr with its SSD1306 display, a button and the UART.

examples:
  python host_tools/virtual_die.py                         # build firmware + harness, press once, draw the screen
  python host_tools/virtual_die.py --presses 6 --png screen.png
  python host_tools/virtual_die.py --test-pattern --json   # TEST build: decoder replaced by a drawn die
  python host_tools/virtual_die.py --pips 3 --no-display   # force pips over the UART, no display attached
  python host_tools/virtual_die.py --presses 60 --seed 3 --write-benchmarks   # figures -> docs/benchmarks.md
Builds the firmware first (make -C firmware, a no-op when up to date). Reports per roll: pips, angle code,
decoder_run cycles (row sink included) and cycles per MAC, cycles from the press to the last display byte, I2C
bytes (and their bus time at 400 kHz); for the run: flash, SRAM static + peak stack (stack painted with a canary
at reset). simavr 1.6 already stalls ~9 us per I2C byte, so adding the full bus time counts those twice: the
press -> display figure is an upper bound.
Exit status: 0 ok, 1 the firmware misbehaved (crash, no roll), 2 bad arguments or a build failed.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from gendie.cli import Parser, fail, positive_int, run, seed_int
# The names other tools and tests use: one import for the whole virtual die.
from host_tools.virtual_die_build import (FIRMWARE, ROOT, VirtualDieError, build_firmware,  # noqa: F401
                                          build_harness, elf_memory, macs_per_face)
from host_tools.virtual_die_report import (BENCH_DOC, DIE_COL, benchmark_block, build_report,  # noqa: F401
                                           die_region, dither, downsample, render_terminal, roll_metrics,
                                           save_png, write_benchmarks)
from host_tools.virtual_die_sim import Script, SimResult, press_script, simulate, vram_image  # noqa: F401

PROG = "virtual_die.py"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    ap = Parser(prog=PROG, description=__doc__.split("\n")[0], epilog=__doc__.split("\n", 1)[1],
                formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--presses", type=positive_int, default=1, help="button presses (default 1)")
    ap.add_argument("--pips", type=int, choices=range(1, 7), metavar="1..6",
                    help="roll with `p<n>` over the UART instead of the button")
    ap.add_argument("--png", type=Path, help="save the final display as PNG (4x)")
    ap.add_argument("--json", action="store_true", help="print one JSON object, nothing else")
    ap.add_argument("--elf", type=Path, help="firmware to run (default: build it with make -C firmware)")
    ap.add_argument("--test-pattern", action="store_true",
                    help="TEST build: the decoder replaced by a drawn die (make -C firmware nano-testpattern)")
    ap.add_argument("--no-display", action="store_true", help="no SSD1306 on the bus")
    ap.add_argument("--seed", type=seed_int, default=0, help="seed of the simulated press timing")
    ap.add_argument("--write-benchmarks", action="store_true",
                    help="write this run's figures into the firmware section of docs/benchmarks.md")
    a = ap.parse_args(argv)
    if a.elf is not None and not a.elf.is_file():
        ap.error(f"--elf {a.elf}: no such file")
    if a.png is not None and a.png.parent.exists() and not a.png.parent.is_dir():
        ap.error(f"--png {a.png}: {a.png.parent} is not a directory")
    if a.write_benchmarks and (a.test_pattern or a.elf or a.pips or a.no_display):
        ap.error("--write-benchmarks measures the default build: no --test-pattern, --elf, --pips or --no-display")
    return a


def print_rolls(report: dict) -> None:
    for i, r in enumerate(report["rolls"], 1):
        print(f"roll {i}: pips {r['pips']} angle code {r['angle_code']}"
              f"{' (forced)' if r['forced'] else ''}; decoder {r['decoder_cycles']} cycles "
              f"({r['cycles_per_mac']} per MAC); press -> last "
              f"display byte {r['press_to_display_cycles']} cycles + {r['i2c_bytes']} I2C bytes "
              f"({r['i2c_bus_s'] * 1e3:.1f} ms at 400 kHz) = {r['press_to_display_s']} s")
    print(f"flash {report['flash']} B; SRAM static {report['sram_static']} B + peak stack "
          f"{report['peak_stack']} B = {report['sram_total']} B")


def main(argv: list[str] | None = None) -> int:
    a = parse_args(argv)
    try:
        elf = a.elf or build_firmware("nano-testpattern" if a.test_pattern else "nano")
        script, marks = press_script(a.presses, a.seed, a.pips)
        res = simulate(elf, script, display=not a.no_display)
    except VirtualDieError as e:
        fail(str(e), PROG)
    report = build_report(res, marks, elf, display=not a.no_display)
    if a.png and not a.no_display:
        save_png(res.vram, a.png)
    ok = not res.raw["crashed"] and len(res.rolls) == a.presses
    if a.write_benchmarks and ok:
        write_benchmarks(benchmark_block(report, a.presses, a.seed))
    if a.json:
        print(json.dumps(report))
    else:
        if not a.no_display:
            print(render_terminal(res.vram))
        print_rolls(report)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(run(main))
