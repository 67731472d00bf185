"""Export the trained decoder as data and a plan: `python export/export_decoder.py [--checkpoint CKPT] [--out DIR]`.

A straight line: checkpoint -> integer model (quantised under docs/integer-contract.md, calibrated on all 6 x 256
device inputs, accumulator widths proven) -> depth-first memory plan (export/plan.py, chosen by simulation) ->
files in DIR (default firmware/src/model): decoder_model.h (the plan the hand-written engine in firmware/src/engine/
is compiled with), decoder_model.c (flash tables and the level table), qmodel.json (the integer model) and
memory_plan.json. Same checkpoint, same bytes.
"""
from __future__ import annotations

import gendie.cli  # noqa: F401  first, so Ctrl-C is quiet (exit 130) while the imports below load

import json
import shutil
import sys
import tempfile
from pathlib import Path

import numpy as np

from export import emit, plan as P
from gendie import intmodel as Q
from gendie.cli import Parser, UsageError, check_paths, int_range, run

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUT = ROOT / "firmware" / "src" / "model"
BUDGET = 1024


def flash_bytes(qm: Q.QModel, plan: P.Plan) -> dict[str, int]:
    """Bytes of the flash tables as decoder_model.c declares them (the level table aside: its size is the target's)."""
    _, table_bytes = emit.fc_table(qm)
    L0 = qm.layers[0]
    b = {"cond_table": int(qm.cond_table.size), "layer0": int(L0.w.size + 6 * L0.co * table_bytes + L0.co)}
    for k, L in enumerate(qm.layers[1:], 1):
        psum = k == len(qm.layers) - 1 and plan.output is P.Output.PSUM
        w = emit.psum_weights(L.w) if psum else emit.conv_weights(L.w)
        b[f"layer{k}"] = int(w.size + 5 * L.co)  # weights + requantisation records
    return b


def check_proof(qm: Q.QModel) -> None:
    for k, L in enumerate(qm.layers):
        half = 1 << max(int(L.shift.max()) - 1, 0)
        if L.acc_hi + half >= 2 ** 31 or L.acc_lo < -2 ** 31:
            raise ValueError(f"layer {k}: accumulator bound does not leave room for rounding in int32")


def memory_plan(qm: Q.QModel, plan: P.Plan, budget: int) -> dict:
    lv = plan.levels
    sizes = [l.h * l.w * l.c for l in lv]
    fl = flash_bytes(qm, plan)
    lm = P.network_macs(plan.cfg)
    return {
        "generated_by": "export/export_decoder.py",
        "model": qm.cfg.name, "config": qm.config, "granularity": qm.granularity,
        "plan": {"levels": [{"level": k, "shape": list(l.shape), "storage": l.as_list()} for k, l in enumerate(lv)],
                 "output": plan.output.value},
        "ram": {"buffers": plan.buffers, "total_activation_bytes": plan.ram, "budget": budget,
                "layer_by_layer_bytes": max(sizes[0::2]) + max(sizes[1::2])},
        "flash": {"tables": fl, "total_bytes": sum(fl.values())},
        "macs": {"per_layer": list(plan.macs), "total": plan.total_macs,
                 "layer_by_layer_per_layer": lm, "layer_by_layer_total": sum(lm),
                 "recompute_overhead": round(plan.total_macs / sum(lm) - 1, 4)},
        "accumulators": [{"layer": k, "kind": L.kind, "type": L.acc_type, "proven_lo": L.acc_lo,
                          "proven_hi": L.acc_hi, "reached_lo": L.reach_lo, "reached_hi": L.reach_hi,
                          "e_in": L.e_in, "e_out": L.e_out, "shift_min": int(L.shift.min()),
                          "shift_max": int(L.shift.max())} for k, L in enumerate(qm.layers)],
    }


def export(checkpoint: str | Path, out: str | Path, granularity: str = "channel", budget: int = BUDGET,
           verbose: bool = True) -> dict:
    from training import checkpoint as ckpt_mod
    qm = ckpt_mod.integer_model(checkpoint, granularity)
    check_proof(qm)
    plan = P.plan_for(qm, budget)
    if not plan.fits:
        raise ValueError(f"no depth-first plan of {qm.cfg.name} fits {budget} B of activations "
                         f"(the smallest found needs {plan.ram} B); nothing written")
    mp = memory_plan(qm, plan, budget)
    files = {**emit.files(qm, plan), "memory_plan.json": json.dumps(mp, indent=1) + "\n"}
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=out) as tmp:  # write all, then move: never a half-updated model dir
        for name, text in files.items():
            (Path(tmp) / name).write_text(text)
        Q.save(qm, Path(tmp) / "qmodel.json")
        for name in list(files) + ["qmodel.json"]:
            shutil.move(str(Path(tmp) / name), out / name)
    if verbose:
        print(report(mp, qm))
    return mp


def report(mp: dict, qm: Q.QModel) -> str:
    r, m = mp["ram"], mp["macs"]
    lines = [f"model {mp['model']} ({mp['granularity']} weight exponents)", "accumulator proofs:"]
    lines += ["  " + s for s in Q.proof_lines(qm)]
    lines.append("plan: " + ", ".join(f"L{l['level']} {'/'.join(map(str, l['storage']))}" for l in mp["plan"]["levels"])
                 + f", output {mp['plan']['output']}")
    lines += [f"  {k:28s} {v:5d} B" for k, v in r["buffers"].items()]
    lines.append(f"activation RAM {r['total_activation_bytes']} B (budget {r['budget']}); layer by layer "
                 f"{r['layer_by_layer_bytes']} B")
    lines.append(f"flash tables {mp['flash']['total_bytes']} B")
    lines.append(f"MACs/face {m['total']} (layer by layer {m['layer_by_layer_total']}, recompute "
                 f"+{100 * m['recompute_overhead']:.1f} %)")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = Parser(prog="export_decoder.py", description=__doc__)
    p.add_argument("--checkpoint", default=str(ROOT / "models" / "decoder.pt"),
                   help="trained checkpoint (default models/decoder.pt)")
    p.add_argument("--out", default=str(DEFAULT_OUT), help="output folder (default firmware/src/model)")
    p.add_argument("--granularity", choices=Q.GRANULARITIES, default="channel",
                   help="weight exponent per output channel (default, measured better) or per layer")
    p.add_argument("--budget", type=int_range(1, 65_536), default=BUDGET,
                   help="activation RAM budget in bytes (default 1024)")
    a = p.parse_args(argv)
    if Path(a.out).exists() and not Path(a.out).is_dir():
        raise UsageError(f"--out {a.out} is not a directory")
    written = [Path(a.out) / n for n in ("decoder_model.c", "decoder_model.h", "memory_plan.json", "qmodel.json")]
    check_paths({"--checkpoint": a.checkpoint}, {f"--out {p.name}": p for p in written})
    export(a.checkpoint, a.out, a.granularity, a.budget)
    return 0


if __name__ == "__main__":
    sys.exit(run(main))
