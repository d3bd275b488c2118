"""Market sources for the emulator: where its external market comes from.

A `MarketSource` (sim/pump.py) hands out batches of market events, each with the offset (ns from the
source's start) at which it is due. The emulator's server pumps any source the same way:
wait until `start + offset` (scaled by nothing: sources already apply their speed), feed
the events to the venue (`SimVenue.on_market`) and push them to subscribers. Two sources:
- `SyntheticMarket` (sim/synthetic.py): one batch per block, endless;
- `ReplayMarketSource` (here): a recording (ours, the shared capture, the archive) decoded
  by the production codec, one batch per recorded frame.

Re-timing of a replay: the first frame is due at offset 0 and the gaps between recorded
receive times are kept, divided by `speed` (2.0 = twice as fast). Recorded receive times
may jitter backwards; offsets never do (a frame is then due with the previous one).

Event times: by default events keep their recorded exchange and receive times. A live
emulator wants fresh times (clients measure feed latency and staleness on them), so with
`rebase_ns` every time t becomes `rebase_ns + (t - first receive time) / speed`, rounded
down to a whole millisecond for exchange times (the venue sends ms). When looping, each
pass is shifted by the recording's span so that exchange times keep increasing (books
would refuse a snapshot older than the last) and trade ids by a constant so that pass
k+1's prints are not de-duplicated away as pass k's.

No sockets, no wall clock: the caller (the server, an async edge) decides when "start" is.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path
from typing import Final

import msgspec

from hyperliquid_ofi_trader.core.events import AssetCtx, Bbo, BookSnapshot, MarketEvent, Trades
from hyperliquid_ofi_trader.data.replay_sources import ReadStats, iter_frames
from hyperliquid_ofi_trader.venues.hyperliquid.websocket.codec import HyperliquidCodec

_MS: Final = 1_000_000
_MARKET: Final = (BookSnapshot, Bbo, Trades, AssetCtx)


class _Retimer:
    """Maps recorded times of one pass onto the emulator's timeline."""

    __slots__ = ("anchor", "rebase", "speed")

    def __init__(self, anchor: int, speed: float, rebase: int | None) -> None:
        self.anchor = anchor
        self.speed = speed
        self.rebase = rebase

    def offset(self, recorded_ns: int) -> int:
        return round((recorded_ns - self.anchor) / self.speed)

    def time(self, recorded_ns: int, shift_ns: int) -> int:
        """A receive time: shifted by the pass, rebased and scaled when asked."""
        t = recorded_ns + shift_ns
        return t if self.rebase is None else self.rebase + self.offset(t)

    def exchange(self, exchange_ns: int, shift_ns: int) -> int:
        """An exchange time, kept in whole ms; 0 (the venue sent none) stays 0."""
        if exchange_ns == 0:
            return 0
        t = self.time(exchange_ns, shift_ns)
        return t - t % _MS


class ReplayMarketSource:
    """A recording as a market source: decoded by the production codec, re-timed.

    Raises the replay reader's errors (`SourceNotFoundError`, `UnknownFormatError`,
    `NoRecordingsError`: the user pointed at something we cannot replay) when built;
    damaged lines and frames the codec refuses are counted (`read_stats`,
    `codec.rejections`), never raised.
    """

    def __init__(self, path: Path | str, speed: float = 1.0, loop: bool = False, *,
                 rebase_ns: int | None = None,
                 coins: frozenset[str] | None = None) -> None:
        if not (math.isfinite(speed) and speed > 0.0):
            raise ValueError(f"replay speed must be a positive number, got {speed!r}")
        self.path = Path(path)
        self.speed = speed
        self.loop = loop
        self.rebase_ns = rebase_ns
        self.codec = HyperliquidCodec(coins)
        self.read_stats = ReadStats()
        self.passes = 0
        self.frames = 0
        self.skipped_events = 0
        self._frames = iter_frames(self.path, self.read_stats)  # raises now if unreadable
        self._batches = self._generate()

    # ------------------------------------------------------------ public

    def next_batch(self) -> tuple[int, list[MarketEvent]] | None:
        return next(self._batches, None)

    def __iter__(self) -> Iterator[tuple[int, MarketEvent]]:
        """(due offset in ns, event) one event at a time."""
        while (batch := self.next_batch()) is not None:
            offset, events = batch
            for ev in events:
                yield offset, ev

    # ------------------------------------------------------------ internals

    def _generate(self) -> Iterator[tuple[int, list[MarketEvent]]]:
        frames: Iterator[tuple[int, bytes]] = self._frames
        retimer: _Retimer | None = None
        last_offset, shift, tid_shift = 0, 0, 0
        while True:
            first = last = -1
            count, max_tid = 0, -1
            for local_ns, raw in frames:
                self.frames += 1
                count += 1
                if retimer is None:
                    retimer = _Retimer(local_ns, self.speed, self.rebase_ns)
                first = local_ns if count == 1 else first
                last = local_ns
                events = self._market_events(raw, local_ns)
                if not events:
                    continue
                max_tid = max(max_tid, _max_tid(events))
                last_offset = max(last_offset, retimer.offset(local_ns + shift))
                yield last_offset, [_retime(ev, retimer, shift, tid_shift) for ev in events]
            self.passes += 1
            if not (self.loop and count and self._produced()):
                return
            # The next pass starts one average frame gap after this one ends; the shift is
            # whole milliseconds so that exchange times stay whole milliseconds.
            gap = max(_MS, (last - first) // max(1, count - 1))
            shift += -(-(last - first + gap) // _MS) * _MS
            tid_shift += max_tid + 1
            frames = iter_frames(self.path, self.read_stats)

    def _produced(self) -> bool:
        """Whether any market event came out so far (looping an empty file would spin)."""
        return any(self.codec.events_by_type.get(t.__name__, 0) for t in _MARKET)

    def _market_events(self, raw: bytes, local_ns: int) -> list[MarketEvent]:
        out: list[MarketEvent] = []
        for ev in self.codec.decode(raw, local_ns):
            if isinstance(ev, _MARKET):
                out.append(ev)
            else:
                self.skipped_events += 1  # greetings, acks, rejections: counted by the codec
        return out


def _max_tid(events: list[MarketEvent]) -> int:
    return max((t.tid for ev in events if isinstance(ev, Trades) for t in ev.trades),
               default=-1)


def _retime(ev: MarketEvent, r: _Retimer, shift: int, tid_shift: int) -> MarketEvent:
    if r.rebase is None and shift == 0:
        return ev  # the first pass as recorded: nothing to change
    local = r.time(ev.local_ns, shift)
    exchange = r.exchange(ev.exchange_ns, shift)
    if isinstance(ev, Trades):
        trades = tuple(msgspec.structs.replace(t, exchange_ns=r.exchange(t.exchange_ns, shift),
                                               tid=t.tid + tid_shift) for t in ev.trades)
        return msgspec.structs.replace(ev, exchange_ns=exchange, local_ns=local, trades=trades)
    return msgspec.structs.replace(ev, exchange_ns=exchange, local_ns=local)
