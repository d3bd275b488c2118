"""Typed, frozen configuration models: `symbols.yaml`, `thresholds.yaml`, `risk.yaml`.

Config loads once at start-up, off the hot path, so pydantic is used here (and only here).
Every model is frozen (assignment raises), forbids unknown keys, is strict about types
(no "5" for 5, no true for 1, no 2.5 for an int, no NaN/inf) and bounds every number.
Mappings are exposed read-only (`MappingProxyType`), so nothing downstream can mutate
the config it was built from. Units are in the field names: `_ms`, `_s`, `_bps`, `_usd`.

Rules that span several keys live in `model_validator`s and raise `ConfigRuleError`,
which names every key involved. Components should take plain values from these models
in their constructors rather than holding the models on the hot path.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Annotated, Any, Final, Self

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    SerializerFunctionWrapHandler,
    Strict,
    StringConstraints,
    WrapSerializer,
    field_validator,
    model_validator,
)

from hyperliquid_ofi_trader.config.rules import Violation, raise_if_any

# The lead-lag effect between two venues' coins is a sub-second phenomenon; a window of
# 300 ms or more measures ordinary co-movement, not lead-lag.
LEAD_LAG_MAX_WINDOW_MS: Final = 300
# l2Book carries 20 levels per side, 5 with `fast: true`.
BOOK_LEVELS: Final = 20
FAST_BOOK_LEVELS: Final = 5
# The venue refuses orders below $10 notional.
VENUE_MIN_ORDER_USD: Final = 10.0
# The venue closes a connection silent for 60 s: pings must come before that.
VENUE_IDLE_TIMEOUT_S: Final = 60.0
# scheduleCancel must be at least 5 s ahead and triggers at most 10 times a day.
SCHEDULE_CANCEL_MIN_AHEAD_S: Final = 5.0
SCHEDULE_CANCEL_MAX_TRIGGERS: Final = 10
# Signal names shared by signals/, alpha/ and the config (weights, staleness).
SIGNAL_NAMES: Final = ("ofi", "leadlag", "aggressive_volume", "microprice")
# Tolerance on the alpha-weight sum so that 0.5 + 0.3 + 0.1 + 0.1 is accepted as 1.
_WEIGHT_SUM_EPS: Final = 1e-9
_NS_PER_MS: Final = 1_000_000


class _Frozen(BaseModel):
    """Base of every config model: immutable, closed to unknown keys, strictly typed."""

    model_config = ConfigDict(
        frozen=True,
        extra="forbid",
        strict=True,
        allow_inf_nan=False,
        validate_by_name=True,
        validate_by_alias=True,
    )


def _freeze(value: Mapping[Any, Any]) -> Mapping[Any, Any]:
    return MappingProxyType(dict(value))


def _dump_mapping(value: Mapping[Any, Any], handler: SerializerFunctionWrapHandler) -> Any:
    # The default Mapping serializer does not know mappingproxy: hand it a plain dict.
    return handler(dict(value))


CoinName = Annotated[
    str, StringConstraints(strict=True, pattern=r"^[A-Za-z0-9][A-Za-z0-9:_-]{0,31}$")
]
PositiveUsd = Annotated[float, Field(gt=0)]


# ---------------------------------------------------------------- symbols.yaml


class CoinSpec(_Frozen):
    """Static instrument facts, as in the venue's `meta` universe entry."""

    sz_decimals: int = Field(
        ge=0,
        le=6,
        description="Size decimals (meta.universe[].szDecimals): sizes round to this many "
        "decimals and prices may carry at most 6 - sz_decimals decimals.",
    )
    max_leverage: int = Field(
        ge=1, le=100, description="Venue maximum leverage (meta.universe[].maxLeverage)."
    )


CoinMap = Annotated[
    Mapping[CoinName, CoinSpec], AfterValidator(_freeze), WrapSerializer(_dump_mapping)
]
UsdPerCoin = Annotated[
    Mapping[CoinName, PositiveUsd], AfterValidator(_freeze), WrapSerializer(_dump_mapping)
]


