"""What durability before the send costs: `OrderManager.submit` with and without a store.

With a store, a new order's row is made durable before the order goes to the port (the
store's ahead log: one `os.write`, execution/order_ahead_log.py), so a SIGKILL at any
moment leaves every order the venue saw with a row citing its decision. This prints the
time of one `submit` of one intent (snap to the grid, cloid, record, write-ahead, port call
to a stub), alternating blocks with and without the store so load on a shared host skews
both alike; plus a bare one-row SQLite commit for scale (what committing the row before
the send instead would cost at least). The p99 with a store includes the store's own batch
commit every 64 rows (the live flush timer usually commits before that).

Run: .venv/bin/python bench/bench_write_ahead.py [--orders 3000] [--dir /tmp]
"""

from __future__ import annotations

import argparse
import sqlite3
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from hyperliquid_ofi_trader.core.clock import ReplayClock
from hyperliquid_ofi_trader.core.journal import Journal
from hyperliquid_ofi_trader.core.stages import OrderIntent, Tif
from hyperliquid_ofi_trader.execution.order_manager import OrderManager
from hyperliquid_ofi_trader.execution.order_store import OrderStore

_BLOCK = 100


class _NullPort:
    """A CommandPort that accepts everything and does nothing."""

    def place(self, orders: Sequence[Any]) -> None: ...
    def cancel(self, cancels: Sequence[Any]) -> None: ...
    def modify(self, modifies: Sequence[Any]) -> None: ...
    def query_order(self, coin: str, cloid: str | None, oid: int | None) -> None: ...
    def schedule_cancel(self, time_ms: int | None) -> None: ...
    def reconcile(self) -> None: ...


def _manager(store: OrderStore | None) -> tuple[OrderManager, ReplayClock]:
    clock = ReplayClock(1_796_000_000_000_000_000)
    # The packaged settings: ETH on its symbols.yaml grid (szDecimals 4).
    return OrderManager(_NullPort(), clock, store), clock


def _submit_block(mgr: OrderManager, clock: ReplayClock, first_id: int) -> list[int]:
    intent = OrderIntent(coin="ETH", is_buy=True, size=0.01, price=2500.0, tif=Tif.ALO,
                         reduce_only=False, tag="bench")
    out = []
    for i in range(_BLOCK):
        clock.advance_to(clock.now_ns() + 1_000_000)
        t0 = time.perf_counter_ns()
        mgr.submit(first_id + i, [intent])
        out.append(time.perf_counter_ns() - t0)
    return out


def _bare_commits(path: Path, n: int) -> list[int]:
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("CREATE TABLE t (k INTEGER PRIMARY KEY, v TEXT)")
    out = []
    for i in range(n):
        t0 = time.perf_counter_ns()
        conn.execute("BEGIN")
        conn.execute("INSERT INTO t VALUES (?, ?)", (i, "x" * 64))
        conn.execute("COMMIT")
        out.append(time.perf_counter_ns() - t0)
    conn.close()
    return out


def _line(label: str, samples: list[int]) -> str:
    arr = np.array(samples, dtype=np.int64) / 1e3
    p50, p90, p99 = np.percentile(arr, [50, 90, 99])
    return f"{label}: n={arr.size} p50 {p50:.1f} µs  p90 {p90:.1f} µs  p99 {p99:.1f} µs"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=3000, help="submits per variant")
    parser.add_argument("--dir", type=Path, default=None, help="folder for the database")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(dir=args.dir) as tmp:
        path = Path(tmp) / "journal.sqlite"
        journal, store = Journal(path), OrderStore(path)
        durable, durable_clock = _manager(store)
        bare, bare_clock = _manager(None)
        with_store: list[int] = []
        without: list[int] = []
        for block in range(max(1, args.orders // _BLOCK)):
            with_store += _submit_block(durable, durable_clock, block * _BLOCK + 1)
            without += _submit_block(bare, bare_clock, block * _BLOCK + 1)
            durable.flush()  # the flush timer's work, outside the timed submits
        store.close()
        journal.close()
        commits = _bare_commits(Path(tmp) / "bare.sqlite", args.orders)
    print(_line("submit, order row durable before the send", with_store))
    print(_line("submit, no store", without))
    print(_line("bare one-row WAL commit, for scale", commits))


if __name__ == "__main__":
    main()
