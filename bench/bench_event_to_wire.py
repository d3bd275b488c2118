"""Event in → signed order bytes ready to send, through the whole live pipeline.

For every synthetic market event that makes the engine place an order, measures the wall
time from `Engine.on_event(event)` being called to the signed WebSocket `post` frame
(bytes, holding an in-flight slot) for that order existing. Everything between is the code
live trading runs: book, signals, regime, alpha, router with re-quotes, risk gate, order
manager, feedback probes, the real `HyperliquidGateway` (fast path: build, rate budget,
nonce, signature) and `PostChannel` (id, JSON frame). Only the codec (the event is already
decoded) and the socket are left out: the socket is a stub that answers every post as the
venue answers an IOC that found nothing, so the order path keeps flowing.

A second figure, "handed to the socket", is when the stub's `send` is called: it adds the
rest of the engine's work for that event (journal) and one event-loop step.

A third line measures this machine rather than our code: a fixed pure-Python loop sized to
take the pipeline's median, timed the same way. Identical work has no reason to vary, so its
p99/p50 ratio is the jitter the host adds (on a shared VM it can be ~2x by itself).

The order manager persists to a real `OrderStore` in the journal's file, as live runs do
(new order rows are committed before the send); `--no-store` leaves it out to show its cost.

Run: .venv/bin/python bench/bench_event_to_wire.py [--minutes 10] [--no-store]
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import aiohttp
import numpy as np
import orjson

from hyperliquid_ofi_trader.config import build_config
from hyperliquid_ofi_trader.config.packaged import packaged_config
from hyperliquid_ofi_trader.core.clock import ReplayClock
from hyperliquid_ofi_trader.core.events import AccountSnapshot, AnyEvent, PostResponse, Timer
from hyperliquid_ofi_trader.core.journal import Journal
from hyperliquid_ofi_trader.data.coin_data import CoinData
from hyperliquid_ofi_trader.execution.order_store import OrderStore
from hyperliquid_ofi_trader.feedback.trust_score import SignalTrust
from hyperliquid_ofi_trader.runtime.assembly import Execution, Strategy, build_engine
from hyperliquid_ofi_trader.runtime.execution_stack import build_execution
from hyperliquid_ofi_trader.sim.synthetic import SyntheticMarket
from hyperliquid_ofi_trader.venues.hyperliquid.asset_meta import AssetRegistry
from hyperliquid_ofi_trader.venues.hyperliquid.common.rate_limits import (
    RateLimiter,
)
from hyperliquid_ofi_trader.venues.hyperliquid.execution.gateway import HyperliquidGateway
from hyperliquid_ofi_trader.venues.hyperliquid.signing.keys import generate_throwaway_key
from hyperliquid_ofi_trader.venues.hyperliquid.signing.nonce import NonceCounter
from hyperliquid_ofi_trader.venues.hyperliquid.signing.signer import L1Signer
from hyperliquid_ofi_trader.venues.hyperliquid.websocket.post import PostChannel, PreparedPost

META = {"universe": [{"name": "BTC", "szDecimals": 5, "maxLeverage": 40},
                     {"name": "ETH", "szDecimals": 4, "maxLeverage": 25}]}
_NO_MATCH = "Order could not immediately match against any resting orders."
_PLACING = frozenset({"order", "batchModify"})

# risk.yaml `rate_limits` as packaged; varied with .replaced(...).
BUDGETS = packaged_config().risk.rate_limits


class TimedPostChannel(PostChannel):
    """Notes when each order-carrying frame exists (the figure this bench is about)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.prepared: list[tuple[int, int]] = []  # (perf_counter_ns, request id)

    def try_prepare(self, kind: str, payload: Mapping[str, Any]) -> PreparedPost | None:
        prepared = super().try_prepare(kind, payload)
        if prepared is not None and payload["action"]["type"] in _PLACING:
            self.prepared.append((time.perf_counter_ns(), prepared.request_id))
        return prepared


class AnsweringSocket:
    """The socket stub: records when a frame is handed over, answers it on the next step."""

    def __init__(self) -> None:
        self.sent_ns: dict[int, int] = {}
        self.gateway: HyperliquidGateway | None = None

    async def send(self, frame: bytes) -> None:
        now = time.perf_counter_ns()
        msg = orjson.loads(frame)
        self.sent_ns[msg["id"]] = now
        action = msg["request"]["payload"]["action"]
        asyncio.get_running_loop().call_soon(self._answer, msg["id"], action)

    def _answer(self, request_id: int, action: dict[str, Any]) -> None:
        assert self.gateway is not None
        self.gateway.on_ws_event(PostResponse(exchange_ns=0, local_ns=0,
                                              request_id=request_id, kind="action",
                                              payload=_venue_answer(action)))


def _venue_answer(action: dict[str, Any]) -> dict[str, Any]:
    kind = action["type"]
    if kind == "order":
        statuses: list[Any] = [{"error": _NO_MATCH} for _ in action["orders"]]
    elif kind == "batchModify":
        statuses = [{"error": _NO_MATCH} for _ in action["modifies"]]
    elif kind in ("cancel", "cancelByCloid"):
        statuses = ["success" for _ in action["cancels"]]
    else:
        return {"status": "ok", "response": {"type": "default"}}
    return {"status": "ok", "response": {"type": kind, "data": {"statuses": statuses}}}


