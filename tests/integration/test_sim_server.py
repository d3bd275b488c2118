"""The emulator server's WebSocket and HTTP protocol over real loopback sockets.

A scripted venue stands in for SimVenue so these tests pin the server's own behaviour:
greeting, subscription acks and errors, first frames, cadence, posts, ping, idle close,
the venue's per-IP limits, HTTP error answers.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import aiohttp
import pytest

from hyperliquid_ofi_trader.core.clock import LiveClock
from hyperliquid_ofi_trader.sim.server import EmulatorServer, ServerSettings
from hyperliquid_ofi_trader.sim.ws_session import GREETING, WsLimits
from tests.integration.sim_server_support import (
    USER,
    ScriptedSource,
    ScriptedVenue,
    WsProbe,
)

pytestmark = pytest.mark.timeout(15)
L2 = {"type": "l2Book", "coin": "BTC"}


async def _server(settings: ServerSettings | None = None,
                  source: ScriptedSource | None = None) -> EmulatorServer:
    server = EmulatorServer(ScriptedVenue(), source, settings or ServerSettings(),
                            LiveClock())
    await server.start()
    return server


@pytest.fixture
async def server() -> AsyncIterator[EmulatorServer]:
    srv = await _server(source=ScriptedSource(30, 0.02))
    yield srv
    await srv.stop()


@pytest.fixture
async def probe(server: EmulatorServer) -> AsyncIterator[WsProbe]:
    p = await WsProbe.connect(server.ws_url)
    yield p
    await p.close()


async def test_greeting_then_subscribe_ack_echoes_l2_nulls(probe: WsProbe) -> None:
    await probe.send({"method": "subscribe", "subscription": L2})
    acks = await probe.wait_for("subscriptionResponse")
    assert probe.texts[0] == GREETING
    assert acks[0]["data"] == {"method": "subscribe", "subscription": {
        "type": "l2Book", "coin": "BTC", "nSigFigs": None, "mantissa": None}}


async def test_l2book_first_frame_then_cadence_20_and_fast_5_levels(probe: WsProbe) -> None:
    await probe.send({"method": "subscribe", "subscription": L2})
    await probe.send({"method": "subscribe", "subscription": {**L2, "fast": True}})
    books = await probe.wait_for("l2Book", 8)
    depths = {len(b["data"]["levels"][0]) for b in books}
    assert depths == {20, 5}
    times = [b["data"]["time"] for b in books[2:] if len(b["data"]["levels"][0]) == 20]
    assert times == sorted(times)
    bests = [float(b["data"]["levels"][0][0]["px"]) for b in books[2:]]
    assert len(set(bests)) > 1  # the market moves: later books carry the source's new price


async def test_bbo_published_only_when_l1_changes(probe: WsProbe) -> None:
    await probe.send({"method": "subscribe", "subscription": {"type": "bbo", "coin": "BTC"}})
    frames = await probe.wait_for("bbo", 4)
    tops = [(f["data"]["bbo"][0]["px"], f["data"]["bbo"][1]["px"]) for f in frames]
    assert len(tops) == len(set(tops))


async def test_duplicate_and_bad_subscriptions_get_error_frames(probe: WsProbe) -> None:
    await probe.send({"method": "subscribe", "subscription": L2})
    await probe.send({"method": "subscribe", "subscription": L2})
    await probe.send({"method": "subscribe", "subscription": {**L2, "nSigFigs": 3}})
    await probe.send({"method": "subscribe", "subscription": {"type": "userFills",
                                                              "user": "0x12"}})
    await probe.send({"method": "unsubscribe", "subscription": {"type": "bbo", "coin": "X"}})
    await probe.send({"method": "nonsense"})
    errors = [e["data"] for e in await probe.wait_for("error", 5)]
    assert errors[0].startswith("Already subscribed: ")
    assert "aggregation" in errors[1]
    assert errors[2].startswith("Invalid subscription")
    assert errors[3].startswith("Already unsubscribed: ")
    assert errors[4].startswith("Error parsing JSON into valid websocket request")


async def test_unsubscribe_stops_the_stream(probe: WsProbe) -> None:
    await probe.send({"method": "subscribe", "subscription": L2})
    await probe.wait_for("l2Book", 2)
    await probe.send({"method": "unsubscribe", "subscription": L2})
    acks = await probe.wait_for("subscriptionResponse", 2)
    assert acks[1]["data"]["method"] == "unsubscribe"
    count = len(probe.channel("l2Book"))
    await asyncio.sleep(0.15)  # several source blocks pass
    assert len(probe.channel("l2Book")) == count


async def test_user_fills_snapshot_first(probe: WsProbe) -> None:
    await probe.send({"method": "subscribe", "subscription": {"type": "userFills",
                                                              "user": "0x" + USER[2:].upper()}})
    fills = await probe.wait_for("userFills")
    assert fills[0]["data"] == {"isSnapshot": True, "user": USER,
                                "fills": [{"coin": "BTC", "tid": 7, "oid": 1}]}


async def test_ping_pong(probe: WsProbe) -> None:
    await probe.send({"method": "ping"})
    assert await probe.wait_for("pong") == [{"channel": "pong"}]


async def test_post_info_and_action_round_trips_and_push_precedes_answer(
        probe: WsProbe) -> None:
    await probe.send({"method": "subscribe", "subscription": {"type": "orderUpdates",
                                                              "user": USER}})
    await probe.wait_for("subscriptionResponse")
    await probe.send({"method": "post", "id": 5, "request": {"type": "info",
                                                            "payload": {"type": "meta"}}})
    action = {"action": {"type": "order", "orders": []}, "nonce": 1, "signature": {}}
    await probe.send({"method": "post", "id": 6, "request": {"type": "action",
                                                            "payload": action}})
    await probe.send({"method": "post", "id": 7, "request": {"type": "info",
                                                            "payload": {"type": "bogus"}}})
    posts = {p["data"]["id"]: p["data"]["response"] for p in await probe.wait_for("post", 3)}
    assert posts[5] == {"type": "info", "payload": {"type": "meta", "data": {
        "universe": [{"name": "BTC", "szDecimals": 5, "maxLeverage": 40}]}}}
    assert posts[6]["type"] == "action"
    assert posts[6]["payload"]["response"]["data"]["statuses"] == [{"resting": {"oid": 1}}]
    assert posts[7]["type"] == "error"
    order_update = next(i for i, f in enumerate(probe.frames)
                        if f["channel"] == "orderUpdates")
    answer = next(i for i, f in enumerate(probe.frames)
                  if f["channel"] == "post" and f["data"]["id"] == 6)
    assert order_update < answer


async def test_idle_connection_closed() -> None:
    srv = await _server(ServerSettings(idle_timeout_s=0.2))
    try:
        p = await WsProbe.connect(srv.ws_url)
        await asyncio.wait_for(p.closed.wait(), 5)
        assert srv.stats.idle_closed == 1
        await p.close()
    finally:
        await srv.stop()


async def test_pings_keep_connection_alive() -> None:
    srv = await _server(ServerSettings(idle_timeout_s=0.3))
    try:
        p = await WsProbe.connect(srv.ws_url)
        for _ in range(6):
            await p.send({"method": "ping"})
            await asyncio.sleep(0.1)
        assert not p.closed.is_set()
        await p.close()
    finally:
        await srv.stop()


async def test_connection_limits_refuse_with_429() -> None:
    limits = WsLimits(max_connections=2, new_connections_per_minute=3)
    srv = await _server(ServerSettings(limits=limits))
    probes: list[WsProbe] = []
    try:
        probes = [await WsProbe.connect(srv.ws_url) for _ in range(2)]
        with pytest.raises(aiohttp.WSServerHandshakeError) as exc:
            await WsProbe.connect(srv.ws_url)
        assert exc.value.status == 429
        await probes.pop().close()
        await asyncio.sleep(0.05)
        probes.append(await WsProbe.connect(srv.ws_url))  # third new connection: allowed
        await probes.pop().close()
        await asyncio.sleep(0.05)
        with pytest.raises(aiohttp.WSServerHandshakeError):  # fourth in a minute: refused
            await WsProbe.connect(srv.ws_url)
    finally:
        for p in probes:
            await p.close()
        await srv.stop()


async def test_subscription_user_message_and_post_limits() -> None:
    limits = WsLimits(max_subscriptions=3, max_users=1, messages_per_minute=9,
                      max_inflight_posts=100)
    srv = await _server(ServerSettings(limits=limits))
    p = await WsProbe.connect(srv.ws_url)
    try:
        for coin in ("BTC", "ETH", "SOL"):
            await p.send({"method": "subscribe", "subscription": {"type": "trades",
                                                                  "coin": coin}})
        await p.send({"method": "subscribe", "subscription": {"type": "bbo", "coin": "BTC"}})
        await p.send({"method": "unsubscribe", "subscription": {"type": "trades",
                                                                "coin": "SOL"}})
        await p.send({"method": "subscribe", "subscription": {"type": "orderUpdates",
                                                              "user": USER}})
        await p.send({"method": "unsubscribe", "subscription": {"type": "trades",
                                                                "coin": "ETH"}})
        other = "0x" + "cd" * 20
        await p.send({"method": "subscribe", "subscription": {"type": "userEvents",
                                                              "user": other}})
        await p.send({"method": "ping"})  # 9th message: still allowed
        await p.send({"method": "ping"})  # 10th: over the per-minute budget
        errors = [e["data"] for e in await p.wait_for("error", 3)]
        assert errors == ["Cannot subscribe to more than 3 channels.",
                          "Cannot track more than 1 total users.",
                          "Cannot send more than 9 messages per minute."]
        assert len(p.channel("pong")) == 1
    finally:
        await p.close()
        await srv.stop()


async def test_inflight_post_limit_with_delayed_acks() -> None:
    limits = WsLimits(max_inflight_posts=2)
    srv = await _server(ServerSettings(limits=limits))
    srv.faults.apply({"fault": "delay_acks", "delay_s": 0.3})
    p = await WsProbe.connect(srv.ws_url)
    try:
        for i in range(3):
            await p.send({"method": "post", "id": i, "request": {
                "type": "info", "payload": {"type": "meta"}}})
        error = await p.wait_for("error")
        assert error[0]["data"] == "too many pending post requests id=2"
        posts = await p.wait_for("post", 2)
        assert sorted(x["data"]["id"] for x in posts) == [0, 1]
    finally:
        await p.close()
        await srv.stop()


async def test_http_info_exchange_and_malformed_bodies(server: EmulatorServer) -> None:
    async with aiohttp.ClientSession() as http:
        async with http.post(server.base_url + "/info", json={"type": "meta"}) as r:
            assert r.status == 200
            assert (await r.json())["universe"][0]["name"] == "BTC"
        async with http.post(server.base_url + "/info", data=b"{nope",
                             headers={"Content-Type": "application/json"}) as r:
            assert r.status == 400
            assert (await r.text()).startswith("Failed to parse the request body as JSON")
        async with http.post(server.base_url + "/exchange", json=[1, 2]) as r:
            assert r.status == 422
        async with http.post(server.base_url + "/exchange", data=b"{}") as r:
            assert r.status == 415
        async with http.post(server.base_url + "/exchange", json={"action": {
                "type": "order"}, "nonce": 1}) as r:
            assert r.status == 200
            assert (await r.json())["status"] == "ok"


async def test_server_stop_closes_clients() -> None:
    srv = await _server()
    p = await WsProbe.connect(srv.ws_url)
    await srv.stop()
    await asyncio.wait_for(p.closed.wait(), 5)
    await p.close()


async def test_faucet_funds_through_the_venue_and_refuses_bad_bodies(
        server: EmulatorServer) -> None:
    venue = server.venue
    assert isinstance(venue, ScriptedVenue)
    url = server.base_url + "/_faucet"
    async with aiohttp.ClientSession() as http:
        async with http.post(url, json={"user": USER, "usdc": 250}) as r:
            assert r.status == 200
            assert await r.json() == {"status": "ok", "user": USER, "usdc": "250"}
        async with http.post(url, json={"user": USER}) as r:  # the venue's default amount
            assert (await r.json())["usdc"] == "1"
        for body, reason in (({"user": USER, "usdc": "lots"}, "usdc must be a number"),
                             ({"user": USER, "usdc": True}, "usdc must be a number"),
                             ({"usdc": 5}, "user must be an address")):
            async with http.post(url, json=body) as r:
                assert r.status == 400
                assert reason in await r.text()
        async with http.post(url, data=b"{}") as r:
            assert r.status == 415
    assert venue.funded == [(USER, 250), (USER, None)]
