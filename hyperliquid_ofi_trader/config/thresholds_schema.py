"""thresholds.yaml: feed liveness, signals, regimes, alpha fusion and order routing."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Self

from pydantic import AfterValidator, Field, Strict, WrapSerializer, create_model, model_validator

from hyperliquid_ofi_trader.config.base import (
    BOOK_LEVELS,
    MAX_PING_INTERVAL_S,
    NS_PER_MS,
    VENUE_IDLE_TIMEOUT_S,
    WEIGHT_SUM_EPS,
    CoinName,
    FrozenModel,
    deep_merge,
    dump_mapping,
    freeze_mapping,
)
from hyperliquid_ofi_trader.config.rules import Violation, raise_if_any

# A YAML list is accepted for a tuple (Strict(False) on the container), its items stay
# strictly typed: no "0.5" strings, no NaN.
StrictFloat = Annotated[float, Strict(), Field(allow_inf_nan=False)]


class ChannelCadenceMs(FrozenModel):
    """Expected longest gap between two pushes of each channel, in ms."""

    l2_book: int = Field(alias="l2Book", gt=0, description="l2Book push cadence (ms).")
    bbo: int = Field(gt=0, description="bbo cadence (ms); quiet markets can go seconds.")
    trades: int = Field(gt=0, description="trades cadence (ms); prints can pause for long.")
    active_asset_ctx: int = Field(
        alias="activeAssetCtx", gt=0, description="activeAssetCtx cadence (ms)."
    )

    def as_mapping(self) -> Mapping[str, int]:
        """Cadence (ms) by wire channel name: `l2Book`, `bbo`, `trades`, `activeAssetCtx`."""
        return MappingProxyType(
            {
                "l2Book": self.l2_book,
                "bbo": self.bbo,
                "trades": self.trades,
                "activeAssetCtx": self.active_asset_ctx,
            }
        )

    def as_ns_mapping(self) -> Mapping[str, int]:
        """Cadence in ns by wire channel name, as the venue's feed watchdog takes it."""
        return MappingProxyType({k: v * NS_PER_MS for k, v in self.as_mapping().items()})

    def for_channel(self, channel: str) -> int:
        """Cadence (ms) of one wire channel; KeyError for a channel not configured."""
        return self.as_mapping()[channel]


class FeedThresholds(FrozenModel):
    """Feed liveness: when a channel counts as stale, and the heartbeat."""

    stale_factor: float = Field(
        gt=1.0,
        description="A channel is stale after stale_factor x its cadence without a push.",
    )
    cadence_ms: ChannelCadenceMs = Field(description="Expected cadence per channel (ms).")
    ping_interval_s: float = Field(
        gt=0,
        le=MAX_PING_INTERVAL_S,
        description=f"Seconds between pings; at most {MAX_PING_INTERVAL_S:g} (the venue "
        f"drops sockets silent for {VENUE_IDLE_TIMEOUT_S:g} s).",
    )

    def stale_after_ms(self, channel: str) -> float:
        """Silence (ms) after which `channel` is stale."""
        return self.stale_factor * self.cadence_ms.for_channel(channel)


class SignalSection(FrozenModel):
    """Base of a signal's own thresholds.yaml section. Each subclass IS a signal: `signal`
    is its published name and its section key, and `SIGNAL_NAMES` (alpha weights,
    staleness limits, signals/registry.py) is derived from the subclasses in the order
    they are defined here."""

    signal: ClassVar[str]
    label: ClassVar[str]  # how descriptions name it


