"""A backtest's input as decoded frames: from the decoded-recording cache when it holds the
recording, else read and decoded as always (and, for a full replay, stored in the cache).

Either way the run sees the same `(receive time, events)` per frame, the codec's counters
(`frames`, `events_by_type`, `rejections`) and the reader's `ReadStats` end up the same,
and a recording that lacks a traded coin is refused before any output exists.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Generator, Iterable, Iterator
from pathlib import Path

import msgspec

from hyperliquid_ofi_trader.data.coin_scan import check_traded_coins, scan_head
from hyperliquid_ofi_trader.data.decoded_cache import (
    CachedRecording,
    CacheWriter,
    CodecSettings,
    DecodedFrame,
    copy_stats,
    count_decoded,
    open_cached,
    recording_key,
)
from hyperliquid_ofi_trader.data.replay_sources import Frame, ReadStats, ReplaySource, iter_frames
from hyperliquid_ofi_trader.errors import OurBugError
from hyperliquid_ofi_trader.venues.hyperliquid.websocket.codec import HyperliquidCodec

log = logging.getLogger(__name__)


class EmptySourceError(OurBugError):
    """The data source holds no frames."""


def open_decoded(data: ReplaySource, stats: ReadStats, codec: HyperliquidCodec,
                 traded: Iterable[str], cache_dir: Path | None,
                 ) -> tuple[int, Generator[DecodedFrame, None, None]]:
    """The first frame's receive time and every frame decoded by `codec`. `cache_dir`
    None: no cache (catalog selections are never cached: they are already columns).
    Raises the reader's errors, EmptySourceError, or MissingCoinError, eagerly."""
    raw = iter_frames(data, stats)  # raises now for a missing or unknown source
    key = None
    if cache_dir is not None and isinstance(data, Path):
        key = recording_key(data, _settings(codec))
        hit = open_cached(cache_dir, key)
        if hit is not None:
            check_traded_coins(hit.head_coins, hit.head_frames, traded)
            return hit.first_ns, _replay_cached(hit, codec, stats)
    head = next(raw, None)
    if head is None:
        raise EmptySourceError("the data source holds no frames")
    found, scanned, frames = scan_head(itertools.chain((head,), raw))
    check_traded_coins(found, scanned, traded)
    writer = None
    if key is not None and cache_dir is not None:
        try:
            writer = CacheWriter(cache_dir, key, first_ns=head[0], head_coins=found,
                                 head_frames=scanned)
        except OSError as exc:
            log.warning("decoded-recording cache: cannot write in %s (%s): replaying "
                        "without it", cache_dir, exc)
    return head[0], _decode(frames, codec, writer, stats)


def _settings(codec: HyperliquidCodec) -> CodecSettings:
    known, ahead_ms, behind_ms = codec.settings()
    return CodecSettings(known_coins=known, max_ahead_ms=ahead_ms, max_behind_ms=behind_ms)


def _replay_cached(hit: CachedRecording, codec: HyperliquidCodec,
                   stats: ReadStats) -> Generator[DecodedFrame, None, None]:
    counts = (codec.events_by_type, codec.rejections)
    for frame in hit.frames():
        codec.frames += 1
        count_decoded(counts, frame[1])
        yield frame
    if hit.stats is not None:
        copy_stats(hit.stats, stats)


def _decode(frames: Iterator[Frame], codec: HyperliquidCodec, writer: CacheWriter | None,
            stats: ReadStats) -> Generator[DecodedFrame, None, None]:
    """Decode each frame; store it when a writer is given, and publish the entry only
    after the last frame (closing this early, by a limit or an error, drops it)."""
    decode = codec.decode
    complete = False
    try:
        for local_ns, raw in frames:
            events = decode(raw, local_ns)
            if writer is not None:
                try:
                    writer.add(local_ns, events)
                except (msgspec.EncodeError, OverflowError, OSError) as exc:
                    log.warning("decoded-recording cache: cannot store frame at %d (%s): "
                                "replaying without it", local_ns, exc)
                    writer.abort()
                    writer = None
            yield local_ns, events
        complete = True
    finally:
        if writer is not None:
            _finish(writer, stats, complete)


def _finish(writer: CacheWriter, stats: ReadStats, complete: bool) -> None:
    if not complete:
        writer.abort()
        return
    try:
        writer.commit(stats)
    except OSError as exc:
        log.warning("decoded-recording cache: cannot finish the entry (%s)", exc)
        writer.abort()
