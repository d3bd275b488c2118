"""Decode a recording once: the codec's output for every frame, cached on disk.

Backtests, sweeps and forecast fits replay the same recording many times, and each replay
used to read, decompress, split and JSON-decode every frame again. The first full replay of
a recording now also writes what the codec made of each frame (the exact event objects,
rejections included) to a cache file; later replays read the events back (msgpack, one
`msgspec` decode per event) instead of the raw frames.

The cache is keyed by content, never by path or modification time: the sha256 of every
file the reader would open (names and bytes), the codec's settings (coins, time windows),
the event classes' field layout and this format's version. A recording that changes in any
byte, a different coin set or a changed event class therefore never meets an old entry.
An entry is one file, written under a temporary name and renamed into place when the
replay that built it read every frame (a replay stopped early, by a limit or an error,
leaves nothing behind). It ends with the sha256 of everything before it, checked before a
single event is used: a damaged or truncated entry is logged, deleted and rebuilt, never
half-replayed.

Where: `$HLOFI_DECODED_CACHE` (a folder; `off` disables the cache), else
`$XDG_CACHE_HOME/hyperliquid_ofi_trader/decoded`, else `~/.cache/hyperliquid_ofi_trader/
decoded`. Entries can be deleted at any time.

Layout of an entry: MAGIC, then records of [4-byte little-endian length][msgpack], the
first a `_Header`, then `_Chunk`s of up to `CHUNK_FRAMES` frames, then one `_Trailer`;
then the 32-byte sha256 of all bytes before it.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import logging
import os
import struct
import typing
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any, Final

import msgspec

from hyperliquid_ofi_trader.core.events import AnyEvent, Rejection
from hyperliquid_ofi_trader.data.replay_sources import ReadStats, recording_files
from hyperliquid_ofi_trader.errors import TransientError

log = logging.getLogger(__name__)

CACHE_ENV: Final = "HLOFI_DECODED_CACHE"
FORMAT_VERSION: Final = 1
CHUNK_FRAMES: Final = 2048
MAGIC: Final = b"HLOFI-DECODED\x00v1\n"
_SUFFIX: Final = ".hlofi-decoded"
_LEN: Final = struct.Struct("<I")
_DIGEST_BYTES: Final = 32
_OFF: Final = frozenset({"", "0", "off", "none", "false", "no"})

DecodedFrame = tuple[int, list[AnyEvent]]


class CodecSettings(msgspec.Struct, frozen=True, kw_only=True):
    """What, besides the bytes, decides the codec's output (part of the key)."""

    known_coins: tuple[str, ...] | None
    max_ahead_ms: int
    max_behind_ms: int


class _Header(msgspec.Struct, tag="h", array_like=True):
    key: str
    first_ns: int
    head_coins: list[str]
    head_frames: int


class _Chunk(msgspec.Struct, tag="c", array_like=True):
    # (receive time, [(event class index, msgpack of the event), ...]) per frame
    frames: list[tuple[int, list[tuple[int, msgspec.Raw]]]]


class _Trailer(msgspec.Struct, tag="t", array_like=True):
    frames: int
    stats: dict[str, Any]


class CacheCorruptError(TransientError):
    """An entry's bytes are not what was written (checked before use)."""


# ---------------------------------------------------------------- where and which


def default_cache_dir() -> Path | None:
    """The cache folder the environment names, or None when it turns the cache off."""
    value = os.environ.get(CACHE_ENV)
    if value is not None:
        return None if value.strip().lower() in _OFF else Path(value).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "hyperliquid_ofi_trader" / "decoded"


@functools.cache
def _event_types() -> tuple[type[AnyEvent], ...]:
    return typing.get_args(AnyEvent)


@functools.cache
def _event_layout() -> bytes:
    """The event classes' names, fields and field types: a change to any invalidates."""
    layout = [(t.__qualname__, [(f.name, repr(f.type)) for f in msgspec.structs.fields(t)])
              for t in _event_types()]
    return repr(layout).encode()


