"""MarketState: top-of-book inputs, asset context, EWMA realised volatility on exchange time."""

from __future__ import annotations

import math

import pytest

from hyperliquid_ofi_trader.core.events import AssetCtx, Side
from hyperliquid_ofi_trader.data.market_state import MarketState
from hyperliquid_ofi_trader.data.orderbook import OrderBook

S = 1_000_000_000
HALF_LIFE = 60 * S


def quote(book: OrderBook, bid: float, ask: float) -> None:
    """Replace the top of book by one bid and one ask level."""
    for side, px in ((Side.BID, bid), (Side.ASK, ask)):
        for old, _ in book.levels(side, 100):
            book.apply_diff(side, old, 0.0)
        book.apply_diff(side, px, 1.0)


def ctx(coin: str = "BTC", mark: float = 100.0, local_ns: int = 5) -> AssetCtx:
    return AssetCtx(
        exchange_ns=0, local_ns=local_ns, coin=coin, mark_px=mark, mid_px=100.0,
        oracle_px=99.9, funding=0.0001, open_interest=1234.5, day_notional_volume=1e6,
        prev_day_px=98.0, premium=0.0002, impact_bid=99.0, impact_ask=101.0,
    )


def test_top_of_book_inputs() -> None:
    book, state = OrderBook("BTC"), MarketState("BTC", HALF_LIFE)
    assert state.volatility() is None
    book.apply_diff(Side.BID, 99.0, 2.0)
    book.apply_diff(Side.ASK, 101.0, 3.0)
    state.on_book(book, 7 * S)
    assert (state.bid_px, state.bid_sz, state.ask_px, state.ask_sz) == (99.0, 2.0, 101.0, 3.0)
    assert state.mid == 100.0
    assert state.spread() == 2.0
    assert state.book_ns == 7 * S
    assert state.volatility() is None  # one mid: no return yet


def test_constant_log_moves_give_exact_vol() -> None:
    book, state = OrderBook("BTC"), MarketState("BTC", HALF_LIFE)
    step = 0.001
    for i in range(200):
        mid = 100.0 * math.exp(step * (i % 2))  # up, down, up ...: |r| = step every second
        quote(book, mid - 0.01, mid + 0.01)
        state.on_book(book, i * S)
    vol = state.volatility()
    assert vol is not None
    assert vol == pytest.approx(step, rel=1e-3)  # per sqrt(second)
    assert state.volatility_bps() == pytest.approx(10.0, rel=1e-3)


def test_quiet_time_lowers_vol_and_bursts_raise_it() -> None:
    book, state = OrderBook("BTC"), MarketState("BTC", HALF_LIFE)
    for i in range(50):
        quote(book, 99.0 + (i % 2), 101.0 + (i % 2))
        state.on_book(book, i * S)
    base = state.volatility()
    assert base is not None
    state.on_book(book, 300 * S)  # five minutes with no movement
    quiet = state.volatility()
    assert quiet is not None
    assert quiet < base
    for _ in range(5):  # several moves within one block: dt = 0, no division by zero
        quote(book, 95.0, 97.0)
        state.on_book(book, 300 * S)
        quote(book, 99.0, 101.0)
        state.on_book(book, 300 * S)
    burst = state.volatility()
    assert burst is not None
    assert burst > quiet


def test_crossed_or_one_sided_book_gives_no_sample() -> None:
    book, state = OrderBook("BTC"), MarketState("BTC", HALF_LIFE)
    quote(book, 99.0, 101.0)
    state.on_book(book, 1 * S)
    book.apply_diff(Side.BID, 102.0, 1.0)  # crossed
    state.on_book(book, 2 * S)
    assert state.mid is None
    book.apply_diff(Side.BID, 102.0, 0.0)
    state.on_book(book, 3 * S)
    assert state.mid == 100.0
    assert state.volatility() == 0.0  # back to the same mid: the crossed one never counted
    assert state.skipped_samples == 1
    empty = OrderBook("BTC")
    state.on_book(empty, 4 * S)
    assert state.mid is None
    assert state.bid_px is None


def test_asset_ctx() -> None:
    state = MarketState("BTC", HALF_LIFE)
    state.on_asset_ctx(ctx(local_ns=42))
    assert (state.mark_px, state.oracle_px, state.funding, state.open_interest) == (
        100.0, 99.9, 0.0001, 1234.5)
    assert state.premium == 0.0002
    assert state.ctx_local_ns == 42
    state.on_asset_ctx(ctx(coin="ETH"))
    state.on_asset_ctx(ctx(mark=math.nan))
    state.on_asset_ctx(ctx(mark=-1.0))
    assert state.rejections == {"wrong_coin": 1, "bad_ctx": 2}
    assert state.mark_px == 100.0
    assert state.ctx_updates == 1
    assert state.as_dict()["open_interest"] == 1234.5


def test_wrong_coin_book_rejected() -> None:
    state = MarketState("BTC", HALF_LIFE)
    state.on_book(OrderBook("ETH"), 1)
    assert state.rejections == {"wrong_coin": 1}
    assert state.book_updates == 0
