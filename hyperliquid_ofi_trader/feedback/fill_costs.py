"""What our fills really cost, measured for the cost model (execution/costs.py).

Two estimates the round trip is priced with, each a prior from the `costs` section that our
own fills outweigh after a handful (a mean whose weight is capped, so old fills fade):

- `ExitFillMix`: the maker share of our EXIT fills (a fill that reduces a position: its
  start position is on the other side). The exit rests post-only at our touch first and
  crosses by IOC when that does not fill in time; how often it filled resting is what the
  round trip's exit leg is priced with, not a guess.
- `IocSlippage`: how far beyond the touch our IOC orders filled, in bps of that touch, signed
  against our side. The touch is the one the order was sent against (feedback/slippage.py's
  arrival price, recorded at send): fill vs the mid at send = half-spread at send + this,
  and the cost model charges the current half-spread separately.

Both hear the order manager's news of each new fill once (`on_fill_report`); fills from
snapshots and of orders we have no record of are not ours to measure.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from hyperliquid_ofi_trader.core.records import FillReport
from hyperliquid_ofi_trader.core.stages import Tif
from hyperliquid_ofi_trader.feedback.slippage import OrderContext, signed_bps

# A bad print or a stale context is not slippage (an IOC's limit caps it far below this).
_MAX_SLIPPAGE_BPS = 100.0


class PriorMean:
    """A mean that starts at `prior` worth `prior_weight` samples; each sample adds one, up
    to `max_weight` (then each new sample moves it by 1/max_weight: forgetting)."""

    __slots__ = ("max_weight", "samples", "value", "weight")

    def __init__(self, prior: float, prior_weight: float, max_weight: float) -> None:
        if not (math.isfinite(prior) and prior_weight > 0 and max_weight >= prior_weight):
            raise ValueError(f"need a finite prior, weight > 0 and max >= weight, got "
                             f"{prior}, {prior_weight}, {max_weight}")
        self.value = prior
        self.weight = prior_weight
        self.max_weight = max_weight
        self.samples = 0

    def add(self, x: float) -> None:
        n = min(self.weight + 1.0, self.max_weight)
        self.value += (x - self.value) / n
        self.weight = n
        self.samples += 1


class ExitFillMix:
    """Maker share of our exit fills (`maker_share()`), from the prior until measured."""

    __slots__ = ("_share",)

    def __init__(self, prior_share: float, prior_fills: float) -> None:
        self._share = PriorMean(prior_share, prior_fills, prior_fills * 5)

    def on_fill_report(self, report: FillReport) -> None:
        fill = report.fill
        if report.is_snapshot or report.cloid is None:
            return
        start = fill.start_position
        if start == 0.0 or (start > 0) == fill.is_buy:
            return  # an entry (or adding to a position): not an exit
        self._share.add(0.0 if fill.crossed else 1.0)

    def maker_share(self) -> float:
        return self._share.value

    @property
    def samples(self) -> int:
        return self._share.samples


class IocSlippage:
    """Our IOC orders' fills beyond the touch they were sent against (`slippage_bps()`,
    >= 0). One sample per ORDER, its size-weighted mean over its fills: a sweep's small
    remainders at deeper levels are part of one order's cost, not orders of their own.
    An order's fills arrive together (an IOC matches on arrival), so its sample is taken
    when the next order's first fill arrives."""

    __slots__ = ("_cloid", "_context", "_mean", "_size", "_sum")

    def __init__(self, context: Callable[[str | None], OrderContext | None],
                 prior_bps: float, prior_fills: float) -> None:
        """`context`: the order's context at send by cloid (`SlippageTracker.context`)."""
        self._context = context
        self._mean = PriorMean(prior_bps, prior_fills, prior_fills * 5)
        self._cloid: str | None = None  # the order being summed
        self._sum = self._size = 0.0

    def on_fill_report(self, report: FillReport) -> None:
        fill = report.fill
        if report.is_snapshot or report.tif is not Tif.IOC or not fill.crossed:
            return
        ctx = self._context(report.cloid)
        if ctx is None:
            return
        bps = signed_bps(fill.is_buy, fill.price, ctx.arrival_px)
        if bps is None or abs(bps) > _MAX_SLIPPAGE_BPS:
            return
        if report.cloid != self._cloid:
            self._commit()
            self._cloid = report.cloid
        self._sum += bps * fill.size
        self._size += fill.size

    def _commit(self) -> None:
        if self._size > 0:
            self._mean.add(self._sum / self._size)
        self._sum = self._size = 0.0

    def slippage_bps(self) -> float:
        # A fill better than the touch at send (the book came to us in flight) is luck,
        # not a discount to plan on: the expected cost never goes below the touch.
        return max(self._mean.value, 0.0)

    @property
    def samples(self) -> int:
        return self._mean.samples
