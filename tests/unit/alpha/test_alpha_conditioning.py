"""Regime conditioning and compression: every rule, in severity order."""

from __future__ import annotations

import math

import pytest

from hyperliquid_ofi_trader.alpha.compression import (
    AlphaConfigError,
    InvalidSignal,
    clip_unit,
    compress,
    validate_scale,
)
from hyperliquid_ofi_trader.alpha.conditioning import Conditioning, condition, validate_damping
from hyperliquid_ofi_trader.regime.state import LiquidityLevel, RegimeState, VolLevel


def regime(tradable: bool = True, vol: VolLevel = VolLevel.NORMAL,
           liquidation: bool = False) -> RegimeState:
    return RegimeState(tradable=tradable, liquidity=LiquidityLevel.LIQUID, volatility=vol,
                       liquidation=liquidation)


@pytest.mark.parametrize(
    ("state", "expected", "reason"),
    [
        (regime(), 0.6, Conditioning.OK),
        (regime(vol=VolLevel.LOW), 0.6, Conditioning.OK),
        (regime(vol=VolLevel.HIGH), 0.3, Conditioning.HIGH_VOL_DAMPED),
        (regime(vol=VolLevel.EXTREME), 0.0, Conditioning.EXTREME_VOLATILITY),
        (regime(tradable=False), 0.0, Conditioning.NOT_TRADABLE),
        (regime(liquidation=True), 0.0, Conditioning.LIQUIDATION),
        # severity order: liquidation names the cause before extreme vol and not-tradable
        (regime(tradable=False, vol=VolLevel.EXTREME, liquidation=True), 0.0,
         Conditioning.LIQUIDATION),
        (regime(tradable=False, vol=VolLevel.EXTREME), 0.0, Conditioning.EXTREME_VOLATILITY),
        (regime(tradable=False, vol=VolLevel.HIGH), 0.0, Conditioning.NOT_TRADABLE),
    ],
)
def test_condition_rules(state: RegimeState, expected: float, reason: Conditioning) -> None:
    value, why = condition(0.6, state, high_vol_damping=0.5)
    assert value == pytest.approx(expected)
    assert why is reason
    neg, why_neg = condition(-0.6, state, high_vol_damping=0.5)
    assert neg == pytest.approx(-expected)
    assert why_neg is reason


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_condition_invalid_alpha(bad: float) -> None:
    assert condition(bad, regime(), 0.5) == (0.0, Conditioning.INVALID_ALPHA)


def test_compress_values() -> None:
    assert compress(0.0, 1.0) == 0.0
    assert compress(1.0, 1.0) == pytest.approx(math.tanh(1.0))
    assert compress(2.0, 4.0) == pytest.approx(math.tanh(0.5))
    assert compress(1e308, 1e-10) == 1.0  # quotient overflows to inf: saturates
    assert compress(-1e308, 1e-10) == -1.0


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_compress_rejects_non_finite(bad: float) -> None:
    with pytest.raises(InvalidSignal):
        compress(bad, 1.0)


def test_compress_rejects_bad_scale() -> None:
    with pytest.raises(AlphaConfigError):
        compress(1.0, 0.0)
    with pytest.raises(AlphaConfigError):
        validate_scale(math.nan)
    with pytest.raises(AlphaConfigError):
        validate_damping(2.0)


def test_clip_unit() -> None:
    assert clip_unit(3.0) == 1.0
    assert clip_unit(-3.0) == -1.0
    assert clip_unit(0.25) == 0.25