class OfiThresholds(SignalSection):
    """Order-flow imbalance signal parameters.

    The signal stage publishes one OFI value per event: Level-1 OFI (`levels: 1`), the
    equally weighted mean of the per-level OFIs of the `levels` best levels (multi-level
    OFI), or, with `integrated: true`, integrated OFI: the per-level OFIs combined with
    fitted `integration_weights` (Cont, Cucuringu & Zhang 2023; `hlofi research ofi`
    prints them as `integrated_weights`).
    """

    signal: ClassVar[str] = "ofi"
    label: ClassVar[str] = "OFI"

    window_ms: int = Field(gt=0, description="Summation window of OFI on exchange time (ms).")
    levels: int = Field(
        ge=1, le=BOOK_LEVELS, description="Book levels in multi-level OFI (1 = Level-1 OFI)."
    )
    integrated: bool = Field(
        description="Use integrated OFI (levels combined with fitted integration_weights) "
        "instead of equal weights."
    )
    integration_weights: Annotated[tuple[StrictFloat, ...], Strict(False)] | None = Field(
        description="One fitted weight per level (level 1 first), required by integrated: "
        "true; scaled to unit L1 norm.",
    )
    depth_levels: int = Field(
        ge=1, le=BOOK_LEVELS, description="Levels summed for the depth that normalises OFI."
    )

    @model_validator(mode="after")
    def _weights_match_mode(self) -> Self:
        raise_if_any(self._weight_violations())
        return self

    def _weight_violations(self) -> list[Violation]:
        weights = self.integration_weights
        key = (("integration_weights",), None if weights is None else list(weights))
        mode = (("integrated",), self.integrated)
        if not self.integrated:
            return [] if weights is None else [
                Violation((key, mode), "weights are only used with integrated: true")]
        if weights is None:
            return [Violation((mode, key), "integrated OFI needs fitted weights "
                                           "(hlofi research ofi prints integrated_weights)")]
        if len(weights) != self.levels:
            return [Violation((key, (("levels",), self.levels)),
                              "needs exactly one weight per level")]
        if not any(weights):
            return [Violation((key,), "weights must not all be zero")]
        return []

    def signal_weights(self) -> tuple[float, ...] | None:
        """Per-level weights of the published OFI: None = Level-1 OFI."""
        if self.integrated:
            return self.integration_weights
        return None if self.levels == 1 else (1.0,) * self.levels


class LeadLagThresholds(SignalSection):
    """Lead-lag signal parameters (the pairs and windows are in symbols.yaml)."""

    signal: ClassVar[str] = "leadlag"
    label: ClassVar[str] = "lead-lag"

    threshold_sigma: float = Field(
        gt=0, description="Lead return must exceed this many sigmas of its own volatility."
    )
    vol_halflife_ms: int = Field(gt=0, description="Half-life of the lead's volatility EWMA (ms).")


class AggressiveVolumeThresholds(SignalSection):
    """Taker-imbalance signal parameters."""

    signal: ClassVar[str] = "aggressive_volume"
    label: ClassVar[str] = "taker-imbalance"

    window_ms: int = Field(gt=0, description="Window of buy vs sell taker volume (ms).")


class MicropriceThresholds(SignalSection):
    """Micro-price signal parameters."""

    signal: ClassVar[str] = "microprice"
    label: ClassVar[str] = "micro-price"

    model_path: str | None = Field(
        min_length=1,
        description="Fitted micro-price model file; null = weighted mid (no fitted model).",
    )


SIGNAL_SECTIONS: tuple[type[SignalSection], ...] = tuple(SignalSection.__subclasses__())
SIGNAL_NAMES: tuple[str, ...] = tuple(section.signal for section in SIGNAL_SECTIONS)
"""The one list of signal names: signals/, alpha/ and the config (weights, staleness)."""


def _per_signal_fields(annotation: type, description: str, *, gt: float | None = None,
                       ge: float | None = None, le: float | None = None) -> dict[str, Any]:
    """One field per signal, for a model keyed by signal name (`{label}` in description)."""
    return {section.signal: (annotation, Field(
        description=description.format(label=section.label), gt=gt, ge=ge, le=le))
        for section in SIGNAL_SECTIONS}


class _StaleAfterMsBase(FrozenModel):
    def as_mapping(self) -> Mapping[str, int]:
        """Lifetime (ms) by signal name."""
        return MappingProxyType({name: getattr(self, name) for name in SIGNAL_NAMES})

    def as_ns_mapping(self) -> Mapping[str, int]:
        """Lifetime in ns by signal name, as `signals.signal_state.SignalState` takes it."""
        return MappingProxyType({k: v * NS_PER_MS for k, v in self.as_mapping().items()})


if TYPE_CHECKING:
    class SignalStaleAfterMs(_StaleAfterMsBase):
        """Age (ms, exchange time) after which a signal value is ignored."""
