"""PositionBook: VWAP entry, realised PnL, fees, funding, the manager's fill news, reconcile."""

from __future__ import annotations

import pytest

from hyperliquid_ofi_trader.core.events import (
    AccountSnapshot,
    Fill,
    Funding,
    PositionSnapshot,
    UserFills,
)
from hyperliquid_ofi_trader.core.records import FillReport, PositionRow
from hyperliquid_ofi_trader.risk.position import PositionBook


def fill(is_buy: bool, px: float, sz: float, tid: int, fee: float = 0.0,
         coin: str = "ETH") -> Fill:
    return Fill(coin=coin, price=px, size=sz, is_buy=is_buy, exchange_ns=tid, start_position=0.0,
                direction="", closed_pnl=0.0, hash="", oid=tid, crossed=True, fee=fee, tid=tid,
                fee_token="USDC", cloid=None, liquidation=False)


def push(*fills: Fill, snapshot: bool = False) -> UserFills:
    return UserFills(exchange_ns=1, local_ns=1, user="0xabc", is_snapshot=snapshot,
                     fills=fills)


def test_vwap_entry_and_realised_pnl() -> None:
    pb = PositionBook()
    pb.on_fill(fill(True, 100.0, 1.0, 1))
    pb.on_fill(fill(True, 110.0, 1.0, 2))
    p = pb.get("ETH")
    assert p.size == 2.0
    assert p.entry_px == pytest.approx(105.0)
    pb.on_fill(fill(False, 120.0, 0.5, 3, fee=0.1))
    assert p.size == 1.5
    assert p.entry_px == pytest.approx(105.0)
    assert p.realised == pytest.approx(7.5)
    assert p.fees == pytest.approx(0.1)
    assert pb.total_pnl({"ETH": 100.0}) == pytest.approx(7.5 - 0.1 + 1.5 * -5.0)


def test_crossing_through_zero_opens_at_the_fill_price() -> None:
    pb = PositionBook()
    pb.on_fill(fill(True, 100.0, 1.0, 1))
    pb.on_fill(fill(False, 90.0, 3.0, 2))
    p = pb.get("ETH")
    assert p.size == pytest.approx(-2.0)
    assert p.entry_px == 90.0
    assert p.realised == pytest.approx(-10.0)


def test_short_side_realises_with_the_right_sign() -> None:
    pb = PositionBook()
    pb.on_fill(fill(False, 100.0, 2.0, 1))
    pb.on_fill(fill(True, 95.0, 2.0, 2))
    assert pb.position("ETH") == 0.0
    assert pb.get("ETH").realised == pytest.approx(10.0)
    assert pb.get("ETH").entry_px == 0.0


def report(f: Fill, snapshot: bool = False) -> FillReport:
    return FillReport(fill=f, local_ns=5, is_snapshot=snapshot, cloid=None, decision_id=None,
                      tif=None, limit_px=None, intent_ns=None, order_state=None)


class Rows:
    def __init__(self) -> None:
        self.saved: list[PositionRow] = []

    def save_position(self, row: PositionRow) -> None:
        self.saved.append(row)


def test_snapshot_fills_count_in_the_delta_not_in_the_position() -> None:
    rows = Rows()
    pb = PositionBook(rows)
    pb.on_fill_report(report(fill(True, 100.0, 1.0, 7), snapshot=True))
    assert pb.estimate("ETH") == (0.0, 0.0)  # already in the venue's position snapshot
    assert pb.delta_from_fills("ETH") == 1.0
    assert rows.saved == []
    pb.on_fill_report(report(fill(True, 110.0, 1.0, 8)))
    assert pb.estimate("ETH") == (1.0, 110.0)
    assert pb.delta_from_fills("ETH") == 2.0
    assert rows.saved == [PositionRow(coin="ETH", size=1.0, entry_px=110.0, updated_ns=5)]


def test_fills_are_no_longer_de_duplicated_here() -> None:
    # The order manager alone decides a fill is new; the book applies what it is told.
    pb = PositionBook()
    pb.on_private(push(fill(True, 100.0, 1.0, 8)))  # fills do not come as private events
    assert pb.position("ETH") == 0.0
    pb.on_fill(fill(True, 100.0, 1.0, 8))
    assert pb.position("ETH") == 1.0


def test_same_tid_on_another_coin_is_not_a_duplicate() -> None:
    pb = PositionBook()
    pb.on_fill(fill(True, 100.0, 1.0, 1))
    pb.on_fill(fill(True, 100.0, 1.0, 1, coin="BTC"))
    assert pb.position("ETH") == 1.0
    assert pb.position("BTC") == 1.0


def test_malformed_fills_are_counted_not_raised() -> None:
    pb = PositionBook()
    assert not pb.on_fill(fill(True, float("nan"), 1.0, 1))
    assert not pb.on_fill(fill(True, 100.0, -1.0, 2))
    assert pb.rejected == 2
    assert pb.position("ETH") == 0.0


def test_funding_counts_in_pnl() -> None:
    pb = PositionBook()
    pb.on_private(Funding(exchange_ns=1, local_ns=1, coin="ETH", usdc=-0.25, size=1.0,
                          funding_rate=1e-4))
    assert pb.total_pnl(lambda c: None) == pytest.approx(-0.25)


def test_reconcile_adopts_the_venue_and_reports_differences() -> None:
    pb = PositionBook()
    pb.on_fill(fill(True, 100.0, 1.0, 1))
    pb.on_fill(fill(True, 100.0, 1.0, 2, coin="BTC"))
    snap = AccountSnapshot(
        exchange_ns=0, local_ns=5, user="0xabc", open_orders=(),
        positions=(PositionSnapshot(coin="ETH", size=1.5, entry_px=101.0, unrealized_pnl=0.0,
                                    margin_used=10.0),),
        recent_fills=(fill(True, 100.0, 0.5, 9),), account_value=1234.0, withdrawable=1000.0)
    found = pb.reconcile(snap)
    assert [(d.coin, d.ours, d.venue) for d in found] == [("BTC", 1.0, 0.0), ("ETH", 1.0, 1.5)]
    assert pb.position("ETH") == 1.5
    assert pb.get("ETH").entry_px == 101.0
    assert pb.position("BTC") == 0.0
    assert pb.account_value == 1234.0
    assert pb.discrepancies == 2
    assert pb.reconcile(snap) == []
