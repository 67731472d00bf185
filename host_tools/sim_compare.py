"""The firmware in two simulators: simavr (host_tools/virtual_die.py) and avr8js (the web page's code, under node).

Runs the same rolls of the TEST build (make -C firmware nano-test; `a<code>p<n>` forces pips and angle) in both, with
the OLED on the bus and without, and prints per roll the ROLL frame's cycle count (decoder_run, row sink included) in
each and whether both faces equal the golden model. avr8js times I2C like a 400 kHz bus; simavr 1.6 does not.
examples:
  python host_tools/sim_compare.py                 # 6 rolls, one per pip value
  python host_tools/sim_compare.py --rolls 12 --seed 3 --markdown
"""
from __future__ import annotations

import gendie.cli  # noqa: F401  first, so Ctrl-C is quiet (exit 130) while the imports below load

import sys

import numpy as np

from gendie import golden, intmodel
from gendie.cli import Parser, int_range, run, seed_int
from gendie.device import board, face_list
from host_tools import avr8js_sim as web
from host_tools import virtual_die as vd

QMODEL = vd.FIRMWARE / "src" / "model" / "qmodel.json"


def inputs(count: int, seed: int) -> list[tuple[int, int]]:
    """count (pips, code) pairs; the first six cover every pip value."""
    pips, codes = face_list(count, seed)
    pips[:6] = np.arange(1, 7)[:count]
    return list(zip(pips.tolist(), codes.tolist()))


def compare(pairs: list[tuple[int, int]], display: bool) -> tuple[list[dict], float]:
    """Per roll: cycles in each simulator, faces == golden; and avr8js's speed (simulated cycles per wall second)."""
    elf = vd.build_firmware("nano-test")
    script, steps = vd.Script().run(web.BOOT_MS), web.Steps()
    for p, c in pairs:
        cmd = b"a" + bytes([c]) + b"p" + str(p).encode()
        script.uart(cmd).quiet(30, 5000)
        steps.command(cmd)
    a = vd.simulate(elf, script, display=display).rolls
    out = web.simulate(elf.with_suffix(".hex"), steps, display=display)
    b = out["rolls"]
    # simavr's rolls are decoded frames ("code": the code byte, angle or latent); avr8js's carry the raw field
    if [(r["pips"], r["code"]) for r in a] != pairs or [(r["pips"], r["angle_code"]) for r in b] != pairs:
        raise RuntimeError("a simulator did not roll every requested (pips, code)")
    want = golden.generate(intmodel.load(QMODEL), [p for p, _ in pairs], [c for _, c in pairs])
    return [{"pips": p, "code": c, "display": display, "simavr": x["cycles"], "avr8js": y["cycles"],
             "faces_equal_golden": bool((x["face"] == g).all() and (np.array(y["face"]).reshape(32, 32) == g).all())}
            for (p, c), x, y, g in zip(pairs, a, b, want)], out["cycles"] / out["wall_s"]


def main(argv: list[str] | None = None) -> int:
    ap = Parser(prog="sim_compare.py", description=__doc__.split("\n")[0], epilog=__doc__.split("\n", 1)[1],
                formatter_class=__import__("argparse").RawDescriptionHelpFormatter)
    ap.add_argument("--rolls", type=int_range(1, 64), default=6, help="rolls per run (default 6)")
    ap.add_argument("--seed", type=seed_int, default=0, help="seed of the (pips, code) list (default 0)")
    ap.add_argument("--markdown", action="store_true", help="print a Markdown table")
    a = ap.parse_args(argv)
    if web.missing():
        raise ValueError(web.missing())
    try:
        web.build()
        (bare, speed0), (oled, speed1) = (compare(inputs(a.rolls, a.seed), d) for d in (False, True))
        rows = bare + oled
    except (RuntimeError, vd.VirtualDieError) as e:
        raise ValueError(str(e)) from None
    head = ["OLED", "pips", "code", "simavr cycles", "avr8js cycles", "avr8js - simavr", "faces == golden"]
    lines = [[("yes" if r["display"] else "no"), r["pips"], r["code"], f"{r['simavr']:,}", f"{r['avr8js']:,}",
              f"{r['avr8js'] - r['simavr']:+,}", "yes" if r["faces_equal_golden"] else "NO"] for r in rows]
    if a.markdown:
        print("| " + " | ".join(head) + " |\n|" + "---|" * len(head))
        print("\n".join("| " + " | ".join(map(str, ln)) + " |" for ln in lines))
    else:
        print("\n".join("  ".join(f"{v!s:>15}" for v in ln) for ln in [head] + lines))
    f_cpu = board("nano").f_cpu
    print(f"avr8js under node: {speed0 / 1e6:.1f} M simulated cycles per second without the OLED, "
          f"{speed1 / 1e6:.1f} M with it ({speed1 / f_cpu:.2f}x real time at {f_cpu / 1e6:g} MHz)")
    return 0 if all(r["faces_equal_golden"] for r in rows) else 1


if __name__ == "__main__":
    sys.exit(run(main))