else:
    SignalStaleAfterMs = create_model(
        "SignalStaleAfterMs", __base__=_StaleAfterMsBase, __module__=__name__,
        __doc__="Age (ms, exchange time) after which a signal value is ignored: one "
        "key per signal.",
        **_per_signal_fields(int, "{label} value lifetime (ms).", gt=0))


class SignalsThresholds(FrozenModel):
    """Signal bookkeeping shared by all signals."""

    stale_after_ms: SignalStaleAfterMs = Field(description="Lifetime of each signal (ms).")


class LiquidityRegimeThresholds(FrozenModel):
    """Liquidity switch with hysteresis (regime/liquidity.py).

    Become tradable only when depth >= enter_depth and spread <= enter_spread_bps;
    stop only when depth < exit_depth or spread > exit_spread_bps; so enter is the
    stricter bar on both (enter_depth > exit_depth, enter_spread_bps < exit_spread_bps).
    """

    depth_levels: int = Field(
        ge=1,
        le=BOOK_LEVELS,
        description="Best levels per side summed into the depth compared with the thresholds.",
    )
    enter_depth: float = Field(
        gt=0,
        description="Depth (coin units, both sides over depth_levels) needed to become tradable.",
    )
    exit_depth: float = Field(gt=0, description="Depth (coin units) below which trading stops.")
    enter_spread_bps: float = Field(
        gt=0, description="Spread (bps of mid) at or under which trading may start."
    )
    exit_spread_bps: float = Field(gt=0, description="Spread (bps) above which trading stops.")
    min_dwell_ms: int = Field(ge=0, description="Minimum time between two switches (ms).")

    @model_validator(mode="after")
    def _hysteresis_ordered(self) -> Self:
        found: list[Violation] = []
        if not self.enter_depth > self.exit_depth:
            found.append(
                Violation(
                    ((("enter_depth",), self.enter_depth), (("exit_depth",), self.exit_depth)),
                    "enter_depth must be > exit_depth (hysteresis: entering needs more depth)",
                )
            )
        if not self.enter_spread_bps < self.exit_spread_bps:
            found.append(
                Violation(
                    (
                        (("enter_spread_bps",), self.enter_spread_bps),
                        (("exit_spread_bps",), self.exit_spread_bps),
                    ),
                    "enter_spread_bps must be < exit_spread_bps "
                    "(hysteresis: entering needs a tighter spread)",
                )
            )
        raise_if_any(found)
        return self


class VolatilityRegimeThresholds(FrozenModel):
    """Realised-volatility levels (regime/volatility.py)."""

    halflife_ms: int = Field(gt=0, description="Half-life of the realised-volatility EWMA (ms).")
    high_vol_bps_per_s: float = Field(
        gt=0, description="HIGH volatility from here (bps per square-root second)."
    )
    extreme_vol_bps_per_s: float = Field(
        gt=0, description="EXTREME volatility from here (bps per square-root second)."
    )

    @model_validator(mode="after")
    def _levels_ordered(self) -> Self:
        if not self.extreme_vol_bps_per_s > self.high_vol_bps_per_s:
            raise_if_any(
                [
                    Violation(
                        (
                            (("high_vol_bps_per_s",), self.high_vol_bps_per_s),
                            (("extreme_vol_bps_per_s",), self.extreme_vol_bps_per_s),
                        ),
                        "extreme_vol_bps_per_s must be > high_vol_bps_per_s",
                    )
                ]
            )
        return self


class LiquidationRegimeThresholds(FrozenModel):
    """Liquidation-cascade detector (regime/liquidation.py)."""

    burst_window_ms: int = Field(gt=0, description="Window in which a taker burst is summed (ms).")
    burst_notional_usd: float = Field(
        gt=0, description="Taker notional in the window that counts as a burst (USD)."
    )
    one_sided_ratio: float = Field(
        gt=0.5, le=1.0, description="Share of the burst on one side (0.5 = balanced, 1 = all)."
    )
    jump_bps: float = Field(gt=0, description="Price move within the window that confirms (bps).")
    oi_drop_pct: float = Field(
        gt=0, lt=100, description="Open-interest drop between two asset contexts (percent)."
    )
    cooldown_ms: int = Field(
        ge=0, description="How long the flag stays raised after a detection (ms)."
    )
    catchup_sigma: float | None = Field(
        gt=0, description="A lag coin's burst in the direction its lead ran by at least this "
        "many sigmas of the lead's volatility (over catchup_window_ms) is a catch-up, not a "
        "cascade: no flag. null: every burst flags."
    )
    catchup_window_ms: int = Field(
        gt=0, description="How far back the lead's run is looked for (ms): the catch-up "
        "trails its lead by the lead-lag delay plus the time the lag takes to close the gap."
    )


