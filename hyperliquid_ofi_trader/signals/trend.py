"""Price displacement from its own recent average: log mid minus its time-decayed mean, in bps.

    trend_tau(t) = 1e4 x (log mid(t) - ema_tau(t))

with ema_tau the continuous-time exponential average of the (piecewise-constant) log mid over
exchange time. It is a sum of the coin's recent returns weighted by exp(-age / tau): for the
lead coin, how much of its recent move a follower that catches up with time constant tau has
NOT yet absorbed; for the lag coin, how much it already moved. The forecast (alpha/forecast.py)
weighs both, at a few time constants, so a catch-up spread over seconds is visible, where the
lead-lag detector's window (< 300 ms) only sees the onset.
"""

from __future__ import annotations

import math


class Trend:
    """`update(mid, ns)` then `value(now_ns)`; NaN until the first valid mid."""

    __slots__ = ("_ema", "_last", "_ns", "tau_ns")

    def __init__(self, tau_ns: int) -> None:
        if tau_ns <= 0:
            raise ValueError(f"trend time constant must be > 0, got {tau_ns} ns")
        self.tau_ns = tau_ns
        self._ema = math.nan
        self._last = math.nan
        self._ns = -1

    def update(self, mid: float, ns: int) -> None:
        if not (mid > 0.0 and math.isfinite(mid)) or ns < self._ns:
            return  # bad price or out of order: the held state stays exact
        x = math.log(mid)
        last_ns = self._ns
        if last_ns < 0:
            self._ema = x
        else:
            # The price held since the last update pulls the average for the elapsed time
            # (written out here and in `value`, no helper call: two trends per coin are
            # updated, four read, on every book event).
            last = self._last
            self._ema = last + (self._ema - last) * math.exp(-(ns - last_ns) / self.tau_ns)
        self._last, self._ns = x, ns

    def value(self, now_ns: int) -> float:
        last_ns = self._ns
        if last_ns < 0:
            return math.nan
        ns = now_ns if now_ns > last_ns else last_ns  # the average as of max(now, last update)
        last = self._last
        return (last - (last + (self._ema - last) * math.exp(-(ns - last_ns) / self.tau_ns))) \
            * 1e4