class LeadLagPair(_Frozen):
    """Which coin leads, which lags, and the window in which the lag is looked for."""

    lead: CoinName = Field(description="Coin whose moves are expected to come first (BTC).")
    lag: CoinName = Field(description="Coin expected to follow (ETH); must differ from lead.")
    window_ms: int = Field(
        description="Window on exchange time in which a lead move may show in the lag coin; "
        f"must be > 0 and < {LEAD_LAG_MAX_WINDOW_MS} ms.",
    )

    @field_validator("window_ms")
    @classmethod
    def _window_in_range(cls, value: int) -> int:
        if not 0 < value < LEAD_LAG_MAX_WINDOW_MS:
            raise ValueError(
                f"must be > 0 and < {LEAD_LAG_MAX_WINDOW_MS} ms "
                "(lead-lag is a sub-300 ms effect; longer windows measure co-movement)"
            )
        return value

    @model_validator(mode="after")
    def _distinct_coins(self) -> Self:
        if self.lead == self.lag:
            raise_if_any(
                [
                    Violation(
                        ((("lead",), self.lead), (("lag",), self.lag)),
                        "lead and lag must be two different coins",
                    )
                ]
            )
        return self


class BookSubscription(_Frozen):
    """Options of the `l2Book` subscription."""

    fast: bool = Field(
        description="Subscribe with `fast: true`: 5 levels per side at about 0.5 s instead "
        "of 20 levels every few seconds."
    )
    n_sig_figs: int | None = Field(
        ge=2,
        le=5,
        description="Price aggregation (nSigFigs, 2-5); null = full precision (no aggregation).",
    )


class SymbolsConfig(_Frozen):
    """symbols.yaml: the instruments, the lead-lag pair, what is traded, book options."""

    coins: CoinMap = Field(min_length=1, description="Every coin the system subscribes to.")
    lead_lag: LeadLagPair = Field(description="The lead-lag pair and its window.")
    traded: Annotated[tuple[CoinName, ...], Strict(False)] = Field(
        min_length=1, description="Coins the system may place orders in (each listed in coins)."
    )
    book: BookSubscription = Field(description="l2Book subscription options.")

    @model_validator(mode="after")
    def _coins_are_listed(self) -> Self:
        raise_if_any(self._violations())
        return self

    def _violations(self) -> list[Violation]:
        listed = ", ".join(self.coins)
        found = [
            Violation(((("lead_lag", role), coin),), f"not listed in coins ({listed})")
            for role, coin in (("lead", self.lead_lag.lead), ("lag", self.lead_lag.lag))
            if coin not in self.coins
        ]
        found += [
            Violation(((("traded", i), coin),), f"not listed in coins ({listed})")
            for i, coin in enumerate(self.traded)
            if coin not in self.coins
        ]
        if len(set(self.traded)) != len(self.traded):
            found.append(Violation(((("traded",), list(self.traded)),), "lists a coin twice"))
        return found


# ---------------------------------------------------------------- thresholds.yaml


class ChannelCadenceMs(_Frozen):
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
        """Cadence in ns by wire channel name, as data/feed_watchdog.py takes it."""
        return MappingProxyType({k: v * _NS_PER_MS for k, v in self.as_mapping().items()})

    def for_channel(self, channel: str) -> int:
        """Cadence (ms) of one wire channel; KeyError for a channel not configured."""
        return self.as_mapping()[channel]


class FeedThresholds(_Frozen):
    """Feed liveness: when a channel counts as stale, and the heartbeat."""

    stale_factor: float = Field(
        gt=1.0,
        description="A channel is stale after stale_factor x its cadence without a push.",
    )
    cadence_ms: ChannelCadenceMs = Field(description="Expected cadence per channel (ms).")
    ping_interval_s: float = Field(
        gt=0,
        lt=VENUE_IDLE_TIMEOUT_S,
        description="Seconds between pings; below 60, where the venue drops idle sockets.",
    )

    def stale_after_ms(self, channel: str) -> float:
        """Silence (ms) after which `channel` is stale."""
        return self.stale_factor * self.cadence_ms.for_channel(channel)


class OfiThresholds(_Frozen):
    """Order-flow imbalance signal parameters."""

    window_ms: int = Field(gt=0, description="Summation window of OFI on exchange time (ms).")
    levels: int = Field(
        ge=1, le=BOOK_LEVELS, description="Book levels in multi-level OFI (1 = Level-1 OFI)."
    )
    integrated: bool = Field(
        description="Use integrated OFI (levels combined into one factor) instead of Level-1."
    )
    depth_levels: int = Field(
        ge=1, le=BOOK_LEVELS, description="Levels summed for the depth that normalises OFI."
    )