class RegimeThresholds(FrozenModel):
    """All regime detectors."""

    liquidity: LiquidityRegimeThresholds = Field(description="Liquidity switch.")
    volatility: VolatilityRegimeThresholds = Field(description="Volatility levels.")
    liquidation: LiquidationRegimeThresholds = Field(description="Liquidation detector.")


class CoinThresholds(FrozenModel):
    """One coin's own thresholds: the global sections with the coin's `per_coin` keys over
    them (resolved at load; a coin without an entry uses the global sections as they are).

    Only the regime carries thresholds in coin-dependent units (depth in coin units; the
    volatility and liquidation levels of a coin of another scale). The router's thresholds
    are already scale-free (OFI divided by depth, bps, fractions of depth, ticks), and the
    kill switch's depth test is a fraction of the coin's own recent depth over the coin's
    liquidity `depth_levels`."""

    regime: RegimeThresholds = Field(description="Regime detectors of this coin.")


CoinThresholdsMap = Annotated[
    Mapping[CoinName, CoinThresholds], AfterValidator(freeze_mapping),
    WrapSerializer(dump_mapping)
]
# Sections of thresholds.yaml a `per_coin` entry may override, key by key.
PER_COIN_SECTIONS: tuple[str, ...] = ("regime",)


def resolve_per_coin(data: Any) -> Any:
    """Raw thresholds with each `per_coin` entry merged over the global sections it names.

    A coin's entry sets only the keys it changes (as a user file does over the defaults);
    anything malformed is left as is for the model validation to name precisely."""
    if not isinstance(data, Mapping):
        return data
    per_coin = data.get("per_coin")
    if not isinstance(per_coin, Mapping):
        return data
    resolved = {coin: _resolve_coin(data, entry) for coin, entry in per_coin.items()}
    return {**data, "per_coin": resolved}


def _resolve_coin(data: Mapping[str, Any], entry: Any) -> Any:
    if not isinstance(entry, Mapping):
        return entry
    merged = dict(entry)
    for section in PER_COIN_SECTIONS:
        base, own = data.get(section), entry.get(section, {})
        if isinstance(base, Mapping) and isinstance(own, Mapping):
            merged[section] = deep_merge(base, own)
    return merged


class _AlphaWeightsBase(FrozenModel):
    @model_validator(mode="after")
    def _sum_in_range(self) -> Self:
        # Sum <= 1 keeps a fusion of [-1, 1] signals inside [-1, 1] before compression.
        total = sum(self.as_mapping().values())
        if not 0 < total <= 1 + WEIGHT_SUM_EPS:
            fields = tuple(((name,), value) for name, value in self.as_mapping().items())
            raise_if_any([Violation(fields, f"weights sum to {total:g}: must be > 0 and <= 1")])
        return self

    def as_mapping(self) -> Mapping[str, float]:
        """By signal name, as `alpha.combiner.AlphaCombiner(weights=...)` takes them."""
        return MappingProxyType({name: getattr(self, name) for name in SIGNAL_NAMES})


if TYPE_CHECKING:
    class AlphaWeights(_AlphaWeightsBase):
        """Fusion weight of each signal; each in [0, 1], their sum in (0, 1]."""
else:
    AlphaWeights = create_model(
        "AlphaWeights", __base__=_AlphaWeightsBase, __module__=__name__,
        __doc__="Fusion weight of each signal; each in [0, 1], their sum in (0, 1].",
        **_per_signal_fields(float, "Weight of the {label} signal.", ge=0, le=1))


