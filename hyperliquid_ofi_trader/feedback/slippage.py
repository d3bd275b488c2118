"""Slippage of our fills against the decision mid and the arrival price, per TIF.

- decision mid: the book mid when the order was decided (what the alpha saw);
- arrival price: the touch we would trade against when the order left (best ask for a
  buy, best bid for a sell) - for an IOC the cost of crossing is priced in here, so
  "vs arrival" isolates what the book did while the order travelled.
Both are in bps signed against our side: positive = we paid more (buy) / got less (sell).
The order context comes from `record_order` (see `feedback.probe.FeedbackProbe`, which
records it when the order manager sends a PlaceOrder); fills are matched by cloid and
come from the order manager's fill news (`on_fill_report`), each new fill once.
"""

from __future__ import annotations

import math
from collections import OrderedDict

import msgspec

from hyperliquid_ofi_trader.core.events import Fill
from hyperliquid_ofi_trader.core.records import FillReport
from hyperliquid_ofi_trader.feedback.stats import RunningStats

_MAX_ORDERS = 20_000  # contexts kept; oldest dropped first (orders live seconds, not hours)


class OrderContext(msgspec.Struct, frozen=True, gc=False, kw_only=True):
    coin: str
    is_buy: bool
    tif: str
    decision_mid: float | None
    arrival_px: float | None
    sent_ns: int


class SlippageSample(msgspec.Struct, frozen=True, gc=False, kw_only=True):
    cloid: str
    tif: str
    vs_mid_bps: float | None
    vs_arrival_bps: float | None


def signed_bps(is_buy: bool, price: float, reference: float | None) -> float | None:
    """(price - reference) in bps, signed so that positive is worse for our side."""
    if reference is None or not (math.isfinite(reference) and reference > 0):
        return None
    return (1.0 if is_buy else -1.0) * (price - reference) / reference * 1e4


class SlippageTracker:
    """Per-TIF slippage statistics. Also a PrivateListener (live fills only)."""

    def __init__(self) -> None:
        self._orders: OrderedDict[str, OrderContext] = OrderedDict()
        self.vs_mid: dict[str, RunningStats] = {}
        self.vs_arrival: dict[str, RunningStats] = {}
        self.unmatched = 0

    def record_order(self, cloid: str, ctx: OrderContext) -> None:
        self._orders[cloid] = ctx
        if len(self._orders) > _MAX_ORDERS:
            self._orders.popitem(last=False)

    def context(self, cloid: str | None) -> OrderContext | None:
        return None if cloid is None else self._orders.get(cloid)

    def on_fill_report(self, report: FillReport) -> None:
        """The order manager's news of a new fill (`OrderManager.add_fill_listener`);
        history from snapshots is not ours to measure."""
        if not report.is_snapshot:
            self.on_fill(report.fill)

    def on_fill(self, fill: Fill) -> SlippageSample | None:
        ctx = self.context(fill.cloid)
        if ctx is None or fill.cloid is None:
            self.unmatched += 1
            return None
        mid = signed_bps(fill.is_buy, fill.price, ctx.decision_mid)
        arr = signed_bps(fill.is_buy, fill.price, ctx.arrival_px)
        if mid is not None:
            self.vs_mid.setdefault(ctx.tif, RunningStats()).add(mid)
        if arr is not None:
            self.vs_arrival.setdefault(ctx.tif, RunningStats()).add(arr)
        return SlippageSample(cloid=fill.cloid, tif=ctx.tif, vs_mid_bps=mid,
                              vs_arrival_bps=arr)

    def fill_slippage_bps(self, fill: Fill) -> float | None:
        """Slippage vs the decision mid (for the kill switch's consecutive-slippage rule)."""
        ctx = self.context(fill.cloid)
        return None if ctx is None else signed_bps(fill.is_buy, fill.price, ctx.decision_mid)

    def summary(self) -> dict[str, dict[str, dict[str, float]]]:
        return {"vs_mid": {t: s.summary() for t, s in self.vs_mid.items()},
                "vs_arrival": {t: s.summary() for t, s in self.vs_arrival.items()}}
