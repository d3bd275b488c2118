"""Signal trust that learns both ways: each signal's predictive value, estimated online.

Per traded coin an `alpha.forecast.OnlineForecast` estimates how many bps of forward move
each signal predicts (a Bayesian linear regression whose prior is the fitted model of
`hlofi research fit`, with forgetting and an effective sample size that discounts
overlapping horizons; see that module). It is scored on EVERY decision's realised forward
move, traded or not, so a signal is judged on the market, not on our few, selected fills.

Trust of a signal, in [0, 1]: how sure the estimator is that the signal predicts in its
expected direction (the sign of its fitted prior; of its own estimate when the prior is 0):

    z = coef * direction / coef_std          w = clamp(z / z_full, 0, 1)

so evidence raises a weight as well as lowers it: a signal the prior doubted climbs to 1 once
its forward moves prove it (z >= z_full), and a useless one falls to 0 as its coefficient
shrinks to 0 while its uncertainty narrows. Every move of a weight by `report_step` or more
is kept as an explained change (`drain_changes()`), which the alpha stage journals with the
decision that first saw it.

The seed's interface still works as written: `SignalTrust().update(ofi, fill, slippage)`
scores the OFI value against the fill's realised move (`slippage`: markout in bps signed by
our side, > 0 = the market moved our way) and `.weight(name)` is in [0, 1].
"""

from __future__ import annotations

import math
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from hyperliquid_ofi_trader.alpha.forecast import (
    EdgeEstimate,
    FeatureContribution,
    OnlineForecast,
    packaged_forecast,
)
from hyperliquid_ofi_trader.alpha.forecast_model import ForecastModel, packaged_model
from hyperliquid_ofi_trader.core.events import Fill
from hyperliquid_ofi_trader.feedback.markouts import MarkoutResult

if TYPE_CHECKING:  # the section's type only: config sits below the components
    from hyperliquid_ofi_trader.config.thresholds_schema import ForecastThresholds

_MAX_DECISIONS = 20_000
DEFAULT_FEATURES: tuple[str, ...] = (
    "lead_ret_bps", "lead_trend_1000ms_bps", "lag_trend_1000ms_bps",
    "lead_trend_3000ms_bps", "lag_trend_3000ms_bps", "ofi", "aggressive_volume",
    "microprice")
_SEED_ALIASES = {"av": "aggressive_volume"}

MidOf = Callable[[str], float | None]


def _packaged_default_coin() -> str:
    from hyperliquid_ofi_trader.config.packaged import default_coin

    return default_coin()


@dataclass(frozen=True, slots=True)
class TrustSettings:
    """The trust's own knobs; `online` is the thresholds.yaml `forecast` section (its
    estimators' settings and the full-trust z), `default_coin` the coin a call without one
    means (symbols.yaml's first traded coin)."""

    report_step: float = 0.1
    online: ForecastThresholds = field(default_factory=packaged_forecast)
    default_coin: str = field(default_factory=_packaged_default_coin)
    horizon_ms: int = 1_000  # for coins without a model (zero prior)
    latency_ms: int = 100

    @property
    def z_full(self) -> float:
        """A signal's trust is 1 at this many standard errors (forecast.trust_z_full)."""
        return self.online.trust_z_full

    def __post_init__(self) -> None:
        if not 0 < self.report_step <= 1:
            raise ValueError(f"report_step must be in (0, 1], got {self.report_step}")


