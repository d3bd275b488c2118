"""Unit tests of the incremental L2 book: diffs, snapshot diffing, bbo as L1 diff, rejections."""

from __future__ import annotations

import math

import pytest

from hyperliquid_ofi_trader.core.events import Bbo, BookSnapshot, Level, Side
from hyperliquid_ofi_trader.data.orderbook import OrderBook

BID, ASK = Side.BID, Side.ASK


def snap(
    bids: list[Level], asks: list[Level], t: int = 1, coin: str = "BTC"
) -> BookSnapshot:
    return BookSnapshot(exchange_ns=t, local_ns=t, coin=coin, bids=tuple(bids), asks=tuple(asks))


def bbo(bid: Level | None, ask: Level | None, t: int = 1, coin: str = "BTC") -> Bbo:
    return Bbo(exchange_ns=t, local_ns=t, coin=coin, bid=bid, ask=ask)


@pytest.fixture
def book() -> OrderBook:
    b = OrderBook("BTC")
    b.apply_snapshot(
        snap([(100.0, 1.0, 1), (99.0, 2.0, 2), (98.0, 3.0, 3)],
             [(101.0, 1.5, 1), (102.0, 2.5, 2), (103.0, 3.5, 3)], t=10)
    )
    return b


def test_empty_book_reads() -> None:
    b = OrderBook("ETH")
    assert b.best_bid() is None
    assert b.best_ask() is None
    assert b.mid() is None
    assert b.spread() is None
    assert b.depth() == 0.0
    assert b.levels(BID, 5) == []
    assert not b.is_crossed()
    assert not b.is_locked()


def test_snapshot_reads(book: OrderBook) -> None:
    assert book.best_bid() == (100.0, 1.0)
    assert book.best_ask() == (101.0, 1.5)
    assert book.mid() == 100.5
    assert book.spread() == 1.0
    assert book.levels(BID, 2) == [(100.0, 1.0), (99.0, 2.0)]
    assert book.levels(ASK, 10) == [(101.0, 1.5), (102.0, 2.5), (103.0, 3.5)]
    assert book.depth(2) == 1.0 + 2.0 + 1.5 + 2.5
    assert book.side_depth(ASK, 3) == 7.5
    assert book.notional_depth(1) == 100.0 * 1.0 + 101.0 * 1.5
    assert book.exchange_ns == 10
    assert book.updates == 6
    assert book.orders_at(BID, 99.0) == 2


def test_diff_insert_update_remove(book: OrderBook) -> None:
    book.apply_diff(BID, 100.5, 4.0, 1)
    assert book.best_bid() == (100.5, 4.0)
    book.apply_diff(BID, 100.5, 0.0)
    assert book.best_bid() == (100.0, 1.0)
    book.apply_diff(BID, 99.0, 7.0)
    assert book.levels(BID, 3)[1] == (99.0, 7.0)
    book.apply_diff(ASK, 102.0, 0.0)
    assert book.levels(ASK, 3) == [(101.0, 1.5), (103.0, 3.5)]


def test_removing_absent_level_changes_nothing(book: OrderBook) -> None:
    before = book.updates
    book.apply_diff(BID, 42.0, 0.0)
    book.apply_diff(BID, 100.0, 1.0, 1)  # identical level: not a change
    assert book.updates == before


def test_snapshot_changes_only_differing_levels(book: OrderBook) -> None:
    changed = book.apply_snapshot(
        snap([(100.0, 1.0, 1), (99.0, 2.5, 2), (97.0, 1.0, 1)],
             [(101.0, 1.5, 1), (102.0, 2.5, 2), (103.0, 3.5, 3)], t=20)
    )
    # 99 size changed, 98 removed, 97 added; asks identical.
    assert changed == 3
    assert book.levels(BID, 5) == [(100.0, 1.0), (99.0, 2.5), (97.0, 1.0)]


def test_snapshot_removes_levels_outside_window(book: OrderBook) -> None:
    book.apply_diff(BID, 50.0, 9.0)  # deep level the next snapshot does not show
    book.apply_snapshot(snap([(100.0, 1.0, 1)], [(101.0, 1.5, 1)], t=20))
    assert book.levels(BID, 10) == [(100.0, 1.0)]
    assert book.levels(ASK, 10) == [(101.0, 1.5)]


def test_bbo_moves_best_and_removes_crossed_levels(book: OrderBook) -> None:
    # Bid steps up through the old ask at 101: asks at or below 101.5 are gone.
    book.apply_bbo(bbo((101.5, 0.3, 1), (102.0, 0.7, 1), t=11))
    assert book.best_bid() == (101.5, 0.3)
    assert book.best_ask() == (102.0, 0.7)
    assert book.levels(ASK, 5) == [(102.0, 0.7), (103.0, 3.5)]
    assert book.levels(BID, 5)[1:] == [(100.0, 1.0), (99.0, 2.0), (98.0, 3.0)]
    assert not book.is_crossed()


def test_bbo_drop_removes_better_bids(book: OrderBook) -> None:
    book.apply_bbo(bbo((98.0, 3.0, 3), (101.0, 1.5, 1), t=11))
    assert book.levels(BID, 5) == [(98.0, 3.0)]


