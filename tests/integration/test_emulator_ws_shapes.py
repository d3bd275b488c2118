"""The emulator's WebSocket frames in the venue's shapes, over real loopback sockets with
the real `SimVenue`: `fast` l2Book frames say `"fast": true`, `allMids` is served and
follows the merged book, and an error frame for a refused subscription echoes the request
(the TypeScript SDK matches errors to pending subscribes by that echo; without it a client
waits for its timeout)."""

from __future__ import annotations

import json
import re
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest
from eth_account import Account

from hyperliquid_ofi_trader.core.clock import LiveClock
from hyperliquid_ofi_trader.core.events import BookSnapshot
from hyperliquid_ofi_trader.sim.server import EmulatorServer, ServerSettings
from hyperliquid_ofi_trader.sim.settings import SimSettings
from hyperliquid_ofi_trader.sim.venue import SimVenue
from hyperliquid_ofi_trader.venues.hyperliquid.signing.keys import generate_throwaway_key
from hyperliquid_ofi_trader.venues.hyperliquid.signing.signer import L1Signer
from tests.integration.sim_server_support import WsProbe

pytestmark = pytest.mark.timeout(15)


def _book(best_bid: float, spread: float = 1.0) -> BookSnapshot:
    now = time.time_ns()
    return BookSnapshot(exchange_ns=now, local_ns=now, coin="BTC",
                        bids=tuple((best_bid - i, 0.5, 2) for i in range(20)),
                        asks=tuple((best_bid + spread + i, 0.5, 2) for i in range(20)))


@pytest.fixture
async def server() -> AsyncIterator[EmulatorServer]:
    clock = LiveClock()
    venue = SimVenue(SimSettings(), clock)
    server = EmulatorServer(venue, None, ServerSettings(), clock)
    server.publisher.on_market(_book(100_000.0))
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
async def probe(server: EmulatorServer) -> AsyncIterator[WsProbe]:
    p = await WsProbe.connect(server.ws_url)
    yield p
    await p.close()


async def test_fast_book_frames_say_fast(server: EmulatorServer, probe: WsProbe) -> None:
    await probe.send({"method": "subscribe",
                      "subscription": {"type": "l2Book", "coin": "BTC", "fast": True}})
    await probe.send({"method": "subscribe", "subscription": {"type": "l2Book", "coin": "BTC"}})
    await probe.wait_for("l2Book", 2)
    server.publisher.on_market(_book(100_002.0))
    frames = [f["data"] for f in await probe.wait_for("l2Book", 4)]
    fast = [d for d in frames if len(d["levels"][0]) == 5]
    full = [d for d in frames if len(d["levels"][0]) == 20]
    assert len(fast) == 2
    assert len(full) == 2
    assert all(d["fast"] is True for d in fast)
    assert all("fast" not in d for d in full)


async def test_all_mids_follow_the_merged_book(server: EmulatorServer, probe: WsProbe) -> None:
    await probe.send({"method": "subscribe", "subscription": {"type": "allMids"}})
    [ack] = await probe.wait_for("subscriptionResponse")
    assert ack["data"]["subscription"] == {"type": "allMids"}
    [first] = await probe.wait_for("allMids")
    assert first["data"] == {"mids": {"BTC": "100000.5"}}
    server.publisher.on_market(_book(100_010.0, spread=10.0))
    server.publisher.on_market(_book(100_010.0, spread=10.0))  # no change: no frame
    frames = await probe.wait_for("allMids", 2)
    assert frames[1]["data"] == {"mids": {"BTC": "100015"}}

    # our post-only ask inside the spread moves the merged mid: pushed after the action
    key = generate_throwaway_key()
    assert isinstance(server.venue, SimVenue)
    server.venue.fund(key.address)
    action = {"type": "order", "orders": [{"a": 0, "b": False, "p": "100014", "s": "0.001",
                                           "r": False, "t": {"limit": {"tif": "Alo"}}}],
              "grouping": "na"}
    nonce = int(time.time() * 1000)
    body = {"action": action, "nonce": nonce,
            "signature": L1Signer(key, mainnet=False).sign_action(action, nonce),
            "vaultAddress": None, "expiresAfter": None}
    async with probe.session.post(f"{server.base_url}/exchange", json=body) as r:
        answer = await r.json()
    assert "resting" in answer["response"]["data"]["statuses"][0], answer
    frames = await probe.wait_for("allMids", 3)
    assert frames[2]["data"] == {"mids": {"BTC": "100012"}}
    assert len(probe.channel("allMids")) == 3


def _echoed(text: str) -> Any:
    body = re.search(r"{.*}", text)
    assert body is not None, text
    return json.loads(body.group(0))


@pytest.mark.parametrize("subscription", [
    {"type": "candle", "coin": "BTC", "interval": "1m"},  # the venue's, not emulated
    {"type": "noSuchFeed", "coin": "BTC"},  # nobody's
    {"type": "l2Book", "coin": "BTC", "nSigFigs": 3},  # aggregation, not emulated
    {"type": "allMids", "dex": "xyz"},  # builder dexs, not emulated
])
async def test_refused_subscriptions_echo_the_request(probe: WsProbe,
                                                      subscription: dict[str, Any]) -> None:
    await probe.send({"method": "subscribe", "subscription": subscription})
    [error] = await probe.wait_for("error")
    assert _echoed(error["data"]) == {"method": "subscribe", "subscription": subscription}
    await probe.send({"method": "unsubscribe", "subscription": subscription})
    errors = await probe.wait_for("error", 2)
    assert _echoed(errors[1]["data"]) == {"method": "unsubscribe",
                                          "subscription": subscription}


async def test_invalid_subscription_echoes_the_subscription(probe: WsProbe) -> None:
    bad = {"type": "userFills", "user": Account.create().address[:20]}
    await probe.send({"method": "subscribe", "subscription": bad})
    [error] = await probe.wait_for("error")
    assert error["data"].startswith("Invalid subscription ")
    assert _echoed(error["data"]) == bad


async def test_asset_ctx_answers_at_once_even_before_the_market_sent_one(
        probe: WsProbe) -> None:
    await probe.send({"method": "subscribe",
                      "subscription": {"type": "activeAssetCtx", "coin": "BTC"}})
    [frame] = await probe.wait_for("activeAssetCtx")
    assert frame["data"]["coin"] == "BTC"
    assert frame["data"]["ctx"]["midPx"] == "100000.5"
    assert frame["data"]["ctx"]["markPx"] == "100000.5"
