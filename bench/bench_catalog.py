"""Catalog read and write throughput on the real BTC archive hour and a synthetic
recording: frames/s reading the raw file (`iter_frames(path)`) beside frames/s reading the
same frames back from a local catalog (`iter_frames(CatalogQuery)`), best of 3, and the
ingest cost (decode once, write Parquet).

Run: .venv/bin/python bench/bench_catalog.py
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from shared_data import ARCHIVE_HOUR

from hyperliquid_ofi_trader.backtest.runner import record_synthetic
from hyperliquid_ofi_trader.catalog import CatalogQuery, open_location
from hyperliquid_ofi_trader.catalog.ingest import ingest_path
from hyperliquid_ofi_trader.data.replay_sources import ReplaySource, iter_frames

ROOT = Path(__file__).resolve().parents[1]
ARCHIVE = ARCHIVE_HOUR


def _best_of(n: int, fn: Callable[[], int]) -> tuple[int, float]:
    best, count = float("inf"), 0
    for _ in range(n):
        started = time.perf_counter()
        count = fn()
        best = min(best, time.perf_counter() - started)
    return count, best


def _count(source: ReplaySource) -> Callable[[], int]:
    return lambda: sum(1 for _ in iter_frames(source))


def _bench(name: str, recording: Path, work: Path) -> None:
    cat = work / f"cat-{name}"
    started = time.perf_counter()
    ingest_path(open_location(cat), recording)
    ingest_s = time.perf_counter() - started
    frames, raw_s = _best_of(3, _count(recording))
    frames_cat, cat_s = _best_of(3, _count(CatalogQuery(str(cat))))
    assert frames == frames_cat, (frames, frames_cat)
    raw_bytes = sum(p.stat().st_size for p in ([recording] if recording.is_file()
                                               else recording.rglob("*")) if p.is_file())
    cat_bytes = sum(p.stat().st_size for p in cat.rglob("*.parquet"))
    print(f"{name}: {frames:,} frames; raw read {frames / raw_s:,.0f} frames/s, catalog read "
          f"{frames / cat_s:,.0f} frames/s ({raw_s / cat_s:.2f}x); ingest "
          f"{frames / ingest_s:,.0f} frames/s; size raw {raw_bytes / 2**20:.2f} MiB, "
          f"catalog {cat_bytes / 2**20:.2f} MiB")


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        if ARCHIVE.exists():
            _bench("archive hour (BTC l2Book)", ARCHIVE, work)
        else:
            print(f"skipped the archive hour: {ARCHIVE} is absent")
        synthetic = work / "synthetic"
        record_synthetic(synthetic, 900.0, seed=1)
        _bench("synthetic 15 min (BTC+ETH, bbo/l2Book/trades)", synthetic, work)


if __name__ == "__main__":
    main()