def test_bbo_null_side_clears_that_side(book: OrderBook) -> None:
    book.apply_bbo(bbo(None, (101.0, 1.5, 1), t=11))
    assert book.best_bid() is None
    assert book.mid() is None
    assert book.best_ask() == (101.0, 1.5)
    assert book.bbo_null_sides == 1


def test_diff_crossing_is_reported_not_raised(book: OrderBook) -> None:
    book.apply_diff(BID, 101.0, 1.0)
    assert book.is_locked()
    assert book.locked_events == 1
    book.apply_diff(BID, 102.0, 1.0)
    assert book.is_crossed()
    assert book.spread() == -1.0
    book.apply_diff(BID, 102.5, 1.0)  # still crossed: not a new event
    assert book.crossed_events == 1
    book.apply_diff(BID, 102.5, 0.0)
    book.apply_diff(BID, 102.0, 0.0)
    book.apply_diff(BID, 101.0, 0.0)
    assert not book.is_crossed()
    book.apply_diff(ASK, 99.5, 1.0)
    assert book.crossed_events == 2


@pytest.mark.parametrize(
    ("price", "size"),
    [(math.nan, 1.0), (100.0, math.nan), (-1.0, 1.0), (0.0, 1.0), (100.0, -1.0),
     (math.inf, 1.0), (100.0, math.inf)],
)
def test_bad_diff_rejected(book: OrderBook, price: float, size: float) -> None:
    before = book.levels(BID, 10), book.updates
    book.apply_diff(BID, price, size)
    assert (book.levels(BID, 10), book.updates) == before
    assert book.rejections == {"bad_level": 1}


def test_bad_snapshots_rejected_whole(book: OrderBook) -> None:
    before = book.levels(BID, 10), book.levels(ASK, 10)
    assert book.apply_snapshot(snap([(1.0, 1.0, 1)], [], t=20, coin="ETH")) == 0
    assert book.apply_snapshot(snap([(1.0, 1.0, 1)], [], t=5)) == 0
    assert book.apply_snapshot(snap([(1.0, 1.0, 1), (1.0, 2.0, 1)], [], t=20)) == 0
    assert book.apply_snapshot(snap([(1.0, 0.0, 1)], [], t=20)) == 0
    assert book.apply_snapshot(snap([], [(math.nan, 1.0, 1)], t=20)) == 0
    # NaN after smaller values: min() alone would not see it.
    assert book.apply_snapshot(snap([(2.0, 1.0, 1), (1.0, math.nan, 1)], [], t=20)) == 0
    assert book.apply_snapshot(snap([(2.0, 1.0, 1), (1.0, 5.0, 1)], [(3.0, math.inf, 1)],
                                    t=20)) == 0
    assert (book.levels(BID, 10), book.levels(ASK, 10)) == before
    assert book.rejections == {
        "wrong_coin": 1, "stale_snapshot": 1, "duplicate_price": 1, "bad_level": 4,
    }


def test_bad_bbos_rejected(book: OrderBook) -> None:
    before = book.levels(BID, 10), book.levels(ASK, 10)
    book.apply_bbo(bbo((100.0, 1.0, 1), (101.0, 1.0, 1), t=11, coin="ETH"))
    book.apply_bbo(bbo((100.0, 1.0, 1), (101.0, 1.0, 1), t=9))  # older than the snapshot
    book.apply_bbo(bbo((101.0, 1.0, 1), (101.0, 1.0, 1), t=11))
    book.apply_bbo(bbo((100.0, 0.0, 1), (101.0, 1.0, 1), t=11))
    assert (book.levels(BID, 10), book.levels(ASK, 10)) == before
    assert book.rejections == {"wrong_coin": 1, "stale_bbo": 1, "crossed_bbo": 1, "bad_level": 1}
    book.apply_bbo(bbo((100.0, 1.0, 1), (101.0, 1.0, 1), t=30))
    book.apply_bbo(bbo((100.0, 1.0, 1), (101.0, 1.0, 1), t=29))
    assert book.rejections["stale_bbo"] == 2


def test_newer_bbo_survives_older_snapshot(book: OrderBook) -> None:
    book.apply_bbo(bbo((100.5, 0.2, 1), (101.0, 1.5, 1), t=30))
    # A 20-level snapshot from an older block arrives late: the newer L1 stays on top.
    book.apply_snapshot(
        snap([(100.0, 1.0, 1), (99.0, 2.0, 2)], [(101.0, 1.5, 1), (102.0, 2.5, 2)], t=20)
    )
    assert book.best_bid() == (100.5, 0.2)
    assert book.levels(BID, 5)[1:] == [(100.0, 1.0), (99.0, 2.0)]
    # A snapshot at least as new as the bbo is applied exactly.
    book.apply_snapshot(snap([(100.0, 1.0, 1)], [(101.0, 1.5, 1)], t=30))
    assert book.levels(BID, 5) == [(100.0, 1.0)]
    assert book.exchange_ns == 30


def test_exchange_time_never_goes_back(book: OrderBook) -> None:
    book.apply_bbo(bbo((100.0, 1.0, 1), (101.0, 1.5, 1), t=50))
    book.apply_snapshot(snap([(100.0, 1.0, 1)], [(101.0, 1.5, 1)], t=40))
    assert book.exchange_ns == 50
