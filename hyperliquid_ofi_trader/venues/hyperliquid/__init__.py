"""The Hyperliquid adapter: every Hyperliquid-specific module, split by concern.

Laid out as NautilusTrader's Hyperliquid adapter is (common/, http/, websocket/, signing/,
execution, providers). Concern -> module:

    wire formats
      inbound JSON structs (ws + /info)    common/messages.py
      exchange action dicts, cloids       execution/action_wire.py
    instrument rules (tick, step, min)    common/instruments.py
    asset metadata (`meta`, asset ids)    asset_meta.py
    error texts and their meaning         common/errors.py
    rate limits (IP weight, address)      common/rate_limits.py
    perps fee schedule (tiers, rebates)   common/fees.py
    keys (load, hold, never leak)         signing/keys.py
    L1 action signing                     signing/signer.py
    nonces                                signing/nonce.py
    frame codec (frame -> domain events)  websocket/codec.py
    feed session: acks, heartbeat,
      staleness, dead socket (sans-I/O)   websocket/session.py
    WebSocket client (asyncio pump)       websocket/client.py
    per-channel staleness watchdog        websocket/watchdog.py
    subscriptions <-> health channels     websocket/subscriptions.py
    `post` request correlation            websocket/post.py
    /info queries (REST or ws post)       http/info.py
    inbound seam: the venue feed          feed.py  (core.venue_feed.VenueFeed)
    gateway, sans-I/O half                execution/gateway_actions.py
    gateway, async edge (CommandPort)     execution/gateway.py
    send scheduler (both gateways)        execution/send_scheduler.py
    reconciliation snapshot               execution/reconcile.py
"""

from hyperliquid_ofi_trader.venues.hyperliquid.asset_meta import AssetRegistry
from hyperliquid_ofi_trader.venues.hyperliquid.common.errors import VenueError
from hyperliquid_ofi_trader.venues.hyperliquid.common.instruments import Instrument
from hyperliquid_ofi_trader.venues.hyperliquid.common.rate_limits import (
    RateLimiter,
)
from hyperliquid_ofi_trader.venues.hyperliquid.execution.gateway import (
    GatewaySettings,
    HyperliquidGateway,
)
from hyperliquid_ofi_trader.venues.hyperliquid.http.info import InfoClient
from hyperliquid_ofi_trader.venues.hyperliquid.signing.keys import SecretKey
from hyperliquid_ofi_trader.venues.hyperliquid.signing.nonce import NonceCounter
from hyperliquid_ofi_trader.venues.hyperliquid.signing.signer import L1Signer
from hyperliquid_ofi_trader.venues.hyperliquid.websocket.client import (
    HyperliquidWsClient,
    WsClientConfig,
)
from hyperliquid_ofi_trader.venues.hyperliquid.websocket.codec import HyperliquidCodec
from hyperliquid_ofi_trader.venues.hyperliquid.websocket.post import PostChannel

__all__ = [
    "AssetRegistry",
    "GatewaySettings",
    "HyperliquidCodec",
    "HyperliquidGateway",
    "HyperliquidWsClient",
    "InfoClient",
    "Instrument",
    "L1Signer",
    "NonceCounter",
    "PostChannel",
    "RateLimiter",
    "SecretKey",
    "VenueError",
    "WsClientConfig",
]
