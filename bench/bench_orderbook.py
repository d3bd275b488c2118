"""Cost of the incremental order book on the real archive hour (BTC, 2024-01-01 12:00 UTC).

Frames are decoded once by `HyperliquidCodec` (not timed). Then, timed:
1. `apply_snapshot` per message (each call timed alone) and per level it changed, next to a
   naive from-scratch rebuild of the same message for scale;
2. `apply_diff` per level: the exact level changes of the hour, replayed as raw diffs;
   timed per snapshot's group of diffs, divided by the group size (keeps timer overhead out);
3. `apply_bbo` with each snapshot's own top of book as the Level-1 update;
4. reads on a populated book: best_bid, mid, depth(5), levels(BID, 5), notional_depth(5).
Per-op figures are ns; p50/p99 over the per-call (or per-group) samples.

Run: .venv/bin/python bench/bench_orderbook.py [--rounds N]
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path

import lz4.frame
import numpy as np
import orjson

ROOT = Path(__file__).resolve().parent.parent
# Runnable as a plain script from a checkout that is not pip-installed.
sys.path.insert(0, str(ROOT))

from shared_data import ARCHIVE_HOUR  # noqa: E402

from hyperliquid_ofi_trader.core.events import Bbo, BookSnapshot, Side  # noqa: E402
from hyperliquid_ofi_trader.data.orderbook import OrderBook  # noqa: E402
from hyperliquid_ofi_trader.venues.hyperliquid.websocket.codec import HyperliquidCodec  # noqa: E402

ARCHIVE = ARCHIVE_HOUR

Diff = tuple[Side, float, float, int]


def load_snapshots(path: Path) -> list[BookSnapshot]:
    codec = HyperliquidCodec()
    out: list[BookSnapshot] = []
    with lz4.frame.open(path, "rb") as fh:
        for i, line in enumerate(fh):
            raw = orjson.dumps(orjson.loads(line)["raw"])
            out.extend(e for e in codec.decode(raw, i) if isinstance(e, BookSnapshot))
    return out


def diff_groups(snaps: list[BookSnapshot]) -> list[list[Diff]]:
    """The level changes between consecutive snapshots, computed naively (untimed)."""
    groups: list[list[Diff]] = []
    prev: dict[Side, dict[float, tuple[float, int]]] = {Side.BID: {}, Side.ASK: {}}
    for snap in snaps:
        group: list[Diff] = []
        for side, levels in ((Side.BID, snap.bids), (Side.ASK, snap.asks)):
            now = {p: (s, n) for p, s, n in levels}
            group += [(side, p, 0.0, 0) for p in prev[side] if p not in now]
            group += [(side, p, s, n) for p, (s, n) in now.items() if prev[side].get(p) != (s, n)]
            prev[side] = now
        groups.append(group)
    return groups


def stats(label: str, samples: list[float], unit: str = "ns") -> None:
    arr = np.asarray(samples, dtype=np.float64)
    p50, p99 = np.percentile(arr, [50, 99])
    print(f"  {label:<38} p50 {p50:9.0f} {unit}   p99 {p99:9.0f} {unit}   mean {arr.mean():9.0f}")


def bench_snapshots(snaps: list[BookSnapshot], rounds: int) -> None:
    per_msg: list[float] = []
    total_ns = changed = 0
    for _ in range(rounds):
        book = OrderBook("BTC")
        clock = time.perf_counter_ns
        for snap in snaps:
            t0 = clock()
            n = book.apply_snapshot(snap)
            dt = clock() - t0
            per_msg.append(dt)
            total_ns += dt
            changed += n
    print(f"apply_snapshot ({len(snaps)} messages x {rounds} rounds)")
    stats("per message", per_msg)
    print(f"  per level changed                      {total_ns / changed:9.0f} ns"
          f"   ({changed / (len(snaps) * rounds):.1f} levels changed per message of 40)")
    print(f"  throughput                             {len(per_msg) / total_ns * 1e9:9.0f} msg/s")


def bench_naive_rebuild(snaps: list[BookSnapshot], rounds: int) -> None:
    """For scale: what rebuilding both sides from scratch (dict + sort) costs per message."""
    per_msg: list[float] = []
    for _ in range(rounds):
        clock = time.perf_counter_ns
        for snap in snaps:
            t0 = clock()
            bids = {p: (s, n) for p, s, n in snap.bids}
            asks = {p: (s, n) for p, s, n in snap.asks}
            sorted(bids, reverse=True)
            sorted(asks)
            per_msg.append(clock() - t0)
    print("naive rebuild, for scale (dict + sort of both sides, no validation, no diff)")
    stats("per message", per_msg)


def bench_diffs(groups: list[list[Diff]], rounds: int) -> None:
    per_level: list[float] = []
    total_ns = count = 0
    for _ in range(rounds):
        book = OrderBook("BTC")
        apply = book.apply_diff
        clock = time.perf_counter_ns
        for group in groups:
            t0 = clock()
            for side, price, size, orders in group:
                apply(side, price, size, orders)
            dt = clock() - t0
            if group:
                per_level.append(dt / len(group))
                total_ns += dt
                count += len(group)
    print(f"apply_diff ({count // rounds} real level changes x {rounds} rounds)")
    stats("per level (per-snapshot group mean)", per_level)
    print(f"  throughput                             {count / total_ns * 1e9:9.0f} levels/s")


def bench_bbo(snaps: list[BookSnapshot], rounds: int) -> None:
    bbos = [
        Bbo(exchange_ns=s.exchange_ns, local_ns=s.local_ns, coin=s.coin,
            bid=s.bids[0] if s.bids else None, ask=s.asks[0] if s.asks else None)
        for s in snaps
    ]
    per_msg: list[float] = []
    for _ in range(rounds):
        book = OrderBook("BTC")
        book.apply_snapshot(snaps[0])
        clock = time.perf_counter_ns
        for bbo in bbos:
            t0 = clock()
            book.apply_bbo(bbo)
            per_msg.append(clock() - t0)
    print("apply_bbo (each snapshot's top of book as L1)")
    stats("per message", per_msg)


def per_call_ns(fn: Callable[[], object], n: int = 200_000) -> float:
    t0 = time.perf_counter_ns()
    for _ in range(n):
        fn()
    return (time.perf_counter_ns() - t0) / n


def bench_reads(snaps: list[BookSnapshot]) -> None:
    book = OrderBook("BTC")
    book.apply_snapshot(snaps[len(snaps) // 2])
    empty = per_call_ns(lambda: None)
    print(f"reads on a 20x20 book (tight loop, lambda-call overhead {empty:.0f} ns subtracted)")
    reads: list[tuple[str, Callable[[], object]]] = [
        ("best_bid()", book.best_bid),
        ("mid()", book.mid),
        ("spread()", book.spread),
        ("is_crossed()", book.is_crossed),
        ("depth(5)", lambda: book.depth(5)),
        ("depth(20)", lambda: book.depth(20)),
        ("levels(BID, 5)", lambda: book.levels(Side.BID, 5)),
        ("notional_depth(5)", lambda: book.notional_depth(5)),
    ]
    for label, fn in reads:
        print(f"  {label:<38} {per_call_ns(fn) - empty:9.0f} ns")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--rounds", type=int, default=3, help="passes over the hour")
    args = parser.parse_args()
    if not ARCHIVE.exists():
        sys.exit(f"recorded data not available: {ARCHIVE} (see ../shared/data/README.md)")
    snaps = load_snapshots(ARCHIVE)
    print(f"{len(snaps)} snapshots from {ARCHIVE.name}, Python {sys.version.split()[0]}\n")
    bench_snapshots(snaps, args.rounds)
    bench_naive_rebuild(snaps, args.rounds)
    bench_diffs(diff_groups(snaps), args.rounds)
    bench_bbo(snaps, args.rounds)
    bench_reads(snaps)


if __name__ == "__main__":
    main()
