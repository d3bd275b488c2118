"""Readers for recorded raw frames: every file yields `(local_ns, raw_frame)` pairs.

Formats are detected by content, not by file name:
- compression by magic bytes: zstd (our `FrameRecorder` files), gzip, LZ4 frame, or none;
- line format by the first line: `<local_ns> <frame>` (ours and the hftbacktest capture), or
  Hyperliquid's archive JSON lines `{"time": "<ISO, ns, UTC>", "ver_num": 1, "raw": {...}}`,
  whose `raw` object becomes the frame (re-serialised compactly) and `time` the local_ns.

Damage is tolerated and counted, never raised: a file cut short (a recorder killed with -9,
or a file still being written) yields every complete line; a malformed line is skipped; a
corrupt compressed block ends that file. `ReadStats` holds the counts. Only problems the
user must fix raise: a missing path, an unrecognised file, a directory with no recordings.

A directory yields all recognised files merged in receive-time order. Files are opened
only when the merge reaches their first frame, so hourly recordings over months do not
exhaust file descriptors.
"""

from __future__ import annotations

import heapq
import logging
import re
import zlib
from collections import Counter
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import Enum
from pathlib import Path
from typing import IO, TYPE_CHECKING, Protocol, TypeAlias

import lz4.frame
import msgspec
import orjson
import zstandard as zstd

from hyperliquid_ofi_trader.errors import OurBugError

if TYPE_CHECKING:
    from hyperliquid_ofi_trader.catalog.query import CatalogQuery

log = logging.getLogger(__name__)

Frame = tuple[int, bytes]
# What every replaying reader takes: a recording path, or a selection of a data catalog.
ReplaySource: TypeAlias = "Path | CatalogQuery"
_CHUNK = 1 << 16
# Decompressors are fed this much at a time: a corrupt block loses the output of the slice
# that holds it, so small slices keep more of a damaged file (the call overhead is tiny).
_SLICE = 1 << 12
_PEEK_LIMIT = 1 << 22  # a first line longer than 4 MiB is not a recording
_MAX_LOGGED_MALFORMED = 5
_SYNTHETIC_METADATA = "recording.json"  # data/synthetic_meta.py METADATA_NAME


# ---------------------------------------------------------------- errors


class ReplaySourceError(OurBugError):
    """Base: the user pointed at something we cannot replay."""


class SourceNotFoundError(ReplaySourceError):
    """The path does not exist."""


class UnknownFormatError(ReplaySourceError):
    """The file is not a recording format we know."""


class NoRecordingsError(ReplaySourceError):
    """A directory that holds no recognised recording."""


# ---------------------------------------------------------------- formats


class Compression(Enum):
    ZSTD = "zstd"
    GZIP = "gzip"
    LZ4 = "lz4"
    NONE = "none"


class LineFormat(Enum):
    NS_FRAME = "ns_frame"  # "<local_ns> <frame>"
    HL_ARCHIVE = "hl_archive"  # {"time": ..., "ver_num": 1, "raw": {...}}


@dataclass(frozen=True, slots=True)
class SourceFormat:
    compression: Compression
    lines: LineFormat


_MAGIC: tuple[tuple[bytes, Compression], ...] = (
    (b"\x28\xb5\x2f\xfd", Compression.ZSTD),
    (b"\x1f\x8b", Compression.GZIP),
    (b"\x04\x22\x4d\x18", Compression.LZ4),
)


@dataclass(slots=True)
class ReadStats:
    """What a read found. Mutable: the reader fills it in as it goes."""

    files: int = 0
    frames: int = 0
    malformed: int = 0
    truncated_files: int = 0
    corrupt_files: int = 0
    skipped_files: int = 0
    malformed_reasons: Counter[str] = field(default_factory=Counter)

    def reject(self, reason: str, path: Path, line_no: int) -> None:
        self.malformed += 1
        self.malformed_reasons[reason] += 1
        if self.malformed <= _MAX_LOGGED_MALFORMED:
            log.warning("skipped malformed line %d of %s: %s", line_no, path, reason)


