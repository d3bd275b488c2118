"""Price impact of order-flow imbalance (Cont, Kukanov & Stoikov 2014) on a recording.

For each interval length Δ, the Level-1 OFI events of the replayed book (production
`OFICalculator`) are summed per interval k, and the mid change in ticks over the same interval
(mid at the end of k minus mid at the end of k − 1) is regressed on:
- the interval's OFI (contemporaneous: the impact law ΔP ≈ β·OFI),
- the previous interval's OFI (predictive: does OFI forecast the next move by itself?),
- both again with OFI divided by the interval's average best-level depth AD (the paper's
  β ≈ c / AD makes the normalised regressor comparable across depth regimes),
- with M > 1 levels, the integrated OFI of Cont, Cucuringu & Zhang (2023): per-level OFI sums
  divided by the average per-level depth, projected on their first principal component. The
  weights are fitted on the same sample (in-sample: an upper bound on what they explain).
Then the intervals are bucketed by AD and β fitted per bucket: the paper reports β ∝ 1/AD,
i.e. an exponent near −1 in log β = a + b·log AD.

Intervals are on exchange time from the first book row; a trailing partial interval is
dropped. Nothing here is tuned to the data: the figures are what the regression gives.

Caveat: an interval's average depth comes from the book rows inside it. With l2Book
snapshots ~600 ms apart, a 1 s interval holds one or two rows, and a momentarily thin top
makes OFI/depth explode: the normalised R² at 1 s is then mostly noise, not evidence
against the normalisation (Cont et al. measure depth over half-hour windows).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from hyperliquid_ofi_trader.research.series import BookSeries, FloatArray, asof
from hyperliquid_ofi_trader.research.stats import OlsFit, ols
from hyperliquid_ofi_trader.signals.ofi import fit_integrated_weights

CONTEMPORANEOUS = "contemporaneous"
PREDICTIVE = "predictive"


@dataclass(frozen=True, slots=True)
class IntervalSeries:
    """Per-interval aggregates: OFI sum, mid change (ticks), average depths."""

    interval_ns: int
    ofi: FloatArray
    dmid_ticks: FloatArray
    depth: FloatArray
    multi: FloatArray | None
    depth_m: FloatArray

    def __len__(self) -> int:
        return int(self.ofi.size)

    @property
    def normalised(self) -> FloatArray:
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.asarray(self.ofi / self.depth, dtype=np.float64)


@dataclass(frozen=True, slots=True)
class ImpactRow:
    """One regression: Δmid (ticks) on `regressor` over `interval_s` seconds."""

    interval_s: float
    regressor: str  # "ofi", "ofi/depth", "integrated"
    timing: str  # CONTEMPORANEOUS or PREDICTIVE
    fit: OlsFit

    def as_dict(self) -> dict[str, Any]:
        return {"interval_s": self.interval_s, "regressor": self.regressor,
                "timing": self.timing, **self.fit.as_dict()}


@dataclass(frozen=True, slots=True)
class DepthBucket:
    """Intervals whose average depth fell in [depth_lo, depth_hi], and β fitted on them."""

    depth_lo: float
    depth_hi: float
    mean_depth: float
    fit: OlsFit

    def as_dict(self) -> dict[str, Any]:
        return {"depth_lo": self.depth_lo, "depth_hi": self.depth_hi,
                "mean_depth": self.mean_depth, "slope_x_depth": self.fit.slope * self.mean_depth,
                **self.fit.as_dict()}


@dataclass(frozen=True, slots=True)
class OfiImpactReport:
    coin: str
    tick: float
    rows: int
    span_s: float
    levels: int
    impact: list[ImpactRow]
    depth_interval_s: float
    depth_buckets: list[DepthBucket]
    depth_exponent: OlsFit  # log β on log AD across buckets with β > 0
    integrated_weights: dict[float, list[float]] = field(default_factory=dict)
    intervals: dict[float, IntervalSeries] = field(default_factory=dict)  # for plots only

    def as_dict(self) -> dict[str, Any]:
        return {
            "coin": self.coin, "tick": self.tick, "book_rows": self.rows,
            "span_s": self.span_s, "levels": self.levels,
            "impact": [r.as_dict() for r in self.impact],
            "depth_interval_s": self.depth_interval_s,
            "depth_buckets": [b.as_dict() for b in self.depth_buckets],
            "depth_exponent": self.depth_exponent.as_dict(),
            "integrated_weights": {str(k): v for k, v in self.integrated_weights.items()},
        }


# ---------------------------------------------------------------- aggregation


def interval_series(book: BookSeries, interval_ns: int, tick: float) -> IntervalSeries:
    """Aggregate book rows into complete intervals of `interval_ns` exchange time."""
    if interval_ns <= 0 or not tick > 0.0:
        raise ValueError(f"interval and tick must be positive, got {interval_ns} ns, {tick}")
    start = int(book.ns[0])
    n = (int(book.ns[-1]) - start + 1) // interval_ns  # complete intervals only
    keep = book.ns < start + n * interval_ns
    b = (book.ns[keep] - start) // interval_ns
    ends = start + (np.arange(n, dtype=np.int64) + 1) * interval_ns - 1
    mid = book.mid
    mid_end = asof(book.ns, mid, ends)
    prev = np.concatenate([[mid[0]], mid_end[:-1]]) if n else mid_end
    multi = None
    if book.multi_ofi is not None and n:
        m = book.multi_ofi[keep]
        multi = np.column_stack([np.bincount(b, weights=m[:, j], minlength=n)
                                 for j in range(m.shape[1])]).astype(np.float64)
    return IntervalSeries(
        interval_ns=interval_ns,
        ofi=np.bincount(b, weights=book.ofi[keep], minlength=n).astype(np.float64),
        dmid_ticks=np.asarray((mid_end - prev) / tick, dtype=np.float64),
        depth=_interval_mean(book.ns, book.l1_depth, b, ends, keep),
        multi=multi,
        depth_m=_interval_mean(book.ns, book.depth_m, b, ends, keep),
    )


def _interval_mean(ns: np.ndarray[Any, np.dtype[np.int64]], values: FloatArray,
                   b: np.ndarray[Any, np.dtype[np.int64]], ends: np.ndarray[Any,
                   np.dtype[np.int64]], keep: np.ndarray[Any, np.dtype[np.bool_]]) -> FloatArray:
    """Mean of the rows inside each interval; an interval without rows keeps the last value."""
    n = ends.size
    counts = np.bincount(b, minlength=n)
    sums = np.bincount(b, weights=values[keep], minlength=n)
    carried = asof(ns, values, ends)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.asarray(np.where(counts > 0, sums / np.maximum(counts, 1), carried),
                          dtype=np.float64)


# ---------------------------------------------------------------- regressions


def _pair(x: FloatArray, y: FloatArray, interval_s: float, name: str) -> list[ImpactRow]:
    return [ImpactRow(interval_s, name, CONTEMPORANEOUS, ols(x, y)),
            ImpactRow(interval_s, name, PREDICTIVE, ols(x[:-1], y[1:]))]


def integrated_regressor(s: IntervalSeries) -> tuple[FloatArray, list[float]] | None:
    """Depth-normalised per-level sums projected on the fitted integration weights."""
    if s.multi is None:
        return None
    with np.errstate(invalid="ignore", divide="ignore"):
        x = s.multi / s.depth_m[:, None]
    try:
        w = fit_integrated_weights(x)
    except ValueError:
        return None  # too few intervals or no variance: nothing to integrate
    return np.asarray(x @ w, dtype=np.float64), [float(v) for v in w]


def impact_rows(s: IntervalSeries) -> tuple[list[ImpactRow], list[float] | None]:
    sec = s.interval_ns / 1e9
    rows = _pair(s.ofi, s.dmid_ticks, sec, "ofi") + _pair(s.normalised, s.dmid_ticks, sec,
                                                           "ofi/depth")
    integ = integrated_regressor(s)
    if integ is None:
        return rows, None
    return rows + _pair(integ[0], s.dmid_ticks, sec, "integrated"), integ[1]


def depth_buckets(s: IntervalSeries, n_buckets: int) -> list[DepthBucket]:
    """β per quantile bucket of average depth (Cont et al.: β falls as depth rises)."""
    ok = np.isfinite(s.depth) & np.isfinite(s.dmid_ticks)
    depth, x, y = s.depth[ok], s.ofi[ok], s.dmid_ticks[ok]
    if depth.size < 3 * n_buckets:
        return []
    edges = np.quantile(depth, np.linspace(0.0, 1.0, n_buckets + 1))
    which = np.clip(np.searchsorted(edges, depth, side="right") - 1, 0, n_buckets - 1)
    out = []
    for k in range(n_buckets):
        sel = which == k
        if sel.sum() >= 3:
            out.append(DepthBucket(float(edges[k]), float(edges[k + 1]),
                                   float(depth[sel].mean()), ols(x[sel], y[sel])))
    return out


def depth_exponent(buckets: list[DepthBucket]) -> OlsFit:
    """Slope of log β on log mean depth over buckets with β > 0 (the paper: about −1)."""
    good = [b for b in buckets if b.fit.slope > 0.0 and b.mean_depth > 0.0]
    return ols([math.log(b.mean_depth) for b in good], [math.log(b.fit.slope) for b in good])


def analyse(book: BookSeries, intervals_ns: list[int], tick: float, *, levels: int = 1,
            depth_interval_ns: int | None = None, n_buckets: int = 5) -> OfiImpactReport:
    """Every regression for every interval, and β against depth on `depth_interval_ns`."""
    series = {ns / 1e9: interval_series(book, ns, tick) for ns in intervals_ns}
    rows: list[ImpactRow] = []
    weights: dict[float, list[float]] = {}
    for sec, s in series.items():
        r, w = impact_rows(s)
        rows += r
        if w is not None:
            weights[sec] = w
    d_ns = depth_interval_ns or min(intervals_ns, key=lambda v: abs(v - 10_000_000_000))
    d_series = series.get(d_ns / 1e9) or interval_series(book, d_ns, tick)
    buckets = depth_buckets(d_series, n_buckets)
    return OfiImpactReport(
        coin=book.coin, tick=tick, rows=len(book), span_s=int(book.ns[-1] - book.ns[0]) / 1e9,
        levels=levels, impact=rows, depth_interval_s=d_ns / 1e9, depth_buckets=buckets,
        depth_exponent=depth_exponent(buckets), integrated_weights=weights, intervals=series,
    )


def find(report: OfiImpactReport, interval_s: float, regressor: str, timing: str) -> OlsFit:
    """The fit for one (interval, regressor, timing); KeyError when it was not computed."""
    for r in report.impact:
        if r.interval_s == interval_s and r.regressor == regressor and r.timing == timing:
            return r.fit
    raise KeyError((interval_s, regressor, timing))
