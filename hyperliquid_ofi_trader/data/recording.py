"""Crash-safe recording of raw WebSocket frames.

Hyperliquid publishes no historical `bbo` or trade tape, so anyone who wants to research or
backtest at block resolution has to record the feed. `FrameRecorder` appends every frame,
exactly as received, with its local receive time:

    <local_ns> <frame>\\n

to a zstd-compressed file per UTC hour of receive time (`frames-20261125T04.ndjson.zst`).

Crash safety: by default each frame ends a zstd block (FLUSH_BLOCK) and the block is handed
to the OS with one `os.write`, so a SIGKILL loses at most the frame being written; the
reader (`replay_sources.iter_frames`) tolerates the missing frame epilogue and the partial
last line. A power loss can lose what the OS had not yet written back: we `fsync` only on
rotation and close (once an hour), not per frame.

`flush_every=N` trades that guarantee for throughput: up to N-1 frames sit in the
compressor until the next flush. A caller that uses it should also call `flush()` on a
timer, or a quiet feed can leave frames unflushed indefinitely.

The recorder never reads the clock: the hour comes from the frame's `local_ns`.
"""

from __future__ import annotations

import contextlib
import errno
import os
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType

import zstandard as zstd

from hyperliquid_ofi_trader.errors import OurBugError, TraderError, TransientError

NS_PER_HOUR = 3_600_000_000_000
SUFFIX = ".ndjson.zst"
_FLUSH_BLOCK = zstd.COMPRESSOBJ_FLUSH_BLOCK


class RecordingError(TraderError):
    """Base of recorder errors."""


class RecordingDiskError(RecordingError, TransientError):
    """The environment failed us: the disk is full, read-only, missing or not permitted.

    The current file is abandoned (it stays readable up to its last complete frame); the
    next `write` opens a fresh file, so a caller that wants to keep trying may.
    """

    def __init__(self, action: str, path: Path, cause: OSError) -> None:
        reason = cause.strerror or errno.errorcode.get(cause.errno or 0, str(cause))
        super().__init__(f"recording failed to {action} {path}: {reason}")
        self.path = path
        self.errno = cause.errno


class RecorderClosedError(RecordingError, OurBugError):
    """`write` after `close`: a bug in the caller."""


