"""CoinBook's copy of the external market: what a print, a new touch and our own taking do
to its levels (kept as the feed's tuples, best first)."""

from __future__ import annotations

from hyperliquid_ofi_trader.core.events import Trade
from hyperliquid_ofi_trader.sim.matching import ASK, BID, CoinBook, SimOrder
from hyperliquid_ofi_trader.sim.settings import CancelAttribution

BIDS = ((100.0, 1.0, 1), (99.0, 2.0, 2), (98.0, 3.0, 3))
ASKS = ((101.0, 1.0, 1), (102.0, 2.0, 2), (103.0, 3.0, 3))


def _book() -> CoinBook:
    book = CoinBook("BTC", 4, next(iter(CancelAttribution)))
    book.on_snapshot(BIDS, ASKS)
    return book


def _trade(px: float, sz: float, is_buy: bool) -> Trade:
    return Trade(coin="BTC", price=px, size=sz, is_buy=is_buy, exchange_ns=1, tid=1, hash="")


def test_snapshot_drops_empty_levels() -> None:
    book = CoinBook("BTC", 4, next(iter(CancelAttribution)))
    book.on_snapshot(((100.0, 0.0, 0), (99.0, 2.0, 2)), ())
    assert book.levels(BID, 5) == [(99.0, 2.0, 2)]
    assert book.market_best(ASK) is None


def test_print_removes_levels_it_went_through_and_depletes_its_own() -> None:
    book = _book()
    assert book.on_trades([_trade(99.0, 0.5, False)]) == []  # a sell through 100 into 99
    assert book.levels(BID, 5) == [(99.0, 1.5, 2), (98.0, 3.0, 3)]
    book.on_trades([_trade(102.0, 2.0, True)])  # takes 101 and all of 102
    assert book.levels(ASK, 5) == [(103.0, 3.0, 3)]
    book.on_trades([_trade(97.5, 1.0, False)])  # between levels: all better ones gone
    assert book.levels(BID, 5) == []


def test_new_touch_keeps_only_strictly_worse_levels() -> None:
    book = _book()
    book.on_bbo((99.0, 5.0, 4), (101.5, 0.5, 1))
    assert book.levels(BID, 5) == [(99.0, 5.0, 4), (98.0, 3.0, 3)]
    assert book.levels(ASK, 5) == [(101.5, 0.5, 1), (102.0, 2.0, 2), (103.0, 3.0, 3)]
    book.on_bbo((99.5, 0.0, 0), None)  # an empty touch size: no level there
    assert book.levels(BID, 5) == [(99.0, 5.0, 4), (98.0, 3.0, 3)]
    assert book.levels(ASK, 5) == []


def test_our_taking_depletes_the_market_front_level() -> None:
    book = _book()
    order = SimOrder(oid=1, cloid=None, user="a", coin="BTC", asset=0, is_buy=True,
                     px=102.0, sz=1.5, timestamp_ms=0, reduce_only=False, tif="Ioc")
    matches, cancels = book.take(order)
    assert [(m.px, m.sz) for m in matches] == [(101.0, 1.0), (102.0, 0.5)]
    assert cancels == []
    assert order.sz == 0.0
    assert book.levels(ASK, 5) == [(102.0, 1.5, 2), (103.0, 3.0, 3)]
