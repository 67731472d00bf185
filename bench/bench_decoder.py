"""Benchmark the depth-first engine on the ATmega328P: `python bench/bench_decoder.py [--json | --write]`.

Exports the checkpoint (default models/decoder.pt) and measures, deterministically: simulated cycles of the decoder
alone (simavr, the Nano build's flags, a checksum as the row sink) for a fixed list of faces, once with the AVR
assembly kernel and once with the portable C kernel; the cycles spent in each level (the engine's bench hook names
the level at work); MACs from the plan (equal to the C counters, tests/test_engine_c.py); flash, RAM and stack of
the decoder's objects (avr-size, -fstack-usage). --json prints one JSON object; --write updates docs/benchmarks.md.
"""
from __future__ import annotations

import gendie.cli  # noqa: F401  first, so Ctrl-C is quiet (exit 130) while the imports below load

import json
import re
import subprocess
import sys
import tempfile
from pathlib import Path

from export.export_decoder import export
from gendie import budgets, golden, intmodel as Q
from gendie.cli import Parser, run
from gendie.fileio import write_doc_block

ROOT = Path(__file__).resolve().parent.parent
SRC = ROOT / "firmware" / "src"
BENCH_MK = ROOT / "bench" / "c" / "bench.mk"
FACES = [(p, c) for p in range(1, 7) for c in (5, 150)]  # every pip count, two codes (angle or latent)
FLOOR = 10  # cycles per MAC: LD 2 + LPM 3 + MUL 2 + 3-byte add 3 (docs/benchmarks.md)
KIND = {"fc": "FC (condition x weights, pip table)", "convt2": "ConvT 3x3 s2", "conv": "conv 3x3"}


def simulate(elf: Path, harness: Path) -> dict:
    """{'faces': [cycles per face], 'checksums': [the row sink's checksum per face],
    'levels': {level: cycles summed over the faces}}"""
    out = subprocess.run([str(harness), str(elf)], capture_output=True, text=True, check=True).stdout
    rows = [(int(m.group(1)), int(m.group(2))) for m in re.finditer(r"^face \d+ (\d+) (\d+)$", out, re.M)]
    faces, checksums = [r[0] for r in rows], [r[1] for r in rows]
    levels = {int(m.group(1)): int(m.group(2)) for m in re.finditer(r"^level (\d+) (\d+)$", out, re.M)}
    if len(faces) != len(FACES):
        raise RuntimeError(f"simavr ran {len(faces)} faces of {len(FACES)}")
    return {"faces": faces, "checksums": checksums, "levels": levels}


def checksum(face) -> int:
    """avr_face.c's row sink over one face: sum = sum * 31 + grey + y, modulo 256, row by row."""
    s = 0
    for y, row in enumerate(face):
        for v in row:
            s = (s * 31 + int(v) + y) & 0xFF
    return s


ENGINE_OBJS = ("engine.c", "output.c", "dot_avr.S", "fc_rows_avr.S")  # the decoder's code in the asm build


def avr_objects(build: Path) -> dict:
    """Bytes of the decoder alone on the AVR (the asm build's objects): engine code, model tables, RAM, stack."""
    objs = {n: build / "asm" / f"{n}.o" for n in (*ENGINE_OBJS, "decoder_model.c")}
    out = subprocess.run(["avr-size", *map(str, objs.values())], capture_output=True, text=True, check=True).stdout
    rows = {Path(l.split()[-1]).name: list(map(int, l.split()[:3])) for l in out.strip().splitlines()[1:]}
    stack = sum(int(line.split("\t")[1]) for n in ENGINE_OBJS if (su := build / "asm" / f"{n}.su").exists()
                for line in su.read_text().splitlines())
    return {"code": sum(rows[f"{n}.o"][0] for n in ENGINE_OBJS), "tables": rows["decoder_model.c.o"][0],
            "ram": sum(r[1] + r[2] for r in rows.values()), "stack_frames_summed": stack}