def recording_key(source: Path, settings: CodecSettings) -> str:
    """The content key of `source` (a recording file or folder) decoded with `settings`."""
    digest = hashlib.sha256()
    digest.update(MAGIC)
    digest.update(_event_layout())
    digest.update(msgspec.msgpack.encode(settings))
    root = source if source.is_dir() else source.parent
    for path in recording_files(source):
        digest.update(f"\0file {path.relative_to(root).as_posix()}\0".encode())
        with path.open("rb") as fh:
            digest.update(hashlib.file_digest(fh, "sha256").digest())
    return digest.hexdigest()


def _entry_path(cache_dir: Path, key: str) -> Path:
    return cache_dir / f"{key}{_SUFFIX}"


# ---------------------------------------------------------------- reading


class CachedRecording:
    """A verified entry: the header's facts and the decoded frames, read lazily."""

    __slots__ = ("_decoders", "first_ns", "head_coins", "head_frames", "path", "stats")

    def __init__(self, path: Path, header: _Header) -> None:
        self.path = path
        self.first_ns = header.first_ns
        self.head_coins = frozenset(header.head_coins)
        self.head_frames = header.head_frames
        self.stats: ReadStats | None = None  # the reader's counts, once the trailer is read
        self._decoders = tuple(msgspec.msgpack.Decoder(t) for t in _event_types())

    def frames(self) -> Iterator[DecodedFrame]:
        """Every frame's (receive time, events), in recording order."""
        records: msgspec.msgpack.Decoder[_Chunk | _Trailer] = msgspec.msgpack.Decoder(
            _Chunk | _Trailer)
        decoders = self._decoders
        with self.path.open("rb") as fh:
            fh.seek(len(MAGIC))
            _read_record(fh)  # the header, read at open
            while True:
                record = records.decode(_read_record(fh))
                if isinstance(record, _Trailer):
                    self.stats = _stats_from(record.stats)
                    return
                for local_ns, events in record.frames:
                    yield local_ns, [decoders[kind].decode(raw) for kind, raw in events]


def open_cached(cache_dir: Path, key: str) -> CachedRecording | None:
    """The entry for `key`, verified; None when there is none or it was damaged (then it
    is deleted, with a logged message, so that this replay rebuilds it)."""
    path = _entry_path(cache_dir, key)
    try:
        _verify(path)
        with path.open("rb") as fh:
            fh.seek(len(MAGIC))
            header = msgspec.msgpack.decode(_read_record(fh), type=_Header)
        if header.key != key:
            raise CacheCorruptError(f"entry is for key {header.key[:16]}...")
    except FileNotFoundError:
        return None
    except (OSError, CacheCorruptError, msgspec.DecodeError) as exc:
        log.warning("decoded-recording cache entry %s is unusable (%s): deleting it and "
                    "decoding the recording again", path, exc)
        path.unlink(missing_ok=True)
        return None
    return CachedRecording(path, header)


def _verify(path: Path) -> None:
    size = path.stat().st_size
    body = size - _DIGEST_BYTES
    if body < len(MAGIC):
        raise CacheCorruptError(f"{size} bytes is too short")
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        if fh.read(len(MAGIC)) != MAGIC:
            raise CacheCorruptError("not a decoded-recording cache file of this version")
        digest.update(MAGIC)
        left = body - len(MAGIC)
        while left > 0:
            block = fh.read(min(left, 1 << 20))
            if not block:
                raise CacheCorruptError("file shorter than it claims")
            digest.update(block)
            left -= len(block)
        if fh.read() != digest.digest():
            raise CacheCorruptError("checksum mismatch (damaged or truncated)")


def _read_record(fh: IO[bytes]) -> bytes:
    head = fh.read(_LEN.size)
    if len(head) != _LEN.size:
        raise CacheCorruptError("record header cut short")
    (length,) = _LEN.unpack(head)
    data = fh.read(length)
    if len(data) != length:
        raise CacheCorruptError("record cut short")
    return data


