"""risk.yaml `execution` → the order manager's and the gateway's own settings types.

The execution layer keeps plain, typed settings in its own units (nanoseconds of the
injected clock, seconds for transports); pydantic config objects stop here, as in
runtime/assembly.py.
"""

from __future__ import annotations

from typing import Final

from hyperliquid_ofi_trader.config.models import AppConfig
from hyperliquid_ofi_trader.execution.order_records import OrderManagerSettings
from hyperliquid_ofi_trader.venues.hyperliquid.execution.gateway import GatewaySettings

_NS_PER_MS: Final = 1_000_000
_MAX_ORDER_WAIT_MS: Final = 1_500


def order_manager_settings(cfg: AppConfig) -> OrderManagerSettings:
    e = cfg.risk.execution
    return OrderManagerSettings(ack_timeout_ns=e.ack_timeout_ms * _NS_PER_MS,
                                query_timeout_ns=e.query_timeout_ms * _NS_PER_MS,
                                cancel_timeout_ns=e.cancel_timeout_ms * _NS_PER_MS,
                                adopt_unknown_orders=e.adopt_unknown_orders,
                                sz_decimals={coin: spec.sz_decimals
                                             for coin, spec in cfg.symbols.coins.items()})


def gateway_settings(cfg: AppConfig) -> GatewaySettings:
    e = cfg.risk.execution
    # A place held back by the rate budget is dropped (reported not sent) well before the
    # order manager would ask about it and before the kill switch counts it as unanswered.
    max_wait_ms = min(_MAX_ORDER_WAIT_MS, e.ack_timeout_ms // 2,
                      cfg.risk.kill_switch.max_order_rtt_ms // 2)
    return GatewaySettings(post_timeout_s=e.post_timeout_s, rest_timeout_s=e.rest_timeout_s,
                           use_post=e.use_ws_post, max_order_wait_s=max(max_wait_ms, 1) / 1e3)
