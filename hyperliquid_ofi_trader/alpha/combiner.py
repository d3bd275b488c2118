"""AlphaCombiner: many signals in, one number in [-1, +1] out. It never touches orders.

    raw         = sum over configured signals present and finite of  w_cfg * trust * value
    compressed  = tanh(raw / compression_scale)                   (alpha.compression)
    conditioned = regime conditioning of `compressed`              (alpha.conditioning)

- Weighted SUM, not average: a missing signal contributes nothing (it does not shift weight
  onto the others), so losing one feed can only shrink conviction, never inflate it.
- A non-finite value (NaN/inf) or a non-number (text included) is rejected: excluded from the
  sum and counted in `rejected[name]`; it never raises and never reaches the output.
- Trust comes from the feedback layer through `TrustProvider.weight(name)` (default 1.0). A
  trust outside [0, 1] is clamped (NaN -> 0) and counted in `trust_clamped`: a broken feedback
  layer can switch a signal off but never amplify it.
- If finite contributions overflow into inf - inf (NaN), the alpha is 0 with reason
  `invalid_alpha` and `overflows` counts it; a one-sided overflow saturates to +-1.
- Signals not named in the weights are ignored (configuration decides what trades).

`explain()` returns the breakdown of the LAST `compute` for the journal; it is built lazily so
`compute` itself allocates nothing but the floats of its arithmetic.

Forecast mode (a `forecaster` is given: how the strategy is assembled from config). The
alpha is derived from the forecast in bps of the traded coin (alpha/forecast.py, fitted and
updated online) instead of the weighted sum:

    raw = forecast_bps / alpha_scale_bps      conditioned as above

and the forecast (signed bps, the uncertainty of its mean, horizon and latency, scaled by the
regime's conditioning: 0 when the regime blocks, damped in HIGH volatility) is kept per coin
for the router (`edge_of(coin)`) and the journal (`explain().forecast`), with the model's
features and their parts of the forecast (`explain().features`: coefficient x value) and
the trust changes (`explain().trust_changes`) the forecaster reported since the last row.
The configured weights take no part in this mode, so the breakdown lists no signals.

`AlphaCombiner()` with no weights takes them from the packaged thresholds.yaml; the seed's
key `av` is read as `aggressive_volume` when the latter is absent.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Final, Protocol

import msgspec

from hyperliquid_ofi_trader.alpha.compression import (
    AlphaConfigError,
    compress,
    validate_scale,
)
from hyperliquid_ofi_trader.alpha.conditioning import Conditioning, condition, validate_damping
from hyperliquid_ofi_trader.alpha.finite import finite_number
from hyperliquid_ofi_trader.alpha.forecast import EdgeEstimate, FeatureContribution
from hyperliquid_ofi_trader.regime.state import LiquidityLevel, RegimeState, VolLevel

_USED: Final = "used"
_MISSING: Final = "missing"
_REJECTED: Final = "rejected"
_BIG: Final = 1e300  # clamp for a one-sided overflow, so compress sees a finite score
_ALIASES: Final = {"aggressive_volume": "av"}  # the seed's short key
# A regime that is not a RegimeState (the seed passes plain values): tradable, normal.
_PLAIN_REGIME: Final = RegimeState(tradable=True, liquidity=LiquidityLevel.LIQUID,
                                   volatility=VolLevel.NORMAL, liquidation=False)


class TrustProvider(Protocol):
    """Per-signal trust in [0, 1] from the feedback layer (1 = full trust)."""

    def weight(self, name: str) -> float: ...


class Forecaster(Protocol):
    """The online forecast (feedback.trust_score.SignalTrust): per decision, the expected
    move of `coin` in bps from these signals; reports trust changes for the journal."""

    def forecast(self, coin: str, exchange_ns: int,
                 signals: Mapping[str, float]) -> EdgeEstimate: ...

    def publish(self, edge: EdgeEstimate) -> None: ...

    def breakdown(self, coin: str) -> tuple[FeatureContribution, ...]: ...

    def drain_changes(self) -> list[dict[str, object]]: ...


class SignalContribution(msgspec.Struct, frozen=True, gc=False, kw_only=True):
    """One signal's part in one alpha. `value` is NaN unless status is "used"."""

    name: str
    status: str  # "used" | "missing" | "rejected"
    value: float
    config_weight: float
    trust: float
    contribution: float


