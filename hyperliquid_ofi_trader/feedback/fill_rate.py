"""Fill rates per TIF: how many orders fill at all, how fast, how many are cancelled.

The numbers that tell whether post-only quoting earns its keep: a post-only order that is
cancelled unfilled cost a round trip and a rate-limit unit for nothing. An order is
"closed" when the venue reports a terminal status (filled, canceled, rejected, margin
canceled); ratios are over closed orders. Time to first fill uses our own receive clock
on both ends (place sent -> first fill received), so host/venue clock skew cannot bias it.
Fills come from the order manager's fill news (`on_fill_report`, each new fill once),
statuses from the private stream (`on_private`).
"""

from __future__ import annotations

from collections import OrderedDict

from hyperliquid_ofi_trader.core.events import OrderStatus, OrderUpdate, PrivateEvent
from hyperliquid_ofi_trader.core.records import FillReport
from hyperliquid_ofi_trader.feedback.stats import RunningStats

_MAX_ORDERS = 20_000
_NS_PER_MS = 1_000_000
_CANCELLED = frozenset({OrderStatus.CANCELED, OrderStatus.MARGIN_CANCELED,
                        OrderStatus.REJECTED})


class _Order:
    __slots__ = ("closed", "first_fill_ns", "sent_ns", "tif")

    def __init__(self, tif: str, sent_ns: int) -> None:
        self.tif = tif
        self.sent_ns = sent_ns
        self.first_fill_ns: int | None = None
        self.closed = False


class TifCounts:
    __slots__ = ("cancelled", "cancelled_partial", "closed", "filled", "placed",
                 "time_to_fill_ms")

    def __init__(self) -> None:
        self.placed = 0
        self.closed = 0
        self.filled = 0  # closed with at least one fill
        self.cancelled = 0  # closed without any fill
        self.cancelled_partial = 0  # closed by cancel after a partial fill
        self.time_to_fill_ms = RunningStats()

    def summary(self) -> dict[str, float]:
        closed = self.closed or 1
        return {"placed": self.placed, "closed": self.closed,
                "fill_ratio": self.filled / closed if self.closed else float("nan"),
                "cancel_ratio": self.cancelled / closed if self.closed else float("nan"),
                "cancelled_partial": self.cancelled_partial,
                "time_to_fill_ms_p50": self.time_to_fill_ms.percentile(50),
                "time_to_fill_ms_mean": self.time_to_fill_ms.mean}


class FillRateTracker:
    """Per-TIF fill and cancel ratios. A PrivateListener; `on_place` comes from the probe."""

    def __init__(self) -> None:
        self._orders: OrderedDict[str, _Order] = OrderedDict()
        self.by_tif: dict[str, TifCounts] = {}

    def on_place(self, cloid: str, tif: str, sent_ns: int) -> None:
        self._orders[cloid] = _Order(tif, sent_ns)
        if len(self._orders) > _MAX_ORDERS:
            self._orders.popitem(last=False)
        self._counts(tif).placed += 1

    def on_private(self, event: PrivateEvent) -> None:
        if isinstance(event, OrderUpdate):
            self._on_update(event)

    def on_fill_report(self, report: FillReport) -> None:
        """The order manager's news of a new fill (`OrderManager.add_fill_listener`)."""
        if not report.is_snapshot:
            self._on_fill(report.fill.cloid, report.local_ns)

    def post_only_fill_ratio(self) -> float:
        counts = self.by_tif.get("Alo")
        return float("nan") if counts is None or not counts.closed else (
            counts.filled / counts.closed)

    def summary(self) -> dict[str, dict[str, float]]:
        return {tif: c.summary() for tif, c in self.by_tif.items()}

    def _counts(self, tif: str) -> TifCounts:
        counts = self.by_tif.get(tif)
        if counts is None:
            counts = self.by_tif[tif] = TifCounts()
        return counts

    def _on_fill(self, cloid: str | None, local_ns: int) -> None:
        order = None if cloid is None else self._orders.get(cloid)
        if order is None or order.first_fill_ns is not None:
            return
        order.first_fill_ns = local_ns
        self._counts(order.tif).time_to_fill_ms.add((local_ns - order.sent_ns) / _NS_PER_MS)

    def _on_update(self, ev: OrderUpdate) -> None:
        order = None if ev.cloid is None else self._orders.get(ev.cloid)
        if order is None or order.closed:
            return
        if ev.status is OrderStatus.FILLED:
            self._close(order, filled=True)
        elif ev.status in _CANCELLED:
            partial = ev.size < ev.orig_size or order.first_fill_ns is not None
            self._close(order, filled=partial)
            if partial:
                self._counts(order.tif).cancelled_partial += 1

    def _close(self, order: _Order, *, filled: bool) -> None:
        order.closed = True
        counts = self._counts(order.tif)
        counts.closed += 1
        if filled:
            counts.filled += 1
        else:
            counts.cancelled += 1
