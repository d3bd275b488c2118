"""Validation: every kind of bad value gives one specific, readable message."""

from __future__ import annotations

from typing import Any

import pytest

from hyperliquid_ofi_trader.config.errors import ConfigError
from hyperliquid_ofi_trader.config.loader import build_config


def _message(overrides: dict[str, dict[str, Any]]) -> str:
    with pytest.raises(ConfigError) as info:
        build_config(overrides)
    return str(info.value)


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        pytest.param(
            {"risk.yaml": {"kill_switch": {"max_feed_lag_ms": -5}}},
            "risk.yaml: kill_switch.max_feed_lag_ms = -5: must be > 0",
            id="out-of-range",
        ),
        pytest.param(
            {"risk.yaml": {"kill_switch": {"max_feed_lag_ms": "5"}}},
            'risk.yaml: kill_switch.max_feed_lag_ms = "5": must be an integer',
            id="string-for-int",
        ),
        pytest.param(
            {"risk.yaml": {"kill_switch": {"max_feed_lag_ms": 2.5}}},
            "risk.yaml: kill_switch.max_feed_lag_ms = 2.5: must be an integer",
            id="float-for-int",
        ),
        pytest.param(
            {"risk.yaml": {"kill_switch": {"consecutive_slippage_fills": True}}},
            "risk.yaml: kill_switch.consecutive_slippage_fills = true: must be an integer",
            id="bool-for-int",
        ),
        pytest.param(
            {"risk.yaml": {"kill_switch": {"flatten_on_kill": "yes please"}}},
            "risk.yaml: kill_switch.flatten_on_kill = yes please: must be true or false",
            id="string-for-bool",
        ),
        pytest.param(
            {"thresholds.yaml": {"feed": {"stale_factor": float("nan")}}},
            "thresholds.yaml: feed.stale_factor = nan: must be a finite number",
            id="nan",
        ),
        pytest.param(
            {"risk.yaml": {"kill_switch": {"max_feed_lag_msx": 5}}},
            "risk.yaml: kill_switch.max_feed_lag_msx = 5: unknown key (allowed: "
            "max_feed_lag_ms, max_order_rtt_ms,",
            id="unknown-key",
        ),
        pytest.param(
            {"thresholds.yaml": {"feed": {"cadence_ms": {"l2book": 5}}}},
            "thresholds.yaml: feed.cadence_ms.l2book = 5: unknown key (allowed: l2Book, bbo, "
            "trades, activeAssetCtx)",
            id="unknown-channel-names-the-aliases",
        ),
        pytest.param(
            {"risk.yaml": {"network": "main"}},
            "risk.yaml: network = main: must be one of 'testnet' or 'mainnet'",
            id="bad-enum",
        ),
        pytest.param(
            {"risk.yaml": {"kill_switch": None}},
            "risk.yaml: kill_switch = null: must be a mapping of keys",
            id="null-section",
        ),
        pytest.param(
            {"symbols.yaml": {"lead_lag": {"lag": "BTC"}}},
            "symbols.yaml: lead_lag[0].lead = BTC, lead_lag[0].lag = BTC: "
            "lead and lag must be two different coins",
            id="same-coin-lead-lag",
        ),
        pytest.param(
            {"symbols.yaml": {"lead_lag": {"window_ms": 300}}},
            "symbols.yaml: lead_lag[0].window_ms = 300: must be > 0 and < 300 ms",
            id="window-300",
        ),
        pytest.param(
            {"symbols.yaml": {"lead_lag": {"window_ms": 0}}},
            "symbols.yaml: lead_lag[0].window_ms = 0: must be > 0 and < 300 ms",
            id="window-0",
        ),
        pytest.param(
            {"symbols.yaml": {"lead_lag": {"lead": "SOL"}}},
            "symbols.yaml: lead_lag[0].lead = SOL: not listed in coins (BTC, ETH)",
            id="unknown-lead",
        ),
        pytest.param(
            {"symbols.yaml": {"traded": ["ETH", "SOL"]}},
            "symbols.yaml: traded[1] = SOL: not listed in coins (BTC, ETH)",
            id="unknown-traded",
        ),
        pytest.param(
            {"symbols.yaml": {"traded": ["ETH", "ETH"]}},
            "symbols.yaml: traded = [\"ETH\", \"ETH\"]: lists a coin twice",
            id="duplicate-traded",
        ),
        pytest.param(
            {"symbols.yaml": {"traded": []}},
            "symbols.yaml: traded = []: must not be empty",
            id="nothing-traded",
        ),
        pytest.param(
            {"symbols.yaml": {"traded": "ETH"}},
            "symbols.yaml: traded = ETH: must be a list",
            id="traded-not-a-list",
        ),
        pytest.param(
            {"symbols.yaml": {"coins": {"BAD COIN": {"sz_decimals": 1, "max_leverage": 3}}}},
            "symbols.yaml: coins: key BAD COIN must be a coin name",
            id="bad-coin-name",
        ),
        pytest.param(
            {"symbols.yaml": {"book": {"n_sig_figs": 7}}},
            "symbols.yaml: book.n_sig_figs = 7: must be <= 5",
            id="n-sig-figs",
        ),
        pytest.param(
            {"thresholds.yaml": {"regime": {"liquidity": {"exit_depth": 60.0}}}},
            "thresholds.yaml: regime.liquidity.enter_depth = 60.0, "
            "regime.liquidity.exit_depth = 60.0: enter_depth must be > exit_depth",
            id="depth-hysteresis",
        ),
        pytest.param(
            {"thresholds.yaml": {"regime": {"liquidity": {"enter_spread_bps": 5.0}}}},
            "thresholds.yaml: regime.liquidity.enter_spread_bps = 5.0, "
            "regime.liquidity.exit_spread_bps = 4.0: enter_spread_bps must be < exit_spread_bps",
            id="spread-hysteresis",
        ),
        pytest.param(
            {"thresholds.yaml": {"regime": {"volatility": {"extreme_vol_bps_per_s": 2.0}}}},
            "extreme_vol_bps_per_s must be > high_vol_bps_per_s",
            id="vol-levels",
        ),
        pytest.param(
            {"thresholds.yaml": {"router": {"ofi_mid": 2.0}}},
            "thresholds.yaml: router.ofi_high = 2.0, router.ofi_mid = 2.0: "
            "ofi_high (HIGH) must be > ofi_mid (MID)",
            id="router-high-mid",
        ),
        pytest.param(
            {"thresholds.yaml": {"alpha": {"weights": {"ofi": 0.9}}}},
            "weights sum to 1.4: must be > 0 and <= 1",
            id="weights-sum",
        ),
        pytest.param(
            {"thresholds.yaml": {"feed": {"ping_interval_s": 51}}},
            "thresholds.yaml: feed.ping_interval_s = 51: must be <= 50.0",
            id="ping-after-venue-timeout",
        ),
        pytest.param(
            {"risk.yaml": {"stage_errors": {"reducing_after": 11}}},
            "risk.yaml: stage_errors.reducing_after = 11, stage_errors.halted_after = 10: "
            "reducing_after (REDUCING) must be <= halted_after (HALTED)",
            id="reducing-after-halted",
        ),
        pytest.param(
            {"risk.yaml": {"limits": {"max_order_usd": 5.0}}},
            "risk.yaml: limits.max_order_usd = 5.0: must be >= 10.0",
            id="below-venue-minimum",
        ),
        pytest.param(
            {"risk.yaml": {"limits": {"max_position_usd": {"ETH": 5000.0}}}},
            "risk.yaml: limits.max_position_usd.ETH = 5000.0, "
            "limits.max_total_notional_usd = 2000.0: must be <= max_total_notional_usd",
            id="position-above-total",
        ),
        pytest.param(
            {"risk.yaml": {"dead_mans_switch": {"arm_ahead_s": 2.0}}},
            "risk.yaml: dead_mans_switch.arm_ahead_s = 2.0: must be >= 5.0",
            id="schedule-cancel-too-close",
        ),
        pytest.param(
            {"risk.yaml": {"dead_mans_switch": {"max_triggers_per_day": 11}}},
            "risk.yaml: dead_mans_switch.max_triggers_per_day = 11: must be <= 10",
            id="schedule-cancel-budget",
        ),
        pytest.param(
            {"risk.yaml": {"execution": {"ack_timeout_ms": 0}}},
            "risk.yaml: execution.ack_timeout_ms = 0: must be > 0",
            id="ack-timeout-zero",
        ),
        pytest.param(
            {"symbols.yaml": {"traded": ["BTC"]}},
            "risk.yaml: limits.max_position_usd = {\"ETH\": 1000.0}: "
            "no entry for traded coin BTC",
            id="traded-without-position-cap",
        ),
        pytest.param(
            {"risk.yaml": {"limits": {"max_position_usd": {"SOL": 100.0}}}},
            "risk.yaml: limits.max_position_usd.SOL = 100.0: coin not listed in symbols.yaml",
            id="cap-for-unlisted-coin",
        ),
        pytest.param(
            {"risk.yaml": {"limits": {"max_leverage": 30.0}}},
            "risk.yaml: limits.max_leverage = 30.0, coins.ETH.max_leverage (symbols.yaml) = 25: "
            "exceeds the venue maximum for traded coin ETH",
            id="leverage-above-venue",
        ),
        pytest.param(
            {"symbols.yaml": {"book": {"fast": True}}, "thresholds.yaml": {"ofi": {"levels": 10}}},
            "thresholds.yaml: ofi.levels = 10, book.fast (symbols.yaml) = true: a fast l2Book "
            "carries only 5",
            id="fast-book-levels",
        ),
        pytest.param(
            {
                "symbols.yaml": {"book": {"fast": True}},
                "thresholds.yaml": {"regime": {"liquidity": {"depth_levels": 6}}},
            },
            "thresholds.yaml: regime.liquidity.depth_levels = 6, book.fast (symbols.yaml) = true",
            id="fast-book-liquidity-levels",
        ),
        pytest.param(
            {"thresholds.yaml": {"signals": {"stale_after_ms": {"leadlag": 100}}}},
            "thresholds.yaml: signals.stale_after_ms.leadlag = 100, "
            "lead_lag[0].window_ms (symbols.yaml) = 250: "
            "a lead-lag value must outlive its own window",
            id="leadlag-staler-than-window",
        ),
    ],
)
def test_bad_value_gives_specific_message(
    overrides: dict[str, dict[str, Any]], expected: str
) -> None:
    assert expected in _message(overrides)


