"""Backtest throughput, single core, full pipeline: frames -> codec -> venue + engine
(signals, regime, alpha, router, risk, order manager) -> simulated gateway (real signing,
signature recovery at the venue) -> acks and pushes back through the codec.

Inputs:
- the real BTC archive hour (../shared/data) with the OFI-only config `configs/btc-ofi`;
- a synthetic BTC->ETH hour recorded into a temp dir (sim/synthetic.py, default config).
For each: frames/s, engine events/s, x real time, per-frame cost p50/p99 (the whole
`BacktestDriver.feed`, i.e. everything the frame caused, incl. queue work), and the same
data through plain `runtime.replay` (no venue, no orders) for the venue/gateway overhead.
Then what signing costs: sign + venue-side recovery per action, times the run's actions.

Run: .venv/bin/python bench/bench_backtest.py [--minutes N] [--skip-archive]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # runnable from a checkout that is not pip-installed

from shared_data import ARCHIVE_HOUR  # noqa: E402

from hyperliquid_ofi_trader.backtest.runner import (  # noqa: E402
    BacktestDriver,
    BacktestResult,
    account_key,
    record_synthetic,
    run_backtest,
)
from hyperliquid_ofi_trader.config import load_config  # noqa: E402
from hyperliquid_ofi_trader.config.models import AppConfig  # noqa: E402
from hyperliquid_ofi_trader.core.stages import Tif  # noqa: E402
from hyperliquid_ofi_trader.runtime.replay import replay  # noqa: E402
from hyperliquid_ofi_trader.venues.hyperliquid.execution.action_wire import order_action, order_wire  # noqa: E402
from hyperliquid_ofi_trader.venues.hyperliquid.signing.signer import L1Signer, recover_action_signer  # noqa: E402

ARCHIVE = ARCHIVE_HOUR


def timed_feed(samples: list[int]) -> Callable[[], None]:
    """Wrap `BacktestDriver.feed` to time every frame; returns the undo."""
    original = BacktestDriver.feed
    clock = time.perf_counter_ns

    def feed(self: BacktestDriver, local_ns: int, raw: bytes | str) -> None:
        t0 = clock()
        original(self, local_ns, raw)
        samples.append(clock() - t0)

    BacktestDriver.feed = feed  # type: ignore[method-assign]

    def undo() -> None:
        BacktestDriver.feed = original  # type: ignore[method-assign]
    return undo


def bench_one(name: str, cfg: AppConfig, data: Path, work: Path) -> BacktestResult:
    samples: list[int] = []
    undo = timed_feed(samples)
    try:
        result = run_backtest(cfg, data, work / f"{name}-bt", seed=1,
                              stopwatch=time.perf_counter)
    finally:
        undo()
    t0 = time.perf_counter()
    plain = replay(cfg, data, work / f"{name}-replay.sqlite", stopwatch=time.perf_counter)
    wall_plain = time.perf_counter() - t0
    span = (result.last_local_ns - result.first_local_ns) / 1e9
    us = np.asarray(samples, dtype=np.float64) / 1e3
    p50, p99 = np.percentile(us, [50, 99])
    print(f"--- {name}: {result.frames:,} frames, {span / 60:,.1f} min of recording")
    print(f"backtest   : {result.wall_s:7.2f} s wall  {result.frames / result.wall_s:10,.0f} "
          f"frames/s  {result.events_per_s:10,.0f} engine events/s  "
          f"x{span / result.wall_s:,.0f} real time")
    print(f"per frame  : p50 {p50:7.1f} us  p99 {p99:7.1f} us  max {us.max():9.1f} us "
          f"(everything the frame caused)")
    print(f"replay only: {plain.wall_s:7.2f} s wall  {plain.frames_per_s:10,.0f} frames/s "
          f"(no venue, no orders; {wall_plain:.2f} s incl. setup)")
    g = result.gateway
    orders = result.execution["orders"]["outcomes"]
    print(f"activity   : {g['sent']:,} actions signed+verified, {g['queries']} queries, "
          f"{g['pushes']:,} pushes; queue entries {result.queue_entries:,}; orders {orders}")
    return result


def signing_cost(actions: int) -> None:
    signer = L1Signer(account_key(), mainnet=False)
    action = order_action([order_wire(0, True, 42000.0, 0.001, False, Tif.ALO,
                                      "0x" + "ab" * 16)])
    n = 300
    sign_ns: list[int] = []
    rec_ns: list[int] = []
    for i in range(n):
        t0 = time.perf_counter_ns()
        sig = signer.sign_action(action, 1_700_000_000_000 + i)
        t1 = time.perf_counter_ns()
        recover_action_signer(action, 1_700_000_000_000 + i, dict(sig), mainnet=False)
        t2 = time.perf_counter_ns()
        sign_ns.append(t1 - t0)
        rec_ns.append(t2 - t1)
    s50, s99 = np.percentile(np.asarray(sign_ns) / 1e3, [50, 99])
    r50, r99 = np.percentile(np.asarray(rec_ns) / 1e3, [50, 99])
    per_action_s = (np.median(sign_ns) + np.median(rec_ns)) / 1e9
    print(f"--- signing: sign p50 {s50:.1f} us p99 {s99:.1f} us; venue recovery p50 "
          f"{r50:.1f} us p99 {r99:.1f} us")
    print(f"    the synthetic run's {actions:,} actions spend ~{actions * per_action_s:.2f} s "
          "in signing + verification")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=60.0,
                        help="length of the synthetic recording")
    parser.add_argument("--skip-archive", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        if not args.skip_archive:
            if ARCHIVE.exists():
                bench_one("archive hour, configs/btc-ofi",
                          load_config(ROOT / "configs" / "btc-ofi"), ARCHIVE, work)
            else:
                print(f"recorded data not available: {ARCHIVE} (see ../shared/data/README.md)")
        t0 = time.perf_counter()
        frames = record_synthetic(work / "synthetic", args.minutes * 60, seed=1)
        print(f"(recorded {frames:,} synthetic frames in {time.perf_counter() - t0:.1f} s)")
        result = bench_one(f"synthetic {args.minutes:g} min, default config", load_config(),
                           work / "synthetic", work)
        signing_cost(int(result.gateway["sent"]))


if __name__ == "__main__":
    main()
