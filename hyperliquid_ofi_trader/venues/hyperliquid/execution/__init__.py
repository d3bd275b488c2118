"""The order side: action wire format, the gateway (sans-I/O half and async edge), reconcile."""

from hyperliquid_ofi_trader.venues.hyperliquid.execution.action_wire import make_cloid
from hyperliquid_ofi_trader.venues.hyperliquid.execution.gateway import (
    GatewaySettings,
    HyperliquidGateway,
)

__all__ = [
    "GatewaySettings",
    "HyperliquidGateway",
    "make_cloid",
]
