"""Lead-lag between two coins: cross-correlation of returns by lag, and the signal's hit rate.

1. Both mids are sampled "as of" a common exchange-time grid (step Δ, over the span both
   series cover); log returns per step give r_lead, r_lag. For each lag k (in steps),
   ρ(k) = corr(r_lead[t], r_lag[t + k]): positive k means the lead moved first.
2. The peak over all lags, ρ(0), and two nulls, since returns on a fine grid are far from
   white noise (bid-ask bounce, many zero steps):
   - the white-noise band ±2/√n;
   - a circular-shift null: r_lag rotated by many random offsets (seeded; each rotation
     breaks the cross-dependence but keeps each series' own autocorrelation), and the 95th
     percentile of max over positive lags of ρ(k) on the rotated series.
   The lead is called significant only if the best positive-lag ρ exceeds both. Whether
   lag 0 dominates is reported as the ratio ρ(peak lead)/ρ(0).
3. The hit rate of the production `LeadLagSignal` fed both mid series merged in exchange-time
   order: at each onset (the signal turns from 0 or the opposite sign to ±1), did the lag
   coin's mid move in the signalled direction over the next horizon, measured from a
   reaction delay after the onset (`latency_ms`: when our order could reach the venue)?
   Flat outcomes are counted apart; the hit rate is over non-flat outcomes, with a
   binomial z against 50%, beside the mean signed move in bps and its t.
4. The VERDICT, which does not depend on the grid step (the correlogram's significance
   does: a fine grid is full of zero and bouncing returns): a regression on block-sampled
   returns. At times t_i spaced one block (window + latency + horizon) apart, so that no
   two observations share a return, the lag coin's log return from t_i + latency to
   t_i + latency + horizon (bps) is regressed on the lead's over [t_i - window, t_i].
   The lead forecasts the lag when the slope is positive with t >= 2.58 (1 %, two-sided).
Samples too small to judge (fewer than 50 blocks, fewer than 30 decided signal onsets)
are flagged and no verdict is claimed.

Research only: it uses exchange times of both series, which must come from the same venue
clock (e.g. two Binance streams, or two Hyperliquid coins).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from hyperliquid_ofi_trader.research.series import BookSeries, FloatArray, IntArray, asof
from hyperliquid_ofi_trader.research.stats import cross_correlation, ols, white_noise_band
from hyperliquid_ofi_trader.signals.leadlag import LeadLagSignal

_MS = 1_000_000
_BPS = 1e4
MIN_BLOCKS = 50  # regression observations below which no verdict is given
MIN_DECIDED = 30  # decided signal onsets below which the hit rate is flagged
T_FORECAST = 2.58  # two-sided 1 %: a claim of forecast power needs at least this
Int8Array = np.ndarray[Any, np.dtype[np.int8]]


@dataclass(frozen=True, slots=True)
class XcorrResult:
    step_ms: float
    lags_ms: list[float]
    corr: list[float]
    n: int
    peak_lag_ms: float
    peak_corr: float
    lag0_corr: float
    best_lead_lag_ms: float  # the best strictly positive lag
    best_lead_corr: float
    band: float  # ±2/sqrt(n)
    shift_null_95: float  # 95th pct of the best positive-lag ρ under circular shifts
    shifts: int
    lead_significant: bool
    lead_to_lag0_ratio: float

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True, slots=True)
class HitRate:
    window_ms: float
    horizon_ms: float
    threshold_sigma: float
    fires: int
    hits: int
    misses: int
    flats: int
    hit_rate: float
    z_vs_half: float
    latency_ms: float = 0.0  # the move is measured from onset + latency
    mean_move_bps: float = math.nan  # lag move in the signalled direction, per onset
    move_t: float = math.nan  # t of that mean
    small_sample: bool = True  # fewer than MIN_DECIDED decided onsets

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True, slots=True)
class BlockRegression:
    """The lag's return after a reaction delay on the lead's preceding return, one
    observation per non-overlapping block (see the module doc, point 4)."""

    window_ms: float
    latency_ms: float
    horizon_ms: float
    block_ms: float
    n: int
    slope: float  # lag bps per lead bps
    t_stat: float
    r2: float
    small_sample: bool
    forecasts: bool
    verdict: str

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True, slots=True)
class LeadLagReport:
    lead: str
    lag: str
    span_s: float
    xcorr: XcorrResult
    hit_rate: HitRate
    notes: list[str] = field(default_factory=list)
    regression: BlockRegression | None = None

    @property
    def verdict(self) -> str:
        return self.regression.verdict if self.regression is not None else "no verdict"

    def as_dict(self) -> dict[str, Any]:
        return {"lead": self.lead, "lag": self.lag, "span_s": self.span_s,
                "verdict": self.verdict,
                "regression": None if self.regression is None else self.regression.as_dict(),
                "xcorr": self.xcorr.as_dict(), "hit_rate": self.hit_rate.as_dict(),
                "notes": self.notes}


# ---------------------------------------------------------------- cross-correlation


def common_grid(a: BookSeries, b: BookSeries, step_ns: int) -> IntArray:
    """Grid times over the span both series cover (empty when they do not overlap)."""
    start = max(int(a.ns[0]), int(b.ns[0]))
    end = min(int(a.ns[-1]), int(b.ns[-1]))
    if end <= start:
        return np.empty(0, dtype=np.int64)
    return np.arange(start, end + 1, step_ns, dtype=np.int64)


def grid_returns(book: BookSeries, grid: IntArray) -> FloatArray:
    """Log-mid returns between consecutive grid times."""
    return np.asarray(np.diff(np.log(asof(book.ns, book.mid, grid))), dtype=np.float64)


def _best_positive(corr: FloatArray, lags: IntArray) -> tuple[int, float]:
    pos = lags > 0
    masked = np.where(pos & np.isfinite(corr), corr, -np.inf)
    i = int(np.argmax(masked))
    return int(lags[i]), float(corr[i]) if np.isfinite(masked[i]) else math.nan


def _standardise(a: FloatArray) -> FloatArray:
    a = np.where(np.isfinite(a), a, 0.0)
    sd = float(a.std())
    return np.asarray((a - a.mean()) / sd if sd > 0.0 else a * 0.0, dtype=np.float64)


def _best_positive_fast(xs: FloatArray, ys: FloatArray, max_lag: int) -> float:
    """max over k in 1..max_lag of the (globally standardised) correlation at lag k."""
    n = xs.size
    return max(float(xs[: n - k] @ ys[k:]) / (n - k) for k in range(1, max_lag + 1))


def shift_null(x: FloatArray, y: FloatArray, max_lag: int, shifts: int, seed: int) -> float:
    """95th percentile of max_{k>0} corr(x[t], rot(y)[t+k]) over random circular rotations.

    Correlations here use the whole-series mean and deviation (one standardisation, then dot
    products): on tens of thousands of points this equals the per-overlap Pearson figure to
    about 1e-3 and keeps a hundred rotations cheap.
    """
    n = x.size
    if n < 4 * (max_lag + 1) or shifts <= 0:
        return math.nan
    rng = np.random.default_rng(seed)  # seeded: the report is repeatable
    offsets = rng.integers(2 * max_lag + 1, n - 2 * max_lag - 1, size=shifts)
    xs, ys = _standardise(x), _standardise(y)
    best = [_best_positive_fast(xs, np.roll(ys, int(o)), max_lag) for o in offsets]
    return float(np.percentile(np.asarray(best, dtype=np.float64), 95))


def xcorr(lead: BookSeries, lag: BookSeries, *, max_lag_ms: float, step_ms: float,
          shifts: int = 100, seed: int = 7) -> XcorrResult:
    step_ns = round(step_ms * _MS)
    if step_ns <= 0 or max_lag_ms < step_ms:
        raise ValueError(f"need 0 < step ({step_ms} ms) <= max lag ({max_lag_ms} ms)")
    grid = common_grid(lead, lag, step_ns)
    x, y = grid_returns(lead, grid), grid_returns(lag, grid)
    max_lag = int(max_lag_ms // step_ms)
    lags, corr, n = cross_correlation(x, y, max_lag)
    finite = np.where(np.isfinite(corr), corr, -np.inf)
    peak = int(np.argmax(finite))
    lag0 = float(corr[max_lag])
    lead_k, lead_c = _best_positive(corr, lags)
    band = white_noise_band(n)
    null = shift_null(x, y, max_lag, shifts, seed)
    significant = bool(lead_c > band and (math.isnan(null) or lead_c > null))
    return XcorrResult(
        step_ms=step_ms, lags_ms=[float(k) * step_ms for k in lags],
        corr=[float(c) for c in corr], n=n, peak_lag_ms=float(lags[peak]) * step_ms,
        peak_corr=float(corr[peak]), lag0_corr=lag0, best_lead_lag_ms=lead_k * step_ms,
        best_lead_corr=lead_c, band=band, shift_null_95=null, shifts=shifts,
        lead_significant=significant,
        lead_to_lag0_ratio=_ratio(lead_c, lag0),
    )


def _ratio(lead_c: float, lag0: float) -> float:
    """best lead ρ / lag-0 ρ; +inf when lag 0 shows no positive co-movement at all."""
    if not (math.isfinite(lead_c) and math.isfinite(lag0)):
        return math.nan
    if lag0 <= 0.0:
        return math.inf if lead_c > 0.0 else math.nan
    return lead_c / lag0


# ---------------------------------------------------------------- signal hit rate


def _changes(book: BookSeries) -> tuple[IntArray, FloatArray]:
    """Rows where the mid changed (the signal only needs new prices)."""
    mid = book.mid
    keep = np.concatenate([[True], mid[1:] != mid[:-1]])
    return book.ns[keep], mid[keep]


def signal_fires(lead: BookSeries, lag: BookSeries,
                 signal: LeadLagSignal) -> tuple[IntArray, Int8Array]:
    """Exchange times and directions of the signal's onsets over the merged series."""
    lns, lmid = _changes(lead)
    gns, gmid = _changes(lag)
    ns = np.concatenate([lns, gns])
    is_lead = np.concatenate([np.ones(lns.size, bool), np.zeros(gns.size, bool)])
    mids = np.concatenate([lmid, gmid])
    order = np.argsort(ns, kind="stable")
    times: list[int] = []
    dirs: list[int] = []
    cur = [math.nan, math.nan, -1, -1]  # lead mid, lag mid, lead ns, lag ns
    prev = 0
    for i in order:
        j = 0 if is_lead[i] else 1
        cur[j], cur[j + 2] = float(mids[i]), int(ns[i])
        if cur[2] < 0 or cur[3] < 0:
            continue  # wait until both coins have a price
        s = signal.update(cur[0], cur[1], int(cur[2]), int(cur[3]))
        if s != 0 and s != prev:
            times.append(int(ns[i]))
            dirs.append(s)
        prev = s
    return np.asarray(times, dtype=np.int64), np.asarray(dirs, dtype=np.int8)


