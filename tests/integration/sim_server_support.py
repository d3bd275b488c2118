"""Shared pieces of the emulator-server tests: a scripted venue, a scripted market source,
and a small WebSocket client that collects frames by channel.

The scripted venue (`ScriptedVenue`) implements the server's `VenuePort` with canned
answers, so the protocol tests (subscriptions, limits, posts, faults) exercise the server
alone; the SDK tests use the real `SimVenue`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

import aiohttp
import orjson

from hyperliquid_ofi_trader.core.events import AssetCtx, Bbo, BookSnapshot, Trades

MarketEvent = BookSnapshot | Bbo | Trades | AssetCtx
USER = "0x" + "ab" * 20
T0_NS = 1_760_000_000_000_000_000


def level(px: float, sz: float, n: int = 1) -> dict[str, Any]:
    return {"px": repr(px).removesuffix(".0"), "sz": repr(sz), "n": n}


class ScriptedVenue:
    """A venue with a fixed 25-level BTC book whose best bid moves with each BookSnapshot."""

    def __init__(self) -> None:
        self.best_bid = 100_000.0
        self.pushes: list[tuple[str, str, Any]] = []
        self.exchange_bodies: list[dict[str, Any]] = []
        self.next_oid = 1
        self.funded: list[tuple[str, float | None]] = []

    def handle_exchange(self, body: dict[str, Any], now_ns: int,
                        ip: str = "") -> tuple[int, Any]:
        self.exchange_bodies.append(body)
        action = body.get("action")
        if not isinstance(action, dict) or "type" not in action:
            return 422, "Failed to deserialize the JSON body into the target type"
        oid, self.next_oid = self.next_oid, self.next_oid + 1
        self.pushes.append(("orderUpdates", USER, [{"order": {"coin": "BTC", "oid": oid},
                                                    "status": "open",
                                                    "statusTimestamp": now_ns // 10**6}]))
        return 200, {"status": "ok", "response": {"type": "order", "data": {
            "statuses": [{"resting": {"oid": oid}}]}}}

    def handle_info(self, body: dict[str, Any], now_ns: int,
                    ip: str = "") -> tuple[int, Any]:
        kind = body.get("type")
        if kind == "userFills":
            return 200, [{"coin": "BTC", "tid": 7, "oid": 1}]
        if kind == "meta":
            return 200, self.meta()
        return 422, "Failed to deserialize the JSON body into the target type"

    def on_market(self, event: MarketEvent) -> None:
        if isinstance(event, BookSnapshot) and event.bids:
            self.best_bid = event.bids[0][0]

    def book_levels(self, coin: str, n: int) -> tuple[list[dict[str, Any]],
                                                      list[dict[str, Any]]]:
        bids = [level(self.best_bid - i, 1.0 + i) for i in range(25)]
        asks = [level(self.best_bid + 1 + i, 1.0 + i) for i in range(25)]
        return bids[:n], asks[:n]

    def bbo(self, coin: str) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
        bids, asks = self.book_levels(coin, 1)
        return bids[0], asks[0]

    def take_pushes(self) -> list[tuple[str, str, Any]]:
        out, self.pushes = self.pushes, []
        return out

    def meta(self) -> dict[str, Any]:
        return {"universe": [{"name": "BTC", "szDecimals": 5, "maxLeverage": 40}]}

    def fund(self, address: str, usdc: float | None = None) -> float:
        self.funded.append((address, usdc))
        return 1.0 if usdc is None else usdc


def book(best_bid: float, i: int) -> BookSnapshot:
    ns = T0_NS + i * 10**8
    return BookSnapshot(exchange_ns=ns, local_ns=ns, coin="BTC",
                        bids=((best_bid, 1.0, 1),), asks=((best_bid + 1, 1.0, 1),))


class ScriptedSource:
    """`n` BookSnapshots `interval_s` apart, the best bid rising by 1 each time."""

    def __init__(self, n: int, interval_s: float) -> None:
        self.batches = [(int(i * interval_s * 1e9), [book(100_000.0 + i, i)])
                        for i in range(n)]

    def next_batch(self) -> tuple[int, Sequence[MarketEvent]] | None:
        return self.batches.pop(0) if self.batches else None


class WsProbe:
    """A raw WebSocket client: sends JSON, collects every frame it receives."""

    def __init__(self, session: aiohttp.ClientSession, ws: aiohttp.ClientWebSocketResponse):
        self.session = session
        self.ws = ws
        self.texts: list[str] = []
        self.frames: list[dict[str, Any]] = []
        self._arrived = asyncio.Event()
        self.closed = asyncio.Event()
        self._reader = asyncio.create_task(self._read())

    @classmethod
    async def connect(cls, url: str) -> WsProbe:
        session = aiohttp.ClientSession()
        try:
            ws = await session.ws_connect(url, autoping=True)
        except BaseException:
            await session.close()
            raise
        return cls(session, ws)

    async def _read(self) -> None:
        async for msg in self.ws:
            if msg.type is aiohttp.WSMsgType.TEXT:
                self.texts.append(msg.data)
                if msg.data.startswith("{"):
                    self.frames.append(orjson.loads(msg.data))
                self._arrived.set()
        self.closed.set()

    async def send(self, obj: Any) -> None:
        await self.ws.send_str(orjson.dumps(obj).decode())

    def channel(self, name: str) -> list[dict[str, Any]]:
        return [f for f in self.frames if f.get("channel") == name]

    async def wait_for(self, name: str, count: int = 1, timeout: float = 5.0) -> list[
            dict[str, Any]]:
        async def until() -> None:
            while len(self.channel(name)) < count:
                self._arrived.clear()
                await self._arrived.wait()
        await asyncio.wait_for(until(), timeout)
        return self.channel(name)

    async def close(self) -> None:
        await self.ws.close()
        await self._reader
        await self.session.close()
