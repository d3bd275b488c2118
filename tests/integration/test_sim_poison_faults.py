"""The emulator's poison faults (`poison_time`, `poison_tid`), armed through the real
`POST /_control` endpoint and observed by a raw WebSocket client on loopback."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from hyperliquid_ofi_trader.core.clock import LiveClock
from hyperliquid_ofi_trader.sim.faults import (
    POISON_TID,
    POISON_TIME_MS,
    FaultError,
    FaultInjector,
    parse_fault_flag,
)
from hyperliquid_ofi_trader.sim.server import EmulatorServer, ServerSettings
from tests.integration.sim_server_support import USER, ScriptedSource, ScriptedVenue, WsProbe

pytestmark = pytest.mark.timeout(15)
L2 = {"type": "l2Book", "coin": "BTC"}
FILLS = {"type": "userFills", "user": USER}


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


async def _control(server: EmulatorServer, command: dict[str, Any]) -> dict[str, Any]:
    async with aiohttp.ClientSession() as http, http.post(
            server.base_url + "/_control", json=command) as r:
        assert r.status == 200, await r.text()
        answer: dict[str, Any] = await r.json()
        return answer


async def test_poison_time_stamps_market_frames_far_in_the_future(
        server: EmulatorServer, probe: WsProbe) -> None:
    await probe.send({"method": "subscribe", "subscription": L2})
    await probe.wait_for("l2Book", 1)
    status = await _control(server, {"fault": "poison_time", "count": 2})
    assert "poison_time" in status["armed"]
    books = await probe.wait_for("l2Book", 6)
    times = [b["data"]["time"] for b in books[1:]]
    assert times.count(POISON_TIME_MS) == 2  # exactly `count` frames, then healthy again
    assert times[-1] != POISON_TIME_MS
    assert all(len(b["data"]["levels"]) == 2 for b in books)  # the rest of the frame intact


async def test_poison_tid_pushes_an_unstorable_fill_to_fill_subscribers(
        server: EmulatorServer, probe: WsProbe) -> None:
    await probe.send({"method": "subscribe", "subscription": FILLS})
    await probe.send({"method": "subscribe", "subscription": L2})
    await probe.wait_for("l2Book", 1)
    await _control(server, {"fault": "poison_tid", "count": 1})
    await probe.wait_for("l2Book", 4)
    pushes = [f for f in probe.channel("userFills") if not f["data"].get("isSnapshot")]
    assert len(pushes) == 1
    fill = pushes[0]["data"]["fills"][0]
    assert pushes[0]["data"]["user"] == USER
    assert fill["tid"] == POISON_TID
    assert fill["coin"] == "BTC"
    assert f'"tid":{POISON_TID}' in "".join(probe.texts)  # a bare JSON integer


def test_poison_faults_parse_from_flags_and_refuse_bad_parameters() -> None:
    injector = FaultInjector(1, LiveClock())
    injector.apply(parse_fault_flag("poison_time:count=1"))
    assert injector.poison_armed()
    now = LiveClock().now_ns()
    assert injector.poisons_time(now)
    assert not injector.poisons_time(now)  # count spent
    assert not injector.poisons_tid(now)
    with pytest.raises(FaultError, match="unknown parameter"):
        injector.apply({"fault": "poison_tid", "tid": 5})
    injector.clear()
    assert not injector.poison_armed()
