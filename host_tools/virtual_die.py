"""The virtual GenDie: the real firmware.elf in simavr with its SSD1306 display, a button and the UART.

examples:
  python host_tools/virtual_die.py                         # build firmware + harness, press once: the die tumbles
  python host_tools/virtual_die.py --gif roll.gif          # ... and save the roll as an animated GIF
  python host_tools/virtual_die.py --presses 6 --no-tumble --png screen.png
  python host_tools/virtual_die.py --test-pattern --json   # TEST build: decoder replaced by a drawn die
  python host_tools/virtual_die.py --pips 3 --no-display   # force pips over the UART, no display attached
  python host_tools/virtual_die.py --model angle --png angle.png   # the angle-conditioned die: each roll draws an angle
  python host_tools/virtual_die.py --presses 60 --seed 3 --write-benchmarks   # figures -> docs/benchmarks.md
Builds the firmware first (make -C firmware, a no-op when up to date). A press tumbles: generated faces spin
and slow down, then the rolled face lands; in a terminal the roll is replayed at simulated speed. --no-tumble
rolls with the `n` command instead (same roll, no tumble). --model NAME runs the build of the export in
firmware/src/model_NAME/ (make -C firmware nano MODEL=NAME). Reports per roll: pips, angle or latent code,
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

import time

from gendie.cli import Parser, fail, positive_int, run, seed_int
# The names other tools and tests use: one import for the whole virtual die.
from host_tools import frame_protocol as fp
from host_tools.virtual_die_build import (FIRMWARE, ROOT, VirtualDieError, build_firmware,  # noqa: F401
                                          build_harness, elf_memory, firmware_define, macs_per_face, model_dir,
                                          model_dirs, model_name)
from host_tools.virtual_die_report import (BENCH_DOC, DIE_COL, animation, benchmark_block,  # noqa: F401
                                           build_report, die_region, dither, downsample, render_terminal,
                                           roll_metrics, save_gif, save_png, tumble_metrics, write_benchmarks)
from host_tools.virtual_die_sim import Script, SimResult, press_script, simulate, vram_image  # noqa: F401

PROG = "virtual_die.py"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    ap = Parser(prog=PROG, description=__doc__.split("\n")[0], epilog=__doc__.split("\n", 1)[1],
                formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--presses", type=positive_int, default=1, help="button presses (default 1)")
    ap.add_argument("--pips", type=int, choices=range(1, 7), metavar="1..6",
                    help="roll with `p<n>` over the UART instead of the button")
    ap.add_argument("--png", type=Path, help="save the final display as PNG (4x)")
    ap.add_argument("--gif", type=Path, help="save the last roll as an animated GIF (3x, simulated timing)")
    ap.add_argument("--no-tumble", action="store_true", help="roll with the `n` command: no tumble")
    ap.add_argument("--dump-tumble", action="store_true",
                    help="send `d1` first: every tumble face is dumped (and reported) too")
    ap.add_argument("--json", action="store_true", help="print one JSON object, nothing else")
    ap.add_argument("--elf", type=Path, help="firmware to run (default: build it with make -C firmware)")
    ap.add_argument("--test-pattern", action="store_true",
                    help="TEST build: the decoder replaced by a drawn die (make -C firmware nano-testpattern)")
    ap.add_argument("--model", default="", choices=sorted(filter(None, map(model_name, model_dirs()))),
                    help="run the build of firmware/src/model_MODEL/ (angle: the angle-conditioned die) instead of the "
                         "default (VAE mode: each roll samples the latent)")
    ap.add_argument("--no-display", action="store_true", help="no SSD1306 on the bus")
    ap.add_argument("--seed", type=seed_int, default=0, help="seed of the simulated press timing")
    ap.add_argument("--board", choices=("nano", "ch32v003"), default="nano",
                    help="nano (simavr) or ch32v003 (host_tools/ch32_die.py: Unicorn, cycles are estimates)")
    ap.add_argument("--write-benchmarks", action="store_true",
                    help="write this run's figures into the firmware section of docs/benchmarks.md")
    a = ap.parse_args(argv)
    if a.elf is not None and not a.elf.is_file():
        ap.error(f"--elf {a.elf}: no such file")
    if a.elf is not None and a.elf.read_bytes()[:4] != b"\x7fELF":
        ap.error(f"--elf {a.elf}: not an ELF file")
    if a.no_display and (a.png or a.gif):
        ap.error("--png and --gif draw the display: drop --no-display")
    for opt, path in (("--png", a.png), ("--gif", a.gif)):
        if path is not None and path.parent.exists() and not path.parent.is_dir():
            ap.error(f"{opt} {path}: {path.parent} is not a directory")
    if a.write_benchmarks and (a.test_pattern or a.elf or a.pips or a.no_display or a.no_tumble or a.dump_tumble
                               or a.model):
        ap.error("--write-benchmarks measures the default build: no --test-pattern, --elf, --pips, --no-display, "
                 "--no-tumble, --dump-tumble or --model")
    if a.model and (a.test_pattern or a.elf):
        ap.error("--model picks the build to run: drop --test-pattern and --elf")
    if a.board == "ch32v003" and (a.test_pattern or a.write_benchmarks):
        ap.error("--board ch32v003 has no --test-pattern or --write-benchmarks")
    return a


def print_rolls(report: dict) -> None:
    for b in report["boot"]:
        print(f"boot: {b['board']} at {b['f_cpu'] / 1e6:g} MHz, {b['baud']} baud, supply {b['vcc_mv']} mV, model "
              f"{b['model']} ({b['mode_name']}, hash {b['model_hash']:08x}), tumble {b['tumble_frames']} frames")
    for i, r in enumerate(report["rolls"], 1):
        print(f"roll {i}: pips {r['pips']} {fp.code_text(r)}"
              f"{' (forced)' if r['forced'] else ''}; decoder {r['decoder_cycles']} cycles "
              f"({r['cycles_per_mac']} per MAC); press -> last "
              f"display byte {r['press_to_display_cycles']} cycles + {r['i2c_bytes']} I2C bytes "
              f"({r['i2c_bus_s'] * 1e3:.1f} ms at 400 kHz) = {r['press_to_display_s']} s")
        if r.get("tumble_frames"):
            print(f"  tumble: {r['tumble_frames']} generated faces at {r['tumble_fps']} frames/s, landed face's "
                  f"last byte {r['press_to_landed_s']} s after the press")
    print(f"flash {report['flash']} B; SRAM static {report['sram_static']} B + peak stack "
          f"{report['peak_stack']} B = {report['sram_total']} B")


def replay(res: SimResult, mark: int) -> None:
    """The roll on the terminal at simulated speed, each screen drawn over the one before."""
    images, durations = animation(res, mark)
    for k, (img, d) in enumerate(zip(images, durations)):
        art = render_terminal(img)
        if k:
            print(f"\x1b[{art.count(chr(10)) + 1}A", end="")
        print(art, flush=True)
        if k < len(images) - 1:
            time.sleep(d)


def main(argv: list[str] | None = None) -> int:
    a = parse_args(argv)
    if a.board == "ch32v003":
        from host_tools import ch32_die
        return ch32_die.run_cli(a)
    presses = a.presses + 1 if a.write_benchmarks else a.presses  # + the tumbling press
    try:
        elf = a.elf or build_firmware("nano-testpattern" if a.test_pattern else "nano", a.model)
        script, marks = press_script(presses, a.seed, a.pips, tumble=not (a.no_tumble or a.write_benchmarks),
                                     dump_tumble=a.dump_tumble, tumble_last=a.write_benchmarks)
        res = simulate(elf, script, display=not a.no_display)
    except VirtualDieError as e:
        fail(str(e), PROG)
    report = build_report(res, marks, elf, display=not a.no_display, model=a.model)
    if a.png and not a.no_display:
        save_png(res.vram, a.png)
    if a.gif and not a.no_display:
        save_gif(*animation(res, marks[-1]), a.gif)
    ok = not res.raw["crashed"] and len(res.rolls) == presses
    if a.write_benchmarks and ok:
        measured = dict(report, rolls=report["rolls"][:-1])
        write_benchmarks(benchmark_block(measured, a.presses, a.seed, report["rolls"][-1]))
    if a.json:
        print(json.dumps(report))
    else:
        if not a.no_display:
            if sys.stdout.isatty():
                replay(res, marks[-1])
            else:
                print(render_terminal(res.vram))
        print_rolls(report)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(run(main))