class _Decompressor(Protocol):
    """The shape zlib, zstandard and lz4 decompression objects share."""

    @property
    def eof(self) -> bool: ...

    @property
    def unused_data(self) -> bytes: ...

    def decompress(self, data: bytes) -> bytes: ...


class _Identity:
    """A pass-through 'decompressor' for plain text files."""

    eof = False
    unused_data = b""

    def decompress(self, data: bytes) -> bytes:
        return data


def _zstd() -> _Decompressor:
    obj: _Decompressor = zstd.ZstdDecompressor().decompressobj()
    return obj


def _gzip() -> _Decompressor:
    return zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)


def _lz4() -> _Decompressor:
    obj: _Decompressor = lz4.frame.LZ4FrameDecompressor()
    return obj


_FACTORIES: dict[Compression, Callable[[], _Decompressor]] = {
    Compression.ZSTD: _zstd,
    Compression.GZIP: _gzip,
    Compression.LZ4: _lz4,
    Compression.NONE: _Identity,
}
# Foreign exceptions a damaged stream raises, mapped once here.
_CORRUPT_ERRORS: tuple[type[Exception], ...] = (zstd.ZstdError, zlib.error, RuntimeError,
                                                EOFError, OSError)


def _compression_of(head: bytes) -> Compression | None:
    for magic, kind in _MAGIC:
        if head.startswith(magic):
            return kind
    stripped = head.lstrip()
    if stripped[:1].isdigit() or stripped[:1] == b"{":
        return Compression.NONE
    return None


def _line_format_of(first_line: bytes) -> LineFormat | None:
    line = first_line.strip()
    if line[:1].isdigit():
        sep = line.find(b" ")
        return LineFormat.NS_FRAME if sep > 0 and line[:sep].isdigit() else None
    if line[:1] == b"{":
        try:
            obj = orjson.loads(line)
        except orjson.JSONDecodeError:
            return None
        if isinstance(obj, dict) and "time" in obj and "raw" in obj:
            return LineFormat.HL_ARCHIVE
    return None


def _cut_short_ns_line(text: bytes) -> bool:
    """Empty, or only the digits of a receive time: the start of a `<ns> <frame>` line."""
    return not text or text.isdigit()


# ---------------------------------------------------------------- decompression


class _Chunks:
    """Decompressed chunks of one file; records whether the stream ended cleanly."""

    __slots__ = ("corrupt", "factory", "fh", "truncated")

    def __init__(self, fh: IO[bytes], factory: Callable[[], _Decompressor]) -> None:
        self.fh = fh
        self.factory = factory
        self.truncated = False
        self.corrupt = ""

    def __iter__(self) -> Iterator[bytes]:
        dec, fed = self.factory(), False
        try:
            while block := self.fh.read(_CHUNK):
                for start in range(0, len(block), _SLICE):
                    chunk = block[start:start + _SLICE]
                    while chunk:
                        fed = True
                        out = dec.decompress(chunk)
                        if out:
                            yield out
                        if not dec.eof:
                            break
                        # One compressed frame ended; concatenated frames may follow.
                        chunk, dec, fed = dec.unused_data, self.factory(), False
        except _CORRUPT_ERRORS as exc:
            self.corrupt = f"{type(exc).__name__}: {exc}"
            return
        self.truncated = fed and not dec.eof and not isinstance(dec, _Identity)


def _lines(chunks: Iterator[bytes], head: bytes) -> Iterator[tuple[bytes, bool]]:
    """Split into lines: (line, complete). Only the last one can be incomplete."""
    pending = head
    for chunk in chunks:
        pending += chunk
        if b"\n" not in chunk:
            continue
        parts = pending.split(b"\n")
        pending = parts.pop()
        for part in parts:
            yield part, True
    if pending:
        yield pending, False


# ---------------------------------------------------------------- line parsers

_ISO = re.compile(
    rb"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})?"
)


