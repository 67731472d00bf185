"""die_gen's `simavr` backend: faces read back from the real firmware's UART dump, run in simavr.

The TEST build `make -C firmware nano-test` (the generated decoder plus test hooks) takes `a<byte>` (the code of the
next roll: angle, or latent in a VAE-mode build) and `p<n>` (pips), so any (pips, code) list can be replayed; each
roll's FACE frame is decoded with host_tools/frame_protocol.py. The firmware holds one of the committed exports,
firmware/src/model/ (the default) or firmware/src/model_<name>/ (built with MODEL=<name>), so the checkpoint is
exported (cached in build/models/, shared with the host-c backend) and the build whose folder holds the same files is
the one run: otherwise the faces would silently come from another model.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from tqdm import tqdm

from gendie.device import check_faces
from host_tools import virtual_die_build as vdb, virtual_die_sim as vds

GENERATED = ("decoder_model.c", "decoder_model.h")
BATCH = 64  # faces per simulator run: one boot each, and the UART capture stays small


def firmware_model(ckpt: Path) -> str:
    """The MODEL (make -C firmware ... MODEL=) whose committed export is ckpt's: "" for firmware/src/model/,
    "angle" for firmware/src/model_angle/; ValueError if no folder is."""
    from export.backends import exported_model
    dirs = vdb.model_dirs()
    if not dirs:
        raise ValueError(f"{vdb.model_dir()}: no generated decoder (run: python export/export_decoder.py)")
    for d in dirs:  # exported with the folder's options: the same model and the same plan
        plan = json.loads((d / "memory_plan.json").read_text())
        ref = exported_model(ckpt, plan["granularity"], plan["ram"]["budget"])
        if all((ref / f).read_bytes() == (d / f).read_bytes() for f in GENERATED):
            return vdb.model_name(d)
    raise ValueError(f"no firmware/src/model*/ folder was exported from {ckpt} (run: python export/export_decoder.py "
                     f"--checkpoint {ckpt} [--out firmware/src/model_<name>])")


def face_script(pips: np.ndarray, codes: np.ndarray) -> vds.Script:
    """Boot, then per face: force the code, roll with forced pips, wait until the dump is out."""
    s = vds.Script().run(400)
    for p, c in zip(pips, codes):
        s.uart(b"a" + bytes([int(c)]) + b"p" + str(int(p)).encode()).quiet(30, 5000)
    return s


def check_rolls(rolls: list[dict], pips: np.ndarray, codes: np.ndarray, model: str) -> str | None:
    """None if the firmware rolled exactly (pips, codes), each with its face, and flagged every ROLL latent exactly
    when its model is a VAE; otherwise what went wrong."""
    got = [(r["pips"], r["code"]) for r in rolls if r["face"] is not None]
    want = list(zip(pips.tolist(), codes.tolist()))
    if got != want:
        return f"rolled {got[:3]}... for {want[:3]}..."
    latent = vdb.memory_plan(model)["config"]["mode"] == "vae"
    if {r["latent"] for r in rolls} != {latent}:
        return f"flagged ROLL frames latent {sorted({r['latent'] for r in rolls})} for a model in mode " \
               f"{'vae' if latent else 'angle'}"
    return None


def generate_simavr(ckpt: str | Path, pips, codes) -> np.ndarray:
    """uint8 (N, 32, 32): the faces the firmware dumped for each (pips, code)."""
    pips, codes = check_faces(pips, codes)
    model = firmware_model(Path(ckpt))
    try:
        elf = vdb.build_firmware("nano-test", model)
        faces = []
        for i in tqdm(range(0, len(pips), BATCH), desc="simavr", unit="batch", disable=len(pips) <= BATCH):
            faces += _run_batch(elf, pips[i:i + BATCH], codes[i:i + BATCH], model)
    except vdb.VirtualDieError as e:  # a build or harness failure: one line, like virtual_die.py
        raise ValueError(str(e)) from None
    return np.stack(faces).astype(np.uint8) if faces else np.zeros((0, 32, 32), np.uint8)


def _run_batch(elf: Path, p: np.ndarray, c: np.ndarray, model: str) -> list[np.ndarray]:
    res = vds.simulate(elf, face_script(p, c), display=False)
    wrong = check_rolls(res.rolls, p, c, model)
    if res.raw["crashed"] or wrong:
        raise vdb.VirtualDieError(f"the simulated firmware {wrong or 'crashed'}")
    return [r["face"] for r in res.rolls]
