"""Benchmark the depth-first decoder against its layer-by-layer twin: `python bench/bench_decoder.py`.

Exports the checkpoint (default models/decoder.pt),
then measures, deterministically: MACs per face (from the plan, equal to the C counters), host instructions per face
(valgrind --tool=callgrind, difference between runs of 2 and 1 faces so start-up cancels), ATmega328P cycles of
one face (simavr), and AVR flash/RAM of objects holding only the decoder (avr-gcc -Os, avr-size). Prints a Markdown table; --write updates
docs/benchmarks.md.
"""
from __future__ import annotations

import gendie.cli  # noqa: F401  first, so Ctrl-C is quiet (exit 130) while the imports below load

import json
import re
import subprocess
import sys
import tempfile
from pathlib import Path

from export import backends as B
from export.export_decoder import export
from gendie.cli import Parser, UsageError, run
from gendie.fileio import write_text

ROOT = Path(__file__).resolve().parent.parent

SRC = ROOT / "firmware" / "src"


def callgrind_ir(exe: Path, lbl: bool, tmp: Path) -> int:
    """Instructions of one face: Ir(2 faces) - Ir(1 face)."""
    irs = []
    for n in (1, 2):
        out = tmp / f"cg.{lbl}.{n}"
        r = subprocess.run(["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", str(exe)]
                           + (["lbl"] if lbl else []), input=bytes([3, 64] * n), capture_output=True)
        if r.returncode:
            raise UsageError(f"valgrind failed: {r.stderr.decode()[-300:]}")
        irs.append(int(re.search(r"^summary: (\d+)", out.read_text(), re.M).group(1)))
    return irs[1] - irs[0]


def avr_size(model_dir: Path, main_c: str, tmp: Path) -> dict:
    objs = []
    for f in (main_c, "decoder_weights.c"):
        o = tmp / (f + ".avr.o")
        subprocess.run(["avr-gcc", "-std=c99", "-Wall", "-Wextra", "-Werror", "-mmcu=atmega328p", "-Os",
                        "-fstack-usage", "-DGD_BUILD_LBL", f"-I{SRC}", f"-I{model_dir}", "-c", str(model_dir / f),
                        "-o", str(o)],
                       check=True, cwd=tmp)
        objs.append(o)
    out = subprocess.run(["avr-size", *map(str, objs)], capture_output=True, text=True, check=True).stdout
    rows = [l.split() for l in out.strip().splitlines()[1:]]
    # every frame of the object added up: an upper bound on the stack, whatever the call chain
    su = sum(int(line.split("\t")[1]) for line in (tmp / (main_c + ".avr.su")).read_text().splitlines())
    return {"code": int(rows[0][0]), "tables": int(rows[1][0]), "ram": int(rows[0][2]) + int(rows[0][1]),
            "stack": su}


def avr_cycles(model_dir: Path, tmp: Path) -> int:
    """Cycles of one face on the ATmega328P at -Os, run in simavr (start-up included: a few hundred cycles)."""
    harness, elf = tmp / "simavr_cycles", tmp / "face.elf"
    subprocess.run(["gcc", "-O1", str(ROOT / "bench" / "c" / "simavr_cycles.c"), "-lsimavr", "-o", str(harness)],
                   check=True)
    subprocess.run(["avr-gcc", "-std=c99", "-Wall", "-Wextra", "-Werror", "-mmcu=atmega328p", "-Os", "-DBENCH_PIPS=3",
                    "-DBENCH_CODE=64", f"-I{SRC}", f"-I{model_dir}", str(ROOT / "bench" / "c" / "avr_face.c"),
                    str(model_dir / "decoder.c"), str(model_dir / "decoder_weights.c"), "-o", str(elf)], check=True)
    out = subprocess.run([str(harness), str(elf)], capture_output=True, text=True, check=True).stdout
    return int(out.strip().splitlines()[-1].split()[0])  # simavr logs its own lines first


