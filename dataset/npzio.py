"""Byte-reproducible .npz files, written atomically.

numpy's savez stamps each member with the current time, so two identical datasets would differ in bytes; here every
member gets a fixed timestamp. The file is written next to its destination and renamed into place, so an error never
leaves a partial file and never clobbers the old one.
"""
from __future__ import annotations

import os
import tempfile
import zipfile
from pathlib import Path

import numpy as np

from dataset.cli import UsageError

_EPOCH = (1980, 1, 1, 0, 0, 0)  # the earliest time a zip member can carry


def check_writable(path: Path) -> None:
    """Raise UsageError now, before any work, if `path` cannot be written (tries a scratch file; leaves nothing)."""
    path = Path(path)
    if path.is_dir():
        raise UsageError(f"{path} is a directory")
    probe = path.resolve().parent
    while not probe.exists():
        probe = probe.parent
    if not probe.is_dir():
        raise UsageError(f"cannot write {path}: {probe} is not a directory")
    try:
        with tempfile.TemporaryFile(dir=probe):
            pass
    except OSError as e:
        raise UsageError(f"cannot write {path}: {e.strerror or e}") from None
    if path.exists() and not os.access(path, os.W_OK):
        raise UsageError(f"cannot write {path}: permission denied")


def save_npz(path: str | os.PathLike, **arrays: np.ndarray) -> None:
    path = Path(path)
    check_writable(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=path.name, suffix=".tmp", dir=path.parent)
    except OSError as e:
        raise UsageError(f"cannot write {path}: {e.strerror or e}") from None
    try:
        with os.fdopen(fd, "wb") as f, zipfile.ZipFile(f, "w", zipfile.ZIP_DEFLATED) as zf:
            for name in sorted(arrays):
                info = zipfile.ZipInfo(f"{name}.npy", date_time=_EPOCH)
                info.compress_type = zipfile.ZIP_DEFLATED
                info.external_attr = 0o644 << 16
                with zf.open(info, "w", force_zip64=True) as member:
                    np.lib.format.write_array(member, np.ascontiguousarray(arrays[name]), allow_pickle=False)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def load_images(path: str | os.PathLike) -> dict[str, np.ndarray]:
    """All arrays of an .npz of faces; UsageError (one line) when it is missing or not an .npz."""
    try:
        with np.load(path, allow_pickle=False) as z:
            return {k: z[k] for k in z.files}
    except FileNotFoundError:
        raise UsageError(f"{path}: no such file") from None
    except (OSError, ValueError, zipfile.BadZipFile) as e:
        raise UsageError(f"{path}: not a readable .npz ({e})") from None