class _IsoParser:
    """ISO time with up to ns precision → epoch ns. Caches the whole-second part, which
    consecutive archive lines (about 600 ms apart) share half of the time."""

    __slots__ = ("_last_key", "_last_s")

    def __init__(self) -> None:
        self._last_key = b""
        self._last_s = 0

    def __call__(self, text: bytes) -> int | None:
        m = _ISO.fullmatch(text)
        if m is None:
            return None
        whole, frac, tz = m.group(1), m.group(2) or b"", m.group(3) or b""
        key = whole + tz
        if key != self._last_key:
            try:
                dt = datetime.fromisoformat((whole + (tz if tz != b"Z" else b"")).decode())
            except ValueError:
                return None
            if dt.tzinfo is None:
                dt = dt.replace(tzinfo=UTC)  # the archive writes UTC without a zone
            self._last_key, self._last_s = key, int(dt.timestamp())
        return self._last_s * 1_000_000_000 + int(frac.ljust(9, b"0") or b"0")


def _parse_ns_frame(line: bytes) -> Frame | str:
    """`<ns> <frame>` → (ns, frame), or a short reason."""
    sep = line.find(b" ")
    if sep <= 0:
        return "no_separator"
    stamp = line[:sep]
    if not stamp.isdigit():
        return "bad_timestamp"
    frame = line[sep + 1:]
    if frame.endswith(b"\r"):
        frame = frame[:-1]
    if not frame:
        return "empty_frame"
    return int(stamp), frame


class _ArchiveRecord(msgspec.Struct, gc=False):
    """One archive line; `raw` stays undecoded (msgspec still checks it is valid JSON)."""

    time: str
    raw: msgspec.Raw


_archive_record = msgspec.json.Decoder(_ArchiveRecord)


def _compact(raw: bytes) -> bytes:
    """The frame as compact JSON. The archive is already compact, so the slice is reused
    (byte-identical to re-serialising it, about 6x cheaper); otherwise re-serialise."""
    if raw.find(b" ") < 0 and raw.find(b"\t") < 0:
        return raw
    return orjson.dumps(orjson.loads(raw))


def _archive_parser() -> Callable[[bytes], Frame | str]:
    iso = _IsoParser()

    def parse(line: bytes) -> Frame | str:
        try:
            rec = _archive_record.decode(line)
        except msgspec.ValidationError:
            return "bad_record"
        except msgspec.DecodeError:
            return "bad_json"
        raw = bytes(rec.raw)
        if not raw.startswith(b"{"):
            return "bad_record"
        ns = iso(rec.time.encode())
        if ns is None:
            return "bad_time"
        return ns, _compact(raw)

    return parse


def _parser_for(fmt: LineFormat) -> Callable[[bytes], Frame | str]:
    return _parse_ns_frame if fmt is LineFormat.NS_FRAME else _archive_parser()


def _last_line_usable(frame: bytes) -> bool:
    """A final line without newline is whole only if its frame is complete JSON."""
    try:
        orjson.loads(frame)
    except orjson.JSONDecodeError:
        return False
    return True


# ---------------------------------------------------------------- one file


def _first_line(fh: IO[bytes], compression: Compression) -> tuple[bytes, bool]:
    """The first non-empty decompressed line (or what there is of it), and whether it is
    complete (newline-terminated)."""
    buf = b""
    for chunk in _Chunks(fh, _FACTORIES[compression]):
        buf += chunk
        for line in buf.split(b"\n")[:-1]:
            if line.strip():
                return line, True
        if len(buf) > _PEEK_LIMIT:
            break
    return buf.strip(), False