class LeadLagThresholds(_Frozen):
    """Lead-lag signal parameters (the pair and window are in symbols.yaml)."""

    threshold_sigma: float = Field(
        gt=0, description="Lead return must exceed this many sigmas of its own volatility."
    )
    vol_halflife_ms: int = Field(gt=0, description="Half-life of the lead's volatility EWMA (ms).")


class AggressiveVolumeThresholds(_Frozen):
    """Taker-imbalance signal parameters."""

    window_ms: int = Field(gt=0, description="Window of buy vs sell taker volume (ms).")


class MicropriceThresholds(_Frozen):
    """Micro-price signal parameters."""

    model_path: str | None = Field(
        min_length=1,
        description="Fitted micro-price model file; null = weighted mid (no fitted model).",
    )


class SignalStaleAfterMs(_Frozen):
    """Age (ms, exchange time) after which a signal value is ignored."""

    ofi: int = Field(gt=0, description="OFI value lifetime (ms).")
    leadlag: int = Field(gt=0, description="Lead-lag value lifetime (ms).")
    aggressive_volume: int = Field(gt=0, description="Taker-imbalance value lifetime (ms).")
    microprice: int = Field(gt=0, description="Micro-price value lifetime (ms).")

    def as_mapping(self) -> Mapping[str, int]:
        """Lifetime (ms) by signal name."""
        return MappingProxyType({name: getattr(self, name) for name in SIGNAL_NAMES})

    def as_ns_mapping(self) -> Mapping[str, int]:
        """Lifetime in ns by signal name, as `signals.signal_state.SignalState` takes it."""
        return MappingProxyType({k: v * _NS_PER_MS for k, v in self.as_mapping().items()})


class SignalsThresholds(_Frozen):
    """Signal bookkeeping shared by all signals."""

    stale_after_ms: SignalStaleAfterMs = Field(description="Lifetime of each signal (ms).")


class LiquidityRegimeThresholds(_Frozen):
    """Liquidity switch with hysteresis (regime/liquidity.py).

    Become tradable only when depth >= enter_depth and spread <= enter_spread_bps;
    stop only when depth < exit_depth or spread > exit_spread_bps; so enter is the
    stricter bar on both (enter_depth > exit_depth, enter_spread_bps < exit_spread_bps).
    """

    depth_levels: int = Field(
        default=5,
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


class VolatilityRegimeThresholds(_Frozen):
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


class LiquidationRegimeThresholds(_Frozen):
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
        default=30_000, ge=0, description="How long the flag stays raised after a detection (ms)."
    )


class RegimeThresholds(_Frozen):
    """All regime detectors."""

    liquidity: LiquidityRegimeThresholds = Field(description="Liquidity switch.")
    volatility: VolatilityRegimeThresholds = Field(description="Volatility levels.")
    liquidation: LiquidationRegimeThresholds = Field(description="Liquidation detector.")


class AlphaWeights(_Frozen):
    """Fusion weight of each signal; each in [0, 1], their sum in (0, 1]."""

    ofi: float = Field(ge=0, le=1, description="Weight of the normalised OFI signal.")
    leadlag: float = Field(ge=0, le=1, description="Weight of the lead-lag signal.")
    aggressive_volume: float = Field(ge=0, le=1, description="Weight of taker imbalance.")
    microprice: float = Field(ge=0, le=1, description="Weight of the micro-price deviation.")

    @model_validator(mode="after")
    def _sum_in_range(self) -> Self:
        # Sum <= 1 keeps a fusion of [-1, 1] signals inside [-1, 1] before compression.
        total = sum(self.as_mapping().values())
        if not 0 < total <= 1 + _WEIGHT_SUM_EPS:
            fields = tuple(((name,), value) for name, value in self.as_mapping().items())
            raise_if_any([Violation(fields, f"weights sum to {total:g}: must be > 0 and <= 1")])
        return self

    def as_mapping(self) -> Mapping[str, float]:
        """By signal name, as `alpha.combiner.AlphaCombiner(weights=...)` takes them."""
        return MappingProxyType({name: getattr(self, name) for name in SIGNAL_NAMES})


class AlphaThresholds(_Frozen):
    """Alpha fusion and conditioning."""

    weights: AlphaWeights = Field(description="Per-signal fusion weights.")
    compression_scale: float = Field(
        gt=0, description="alpha = tanh(raw / compression_scale), so smaller is more aggressive."
    )
    high_vol_damping: float = Field(
        ge=0, le=1, description="Factor applied to alpha in HIGH volatility (0 = mute, 1 = none)."
    )


