"""Volatility regime: the estimator against known variance, levels, hysteresis, bad input."""

from __future__ import annotations

import math

import numpy as np
import pytest

from hyperliquid_ofi_trader.config.models import VolatilityRegimeThresholds
from hyperliquid_ofi_trader.regime.state import RegimeConfigError, VolLevel
from hyperliquid_ofi_trader.regime.volatility import VolatilityRegime

S = 1_000_000_000
MS = 1_000_000


class Driver:
    """Feeds mids alternating up/down by `x` bps every `dt_ns`: vol = x / sqrt(dt in s)."""

    def __init__(self, reg: VolatilityRegime, dt_ns: int = 10 * MS) -> None:
        self.reg = reg
        self.dt_ns = dt_ns
        self.t = 0
        self.sign = 1.0
        self.log_mid = math.log(100.0)

    def run(self, vol_bps: float, seconds: float) -> VolLevel:
        x = vol_bps * math.sqrt(self.dt_ns / S) / 1e4
        for _ in range(int(seconds * S / self.dt_ns)):
            self.t += self.dt_ns
            self.log_mid += self.sign * x
            self.sign = -self.sign
            self.reg.update_mid(math.exp(self.log_mid), self.t)
        return self.reg.level


def make(halflife_ns: int = S, warmup_ns: int | None = None) -> VolatilityRegime:
    return VolatilityRegime(halflife_ns=halflife_ns, low_bps_per_s=1.0, high_bps_per_s=5.0,
                            extreme_bps_per_s=20.0, hysteresis=0.2, warmup_ns=warmup_ns)


def test_regular_alternating_returns_give_exact_vol() -> None:
    # Returns of 1 bp every 100 ms: 1 / sqrt(0.1) = 3.162 bps/sqrt(s), up to the tiny
    # discretisation factor lam*dt / (1 - exp(-lam*dt)) of the time-decayed sum.
    reg = make(halflife_ns=10 * S, warmup_ns=0)
    drv = Driver(reg, dt_ns=100 * MS)
    drv.run(vol_bps=1.0 / math.sqrt(0.1), seconds=1.0)
    lam_dt = math.log(2) / 100
    expected = math.sqrt(0.1 ** -1 * lam_dt / -math.expm1(-lam_dt))
    assert reg.vol_bps_per_s() == pytest.approx(expected, rel=1e-9)  # unbiased from the start
    drv.run(vol_bps=1.0 / math.sqrt(0.1), seconds=60.0)
    assert reg.vol_bps_per_s() == pytest.approx(expected, rel=1e-9)


def test_random_walk_with_irregular_times_recovers_sigma() -> None:
    rng = np.random.default_rng(7)
    sigma_bps = 3.0  # per sqrt(second)
    reg = make(halflife_ns=60 * S, warmup_ns=0)
    t = 0
    log_mid = math.log(2500.0)
    for dt_s in rng.exponential(0.2, size=20_000):  # ~4000 s of irregular updates
        dt_ns = max(1, int(dt_s * S))
        t += dt_ns
        log_mid += rng.normal(0.0, sigma_bps / 1e4 * math.sqrt(dt_ns / S))
        reg.update_mid(math.exp(log_mid), t)
    # One-minute half-life averages ~hundreds of returns: a 20% band is generous.
    assert reg.vol_bps_per_s() == pytest.approx(sigma_bps, rel=0.2)


def test_constant_mid_is_low() -> None:
    reg = make(warmup_ns=0)
    for i in range(100):
        reg.update_mid(100.0, i * 10 * MS)
    assert reg.vol_bps_per_s() == 0.0
    assert reg.level is VolLevel.LOW


def test_warmup_keeps_normal_and_not_warm() -> None:
    reg = make(halflife_ns=S, warmup_ns=5 * S)
    drv = Driver(reg)
    assert drv.run(vol_bps=50.0, seconds=2.0) is VolLevel.NORMAL
    assert not reg.warm
    assert reg.vol_bps_per_s() > 20.0  # the estimate exists, the level waits
    assert drv.run(vol_bps=50.0, seconds=4.0) is VolLevel.EXTREME
    assert reg.warm


