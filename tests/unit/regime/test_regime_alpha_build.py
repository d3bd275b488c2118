"""Regime detector and alpha combiner built from the packaged default configuration."""

from __future__ import annotations

import math

from hyperliquid_ofi_trader.alpha.build import build_combiner
from hyperliquid_ofi_trader.config import build_config, load_config
from hyperliquid_ofi_trader.regime import LiquidityLevel, Reason, RegimeState, VolLevel
from hyperliquid_ofi_trader.regime.build import build_coin_detector
from hyperliquid_ofi_trader.regime.liquidity import LiquidityRegime


def test_defaults_build_and_convert_units() -> None:
    cfg = load_config()
    liq = LiquidityRegime.from_config(cfg.thresholds.regime.liquidity)
    assert liq.min_dwell_ns == cfg.thresholds.regime.liquidity.min_dwell_ms * 1_000_000
    det = build_coin_detector(cfg.thresholds, cfg.symbols.traded)
    for coin in cfg.symbols.traded:
        assert det.coin(coin).liquidity is not None
    lead = cfg.symbols.lead_lag[0].lead
    if lead not in cfg.symbols.traded:
        assert Reason.UNKNOWN_COIN in det.state(lead).reasons


def test_traded_override_reaches_the_detector() -> None:
    cfg = build_config({
        "symbols.yaml": {"traded": ["BTC"]},
        "risk.yaml": {"limits": {"max_position_usd": {"BTC": 1000.0}}},
    })
    det = build_coin_detector(cfg.thresholds, cfg.symbols.traded)
    assert det.coin("BTC").liquidity is not None
    assert det.coin("ETH").liquidity is None


def test_default_combiner_uses_configured_weights() -> None:
    cfg = load_config()
    comb = build_combiner(cfg.thresholds.alpha)
    weights = cfg.thresholds.alpha.weights.as_mapping()
    assert set(comb.names) == set(weights)
    state = RegimeState(tradable=True, liquidity=LiquidityLevel.LIQUID,
                        volatility=VolLevel.NORMAL, liquidation=False)
    alpha = comb.compute({"ofi": 1.0}, state)
    assert alpha == math.tanh(weights["ofi"] / cfg.thresholds.alpha.compression_scale)