class RouterThresholds(_Frozen):
    """Order routing: when to cross the spread, when to rest, when to skip."""

    ofi_high: float = Field(gt=0, description="|OFI| at or above which the router takes (IOC).")
    ofi_mid: float = Field(gt=0, description="|OFI| at or above which it rests (post-only).")
    min_abs_alpha: float = Field(
        ge=0, lt=1, description="|alpha| below this is a skip (no order)."
    )
    ioc_slippage_bps: float = Field(
        gt=0, le=500, description="IOC limit price offset through the touch (bps); 500 = 5%."
    )

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


class ThresholdsConfig(_Frozen):
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


# ---------------------------------------------------------------- risk.yaml


class Network(enum.StrEnum):
    """Which Hyperliquid network to sign for and connect to. Never mainnet by default."""

    TESTNET = "testnet"
    MAINNET = "mainnet"


class RiskLimits(_Frozen):
    """Hard exposure and activity limits checked before every order."""

    max_position_usd: UsdPerCoin = Field(
        description="Largest absolute position notional per coin (USD); every traded coin "
        "needs an entry."
    )
    max_total_notional_usd: float = Field(
        gt=0, description="Largest sum of absolute position notionals (USD)."
    )
    max_leverage: float = Field(
        gt=0, le=100, description="Largest account leverage; at most each traded coin's max."
    )
    max_order_usd: float = Field(
        ge=VENUE_MIN_ORDER_USD, description="Largest single order notional (USD); venue min $10."
    )
    max_orders_per_minute: int = Field(
        gt=0, le=1200, description="Order actions per minute (venue weight budget: 1200/min/IP)."
    )

    @model_validator(mode="after")
    def _limits_nested(self) -> Self:
        cap = (("max_total_notional_usd",), self.max_total_notional_usd)
        found = [
            Violation(
                ((("max_position_usd", coin), usd), cap), "must be <= max_total_notional_usd"
            )
            for coin, usd in self.max_position_usd.items()
            if usd > self.max_total_notional_usd
        ]
        if self.max_order_usd > self.max_total_notional_usd:
            found.append(
                Violation(
                    ((("max_order_usd",), self.max_order_usd), cap),
                    "must be <= max_total_notional_usd",
                )
            )
        raise_if_any(found)
        return self


class KillSwitchThresholds(_Frozen):
    """Conditions that halt trading (cancel all, stop)."""

    max_feed_lag_ms: int = Field(gt=0, description="Exchange-to-local latency that halts (ms).")
    max_order_rtt_ms: int = Field(gt=0, description="Order round trip that halts (ms).")
    depth_vanish_fraction: float = Field(
        gt=0,
        lt=1,
        description="Halt when depth falls by this fraction of its recent average (0.8 = -80%).",
    )
    depth_avg_window_s: float = Field(gt=0, description="Window of that depth average (s).")
    consecutive_slippage_fills: int = Field(
        ge=1, description="Halt after this many fills in a row worse than slippage_bps."
    )
    slippage_bps: float = Field(gt=0, description="Fill slippage counted as bad (bps).")
    stale_feed_s: float = Field(gt=0, description="Halt when a needed feed is silent this long.")
    daily_loss_usd: float = Field(gt=0, description="Halt at this realised+unrealised loss (USD).")
    flatten_on_kill: bool = Field(
        description="Also close positions on halt (false: cancel orders, keep positions)."
    )


class StageErrorThresholds(_Frozen):
    """Escalation when pipeline stages raise: ACTIVE -> REDUCING -> HALTED."""

    reducing_after: int = Field(ge=1, description="Errors in the window that force REDUCING.")
    halted_after: int = Field(ge=1, description="Errors in the window that force HALTED.")
    window_s: float = Field(gt=0, description="Sliding window of event time (s).")

    @model_validator(mode="after")
    def _reducing_first(self) -> Self:
        if self.reducing_after > self.halted_after:
            raise_if_any(
                [
                    Violation(
                        (
                            (("reducing_after",), self.reducing_after),
                            (("halted_after",), self.halted_after),
                        ),
                        "reducing_after (REDUCING) must be <= halted_after (HALTED)",
                    )
                ]
            )
        return self


