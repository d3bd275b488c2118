"""Cost of the WebSocket pump: watchdog bookkeeping, per-frame dispatch, loopback latency.

1. `FeedWatchdog.on_message`: the per-event staleness bookkeeping (ns/op).
2. `HyperliquidWsClient._on_frame` with a decode that returns a prebuilt event: the pump's
   own overhead per frame (on_raw + decode call + channel key + watchdog + on_event).
3. Real loopback socket, production codec: a local server sends one realistic `bbo` frame,
   waits until the client's `on_event` has it, then sends the next. Reported: one-way
   latency from the server's `send` call to `on_event` (p50/p99), which includes the
   server's and client's websockets framing, the asyncio loop and `HyperliquidCodec`.
4. The same with the server blasting frames back to back: end-to-end frames/s.

Run: .venv/bin/python bench/bench_ws_client.py [--frames N]
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import orjson
from websockets.asyncio.server import ServerConnection, serve

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # runnable from a checkout that is not pip-installed

from hyperliquid_ofi_trader.config.packaged import packaged_config  # noqa: E402
from hyperliquid_ofi_trader.core.events import AnyEvent, Bbo  # noqa: E402
from hyperliquid_ofi_trader.venues.hyperliquid.websocket.client import (  # noqa: E402
    HyperliquidWsClient,
    WsClientConfig,
)
from hyperliquid_ofi_trader.venues.hyperliquid.websocket.codec import HyperliquidCodec  # noqa: E402
from hyperliquid_ofi_trader.venues.hyperliquid.websocket.watchdog import FeedWatchdog  # noqa: E402

T_MS = 1_737_918_843_000
BATCH = 1000


def bbo_frame(i: int) -> str:
    return orjson.dumps({"channel": "bbo", "data": {
        "coin": "BTC", "time": T_MS + i,
        "bbo": [{"px": "104250.0", "sz": "1.2345", "n": 7},
                {"px": "104251.0", "sz": "0.5", "n": 2}]}}).decode()


def report(name: str, per_op_ns: np.ndarray[Any, np.dtype[np.float64]]) -> None:
    p50, p99 = np.percentile(per_op_ns, [50, 99])
    print(f"{name:<44} p50 {p50:9.0f} ns   p99 {p99:9.0f} ns   "
          f"{1e9 / per_op_ns.mean():12,.0f} ops/s")


def batches(fn: Any, n: int) -> np.ndarray[Any, np.dtype[np.float64]]:
    """Per-op ns of `fn(i)`, timed in batches of BATCH calls (timer overhead amortised)."""
    out = []
    for start in range(0, n, BATCH):
        t0 = time.perf_counter_ns()
        for i in range(start, start + BATCH):
            fn(i)
        out.append((time.perf_counter_ns() - t0) / BATCH)
    return np.array(out)


def bench_watchdog(n: int) -> None:
    wd = FeedWatchdog({"bbo": 1_000_000_000, "l2Book": 5_000_000_000}, 3.0)
    keys = ["bbo:BTC", "bbo:ETH", "l2Book:BTC", "l2Book:ETH"]
    report("watchdog.on_message", batches(lambda i: wd.on_message(keys[i & 3], i), n))
    for k in keys:
        wd.on_message(k, 0)
    report("watchdog.check (4 channels)", batches(lambda i: wd.check(i), n // 10))


def bench_dispatch(n: int) -> None:
    event = Bbo(exchange_ns=T_MS * 1_000_000, local_ns=0, coin="BTC",
                bid=(104250.0, 1.2, 7), ask=(104251.0, 0.5, 2))
    prebuilt = [event]
    sink: list[AnyEvent] = []
    client = HyperliquidWsClient("ws://127.0.0.1:9/ws", [{"type": "bbo", "coin": "BTC"}],
                                 lambda raw, ns: prebuilt, sink.append,
                                 on_raw=lambda raw, ns: None)
    frame = bbo_frame(0)

    def one(i: int) -> None:
        client._on_frame(frame, i)
        if len(sink) > 10_000:
            sink.clear()

    report("client._on_frame (prebuilt event)", batches(one, n))


async def bench_loopback(n: int) -> None:
    frames = [bbo_frame(i) for i in range(n)]
    got = asyncio.Event()
    sent_ns: list[int] = []
    recv_ns: list[int] = []
    subscribed = asyncio.Event()
    blast = asyncio.Event()

    async def handler(conn: ServerConnection) -> None:
        async for msg in conn:
            if b"subscribe" in (msg if isinstance(msg, bytes) else msg.encode()):
                await conn.send(orjson.dumps({"channel": "subscriptionResponse", "data": {
                    "method": "subscribe", "subscription": orjson.loads(msg)[
                        "subscription"]}}).decode())
                subscribed.set()

    def on_event(ev: AnyEvent) -> None:
        if isinstance(ev, Bbo):
            recv_ns.append(time.perf_counter_ns())
            got.set()

    codec = HyperliquidCodec()
    async with serve(handler, "127.0.0.1", 0, compression=None) as server:
        port = server.sockets[0].getsockname()[1]
        client = HyperliquidWsClient(f"ws://127.0.0.1:{port}/ws",
                                     [{"type": "bbo", "coin": "BTC"}], codec.decode,
                                     on_event, config=dataclasses.replace(
                                         WsClientConfig.from_config(packaged_config()),
                                         tick_s=0.05))
        task = asyncio.create_task(client.run())
        await asyncio.wait_for(subscribed.wait(), 5)
        conn = next(iter(server.connections))
        for frame in frames:
            got.clear()
            sent_ns.append(time.perf_counter_ns())
            await conn.send(frame)
            await got.wait()
        lat = np.array(recv_ns, dtype=np.float64) - np.array(sent_ns, dtype=np.float64)
        report("loopback send -> on_event (one in flight)", lat)

        recv_ns.clear()
        t0 = time.perf_counter_ns()
        blast.set()
        for frame in frames:
            await conn.send(frame)
        while len(recv_ns) < n:
            await asyncio.sleep(0.001)
        dt = time.perf_counter_ns() - t0
        print(f"{'loopback blast, production codec':<44} {n / dt * 1e9:12,.0f} frames/s "
              f"({dt / n:,.0f} ns/frame)")
        client.stop()
        await task


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=20_000)
    args = parser.parse_args()
    n = max(BATCH, args.frames // BATCH * BATCH)
    bench_watchdog(n * 5)
    bench_dispatch(n * 5)
    asyncio.run(bench_loopback(n))


if __name__ == "__main__":
    main()
