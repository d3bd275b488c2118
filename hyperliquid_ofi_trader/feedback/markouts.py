"""Markouts: how the mid moved after each of our fills, at several horizons.

For a fill at exchange time t, the markout at horizon h uses the mid IN FORCE at t + h on
exchange time (the last mid pushed at or before t + h), known once a book event later
than t + h arrives - so markouts complete lazily as book events come, with no timer and
no clock read. Two figures per horizon, both in bps signed by our side (positive = the
market moved our way):
- `move_bps`: mid(t + h) vs the mid in force at the fill (pure price move: the signal's
  test, used by `SignalTrust`);
- `pnl_bps`:  mid(t + h) vs our fill price (what the fill earned, spread capture incl.).
Completed markouts go to the `on_complete` callbacks and to per-horizon statistics.
Fills come from the order manager's fill news (`on_fill_report`), each new fill once.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable, Sequence

import msgspec

from hyperliquid_ofi_trader.core.events import Bbo, BookSnapshot, Fill
from hyperliquid_ofi_trader.core.records import FillReport
from hyperliquid_ofi_trader.feedback.stats import RunningStats

_NS_PER_MS = 1_000_000
_MAX_PENDING = 10_000  # per coin and horizon; beyond that the oldest are dropped (counted)
DEFAULT_HORIZONS_MS: tuple[int, ...] = (100, 1_000, 5_000, 30_000)


class MarkoutResult(msgspec.Struct, frozen=True, gc=False, kw_only=True):
    coin: str
    tid: int
    cloid: str | None
    is_buy: bool
    fill_ns: int
    fill_px: float
    horizon_ms: int
    mid_at_fill: float | None
    mid_at_horizon: float
    move_bps: float | None
    pnl_bps: float


class _PendingMarkout:
    __slots__ = ("due_ns", "fill", "mid0")

    def __init__(self, due_ns: int, fill: Fill, mid0: float | None) -> None:
        self.due_ns = due_ns
        self.fill = fill
        self.mid0 = mid0


def _signed_bps(is_buy: bool, new: float, ref: float) -> float:
    return (1.0 if is_buy else -1.0) * (new - ref) / ref * 1e4


class Markouts:
    """Pending markouts per (coin, horizon), completed as book events arrive."""

    def __init__(self, horizons_ms: Sequence[int] = DEFAULT_HORIZONS_MS) -> None:
        if not horizons_ms or any(h <= 0 for h in horizons_ms):
            raise ValueError(f"horizons must be positive, got {horizons_ms!r}")
        self.horizons_ms = tuple(sorted(set(horizons_ms)))
        self._pending: dict[str, list[deque[_PendingMarkout]]] = {}
        self._mid: dict[str, tuple[int, float]] = {}
        self._listeners: list[Callable[[MarkoutResult], object]] = []
        self.move_bps = {h: RunningStats() for h in self.horizons_ms}
        self.pnl_bps = {h: RunningStats() for h in self.horizons_ms}
        self.dropped = 0
        self.completed = 0

    def add_listener(self, fn: Callable[[MarkoutResult], object]) -> None:
        self._listeners.append(fn)

    # ------------------------------------------------------------ inputs

    def on_fill_report(self, report: FillReport) -> None:
        """The order manager's news of a new fill (`OrderManager.add_fill_listener`)."""
        if not report.is_snapshot:
            self.on_fill(report.fill)

    def on_fill(self, fill: Fill) -> None:
        if not (math.isfinite(fill.price) and fill.price > 0 and fill.exchange_ns > 0):
            return
        last = self._mid.get(fill.coin)
        mid0 = last[1] if last is not None and last[0] <= fill.exchange_ns else None
        queues = self._queues(fill.coin)
        for h, q in zip(self.horizons_ms, queues, strict=True):
            if len(q) >= _MAX_PENDING:
                q.popleft()
                self.dropped += 1
            q.append(_PendingMarkout(fill.exchange_ns + h * _NS_PER_MS, fill, mid0))

    def on_market(self, event: BookSnapshot | Bbo) -> None:
        mid = _mid_of(event)
        if mid is not None and event.exchange_ns > 0:
            self.on_mid(event.coin, mid, event.exchange_ns)

    def on_mid(self, coin: str, mid: float, exchange_ns: int) -> None:
        prev = self._mid.get(coin)
        if prev is not None and exchange_ns < prev[0]:
            return  # out of order: the book already moved past it
        queues = self._pending.get(coin)
        if queues is not None and prev is not None:
            self._complete(queues, exchange_ns, prev[1], strict=True)
        self._mid[coin] = (exchange_ns, mid)
        if queues is not None:
            self._complete(queues, exchange_ns, mid, strict=False)

    # ------------------------------------------------------------ internals

    def _queues(self, coin: str) -> list[deque[_PendingMarkout]]:
        queues = self._pending.get(coin)
        if queues is None:
            queues = self._pending[coin] = [deque() for _ in self.horizons_ms]
        return queues

    def _complete(self, queues: list[deque[_PendingMarkout]], now_ns: int, mid: float, *,
                  strict: bool) -> None:
        """Complete markouts due before now (strict: with the mid that was in force) or
        exactly at now (with the new mid)."""
        for h, q in zip(self.horizons_ms, queues, strict=True):
            while q and (q[0].due_ns < now_ns if strict else q[0].due_ns <= now_ns):
                self._emit(q.popleft(), h, mid)

    def _emit(self, p: _PendingMarkout, horizon_ms: int, mid: float) -> None:
        f = p.fill
        move = None if p.mid0 is None else _signed_bps(f.is_buy, mid, p.mid0)
        pnl = _signed_bps(f.is_buy, mid, f.price)
        result = MarkoutResult(coin=f.coin, tid=f.tid, cloid=f.cloid, is_buy=f.is_buy,
                               fill_ns=f.exchange_ns, fill_px=f.price, horizon_ms=horizon_ms,
                               mid_at_fill=p.mid0, mid_at_horizon=mid, move_bps=move,
                               pnl_bps=pnl)
        self.completed += 1
        if move is not None:
            self.move_bps[horizon_ms].add(move)
        self.pnl_bps[horizon_ms].add(pnl)
        for fn in self._listeners:
            fn(result)

    def summary(self) -> dict[str, dict[int, dict[str, float]]]:
        return {"move_bps": {h: s.summary() for h, s in self.move_bps.items()},
                "pnl_bps": {h: s.summary() for h, s in self.pnl_bps.items()}}


def _mid_of(event: BookSnapshot | Bbo) -> float | None:
    if isinstance(event, BookSnapshot):
        bid = event.bids[0] if event.bids else None
        ask = event.asks[0] if event.asks else None
    else:
        bid, ask = event.bid, event.ask
    if bid is None or ask is None:
        return None
    mid = (bid[0] + ask[0]) * 0.5
    return mid if math.isfinite(mid) and mid > 0 else None
