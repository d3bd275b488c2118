"""Router and tactics properties: symmetry, never crossing, never beyond the limits."""

from __future__ import annotations

from dataclasses import dataclass

from hypothesis import given, settings
from hypothesis import strategies as st

from hyperliquid_ofi_trader.core.events import BookSnapshot
from hyperliquid_ofi_trader.core.stages import Tif
from hyperliquid_ofi_trader.data.instruments import Instrument
from hyperliquid_ofi_trader.data.orderbook import OrderBook
from hyperliquid_ofi_trader.execution.router import ExecutionRouter, RouterSettings
from hyperliquid_ofi_trader.execution.tactics import Tactics, TacticsSettings

ETH = Instrument(name="ETH", asset=1, sz_decimals=4, max_leverage=25)
TICK = 0.1
SETTINGS = RouterSettings(ofi_high=2.0, ofi_mid=0.5, min_abs_alpha=0.1, ioc_slippage_bps=5.0,
                          ioc_depth_fraction=0.5, max_position_usd={"ETH": 1000.0},
                          max_order_usd=200.0, instruments={"ETH": ETH})


@dataclass(frozen=True)
class Order:
    coin: str
    is_buy: bool
    price: float
    size: float
    cloid: str


def sym_book(mid_ticks: int, spread_ticks: int, sizes: list[float]) -> OrderBook:
    """Bids and asks mirror each other around the mid."""
    b = OrderBook("ETH")
    half = spread_ticks  # bid = m - k ticks, ask = m + k ticks: the mid stays on the grid
    bids = tuple((round((mid_ticks - half - i) * TICK, 1), s, 1) for i, s in enumerate(sizes))
    asks = tuple((round((mid_ticks + half + i) * TICK, 1), s, 1) for i, s in enumerate(sizes))
    b.apply_snapshot(BookSnapshot(exchange_ns=1, local_ns=1, coin="ETH", bids=bids, asks=asks))
    return b


books = st.builds(sym_book, st.integers(15_000, 35_000), st.integers(1, 5),
                  st.lists(st.floats(0.001, 100.0), min_size=1, max_size=10))
alphas = st.floats(-1.0, 1.0, allow_nan=False)
ofis = st.one_of(st.none(), st.floats(-5.0, 5.0, allow_nan=False))
positions = st.floats(-0.6, 0.6, allow_nan=False).map(lambda x: round(x, 4))


@settings(max_examples=200, deadline=None)
@given(books, alphas, ofis, positions)
def test_mirror_alpha_gives_the_mirrored_intent(book: OrderBook, alpha: float,
                                                ofi: float | None, pos: float) -> None:
    r = ExecutionRouter(SETTINGS, {"ETH": book})
    a = r.route("ETH", alpha, ofi, pos)
    b = r.route("ETH", -alpha, None if ofi is None else -ofi, -pos)
    assert len(a) == len(b)
    if not a:
        return
    (x,), (y,) = a, b
    bid, ask = book.best_bid(), book.best_ask()
    assert bid is not None
    assert ask is not None
    mid = (bid[0] + ask[0]) / 2
    assert x.is_buy != y.is_buy
    assert x.tif is y.tif
    assert x.reduce_only == y.reduce_only
    assert x.size == y.size
    # post-only: exactly symmetric; IOC: the tolerance is relative to different touches,
    # so tick rounding may differ by one tick
    slack = 1e-9 if x.tif is Tif.ALO else TICK * 1.01
    assert abs((x.price - mid) + (y.price - mid)) <= slack


@settings(max_examples=200, deadline=None)
@given(books, alphas, ofis, positions)
def test_intents_respect_book_and_limits(book: OrderBook, alpha: float, ofi: float | None,
                                         pos: float) -> None:
    r = ExecutionRouter(SETTINGS, {"ETH": book})
    intents = r.route("ETH", alpha, ofi, pos)
    if not intents:
        assert r.last_reason
        return
    (i,) = intents
    bid, ask = book.best_bid(), book.best_ask()
    assert bid is not None
    assert ask is not None
    if i.tif is Tif.ALO:
        assert (i.price < ask[0]) if i.is_buy else (i.price > bid[0])
    else:
        assert (ask[0] <= i.price <= ask[0] * 1.0005) if i.is_buy else (
            bid[0] * 0.9995 <= i.price <= bid[0])
    new_pos = pos + (i.size if i.is_buy else -i.size)
    mid = (bid[0] + ask[0]) / 2
    assert abs(new_pos) * mid <= 1000.0 + 1e-6 or abs(new_pos) < abs(pos)
    if i.reduce_only:
        assert abs(new_pos) < abs(pos)
        assert new_pos * pos >= 0
    assert i.size * i.price >= 10.0
    assert round(i.size, 4) == i.size


prices = st.integers(15_000, 35_000).map(lambda t: round(t * TICK, 1))


@settings(max_examples=300, deadline=None)
@given(prices, st.integers(0, 5), st.booleans(),
       st.lists(st.tuples(st.booleans(), st.integers(-10, 10)), max_size=4))
def test_post_only_never_crosses_book_or_own_orders(bid: float, spread: int, is_buy: bool,
                                                    own_spec: list[tuple[bool, int]]) -> None:
    ask = round(bid + spread * TICK, 1)
    own = [Order("ETH", b, round(bid + k * TICK, 1), 1.0, f"c{n}")
           for n, (b, k) in enumerate(own_spec) if bid + k * TICK > 0]
    t = Tactics(TacticsSettings(ioc_slippage_bps=5.0, min_abs_alpha=0.1))
    p = t.post_only_price(ETH, is_buy, bid, ask, own)
    assert p is not None
    if is_buy:
        assert p < ask
        assert all(p < o.price for o in own if not o.is_buy)
    else:
        assert p > bid
        assert all(p > o.price for o in own if o.is_buy)
    io = t.ioc_price(ETH, is_buy, bid, ask, own)
    if io is not None:
        if is_buy:
            assert all(io < o.price for o in own if not o.is_buy)
            assert io >= ask
        else:
            assert all(io > o.price for o in own if o.is_buy)
            assert io <= bid
