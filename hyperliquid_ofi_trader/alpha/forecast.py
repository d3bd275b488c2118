"""Online forecast: the fitted model as a prior, updated on every decision's realised move.

Model. forecast_bps = sum_i theta_i * x_i over the model's features (signal values), no
intercept (a mirrored market negates the forecast). theta has a Gaussian posterior:

    precision  A = A0 + A_data          A0 = diag(prior_n_eff * feature_std_i^2) / sigma0^2
    mean       m = A^-1 (A0 m0 + b_data)

m0 is the fitted model's coefficients (`research fit`); `prior_n_eff` says how many
independent samples the prior is worth, so a market that differs from the one the model was
fitted on overrides it within a few minutes of data, in either direction (raise or lower).

Scoring. Every decision is a candidate sample (spaced `sample_ms` apart per coin): its
features are kept, the mid `latency_ms` later is its entry and the mid `horizon_ms` after that
its exit; the realised move in bps is the target. So the estimator learns from what the
market did after each decision, traded or not (never only from our own fills, which are few
and selected). Overlap: samples closer than the horizon share most of their target, so each
counts `sample_ms / horizon_ms` of one observation (the effective sample size `n_eff`).

Forgetting. The data part decays with a half-life (`halflife_s`) in exchange time; the prior
does not, so with no recent data the estimate returns to the fitted prior, never to nothing.
Bounds. Each coefficient is held within `coef_bound_bps` bps per standard deviation of its
feature, the forecast within +-`max_forecast_bps`, and the noise variance within fixed
limits: one wild print cannot produce an absurd forecast.

Uncertainty. `std_bps` is the posterior standard deviation of the forecast's MEAN (not the
noise of the move): the router trades on the lower confidence bound, so an unproven edge is
not traded.

Hot path: `forecast` is a few multiply-adds in plain Python (k is 5-6); the k x k solve runs
only when a sample matures (at most once per `sample_ms`).
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Mapping
from operator import mul
from typing import TYPE_CHECKING

import msgspec
import numpy as np

from hyperliquid_ofi_trader.alpha.finite import finite_number
from hyperliquid_ofi_trader.alpha.forecast_model import ForecastModel

if TYPE_CHECKING:  # the section's type only: config sits below the components
    from hyperliquid_ofi_trader.config.thresholds_schema import ForecastThresholds

_MS = 1_000_000
_NS_PER_S = 1_000_000_000
_SIGMA2_BOUNDS = (1e-4, 1e6)  # bps^2: a frozen mid or a garbage print cannot break the solve
_MAX_FEATURE = 1e6  # beyond this a signal value is garbage: clipped (forecast), refused (learn)
_MAX_MOVE_BPS = 1e4  # a 100 % move over a few seconds is a bad print, not a lesson
_LEAD_PREFIXES = ("lead_", "lag_", "leadlag")  # the lead-lag features (signals/stage.py)


class EdgeEstimate(msgspec.Struct, frozen=True, gc=False, kw_only=True):
    """One decision's forecast, as the router and the journal see it. `bps` is signed (>0:
    the mid is expected to rise) and already conditioned by the regime (0 when it blocks)."""

    coin: str
    bps: float
    std_bps: float
    horizon_ms: int
    latency_ms: int
    exchange_ns: int
    n_eff: float = 0.0  # market evidence behind it (effective samples, after forgetting)
    lead_share: float = 0.0  # share of |forecast| from lead-lag features (its order budget)


class FeatureContribution(msgspec.Struct, frozen=True, gc=False, kw_only=True):
    """One model feature's part in one forecast, for the journal: `contribution_bps` =
    `coef_bps` x `value`. The contributions sum to the forecast before its bound
    (+-max_forecast_bps) and the regime's conditioning; `EdgeEstimate.bps` is after both.

    `status`: "used" (the signal's own value), "missing" (absent: counted as 0, no
    information), "rejected" (NaN, inf or not a number: counted as 0) or "clipped" (beyond
    the feature bound: counted at the bound)."""

    name: str
    status: str
    value: float
    coef_bps: float
    contribution_bps: float


class _Pending:
    __slots__ = ("entry", "ns", "x")

    def __init__(self, ns: int, x: list[float]) -> None:
        self.ns = ns
        self.x = x
        self.entry = math.nan


class OnlineForecast:
    """One coin's forecast (see the module doc). Not thread-safe; one per coin."""

    __slots__ = (
        "_a0",
        "_a_data",
        "_a_sum",
        "_b0",
        "_b_data",
        "_b_sum",
        "_bound",
        "_cov_rows",
        "_entry_ns",
        "_exit_ns",
        "_last_coef",
        "_last_data_ns",
        "_last_signals",
        "_last_x",
        "_lead_mask",
        "_max_gap_ns",
        "_next_sample_ns",
        "_no_entry",
        "_outer",
        "_pending",
        "_prior_mean",
        "_sample_weight",
        "_scaled_x",
        "coef",
        "features",
        "last_lead_share",
        "model",
        "n_eff",
        "refused",
        "samples",
        "settings",
        "sigma2",
        "stale",
    )

    settings: ForecastThresholds  # thresholds.yaml `forecast`, as validated

    def __init__(self, model: ForecastModel, settings: ForecastThresholds | None = None) -> None:
        """`settings`: a validated thresholds.yaml `forecast` section (None: the packaged)."""
        self.settings = settings if settings is not None else packaged_forecast()
        s = self.settings
        self.model, self.features = model, model.features
        std = np.asarray(model.feature_std, dtype=np.float64)
        self.sigma2 = model.residual_std_bps ** 2
        self._a0 = np.diag(s.prior_n_eff * std**2 / self.sigma2)
        self._prior_mean = np.asarray(model.coef_bps, dtype=np.float64)
        self._b0 = self._a0 @ self._prior_mean
        k = len(self.features)
        self._a_data = np.zeros((k, k))
        self._b_data = np.zeros(k)
        # Scratch of `learn` and `_solve` (~23k times per synthetic hour), overwritten in
        # place: the same operations on the same values as the temporaries they replace.
        self._outer = np.empty((k, k))
        self._scaled_x = np.empty(k)
        self._a_sum = np.empty((k, k))
        self._b_sum = np.empty(k)
        self._bound: list[float] = (s.coef_bound_bps / std).tolist()
        self._sample_weight = min(1.0, s.sample_ms / model.horizon_ms)
        self._entry_ns = model.latency_ms * _MS
        self._exit_ns = (model.latency_ms + model.horizon_ms) * _MS
        self._max_gap_ns = s.max_gap_ms * _MS
        self._pending: deque[_Pending] = deque()
        # The pending samples still without an entry mid: always the youngest ones (entries
        # are taken oldest first), so `_mature` never rescans the scored-but-open ones.
        self._no_entry: deque[_Pending] = deque()
        self._next_sample_ns = -1
        self._last_data_ns = -1
        self.n_eff = 0.0
        self.samples = 0
        self.refused = 0
        self.stale = 0
        # Which features carry the lead coin's information (the lead-lag path's share).
        self._lead_mask = [f.startswith(_LEAD_PREFIXES) for f in self.features]
        self.last_lead_share = 0.0
        self.coef: list[float] = list(model.coef_bps)
        self._cov_rows: list[list[float]] = [[0.0] * k for _ in range(k)]
        self._solve()
        # What the last forecast was made of, for `breakdown()` (references only: the hot
        # path stores three; `_solve` replaces `coef` with a new list, never mutates it).
        self._last_signals: Mapping[str, float] | None = None
        self._last_x: list[float] = []
        self._last_coef: list[float] = self.coef

    # ------------------------------------------------------------ hot path

    def forecast(self, signals: Mapping[str, float]) -> tuple[float, float, list[float]]:
        """(forecast bps, std of its mean in bps, feature vector) for these signals."""
        # One pass: each feature's value (a plain float within bounds as is, anything
        # else through `_clipped_or_zero`; absent: 0) and its part of the forecast. The
        # zip is not strict (3.11's zip takes ~0.3 us to parse a keyword, per decision):
        # the three are of length k by construction (the model's features, `_solve`'s
        # coefficients).
        get = signals.get
        x: list[float] = []
        mean = lead = total = 0.0
        for f, c, is_lead in zip(self.features, self.coef, self._lead_mask):  # noqa: B905
            v = get(f)
            if v is None:
                v = 0.0
            elif type(v) is not float or not -_MAX_FEATURE <= v <= _MAX_FEATURE:
                v = _clipped_or_zero(v)
            x.append(v)
            part = c * v
            mean += part
            size = abs(part)
            total += size
            if is_lead:
                lead += size
        self.last_lead_share = lead / total if total > 0.0 else 0.0
        self._last_signals, self._last_x, self._last_coef = signals, x, self.coef
        cap = self.settings.max_forecast_bps
        mean = max(-cap, min(cap, mean))
        return mean, min(math.sqrt(max(self._quad(x), 0.0)), cap), x

    def observe(self, ns: int, mid: float | None, x: list[float]) -> int:
        """A decision at exchange time `ns` with the coin's mid: matures pending samples
        (returns how many were scored) and maybe keeps this one."""
        scored = 0
        if mid is not None and mid > 0.0 and math.isfinite(mid):
            scored = self._mature(ns, mid)
        if ns >= self._next_sample_ns:
            self._next_sample_ns = ns + self.settings.sample_ms * _MS
            sample = _Pending(ns, x)
            self._pending.append(sample)
            self._no_entry.append(sample)
        return scored

    # ------------------------------------------------------------ learning

    def learn(self, x: list[float], move_bps: float, ns: int | None = None,
              weight: float = 1.0) -> None:
        """One realised (features, move) pair at exchange time `ns` (None: no time passes,
        nothing is forgotten); `weight` in (0, 1] (overlap)."""
        if not abs(move_bps) <= _MAX_MOVE_BPS or not all(abs(v) <= _MAX_FEATURE for v in x):
            self.refused += 1  # NaN fails both comparisons too
            return
        if ns is not None:
            self._forget(ns)
        xa = np.asarray(x, dtype=np.float64)
        resid = move_bps - float(xa @ np.asarray(self.coef))
        lo, hi = _SIGMA2_BOUNDS
        a = 1.0 / self.settings.sigma_halflife_samples
        self.sigma2 = min(hi, max(lo, (1 - a) * self.sigma2 + a * resid * resid))
        scale = weight / self.sigma2
        # scale * np.outer(xa, xa) and scale * move_bps * xa, into the scratch arrays (each
        # element is the same product: x_i * x_j, then times scale).
        outer = np.multiply(xa[:, None], xa, out=self._outer)
        outer *= scale
        self._a_data += outer
        self._b_data += np.multiply(xa, scale * move_bps, out=self._scaled_x)
        self.n_eff += weight
        self.samples += 1
        self._solve()

    def _mature(self, ns: int, mid: float) -> int:
        """Entry and exit mids of pending samples, from the first mid seen at or after their
        times; a sample whose mid comes more than `max_gap_ms` late (a halt, a feed gap) is
        dropped, not scored on a move that belongs to another span (counted in `stale`)."""
        scored = 0
        gap = self._max_gap_ns
        no_entry, entry_ns = self._no_entry, self._entry_ns
        while no_entry and ns - no_entry[0].ns >= entry_ns:  # later ones are younger still
            p = no_entry.popleft()
            p.entry = mid if ns - p.ns - entry_ns <= gap else math.inf
        pending = self._pending
        while pending and ns - pending[0].ns >= self._exit_ns:
            p = pending.popleft()
            if ns - p.ns - self._exit_ns > gap or not math.isfinite(p.entry):
                self.stale += 1
                continue
            self.learn(p.x, (mid - p.entry) / p.entry * 1e4, ns, self._sample_weight)
            scored += 1
        return scored

    def _forget(self, ns: int) -> None:
        if self._last_data_ns >= 0 and ns > self._last_data_ns:
            decay = 0.5 ** ((ns - self._last_data_ns) / (self.settings.halflife_s * _NS_PER_S))
            self._a_data *= decay
            self._b_data *= decay
            self.n_eff *= decay
        self._last_data_ns = max(ns, self._last_data_ns)

    def _solve(self) -> None:
        a = np.add(self._a0, self._a_data, out=self._a_sum)
        b = np.add(self._b0, self._b_data, out=self._b_sum)
        try:
            cov = np.linalg.inv(a)
        except np.linalg.LinAlgError:
            return  # keep the previous estimate (a zero prior and no data yet)
        # The clip in plain floats (np.clip's call costs more than the k comparisons).
        self.coef = [min(max(v, -hi), hi)
                     for v, hi in zip((cov @ b).tolist(), self._bound, strict=True)]
        self._cov_rows = cov.tolist()

    def _quad(self, x: list[float]) -> float:
        # x' cov x, row by row. Python 3.11's sum of floats (from a 0.0 start) is the plain
        # left-to-right addition of the loop it replaced, bit for bit (3.12 compensates:
        # requires-python pins 3.11). Not strict (see `forecast`): x and the rows are of
        # length k by construction.
        total = 0.0
        for xi, row in zip(x, self._cov_rows):  # noqa: B905
            if xi:
                total += xi * sum(map(mul, row, x), 0.0)
        return total

    # ------------------------------------------------------------ reads

    def breakdown(self) -> tuple[FeatureContribution, ...]:
        """The last `forecast` feature by feature, with the coefficients it used (a sample
        maturing right after it may have moved them since): () before the first. Built
        only when asked (the journal, once per decision), not on the hot path."""
        signals = self._last_signals
        if signals is None:
            return ()
        return tuple(
            FeatureContribution(name=f, status=_status(signals.get(f), v), value=v,
                                coef_bps=c, contribution_bps=c * v)
            for f, c, v in zip(self.features, self._last_coef, self._last_x, strict=True))

    def coef_std(self) -> list[float]:
        rows = self._cov_rows
        return [math.sqrt(max(rows[i][i], 0.0)) for i in range(len(rows))]

    def prior(self) -> list[float]:
        return [float(v) for v in self._prior_mean]

    def explain(self) -> dict[str, object]:
        return {"features": list(self.features), "coef_bps": list(self.coef),
                "coef_std_bps": self.coef_std(), "prior_bps": self.prior(),
                "n_eff": self.n_eff, "samples": self.samples, "stale": self.stale,
                "residual_std_bps": math.sqrt(self.sigma2),
                "horizon_ms": self.model.horizon_ms, "latency_ms": self.model.latency_ms}


def _status(raw: object, used: float) -> str:
    """How the forecast read a signal: `raw` as published, `used` what it counted."""
    if raw is None:
        return "missing"
    x = finite_number(raw)
    if x is None:
        return "rejected"
    return "used" if x == used else "clipped"


def _clipped_or_zero(v: object) -> float:
    """A usable number within the feature bound, or 0 (no information) for what
    `finite_number` refuses."""
    x = finite_number(v)
    return 0.0 if x is None else max(-_MAX_FEATURE, min(_MAX_FEATURE, x))


def packaged_forecast() -> ForecastThresholds:
    """The packaged thresholds.yaml `forecast` section (a seed-style construction's)."""
    from hyperliquid_ofi_trader.config.packaged import packaged_config

    return packaged_config().thresholds.forecast
