"""Per-event cost of the execution/risk path: route + gate + kill-switch check.

Input: every snapshot of the real BTC archive hour (../shared/data), applied to a real
`OrderBook` OUTSIDE the timed region. Per event we time, each call alone with
perf_counter_ns (figures include ~50-100 ns of timer and call overhead):
- `KillSwitch.check(snapshot)`   lag run, depth window (the engine calls it on every event)
- `ExecutionRouter.route(...)`   alpha/OFI cycling through IOC, post-only and skip cases
- `ExposureGate.check(...)`      on the router's intents (when there are any)
- all three together, as the engine runs them on a book event.
Also printed: how often the router took each branch, and the kill switch's fires on this
real hour (expected: none).

Run: .venv/bin/python bench/bench_router_risk.py [--rounds N]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import lz4.frame
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # runnable from a checkout that is not pip-installed

from shared_data import ARCHIVE_HOUR  # noqa: E402

from hyperliquid_ofi_trader.config.risk_schema import (  # noqa: E402
    KillSwitchThresholds,
    RiskLimits,
)
from hyperliquid_ofi_trader.core.events import BookSnapshot  # noqa: E402
from hyperliquid_ofi_trader.core.state import TradingState  # noqa: E402
from hyperliquid_ofi_trader.data.orderbook import OrderBook  # noqa: E402
from hyperliquid_ofi_trader.execution.router import ExecutionRouter, RouterSettings  # noqa: E402
from hyperliquid_ofi_trader.risk.exposure import ExposureGate  # noqa: E402
from hyperliquid_ofi_trader.risk.kill_switch import (  # noqa: E402
    KillSwitch,
    marks_from_books,
)
from hyperliquid_ofi_trader.risk.position import PositionBook  # noqa: E402
from hyperliquid_ofi_trader.venues.hyperliquid.common.instruments import Instrument  # noqa: E402
from hyperliquid_ofi_trader.venues.hyperliquid.websocket.codec import HyperliquidCodec  # noqa: E402

ARCHIVE = ARCHIVE_HOUR
MS = 1_000_000
S = 1_000_000_000
BTC = Instrument(name="BTC", asset=0, sz_decimals=5, max_leverage=40)


def load_snapshots() -> list[BookSnapshot]:
    if not ARCHIVE.exists():
        sys.exit(f"recorded data not available: {ARCHIVE} (see ../shared/data/README.md)")
    codec = HyperliquidCodec(frozenset({"BTC"}))
    out: list[BookSnapshot] = []
    with lz4.frame.open(ARCHIVE, "rb") as fh:
        for i, line in enumerate(fh):
            for ev in codec.decode(json.dumps(json.loads(line)["raw"]), i):
                if isinstance(ev, BookSnapshot):
                    out.append(ev)
    return out


def build(book: OrderBook) -> tuple[ExecutionRouter, ExposureGate, KillSwitch]:
    books = {"BTC": book}
    router = ExecutionRouter(RouterSettings(
        ofi_high=2.0, ofi_mid=0.5, min_abs_alpha=0.1, ioc_slippage_bps=5.0,
        ioc_depth_fraction=0.5, max_position_usd={"BTC": 5000.0}, max_order_usd=500.0,
        instruments={"BTC": BTC}), books)
    positions = PositionBook()
    positions.account_value = 10_000.0
    marks = marks_from_books(books)
    gate = ExposureGate(RiskLimits(
        max_position_usd={"BTC": 5000.0}, max_total_notional_usd=5000.0, max_leverage=3.0,
        max_order_usd=500.0, max_orders_per_minute=1200), positions, marks,
        {"BTC": BTC})  # as wired in the app: the venue rules (tick, lot, $10) checked too
    # The archive's capture time is not a receive time: lag is not meaningful here, so the
    # lag threshold is wide; depth, which is, uses the real settings' 80% / 60 s.
    kill = KillSwitch(KillSwitchThresholds(
        max_feed_lag_ms=3_600_000, feed_lag_sustain_events=5, max_order_rtt_ms=3000,
        depth_vanish_fraction=0.8, depth_avg_window_s=60.0, consecutive_slippage_fills=3,
        slippage_bps=10.0, stale_feed_s=10.0, daily_loss_usd=100.0, flatten_on_kill=False,
        depth_vanish_sustain_ms=1500.0), coins=("BTC",), pnl=positions, marks=marks)
    return router, gate, kill


def inputs(i: int) -> tuple[float, float]:
    alpha = ((i * 37) % 200 - 100) / 100.0
    ofi = ((i * 53) % 600 - 300) / 100.0
    return alpha, ofi


def pct(xs: list[int]) -> str:
    a = np.asarray(xs, dtype=np.float64) / 1000.0
    p50, p99 = np.percentile(a, [50, 99])
    return f"p50 {p50:6.2f} us  p99 {p99:6.2f} us  mean {a.mean():6.2f} us  (n={a.size})"


def run(snaps: list[BookSnapshot]) -> None:
    book = OrderBook("BTC")
    router, gate, kill = build(book)
    t_kill: list[int] = []
    t_route: list[int] = []
    t_gate: list[int] = []
    t_all: list[int] = []
    clock = time.perf_counter_ns
    for i, snap in enumerate(snaps):
        now = snap.exchange_ns
        t0 = clock()
        kill.check(snap, now)
        t1 = clock()
        book.apply_snapshot(snap)
        alpha, ofi = inputs(i)
        t2 = clock()
        intents = router.route("BTC", alpha, ofi, 0.0)
        t3 = clock()
        t_kill.append(t1 - t0)
        t_route.append(t3 - t2)
        total = (t1 - t0) + (t3 - t2)
        if intents:
            t4 = clock()
            gate.check(intents, TradingState.ACTIVE, now)
            t5 = clock()
            t_gate.append(t5 - t4)
            total += t5 - t4
        t_all.append(total)
    print(f"kill_switch.check : {pct(t_kill)}")
    print(f"router.route      : {pct(t_route)}")
    print(f"gate.check        : {pct(t_gate)}")
    print(f"all three         : {pct(t_all)}")
    print(f"router outcomes   : routed {router.routed}, skipped {router.skips}")
    print(f"gate rejections   : {gate.rejections}")
    print(f"kill switch fires : {kill.fires or 'none'} on {len(snaps)} real snapshots")


def throughput(snaps: list[BookSnapshot]) -> None:
    book = OrderBook("BTC")
    router, gate, _kill = build(book)
    for snap in snaps[:100]:
        book.apply_snapshot(snap)
    n = 200_000
    t0 = time.perf_counter()
    for i in range(n):
        alpha, ofi = inputs(i)
        intents = router.route("BTC", alpha, ofi, 0.0)
        if intents:
            gate.check(intents, TradingState.ACTIVE, i * MS)
    dt = time.perf_counter() - t0
    print(f"route+gate loop   : {n / dt:,.0f} decisions/s ({dt / n * 1e6:.2f} us each)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=1, help="repeat the timed pass")
    args = parser.parse_args()
    snaps = load_snapshots()
    for r in range(args.rounds):
        print(f"--- round {r + 1}")
        run(snaps)
    throughput(snaps)


if __name__ == "__main__":
    main()
