"""Per-event cost of the regime update and the alpha computation.

Input: every snapshot of the real BTC archive hour (../shared/data), applied to a real
`OrderBook` OUTSIDE the timed region (the book has its own bench). Per event we time:
- `RegimeDetector.on_book(book)`   liquidity + volatility + liquidation clock
- `RegimeDetector.state(coin)`     the combined verdict (allocates one RegimeState)
- `AlphaCombiner.compute(...)`     four signals, a trust provider, compression, conditioning
- the three together, as the engine runs them on a book event
plus `AlphaCombiner.explain()` (journal path) and `on_trades` (one-trade batches, synthetic
trades at the book's mid). Each call is timed alone with perf_counter_ns (so figures include
~50-100 ns of timer and call overhead); throughput comes from an untimed tight loop.

Run: .venv/bin/python bench/bench_regime_alpha.py [--rounds N]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

import lz4.frame
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # runnable from a checkout that is not pip-installed

from shared_data import ARCHIVE_HOUR  # noqa: E402

from hyperliquid_ofi_trader.alpha import AlphaCombiner  # noqa: E402
from hyperliquid_ofi_trader.config.models import (  # noqa: E402
    LiquidationRegimeThresholds,
    LiquidityRegimeThresholds,
    RegimeThresholds,
    VolatilityRegimeThresholds,
)
from hyperliquid_ofi_trader.core.events import BookSnapshot, Trade, Trades  # noqa: E402
from hyperliquid_ofi_trader.data.orderbook import OrderBook  # noqa: E402
from hyperliquid_ofi_trader.regime import RegimeDetector  # noqa: E402
from hyperliquid_ofi_trader.venues.hyperliquid.websocket.codec import HyperliquidCodec  # noqa: E402

ARCHIVE = ARCHIVE_HOUR
S = 1_000_000_000
WEIGHTS = {"ofi": 0.5, "leadlag": 0.3, "aggressive_volume": 0.1, "microprice": 0.1}


class HalfTrust:
    def weight(self, name: str) -> float:
        return 0.5


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


def detector() -> RegimeDetector:
    regime = RegimeThresholds(
        liquidity=LiquidityRegimeThresholds(enter_depth=26.0, exit_depth=22.0,
                                            enter_spread_bps=1.0, exit_spread_bps=2.0,
                                            min_dwell_ms=5000, depth_levels=5),
        volatility=VolatilityRegimeThresholds(halflife_ms=30_000, high_vol_bps_per_s=5.0,
                                              extreme_vol_bps_per_s=20.0),
        liquidation=LiquidationRegimeThresholds(burst_window_ms=2000, burst_notional_usd=2e6,
                                                one_sided_ratio=0.8, jump_bps=20.0,
                                                oi_drop_pct=2.0, cooldown_ms=30_000,
                                                catchup_sigma=1.0, catchup_window_ms=4000),
    )
    return RegimeDetector(regime, None)  # every coin of the archive gets a liquidity switch


def signals_for(i: int) -> dict[str, float]:
    return {"ofi": (i % 7 - 3) * 0.4, "leadlag": float(i % 3 - 1),
            "aggressive_volume": (i % 11 - 5) / 5.0, "microprice": (i % 5 - 2) * 0.3}


def timed(fn: Callable[[], object]) -> int:
    t0 = time.perf_counter_ns()
    fn()
    return time.perf_counter_ns() - t0


def run_round(snaps: list[BookSnapshot], samples: dict[str, list[int]]) -> None:
    det = detector()
    comb = AlphaCombiner(WEIGHTS, compression_scale=1.0, high_vol_damping=0.5, trust=HalfTrust())
    book = OrderBook("BTC")
    sigs = [signals_for(i) for i in range(len(snaps))]
    for i, snap in enumerate(snaps):
        book.apply_snapshot(snap)
        samples["on_book"].append(timed(partial(det.on_book, book)))
        samples["state"].append(timed(partial(det.state, "BTC")))
        state = det.state("BTC")
        sig = sigs[i]
        samples["compute"].append(timed(partial(comb.compute, sig, state)))
        samples["explain"].append(timed(comb.explain))
        t0 = time.perf_counter_ns()
        det.on_book(book)
        comb.compute(sig, det.state("BTC"))
        samples["regime+alpha"].append(time.perf_counter_ns() - t0)
        trades = Trades(exchange_ns=snap.exchange_ns, local_ns=0, coin="BTC", trades=(
            Trade(coin="BTC", price=snap.bids[0][0], size=0.1, is_buy=i % 2 == 0,
                  exchange_ns=snap.exchange_ns, tid=i, hash="0x"),))
        samples["on_trades"].append(timed(partial(det.on_trades, trades)))


def throughput(snaps: list[BookSnapshot]) -> float:
    det = detector()
    comb = AlphaCombiner(WEIGHTS, trust=HalfTrust())
    book = OrderBook("BTC")
    sig = signals_for(1)
    for snap in snaps:  # the book is applied once, outside the loop, on purpose
        book.apply_snapshot(snap)
    n = 200_000
    t0 = time.perf_counter_ns()
    for _ in range(n):
        det.on_book(book)
        comb.compute(sig, det.state("BTC"))
    return n / ((time.perf_counter_ns() - t0) / 1e9)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3, help="passes over the archive hour")
    args = parser.parse_args()
    snaps = load_snapshots()
    keys = ("on_book", "state", "compute", "regime+alpha", "explain", "on_trades")
    samples: dict[str, list[int]] = {k: [] for k in keys}
    for _ in range(args.rounds):
        run_round(snaps, samples)
    print(f"{len(snaps)} real BTC snapshots x {args.rounds} rounds")
    print(f"{'operation':<14}{'p50 us':>10}{'p99 us':>10}{'mean us':>10}")
    for k in keys:
        arr = np.asarray(samples[k], dtype=np.float64) / 1e3
        p50, p99 = np.percentile(arr, [50, 99])
        print(f"{k:<14}{p50:>10.2f}{p99:>10.2f}{arr.mean():>10.2f}")
    print(f"throughput (on_book + state + compute, tight loop): {throughput(snaps):,.0f} events/s")


if __name__ == "__main__":
    main()