def test_single_error_is_one_line() -> None:
    message = _message({"risk.yaml": {"kill_switch": {"max_feed_lag_ms": -5}}})
    assert message == "risk.yaml: kill_switch.max_feed_lag_ms = -5: must be > 0"


def test_several_errors_are_all_listed() -> None:
    with pytest.raises(ConfigError) as info:
        build_config(
            {
                "thresholds.yaml": {
                    "router": {"ofi_mid": 3.0},
                    "regime": {"liquidity": {"exit_depth": 100.0}},
                    "feed": {"stale_factor": 0.5},
                }
            }
        )
    keys = [issue.key for issue in info.value.issues]
    assert keys == ["feed.stale_factor", "regime.liquidity.enter_depth", "router.ofi_high"]
    assert str(info.value).startswith("3 configuration errors:\n  thresholds.yaml: ")
    assert {issue.file for issue in info.value.issues} == {"thresholds.yaml"}


def test_valid_alternatives_pass() -> None:
    config = build_config(
        {
            "symbols.yaml": {
                "lead_lag": {"lead": "ETH", "lag": "BTC", "window_ms": 299},
                "traded": ["BTC"],
                "book": {"fast": True, "n_sig_figs": 5},
            },
            "risk.yaml": {"limits": {"max_position_usd": {"BTC": 500.0}}},
        }
    )
    assert config.symbols.lead_lag[0].window_ms == 299
    assert config.symbols.traded == ("BTC",)
    # An int in a float field is a number, not a type error.
    limits = build_config({"risk.yaml": {"limits": {"max_leverage": 2}}}).risk.limits
    assert limits.max_leverage == 2
