"""Atomic small-file writes: readers see the old content or the new, never a torn file.

Write to a temporary file in the same directory, then rename it over the target (rename is
atomic within one filesystem). `durable=True` also fsyncs the file and the directory, for
state that must survive a power loss (a kill, a halt); status snapshots rewritten every
second skip that cost.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path


def atomic_write(path: Path, data: bytes, *, durable: bool = True, mode: int = 0o600) -> None:
    """Replace `path` with `data` atomically. Raises OSError."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            if durable:
                os.fsync(f.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    if durable:
        _fsync_dir(path.parent)


def _fsync_dir(directory: Path) -> None:
    with contextlib.suppress(OSError):  # make the rename itself durable
        dfd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(dfd)
        finally:
            os.close(dfd)


def read_small(path: Path, limit: int = 1 << 20) -> bytes | None:
    """The file's bytes (at most `limit`), None when absent or unreadable."""
    try:
        with path.open("rb") as f:
            return f.read(limit)
    except OSError:
        return None
