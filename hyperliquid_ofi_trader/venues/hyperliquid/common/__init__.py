"""Hyperliquid rules and formats shared by the WebSocket, HTTP and execution halves."""

from hyperliquid_ofi_trader.venues.hyperliquid.common.errors import Fault, Remedy, VenueError
from hyperliquid_ofi_trader.venues.hyperliquid.common.instruments import (
    Instrument,
    InstrumentError,
    RoundMode,
)
from hyperliquid_ofi_trader.venues.hyperliquid.common.rate_limits import (
    RateLimiter,
    RequestKind,
)

__all__ = [
    "Fault",
    "Instrument",
    "InstrumentError",
    "RateLimiter",
    "Remedy",
    "RequestKind",
    "RoundMode",
    "VenueError",
]