def detect_format(path: Path) -> SourceFormat:
    """Compression by magic bytes, line format by the first line. Raises UnknownFormatError."""
    try:
        with path.open("rb") as fh:
            head = fh.read(8)
            if not head:
                raise UnknownFormatError(f"{path}: empty file")
            compression = _compression_of(head)
            if compression is None:
                raise UnknownFormatError(f"{path}: not zstd, gzip, LZ4 or a text recording")
            fh.seek(0)
            first, complete = _first_line(fh, compression)
    except FileNotFoundError as exc:
        raise SourceNotFoundError(f"{path}: no such file") from exc
    except OSError as exc:
        raise ReplaySourceError(f"{path}: cannot read ({exc.strerror})") from exc
    lines = _line_format_of(first)
    if lines is None and not complete and _cut_short_ns_line(first):
        # A recorder killed before its first line was whole: empty but ours.
        lines = LineFormat.NS_FRAME
    if lines is None:
        raise UnknownFormatError(
            f"{path}: {compression.value} data, but its first line is neither "
            "'<local_ns> <frame>' nor a Hyperliquid archive record"
        )
    return SourceFormat(compression, lines)


def _read_file(path: Path, fmt: SourceFormat, stats: ReadStats) -> Generator[Frame, None, None]:
    parse = _parser_for(fmt.lines)
    partial = False
    with path.open("rb") as fh:
        chunks = _Chunks(fh, _FACTORIES[fmt.compression])
        stats.files += 1
        for line_no, (line, complete) in enumerate(_lines(iter(chunks), b""), start=1):
            if not line or line == b"\r":
                continue
            got = parse(line)
            if complete and isinstance(got, str):
                stats.reject(got, path, line_no)
                continue
            if not complete and (isinstance(got, str) or not _last_line_usable(got[1])):
                partial = True
                continue
            assert not isinstance(got, str)
            stats.frames += 1
            yield got
    _account_end(path, chunks, partial, stats)


def _account_end(path: Path, chunks: _Chunks, partial: bool, stats: ReadStats) -> None:
    if chunks.corrupt:
        stats.corrupt_files += 1
        log.warning("%s is corrupt, read up to the damage: %s", path, chunks.corrupt)
    elif chunks.truncated or partial:
        stats.truncated_files += 1
        log.warning("%s ends mid-record (killed recorder or still being written): "
                    "read every complete line%s", path,
                    ", dropped the partial last line" if partial else "")


# ---------------------------------------------------------------- directories


@dataclass(frozen=True, slots=True)
class _Planned:
    first_ns: int
    path: Path
    fmt: SourceFormat


def _candidate_files(directory: Path) -> list[Path]:
    # A synthetic recording's metadata (data/synthetic_meta.py) is not a recording.
    return sorted(p for p in directory.rglob("*")
                  if p.is_file() and p.name != _SYNTHETIC_METADATA
                  and not any(part.startswith(".") for part in
                              p.relative_to(directory).parts))


def _plan_directory(directory: Path, stats: ReadStats) -> list[_Planned]:
    planned: list[_Planned] = []
    for path in _candidate_files(directory):
        try:
            fmt = detect_format(path)
        except ReplaySourceError as exc:
            stats.skipped_files += 1
            log.info("skipped %s: %s", path, exc)
            continue
        first = _first_frame(path, fmt)
        if first is None:
            stats.skipped_files += 1
            continue
        planned.append(_Planned(first[0], path, fmt))
    if not planned:
        raise NoRecordingsError(f"{directory}: no recognised recording files")
    planned.sort(key=lambda p: (p.first_ns, str(p.path)))
    return planned


def _first_frame(path: Path, fmt: SourceFormat) -> Frame | None:
    frames = _read_file(path, fmt, ReadStats())
    try:
        return next(frames, None)
    finally:
        frames.close()  # release the file now, not at garbage collection


