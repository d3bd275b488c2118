"""Entry latency measured on our IOC fills (feedback/entry_latency.py)."""

from __future__ import annotations

import pytest

from hyperliquid_ofi_trader.core.events import Fill
from hyperliquid_ofi_trader.core.records import FillReport
from hyperliquid_ofi_trader.core.stages import Tif
from hyperliquid_ofi_trader.feedback.entry_latency import EntryLatency

MS = 1_000_000


def report(cloid: str | None, sent_ms: int | None, at_ms: int, *, tif: Tif | None = Tif.IOC,
           crossed: bool = True, tid: int = 1, snapshot: bool = False) -> FillReport:
    fill = Fill(coin="ETH", price=2000.1, size=0.1, is_buy=True, exchange_ns=at_ms * MS,
                start_position=0.0, direction="Open Long", closed_pnl=0.0, hash="0x",
                oid=1, crossed=crossed, fee=0.09, tid=tid, fee_token="USDC", cloid=cloid,
                liquidation=False)
    return FillReport(fill=fill, local_ns=at_ms * MS, is_snapshot=snapshot, cloid=cloid,
                      decision_id=1, tif=tif, limit_px=2001.0,
                      intent_ns=None if sent_ms is None else sent_ms * MS, order_state=None)


def test_silent_until_enough_orders_then_their_mean() -> None:
    est = EntryLatency(min_samples=3, weight=0.25)
    est.on_fill_report(report("c0", 0, 100))
    est.on_fill_report(report("c1", 1000, 1200))
    assert est.entry_ms() is None  # 2 orders < 3
    est.on_fill_report(report("c2", 2000, 2300))
    # A running mean while there are fewer than 1 / weight samples: (100 + 200 + 300) / 3.
    assert est.entry_ms() == pytest.approx(200.0)
    est.on_fill_report(report("c3", 3000, 3400))
    assert est.entry_ms() == pytest.approx(250.0)  # (100 + 200 + 300 + 400) / 4
    est.on_fill_report(report("c4", 4000, 4650))
    assert est.entry_ms() == pytest.approx(350.0)  # then weighted: 250 + 0.25 x (650 - 250)


def test_only_ioc_taker_fills_count_each_order_once() -> None:
    est = EntryLatency(min_samples=1)
    est.on_fill_report(report("alo", 0, 5000, tif=Tif.ALO, crossed=False))  # market came
    est.on_fill_report(report(None, None, 50, tif=None))  # not our order: nothing known
    est.on_fill_report(report("ioc", 0, 80, snapshot=True))  # history, not news
    assert est.entry_ms() is None
    est.on_fill_report(report("ioc", 0, 120, tid=1))
    est.on_fill_report(report("ioc", 0, 900, tid=2))  # the same order's next level
    assert est.samples == 1
    assert est.entry_ms() == pytest.approx(120.0)


def test_skewed_or_garbage_differences_are_ignored() -> None:
    est = EntryLatency(min_samples=1)
    est.on_fill_report(report("skew", 500, 100))  # venue clock behind ours
    for bad in (float("nan"), 60_000.0):
        est.observe(bad)
    assert est.samples == 0
    assert est.entry_ms() is None
    with pytest.raises(ValueError, match="weight"):
        EntryLatency(weight=0.0)