class DeadMansSwitch(_Frozen):
    """Venue scheduleCancel while orders rest, plus a client-side fallback."""

    enabled: bool = Field(description="Arm scheduleCancel while orders rest.")
    arm_ahead_s: float = Field(
        ge=SCHEDULE_CANCEL_MIN_AHEAD_S, description="Cancel time set this far ahead (s, >= 5)."
    )
    max_triggers_per_day: int = Field(
        ge=1,
        le=SCHEDULE_CANCEL_MAX_TRIGGERS,
        description="Own budget of triggers per day (venue allows 10).",
    )
    client_fallback_s: float = Field(
        gt=0, description="Client cancels all itself after this long without a healthy feed (s)."
    )


class JournalSettings(_Frozen):
    """Where the decision journal (SQLite, WAL) lives."""

    path: str = Field(min_length=1, description="Journal database file, relative to the cwd.")


class RiskConfig(_Frozen):
    """risk.yaml: network, limits, kill switch, escalation, dead man's switch, journal."""

    network: Annotated[Network, Strict(False)] = Field(
        default=Network.TESTNET, description="testnet or mainnet; testnet unless set."
    )
    limits: RiskLimits = Field(description="Hard limits.")
    kill_switch: KillSwitchThresholds = Field(description="Halt conditions.")
    stage_errors: StageErrorThresholds = Field(description="Stage-error escalation.")
    dead_mans_switch: DeadMansSwitch = Field(description="Dead man's switch.")
    journal: JournalSettings = Field(description="Decision journal.")


# ---------------------------------------------------------------- all files


class AppConfig(_Frozen):
    """The whole effective configuration, validated across files."""

    symbols: SymbolsConfig = Field(description="symbols.yaml")
    thresholds: ThresholdsConfig = Field(description="thresholds.yaml")
    risk: RiskConfig = Field(description="risk.yaml")
    source_dir: Path = Field(
        exclude=True, description="Folder the config was loaded from (the packaged defaults "
        "when no user folder was given)."
    )

    @property
    def is_mainnet(self) -> bool:
        return self.risk.network is Network.MAINNET

    @model_validator(mode="after")
    def _consistent_across_files(self) -> Self:
        raise_if_any(
            self._limit_violations() + self._book_violations() + self._staleness_violations()
        )
        return self

    def _limit_violations(self) -> list[Violation]:
        limits = self.risk.limits
        path = ("risk", "limits", "max_position_usd")
        found = [
            Violation(((path, dict(limits.max_position_usd)),), f"no entry for traded coin {c}")
            for c in self.symbols.traded
            if c not in limits.max_position_usd
        ]
        found += [
            Violation((((*path, c), usd),), "coin not listed in symbols.yaml coins")
            for c, usd in limits.max_position_usd.items()
            if c not in self.symbols.coins
        ]
        found += [
            Violation(
                (
                    (("risk", "limits", "max_leverage"), limits.max_leverage),
                    (("symbols", "coins", c, "max_leverage"), spec.max_leverage),
                ),
                f"exceeds the venue maximum for traded coin {c}",
            )
            for c in self.symbols.traded
            if (spec := self.symbols.coins.get(c)) and limits.max_leverage > spec.max_leverage
        ]
        return found

    def _book_violations(self) -> list[Violation]:
        if not self.symbols.book.fast:
            return []
        ofi = self.thresholds.ofi
        level_keys = (
            (("thresholds", "ofi", "levels"), ofi.levels),
            (("thresholds", "ofi", "depth_levels"), ofi.depth_levels),
            (
                ("thresholds", "regime", "liquidity", "depth_levels"),
                self.thresholds.regime.liquidity.depth_levels,
            ),
        )
        return [
            Violation(
                ((path, value), (("symbols", "book", "fast"), True)),
                f"a fast l2Book carries only {FAST_BOOK_LEVELS} levels per side",
            )
            for path, value in level_keys
            if value > FAST_BOOK_LEVELS
        ]

    def _staleness_violations(self) -> list[Violation]:
        stale = self.thresholds.signals.stale_after_ms.leadlag
        window = self.symbols.lead_lag.window_ms
        if stale >= window:
            return []
        return [
            Violation(
                (
                    (("thresholds", "signals", "stale_after_ms", "leadlag"), stale),
                    (("symbols", "lead_lag", "window_ms"), window),
                ),
                "a lead-lag value must outlive its own window",
            )
        ]