def hit_rate(lead: BookSeries, lag: BookSeries, signal: LeadLagSignal,
             horizon_ns: int, latency_ns: int = 0) -> HitRate:
    """Onsets of the signal and the lag's move from onset + latency over the horizon."""
    times, dirs = signal_fires(lead, lag, signal)
    start = times + latency_ns
    valid = start + horizon_ns <= lag.ns[-1]
    start, dirs = start[valid], dirs[valid]
    before = asof(lag.ns, lag.mid, start)
    after = asof(lag.ns, lag.mid, start + horizon_ns)
    signed = dirs * np.log(after / before) * _BPS
    move = np.sign(after - before)
    hits = int((move == dirs).sum())
    flats = int((move == 0).sum())
    misses = int(start.size) - hits - flats
    decided = hits + misses
    rate = hits / decided if decided else math.nan
    z = (rate - 0.5) / math.sqrt(0.25 / decided) if decided else math.nan
    mean, t = _mean_t(signed)
    return HitRate(window_ms=signal.window_ns / _MS, horizon_ms=horizon_ns / _MS,
                   threshold_sigma=signal.threshold_sigma, fires=int(start.size), hits=hits,
                   misses=misses, flats=flats, hit_rate=rate, z_vs_half=z,
                   latency_ms=latency_ns / _MS, mean_move_bps=mean, move_t=t,
                   small_sample=decided < MIN_DECIDED)


