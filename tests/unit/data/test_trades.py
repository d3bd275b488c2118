"""TradeTape: de-duplication, rolling taker volume on exchange time, late prints, rejections."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hyperliquid_ofi_trader.core.events import Trade, Trades
from hyperliquid_ofi_trader.data.trades import TradeTape

W = 1_000  # window, ns


def tr(tid: int, t: int, size: float = 1.0, buy: bool = True, price: float = 100.0,
       coin: str = "BTC") -> Trade:
    return Trade(coin=coin, price=price, size=size, is_buy=buy, exchange_ns=t, tid=tid,
                 hash="0x")


def batch(*trades: Trade, coin: str = "BTC") -> Trades:
    t = max((x.exchange_ns for x in trades), default=0)
    return Trades(exchange_ns=t, local_ns=t, coin=coin, trades=trades)


def test_volumes_and_imbalance() -> None:
    tape = TradeTape("BTC", W)
    assert tape.imbalance() == 0.0
    assert tape.last_price is None
    n = tape.on_trades(batch(tr(1, 10, 3.0, True, 100.0), tr(2, 20, 1.0, False, 101.0)))
    assert n == 2
    assert tape.buy_volume() == 3.0
    assert tape.sell_volume() == 1.0
    assert tape.buy_notional() == 300.0
    assert tape.sell_notional() == 101.0
    assert tape.imbalance() == 0.5
    assert tape.notional_imbalance() == pytest.approx((300 - 101) / 401)
    assert tape.last_price == 101.0
    assert tape.trade_count() == 2


def test_duplicates_ignored_across_batches() -> None:
    tape = TradeTape("BTC", W)
    tape.on_trades(batch(tr(1, 10), tr(2, 20)))
    assert tape.on_trades(batch(tr(2, 20), tr(3, 30))) == 1  # resubscribe re-sends tid 2
    assert tape.buy_volume() == 3.0
    assert tape.duplicates == 1


def test_eviction_on_exchange_time() -> None:
    tape = TradeTape("BTC", W)
    tape.on_trades(batch(tr(1, 100, 2.0), tr(2, 600, 1.0, buy=False)))
    tape.on_trades(batch(tr(3, 1100, 0.5)))  # window (100, 1100]: tid 1 falls out
    assert tape.buy_volume() == 0.5
    assert tape.sell_volume() == 1.0
    tape.advance_to(1600)  # no trades, time still moves: tid 2 falls out
    assert tape.sell_volume() == 0.0
    tape.advance_to(5)  # never backwards
    assert tape.now_ns == 1600
    tape.advance_to(10_000)
    assert (tape.buy_volume(), tape.sell_volume(), tape.trade_count()) == (0.0, 0.0, 0)


def test_out_of_order_batch_and_late_print() -> None:
    tape = TradeTape("BTC", W)
    tape.on_trades(batch(tr(3, 300, 1.0), tr(1, 100, 2.0), tr(2, 200, 4.0, price=99.0)))
    assert tape.last_price == 100.0  # from tid 3, the newest, not the last in the batch
    tape.on_trades(batch(tr(4, 250, 8.0, price=98.0)))  # late but inside the window
    assert tape.last_price == 100.0
    assert tape.buy_volume() == 15.0
    tape.advance_to(1_200)  # horizon 200: tids 1 and 2 go, tid 4 (t=250) stays
    assert tape.buy_volume() == 9.0
    assert tape.on_trades(batch(tr(5, 50, 16.0))) == 1  # older than the window: no volume
    assert tape.late == 1
    assert tape.buy_volume() == 9.0


@pytest.mark.parametrize(
    "bad",
    [tr(1, 10, size=0.0), tr(1, 10, size=-1.0), tr(1, 10, price=math.nan),
     tr(1, 10, size=math.inf), tr(1, 0), tr(1, 10, coin="ETH")],
)
def test_bad_prints_rejected(bad: Trade) -> None:
    tape = TradeTape("BTC", W)
    assert tape.on_trades(batch(bad, tr(2, 20))) == 1
    assert sum(tape.rejections.values()) == 1
    assert tape.buy_volume() == 1.0


def test_wrong_coin_batch_rejected() -> None:
    tape = TradeTape("BTC", W)
    assert tape.on_trades(batch(tr(1, 10), coin="ETH")) == 0
    assert tape.rejections == {"wrong_coin": 1}


def test_dedup_memory_is_bounded() -> None:
    tape = TradeTape("BTC", 10**12, dedup_capacity=3)
    for tid in range(10):
        tape.on_trades(batch(tr(tid, 10 + tid)))
    assert len(tape._seen) == 3
    assert tape.on_trades(batch(tr(9, 19))) == 0  # recent tid still remembered


def test_bad_construction() -> None:
    with pytest.raises(ValueError, match="window"):
        TradeTape("BTC", 0)
    with pytest.raises(ValueError, match="capacity"):
        TradeTape("BTC", 1, dedup_capacity=0)


prints = st.lists(
    st.tuples(st.integers(0, 30), st.integers(1, 5000), st.floats(0.001, 10.0), st.booleans()),
    max_size=40,
)


@settings(max_examples=200, deadline=None)
@given(st.lists(prints, max_size=8))
def test_matches_brute_force(batches: list[list[tuple[int, int, float, bool]]]) -> None:
    tape = TradeTape("BTC", W)
    first: dict[int, tuple[int, float, bool]] = {}
    for b in batches:
        tape.on_trades(batch(*(tr(tid, t, sz, buy, 100.0 + tid) for tid, t, sz, buy in b)))
        for tid, t, sz, buy in sorted(b, key=lambda x: (x[1], x[0])):
            first.setdefault(tid, (t, sz, buy))
    now = max((t for t, _, _ in first.values()), default=0)
    live = [(sz, buy) for t, sz, buy in first.values() if t > now - W]
    assert tape.buy_volume() == pytest.approx(sum(sz for sz, buy in live if buy), abs=1e-9)
    assert tape.sell_volume() == pytest.approx(sum(sz for sz, buy in live if not buy), abs=1e-9)
    assert tape.trade_count() == len(live)
    assert -1.0 <= tape.imbalance() <= 1.0
    if first:
        newest = max(first.items(), key=lambda kv: (kv[1][0], kv[0]))
        assert tape.last_price == 100.0 + newest[0]
        assert tape.now_ns == newest[1][0]
