"""The HTTP side: `/info` queries (with the WebSocket `post` channel as first transport)."""

from hyperliquid_ofi_trader.venues.hyperliquid.http.info import InfoClient, InfoError

__all__ = [
    "InfoClient",
    "InfoError",
]