def _mean_t(values: FloatArray) -> tuple[float, float]:
    v = values[np.isfinite(values)]
    if v.size < 2:
        return (float(v.mean()) if v.size else math.nan), math.nan
    sd = float(v.std(ddof=1))
    mean = float(v.mean())
    return mean, (mean / (sd / math.sqrt(v.size)) if sd > 0.0 else math.nan)


# ---------------------------------------------------------------- the verdict


def block_regression(lead: BookSeries, lag: BookSeries, *, window_ms: float,
                     latency_ms: float, horizon_ms: float) -> BlockRegression:
    """Regress the lag's return after the reaction delay on the lead's preceding return,
    one observation per block of window + latency + horizon (no shared returns)."""
    window, latency, horizon = (round(x * _MS) for x in (window_ms, latency_ms, horizon_ms))
    block = window + latency + horizon
    start = max(int(lead.ns[0]), int(lag.ns[0])) + window
    end = min(int(lead.ns[-1]), int(lag.ns[-1])) - latency - horizon
    t = np.arange(start, end + 1, block, dtype=np.int64) if end >= start else \
        np.empty(0, dtype=np.int64)
    x = np.log(asof(lead.ns, lead.mid, t) / asof(lead.ns, lead.mid, t - window)) * _BPS
    y = np.log(asof(lag.ns, lag.mid, t + latency + horizon)
               / asof(lag.ns, lag.mid, t + latency)) * _BPS
    fit = ols(x, y)
    small = fit.n < MIN_BLOCKS or not math.isfinite(fit.t_stat)
    forecasts = (not small) and fit.slope > 0.0 and fit.t_stat >= T_FORECAST
    return BlockRegression(window_ms=window_ms, latency_ms=latency_ms, horizon_ms=horizon_ms,
                           block_ms=block / _MS, n=fit.n, slope=fit.slope, t_stat=fit.t_stat,
                           r2=fit.r2, small_sample=small, forecasts=forecasts,
                           verdict=_verdict(lead.coin, lag.coin, fit.slope, fit.t_stat,
                                            fit.n, small, forecasts, latency_ms, horizon_ms))


