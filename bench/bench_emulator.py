"""Emulator throughput: orders acknowledged over WebSocket `post` on loopback.

The server (SimVenue + EmulatorServer, a static 20-level BTC book, venue rate limits lifted)
runs in its own process; the client posts signed post-only orders (our
L1Signer, W1) and cancels them, over one WebSocket, and measures:
- signing cost per action;
- ack latency with one request in flight (send -> post answer), p50/p99;
- throughput with a window of requests in flight (orders + cancels acknowledged / s).

Run: .venv/bin/python bench/bench_emulator.py [--orders N] [--window W]
Figures include the cost of the Python (aiohttp) WebSocket client.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import time
from multiprocessing.connection import Connection
from typing import Any

import aiohttp
import numpy as np
import orjson

from hyperliquid_ofi_trader.core.clock import LiveClock
from hyperliquid_ofi_trader.core.events import BookSnapshot
from hyperliquid_ofi_trader.sim.server import EmulatorServer, ServerSettings
from hyperliquid_ofi_trader.sim.settings import SimSettings
from hyperliquid_ofi_trader.sim.venue import SimVenue
from hyperliquid_ofi_trader.sim.ws_session import WsLimits
from hyperliquid_ofi_trader.venues.hyperliquid.execution.action_wire import (
    cancel_action,
    order_action,
    order_wire,
)
from hyperliquid_ofi_trader.venues.hyperliquid.signing.keys import generate_throwaway_key
from hyperliquid_ofi_trader.venues.hyperliquid.signing.nonce import NonceCounter
from hyperliquid_ofi_trader.venues.hyperliquid.signing.signer import L1Signer, exchange_body


class ServerProcess:
    """The emulator in its own process: client and server must not share one GIL (two
    busy event loops in one process would pass the GIL back and forth every 5 ms)."""

    def __init__(self) -> None:
        ctx = multiprocessing.get_context("spawn")
        self._parent, child = ctx.Pipe()
        self._proc = ctx.Process(target=_serve_forever, args=(child,), daemon=True)

    def start(self) -> str:
        self._proc.start()
        if not self._parent.poll(30):
            raise RuntimeError("emulator process did not start")
        return str(self._parent.recv())

    def stop(self) -> None:
        self._parent.send("stop")
        self._proc.join(10)


def _serve_forever(conn: Connection) -> None:
    asyncio.run(_serve(conn))


async def _serve(conn: Connection) -> None:
    clock = LiveClock()
    # the client's throwaway key is made in the other process: let any signer trade
    settings = SimSettings(ip_weight_per_minute=10**9, address_initial_requests=10**9,
                           auto_create_accounts=True)
    venue = SimVenue(settings, clock)
    now = clock.now_ns()
    venue.on_market(BookSnapshot(
        exchange_ns=now, local_ns=now, coin="BTC",
        bids=tuple((100_000.0 - i, 1.0, 3) for i in range(20)),
        asks=tuple((100_001.0 + i, 1.0, 3) for i in range(20))))
    limits = WsLimits(messages_per_minute=10**9, max_inflight_posts=10**6)
    server = EmulatorServer(venue, None, ServerSettings(limits=limits), clock)
    await server.start()
    conn.send(server.ws_url)
    await asyncio.to_thread(conn.recv)  # until the parent says stop
    await server.stop()


class Poster:
    """Signs and posts actions; resolves one future per request id."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse, signer: L1Signer) -> None:
        self.ws = ws
        self.signer = signer
        self.nonces = NonceCounter(LiveClock())
        self.next_id = 0
        self.pending: dict[int, asyncio.Future[Any]] = {}
        self.sign_ns: list[int] = []

    async def read(self) -> None:
        async for msg in self.ws:
            if msg.type is not aiohttp.WSMsgType.TEXT or not msg.data.startswith("{"):
                continue
            frame = orjson.loads(msg.data)
            if frame.get("channel") == "post":
                fut = self.pending.pop(frame["data"]["id"], None)
                if fut is not None:
                    fut.set_result(frame["data"]["response"])

    async def post(self, action: dict[str, Any]) -> asyncio.Future[Any]:
        t0 = time.perf_counter_ns()
        nonce = self.nonces.next()
        body = exchange_body(action, nonce, self.signer.sign_action(action, nonce))
        self.sign_ns.append(time.perf_counter_ns() - t0)
        self.next_id += 1
        fut: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self.pending[self.next_id] = fut
        await self.ws.send_str(orjson.dumps({"method": "post", "id": self.next_id, "request": {
            "type": "action", "payload": body}}).decode())
        return fut


def _order(i: int) -> dict[str, Any]:
    px = 99_000.0 - (i % 500)  # post-only bids well below the touch: they rest
    return order_action([order_wire(0, True, px, 0.001, False, "Alo", None)])


def _oid(answer: Any) -> int:
    return int(answer["payload"]["response"]["data"]["statuses"][0]["resting"]["oid"])


async def sequential(poster: Poster, n: int) -> list[int]:
    latencies: list[int] = []
    for i in range(n):
        t0 = time.perf_counter_ns()
        answer = await (await poster.post(_order(i)))
        latencies.append(time.perf_counter_ns() - t0)
        await (await poster.post(cancel_action([(0, _oid(answer))])))
    return latencies


async def pipelined(poster: Poster, n: int, window: int) -> tuple[int, float]:
    sem = asyncio.Semaphore(window)
    acked = 0

    async def one(i: int) -> None:
        nonlocal acked
        async with sem:
            answer = await (await poster.post(_order(i)))
        async with sem:
            await (await poster.post(cancel_action([(0, _oid(answer))])))
        acked += 2

    t0 = time.perf_counter()
    await asyncio.gather(*(one(i) for i in range(n)))
    return acked, time.perf_counter() - t0


def _pct(values: list[int], q: float) -> float:
    return float(np.percentile(np.asarray(values, dtype=np.float64), q)) / 1e3


async def main(orders: int, window: int) -> None:
    server = ServerProcess()
    url = server.start()
    signer = L1Signer(generate_throwaway_key(), mainnet=False)
    try:
        async with aiohttp.ClientSession() as http, http.ws_connect(url) as ws:
            poster = Poster(ws, signer)
            reader = asyncio.create_task(poster.read())
            await sequential(poster, 50)  # warm-up
            poster.sign_ns.clear()
            lat = await sequential(poster, orders)
            print(f"signing (L1Signer): p50 {_pct(poster.sign_ns, 50):.1f} us, "
                  f"p99 {_pct(poster.sign_ns, 99):.1f} us per action")
            print(f"ack latency, 1 in flight ({orders} orders): p50 {_pct(lat, 50):.0f} us, "
                  f"p99 {_pct(lat, 99):.0f} us, max {max(lat) / 1e3:.0f} us")
            acked, seconds = await pipelined(poster, orders, window)
            print(f"throughput, {window} in flight: {acked / seconds:,.0f} actions acked/s "
                  f"({acked} orders+cancels in {seconds:.2f} s)")
            reader.cancel()
    finally:
        server.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--orders", type=int, default=2000)
    parser.add_argument("--window", type=int, default=50)
    args = parser.parse_args()
    asyncio.run(main(args.orders, args.window))
