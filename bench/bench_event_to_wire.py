"""Event in → signed order bytes ready to send, through the whole pipeline.

For every synthetic market event that makes the engine place an order, measures the wall
time from `Engine.on_event(event)` being called to the signed WS `post` frame (bytes) for
that order existing: codec excluded (the event is already decoded), everything else
included — book, signals, regime, alpha, router, risk gate, order manager, journal append,
wire building, nonce, signature and JSON encoding. The signing port does in-line what the
live gateway's worker does after the hand-off, so the async queue hop is not counted.

Run: .venv/bin/python bench/bench_event_to_wire.py
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

from hyperliquid_ofi_trader.config import build_config
from hyperliquid_ofi_trader.core.clock import ReplayClock
from hyperliquid_ofi_trader.core.events import AccountSnapshot, AnyEvent, OrderAck, Timer
from hyperliquid_ofi_trader.core.journal import Journal
from hyperliquid_ofi_trader.core.market_data import CoinData
from hyperliquid_ofi_trader.data.codec import post_message
from hyperliquid_ofi_trader.execution.asset_meta import AssetRegistry
from hyperliquid_ofi_trader.execution.commands import CancelOrder, ModifyOrder, PlaceOrder
from hyperliquid_ofi_trader.execution.gateway_actions import build_place
from hyperliquid_ofi_trader.execution.keys import generate_throwaway_key
from hyperliquid_ofi_trader.execution.nonce import NonceCounter
from hyperliquid_ofi_trader.execution.signing import L1Signer, exchange_body
from hyperliquid_ofi_trader.feedback.trust_score import SignalTrust
from hyperliquid_ofi_trader.runtime.assembly import Execution, Strategy, build_engine
from hyperliquid_ofi_trader.runtime.execution_stack import build_execution
from hyperliquid_ofi_trader.sim.synthetic import SyntheticMarket

META = {"universe": [{"name": "BTC", "szDecimals": 5, "maxLeverage": 40},
                     {"name": "ETH", "szDecimals": 4, "maxLeverage": 25}]}


class SigningPort:
    """Builds, signs and encodes each place in-line; records when the bytes exist."""

    def __init__(self, clock: ReplayClock) -> None:
        self.assets = AssetRegistry.from_meta(META)
        self.signer = L1Signer(generate_throwaway_key(), mainnet=False)
        self.nonce = NonceCounter(clock)
        self.done_ns: list[int] = []
        self.frames = 0
        self._id = 0
        self.answers: list[AnyEvent] = []

    def place(self, orders: Sequence[PlaceOrder]) -> None:
        for job in build_place(orders, self.assets).jobs:
            nonce = self.nonce.next()
            body = exchange_body(job.action, nonce, self.signer.sign_action(job.action, nonce))
            self._id += 1
            frame = post_message(self._id, "action", body)
            self.frames += len(frame) > 0
        self.done_ns.append(time.perf_counter_ns())
        # Answer every order as the venue answers an IOC that found nothing, after the
        # event (as the live runner does), so the order path keeps flowing.
        for o in orders:
            self.answers.append(OrderAck(
                exchange_ns=0, local_ns=self.nonce.last * 1_000_000, cloid=o.cloid, oid=None,
                outcome="error", filled_size=0.0, avg_px=0.0,
                error="Order could not immediately match against any resting orders."))

    def cancel(self, cancels: Sequence[CancelOrder]) -> None: ...

    def modify(self, modifies: Sequence[ModifyOrder]) -> None: ...

    def query_order(self, coin: str, cloid: str | None, oid: int | None) -> None: ...

    def schedule_cancel(self, time_ms: int | None) -> None: ...

    def reconcile(self) -> None: ...


def main() -> None:
    # Nothing answers this port, so the round-trip kill switch would halt after 3 s and
    # orders would stay pending; widen both so ten simulated minutes keep deciding.
    cfg = build_config({"risk.yaml": {"kill_switch": {"max_order_rtt_ms": 3_600_000},
                                      "limits": {"max_orders_per_minute": 600}}})
    clock = ReplayClock()
    port = SigningPort(clock)
    trust = SignalTrust()
    latencies: list[int] = []
    with tempfile.TemporaryDirectory() as tmp, Journal(Path(tmp) / "j.sqlite") as journal:

        def execution(markets: Mapping[str, CoinData], strategy: Strategy) -> Execution:
            return build_execution(cfg, clock, markets, port, None, trust,
                                   strategy.signals.fresh).execution

        engine, _ = build_engine(cfg, clock, journal, execution=execution, trust=trust)
        market = SyntheticMarket(seed=11)
        first: list[AnyEvent] = [AccountSnapshot(
            exchange_ns=0, local_ns=market.now_ns, user="0x" + "1" * 40, open_orders=(),
            positions=(), recent_fills=(), account_value=1e5, withdrawable=1e5)]
        for ev in first:
            engine.on_event(ev)
        for _ in range(6000):  # ten simulated minutes
            for ev in [*market.next_block(),
                       Timer(exchange_ns=0, local_ns=market.now_ns, name="journal_flush")]:
                clock.advance_to(ev.local_ns)
                before = len(port.done_ns)
                t0 = time.perf_counter_ns()
                engine.on_event(ev)
                if len(port.done_ns) > before:
                    latencies.append(port.done_ns[before] - t0)
                while port.answers:
                    engine.on_event(port.answers.pop(0))
    arr = np.array(latencies, dtype=np.int64) / 1e3
    if not arr.size:
        print("no orders were placed: nothing to measure")
        return
    p50, p90, p99 = np.percentile(arr, [50, 90, 99])
    print(f"event in -> signed post frame: n={arr.size} p50 {p50:.0f} µs  p90 {p90:.0f} µs  "
          f"p99 {p99:.0f} µs  max {arr.max():.0f} µs  (target p99 <= 200 µs)")


if __name__ == "__main__":
    main()
