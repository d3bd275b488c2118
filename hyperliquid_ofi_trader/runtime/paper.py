"""Paper trading: the real market feed, emulated fills.

The emulator runs on loopback without a market source of its own; a WebSocket client
subscribed to the real venue's public market channels relays every decoded market event
into it (its venue's book moves with the real market, and it publishes the frames to our
trader). The trader is the unchanged live stack pointed at the emulator, so orders, fills,
queue position and fees are emulated while the market is real. Nothing is ever sent to the
real venue but subscriptions: no key of a real account is involved.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any, Protocol

from hyperliquid_ofi_trader.core.clock import Clock
from hyperliquid_ofi_trader.core.events import AnyEvent, AssetCtx, Bbo, BookSnapshot, Trades
from hyperliquid_ofi_trader.venues.hyperliquid.feed import HyperliquidFeed
from hyperliquid_ofi_trader.venues.hyperliquid.websocket.client import (
    HyperliquidWsClient,
    WsClientConfig,
)

_MARKET_TYPES = (BookSnapshot, Bbo, Trades, AssetCtx)


class MarketSink(Protocol):
    def on_market(self, event: Any) -> None: ...


class MarketRelay:
    """Feeds the real market's events into the emulator's publisher."""

    __slots__ = ("client", "relayed", "sink")

    def __init__(self, upstream_ws_url: str, coins: Sequence[str], sink: MarketSink,
                 clock: Clock, config: WsClientConfig | None = None) -> None:
        self.sink = sink
        self.relayed = 0
        feed = HyperliquidFeed(coins)
        self.client = HyperliquidWsClient(upstream_ws_url, feed.subscriptions(), feed.decode,
                                          self._on_event, clock=clock, config=config)

    def _on_event(self, event: AnyEvent) -> None:
        if isinstance(event, _MARKET_TYPES):
            self.relayed += 1
            self.sink.on_market(event)

    async def run(self) -> None:
        await self.client.run()

    async def wait_for_market(self, budget_s: float) -> bool:
        """True once the first market event has been relayed; False after `budget_s`
        without one (feed unreachable, or reachable but silent: useless either way)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + budget_s
        while self.relayed == 0:
            if loop.time() >= deadline:
                return False
            await asyncio.sleep(0.05)
        return True

    @property
    def last_error(self) -> str:
        return self.client.stats.last_error

    def stop(self) -> None:
        self.client.stop()
