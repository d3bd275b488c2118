"""The config keys added for the router and the kill switch validate and reach settings."""

from __future__ import annotations

import pytest

from hyperliquid_ofi_trader.config.loader import load_config
from hyperliquid_ofi_trader.config.risk_schema import KillSwitchThresholds
from hyperliquid_ofi_trader.config.thresholds_schema import RouterThresholds
from hyperliquid_ofi_trader.risk.dead_mans_switch import DeadMansSwitch
from hyperliquid_ofi_trader.risk.kill_switch import KillSwitch

ROUTER = {"ofi_high": 2.0, "ofi_mid": 0.5, "min_abs_alpha": 0.1, "ioc_slippage_bps": 5.0}


def test_defaults_load_into_every_settings_object() -> None:
    cfg = load_config(None)
    assert cfg.thresholds.router.ioc_depth_fraction == 0.5
    assert cfg.thresholds.router.requote_ticks == 3
    k = KillSwitch.from_config(cfg)
    assert k.feed_lag_sustain_events == cfg.risk.kill_switch.feed_lag_sustain_events == 5
    assert k.coins == tuple(cfg.symbols.traded)
    assert DeadMansSwitch(cfg.risk.dead_mans_switch).arm_ahead_ns >= 5_000_000_000
    assert cfg.risk.limits.max_orders_per_minute > 0


@pytest.mark.parametrize("value", [0.0, -0.1, 1.5])
def test_ioc_depth_fraction_bounds(value: float) -> None:
    with pytest.raises(ValueError, match="ioc_depth_fraction"):
        RouterThresholds(**ROUTER, ioc_depth_fraction=value)  # type: ignore[arg-type]


def test_requote_ticks_must_be_positive() -> None:
    with pytest.raises(ValueError, match="requote_ticks"):
        RouterThresholds(**ROUTER, requote_ticks=0)  # type: ignore[arg-type]


def test_new_keys_default_when_absent() -> None:
    r = RouterThresholds(**ROUTER)  # type: ignore[arg-type]
    assert r.ioc_depth_fraction == 0.5
    assert r.requote_ticks == 3


def test_feed_lag_sustain_must_be_positive() -> None:
    base = load_config(None).risk.kill_switch.model_dump()
    assert base["feed_lag_sustain_events"] == 5  # the packaged YAML is where defaults live
    base["feed_lag_sustain_events"] = 0
    with pytest.raises(ValueError, match="feed_lag_sustain_events"):
        KillSwitchThresholds(**base)
