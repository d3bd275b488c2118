"""risk.yaml `execution` reaches the order manager and the gateway in their own units."""

from __future__ import annotations

import msgspec

from hyperliquid_ofi_trader.config import build_config
from hyperliquid_ofi_trader.execution.order_records import OrderManagerSettings
from hyperliquid_ofi_trader.runtime.venue_settings import gateway_settings, order_manager_settings
from hyperliquid_ofi_trader.venues.hyperliquid.execution.gateway import GatewaySettings


def test_defaults_match_the_settings_types_own_defaults() -> None:
    cfg = build_config({})
    om, gw = order_manager_settings(cfg), gateway_settings(cfg)
    # the instrument grid comes from symbols.yaml; everything else is the type's default
    assert om.sz_decimals == {"BTC": 5, "ETH": 4}
    assert msgspec.structs.replace(om, sz_decimals={}) == OrderManagerSettings()
    assert gw == GatewaySettings()


def test_overrides_arrive_converted() -> None:
    cfg = build_config({"risk.yaml": {"execution": {
        "ack_timeout_ms": 1500, "query_timeout_ms": 2500, "cancel_timeout_ms": 700,
        "adopt_unknown_orders": True, "post_timeout_s": 2.0, "rest_timeout_s": 4.0,
        "use_ws_post": False}}})
    om, gw = order_manager_settings(cfg), gateway_settings(cfg)
    assert (om.ack_timeout_ns, om.query_timeout_ns, om.cancel_timeout_ns) == (
        1_500_000_000, 2_500_000_000, 700_000_000)
    assert om.adopt_unknown_orders
    assert (gw.post_timeout_s, gw.rest_timeout_s, gw.use_post) == (2.0, 4.0, False)
    assert gw.max_order_wait_s == 0.75  # half the ack timeout: dropped before it is asked


def test_a_place_never_waits_for_budget_as_long_as_the_rtt_halt() -> None:
    cfg = build_config({"risk.yaml": {"kill_switch": {"max_order_rtt_ms": 1000}}})
    assert gateway_settings(cfg).max_order_wait_s == 0.5