def hour_stamp(local_ns: int) -> str:
    """`20261125T04` for any time in that UTC hour."""
    hour_start_s = (local_ns // NS_PER_HOUR) * 3600
    return datetime.fromtimestamp(hour_start_s, UTC).strftime("%Y%m%dT%H")


def recording_name(prefix: str, local_ns: int, attempt: int = 0) -> str:
    """File name for the hour of `local_ns`; `attempt` > 0 when the plain name is taken."""
    tail = f".{attempt}" if attempt else ""
    return f"{prefix}-{hour_stamp(local_ns)}{tail}{SUFFIX}"


def _validate(prefix: str, flush_every: int, level: int) -> None:
    if not prefix or "/" in prefix or os.sep in prefix or prefix.startswith("."):
        raise ValueError(f"prefix must be a plain file-name prefix, got {prefix!r}")
    if flush_every < 1:
        raise ValueError(f"flush_every must be >= 1, got {flush_every}")
    if not 1 <= level <= 22:
        raise ValueError(f"zstd level must be in 1..22, got {level}")


class FrameRecorder:
    """Append raw frames to hourly zstd files. Not thread-safe: one writer per instance.

    Counters (plain ints, cheap to read for metrics): `frames`, `bytes` (uncompressed line
    bytes), `compressed_bytes` (bytes handed to the OS), `files`, `newlines_replaced`,
    `empty_rejected`.
    """

    __slots__ = (
        "_closed",
        "_cobj",
        "_compressor",
        "_fd",
        "_flush_every",
        "_hour_end_ns",
        "_hour_start_ns",
        "_path",
        "_pending",
        "_prefix",
        "bytes",
        "compressed_bytes",
        "empty_rejected",
        "files",
        "frames",
        "newlines_replaced",
        "out_dir",
    )

    def __init__(
        self, out_dir: Path, prefix: str = "frames", *, flush_every: int = 1, level: int = 3
    ) -> None:
        _validate(prefix, flush_every, level)
        self.out_dir = Path(out_dir)
        self._prefix = prefix
        self._flush_every = flush_every
        self._compressor = zstd.ZstdCompressor(level=level)
        self._cobj: zstd.ZstdCompressionObj | None = None
        self._fd = -1
        self._path: Path | None = None
        # Hour window of the open file; [0, 0) forces an open on the first write.
        self._hour_start_ns = 0
        self._hour_end_ns = 0
        self._pending = 0
        self._closed = False
        self.frames = 0
        self.bytes = 0
        self.compressed_bytes = 0
        self.files = 0
        self.newlines_replaced = 0
        self.empty_rejected = 0
        try:
            self.out_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise RecordingDiskError("create directory", self.out_dir, exc) from exc

    # ------------------------------------------------------------ public API

    @property
    def path(self) -> Path | None:
        """The file being written, None before the first frame or after close."""
        return self._path

    def write(self, raw: bytes | str, local_ns: int) -> None:
        """Record one frame received at `local_ns`. Raises RecordingDiskError on disk errors."""
        if self._closed:
            raise RecorderClosedError("write() on a closed FrameRecorder")
        if local_ns >= self._hour_end_ns or self._fd < 0:
            self._rotate(local_ns)
        data = raw.encode() if isinstance(raw, str) else raw
        if not data:
            self.empty_rejected += 1
            return
        if b"\n" in data:
            # A JSON frame never holds a raw newline inside a string, so outside strings it is
            # whitespace and a space means the same; it must not split our line.
            data = data.replace(b"\n", b" ")
            self.newlines_replaced += 1
        line = b"%d %b\n" % (local_ns, data)
        cobj = self._cobj
        assert cobj is not None  # set by _rotate
        out = cobj.compress(line)
        self._pending += 1
        if self._pending >= self._flush_every:
            out += cobj.flush(_FLUSH_BLOCK)
            self._pending = 0
        if out:
            self._write_out(out)
        self.frames += 1
        self.bytes += len(line)

    def flush(self) -> None:
        """Hand every buffered frame to the OS (only useful with `flush_every` > 1)."""
        if self._cobj is not None and self._pending:
            self._pending = 0
            self._write_out(self._cobj.flush(_FLUSH_BLOCK))

    def close(self) -> None:
        """End the zstd frame, fsync and close. Idempotent."""
        if self._closed:
            return
        self._closed = True
        self._finish_file()

    def __enter__(self) -> FrameRecorder:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # ------------------------------------------------------------ file handling

    def _rotate(self, local_ns: int) -> None:
        # Only forward: a receive time that jitters back across the boundary (wall-clock
        # step) stays in the current file rather than reopening an older hour.
        self._finish_file()
        self._hour_start_ns = (local_ns // NS_PER_HOUR) * NS_PER_HOUR
        self._hour_end_ns = self._hour_start_ns + NS_PER_HOUR
        self._open_new(local_ns)

    def _open_new(self, local_ns: int) -> None:
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)
        attempt = 0
        while True:
            path = self.out_dir / recording_name(self._prefix, local_ns, attempt)
            try:
                self._fd = os.open(path, flags, 0o644)
                break
            except FileExistsError:
                # A restart within the hour: never append to a file whose last zstd frame
                # may be unterminated (that would make the new data unreadable).
                attempt += 1
            except OSError as exc:
                raise RecordingDiskError("create", path, exc) from exc
        self._path = path
        self._cobj = self._compressor.compressobj()
        self._pending = 0
        self.files += 1

    def _write_out(self, data: bytes) -> None:
        view = memoryview(data)
        try:
            while view:
                view = view[os.write(self._fd, view):]
        except OSError as exc:
            path = self._path or self.out_dir
            self._abandon()
            raise RecordingDiskError("write", path, exc) from exc
        self.compressed_bytes += len(data)

    def _finish_file(self) -> None:
        if self._fd < 0:
            return
        assert self._cobj is not None
        tail = self._cobj.flush()  # FLUSH_FRAME: the epilogue that marks a clean end
        self._write_out(tail)
        path = self._path or self.out_dir
        try:
            os.fsync(self._fd)
        except OSError as exc:
            self._abandon()
            raise RecordingDiskError("sync", path, exc) from exc
        self._abandon()

    def _abandon(self) -> None:
        fd, self._fd = self._fd, -1
        self._cobj = None
        self._path = None
        self._hour_end_ns = 0
        if fd >= 0:
            # The data is already written or lost: a failing close has nothing to add.
            with contextlib.suppress(OSError):
                os.close(fd)
