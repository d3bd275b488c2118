"""Typed, frozen configuration: `AppConfig` and every model it is made of.

One module per file (`symbols_schema`, `thresholds_schema`, `risk_schema`); this one adds
the rules that span files and re-exports every model, so `config.models` is the one place
to import config types from. Units are in the field names: `_ms`, `_s`, `_bps`, `_usd`.

Rules that span several keys live in `model_validator`s and raise `ConfigRuleError`,
which names every key involved. Components should take plain values from these models
in their constructors rather than holding the models on the hot path.
"""

from __future__ import annotations

from pathlib import Path
from typing import Self

from pydantic import Field, model_validator

from hyperliquid_ofi_trader.config.base import (
    BOOK_LEVELS,
    FAST_BOOK_LEVELS,
    LEAD_LAG_MAX_WINDOW_MS,
    VENUE_MIN_ORDER_USD,
    FrozenModel,
)
from hyperliquid_ofi_trader.config.risk_schema import (
    DeadMansSwitchConfig,
    ExecutionTimeouts,
    JournalSettings,
    KillSwitchThresholds,
    Network,
    RateLimitBudgets,
    ReconnectBackoff,
    RiskConfig,
    RiskLimits,
    StageErrorThresholds,
    WebSocketTransport,
)
from hyperliquid_ofi_trader.config.rules import Violation, raise_if_any
from hyperliquid_ofi_trader.config.symbols_schema import (
    BookSubscription,
    CoinSpec,
    LeadLagPair,
    SymbolsConfig,
)
from hyperliquid_ofi_trader.config.thresholds_schema import (
    SIGNAL_NAMES,
    AggressiveVolumeThresholds,
    AlphaThresholds,
    AlphaWeights,
    ChannelCadenceMs,
    CoinThresholds,
    CostThresholds,
    FeedThresholds,
    ForecastThresholds,
    LeadLagThresholds,
    LiquidationRegimeThresholds,
    LiquidityRegimeThresholds,
    MicropriceThresholds,
    OfiThresholds,
    RegimeThresholds,
    RouterThresholds,
    SignalSection,
    SignalStaleAfterMs,
    SignalsThresholds,
    ThresholdsConfig,
    VolatilityRegimeThresholds,
)

__all__ = [
    "BOOK_LEVELS",
    "FAST_BOOK_LEVELS",
    "LEAD_LAG_MAX_WINDOW_MS",
    "SIGNAL_NAMES",
    "VENUE_MIN_ORDER_USD",
    "AggressiveVolumeThresholds",
    "AlphaThresholds",
    "AlphaWeights",
    "AppConfig",
    "BookSubscription",
    "ChannelCadenceMs",
    "CoinSpec",
    "CoinThresholds",
    "CostThresholds",
    "DeadMansSwitchConfig",
    "ExecutionTimeouts",
    "FeedThresholds",
    "ForecastThresholds",
    "JournalSettings",
    "KillSwitchThresholds",
    "LeadLagPair",
    "LeadLagThresholds",
    "LiquidationRegimeThresholds",
    "LiquidityRegimeThresholds",
    "MicropriceThresholds",
    "Network",
    "OfiThresholds",
    "RateLimitBudgets",
    "ReconnectBackoff",
    "RegimeThresholds",
    "RiskConfig",
    "RiskLimits",
    "RouterThresholds",
    "SignalSection",
    "SignalStaleAfterMs",
    "SignalsThresholds",
    "StageErrorThresholds",
    "SymbolsConfig",
    "ThresholdsConfig",
    "VolatilityRegimeThresholds",
    "WebSocketTransport",
]


class AppConfig(FrozenModel):
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
            + self._per_coin_violations()
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
            *(
                (("thresholds", "per_coin", coin, "regime", "liquidity", "depth_levels"),
                 own.regime.liquidity.depth_levels)
                for coin, own in self.thresholds.per_coin.items()
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

    def _per_coin_violations(self) -> list[Violation]:
        listed = ", ".join(self.symbols.coins)
        return [
            Violation(((("thresholds", "per_coin", coin), coin),),
                      f"not listed in symbols.yaml coins ({listed})")
            for coin in self.thresholds.per_coin
            if coin not in self.symbols.coins
        ]

    def _staleness_violations(self) -> list[Violation]:
        stale = self.thresholds.signals.stale_after_ms.as_mapping()["leadlag"]
        return [
            Violation(
                (
                    (("thresholds", "signals", "stale_after_ms", "leadlag"), stale),
                    (("symbols", "lead_lag", i, "window_ms"), pair.window_ms),
                ),
                "a lead-lag value must outlive its own window",
            )
            for i, pair in enumerate(self.symbols.lead_lag)
            if stale < pair.window_ms
        ]