async def run(minutes: float, use_store: bool = True) -> tuple[list[int], list[int], int]:
    # Nothing rests at this stub venue and answers come at once, but widen the round-trip
    # rule and the order rate anyway so ten simulated minutes keep deciding; the address
    # budget is widened because nothing ever fills here (fills are what grow it).
    cfg = build_config({"risk.yaml": {"kill_switch": {"max_order_rtt_ms": 3_600_000},
                                      "limits": {"max_orders_per_minute": 600}}})
    clock = ReplayClock()
    sock = AnsweringSocket()
    post = TimedPostChannel(sock.send, clock)
    pending: list[AnyEvent] = []
    trust = SignalTrust()
    to_frame: list[int] = []
    to_socket: list[int] = []
    key = generate_throwaway_key()
    async with aiohttp.ClientSession() as session:  # REST is never used: the post path is
        gateway = HyperliquidGateway(
            L1Signer(key, mainnet=False), key.address, NonceCounter(clock),
            AssetRegistry.from_meta(META), post, "http://127.0.0.1:9", session,
            pending.append, clock,
            RateLimiter(BUDGETS.replaced(address_initial_requests=1_000_000)))
        sock.gateway = gateway
        await gateway.start()
        with tempfile.TemporaryDirectory() as tmp, Journal(Path(tmp) / "j.sqlite") as journal:
            store = OrderStore(Path(tmp) / "j.sqlite") if use_store else None

            def execution(markets: Mapping[str, CoinData], strategy: Strategy) -> Execution:
                return build_execution(cfg, clock, markets, gateway, store, trust,
                                       strategy.signals.fresh).execution

            engine, _ = build_engine(cfg, clock, journal, execution=execution, trust=trust)
            market = SyntheticMarket(seed=11)
            engine.on_event(AccountSnapshot(
                exchange_ns=0, local_ns=market.now_ns, user=key.address, open_orders=(),
                positions=(), recent_fills=(), account_value=1e5, withdrawable=1e5))
            for _ in range(int(minutes * 600)):  # 100 ms blocks
                for ev in [*market.next_block(),
                           Timer(exchange_ns=0, local_ns=market.now_ns, name="journal_flush")]:
                    clock.advance_to(ev.local_ns)
                    before = len(post.prepared)
                    t0 = time.perf_counter_ns()
                    engine.on_event(ev)
                    await _settle(engine.on_event, pending)
                    if len(post.prepared) > before:
                        framed_ns, request_id = post.prepared[before]
                        to_frame.append(framed_ns - t0)
                        to_socket.append(sock.sent_ns[request_id] - t0)
            if store is not None:
                store.close()
        await gateway.stop()
    return to_frame, to_socket, gateway.stats.fast_path


async def _settle(on_event: Any, pending: list[AnyEvent]) -> None:
    # Let the send tasks run and the stub's answers come back, then give them to the engine
    # as the live runner does (after the event, never inside it).
    for _ in range(8):
        await asyncio.sleep(0)
        while pending:
            on_event(pending.pop(0))


def _line(label: str, samples: list[int], target: str) -> str:
    arr = np.array(samples, dtype=np.int64) / 1e3
    p50, p90, p99 = np.percentile(arr, [50, 90, 99])
    return (f"{label}: n={arr.size} p50 {p50:.0f} µs  p90 {p90:.0f} µs  p99 {p99:.0f} µs  "
            f"max {arr.max():.0f} µs{target}")


def _busy(n: int) -> int:
    x = 0
    for i in range(n):
        x += i * i
    return x


def _fixed_work_ns(n: int, samples: int) -> list[int]:
    out = []
    for _ in range(samples):
        t0 = time.perf_counter_ns()
        _busy(n)
        out.append(time.perf_counter_ns() - t0)
    return out


def _jitter_reference(target_ns: float, samples: int = 3000) -> list[int]:
    """Timings of identical work whose median is about `target_ns`."""
    n = 1000
    per_iter = float(np.median(_fixed_work_ns(n, 200))) / n
    return _fixed_work_ns(max(1, round(target_ns / per_iter)), samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10.0,
                        help="simulated minutes of market (600 blocks each)")
    parser.add_argument("--no-store", action="store_true",
                        help="no order store (the live runner always has one)")
    args = parser.parse_args()
    to_frame, to_socket, fast = asyncio.run(run(args.minutes, use_store=not args.no_store))
    if not to_frame:
        print("no orders were placed: nothing to measure")
        return
    print(_line("event in -> signed post frame", to_frame, "  (target p99 <= 200 µs)"))
    print(_line("event in -> handed to the socket", to_socket, ""))
    print(f"actions signed on the gateway's fast path: {fast}")
    reference = _jitter_reference(float(np.median(to_frame)))
    print(_line("this host, identical fixed work of that median", reference,
                "  (host jitter, not our code)"))


if __name__ == "__main__":
    main()