class AlphaThresholds(FrozenModel):
    """Alpha fusion and conditioning."""

    weights: AlphaWeights = Field(description="Per-signal fusion weights of the seed-style "
                                  "weighted sum (AlphaCombiner without a forecaster); the "
                                  "assembled strategy's alpha is the forecast's.")
    compression_scale: float = Field(
        gt=0, description="Seed-style weighted sum: alpha = tanh(raw / compression_scale). "
        "The forecast alpha's scale is forecast.alpha_scale_bps."
    )
    high_vol_damping: float = Field(
        ge=0, le=1, description="Factor applied to alpha in HIGH volatility (0 = mute, 1 = none)."
    )


class RouterThresholds(FrozenModel):
    """Order routing: when to cross the spread, when to rest, when to skip."""

    ofi_high: float = Field(gt=0, description="|OFI| at or above which the router takes (IOC).")
    ofi_mid: float = Field(gt=0, description="Seed-style OFI table: |OFI| at or above which "
                           "it rests (post-only). Routing on edge does not use it.")
    min_abs_alpha: float = Field(
        ge=0, lt=1, description="|alpha| below this is a skip (no order)."
    )
    ioc_slippage_bps: float = Field(
        gt=0, le=500, description="IOC limit price offset from the mid (bps); 500 = 5%."
    )
    ioc_depth_fraction: float = Field(
        default=0.5,
        gt=0,
        le=1,
        description="An IOC takes at most this fraction of the opposite depth inside its "
        "limit price (1 = all of it).",
    )
    requote_ticks: int = Field(
        default=3,
        ge=1,
        description="A resting post-only order this many ticks behind its ideal price is "
        "re-quoted (cancel and replace).",
    )
    lead_reserved_orders_per_minute: int = Field(
        default=20, ge=0, description="Part of risk.limits.max_orders_per_minute kept for "
        "lead-lag entries (their edge lives for a few hundred ms).")
    exit_reserved_orders_per_minute: int = Field(
        default=10, ge=0, description="Part of risk.limits.max_orders_per_minute kept for "
        "reduce-only orders (exits): no entry, lead-lag ones included, can leave a position "
        "without the budget to close it.")

    @model_validator(mode="after")
    def _high_above_mid(self) -> Self:
        if not self.ofi_high > self.ofi_mid:
            raise_if_any(
                [
                    Violation(
                        ((("ofi_high",), self.ofi_high), (("ofi_mid",), self.ofi_mid)),
                        "ofi_high (HIGH) must be > ofi_mid (MID)",
                    )
                ]
            )
        return self


class ForecastThresholds(FrozenModel):
    """The fitted forecast in bps (alpha/forecast.py) and its online estimator."""

    model_path: str | None = Field(
        default=None, description="Model file from `hlofi research fit` (relative to the "
        "config folder); null = the packaged model of each traded coin (fitted on synthetic "
        "recordings), or a zero prior for a coin without one.")
    alpha_scale_bps: float = Field(
        default=5.0, gt=0, description="alpha = tanh(forecast bps / this): the order size.")
    prior_n_eff: float = Field(
        default=10.0, gt=0, description="How many independent samples the fitted prior is "
        "worth against the market's own forward moves.")
    halflife_s: float = Field(default=600.0, gt=0,
                              description="Forgetting half-life of the online data (s).")
    sample_ms: int = Field(default=100, gt=0,
                           description="Minimum spacing of scored decisions per coin (ms).")
    coef_bound_bps: float = Field(
        default=50.0, gt=0, description="Bound on each coefficient (bps per feature std).")
    max_forecast_bps: float = Field(default=100.0, gt=0,
                                    description="Bound on the forecast itself (bps).")
    sigma_halflife_samples: float = Field(
        default=500.0, gt=0, description="Half-life of the residual variance estimate "
        "(scored samples).")
    max_gap_ms: int = Field(
        default=1_000, gt=0, description="A scored sample's entry/exit mid may be this late "
        "(ms), no later: a gap in the data refuses the sample.")
    min_evidence: float = Field(
        default=0.0, ge=0, description="No entry before the forecast is backed by this many "
        "effective samples of the market's own forward moves (0: the forecast's std already "
        "carries the prior's uncertainty, which the router's lower bound charges).")
    trust_z_full: float = Field(
        default=3.0, gt=0, description="A signal's trust is 1 once its coefficient is this "
        "many standard errors away from 0 in its expected direction.")