class AlphaBreakdown(msgspec.Struct, frozen=True, gc=False, kw_only=True):
    """Everything that produced one alpha, for the decision journal.

    Weighted-sum mode: `signals` holds each configured signal's part of `raw`. Forecast
    mode: `signals` is empty (the configured weights play no part in the alpha), and
    `features` holds each model feature's part of the forecast (`forecast`), the one number
    `raw` is derived from."""

    signals: tuple[SignalContribution, ...]
    raw: float
    compressed: float
    conditioned: float
    reason: str
    regime_reasons: tuple[str, ...]
    forecast: EdgeEstimate | None = None
    features: tuple[FeatureContribution, ...] = ()
    trust_changes: tuple[dict[str, object], ...] = ()

    def as_dict(self) -> dict[str, object]:
        out: dict[str, object] = msgspec.to_builtins(self)
        return out


class AlphaCombiner:
    """Weighted fusion of named signals into a regime-conditioned alpha in [-1, +1]."""

    __slots__ = (
        "_alpha_scale_bps",
        "_damping",
        "_edges",
        "_forecaster",
        "_idle",
        "_last_edge",
        "_last_used",
        "_names",
        "_regime",
        "_scale",
        "_status",
        "_trust",
        "_trusts",
        "_values",
        "_weights",
        "computes",
        "last_alpha",
        "last_compressed",
        "last_raw",
        "last_reason",
        "overflows",
        "rejected",
        "trust_clamped",
    )

    def __init__(
        self,
        weights: Mapping[str, float] | None = None,
        compression_scale: float = 1.0,
        high_vol_damping: float = 0.5,
        trust: TrustProvider | None = None,
        forecaster: Forecaster | None = None,
        alpha_scale_bps: float = 5.0,
    ) -> None:
        if weights is None:
            weights = _packaged_weights()
        self._names, self._weights = _validated_weights(weights)
        self._forecaster = forecaster
        self._alpha_scale_bps = validate_scale(alpha_scale_bps)
        self._edges: dict[str, EdgeEstimate] = {}
        self._last_edge: EdgeEstimate | None = None
        self._scale = validate_scale(compression_scale)
        self._damping = validate_damping(high_vol_damping)
        self._trust = trust
        n = len(self._names)
        # Per-compute scratch, overwritten in place (no allocation on the hot path).
        self._values = [math.nan] * n
        self._trusts = [1.0] * n
        self._status = [_MISSING] * n
        self._regime: RegimeState | None = None
        # The contribution of a signal that is not used depends on its name and status
        # only (value and trust NaN, contribution 0): built once, shared by every breakdown
        # (they are immutable).
        self._idle = tuple(
            {status: SignalContribution(name=name, status=status, value=math.nan,
                                        config_weight=weight, trust=math.nan, contribution=0.0)
             for status in (_MISSING, _REJECTED)}
            for name, weight in zip(self._names, self._weights, strict=True))
        # Per signal, the contribution last built for it as used: the next breakdown shares
        # it when value and trust are the same float objects (an unchanged signal: a lead
        # coin's event leaves the traded coin's own signals as they were).
        self._last_used: list[SignalContribution | None] = [None] * n
        self.last_raw = 0.0
        self.last_compressed = 0.0
        self.last_alpha = 0.0
        self.last_reason = Conditioning.OK
        self.computes = 0
        self.overflows = 0
        self.trust_clamped = 0
        self.rejected: dict[str, int] = dict.fromkeys(self._names, 0)

    @property
    def names(self) -> tuple[str, ...]:
        return self._names

    def compute(self, signals: Mapping[str, float], regime: RegimeState) -> float:
        """The conditioned alpha in [-1, +1] for these signals under this regime."""
        self.computes += 1
        if type(regime) is not RegimeState and not isinstance(regime, RegimeState):
            regime = _PLAIN_REGIME
        self._regime = regime
        if self._forecaster is not None:
            return self._compute_forecast(self._forecaster, signals, regime)
        raw = self._fuse(signals)
        self.last_raw = raw
        if math.isnan(raw):
            self.overflows += 1
            compressed = math.nan
        else:
            compressed = compress(max(-_BIG, min(_BIG, raw)), self._scale)
        self.last_compressed = compressed
        alpha, reason = condition(compressed, regime, self._damping)
        self.last_alpha = alpha
        self.last_reason = reason
        return alpha

    def edge_of(self, coin: str) -> EdgeEstimate | None:
        """The last regime-conditioned forecast of `coin` (forecast mode), for the router."""
        return self._edges.get(coin)

    def explain(self) -> AlphaBreakdown:
        """Breakdown of the last `compute` (valid until the next one)."""
        regime = self._regime
        forecaster = self._forecaster
        if forecaster is None:
            return AlphaBreakdown(
                signals=self._contributions(), raw=self.last_raw,
                compressed=self.last_compressed, conditioned=self.last_alpha,
                reason=self.last_reason,
                regime_reasons=() if regime is None else regime.reasons)
        return AlphaBreakdown(
            signals=(), raw=self.last_raw, compressed=self.last_compressed,
            conditioned=self.last_alpha, reason=self.last_reason,
            regime_reasons=() if regime is None else regime.reasons,
            forecast=self._last_edge,
            features=() if regime is None else forecaster.breakdown(regime.coin),
            trust_changes=tuple(forecaster.drain_changes()),
        )

    # ------------------------------------------------------------ forecast mode

    def _compute_forecast(self, forecaster: Forecaster, signals: Mapping[str, float],
                          regime: RegimeState) -> float:
        edge = forecaster.forecast(regime.coin, regime.exchange_ns, signals)
        raw = edge.bps / self._alpha_scale_bps
        self.last_raw = raw
        compressed = compress(raw, self._scale) if raw - raw == 0.0 else math.nan
        self.last_compressed = compressed
        alpha, reason = condition(compressed, regime, self._damping)
        self.last_alpha, self.last_reason = alpha, reason
        # The regime's verdict applies to the edge as it does to alpha (0 when blocked).
        factor = alpha / compressed if compressed else 0.0
        if factor != 1.0:
            edge = EdgeEstimate(coin=edge.coin, bps=edge.bps * factor,
                                std_bps=edge.std_bps * abs(factor),
                                horizon_ms=edge.horizon_ms, latency_ms=edge.latency_ms,
                                exchange_ns=edge.exchange_ns, n_eff=edge.n_eff,
                                lead_share=edge.lead_share)
        self._edges[regime.coin] = edge
        self._last_edge = edge
        forecaster.publish(edge)
        return alpha

    # ------------------------------------------------------------ internals

    def _fuse(self, signals: Mapping[str, float]) -> float:
        raw = 0.0
        values, trusts, status, weights = self._values, self._trusts, self._status, self._weights
        provider = self._trust
        for i, name in enumerate(self._names):
            value = signals.get(name)
            if value is None:
                value = _lookup(signals, name)
            if value is None:
                values[i] = math.nan
                status[i] = _MISSING
                continue
            # Fast path: a finite plain float (x - x is NaN for inf and NaN).
            x = value if type(value) is float and value - value == 0.0 else finite_number(value)
            if x is None:
                values[i] = math.nan
                status[i] = _REJECTED
                self.rejected[name] += 1
                continue
            trust = 1.0 if provider is None else self._trust_of(provider, name)
            values[i] = x
            trusts[i] = trust
            status[i] = _USED
            raw += weights[i] * trust * x
        return raw

    def _trust_of(self, provider: TrustProvider, name: str) -> float:
        t = provider.weight(name)
        if 0.0 <= t <= 1.0:
            return t
        self.trust_clamped += 1
        return 1.0 if t > 1.0 else 0.0  # NaN and negatives switch the signal off

    def _contributions(self) -> tuple[SignalContribution, ...]:
        # Runs for the journal on every decision: one loop, and only used signals whose
        # value or trust changed allocate (the same objects make the same contribution).
        names, status, values, weights, trusts, last = (
            self._names, self._status, self._values, self._weights, self._trusts,
            self._last_used)
        out: list[SignalContribution] = []
        for i, idle in enumerate(self._idle):
            if status[i] != _USED:
                out.append(idle[status[i]])
                continue
            weight, trust, value = weights[i], trusts[i], values[i]
            c = last[i]
            if c is None or c.value is not value or c.trust is not trust:
                c = last[i] = SignalContribution(
                    name=names[i], status=_USED, value=value, config_weight=weight,
                    trust=trust, contribution=weight * trust * value)
            out.append(c)
        return tuple(out)


def _lookup(signals: Mapping[str, float], name: str) -> float | None:
    value = signals.get(name)
    if value is None:
        alias = _ALIASES.get(name)
        if alias is not None:
            value = signals.get(alias)
    return value


def _packaged_weights() -> dict[str, float]:
    # Imported here: the hot-path module must not load the config layer (pydantic) unless
    # a caller asks for the packaged defaults.
    from hyperliquid_ofi_trader.config.loader import load_config

    return dict(load_config(None).thresholds.alpha.weights.as_mapping())


def _validated_weights(weights: Mapping[str, float]) -> tuple[tuple[str, ...], tuple[float, ...]]:
    if not weights:
        raise AlphaConfigError("alpha weights are empty: no signal could ever contribute")
    names: list[str] = []
    values: list[float] = []
    for name, w in weights.items():
        if not isinstance(name, str) or not name:
            raise AlphaConfigError(f"signal names must be non-empty strings, got {name!r}")
        x = finite_number(w)
        if x is None:
            raise AlphaConfigError(f"weight of {name!r} must be a finite number, got {w!r}")
        names.append(name)
        values.append(x)
    return tuple(names), tuple(values)
