"""Recording and replay costs: per-frame write with each flush policy, and read throughput.

Frames: the real l2Book / trades frames of ../shared/data (falls back to a synthetic frame of
similar size when absent), plus a small bbo-sized frame, the commonest on a live feed.
Prints per-write p50/p99/mean (ns), throughput, disk bytes per frame; then read speed.

    .venv/bin/python bench/bench_recording.py
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
# Runnable as a plain script from a checkout that is not pip-installed.
sys.path.insert(0, str(ROOT))

from shared_data import HYPERLIQUID_DATA  # noqa: E402

from hyperliquid_ofi_trader.data.recording import FrameRecorder  # noqa: E402
from hyperliquid_ofi_trader.data.replay_sources import iter_frames  # noqa: E402

SHARED = HYPERLIQUID_DATA
N_WRITES = 20_000  # > the 5,642 real frames: later rounds repeat them
BBO = (b'{"channel":"bbo","data":{"coin":"BTC","time":1737918843893,"bbo":['
       b'{"px":"105055.0","sz":"3.03622","n":5},{"px":"105056.0","sz":"6.34472","n":13}]}}')


def _real_frames() -> list[bytes]:
    """Distinct real frames (the archive hour's 5,587 books, then the capture's 55 frames),
    so compression ratios are not flattered by repeats."""
    frames = [raw for name in ("archive_l2Book_BTC_20240101_12.lz4",
                               "ws_capture_BTC_20250126.gz")
              if (SHARED / name).exists() for _, raw in iter_frames(SHARED / name)]
    if frames:
        return frames
    print("(real data absent: synthetic 2.4 KB frames)")
    return [b'{"channel":"l2Book","data":{"pad":"' + b"x" * 2400 + b'"}}']


def _time_writes(frames: list[bytes], flush_every: int) -> tuple[np.ndarray, int, int]:
    with tempfile.TemporaryDirectory() as tmp:
        rec = FrameRecorder(Path(tmp), flush_every=flush_every)
        samples = np.empty(N_WRITES, dtype=np.int64)
        clock = time.perf_counter_ns
        t0 = 1_795_579_200_000_000_000
        n = len(frames)
        for i in range(N_WRITES):
            raw = frames[i % n]
            start = clock()
            rec.write(raw, t0 + i)
            samples[i] = clock() - start
        rec.close()
        return samples, rec.bytes, rec.compressed_bytes


def _report(label: str, samples: np.ndarray, raw_bytes: int, disk_bytes: int) -> None:
    p50, p99 = np.percentile(samples, [50, 99])
    total_s = samples.sum() / 1e9
    print(f"  {label:<22} p50 {p50:>7,.0f} ns  p99 {p99:>8,.0f} ns  "
          f"mean {samples.mean():>7,.0f} ns  {N_WRITES / total_s:>10,.0f} frames/s  "
          f"{disk_bytes / N_WRITES:>6.0f} B/frame on disk "
          f"(ratio {raw_bytes / disk_bytes:.1f}x)")


def _bench_writes(name: str, frames: list[bytes]) -> None:
    size = statistics.mean(len(f) for f in frames)
    print(f"write, {name} frames (mean {size:,.0f} B):")
    for flush_every in (1, 16, 256):
        label = f"flush_every={flush_every}" + (" (default)" if flush_every == 1 else "")
        _report(label, *_time_writes(frames, flush_every))


def _best_of(fn: Callable[[], int], repeat: int = 3) -> tuple[float, int]:
    best, count = float("inf"), 0
    for _ in range(repeat):
        start = time.perf_counter()
        count = fn()
        best = min(best, time.perf_counter() - start)
    return best, count


def _counter(path: Path) -> Callable[[], int]:
    return lambda: sum(1 for _ in iter_frames(path))


def _bench_reads(frames: list[bytes]) -> None:
    print("read (iter_frames), best of 3:")
    with tempfile.TemporaryDirectory() as tmp:
        with FrameRecorder(Path(tmp)) as rec:
            for i in range(N_WRITES):
                rec.write(frames[i % len(frames)], 1_795_579_200_000_000_000 + i)
        sources = {"our zstd recording": Path(tmp)}
        for name in ("archive_l2Book_BTC_20240101_12.lz4", "ws_capture_BTC_20250126.gz"):
            if (SHARED / name).exists():
                sources[name] = SHARED / name
        for label, path in sources.items():
            secs, count = _best_of(_counter(path))
            print(f"  {label:<36} {count:>7,} frames  {secs * 1e6 / count:>7.2f} µs/frame  "
                  f"{count / secs:>10,.0f} frames/s")


def main() -> None:
    real = _real_frames()
    _bench_writes("real l2Book/trades", real)
    _bench_writes("bbo-sized", [BBO])
    _bench_reads(real)


if __name__ == "__main__":
    main()
