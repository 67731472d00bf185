"""die_gen's `simavr` backend: faces read back from the real firmware's UART dump, run in simavr.

The TEST build `make -C firmware nano-test` (the generated decoder plus test hooks) takes `a<byte>` (angle code of the
next roll) and `p<n>` (pips), so any (pips, code) list can be replayed; each roll's FACE frame is decoded with
host_tools/frame_protocol.py. The firmware holds whatever export/export_decoder.py last wrote into
firmware/src/model/, so the checkpoint is exported (cached in build/models/, shared with the host-c backend) and must
give the same files, otherwise the faces would silently come from another model.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from tqdm import tqdm

from gendie.device import check_faces
from host_tools import virtual_die_build as vdb, virtual_die_report as vdr, virtual_die_sim as vds

MODEL_DIR = vdb.FIRMWARE / "src" / "model"
GENERATED = ("decoder_model.c", "decoder_model.h")
BATCH = 64  # faces per simulator run: one boot each, and the UART capture stays small


def check_firmware_model(ckpt: Path) -> None:
    """ValueError unless firmware/src/model/ is the export of ckpt."""
    from export.backends import exported_model
    plan = MODEL_DIR / "memory_plan.json"
    if not plan.exists():
        raise ValueError(f"{MODEL_DIR}: no generated decoder (run: python export/export_decoder.py)")
    ref = exported_model(ckpt, json.loads(plan.read_text())["granularity"])
    if any((ref / f).read_bytes() != (MODEL_DIR / f).read_bytes() for f in GENERATED):
        raise ValueError(f"firmware/src/model/ was not exported from {ckpt} "
                         f"(run: python export/export_decoder.py --checkpoint {ckpt})")


def face_script(pips: np.ndarray, codes: np.ndarray) -> vds.Script:
    """Boot, then per face: force the code, roll with forced pips, wait until the dump is out."""
    s = vds.Script().run(400)
    for p, c in zip(pips, codes):
        s.uart(b"a" + bytes([int(c)]) + b"p" + str(int(p)).encode()).quiet(30, 5000)
    return s


def generate_simavr(ckpt: str | Path, pips, codes) -> np.ndarray:
    """uint8 (N, 32, 32): the faces the firmware dumped for each (pips, code)."""
    pips, codes = check_faces(pips, codes)
    check_firmware_model(Path(ckpt))
    try:
        elf = vdb.build_firmware("nano-test")
        faces = []
        for i in tqdm(range(0, len(pips), BATCH), desc="simavr", unit="batch", disable=len(pips) <= BATCH):
            faces += _run_batch(elf, pips[i:i + BATCH], codes[i:i + BATCH])
    except vdb.VirtualDieError as e:  # a build or harness failure: one line, like virtual_die.py
        raise ValueError(str(e)) from None
    return np.stack(faces).astype(np.uint8) if faces else np.zeros((0, 32, 32), np.uint8)


def _run_batch(elf: Path, p: np.ndarray, c: np.ndarray) -> list[np.ndarray]:
    res = vds.simulate(elf, face_script(p, c), display=False)
    got = [(r["pips"], r["angle_code"]) for r in res.rolls if r["face"] is not None]
    if res.raw["crashed"] or got != list(zip(p.tolist(), c.tolist())):
        raise vdb.VirtualDieError(f"the simulated firmware rolled {got[:3]}... for {list(zip(p, c))[:3]}...")
    return [r["face"] for r in res.rolls]