def _verdict(lead: str, lag: str, slope: float, t: float, n: int, small: bool,
             forecasts: bool, latency_ms: float, horizon_ms: float) -> str:
    after = f"{lag} {latency_ms:g}-{latency_ms + horizon_ms:g} ms after the {lead} move"
    if small:
        return (f"too few samples to judge ({n} blocks, need {MIN_BLOCKS}): no claim about "
                f"{lead} leading {lag}")
    if forecasts:
        return (f"{lead} forecasts {after}: {slope:+.3f} bps per bps of {lead} move "
                f"(t {t:.1f}, n {n})")
    return (f"no forecast power: {lead}'s move does not predict {after} (slope "
            f"{slope:+.3f}, t {t:.1f}, n {n}; a claim needs t >= {T_FORECAST})")


def analyse(lead: BookSeries, lag: BookSeries, *, max_lag_ms: float = 500.0,
            step_ms: float = 10.0, window_ms: float = 100.0, threshold_sigma: float = 2.0,
            vol_halflife_ms: float = 30_000.0, horizon_ms: float = 500.0,
            shifts: int = 100, latency_ms: float = 0.0) -> LeadLagReport:
    if lead.coin == lag.coin:
        raise ValueError(f"lead and lag must be different coins, both are {lead.coin}")
    if common_grid(lead, lag, round(step_ms * _MS)).size < 4 * (max_lag_ms / step_ms + 1):
        raise ValueError(f"{lead.coin} and {lag.coin} overlap too little in exchange time "
                         f"for lags up to {max_lag_ms:g} ms on a {step_ms:g} ms grid")
    xc = xcorr(lead, lag, max_lag_ms=max_lag_ms, step_ms=step_ms, shifts=shifts)
    sig = LeadLagSignal(round(window_ms * _MS), threshold_sigma, round(vol_halflife_ms * _MS),
                        lead_coin=lead.coin, lag_coin=lag.coin)
    hr = hit_rate(lead, lag, sig, round(horizon_ms * _MS), round(latency_ms * _MS))
    reg = block_regression(lead, lag, window_ms=window_ms, latency_ms=latency_ms,
                           horizon_ms=horizon_ms)
    span = (min(lead.ns[-1], lag.ns[-1]) - max(lead.ns[0], lag.ns[0])) / 1e9
    return LeadLagReport(lead.coin, lag.coin, float(span), xc, hr, _notes(xc, hr, reg), reg)


def _notes(xc: XcorrResult, hr: HitRate, reg: BlockRegression | None = None) -> list[str]:
    notes = [] if reg is None else [f"verdict (grid-free): {reg.verdict}"]
    if xc.lead_significant != (reg is not None and reg.forecasts) and reg is not None \
            and not reg.small_sample:
        notes.append(f"the {xc.step_ms:g} ms correlogram "
                     f"{'shows' if xc.lead_significant else 'does not show'} a lead above "
                     "its nulls; the correlogram depends on the grid step, the verdict does "
                     "not")
    if xc.peak_lag_ms == 0.0:
        notes.append("lag-0 co-movement is the strongest correlation")
    if xc.lead_significant:
        notes.append(f"lead at +{xc.best_lead_lag_ms:g} ms is above both nulls "
                     f"({xc.best_lead_corr:.3f} vs band {xc.band:.3f}, "
                     f"shift null {xc.shift_null_95:.3f})")
    else:
        notes.append("no lead above the nulls")
    if not math.isnan(xc.lead_to_lag0_ratio):
        verdict = ("lag 0 dominates" if xc.lead_to_lag0_ratio < 1.0 else
                   "comparable: the lead is weak" if xc.lead_to_lag0_ratio < 1.5 else
                   "the lead dominates")
        notes.append(f"best lead correlation is {xc.lead_to_lag0_ratio:.2f}x the lag-0 "
                     f"correlation ({verdict})")
    if hr.small_sample:
        notes.append(f"small sample: {hr.hits + hr.misses} decided signal onsets (fewer "
                     f"than {MIN_DECIDED}); the hit rate says little")
    elif math.isfinite(hr.z_vs_half) and abs(hr.z_vs_half) < 2.0:
        notes.append("signal hit rate is not distinguishable from a coin flip (|z| < 2)")
    return notes