def _stats_to(stats: ReadStats) -> dict[str, Any]:
    # Not `dataclasses.asdict`: it rebuilds a Counter from (key, count) pairs, counting them.
    out = {f.name: getattr(stats, f.name) for f in dataclasses.fields(ReadStats)}
    out["malformed_reasons"] = dict(stats.malformed_reasons)
    return out


def _stats_from(raw: dict[str, Any]) -> ReadStats:
    fields = {f.name for f in dataclasses.fields(ReadStats)}
    values = {k: v for k, v in raw.items() if k in fields}
    values["malformed_reasons"] = Counter(values.get("malformed_reasons", {}))
    return ReadStats(**values)


def copy_stats(src: ReadStats, dst: ReadStats) -> None:
    """Overwrite `dst`'s counts with `src`'s (the run's own ReadStats object stays)."""
    for f in dataclasses.fields(ReadStats):
        setattr(dst, f.name, getattr(src, f.name))


def count_decoded(codec_counts: tuple[dict[str, int], dict[str, int]],
                  events: list[AnyEvent]) -> None:
    """Count cached events as the codec counts what it decodes: by class name, and each
    `Rejection` (one per codec rejection) by its reason."""
    by_type, rejections = codec_counts
    for event in events:
        name = type(event).__name__
        by_type[name] = by_type.get(name, 0) + 1
        if isinstance(event, Rejection):
            rejections[event.reason] = rejections.get(event.reason, 0) + 1


# ---------------------------------------------------------------- writing


class CacheWriter:
    """Builds one entry beside its final name; `commit` renames it into place."""

    __slots__ = ("_codes", "_digest", "_encode", "_fh", "_final", "_frames", "_pending",
                 "_tmp")

    def __init__(self, cache_dir: Path, key: str, *, first_ns: int,
                 head_coins: frozenset[str], head_frames: int) -> None:
        cache_dir.mkdir(parents=True, exist_ok=True)
        self._final = _entry_path(cache_dir, key)
        self._tmp = self._final.with_name(f".{self._final.name}.{os.getpid()}.{id(self)}.tmp")
        self._fh: IO[bytes] = self._tmp.open("wb")
        self._digest = hashlib.sha256()
        self._encode = msgspec.msgpack.Encoder().encode
        self._codes = {t: i for i, t in enumerate(_event_types())}
        self._pending: list[tuple[int, list[tuple[int, msgspec.Raw]]]] = []
        self._frames = 0
        self._write(MAGIC)
        self._record(_Header(key, first_ns, sorted(head_coins), head_frames))

    def add(self, local_ns: int, events: list[AnyEvent]) -> None:
        """One frame's events (raises msgspec.EncodeError for a value msgpack cannot hold,
        e.g. an integer beyond 64 bits: the caller then abandons the entry)."""
        codes, encode = self._codes, self._encode
        self._pending.append(
            (local_ns, [(codes[type(ev)], msgspec.Raw(encode(ev))) for ev in events]))
        self._frames += 1
        if len(self._pending) >= CHUNK_FRAMES:
            self._flush_chunk()

    def commit(self, stats: ReadStats) -> Path:
        """Finish the entry (the reader's final counts in its trailer) and publish it."""
        self._flush_chunk()
        self._record(_Trailer(self._frames, _stats_to(stats)))
        self._fh.write(self._digest.digest())
        self._fh.close()
        os.replace(self._tmp, self._final)
        log.info("decoded-recording cache: wrote %s (%d frames)", self._final, self._frames)
        return self._final

    def abort(self) -> None:
        """Drop the partial entry (the replay stopped before the last frame)."""
        self._fh.close()
        self._tmp.unlink(missing_ok=True)

    def _flush_chunk(self) -> None:
        if self._pending:
            self._record(_Chunk(self._pending))
            self._pending = []

    def _record(self, record: _Header | _Chunk | _Trailer) -> None:
        data = self._encode(record)
        self._write(_LEN.pack(len(data)))
        self._write(data)

    def _write(self, data: bytes) -> None:
        self._digest.update(data)
        self._fh.write(data)
