"""Regimes on the real BTC archive hour (../shared/data; skipped when absent).

Checks that matter on real books, not on synthetic series: the volatility estimate is of a
sane magnitude, and the hysteresis + dwell switch flaps far less than a single-threshold
switch over the same depth series, never switching twice within the dwell.
"""

from __future__ import annotations

import itertools
import json
import math
from collections.abc import Iterator
from pathlib import Path

import lz4.frame
import pytest

from hyperliquid_ofi_trader.core.events import BookSnapshot
from hyperliquid_ofi_trader.data.orderbook import OrderBook
from hyperliquid_ofi_trader.regime import LiquidityRegime, VolatilityRegime, VolLevel
from hyperliquid_ofi_trader.venues.hyperliquid.websocket.codec import HyperliquidCodec

pytestmark = pytest.mark.realdata
S = 1_000_000_000


def snapshots(path: Path) -> Iterator[BookSnapshot]:
    codec = HyperliquidCodec(frozenset({"BTC"}))
    with lz4.frame.open(path, "rb") as fh:
        for i, line in enumerate(fh):
            for ev in codec.decode(json.dumps(json.loads(line)["raw"]), i):
                assert isinstance(ev, BookSnapshot)
                yield ev


def test_liquidity_hysteresis_and_volatility_on_archive_hour(hl_archive_btc: Path) -> None:
    # Median 5-level depth of this hour is ~24 BTC: thresholds straddle it on purpose, the
    # hardest case for flapping.
    dwell = 5 * S
    liq = LiquidityRegime(enter_depth=26.0, exit_depth=22.0, enter_spread_bps=1.0,
                          exit_spread_bps=2.0, min_dwell_ns=dwell)
    vol = VolatilityRegime(halflife_ns=30 * S, low_bps_per_s=0.05, high_bps_per_s=5.0,
                           extreme_bps_per_s=20.0)
    book = OrderBook("BTC")
    naive_switches = 0
    naive_above: bool | None = None
    switch_times: list[int] = []
    vols: list[float] = []
    for snap in snapshots(hl_archive_btc):
        book.apply_snapshot(snap)
        before = liq.switches
        liq.update(book)
        vol.update(book)
        if liq.switches != before:
            switch_times.append(book.exchange_ns)
        above = book.depth(5) >= 24.0
        naive_switches += naive_above is not None and above != naive_above
        naive_above = above
        if vol.warm:
            vols.append(vol.vol_bps_per_s())
    assert liq.updates == 5587
    assert naive_switches > 500  # the depth series really does oscillate around 24
    # Real 5-level depth swings widely between 0.6 s snapshots (1st-99th percentile about
    # 8-40 BTC), so even with the band some switches remain (270 here); the dwell caps them.
    assert 0 < len(switch_times) < naive_switches / 3
    assert len(switch_times) <= 3600 * S // dwell
    gaps = [b - a for a, b in itertools.pairwise(switch_times)]
    assert min(gaps) >= dwell
    # A quiet holiday hour: BTC realised vol of a fraction of a bp per sqrt(s) (~15 %/year).
    assert all(math.isfinite(v) for v in vols)
    assert 0.05 < sorted(vols)[len(vols) // 2] < 2.0
    assert vol.level in (VolLevel.LOW, VolLevel.NORMAL)
    assert vol.rejected == 0
