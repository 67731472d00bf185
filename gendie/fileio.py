"""Files written the one safe way: beside the destination, then renamed into place.

An error or Ctrl-C never leaves a partial file and never clobbers the old one. .npz files are byte-reproducible:
numpy's savez stamps each member with the current time, here every member gets a fixed timestamp.
"""
from __future__ import annotations

import contextlib
import os
import tempfile
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO

import numpy as np

_EPOCH = (1980, 1, 1, 0, 0, 0)  # the earliest time a zip member can carry


def check_writable(path: str | os.PathLike) -> None:
    """ValueError now, before any work, if `path` cannot be written (tries a scratch file; leaves nothing)."""
    path = Path(path)
    if path.is_dir():
        raise ValueError(f"{path} is a directory")
    probe = path.resolve().parent
    while not probe.exists():
        probe = probe.parent
    if not probe.is_dir():
        raise ValueError(f"cannot write {path}: {probe} is not a directory")
    try:
        with tempfile.TemporaryFile(dir=probe):
            pass
    except OSError as e:
        raise ValueError(f"cannot write {path}: {e.strerror or e}") from None
    if path.exists() and not os.access(path, os.W_OK):
        raise ValueError(f"cannot write {path}: permission denied")


@contextlib.contextmanager
def atomic_write(path: str | os.PathLike, mode: str = "wb") -> Iterator[IO]:
    """`with atomic_write(p) as f:` writes p whole or not at all (parents are created)."""
    path = Path(path)
    check_writable(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, mode, **({} if "b" in mode else {"encoding": "utf-8"})) as f:
            yield f
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


@contextlib.contextmanager
def build_lock(folder: str | os.PathLike) -> Iterator[None]:
    """`with build_lock(d):` holds an exclusive lock on build folder d (its `.lock` file) while building into it:
    two processes building the same outputs at once (two terminals, the test suite's parallel workers) take turns
    instead of interleaving half-written objects; the second finds the work done. Released if the holder dies."""
    import fcntl  # POSIX, like every toolchain this project drives
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / ".lock", "a") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def write_bytes(path: str | os.PathLike, data: bytes) -> None:
    with atomic_write(path) as f:
        f.write(data)


def write_text(path: str | os.PathLike, text: str) -> None:
    with atomic_write(path, "w") as f:
        f.write(text)


def save_npz(path: str | os.PathLike, **arrays: np.ndarray) -> None:
    with atomic_write(path) as f, zipfile.ZipFile(f, "w", zipfile.ZIP_DEFLATED) as zf:
        for name in sorted(arrays):
            info = zipfile.ZipInfo(f"{name}.npy", date_time=_EPOCH)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            with zf.open(info, "w", force_zip64=True) as member:
                np.lib.format.write_array(member, np.ascontiguousarray(arrays[name]), allow_pickle=False)


def load_npz(path: str | os.PathLike) -> dict[str, np.ndarray]:
    """All arrays of an .npz; ValueError naming the file when it is missing or not an .npz of plain arrays."""
    path = Path(path)
    if path.is_dir():
        raise ValueError(f"{path}: is a directory, not an .npz file")
    try:
        z = np.load(path, allow_pickle=False)
        if not hasattr(z, "files"):
            raise ValueError(f"{path}: a single .npy array, not an .npz file")
        with z:
            return {k: z[k] for k in z.files}
    except FileNotFoundError:
        raise ValueError(f"{path}: no such file") from None
    except (OSError, EOFError, zipfile.BadZipFile):
        raise ValueError(f"{path}: not an .npz file") from None
    except ValueError as e:
        if str(e).startswith(str(path)):
            raise
        raise ValueError(f"{path}: not an .npz file of plain arrays") from None


def save_figure(fig, path: str | os.PathLike, dpi: int = 110) -> None:
    """A matplotlib figure as PNG, atomically, then closed (its memory freed)."""
    fig.tight_layout()
    with atomic_write(path) as f:
        fig.savefig(f, format="png", dpi=dpi)
    import matplotlib.pyplot as plt
    plt.close(fig)


def write_doc_block(path: str | os.PathLike, name: str, body: str) -> str:
    """Put `body` between `<!-- name:start -->` and `<!-- name:end -->` in a Markdown doc, replacing what stood there
    (or appending the block), atomically: how the benchmark tools keep their tables in docs/. Returns the block."""
    import re
    start, end = f"<!-- {name}:start -->", f"<!-- {name}:end -->"
    block = f"{start}\n{body}\n{end}"
    path = Path(path)
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    if start in text:
        text = re.sub(re.escape(start) + ".*?" + re.escape(end), lambda _: block, text, flags=re.S)
    else:
        text = text.rstrip("\n") + "\n\n" + block + "\n"
    write_text(path, text)
    return block
