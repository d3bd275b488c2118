"""A gateway wired to the real emulator over loopback: SimVenue behind EmulatorServer, our
WebSocket client + codec + PostChannel in front, HyperliquidGateway emitting into a
collector. An API wallet (the signer) trades for a separate account, as in production."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import orjson

from hyperliquid_ofi_trader.config.models import RateLimitBudgets
from hyperliquid_ofi_trader.config.packaged import packaged_config
from hyperliquid_ofi_trader.core.clock import LiveClock
from hyperliquid_ofi_trader.core.commands import PlaceOrder
from hyperliquid_ofi_trader.core.events import (
    AnyEvent,
    BookSnapshot,
    FeedState,
    FeedStatus,
)
from hyperliquid_ofi_trader.core.stages import Tif
from hyperliquid_ofi_trader.sim.server import EmulatorServer, ServerSettings
from hyperliquid_ofi_trader.sim.settings import SimSettings
from hyperliquid_ofi_trader.sim.venue import SimVenue
from hyperliquid_ofi_trader.venues.hyperliquid.asset_meta import AssetRegistry
from hyperliquid_ofi_trader.venues.hyperliquid.common.rate_limits import (
    RateLimiter,
)
from hyperliquid_ofi_trader.venues.hyperliquid.execution.action_wire import make_cloid
from hyperliquid_ofi_trader.venues.hyperliquid.execution.gateway import (
    GatewaySettings,
    HyperliquidGateway,
)
from hyperliquid_ofi_trader.venues.hyperliquid.signing.keys import SecretKey, generate_throwaway_key
from hyperliquid_ofi_trader.venues.hyperliquid.signing.nonce import NonceCounter
from hyperliquid_ofi_trader.venues.hyperliquid.signing.signer import L1Signer
from hyperliquid_ofi_trader.venues.hyperliquid.websocket.client import (
    HyperliquidWsClient,
    WsClientConfig,
)
from hyperliquid_ofi_trader.venues.hyperliquid.websocket.codec import HyperliquidCodec
from hyperliquid_ofi_trader.venues.hyperliquid.websocket.post import PostChannel


class Collector:
    """Every event the gateway (and the socket) emitted, with an awaitable condition."""

    def __init__(self) -> None:
        self.events: list[AnyEvent] = []
        self.changed = asyncio.Event()

    def __call__(self, event: AnyEvent) -> None:
        self.events.append(event)
        self.changed.set()

    def of(self, kind: type) -> list[Any]:
        return [e for e in self.events if isinstance(e, kind)]

    async def until(self, predicate: Callable[[], object], timeout: float = 8.0) -> None:
        async def wait() -> None:
            while not predicate():
                self.changed.clear()
                await self.changed.wait()
        await asyncio.wait_for(wait(), timeout)


@dataclass
class Rig:
    server: EmulatorServer
    venue: SimVenue
    gateway: HyperliquidGateway
    post: PostChannel
    client: HyperliquidWsClient
    got: Collector
    signer_key: SecretKey
    account: str
    limits: RateLimiter
    sent_frames: list[dict[str, Any]] = field(default_factory=list)

    def place(self, n: int, *, is_buy: bool = True, price: float = 99_000.0,
              size: float = 0.001, tif: Tif = Tif.ALO) -> PlaceOrder:
        order = PlaceOrder(cloid=make_cloid(n), coin="BTC", is_buy=is_buy, price=price,
                           size=size, tif=tif, reduce_only=False, decision_id=n)
        self.gateway.place([order])
        return order

    def open_cloids(self) -> list[str]:
        status, orders = self.venue.handle_info(
            {"type": "frontendOpenOrders", "user": self.account}, LiveClock().now_ns())
        assert status == 200
        return sorted(o.get("cloid") for o in orders)


def btc_book(venue: SimVenue) -> None:
    now = LiveClock().now_ns()
    venue.on_market(BookSnapshot(exchange_ns=now, local_ns=now, coin="BTC",
                                 bids=((100_000.0, 1.0, 3), (99_999.0, 2.0, 1)),
                                 asks=((100_001.0, 0.5, 2), (100_002.0, 1.0, 1))))


def gateway_settings(**changes: Any) -> GatewaySettings:
    """The packaged risk.yaml `execution` settings of the gateway with `changes`."""
    return dataclasses.replace(GatewaySettings.from_config(packaged_config()), **changes)


@contextlib.asynccontextmanager
async def gateway_rig(*, limits: RateLimitBudgets | None = None,
                      settings: GatewaySettings | None = None,
                      use_ws: bool = True) -> AsyncIterator[Rig]:
    clock = LiveClock()
    account_key, agent_key = generate_throwaway_key(), generate_throwaway_key()
    account = account_key.address
    venue = SimVenue(SimSettings(), clock)
    venue.approve_agent(account, agent_key.address)
    server = EmulatorServer(venue, None, ServerSettings(), clock)
    await server.start()
    btc_book(venue)
    got = Collector()
    gateway_box: list[HyperliquidGateway] = []

    def on_event(event: AnyEvent) -> None:
        got(event)
        if gateway_box:
            gateway_box[0].on_ws_event(event)

    subs = [{"type": "orderUpdates", "user": account}, {"type": "userFills", "user": account}]
    client = HyperliquidWsClient(server.ws_url, subs, HyperliquidCodec().decode, on_event,
                                 config=dataclasses.replace(WsClientConfig.from_config(
                                     packaged_config()), ack_timeout_s=5.0))
    runner = asyncio.create_task(client.run())
    session = aiohttp.ClientSession()
    sent: list[dict[str, Any]] = []

    async def send(frame: bytes) -> None:
        await client.send(frame)
        sent.append(orjson.loads(frame))

    post = PostChannel(send, clock)
    limiter = RateLimiter(limits)
    gateway = HyperliquidGateway(
        L1Signer(agent_key, mainnet=False), account, NonceCounter(clock),
        AssetRegistry.from_meta(venue.meta()), post if use_ws else None, server.base_url,
        session, got, clock, limiter, settings)
    gateway_box.append(gateway)
    rig = Rig(server, venue, gateway, post, client, got, agent_key, account, limiter, sent)
    try:
        if use_ws:
            await got.until(lambda: any(isinstance(e, FeedState) and e.channel == ""
                                        and e.status is FeedStatus.UP for e in got.events))
        await gateway.start()
        yield rig
    finally:
        await gateway.stop()
        client.stop()
        await asyncio.wait_for(runner, 5)
        await session.close()
        await server.stop()
