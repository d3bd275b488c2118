"""Replay throughput and per-event pipeline cost on the real BTC archive hour.

Prints:
- frames/s through codec + book + signals + regime + alpha + journal (the full replay
  driver, as `hlofi replay` runs it), best of 3;
- the per-event cost of `Engine.on_event` for book events (p50/p99/max in µs), which
  includes the signal + regime + alpha stage and the journal append;
- the codec's share, measured separately on the same frames.

Run: .venv/bin/python bench/bench_replay.py
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import numpy as np
from shared_data import ARCHIVE_HOUR

from hyperliquid_ofi_trader.config import load_config
from hyperliquid_ofi_trader.core.clock import ReplayClock
from hyperliquid_ofi_trader.core.journal import Journal
from hyperliquid_ofi_trader.data.replay_sources import iter_frames
from hyperliquid_ofi_trader.runtime.assembly import build_engine
from hyperliquid_ofi_trader.runtime.replay import replay
from hyperliquid_ofi_trader.venues.hyperliquid.websocket.codec import HyperliquidCodec

ROOT = Path(__file__).resolve().parents[1]
ARCHIVE = ARCHIVE_HOUR
CONFIG = ROOT / "configs" / "btc-ofi"


def _throughput() -> None:
    cfg = load_config(CONFIG)
    best = 0.0
    frames = 0
    for run in range(3):
        with tempfile.TemporaryDirectory() as tmp:
            result = replay(cfg, ARCHIVE, Path(tmp) / f"j{run}.sqlite",
                            stopwatch=time.perf_counter)
        frames = result.frames
        best = max(best, result.frames_per_s)
    print(f"replay throughput (codec+book+signals+regime+alpha+journal): {best:,.0f} frames/s "
          f"over {frames:,} archive frames (best of 3)")


def _per_event() -> None:
    cfg = load_config(CONFIG)
    frames = list(iter_frames(ARCHIVE))
    codec = HyperliquidCodec(frozenset(cfg.symbols.coins))
    decode_ns = np.empty(len(frames), dtype=np.int64)
    events = []
    for i, (local_ns, raw) in enumerate(frames):
        t0 = time.perf_counter_ns()
        decoded = codec.decode(raw, local_ns)
        decode_ns[i] = time.perf_counter_ns() - t0
        events.extend(decoded)
    with tempfile.TemporaryDirectory() as tmp, Journal(Path(tmp) / "j.sqlite") as journal:
        clock = ReplayClock()
        engine, _ = build_engine(cfg, clock, journal)
        cost_ns = np.empty(len(events), dtype=np.int64)
        for i, event in enumerate(events):
            clock.advance_to(event.local_ns)
            t0 = time.perf_counter_ns()
            engine.on_event(event)
            cost_ns[i] = time.perf_counter_ns() - t0
        engine.flush()
    for name, arr in (("codec.decode (l2Book)", decode_ns), ("Engine.on_event (book)", cost_ns)):
        p50, p99 = np.percentile(arr, [50, 99]) / 1e3
        print(f"{name:28s} p50 {p50:7.1f} µs  p99 {p99:7.1f} µs  max {arr.max() / 1e3:8.1f} µs")


def main() -> None:
    if not ARCHIVE.exists():
        print(f"skipped: {ARCHIVE} not found (see ../shared/data/README.md)")
        return
    _throughput()
    _per_event()


if __name__ == "__main__":
    main()