def _merge(planned: list[_Planned], stats: ReadStats) -> Iterator[Frame]:
    """k-way merge on local_ns that opens a file only when time reaches its first frame."""
    heap: list[tuple[int, int, bytes, Generator[Frame, None, None]]] = []
    seq, nxt = 0, 0
    while heap or nxt < len(planned):
        while nxt < len(planned) and (not heap or planned[nxt].first_ns <= heap[0][0]):
            src = planned[nxt]
            nxt += 1
            it = _read_file(src.path, src.fmt, stats)
            for ns, frame in it:  # first frame only; the rest come from the heap
                heapq.heappush(heap, (ns, seq, frame, it))
                seq += 1
                break
        if not heap:
            continue  # the admitted file turned out empty
        ns, _, frame, it = heapq.heappop(heap)
        yield ns, frame
        if not heap:
            # One file open (the usual case): stream it without the heap until the next
            # file is due, then hand its frame back to the heap exactly as below.
            due = planned[nxt].first_ns if nxt < len(planned) else None
            for ns2, frame2 in it:
                if due is not None and due <= ns2:
                    heapq.heappush(heap, (ns2, seq, frame2, it))
                    seq += 1
                    break
                yield ns2, frame2
            continue
        for ns2, frame2 in it:
            heapq.heappush(heap, (ns2, seq, frame2, it))
            seq += 1
            break


# ---------------------------------------------------------------- public API


def iter_frames(path: ReplaySource, stats: ReadStats | None = None) -> Iterator[Frame]:
    """Yield (local_ns, raw frame) from a recording file, a directory of them, or a
    catalog selection (`catalog.CatalogQuery`: local folder or s3:// URI).

    Raises (eagerly, before the first frame) SourceNotFoundError, UnknownFormatError or
    NoRecordingsError (a catalog: CatalogError); damage inside files is counted in
    `stats`, never raised.
    """
    st = stats if stats is not None else ReadStats()
    if not isinstance(path, str | Path):
        # Lazy: the catalog (pyarrow) is only loaded by those who read one.
        from hyperliquid_ofi_trader.catalog.reader import iter_catalog_frames

        return iter_catalog_frames(path, st)
    path = Path(path)
    if path.is_dir():
        return _merge(_plan_directory(path, st), st)
    if not path.exists():
        raise SourceNotFoundError(f"{path}: no such file or directory")
    return _read_file(path, detect_format(path), st)


def recording_files(path: Path) -> list[Path]:
    """The files a replay of `path` may read: the file itself, or a folder's candidate
    files (what `iter_frames` looks at, before format detection), sorted."""
    if path.is_dir():
        return _candidate_files(path)
    if not path.exists():
        raise SourceNotFoundError(f"{path}: no such file or directory")
    return [path]


@dataclass(slots=True)
class SourceDescription:
    """Summary of a recording, for `hlofi data describe` and sanity checks."""

    path: Path
    frames: int = 0
    first_ns: int | None = None  # earliest receive time seen (not necessarily the first line)
    last_ns: int | None = None  # latest receive time seen
    out_of_order: int = 0
    channels: Counter[str] = field(default_factory=Counter)
    stats: ReadStats = field(default_factory=ReadStats)

    @property
    def span_s(self) -> float:
        if self.first_ns is None or self.last_ns is None:
            return 0.0
        return (self.last_ns - self.first_ns) / 1e9


_CHANNEL_PREFIX = b'{"channel":"'


def channel_of(frame: bytes) -> str:
    """The frame's `channel`, without a full parse when it comes first (as the venue sends)."""
    if frame.startswith(_CHANNEL_PREFIX):
        end = frame.find(b'"', len(_CHANNEL_PREFIX))
        if end > 0:
            return frame[len(_CHANNEL_PREFIX):end].decode(errors="replace")
    try:
        obj = orjson.loads(frame)
    except orjson.JSONDecodeError:
        return "<text>"
    channel = obj.get("channel") if isinstance(obj, dict) else None
    return channel if isinstance(channel, str) else "<no channel>"


def describe(path: Path) -> SourceDescription:
    """Read everything once: frame count, time span, frames per channel, damage counts."""
    desc = SourceDescription(path=Path(path))
    last, lo, hi = -1, 0, 0
    for ns, frame in iter_frames(desc.path, desc.stats):
        if not desc.frames:
            lo = hi = ns
        lo, hi = min(lo, ns), max(hi, ns)
        if ns < last:
            desc.out_of_order += 1
        last = ns
        desc.frames += 1
        desc.channels[channel_of(frame)] += 1
    if desc.frames:
        desc.first_ns, desc.last_ns = lo, hi
    return desc
