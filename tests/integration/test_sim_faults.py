"""Each injected fault, switched on through the real `POST /_control` endpoint, observed by
a real WebSocket / HTTP client on loopback. Plus: same seed, same fault sequence."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from hyperliquid_ofi_trader.core.clock import LiveClock, ReplayClock
from hyperliquid_ofi_trader.sim.faults import (
    AckFate,
    FaultError,
    FaultInjector,
    FrameFate,
    parse_fault_flag,
)
from hyperliquid_ofi_trader.sim.server import EmulatorServer, ServerSettings
from tests.integration.sim_server_support import ScriptedSource, ScriptedVenue, WsProbe

pytestmark = pytest.mark.timeout(15)
L2 = {"type": "l2Book", "coin": "BTC"}
ACTION = {"action": {"type": "order", "orders": []}, "nonce": 1, "signature": {}}


@pytest.fixture
async def server() -> AsyncIterator[EmulatorServer]:
    srv = EmulatorServer(ScriptedVenue(), ScriptedSource(400, 0.01), ServerSettings(),
                         LiveClock())
    await srv.start()
    yield srv
    await srv.stop()


@pytest.fixture
async def probe(server: EmulatorServer) -> AsyncIterator[WsProbe]:
    p = await WsProbe.connect(server.ws_url)
    yield p
    await p.close()


async def control(server: EmulatorServer, command: dict[str, Any]) -> tuple[int, Any]:
    async with aiohttp.ClientSession() as http, http.post(
            server.base_url + "/_control", json=command) as r:
        return r.status, await (r.json() if r.status == 200 else r.text())


def post(request_id: int, kind: str = "action") -> dict[str, Any]:
    payload: Any = ACTION if kind == "action" else {"type": "meta"}
    return {"method": "post", "id": request_id, "request": {"type": kind, "payload": payload}}


async def test_drop_connections_cuts_sockets(server: EmulatorServer, probe: WsProbe) -> None:
    status, body = await control(server, {"fault": "drop_connections"})
    assert status == 200
    assert body["dropped"] == 1
    await asyncio.wait_for(probe.closed.wait(), 5)
    assert server.connection_count == 0


async def test_silence_stops_data_but_not_pongs(server: EmulatorServer,
                                                probe: WsProbe) -> None:
    await probe.send({"method": "subscribe", "subscription": L2})
    await probe.wait_for("l2Book", 2)
    await control(server, {"fault": "silence", "seconds": 0.4})
    await asyncio.sleep(0.02)  # frames already queued drain
    before = len(probe.channel("l2Book"))
    await probe.send({"method": "ping"})
    await probe.wait_for("pong")
    assert len(probe.channel("l2Book")) == before  # pongs flow, data does not
    await probe.wait_for("l2Book", before + 2)  # and data comes back after the window


async def test_delayed_ack_arrives_after_later_pong(server: EmulatorServer,
                                                    probe: WsProbe) -> None:
    await control(server, {"fault": "delay_acks", "delay_s": 0.3, "count": 1})
    await probe.send(post(1))
    await probe.send({"method": "ping"})
    await probe.wait_for("post")
    channels = [f["channel"] for f in probe.frames if f["channel"] in ("pong", "post")]
    assert channels == ["pong", "post"]
    assert server.stats.acks_delayed == 1


async def test_dropped_post_ack_still_executes(server: EmulatorServer, probe: WsProbe) -> None:
    await control(server, {"fault": "drop_acks", "count": 1})
    await probe.send(post(1))
    await probe.send(post(2))
    answers = await probe.wait_for("post")
    assert [a["data"]["id"] for a in answers] == [2]
    venue = server.venue
    assert isinstance(venue, ScriptedVenue)
    assert len(venue.exchange_bodies) == 2  # the first action took effect; its answer is lost


async def test_dropped_http_ack_cuts_the_connection(server: EmulatorServer) -> None:
    await control(server, {"fault": "drop_acks", "count": 1})
    async with aiohttp.ClientSession() as http:
        with pytest.raises(aiohttp.ClientError):
            async with http.post(server.base_url + "/exchange", json=ACTION) as r:
                await r.read()
        async with http.post(server.base_url + "/exchange", json=ACTION) as r:
            assert r.status == 200
    venue = server.venue
    assert isinstance(venue, ScriptedVenue)
    assert len(venue.exchange_bodies) == 2


async def test_rate_limit_address_and_ip(server: EmulatorServer, probe: WsProbe) -> None:
    await control(server, {"fault": "rate_limit", "count": 1})
    await probe.send(post(1))
    answer = (await probe.wait_for("post"))[0]["data"]["response"]
    assert answer["type"] == "action"
    assert answer["payload"]["status"] == "err"
    assert answer["payload"]["response"].startswith("Too many cumulative requests sent")
    await control(server, {"fault": "rate_limit", "count": 1, "kind": "ip"})
    async with aiohttp.ClientSession() as http, http.post(
            server.base_url + "/exchange", json=ACTION) as r:
        assert r.status == 429
    venue = server.venue
    assert isinstance(venue, ScriptedVenue)
    assert venue.exchange_bodies == []  # refused actions never reach the venue


async def test_duplicate_frames(server: EmulatorServer, probe: WsProbe) -> None:
    await probe.send({"method": "subscribe", "subscription": L2})
    await probe.wait_for("l2Book", 1)
    await control(server, {"fault": "duplicate_frames", "count": 1})
    books = await probe.wait_for("l2Book", 4)
    times = [b["data"]["time"] for b in books[1:]]
    assert any(a == b for a, b in itertools.pairwise(times))


async def test_reorder_frames(server: EmulatorServer, probe: WsProbe) -> None:
    await probe.send({"method": "subscribe", "subscription": L2})
    await probe.wait_for("l2Book", 1)
    await control(server, {"fault": "reorder_frames", "count": 1})
    books = await probe.wait_for("l2Book", 5)
    times = [b["data"]["time"] for b in books[1:]]
    assert times != sorted(times)
    assert len(set(times)) == len(times)  # reordered, nothing lost or doubled


async def test_vanishing_book(server: EmulatorServer, probe: WsProbe) -> None:
    await control(server, {"fault": "vanish_book", "seconds": 5, "levels": 1})
    await probe.send({"method": "subscribe", "subscription": L2})
    books = await probe.wait_for("l2Book", 3)
    assert all(len(b["data"]["levels"][0]) == 1 for b in books)
    assert all(len(b["data"]["levels"][1]) == 1 for b in books)


async def test_refuse_connections(server: EmulatorServer) -> None:
    await control(server, {"fault": "refuse_connections", "seconds": 5})
    with pytest.raises(aiohttp.WSServerHandshakeError) as exc:
        await WsProbe.connect(server.ws_url)
    assert exc.value.status == 503
    _status, body = await control(server, {"fault": "clear"})
    assert body["armed"] == {}
    p = await WsProbe.connect(server.ws_url)
    await p.close()


async def test_bad_control_commands_are_400(server: EmulatorServer) -> None:
    for command in ({"fault": "explode"}, {"fault": "silence"},
                    {"fault": "drop_acks", "probability": 2}, {"fault": "delay_acks"},
                    {"fault": "silence", "seconds": 1, "extra": 1}):
        status, text = await control(server, command)
        assert status == 400, command
        assert text


def _fates(seed: int) -> list[tuple[AckFate, FrameFate]]:
    injector = FaultInjector(seed, ReplayClock(0))
    injector.apply({"fault": "drop_acks", "probability": 0.3})
    injector.apply({"fault": "delay_acks", "probability": 0.3, "delay_s": 0.1})
    injector.apply({"fault": "duplicate_frames", "probability": 0.5})
    return [(injector.ack_fate(0), injector.frame_fate(0)) for _ in range(200)]


def test_same_seed_same_faults() -> None:
    assert _fates(7) == _fates(7)
    assert _fates(7) != _fates(8)
    kinds = {a for a, _ in _fates(7)}
    assert kinds == {AckFate.DROP, AckFate.DELAY, AckFate.DELIVER}


def test_count_and_window_expire() -> None:
    clock = ReplayClock(0)
    injector = FaultInjector(1, clock)
    injector.apply({"fault": "rate_limit", "count": 2})
    assert [injector.rate_limited(0) for _ in range(3)] == [True, True, False]
    injector.apply({"fault": "silence", "seconds": 1})
    assert injector.silent(clock.now_ns())
    clock.advance_to(1_000_000_000)
    assert not injector.silent(clock.now_ns())


def test_parse_fault_flag() -> None:
    assert parse_fault_flag("drop_acks:probability=0.1,count=5") == {
        "fault": "drop_acks", "probability": 0.1, "count": 5}
    assert parse_fault_flag("rate_limit:kind=ip") == {"fault": "rate_limit", "kind": "ip"}
    with pytest.raises(FaultError):
        parse_fault_flag("drop_acks:probability")
