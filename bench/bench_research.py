"""Cost of the research pipeline on the real recordings: extraction and each analysis.

Run: .venv/bin/python bench/bench_research.py   (skips files that are absent)
Prints, per stage, the best-of-3 wall time and the per-row cost of the extraction.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from shared_data import SHARED_DATA

from hyperliquid_ofi_trader.research import leadlag_xcorr, ofi_impact, signal_ic
from hyperliquid_ofi_trader.research.recordings import load_market
from hyperliquid_ofi_trader.research.series import MarketSeries, book_tick

DATA = SHARED_DATA
ARCHIVE = DATA / "hyperliquid" / "archive_l2Book_BTC_20240101_12.lz4"
BTC = DATA / "binance" / "usdm_btcusdt_20240808.gz"
ETH = DATA / "binance" / "usdm_ethusdt_20240808.gz"
S = 1_000_000_000


def best_of(fn: Callable[[], object], runs: int = 3) -> float:
    best = float("inf")
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def extraction(path: Path) -> MarketSeries:
    secs = best_of(lambda: load_market(path))
    m = load_market(path)
    rows = len(m.book) + len(m.trades)
    print(f"load {path.name:<40} {secs * 1e3:8.1f} ms  {rows:>7,} rows "
          f"({secs / rows * 1e6:.2f} µs/row, {m.stats.frames / secs:,.0f} frames/s)")
    return m


def main() -> None:
    if ARCHIVE.exists():
        m = extraction(ARCHIVE)
        tick = book_tick(m.book)
        secs = best_of(lambda: ofi_impact.analyse(m.book, [S, 5 * S, 10 * S, 30 * S], tick))
        print(f"ofi impact, 4 intervals                         {secs * 1e3:8.1f} ms")
        secs = best_of(lambda: signal_ic.analyse(m, tick, [S // 10, S, 5 * S]))
        print(f"signal IC, 3 horizons (archive)                 {secs * 1e3:8.1f} ms")
    if BTC.exists() and ETH.exists():
        a, b = extraction(BTC), extraction(ETH)
        secs = best_of(lambda: leadlag_xcorr.analyse(a.book, b.book, shifts=100), runs=1)
        print(f"lead-lag, ±500 ms / 10 ms, 100 shifts           {secs * 1e3:8.1f} ms")
        tick = book_tick(b.book)
        secs = best_of(lambda: signal_ic.analyse(b, tick, [S // 10, S, 5 * S]), runs=1)
        print(f"signal IC, 3 horizons (Binance ETH, {len(b.book):,} rows) {secs * 1e3:8.1f} ms")


if __name__ == "__main__":
    main()