class CostThresholds(FrozenModel):
    """The cost model (execution/costs.py): what an order type costs, in bps."""

    fee_tier: int = Field(default=0, ge=0, le=6,
                          description="Hyperliquid perps volume tier 0-6 (the schedule: "
                          "venues/hyperliquid/common/fees.py).")
    maker_rebate_tier: int | None = Field(
        default=None, ge=1, le=3, description="Maker-rebate tier 1-3, null for none.")
    adverse_prior_bps: float = Field(
        default=1.0, ge=0, description="Prior adverse selection of a post-only fill (bps).")
    adverse_prior_fills: float = Field(
        default=5.0, gt=0, description="How many fills the adverse-selection prior is worth.")
    adverse_horizon_ms: int = Field(
        default=1_000, gt=0, description="Markout horizon of a post-only fill that measures "
        "its adverse selection (ms; one of the trust horizons).")
    expected_slippage_bps: float = Field(
        default=0.5, ge=0, description="IOC slippage beyond the touch, expected (bps): the "
        "prior until our IOC fills measure it.")
    edge_halflife_ms: float = Field(
        default=800.0, gt=0, description="Edge lost per this much latency beyond the "
        "forecast's own (half-life, ms).")
    min_margin_bps: float = Field(
        default=0.0, ge=0, description="Edge must beat cost by at least this (bps).")
    uncertainty_k: float = Field(
        default=0.5, ge=0, description="Trade on forecast - k x its standard error.")
    exit_post_only_share: float = Field(
        default=0.5, ge=0, le=1, description="Prior share of exits that fill post-only at "
        "our touch (the rest by IOC) when pricing a round trip, until our own exit fills "
        "measure it.")
    exit_mix_prior_fills: float | None = Field(
        default=None, gt=0, description="How many exit fills the prior exit share is worth "
        "against the maker share measured on our exit fills; null: not measured, the prior "
        "is the share.")
    slippage_prior_fills: float | None = Field(
        default=None, gt=0, description="How many IOC orders `expected_slippage_bps` (the "
        "prior) is worth against our measured IOC slippage beyond the touch; null: not "
        "measured, the prior is the slippage.")
    fill_probability: float = Field(
        default=0.3, gt=0, le=1, description="Expected fill probability of a post-only order "
        "(IOC is preferred when its margin beats this times the post-only margin).")


class ThresholdsConfig(FrozenModel):
    """thresholds.yaml: feed, signals, regimes, alpha and router parameters."""

    feed: FeedThresholds = Field(description="Feed liveness.")
    ofi: OfiThresholds = Field(description="OFI signal.")
    leadlag: LeadLagThresholds = Field(description="Lead-lag signal.")
    aggressive_volume: AggressiveVolumeThresholds = Field(description="Taker imbalance.")
    microprice: MicropriceThresholds = Field(description="Micro-price signal.")
    signals: SignalsThresholds = Field(description="Shared signal settings.")
    regime: RegimeThresholds = Field(description="Regime detectors.")
    alpha: AlphaThresholds = Field(description="Alpha fusion.")
    router: RouterThresholds = Field(description="Order routing.")
    forecast: ForecastThresholds = Field(default_factory=ForecastThresholds,
                                         description="Fitted forecast in bps.")
    costs: CostThresholds = Field(default_factory=CostThresholds,
                                  description="Cost model (fees, spread, adverse selection).")
    per_coin: CoinThresholdsMap = Field(
        description="Per coin: the keys of `regime` that differ for "
        "that coin (e.g. liquidity depths in its own units); every other coin uses the "
        "global sections.")

    @model_validator(mode="before")
    @classmethod
    def _resolve_per_coin(cls, data: Any) -> Any:
        return resolve_per_coin(data)

    def regime_for(self, coin: str) -> RegimeThresholds:
        """The regime thresholds of `coin`: its own when `per_coin` has it, else global."""
        own = self.per_coin.get(coin)
        return self.regime if own is None else own.regime
