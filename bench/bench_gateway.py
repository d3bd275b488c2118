"""Cost of the Hyperliquid gateway: command → signed bytes, and round trips to the emulator.

1. Command → bytes ready to send: `build_place` (tick/lot checks, wire dict) + nonce +
   `L1Signer.sign_action` + `exchange_body` + the WS `post` frame encoding, per order
   (p50/p99 µs), for one-order and ten-order batches.
2. Answer → events: `response_events` on a ten-status `order` answer (p50/p99 µs).
3. Round trip over loopback to the real emulator (SimVenue behind EmulatorServer): the
   gateway's own figure from `place()` to the venue's answer, one order at a time, over WS
   post and over REST (p50/p99 µs), then a burst of N orders (orders acked per second).
   IOC orders that cannot match are used so the venue's book never fills up: each is a
   full signed order round trip answered with the venue's per-order error.

Run: .venv/bin/python bench/bench_gateway.py [--orders N]
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import sys
import time
from pathlib import Path
from typing import Any

import aiohttp
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # runnable from a checkout that is not pip-installed

from hyperliquid_ofi_trader.config.packaged import packaged_config  # noqa: E402
from hyperliquid_ofi_trader.core.clock import LiveClock  # noqa: E402
from hyperliquid_ofi_trader.core.commands import PlaceOrder  # noqa: E402
from hyperliquid_ofi_trader.core.events import (  # noqa: E402
    AnyEvent,
    BookSnapshot,
    FeedState,
    FeedStatus,
    OrderAck,
)
from hyperliquid_ofi_trader.core.stages import Tif  # noqa: E402
from hyperliquid_ofi_trader.sim.server import EmulatorServer, ServerSettings  # noqa: E402
from hyperliquid_ofi_trader.sim.settings import SimSettings  # noqa: E402
from hyperliquid_ofi_trader.sim.venue import SimVenue  # noqa: E402
from hyperliquid_ofi_trader.venues.hyperliquid.asset_meta import AssetRegistry  # noqa: E402
from hyperliquid_ofi_trader.venues.hyperliquid.common.rate_limits import (  # noqa: E402
    RateLimiter,
)
from hyperliquid_ofi_trader.venues.hyperliquid.execution import gateway_actions as ga  # noqa: E402
from hyperliquid_ofi_trader.venues.hyperliquid.execution.action_wire import make_cloid  # noqa: E402
from hyperliquid_ofi_trader.venues.hyperliquid.execution.gateway import (  # noqa: E402
    HyperliquidGateway,
)
from hyperliquid_ofi_trader.venues.hyperliquid.signing.keys import generate_throwaway_key  # noqa: E402
from hyperliquid_ofi_trader.venues.hyperliquid.signing.nonce import NonceCounter  # noqa: E402
from hyperliquid_ofi_trader.venues.hyperliquid.signing.signer import L1Signer, exchange_body  # noqa: E402
from hyperliquid_ofi_trader.venues.hyperliquid.websocket.client import (  # noqa: E402
    HyperliquidWsClient,
    WsClientConfig,
)
from hyperliquid_ofi_trader.venues.hyperliquid.websocket.codec import HyperliquidCodec, post_message  # noqa: E402
from hyperliquid_ofi_trader.venues.hyperliquid.websocket.post import PostChannel  # noqa: E402

ASSETS = AssetRegistry.from_meta({"universe": [
    {"name": "BTC", "szDecimals": 5, "maxLeverage": 40},
    {"name": "ETH", "szDecimals": 4, "maxLeverage": 25}]})

# risk.yaml `rate_limits` as packaged; varied with .replaced(...).
BUDGETS = packaged_config().risk.rate_limits


def report(name: str, ns: list[int] | np.ndarray[Any, Any], per: int = 1) -> None:
    arr = np.asarray(ns, dtype=np.float64) / per / 1e3
    p50, p99 = np.percentile(arr, [50, 99])
    print(f"{name:<52} p50 {p50:9.1f} µs   p99 {p99:9.1f} µs   (n={arr.size})")


def order(n: int, px: float = 90_000.0, tif: Tif = Tif.IOC) -> PlaceOrder:
    return PlaceOrder(cloid=make_cloid(n), coin="BTC", is_buy=True, price=px, size=0.001,
                      tif=tif, reduce_only=False, decision_id=n)


def bench_signing(rounds: int) -> None:
    signer = L1Signer(generate_throwaway_key(), mainnet=False)
    nonces = NonceCounter(LiveClock())
    for batch in (1, 10):
        samples: list[int] = []
        for r in range(rounds):
            orders = [order(r * batch + i, 90_000.0 + i) for i in range(batch)]
            t0 = time.perf_counter_ns()
            job = ga.build_place(orders, ASSETS).jobs[0]
            nonce = nonces.next()
            body = exchange_body(job.action, nonce, signer.sign_action(job.action, nonce))
            post_message(r, "action", body)
            samples.append(time.perf_counter_ns() - t0)
        report(f"command -> signed post frame, batch {batch:>2} (per order)", samples, batch)


def bench_answers(rounds: int) -> None:
    job = ga.build_place([order(i, 90_000.0 + i) for i in range(10)], ASSETS).jobs[0]
    answer = {"status": "ok", "response": {"type": "order", "data": {"statuses": [
        {"resting": {"oid": 1000 + i}} for i in range(10)]}}}
    samples = []
    for _ in range(rounds):
        t0 = time.perf_counter_ns()
        ga.response_events(job, answer, 0)
        samples.append(time.perf_counter_ns() - t0)
    report("answer (10 statuses) -> OrderAck events (per order)", samples, 10)


class Waiter:
    def __init__(self) -> None:
        self.acks = 0
        self.event = asyncio.Event()

    def __call__(self, event: AnyEvent) -> None:
        if isinstance(event, OrderAck):
            self.acks += 1
            self.event.set()

    async def until(self, n: int) -> None:
        while self.acks < n:
            self.event.clear()
            await self.event.wait()


async def bench_round_trips(n_orders: int) -> None:
    clock = LiveClock()
    key = generate_throwaway_key()
    venue = SimVenue(SimSettings(ip_weight_per_minute=10**9,
                                 address_initial_requests=10**9), clock)
    venue.fund(key.address)
    server = EmulatorServer(venue, None, ServerSettings(), clock)
    await server.start()
    now = clock.now_ns()
    venue.on_market(BookSnapshot(exchange_ns=now, local_ns=now, coin="BTC",
                                 bids=((100_000.0, 1.0, 1),), asks=((100_001.0, 1.0, 1),)))
    up = asyncio.Event()
    waiter = Waiter()
    box: list[HyperliquidGateway] = []

    def on_event(event: AnyEvent) -> None:
        if isinstance(event, FeedState) and event.channel == "" and event.status is \
                FeedStatus.UP:
            up.set()
        if box:
            box[0].on_ws_event(event)

    client = HyperliquidWsClient(server.ws_url, [{"type": "orderUpdates",
                                                  "user": key.address}],
                                 HyperliquidCodec().decode, on_event,
                                 config=dataclasses.replace(
                                     WsClientConfig.from_config(packaged_config()),
                                     max_messages=10**6, control_reserve=100))
    runner = asyncio.create_task(client.run())
    await asyncio.wait_for(up.wait(), 10)
    limits = BUDGETS.replaced(ip_weight_per_minute=10**9,
                               address_initial_requests=10**9)
    nonces = NonceCounter(clock)  # ONE counter per signer, shared by both gateways
    try:
        async with aiohttp.ClientSession() as session:
            for path, post in (("WS post", PostChannel(client.send, clock)), ("REST", None)):
                gw = HyperliquidGateway(L1Signer(key, mainnet=False), key.address,
                                        nonces, ASSETS, post, server.base_url,
                                        session, waiter, clock, RateLimiter(limits))
                box[:] = [gw]
                await gw.start()
                await _sequential(gw, waiter, n_orders, path)
                await _burst(gw, waiter, n_orders, path)
                await gw.stop()
    finally:
        client.stop()
        await asyncio.wait_for(runner, 5)
        await server.stop()


async def _sequential(gw: HyperliquidGateway, waiter: Waiter, n: int, path: str) -> None:
    samples: list[int] = []
    base = waiter.acks
    for i in range(n):
        t0 = time.perf_counter_ns()
        gw.place([order(10**6 + i)])
        await waiter.until(base + i + 1)
        samples.append(time.perf_counter_ns() - t0)
    report(f"place() -> OrderAck over {path}, one at a time", samples)
    lat = gw.ack_latency_us()
    print(f"{'  gateway send -> answer (its own counter)':<52} p50 {lat['p50']:9.1f} µs   "
          f"p99 {lat['p99']:9.1f} µs")


async def _burst(gw: HyperliquidGateway, waiter: Waiter, n: int, path: str) -> None:
    base = waiter.acks
    t0 = time.perf_counter_ns()
    for i in range(n):
        gw.place([order(2 * 10**6 + i)])
    await waiter.until(base + n)
    seconds = (time.perf_counter_ns() - t0) / 1e9
    print(f"{'burst of ' + str(n) + ' single-order actions over ' + path:<52} "
          f"{n / seconds:9.0f} orders/s acked")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=500, help="orders per loopback run")
    parser.add_argument("--rounds", type=int, default=3000, help="signing rounds")
    args = parser.parse_args()
    bench_signing(args.rounds)
    bench_answers(args.rounds)
    asyncio.run(bench_round_trips(args.orders))


if __name__ == "__main__":
    main()
