"""Candles for `candleSnapshot`, built from the prints the emulator has seen.

Every print (the external market's and the emulator's own fills) is kept per coin in a
bounded window, time-ordered; a snapshot buckets the prints inside [startTime, endTime] by
the interval and returns the venue's candle objects, oldest first, at most 5000 of them:
`{t, T, s, i, o, c, h, l, v, n}` with `t` the bucket's open, `T` = next open - 1, prices
and base volume as decimal strings. Buckets with no print are absent, as on the venue.

Fixed intervals are aligned to the Unix epoch (so 1w buckets open on Thursdays, the epoch's
weekday); "1M" buckets are calendar months in UTC.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections import deque
from datetime import UTC, datetime
from itertools import islice
from typing import Any, Final

from hyperliquid_ofi_trader.sim.accounts import num

_MIN: Final = 60_000
INTERVAL_MS: Final[dict[str, int]] = {
    "1m": _MIN, "3m": 3 * _MIN, "5m": 5 * _MIN, "15m": 15 * _MIN, "30m": 30 * _MIN,
    "1h": 60 * _MIN, "2h": 120 * _MIN, "4h": 240 * _MIN, "8h": 480 * _MIN,
    "12h": 720 * _MIN, "1d": 1440 * _MIN, "3d": 3 * 1440 * _MIN, "1w": 7 * 1440 * _MIN,
}
MONTH: Final = "1M"
MAX_CANDLES: Final = 5000


def is_interval(text: object) -> bool:
    return text == MONTH or text in INTERVAL_MS


def _month_bounds(time_ms: int) -> tuple[int, int]:
    """(open, next open) in ms of the UTC calendar month holding `time_ms`."""
    day = datetime.fromtimestamp(time_ms / 1000, tz=UTC)
    start = datetime(day.year, day.month, 1, tzinfo=UTC)
    nxt = datetime(day.year + (day.month == 12), day.month % 12 + 1, 1, tzinfo=UTC)
    return int(start.timestamp() * 1000), int(nxt.timestamp() * 1000)


def bucket(time_ms: int, interval: str) -> tuple[int, int]:
    """(open, next open) of the bucket that holds `time_ms`."""
    if interval == MONTH:
        return _month_bounds(time_ms)
    step = INTERVAL_MS[interval]
    start = time_ms - time_ms % step
    return start, start + step


class _Candle:
    __slots__ = ("close", "count", "high", "low", "open", "volume")

    def __init__(self, px: float, sz: float) -> None:
        self.open = self.high = self.low = self.close = px
        self.volume = sz
        self.count = 1

    def add(self, px: float, sz: float) -> None:
        self.high = max(self.high, px)
        self.low = min(self.low, px)
        self.close = px
        self.volume += sz
        self.count += 1


class CandleBook:
    """Prints per coin (time ms, px, sz), at most `max_prints` per coin, oldest dropped."""

    __slots__ = ("_prints", "_times", "max_prints")

    def __init__(self, max_prints: int = 200_000) -> None:
        self.max_prints = max_prints
        self._times: dict[str, deque[int]] = {}
        self._prints: dict[str, deque[tuple[float, float]]] = {}

    def record(self, coin: str, time_ms: int, px: float, sz: float) -> None:
        times = self._times.get(coin)
        if times is None:
            times = self._times[coin] = deque(maxlen=self.max_prints)
            self._prints[coin] = deque(maxlen=self.max_prints)
        if times and time_ms < times[-1]:
            time_ms = times[-1]  # a late print joins the newest bucket, never reorders
        times.append(time_ms)
        self._prints[coin].append((px, sz))

    def daily_notional(self, since_ms: int, day_ms: int) -> dict[int, float]:
        """Day index (time // day_ms) -> notional of every print since `since_ms`."""
        out: dict[int, float] = {}
        for coin, times in self._times.items():
            lo = bisect_left(times, since_ms)
            for time_ms, (px, sz) in islice(zip(times, self._prints[coin], strict=True), lo,
                                            None):
                day = time_ms // day_ms
                out[day] = out.get(day, 0.0) + px * sz
        return out

    def snapshot(self, coin: str, interval: str, start_ms: int,
                 end_ms: int) -> list[dict[str, Any]]:
        times = self._times.get(coin)
        if not times or end_ms < start_ms:
            return []
        lo, hi = bisect_left(times, start_ms), bisect_right(times, end_ms)
        candles: dict[int, tuple[int, _Candle]] = {}
        # one pass over the window (indexing a deque in the middle is not O(1))
        for time_ms, (px, sz) in islice(zip(times, self._prints[coin], strict=True), lo, hi):
            opened, next_open = bucket(time_ms, interval)
            found = candles.get(opened)
            if found is None:
                candles[opened] = (next_open, _Candle(px, sz))
            else:
                found[1].add(px, sz)
        ordered = sorted(candles.items())[-MAX_CANDLES:]
        return [_wire(coin, interval, opened, next_open, c)
                for opened, (next_open, c) in ordered]


def _wire(coin: str, interval: str, opened: int, next_open: int,
          c: _Candle) -> dict[str, Any]:
    return {"t": opened, "T": next_open - 1, "s": coin, "i": interval, "o": num(c.open),
            "c": num(c.close), "h": num(c.high), "l": num(c.low), "v": num(c.volume),
            "n": c.count}
