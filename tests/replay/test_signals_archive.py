"""OFI on the real Hyperliquid archive hour (BTC, 2024-01-01 12:00 UTC, 5,587 l2Book snapshots).

Cont, Kukanov & Stoikov (2014): Level-1 OFI summed over 10 s explains the contemporaneous
mid change; ../shared/data/README.md reports R² ≈ 0.6 on this hour, and a near-zero
next-interval R². The book goes through the real codec and OrderBook, as in production.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import lz4.frame
import numpy as np
import numpy.typing as npt
import orjson
import pytest

from hyperliquid_ofi_trader.core.events import BookSnapshot
from hyperliquid_ofi_trader.data.orderbook import OrderBook
from hyperliquid_ofi_trader.signals.ofi import MultiLevelOFI, OFICalculator, RollingSum
from hyperliquid_ofi_trader.venues.hyperliquid.websocket.codec import HyperliquidCodec

pytestmark = pytest.mark.realdata

INTERVAL_NS = 10_000_000_000
TICK = 1.0  # BTC near 42,700 with 5 significant figures


def snapshots(path: Path) -> list[BookSnapshot]:
    codec = HyperliquidCodec()
    out: list[BookSnapshot] = []
    with lz4.frame.open(path, "rb") as f:
        for line in f:
            raw = orjson.dumps(orjson.loads(line)["raw"])
            out.extend(ev for ev in codec.decode(raw, 0) if isinstance(ev, BookSnapshot))
    return out


@cache  # both tests read the same hour; decode it once per session
def replay(path: Path) -> tuple[npt.NDArray[np.float64], int, int]:
    """Rows (exchange_ns, L1 OFI, mid) after each snapshot; also checks multi-level level 1."""
    book = OrderBook("BTC")
    l1, ml = OFICalculator(book), MultiLevelOFI(book, levels=5)
    rows, mismatches = [], 0
    snaps = snapshots(path)
    for snap in snaps:
        book.apply_snapshot(snap)
        e = l1.update()
        mismatches += ml.update()[0] != e
        mid = book.mid()
        rows.append((snap.exchange_ns, e, np.nan if mid is None else mid))
    return np.array(rows, dtype=np.float64), len(snaps), mismatches


def r_squared(x: npt.NDArray[np.float64], y: npt.NDArray[np.float64]) -> float:
    ok = np.isfinite(x) & np.isfinite(y)
    return float(np.corrcoef(x[ok], y[ok])[0, 1] ** 2)


def test_l1_ofi_explains_mid_change_over_10s(hl_archive_btc: Path) -> None:
    rows, n_snaps, mismatches = replay(hl_archive_btc)
    assert n_snaps == 5_587
    assert mismatches == 0
    t = rows[:, 0].astype(np.int64)
    bucket = (t - t[0]) // INTERVAL_NS
    n = int(bucket.max()) + 1
    ofi = np.bincount(bucket, weights=rows[:, 1], minlength=n).astype(np.float64)
    last_mid = np.full(n, np.nan)
    last_mid[bucket] = rows[:, 2]  # fancy assignment keeps the last row of each interval
    d_mid_ticks = np.diff(last_mid) / TICK
    contemporaneous = r_squared(ofi[1:], d_mid_ticks)
    predictive = r_squared(ofi[1:-1], d_mid_ticks[1:])
    slope = np.polyfit(ofi[1:][np.isfinite(d_mid_ticks)],
                       d_mid_ticks[np.isfinite(d_mid_ticks)], 1)[0]
    assert contemporaneous > 0.4, f"R² {contemporaneous:.3f}"
    assert slope > 0.0
    assert predictive < 0.1, f"predictive R² {predictive:.3f}: OFI should not forecast alone"


def test_rolling_sum_on_archive_matches_interval_sums(hl_archive_btc: Path) -> None:
    rows, _, _ = replay(hl_archive_btc)
    rs = RollingSum(INTERVAL_NS)
    t = rows[:, 0].astype(np.int64)
    for i in range(len(rows)):
        rs.add(float(rows[i, 1]), int(t[i]))
        if i % 500 == 0:
            in_window = (t > t[i] - INTERVAL_NS) & (t <= t[i])
            assert rs.total() == pytest.approx(float(rows[in_window, 1].sum()), abs=1e-6)
