"""Our measured entry latency: how long an order takes from our send to the venue's match.

The forecast (alpha/forecast.py) is fitted on the mid `latency_ms` after the decision, the
time an order was assumed to need to reach the venue. What it really needs is what the cost
model (execution/costs.py) charges: the decision's own latency (the triggering event's
exchange time to our send, known per decision) plus this entry latency, measured here on our
IOC fills: the venue's match time (the fill's exchange time) minus the time the order was
created and sent (the fill report's `intent_ns`, our clock). An IOC
matches on arrival or never, so that difference is the one-way trip (a resting order's fill
time says when the market came to it, not when it arrived).

Per order, its first fill counts once (a sweep across levels is one trip). The estimate is an
exponentially weighted mean; until `min_samples` orders were measured it says nothing
(None: the cost model keeps the configured latency). A difference outside [0, 10 s] is a
clock skew or a bad print, not a latency: ignored. Deterministic under a replay clock.
"""

from __future__ import annotations

import math
from typing import Final

from hyperliquid_ofi_trader.core.records import FillReport
from hyperliquid_ofi_trader.core.stages import Tif

_NS_PER_MS: Final = 1_000_000
_MAX_MS: Final = 10_000.0


class EntryLatency:
    """`on_fill_report` (an order manager fill listener) in, `entry_ms()` out."""

    __slots__ = ("_last_cloid", "_mean", "min_samples", "samples", "weight")

    def __init__(self, *, min_samples: int = 5, weight: float = 0.1) -> None:
        if min_samples < 1 or not 0.0 < weight <= 1.0:
            raise ValueError(f"need min_samples >= 1 and weight in (0, 1], got "
                             f"{min_samples}, {weight}")
        self.min_samples = min_samples
        self.weight = weight
        self._mean = math.nan
        self._last_cloid: str | None = None
        self.samples = 0

    def on_fill_report(self, report: FillReport) -> None:
        fill = report.fill
        if (report.is_snapshot or not fill.crossed or report.tif is not Tif.IOC
                or report.intent_ns is None or report.cloid == self._last_cloid):
            return
        self._last_cloid = report.cloid
        self.observe((fill.exchange_ns - report.intent_ns) / _NS_PER_MS)

    def observe(self, ms: float) -> None:
        """One order's send-to-match time in ms."""
        if not 0.0 <= ms <= _MAX_MS:  # NaN fails too
            return
        self.samples += 1
        if self._mean != self._mean:  # the first sample
            self._mean = ms
        else:
            self._mean += max(self.weight, 1.0 / self.samples) * (ms - self._mean)

    def entry_ms(self) -> float | None:
        """The measured entry latency, or None before `min_samples` orders were seen."""
        return self._mean if self.samples >= self.min_samples else None