class SignalTrust:
    """Implements `alpha.combiner.TrustProvider` and the combiner's `Forecaster`."""

    def __init__(self, settings: TrustSettings | None = None,
                 models: Mapping[str, ForecastModel] | None = None,
                 mid_of: MidOf | None = None) -> None:
        self.settings = settings if settings is not None else TrustSettings()
        self._models = dict(models) if models is not None else {}
        self._estimators: dict[str, OnlineForecast] = {}
        self._outside: dict[str, OnlineForecast] = {}  # signals outside the model
        self._mid_of = mid_of
        self._now_of: Callable[[], int] | None = None
        self._edges: dict[str, EdgeEstimate] = {}
        self._reported: dict[tuple[str, str], float] = {}
        self._weights: dict[tuple[str, str], float] = {}
        self._changes: list[dict[str, Any]] = []
        # Per estimator, what `_report` reads that never changes: its prior, the full-trust
        # z, and its (coin, signal) keys.
        self._fixed: dict[OnlineForecast, tuple[list[float], float,
                                                tuple[tuple[str, str], ...]]] = {}
        self._decisions: OrderedDict[str, Mapping[str, float]] = OrderedDict()
        self.skipped = 0
        self.fill_observations = 0

    def attach(self, mid_of: MidOf, now_of: Callable[[], int] | None = None) -> None:
        """Market accessors, once the engine's books exist (the composition root calls it):
        the traded coin's mid, and the latest exchange time the signals saw (a lead-coin
        event is later than the lag coin's own regime stamp)."""
        self._mid_of = mid_of
        self._now_of = now_of

    # ------------------------------------------------------------ estimators

    def estimator(self, coin: str) -> OnlineForecast:
        est = self._estimators.get(coin)
        if est is None:
            est = self._estimators[coin] = OnlineForecast(self._model(coin),
                                                          self.settings.online)
            self._report(coin, est, "initial", 0)
        return est

    def _model(self, coin: str) -> ForecastModel:
        model = self._models.get(coin) or packaged_model(coin)
        if model is not None:
            return model
        s = self.settings
        return ForecastModel.zero(coin, DEFAULT_FEATURES, s.horizon_ms, s.latency_ms)

    # ------------------------------------------------------------ Forecaster (hot path)

    def forecast(self, coin: str, exchange_ns: int,
                 signals: Mapping[str, float]) -> EdgeEstimate:
        """Score matured decisions of `coin`, keep this one as a sample, and forecast."""
        est = self._estimators.get(coin)  # runs per decision: one dict read when known
        if est is None:
            est = self.estimator(coin)
        now_of = self._now_of
        if now_of is not None:
            now = now_of()
            if now > exchange_ns:
                exchange_ns = now
        bps, std, x = est.forecast(signals)
        mid_of = self._mid_of
        if est.observe(exchange_ns, None if mid_of is None else mid_of(coin), x):
            self._report(coin, est, "forward_moves", exchange_ns)
        m = est.model
        return EdgeEstimate(coin=coin, bps=bps, std_bps=std, horizon_ms=m.horizon_ms,
                            latency_ms=m.latency_ms, exchange_ns=exchange_ns, n_eff=est.n_eff,
                            lead_share=est.last_lead_share)

    def publish(self, edge: EdgeEstimate) -> None:
        """The forecast as the alpha stage conditioned it (regime), for the router."""
        self._edges[edge.coin] = edge

    def edge_of(self, coin: str) -> EdgeEstimate | None:
        return self._edges.get(coin)

    def breakdown(self, coin: str) -> tuple[FeatureContribution, ...]:
        """`coin`'s last forecast feature by feature (() before its first)."""
        est = self._estimators.get(coin)
        return () if est is None else est.breakdown()

    # ------------------------------------------------------------ TrustProvider

    def weight(self, name: str, coin: str | None = None) -> float:
        """A dict read on the hot path: weights are recomputed when the estimator learns."""
        coin = coin or self.settings.default_coin
        w = self._weights.get((coin, name))
        if w is not None:
            return w
        if coin in self._estimators and name not in _SEED_ALIASES:
            # A known coin and no other name to try: the lookup below would repeat the one
            # above. The usual answer: the combiner asks for every configured signal, and
            # most are not inputs of the coin's model.
            return 1.0
        self.estimator(coin)  # first sight of the coin: computes its weights
        w = self._weights.get((coin, _SEED_ALIASES.get(name, name)))
        return 1.0 if w is None else w  # not a forecast input: nothing to judge it on

    def _weight_of(self, coef: float, prior: float, sd: float) -> float:
        direction = math.copysign(1.0, prior if prior != 0.0 else coef)
        if not sd > 0.0:
            return 1.0 if coef * direction > 0 else 0.0
        return min(1.0, max(0.0, coef * direction / sd / self.settings.z_full))

    def weights(self, coin: str | None = None) -> dict[str, float]:
        est = self.estimator(coin or self.settings.default_coin)
        stds, priors = est.coef_std(), est.prior()
        return {f: self._weight_of(est.coef[i], priors[i], stds[i])
                for i, f in enumerate(est.features)}

    # ------------------------------------------------------------ changes, for the journal

    def _report(self, coin: str, est: OnlineForecast, why: str, ns: int) -> None:
        # Runs each time an estimator learns (every matured sample): the prior and the
        # full-trust z are fixed, so they are read once per estimator, not per call.
        step = self.settings.report_step
        fixed = self._fixed.get(est)
        if fixed is None:
            fixed = self._fixed[est] = (est.prior(), self.settings.z_full,
                                        tuple((coin, name) for name in est.features))
        priors, z_full, keys = fixed
        stds, coef = est.coef_std(), est.coef
        weights, reported = self._weights, self._reported
        for i, key in enumerate(keys):
            # `_weight_of`, inlined
            c, prior, sd = coef[i], priors[i], stds[i]
            direction = math.copysign(1.0, prior if prior != 0.0 else c)
            if not sd > 0.0:
                w = 1.0 if c * direction > 0 else 0.0
            else:
                w = min(1.0, max(0.0, c * direction / sd / z_full))
            weights[key] = w
            old = reported.get(key)
            if old is not None and abs(w - old) < step:
                continue
            name = key[1]
            reported[key] = w
            self._changes.append({
                "coin": coin, "signal": name, "from": old, "to": w, "why": why,
                "exchange_ns": ns, "coef_bps": est.coef[i], "coef_std_bps": stds[i],
                "prior_bps": priors[i], "n_eff": est.n_eff, "samples": est.samples,
                "explain": _explain_change(name, old, w, est.coef[i], stds[i], priors[i],
                                           est.n_eff)})

    def drain_changes(self) -> list[dict[str, Any]]:
        """Weight changes since the last call (each with its reason), oldest first."""
        out, self._changes = self._changes, []
        return out

    # ------------------------------------------------------------ fills (seed interface)

    def update(self, signal: str | float, *args: Any) -> bool:
        """`update(ofi, fill, slippage)` (the seed's form: the OFI value at the decision,
        the fill, its markout in bps signed by our side) or `update(name, value, fill,
        markout)`. One observation of the signal against the realised move; False when it
        carries nothing (non-finite input, zero signal or zero move)."""
        if isinstance(signal, str):
            name, value, fill, markout = signal, *args
        else:
            name, value, (fill, markout) = "ofi", signal, args
        return self.observe(name, float(value), _is_buy(fill), float(markout))

    def observe(self, signal_name: str, value: float, is_buy: bool, markout: float) -> bool:
        name = _SEED_ALIASES.get(signal_name, signal_name)
        coin = self.settings.default_coin
        market = (1.0 if is_buy else -1.0) * markout  # the market's move, not ours
        if not (math.isfinite(value) and math.isfinite(market)) or value == 0 or market == 0:
            self.skipped += 1
            return False
        est = self.estimator(coin)
        if name not in est.features:
            # Not a forecast input (it did not earn its place in the fitted model): its
            # value is still judged, by a one-signal estimator with a zero prior, so that
            # its trust can rise if the market says it forecasts after all.
            est = self._outside_estimator(coin, name, est.model)
        x = [value if f == name else 0.0 for f in est.features]
        est.learn(x, market)
        self.fill_observations += 1
        self._report(coin, est, "fill_markout", 0)
        return True

    def _outside_estimator(self, coin: str, name: str, model: ForecastModel) -> OnlineForecast:
        key = f"{coin}:{name}"  # kept apart from the coins' own estimators
        est = self._outside.get(key)
        if est is None:
            zero = ForecastModel.zero(coin, (name,), model.horizon_ms, model.latency_ms,
                                      model.residual_std_bps)
            est = self._outside[key] = OnlineForecast(zero, self.settings.online)
        return est

    def record_signals(self, cloid: str, signals: Mapping[str, float]) -> None:
        """The signal values at the decision that sent order `cloid` (kept bounded)."""
        self._decisions[cloid] = dict(signals)
        if len(self._decisions) > _MAX_DECISIONS:
            self._decisions.popitem(last=False)

    def on_markout(self, result: MarkoutResult) -> int:
        """Fill markouts are already part of the decision samples (every decision is scored
        on its forward move), so they are counted, not learned twice."""
        if result.move_bps is None or result.cloid not in self._decisions:
            return 0
        self.fill_observations += 1
        return 0

    # ------------------------------------------------------------ reads

    def p_hat(self, name: str) -> float:
        """The seed's reading: 0.5 + weight / 2 (0.5 = no demonstrated skill)."""
        return 0.5 + 0.5 * self.weight(name)

    def explain(self) -> dict[str, object]:
        return {"z_full": self.settings.z_full,
                "coins": {coin: {**est.explain(), "weights": self.weights(coin)}
                          for coin, est in self._estimators.items()},
                "fill_observations": self.fill_observations, "skipped": self.skipped}


def _is_buy(fill: object) -> bool:
    if isinstance(fill, Fill):
        return fill.is_buy
    if isinstance(fill, Mapping):
        side = fill.get("side", fill.get("is_buy", True))
        return side in (True, "B", "buy", "bid")
    return bool(getattr(fill, "is_buy", True))


def _explain_change(name: str, old: float | None, new: float, coef: float, std: float,
                    prior: float, n_eff: float) -> str:
    start = "starts at" if old is None else f"{old:.2f} ->"
    return (f"{name} trust {start} {new:.2f}: {coef:+.4f} bps/unit +- {std:.4f} "
            f"(prior {prior:+.4f}) after {n_eff:.0f} effective samples")
