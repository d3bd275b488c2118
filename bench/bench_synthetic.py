"""Benchmark: synthetic market blocks generated, and encoded to venue frames, per second.

Run: .venv/bin/python bench/bench_synthetic.py [--minutes N]

Prints per-block cost (p50/p99 in µs) of `SyntheticMarket.next_block()` and of encoding a
block's events with `sim.wire_encode.encode_market_event`, the throughput of each, and how
many simulated seconds one wall second buys (the emulator needs > 1 to keep up in real
time, with the rest of the machine doing everything else).
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from hyperliquid_ofi_trader.sim.synthetic import SyntheticMarket
from hyperliquid_ofi_trader.sim.wire_encode import encode_market_event


def measure(minutes: float, seed: int) -> tuple[list[int], list[int], int, int, int]:
    """Per-block generation and encoding times (ns), events, frame bytes, simulated ns."""
    market = SyntheticMarket(seed=seed)
    end_ns = market.settings.start_ns + int(minutes * 60e9)
    gen_ns: list[int] = []
    enc_ns: list[int] = []
    events = size = 0
    while market.now_ns < end_ns:
        t0 = time.perf_counter_ns()
        block = market.next_block()
        t1 = time.perf_counter_ns()
        for ev in block:
            size += len(encode_market_event(ev))
        t2 = time.perf_counter_ns()
        gen_ns.append(t1 - t0)
        enc_ns.append(t2 - t1)
        events += len(block)
    return gen_ns, enc_ns, events, size, market.now_ns - market.settings.start_ns


def report(name: str, samples: list[int]) -> float:
    arr = np.asarray(samples, dtype=np.float64) / 1e3
    total_s = float(arr.sum()) / 1e6
    rate = len(samples) / total_s
    print(f"{name:<10} p50 {np.percentile(arr, 50):7.1f} µs  p99 {np.percentile(arr, 99):7.1f} µs"
          f"  mean {arr.mean():7.1f} µs  -> {rate:9,.0f} blocks/s")
    return total_s


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10.0, help="simulated minutes")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    gen, enc, events, size, sim_ns = measure(args.minutes, args.seed)
    print(f"{len(gen):,} blocks, {events:,} events, {size / 1e6:.1f} MB of frames, "
          f"{sim_ns / 1e9:.0f} simulated s")
    gen_s = report("generate", gen)
    enc_s = report("encode", enc)
    both = gen_s + enc_s
    print(f"{'both':<10} {len(gen) / both:,.0f} blocks/s, {events / both:,.0f} events/s, "
          f"{sim_ns / 1e9 / both:,.0f}x real time")


if __name__ == "__main__":
    main()
