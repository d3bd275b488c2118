"""End to end over loopback with the production codec instead of the test stand-in."""

from __future__ import annotations

import asyncio
import dataclasses
import random
from collections.abc import AsyncIterator

import pytest

from hyperliquid_ofi_trader.config.packaged import packaged_config
from hyperliquid_ofi_trader.core.events import (
    AnyEvent,
    Bbo,
    BookSnapshot,
    FeedState,
    FeedStatus,
    Greeting,
    Pong,
    Rejection,
    Trades,
)
from hyperliquid_ofi_trader.venues.hyperliquid.websocket.client import (
    HyperliquidWsClient,
    WsClientConfig,
)
from hyperliquid_ofi_trader.venues.hyperliquid.websocket.codec import HyperliquidCodec
from tests.integration.ws_test_server import HlTestServer, wait_until

pytestmark = pytest.mark.timeout(10)

SUBS = [{"type": "l2Book", "coin": "BTC"}, {"type": "bbo", "coin": "ETH"},
        {"type": "trades", "coin": "BTC"}]
CONFIG = dataclasses.replace(WsClientConfig.from_config(packaged_config()),
                             ping_interval_s=0.05, silence_timeout_s=1.0, tick_s=0.01,
                             ack_timeout_s=2.0, close_timeout_s=0.2)


@pytest.fixture
async def server() -> AsyncIterator[HlTestServer]:
    async with HlTestServer(push_interval_s=0.005) as srv:
        yield srv


async def test_real_codec_acks_data_and_rejections(server: HlTestServer) -> None:
    codec = HyperliquidCodec(frozenset({"BTC", "ETH"}))
    events: list[AnyEvent] = []
    client = HyperliquidWsClient(server.url, SUBS, codec.decode, events.append,
                                 config=CONFIG, rng=random.Random(1))
    task = asyncio.create_task(client.run())

    def count(kind: type) -> int:
        return sum(isinstance(e, kind) for e in events)

    # UP before the ack timeout proves the real codec's acks matched (l2Book's echo
    # carries extra null fields).
    await wait_until(lambda: any(isinstance(e, FeedState) and e.status is FeedStatus.UP
                                 for e in events))
    up = next(e for e in events if isinstance(e, FeedState))
    assert up.detail == "3 subscriptions acked"
    await wait_until(lambda: count(BookSnapshot) > 3 and count(Bbo) > 3 and count(Trades) > 3)
    assert isinstance(events[0], Greeting)
    assert count(Rejection) == 0
    await wait_until(lambda: count(Pong) >= 2)  # the real codec decodes our pongs
    await server.broadcast(["{garbage", '{"channel":"l2Book","data":{"coin":"BTC"}}'])
    await wait_until(lambda: count(Rejection) == 2)
    books = count(BookSnapshot)
    await wait_until(lambda: count(BookSnapshot) > books)
    assert client.stats.rejections == codec.rejected == 2
    client.stop()
    await asyncio.wait_for(task, 3.0)
