"""risk.yaml `execution` reaches the order manager and the gateway in their own units."""

from __future__ import annotations

import pytest

from hyperliquid_ofi_trader.config import ConfigError, build_config
from hyperliquid_ofi_trader.core.clock import ReplayClock
from hyperliquid_ofi_trader.execution.order_manager import OrderManager
from hyperliquid_ofi_trader.execution.order_records import OrderManagerSettings
from hyperliquid_ofi_trader.venues.hyperliquid.execution.gateway import GatewaySettings
from tests.order_fakes import T0, RecordingPort

MS = 1_000_000


def test_the_packaged_section_in_the_components_units() -> None:
    cfg = build_config({})
    om, gw = OrderManagerSettings.from_config(cfg), GatewaySettings.from_config(cfg)
    assert om.sz_decimals == {"BTC": 5, "ETH": 4}  # the instrument grid: symbols.yaml
    assert (om.ack_timeout_ns, om.query_timeout_ns, om.cancel_timeout_ns) == (
        5_000 * MS, 5_000 * MS, 5_000 * MS)
    assert (om.retry_base_ns, om.max_backoff_exp, om.max_query_failures) == (1_000 * MS, 6, 4)
    assert om.cloid_prefix == int.from_bytes(b"hlofi\0\0\0", "big")
    assert (om.cloid_block, om.max_terminal_orders, om.max_fill_keys) == (
        1024, 10_000, 200_000)
    assert not om.adopt_unknown_orders
    assert gw == GatewaySettings(post_timeout_s=5.0, rest_timeout_s=10.0, use_post=True,
                                 vault_address=None, drain_timeout_s=5.0,
                                 max_order_wait_s=1.5)


def test_a_manager_built_without_settings_takes_the_packaged_section() -> None:
    mgr = OrderManager(RecordingPort(), ReplayClock(T0), None)
    assert mgr.settings == OrderManagerSettings.from_config(build_config({}))


def test_overrides_arrive_converted() -> None:
    cfg = build_config({"risk.yaml": {"execution": {
        "ack_timeout_ms": 1500, "query_timeout_ms": 2500, "cancel_timeout_ms": 700,
        "adopt_unknown_orders": True, "post_timeout_s": 2.0, "rest_timeout_s": 4.0,
        "use_ws_post": False, "retry_base_ms": 250, "max_backoff_exp": 3,
        "max_query_failures": 2, "cloid_prefix": "bot2", "cloid_block": 64,
        "max_terminal_orders": 50, "max_fill_keys": 70, "drain_timeout_s": 1.0,
        "max_order_wait_ms": 400}}})
    om, gw = OrderManagerSettings.from_config(cfg), GatewaySettings.from_config(cfg)
    assert (om.ack_timeout_ns, om.query_timeout_ns, om.cancel_timeout_ns) == (
        1_500 * MS, 2_500 * MS, 700 * MS)
    assert om.adopt_unknown_orders
    assert (om.retry_base_ns, om.max_backoff_exp, om.max_query_failures) == (250 * MS, 3, 2)
    assert om.cloid_prefix == int.from_bytes(b"bot2\0\0\0\0", "big")
    assert (om.cloid_block, om.max_terminal_orders, om.max_fill_keys) == (64, 50, 70)
    assert (gw.post_timeout_s, gw.rest_timeout_s, gw.use_post) == (2.0, 4.0, False)
    assert (gw.drain_timeout_s, gw.max_order_wait_s) == (1.0, 0.4)


def test_a_held_back_place_is_dropped_before_it_is_asked_about() -> None:
    """The order wait is capped at half the ack timeout and of the RTT halt."""
    ack = build_config({"risk.yaml": {"execution": {"ack_timeout_ms": 1500}}})
    assert GatewaySettings.from_config(ack).max_order_wait_s == 0.75
    rtt = build_config({"risk.yaml": {"kill_switch": {"max_order_rtt_ms": 1000}}})
    assert GatewaySettings.from_config(rtt).max_order_wait_s == 0.5


@pytest.mark.parametrize("prefix", ["", "ninechars", "two words", "né"])
def test_a_cloid_prefix_is_one_to_eight_printable_ascii_characters(prefix: str) -> None:
    with pytest.raises(ConfigError, match="cloid_prefix"):
        build_config({"risk.yaml": {"execution": {"cloid_prefix": prefix}}})
