"""Build the regime detector from the validated configuration (thresholds.yaml `regime:`).

Kept apart from the detector so the hot-path modules never import pydantic. Units are
converted here once: the configuration speaks milliseconds, the regimes exchange-time ns.

Liquidity thresholds are in coin units, so each traded coin gets its own: thresholds.yaml
`per_coin.<COIN>.regime` over the global `regime` (volatility and liquidation levels too).
Only the TRADED coins get a liquidity switch; any other coin (e.g. the lead coin BTC) reports
`regime_unknown_coin` and is never tradable, which is what we want for a coin we do not trade.

Parameters the configuration does not carry keep the regimes' documented defaults: no LOW
volatility level (threshold 0), a 20 % volatility hysteresis band, one half-life of
volatility warm-up, and an OI reference of the previous asset context only.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from hyperliquid_ofi_trader.config.models import (
    LiquidationRegimeThresholds,
    LiquidityRegimeThresholds,
    RegimeThresholds,
    ThresholdsConfig,
    VolatilityRegimeThresholds,
)
from hyperliquid_ofi_trader.regime.detector import RegimeDetector
from hyperliquid_ofi_trader.regime.liquidation import LiquidationParams
from hyperliquid_ofi_trader.regime.liquidity import LiquidityParams
from hyperliquid_ofi_trader.regime.volatility import VolatilityParams

_NS_PER_MS = 1_000_000


def liquidity_params(t: LiquidityRegimeThresholds) -> LiquidityParams:
    return LiquidityParams(
        enter_depth=t.enter_depth,
        exit_depth=t.exit_depth,
        enter_spread_bps=t.enter_spread_bps,
        exit_spread_bps=t.exit_spread_bps,
        min_dwell_ns=t.min_dwell_ms * _NS_PER_MS,
        depth_levels=t.depth_levels,
    )


def volatility_params(t: VolatilityRegimeThresholds) -> VolatilityParams:
    return VolatilityParams(
        halflife_ns=t.halflife_ms * _NS_PER_MS,
        high_bps_per_s=t.high_vol_bps_per_s,
        extreme_bps_per_s=t.extreme_vol_bps_per_s,
    )


def liquidation_params(t: LiquidationRegimeThresholds) -> LiquidationParams:
    return LiquidationParams(
        window_ns=t.burst_window_ms * _NS_PER_MS,
        burst_notional_usd=t.burst_notional_usd,
        one_sided_ratio=t.one_sided_ratio,
        jump_bps=t.jump_bps,
        oi_drop_pct=t.oi_drop_pct,
        cooldown_ns=t.cooldown_ms * _NS_PER_MS,
    )


def build_detector(t: RegimeThresholds, traded: Iterable[str],
                   per_coin: Mapping[str, RegimeThresholds] | None = None) -> RegimeDetector:
    """A detector whose liquidity switch applies to the `traded` coins only; a coin in
    `per_coin` runs on its own thresholds, every other coin on `t`."""
    own = per_coin or {}
    liquidity = liquidity_params(t.liquidity)
    return RegimeDetector(
        liquidity={c: liquidity if c not in own else liquidity_params(own[c].liquidity)
                   for c in traded},
        volatility=volatility_params(t.volatility),
        liquidation=liquidation_params(t.liquidation),
        volatility_by_coin={c: volatility_params(r.volatility) for c, r in own.items()},
        liquidation_by_coin={c: liquidation_params(r.liquidation) for c, r in own.items()},
    )


def build_coin_detector(t: ThresholdsConfig, traded: Iterable[str]) -> RegimeDetector:
    """The detector of thresholds.yaml: global `regime`, each `per_coin` entry's own."""
    return build_detector(t.regime, traded,
                          {coin: own.regime for coin, own in t.per_coin.items()})