def _shown(path: Path) -> str:
    """The checkpoint as the doc shows it: relative to the repo when inside it, so the doc is the same in any clone."""
    try:
        return str(Path(path).resolve().relative_to(ROOT))
    except ValueError:
        return str(path)


def main(argv: list[str] | None = None) -> int:
    p = Parser(prog="bench_decoder.py", description=__doc__)
    p.add_argument("--checkpoint", default=str(ROOT / "models" / "decoder.pt"))
    p.add_argument("--write", action="store_true", help="write the table into docs/benchmarks.md")
    a = p.parse_args(argv)
    with tempfile.TemporaryDirectory() as t:
        tmp = Path(t)
        ckpt = Path(a.checkpoint)
        mp = export(ckpt, tmp / "model", verbose=False)
        exe = B.build_host_c(tmp / "model")
        ir_tiled, ir_lbl = callgrind_ir(exe, False, tmp), callgrind_ir(exe, True, tmp)
        avr_t, avr_l = avr_size(tmp / "model", "decoder.c", tmp), avr_size(tmp / "model", "decoder_lbl.c", tmp)
        cycles = avr_cycles(tmp / "model", tmp)
    r, m = mp["ram"], mp["macs"]
    table = "\n".join([
        f"Model `{mp['model']}` ({_shown(ckpt)}), {mp['granularity']} weight exponents.",
        "",
        "| | depth-first (decoder.c) | layer by layer (decoder_lbl.c) | ratio |", "|---|---|---|---|",
        f"| activation RAM, plan (B) | {r['total_activation_bytes']} | {r['layer_by_layer_bytes']} | "
        f"{r['layer_by_layer_bytes'] / r['total_activation_bytes']:.1f}x less |",
        f"| AVR .bss+.data of the decoder object (B) | {avr_t['ram']} | {avr_l['ram']} | |",
        f"| MACs per face | {m['total']:,} | {m['layer_by_layer_total']:,} | +{100 * m['recompute_overhead']:.1f} % |",
        f"| host instructions per face (callgrind, x86-64 -O2) | {ir_tiled:,} | {ir_lbl:,} | "
        f"{ir_tiled / ir_lbl:.2f}x |",
        f"| ATmega328P cycles per face (simavr, -Os) | {cycles:,} = {cycles / 16e6:.2f} s at 16 MHz | "
        f"cannot run: needs {r['layer_by_layer_bytes']} B of 2,048 | |",
        f"| AVR stack, all frames summed (-fstack-usage, B) | {avr_t['stack']} | {avr_l['stack']} | |",
        f"| AVR code, -Os (B) | {avr_t['code']} | {avr_l['code']} | |",
        f"| AVR flash tables: weights, biases, shifts, cond (B) | {avr_t['tables']} | {avr_l['tables']} | |",
        "", "Depth-first plan: " + ", ".join(f"L{l['level']} {l['shape']} {'/'.join(map(str, l['storage']))}"
                                           for l in mp["plan"]["levels"]) + f", output {mp['plan']['output']}.",
        "", "Buffers (B): " + ", ".join(f"{k} {v}" for k, v in r["buffers"].items()) + ".", "",
        "Accumulators: " + ", ".join(f"L{x['layer']} {x['type']} [{x['proven_lo']}, {x['proven_hi']}]"
                                     for x in mp["accumulators"]) + "."])
    print(table)
    if a.write:
        doc = ROOT / "docs" / "benchmarks.md"
        text = doc.read_text() if doc.exists() else ""
        start, end = "<!-- bench_decoder:start -->", "<!-- bench_decoder:end -->"
        block = f"{start}\n{table}\n{end}"
        text = re.sub(re.escape(start) + ".*?" + re.escape(end), lambda _: block, text, flags=re.S) \
            if start in text else text + "\n" + block + "\n"
        write_text(doc, text)
    return 0


if __name__ == "__main__":
    sys.exit(run(main))
