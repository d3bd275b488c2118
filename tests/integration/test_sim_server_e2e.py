"""End to end on loopback: the real SimVenue with the seeded SyntheticMarket behind the
emulator server, our production WebSocket client and codec in front, orders signed by our
own L1Signer and posted over the WebSocket. Nothing scripted."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator
from typing import Any

import pytest

from hyperliquid_ofi_trader.config.packaged import packaged_config
from hyperliquid_ofi_trader.core.clock import LiveClock
from hyperliquid_ofi_trader.core.events import (
    AnyEvent,
    Bbo,
    BookSnapshot,
    FeedState,
    FeedStatus,
    PostResponse,
    Trades,
    UserFills,
)
from hyperliquid_ofi_trader.sim.server import EmulatorServer, ServerSettings
from hyperliquid_ofi_trader.sim.settings import SimSettings
from hyperliquid_ofi_trader.sim.synthetic import SyntheticMarket, SyntheticSettings
from hyperliquid_ofi_trader.sim.venue import SimVenue
from hyperliquid_ofi_trader.venues.hyperliquid.execution.action_wire import (
    make_cloid,
    order_action,
    order_wire,
)
from hyperliquid_ofi_trader.venues.hyperliquid.signing.keys import generate_throwaway_key
from hyperliquid_ofi_trader.venues.hyperliquid.signing.nonce import NonceCounter
from hyperliquid_ofi_trader.venues.hyperliquid.signing.signer import L1Signer, exchange_body
from hyperliquid_ofi_trader.venues.hyperliquid.websocket.client import (
    HyperliquidWsClient,
    WsClientConfig,
)
from hyperliquid_ofi_trader.venues.hyperliquid.websocket.codec import HyperliquidCodec

pytestmark = pytest.mark.timeout(15)
_MS = 1_000_000


@pytest.fixture
async def emulator() -> AsyncIterator[EmulatorServer]:
    clock = LiveClock()
    start = clock.now_ns() // _MS * _MS
    market = SyntheticMarket(SyntheticSettings(start_ns=start, book_interval_ms=200), seed=3)
    server = EmulatorServer(SimVenue(SimSettings(), clock), market, ServerSettings(), clock)
    await server.start()
    yield server
    await server.stop()


class Collector:
    def __init__(self) -> None:
        self.events: list[AnyEvent] = []
        self.changed = asyncio.Event()

    def __call__(self, event: AnyEvent) -> None:
        self.events.append(event)
        self.changed.set()

    def of(self, kind: type) -> list[Any]:
        return [e for e in self.events if isinstance(e, kind)]

    async def until(self, predicate: Any, timeout: float = 8.0) -> None:
        async def wait() -> None:
            while not predicate():
                self.changed.clear()
                await self.changed.wait()
        await asyncio.wait_for(wait(), timeout)


async def test_feed_and_orders_over_ws_post(emulator: EmulatorServer) -> None:
    signer = L1Signer(generate_throwaway_key(), mainnet=False)
    user = signer.address
    assert isinstance(emulator.venue, SimVenue)
    emulator.venue.fund(user)
    subs = [{"type": "l2Book", "coin": "BTC"}, {"type": "bbo", "coin": "BTC"},
            {"type": "trades", "coin": "BTC"}, {"type": "orderUpdates", "user": user},
            {"type": "userFills", "user": user}]
    got = Collector()
    client = HyperliquidWsClient(emulator.ws_url, subs, HyperliquidCodec().decode, got,
                                 config=dataclasses.replace(WsClientConfig.from_config(
                                     packaged_config()), ack_timeout_s=5.0))
    runner = asyncio.create_task(client.run())
    try:
        await got.until(lambda: any(isinstance(e, FeedState) and e.status is FeedStatus.UP
                                    and e.channel == "" for e in got.events))
        await got.until(lambda: len(got.of(BookSnapshot)) >= 3 and got.of(Bbo)
                        and got.of(UserFills))
        books = got.of(BookSnapshot)
        assert all(len(b.bids) == 20 and len(b.asks) == 20 for b in books)
        assert [b.exchange_ns for b in books] == sorted(b.exchange_ns for b in books)
        snapshot = got.of(UserFills)[0]
        assert snapshot.is_snapshot
        assert snapshot.fills == ()

        best_ask = books[-1].asks[0][0]
        nonces = NonceCounter(LiveClock())
        cloid = make_cloid(42)
        action = order_action([order_wire(0, True, best_ask * 1.01 // 1, 0.001, False,
                                          "Ioc", cloid)])
        nonce = nonces.next()
        body = exchange_body(action, nonce, signer.sign_action(action, nonce))
        await client.send({"method": "post", "id": 1,
                           "request": {"type": "action", "payload": body}})
        await got.until(lambda: got.of(PostResponse) and len(got.of(UserFills)) >= 2)
        answer = got.of(PostResponse)[0]
        assert answer.request_id == 1
        assert answer.kind == "action"
        status = answer.payload["response"]["data"]["statuses"][0]
        assert float(status["filled"]["totalSz"]) == pytest.approx(0.001)
        fill = got.of(UserFills)[1].fills[0]
        assert fill.crossed
        assert fill.is_buy
        assert fill.cloid == cloid
        # our IOC printed on the public tape too, at the ask it took
        await got.until(lambda: any(t.size == pytest.approx(0.001) and t.is_buy
                                    for batch in got.of(Trades) for t in batch.trades))
    finally:
        client.stop()
        await asyncio.wait_for(runner, 5)