def measure(ckpt: Path) -> dict:
    with tempfile.TemporaryDirectory() as t:
        tmp = Path(t)
        mp = export(ckpt, tmp / "model", verbose=False)
        faces = ", ".join(f"{p},{c}" for p, c in FACES)
        r = subprocess.run(["make", "-s", "-f", str(BENCH_MK), f"OUT={tmp / 'b'}", f"MODEL={tmp / 'model'}",
                            f"FACES={faces}", "EXTRA=-fstack-usage"], cwd=ROOT, capture_output=True, text=True)
        if r.returncode:
            raise RuntimeError(f"benchmark build failed:\n{r.stderr}")
        harness = tmp / "b" / "simavr_cycles"
        asm, portable = (simulate(tmp / "b" / v / "face.elf", harness) for v in ("asm", "portable"))
        size = avr_objects(tmp / "b")
        want = [checksum(f) for f in golden.generate(Q.load(tmp / "model" / "qmodel.json"), *zip(*FACES))]
    for name, res in (("assembly", asm), ("portable", portable)):
        if res["checksums"] != want:  # never report the speed of a wrong engine
            raise RuntimeError(f"the AVR {name} kernel's faces differ from the golden model's")
    m = mp["macs"]
    worst = max(asm["faces"])
    levels = []
    for k, acc in enumerate(mp["accumulators"]):
        macs = m["per_layer"][k]
        a, p = asm["levels"].get(k, 0) / len(FACES), portable["levels"].get(k, 0) / len(FACES)
        levels.append({"level": k, "kind": acc["kind"], "storage": "/".join(map(str, mp["plan"]["levels"][k]["storage"])),
                       "macs": macs, "asm_cycles": round(a), "portable_cycles": round(p),
                       "asm_cycles_per_mac": round(a / macs, 2), "portable_cycles_per_mac": round(p / macs, 2)})
    return {"model": mp["model"], "checkpoint": _shown(ckpt), "faces": len(FACES), "avr_bit_exact": True,
            "avr_cycles_per_face": worst, "avr_cycles_per_face_best": min(asm["faces"]),
            "avr_portable_cycles_per_face": max(portable["faces"]),
            "network_macs": m["layer_by_layer_total"], "planned_macs": m["total"],
            "cycles_per_network_mac": round(worst / m["layer_by_layer_total"], 2),
            "cycles_per_planned_mac": round(worst / m["total"], 2),
            "budget_cycles_per_network_mac": budgets.AVR_CYCLES_PER_NETWORK_MAC,
            "outside_levels_cycles": round(asm["levels"].get(255, 0) / len(FACES)),
            "levels": levels, "activation_ram_plan": mp["ram"]["total_activation_bytes"],
            "layer_by_layer_ram": mp["ram"]["layer_by_layer_bytes"], "avr": size, "plan": mp["plan"]}


def _shown(path: Path) -> str:
    """The checkpoint as the doc shows it: relative to the repo when inside it, so the doc is the same in any clone."""
    try:
        return str(Path(path).resolve().relative_to(ROOT))
    except ValueError:
        return str(path)


def table(r: dict) -> str:
    mhz = 16e6
    lines = [f"Model `{r['model']}` ({r['checkpoint']}), decoder alone, {r['faces']} faces (every pip count x 2 "
             f"codes, each checked against the golden model), ATmega328P in simavr, -Os.", "",
             "| | AVR assembly kernel | portable C kernel | ratio |", "|---|---|---|---|",
             f"| cycles per face, worst | {r['avr_cycles_per_face']:,} = {r['avr_cycles_per_face'] / mhz:.3f} s | "
             f"{r['avr_portable_cycles_per_face']:,} | {r['avr_portable_cycles_per_face'] / r['avr_cycles_per_face']:.2f}x |",
             f"| cycles per network MAC ({r['network_macs']:,} MACs layer by layer) | {r['cycles_per_network_mac']} | "
             f"{r['avr_portable_cycles_per_face'] / r['network_macs']:.2f} | budget {r['budget_cycles_per_network_mac']}, "
             f"floor ~{FLOOR} |"]
    for lv in r["levels"]:
        lines.append(f"| L{lv['level']} {KIND[lv['kind']]}, {lv['storage']}: cycles per MAC ({lv['macs']:,} MACs) | "
                     f"{lv['asm_cycles_per_mac']} | {lv['portable_cycles_per_mac']} | "
                     f"{lv['portable_cycles_per_mac'] / lv['asm_cycles_per_mac']:.2f}x |")
    a = r["avr"]
    lines += [f"| outside the levels (row sink, set-up), cycles per face | {r['outside_levels_cycles']:,} | | |", "",
              f"Planned MACs {r['planned_macs']:,} (network {r['network_macs']:,}). Activation RAM {r['activation_ram_plan']} B "
              f"(layer by layer {r['layer_by_layer_ram']} B: cannot run in the ATmega328P's 2,048 B next to the firmware). "
              f"AVR objects of the decoder: engine code {a['code']:,} B, model tables {a['tables']:,} B, RAM "
              f"{a['ram']:,} B, engine stack frames summed {a['stack_frames_summed']} B (an upper bound).", "",
              "Plan: " + ", ".join(f"L{lv['level']} {'/'.join(map(str, lv['storage']))}" for lv in r["plan"]["levels"])
              + f", output {r['plan']['output']}."]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = Parser(prog="bench_decoder.py", description=__doc__)
    p.add_argument("--checkpoint", default=str(ROOT / "models" / "decoder.pt"))
    p.add_argument("--json", action="store_true", help="print one JSON object instead of the Markdown table")
    p.add_argument("--write", action="store_true", help="write the table into docs/benchmarks.md")
    a = p.parse_args(argv)
    r = measure(Path(a.checkpoint))
    if a.json:
        print(json.dumps(r))
        return 0
    text = table(r)
    print(text)
    if a.write:
        write_doc_block(ROOT / "docs" / "benchmarks.md", "bench_decoder", text)
    return 0


if __name__ == "__main__":
    sys.exit(run(main))
