"""End-to-end reaction latency against the emulator, over real loopback sockets.

From the moment the emulator publishes a market event (its pump hands the event to the
publisher, which encodes and sends the frames) to the moment our order caused by that
event arrives back at the emulator's `/exchange` handler (WS post): WebSocket out, codec,
engine (book, signals, regime, alpha, router, risk, order manager, journal), gateway queue,
nonce, signature, WS post in. Each order is matched to its trigger through the journal
(order → decision → trigger coin and exchange time).

The emulator runs in the same process and event loop as the trader (as `hlofi run` does),
so its own work competes with ours: figures are an upper bound for a co-located client.

Run: .venv/bin/python bench/bench_emulator_e2e.py [SECONDS]
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from hyperliquid_ofi_trader.cli.sim_exchange import SimExchangeOptions, build_server
from hyperliquid_ofi_trader.config import build_config
from hyperliquid_ofi_trader.core.clock import LiveClock
from hyperliquid_ofi_trader.core.events import MarketEvent
from hyperliquid_ofi_trader.runtime.live import LiveRunner, RunOptions, VenueEndpoints
from hyperliquid_ofi_trader.venues.hyperliquid.signing.keys import generate_throwaway_key

FAST = {"thresholds.yaml": {"regime": {"volatility": {"halflife_ms": 2000},
                                       "liquidity": {"min_dwell_ms": 1000}}}}


async def _run(seconds: float, run_dir: Path) -> tuple[dict[tuple[str, int], int],
                                                       dict[str, int]]:
    key = generate_throwaway_key()
    server, _ = build_server(SimExchangeOptions(seed=2, funded_accounts=(key.address,)),
                             LiveClock())
    published: dict[tuple[str, int], int] = {}
    arrived: dict[str, int] = {}
    publisher: Any = server.publisher
    venue: Any = server.venue
    on_market, handle_exchange = publisher.on_market, venue.handle_exchange

    def timed_on_market(event: MarketEvent) -> None:
        published.setdefault((event.coin, event.exchange_ns), time.perf_counter_ns())
        on_market(event)

    def timed_exchange(body: dict[str, Any], now_ns: int, *args: Any) -> Any:
        now = time.perf_counter_ns()
        for order in body.get("action", {}).get("orders", ()):
            if "c" in order:
                arrived.setdefault(order["c"], now)
        return handle_exchange(body, now_ns, *args)

    publisher.on_market = timed_on_market
    venue.handle_exchange = timed_exchange
    await server.start("127.0.0.1", 0)
    runner = LiveRunner(build_config(FAST),
                        VenueEndpoints(rest_url=server.base_url, ws_url=server.ws_url,
                                       mainnet=False, name="emulator"),
                        key, key.address, RunOptions(run_dir=run_dir, duration_s=seconds))
    try:
        await runner.run()
    finally:
        await server.stop()
    return published, arrived


def main() -> None:
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 40.0
    with tempfile.TemporaryDirectory() as tmp:
        run_dir = Path(tmp) / "run"
        published, arrived = asyncio.run(_run(seconds, run_dir))
        conn = sqlite3.connect(run_dir / "journal.sqlite")
        rows = conn.execute("SELECT o.cloid, d.exchange_ns, d.inputs FROM orders o "
                            "JOIN decisions d ON d.id = o.decision_id").fetchall()
        conn.close()
    latencies = []
    for cloid, exchange_ns, inputs in rows:
        coin = json.loads(inputs).get("source_coin")
        sent = published.get((coin, exchange_ns))
        if sent is not None and cloid in arrived:
            latencies.append(arrived[cloid] - sent)
    if not latencies:
        print(f"no order could be matched to its trigger ({len(rows)} orders)")
        return
    arr = np.array(latencies, dtype=np.int64) / 1e3
    p50, p90, p99 = np.percentile(arr, [50, 90, 99])
    print(f"market event published -> our order at the emulator: n={arr.size} of {len(rows)} "
          f"orders, p50 {p50:.0f} µs, p90 {p90:.0f} µs, p99 {p99:.0f} µs, "
          f"max {arr.max():.0f} µs")


if __name__ == "__main__":
    main()
