"""What publishing the operator status costs the live event loop.

A live run against the built-in emulator (synthetic market, a few seconds of trading),
then, between events on the run's own loop, the three parts of one status publish timed
separately: building the snapshot from the runner (engine, orders, positions, the
journal's latest rows), encoding it to JSON, and the atomic file write (temp file +
rename). The first two run on the event loop once a second; the write runs in a worker
thread (runtime/status.py), so only build + encode delay market events.

Run: .venv/bin/python bench/bench_status.py [--samples N]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # runnable from a checkout that is not pip-installed

from hyperliquid_ofi_trader.cli.sim_exchange import (  # noqa: E402
    SimExchangeOptions,
    build_server,
)
from hyperliquid_ofi_trader.config import build_config  # noqa: E402
from hyperliquid_ofi_trader.core.clock import LiveClock  # noqa: E402
from hyperliquid_ofi_trader.runtime.live import (  # noqa: E402
    LiveRunner,
    RunOptions,
    VenueEndpoints,
)
from hyperliquid_ofi_trader.runtime.status import build_status, encode_status  # noqa: E402
from hyperliquid_ofi_trader.utils.atomic_file import atomic_write  # noqa: E402
from hyperliquid_ofi_trader.venues.hyperliquid.signing.keys import generate_throwaway_key  # noqa: E402

FAST = {"thresholds.yaml": {"regime": {"volatility": {"halflife_ms": 2000},
                                       "liquidity": {"min_dwell_ms": 1000}}}}


def _time_us(fn: Callable[[], object], samples: int) -> np.ndarray:
    out = np.empty(samples)
    for i in range(samples):
        t0 = time.perf_counter_ns()
        fn()
        out[i] = (time.perf_counter_ns() - t0) / 1e3
    return out


def _line(name: str, us: np.ndarray) -> str:
    p50, p99 = np.percentile(us, [50, 99])
    return f"  {name:<28} p50 {p50:8.1f} µs   p99 {p99:8.1f} µs   max {us.max():8.1f} µs"


async def _measure(tmp: Path, samples: int) -> None:
    key = generate_throwaway_key()
    server, _ = build_server(SimExchangeOptions(seed=2, funded_accounts=(key.address,)),
                             LiveClock())
    await server.start("127.0.0.1", 0)
    runner = LiveRunner(build_config(FAST), VenueEndpoints(
        rest_url=server.base_url, ws_url=server.ws_url, mainnet=False, name="emulator"),
        key, key.address, RunOptions(run_dir=tmp / "run", duration_s=16.0,
                                     state_dir=tmp / "state"))
    task = asyncio.create_task(runner.run())
    try:
        await asyncio.sleep(12.0)
        tail = runner.status.tail
        status = build_status(runner, tail)
        data = encode_status(status)
        build = _time_us(lambda: build_status(runner, tail), samples)
        journal = _time_us(lambda: (tail.recent_decisions(), tail.last_state_reason()),
                           samples)
        encode = _time_us(lambda: encode_status(status), samples)
        write = _time_us(lambda: atomic_write(tmp / "bench.json", data, durable=False,
                                              mode=0o644), samples)
        stack = runner.stack
        orders = len(stack.orders.open_orders()) if stack is not None else 0
        print(f"status snapshot: {len(data):,} bytes, {len(status.last_decisions)} "
              f"decisions, {orders} open orders, {samples} samples")
        print(_line("build (on the loop)", build))
        print(_line("  of which the journal's tail", journal))
        print(_line("encode (on the loop)", encode))
        print(_line("atomic write (worker thread)", write))
        await task
    finally:
        await server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--samples", type=int, default=300)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        asyncio.run(_measure(Path(tmp), args.samples))


if __name__ == "__main__":
    main()
