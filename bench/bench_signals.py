"""Per-update cost of each signal (p50/p99 in µs, and throughput).

Run: .venv/bin/python bench/bench_signals.py

Book-driven signals (L1, multi-level and integrated OFI, micro-price) replay the real archive
hour (../shared/data/hyperliquid/archive_l2Book_BTC_20240101_12.lz4) through the codec and
OrderBook; only the signal call is timed. Lead-lag, aggressive volume and the signal state are
fed seeded synthetic streams (the archive has no second coin and no trades). Each timing
includes one perf_counter_ns pair, whose own cost is printed as "timer overhead".
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import lz4.frame
import numpy as np
import orjson

# The package is not installed in the venv: running a script only puts bench/ on the path.
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from shared_data import ARCHIVE_HOUR  # noqa: E402

from hyperliquid_ofi_trader.core.events import BookSnapshot  # noqa: E402
from hyperliquid_ofi_trader.data.orderbook import OrderBook  # noqa: E402
from hyperliquid_ofi_trader.signals.aggressive_volume import AggressiveVolume  # noqa: E402
from hyperliquid_ofi_trader.signals.leadlag import LeadLagSignal  # noqa: E402
from hyperliquid_ofi_trader.signals.microprice import MicropriceSignal, fit_microprice  # noqa: E402
from hyperliquid_ofi_trader.signals.ofi import (  # noqa: E402
    IntegratedOFI,
    MultiLevelOFI,
    OFICalculator,
    OFINormalizer,
    RollingSum,
)
from hyperliquid_ofi_trader.signals.signal_state import SignalState  # noqa: E402
from hyperliquid_ofi_trader.venues.hyperliquid.websocket.codec import HyperliquidCodec  # noqa: E402

ARCHIVE = ARCHIVE_HOUR
N_SYNTH = 200_000


def report(name: str, samples_ns: list[int]) -> None:
    a = np.asarray(samples_ns, dtype=np.float64) / 1e3
    p50, p99 = np.percentile(a, [50, 99])
    rate = 1e6 / a.mean()
    print(f"{name:<34} n={a.size:>7}  p50={p50:7.2f} µs  p99={p99:7.2f} µs  "
          f"mean={a.mean():6.2f} µs  {rate:>10,.0f}/s")


def timer_overhead() -> None:
    clock = time.perf_counter_ns
    samples = []
    for _ in range(N_SYNTH):
        t0 = clock()
        samples.append(clock() - t0)
    report("timer overhead", samples)


def load_snapshots() -> list[BookSnapshot]:
    codec = HyperliquidCodec()
    out: list[BookSnapshot] = []
    with lz4.frame.open(ARCHIVE, "rb") as f:
        for line in f:
            raw = orjson.dumps(orjson.loads(line)["raw"])
            out.extend(ev for ev in codec.decode(raw, 0) if isinstance(ev, BookSnapshot))
    return out


def bench_book_signals(snaps: list[BookSnapshot]) -> None:
    book = OrderBook("BTC")
    l1, ml = OFICalculator(book), MultiLevelOFI(book, 5)
    integ = IntegratedOFI(book, [0.4, 0.25, 0.15, 0.12, 0.08])
    micro = MicropriceSignal(None, tick=1.0)
    rolling, norm = RollingSum(10_000_000_000), OFINormalizer()
    timed: dict[str, list[int]] = {k: [] for k in (
        "ofi L1 update", "ofi rolling add", "ofi normalise", "ofi multi-level (5) update",
        "ofi integrated (5) update", "microprice (weighted mid) update")}
    clock = time.perf_counter_ns
    for snap in snaps:
        book.apply_snapshot(snap)
        t0 = clock()
        e = l1.update()
        t1 = clock()
        rolling.add(e, snap.exchange_ns)
        t2 = clock()
        norm.scale(rolling.total(), 5.0, 1.0)
        t3 = clock()
        ml.update()
        t4 = clock()
        integ.update()
        t5 = clock()
        bid, ask = book.best_bid(), book.best_ask()
        if bid is not None and ask is not None:
            t6 = clock()
            micro.update(bid[0], bid[1], ask[0], ask[1])
            timed["microprice (weighted mid) update"].append(clock() - t6)
        for key, dt in zip(timed, (t1 - t0, t2 - t1, t3 - t2, t4 - t3, t5 - t4), strict=False):
            timed[key].append(dt)
    for key, samples in timed.items():
        report(key + " [archive]", samples)


def bench_fitted_microprice() -> None:
    rng = np.random.default_rng(1)
    imb = rng.random(50_000)
    mid = 1e3 + np.concatenate([[0.0], np.cumsum(np.sign(imb[:-1] - 0.5) * (rng.random(49_999)
                                                                           < 0.1))])
    model = fit_microprice(imb, np.ones(50_000), mid, 1.0)
    sig = MicropriceSignal(model)
    sizes = rng.uniform(0.1, 10.0, size=(N_SYNTH, 2))
    clock, samples = time.perf_counter_ns, []
    for qb, qa in sizes:
        t0 = clock()
        sig.update(100.0, float(qb), 101.0, float(qa))
        samples.append(clock() - t0)
    report("microprice (fitted G*) update", samples)


def bench_leadlag() -> None:
    rng = np.random.default_rng(2)
    lead = 42_000.0 * np.exp(np.cumsum(rng.normal(0, 1e-5, N_SYNTH)))
    lag = 2_300.0 * np.exp(np.cumsum(rng.normal(0, 1e-5, N_SYNTH)))
    steps = rng.integers(1, 200, N_SYNTH) * 1_000_000  # 1-200 ms apart, like bbo pushes
    times = np.cumsum(steps)
    sig = LeadLagSignal(100_000_000, 2.0, 30_000_000_000)
    clock, samples = time.perf_counter_ns, []
    for i in range(N_SYNTH):
        t = int(times[i])
        t0 = clock()
        sig.update(float(lead[i]), float(lag[i]), t, t)
        samples.append(clock() - t0)
    report("leadlag update", samples)


def bench_aggressive_volume() -> None:
    rng = np.random.default_rng(3)
    sizes = rng.exponential(0.1, N_SYNTH)
    buys = rng.random(N_SYNTH) < 0.5
    times = np.cumsum(rng.integers(0, 50, N_SYNTH)) * 1_000_000
    av = AggressiveVolume(5_000_000_000)
    clock, samples = time.perf_counter_ns, []
    for i in range(N_SYNTH):
        t0 = clock()
        av.on_trade(float(sizes[i]), bool(buys[i]), int(times[i]))
        av.value()
        samples.append(clock() - t0)
    report("aggressive volume trade+value", samples)


def bench_signal_state() -> None:
    state = SignalState({"ofi": 2_000_000_000, "leadlag": 500_000_000,
                         "aggressive_volume": 10_000_000_000, "microprice": 2_000_000_000})
    names = ("ofi", "leadlag", "aggressive_volume", "microprice")
    clock, set_ns, fresh_ns = time.perf_counter_ns, [], []
    for i in range(N_SYNTH):
        t = i * 1_000_000
        t0 = clock()
        state.set(names[i & 3], 0.5, t)
        t1 = clock()
        state.fresh(t)
        fresh_ns.append(clock() - t1)
        set_ns.append(t1 - t0)
    report("signal_state set", set_ns)
    report("signal_state fresh (4 signals)", fresh_ns)


def main() -> None:
    timer_overhead()
    if ARCHIVE.exists():
        bench_book_signals(load_snapshots())
    else:
        print(f"archive not found at {ARCHIVE}: book-driven signals skipped")
    bench_fitted_microprice()
    bench_leadlag()
    bench_aggressive_volume()
    bench_signal_state()


if __name__ == "__main__":
    main()