def test_default_warmup_is_one_halflife() -> None:
    reg = make(halflife_ns=2 * S)
    drv = Driver(reg)
    drv.run(vol_bps=3.0, seconds=1.9)
    assert not reg.warm
    drv.run(vol_bps=3.0, seconds=0.2)
    assert reg.warm


def test_levels_up_and_down_with_hysteresis() -> None:
    reg = make(halflife_ns=S, warmup_ns=0)
    drv = Driver(reg)
    assert drv.run(3.0, 10) is VolLevel.NORMAL
    assert drv.run(7.0, 10) is VolLevel.HIGH
    assert drv.run(4.5, 10) is VolLevel.HIGH  # below 5 but above 5 * 0.8 = 4: stays
    assert drv.run(3.5, 10) is VolLevel.NORMAL
    assert drv.run(30.0, 10) is VolLevel.EXTREME
    assert drv.run(17.0, 10) is VolLevel.EXTREME  # above 20 * 0.8 = 16
    assert drv.run(0.5, 20) is VolLevel.LOW  # falls through every level
    assert drv.run(1.1, 10) is VolLevel.NORMAL


def test_oscillation_around_high_threshold_does_not_flap() -> None:
    reg = make(halflife_ns=S, warmup_ns=0)
    drv = Driver(reg)
    drv.run(6.0, 10)
    assert reg.level is VolLevel.HIGH
    seen = set()
    for i in range(20):
        seen.add(drv.run(5.0 + (0.4 if i % 2 else -0.4), 1.0))
    assert seen == {VolLevel.HIGH}


def test_bad_mids_are_counted_and_ignored() -> None:
    reg = make(warmup_ns=0)
    reg.update_mid(100.0, S)
    for bad in (math.nan, math.inf, 0.0, -5.0):
        reg.update_mid(bad, 2 * S)
    assert reg.rejected == 4
    assert reg.samples == 1
    reg.update_mid(100.0, 3 * S)
    assert reg.vol_bps_per_s() == 0.0


def test_time_regression_is_clamped_and_counted() -> None:
    reg = make(warmup_ns=0)
    reg.update_mid(100.0, 10 * S)
    reg.update_mid(100.1, 11 * S)
    reg.update_mid(100.2, 5 * S)
    assert reg.time_regressions == 1
    assert reg.now_ns == 11 * S
    assert math.isfinite(reg.vol_bps_per_s())


def test_no_estimate_before_time_passes() -> None:
    reg = make()
    assert math.isnan(reg.vol_bps_per_s())
    reg.update_mid(100.0, S)
    assert math.isnan(reg.vol_bps_per_s())


@pytest.mark.parametrize(
    "kwargs",
    [
        {"halflife_ns": 0},
        {"high_bps_per_s": 30.0},  # high above extreme
        {"low_bps_per_s": 6.0},  # low above high
        {"hysteresis": 1.0},
        {"hysteresis": -0.1},
        {"warmup_ns": -1},
        {"extreme_bps_per_s": math.nan},
    ],
)
def test_constructor_rejects_bad_params(kwargs: dict[str, float]) -> None:
    base: dict[str, float] = {"halflife_ns": S, "low_bps_per_s": 1.0, "high_bps_per_s": 5.0,
                              "extreme_bps_per_s": 20.0}
    base.update(kwargs)
    with pytest.raises(RegimeConfigError):
        VolatilityRegime(**base)  # type: ignore[arg-type]


def test_from_config_converts_the_half_life_to_ns() -> None:
    section = VolatilityRegimeThresholds(halflife_ms=30_000, high_vol_bps_per_s=5.0,
                                         extreme_vol_bps_per_s=20.0)
    reg = VolatilityRegime.from_config(section, warmup_ns=0)
    reg.update_mid(100.0, S)
    reg.update_mid(100.0, 31 * S)  # one flat half-life later: warm, zero volatility
    assert reg.warm
    assert reg.vol_bps_per_s() == 0.0
    cold = VolatilityRegime.from_config(section)  # warm-up: one half-life (30 s)
    cold.update_mid(100.0, S)
    cold.update_mid(100.0, 30 * S)
    assert not cold.warm
