"""Small, dependency-free statistics for the research commands (numpy only, no scipy).

- `ols`: one-regressor least squares with intercept via `numpy.linalg.lstsq`: slope,
  intercept, R², the slope's t-statistic (classical, homoskedastic standard error) and the
  number of finite pairs used.
- `spearman`: rank correlation = Pearson correlation of average ranks (ties share the mean
  of the ranks they span, as in the textbook definition).
- `cross_correlation`: corr(x[t], y[t + k]) for each lag k (positive k: x moves first).

Every function drops non-finite pairs and returns NaN figures instead of raising when there
is not enough data: research output must say "unknown", not crash a long replay.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
_MIN_OLS = 3  # with fewer points the residual variance (n − 2 dof) is undefined


@dataclass(frozen=True, slots=True)
class OlsFit:
    """y ≈ intercept + slope·x over `n` finite pairs."""

    slope: float
    intercept: float
    r2: float
    t_stat: float
    n: int

    def as_dict(self) -> dict[str, float | int]:
        return asdict(self)



def finite_pairs(x: npt.ArrayLike, y: npt.ArrayLike) -> tuple[FloatArray, FloatArray]:
    """The pairs where both x and y are finite (arrays must have equal length)."""
    xa = np.asarray(x, dtype=np.float64).ravel()
    ya = np.asarray(y, dtype=np.float64).ravel()
    if xa.size != ya.size:
        raise ValueError(f"x and y differ in length: {xa.size} vs {ya.size}")
    ok = np.isfinite(xa) & np.isfinite(ya)
    return xa[ok], ya[ok]


def ols(x: npt.ArrayLike, y: npt.ArrayLike) -> OlsFit:
    """Least squares of y on [1, x]; NaN figures when fewer than 3 pairs or x is constant."""
    xa, ya = finite_pairs(x, y)
    n = int(xa.size)
    if n < _MIN_OLS or float(np.ptp(xa)) == 0.0:
        return OlsFit(math.nan, math.nan, math.nan, math.nan, n)
    design = np.column_stack([np.ones(n), xa])
    coef, _, _, _ = np.linalg.lstsq(design, ya, rcond=None)
    resid = ya - design @ coef
    sse = float(resid @ resid)
    centred = ya - ya.mean()
    sst = float(centred @ centred)
    r2 = 1.0 - sse / sst if sst > 0.0 else math.nan
    sxx = float(((xa - xa.mean()) ** 2).sum())
    se = math.sqrt(sse / (n - 2) / sxx)
    t = float(coef[1]) / se if se > 0.0 else math.copysign(math.inf, float(coef[1]))
    return OlsFit(float(coef[1]), float(coef[0]), r2, t, n)


def rankdata(a: npt.ArrayLike) -> FloatArray:
    """Ranks 1..n; tied values get the average of the ranks they span."""
    arr = np.asarray(a, dtype=np.float64).ravel()
    order = np.argsort(arr, kind="mergesort")
    sorted_vals = arr[order]
    # Start index of each run of equal values, and the run each sorted element belongs to.
    new_run = np.concatenate([[True], sorted_vals[1:] != sorted_vals[:-1]])
    run_id = np.cumsum(new_run) - 1
    starts = np.flatnonzero(new_run)
    ends = np.concatenate([starts[1:], [arr.size]])
    avg_rank = (starts + ends + 1) / 2.0  # mean of ranks start+1 .. end
    ranks = np.empty(arr.size, dtype=np.float64)
    ranks[order] = avg_rank[run_id]
    return ranks


def pearson(x: npt.ArrayLike, y: npt.ArrayLike) -> float:
    """Pearson correlation of the finite pairs; NaN when < 3 pairs or a side is constant."""
    xa, ya = finite_pairs(x, y)
    if xa.size < _MIN_OLS:
        return math.nan
    xc, yc = xa - xa.mean(), ya - ya.mean()
    denom = math.sqrt(float(xc @ xc) * float(yc @ yc))
    return float(xc @ yc) / denom if denom > 0.0 else math.nan


def spearman(x: npt.ArrayLike, y: npt.ArrayLike) -> tuple[float, int]:
    """Spearman rank correlation of the finite pairs, and how many pairs were used."""
    xa, ya = finite_pairs(x, y)
    if xa.size < _MIN_OLS:
        return math.nan, int(xa.size)
    return pearson(rankdata(xa), rankdata(ya)), int(xa.size)


def lagged_correlation(x: FloatArray, y: FloatArray, lag: int) -> tuple[float, int]:
    """corr(x[t], y[t + lag]) over the overlap; positive lag means x leads y."""
    n = min(x.size, y.size)
    if abs(lag) >= n:
        return math.nan, 0
    xs, ys = (x[: n - lag], y[lag:n]) if lag >= 0 else (x[-lag:n], y[: n + lag])
    xa, _ = finite_pairs(xs, ys)
    return pearson(xs, ys), int(xa.size)


def cross_correlation(x: npt.ArrayLike, y: npt.ArrayLike,
                      max_lag: int) -> tuple[npt.NDArray[np.int64], FloatArray, int]:
    """Lags −max_lag..+max_lag, corr(x[t], y[t + lag]) at each, and the lag-0 pair count."""
    xa = np.asarray(x, dtype=np.float64).ravel()
    ya = np.asarray(y, dtype=np.float64).ravel()
    lags = np.arange(-max_lag, max_lag + 1, dtype=np.int64)
    corr = np.array([lagged_correlation(xa, ya, int(k))[0] for k in lags], dtype=np.float64)
    return lags, corr, lagged_correlation(xa, ya, 0)[1]


def white_noise_band(n: int) -> float:
    """±2/sqrt(n): the 95% band of a sample correlation between independent series."""
    return 2.0 / math.sqrt(n) if n > 0 else math.nan

