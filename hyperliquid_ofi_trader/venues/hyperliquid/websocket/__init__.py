"""The WebSocket side: codec, sans-I/O session, asyncio client, watchdog, subscriptions, post."""

from hyperliquid_ofi_trader.venues.hyperliquid.websocket.client import (
    HyperliquidWsClient,
    WsClientConfig,
    WsError,
)
from hyperliquid_ofi_trader.venues.hyperliquid.websocket.codec import HyperliquidCodec
from hyperliquid_ofi_trader.venues.hyperliquid.websocket.post import PostChannel, PostError
from hyperliquid_ofi_trader.venues.hyperliquid.websocket.watchdog import FeedWatchdog

__all__ = [
    "FeedWatchdog",
    "HyperliquidCodec",
    "HyperliquidWsClient",
    "PostChannel",
    "PostError",
    "WsClientConfig",
    "WsError",
]
