"""Per-order cost of the order manager: submit -> ack -> fill(s), with and without the
SQLite order store (WAL, synchronous=NORMAL, batched as in production).

Each cycle: `submit` one intent (cloid, record, one place call to a no-op port), an
`OrderAck` resting, two partial fills in one `UserFills` push (dedupe, order and position
update, one fill listener). Timed per cycle with `perf_counter_ns`; p99 shows the store's
commit spikes, the mean the amortised cost. Also: `on_timer` with 50 live orders and
`open_orders(coin)` (what the router calls per decision).

Run: .venv/bin/python bench/bench_order_manager.py [--n N]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # runnable from a checkout that is not pip-installed

from hyperliquid_ofi_trader.core.clock import ReplayClock  # noqa: E402
from hyperliquid_ofi_trader.core.commands import (  # noqa: E402
    CancelOrder,
    ModifyOrder,
    PlaceOrder,
)
from hyperliquid_ofi_trader.core.events import Fill, OrderAck, UserFills  # noqa: E402
from hyperliquid_ofi_trader.core.records import FillReport  # noqa: E402
from hyperliquid_ofi_trader.core.stages import OrderIntent, Tif  # noqa: E402
from hyperliquid_ofi_trader.execution.order_manager import OrderManager  # noqa: E402
from hyperliquid_ofi_trader.execution.order_store import OrderStore  # noqa: E402

T0 = 1_700_000_000_000_000_000


class NullPort:
    """A CommandPort that keeps the last cloid placed (the bench needs it for the ack)."""

    def __init__(self) -> None:
        self.last = ""

    def place(self, orders: Sequence[PlaceOrder]) -> None:
        self.last = orders[-1].cloid

    def cancel(self, cancels: Sequence[CancelOrder]) -> None:
        pass

    def modify(self, modifies: Sequence[ModifyOrder]) -> None:
        pass

    def query_order(self, coin: str, cloid: str | None, oid: int | None) -> None:
        pass

    def schedule_cancel(self, time_ms: int | None) -> None:
        pass

    def reconcile(self) -> None:
        pass


def pct(samples_ns: np.ndarray[Any, Any]) -> str:
    p50, p99 = np.percentile(samples_ns, [50, 99]) / 1e3
    return (f"p50 {p50:7.2f} µs  p99 {p99:7.2f} µs  mean {samples_ns.mean() / 1e3:7.2f} µs  "
            f"({1e9 / samples_ns.mean():,.0f} orders/s)")


def make_fill(oid: int, tid: int, size: float) -> Fill:
    return Fill(coin="ETH", price=2500.0, size=size, is_buy=True, exchange_ns=T0,
                start_position=0.0, direction="Open Long", closed_pnl=0.0, hash="0x0",
                oid=oid, crossed=False, fee=0.01, tid=tid, fee_token="USDC", cloid=None,
                liquidation=False)


def cycles(mgr: OrderManager, port: NullPort, clock: ReplayClock, n: int) -> np.ndarray[Any,
                                                                                          Any]:
    intent = OrderIntent(coin="ETH", is_buy=True, size=1.0, price=2500.0, tif=Tif.ALO)
    out = np.empty(n, dtype=np.int64)
    perf = time.perf_counter_ns
    for i in range(n):
        oid = 10_000 + i
        now = T0 + i * 1000
        clock.advance_to(now)
        ack = OrderAck(exchange_ns=0, local_ns=now, cloid="", oid=oid, outcome="resting",
                       filled_size=0.0, avg_px=0.0, error="")
        push = UserFills(exchange_ns=now, local_ns=now, user="0x", is_snapshot=False,
                         fills=(make_fill(oid, 2 * i, 0.4), make_fill(oid, 2 * i + 1, 0.6)))
        t0 = perf()
        mgr.submit(i, (intent,))
        mgr.on_gateway(OrderAck(exchange_ns=0, local_ns=now, cloid=port.last, oid=oid,
                                outcome=ack.outcome, filled_size=0.0, avg_px=0.0, error=""))
        mgr.on_private(push)
        out[i] = perf() - t0
    return out


def run(n: int, store: OrderStore | None, label: str) -> None:
    port, clock = NullPort(), ReplayClock(T0)
    mgr = OrderManager(port, clock, store)  # the packaged settings
    seen: list[FillReport] = []
    mgr.add_fill_listener(seen.append)
    cycles(mgr, port, clock, min(n, 2000))  # warm-up
    samples = cycles(mgr, port, clock, n)
    mgr.flush()
    print(f"  submit+ack+2 fills {label:<14} {pct(samples)}")


def bench_timer_and_views(n: int) -> None:
    port, clock = NullPort(), ReplayClock(T0)
    mgr = OrderManager(port, clock, None)
    intent = OrderIntent(coin="ETH", is_buy=True, size=1.0, price=2500.0, tif=Tif.ALO)
    for i in range(50):
        mgr.submit(i, (intent,))
        mgr.on_gateway(OrderAck(exchange_ns=0, local_ns=T0, cloid=port.last, oid=i + 1,
                                outcome="resting", filled_size=0.0, avg_px=0.0, error=""))
    for name, fn in (("on_timer (50 live)", lambda: mgr.on_timer(T0 + 1)),
                     ("open_orders(coin) (50)", lambda: mgr.open_orders("ETH")),
                     ("resting_size (50)", lambda: mgr.resting_size("ETH", True))):
        out = np.empty(n, dtype=np.int64)
        for i in range(n):
            t0 = time.perf_counter_ns()
            fn()
            out[i] = time.perf_counter_ns() - t0
        print(f"  {name:<33} {pct(out).split('  (')[0]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=20_000, help="order cycles per run")
    args = parser.parse_args()
    print(f"order manager, {args.n} cycles")
    run(args.n, None, "(no store)")
    with tempfile.TemporaryDirectory() as tmp:
        for batch in (64, 512):
            store = OrderStore(Path(tmp) / f"j{batch}.sqlite", batch_size=batch)
            run(args.n, store, f"(store b={batch})")
            store.close()
    bench_timer_and_views(min(args.n, 5000))


if __name__ == "__main__":
    main()
