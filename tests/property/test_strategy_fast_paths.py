"""Fast paths of the strategy stages equal their straightforward reference computations.

Each fast path (session 2 latency work) replaced an exact computation with a cheaper one;
these properties drive both with the same random inputs and require bit-identical results:
- OrderBook's inlined top-of-book reads vs `_BookSide.best` / `best_price`;
- OrderBook's memoised top and depth, read between any writes, vs computed afresh;
- the signal stage's level depth (plain loops) vs `sum()` over the book's levels;
- lead-lag's O(1) window start after a trim vs the back-scanning `as_of`;
- the flow window advanced only when time moves vs advanced on every call;
- AlphaCombiner.explain with shared contributions of unused signals vs built every time.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import msgspec
from hypothesis import given, settings
from hypothesis import strategies as st

from hyperliquid_ofi_trader.alpha.combiner import AlphaCombiner, SignalContribution
from hyperliquid_ofi_trader.config.loader import load_config
from hyperliquid_ofi_trader.core.events import Bbo, BookSnapshot, Side
from hyperliquid_ofi_trader.data.orderbook import OrderBook
from hyperliquid_ofi_trader.regime.state import LiquidityLevel, RegimeState, VolLevel
from hyperliquid_ofi_trader.signals.aggressive_volume import AggressiveVolume
from hyperliquid_ofi_trader.signals.leadlag import _Series
from hyperliquid_ofi_trader.signals.ofi import OfiSignal

FAST = settings(max_examples=120, deadline=None)

prices = st.integers(min_value=1, max_value=40).map(float)
sizes = st.one_of(st.just(0.0), st.floats(min_value=1e-6, max_value=1e4))
diffs = st.lists(st.tuples(st.sampled_from([Side.BID, Side.ASK]), prices, sizes), max_size=60)


def _book(ops: list[tuple[Side, float, float]]) -> OrderBook:
    book = OrderBook("ETH")
    for side, price, size in ops:
        book.apply_diff(side, price, size)
    return book


def _reference_mid(book: OrderBook) -> float | None:
    bid, ask = book._sides[0].best_price(), book._sides[1].best_price()
    return None if bid is None or ask is None else (bid + ask) * 0.5


@FAST
@given(diffs)
def test_top_of_book_reads_equal_side_reads(ops: list[tuple[Side, float, float]]) -> None:
    book = _book(ops)
    assert book.best_bid() == book._sides[0].best()
    assert book.best_ask() == book._sides[1].best()
    mid, ref = book.mid(), _reference_mid(book)
    assert (mid is None and ref is None) or (mid is not None and ref is not None
                                             and mid.hex() == ref.hex())


def _fresh_depth(book: OrderBook, n: int) -> float:
    total = 0.0
    for side in book._sides:
        part = 0.0
        for key in reversed(side.keys[-n:]):
            part += side.levels[key][0]
        total += part
    return total


Op = Callable[[OrderBook, int], object]
Pair = tuple[float, float]


def _diff_op(args: tuple[Side, float, float]) -> Op:
    side, price, size = args
    return lambda book, t: book.apply_diff(side, price, size)


def _bbo_op(args: tuple[Pair | None, Pair | None]) -> Op:
    bid, ask = (None if x is None else (x[0], x[1], 1) for x in args)
    return lambda book, t: book.apply_bbo(Bbo(exchange_ns=t, local_ns=t, coin="ETH",
                                              bid=bid, ask=ask))


def _snapshot_op(args: tuple[list[Pair], list[Pair]]) -> Op:
    bids = tuple((p, q, 1) for p, q in dict(args[0]).items())  # one level per price
    asks = tuple((p + 40.0, q, 1) for p, q in dict(args[1]).items())
    return lambda book, t: book.apply_snapshot(BookSnapshot(exchange_ns=t, local_ns=t,
                                                            coin="ETH", bids=bids, asks=asks))


tops = st.one_of(st.none(), st.tuples(prices, sizes))
snapshot_side = st.lists(st.tuples(prices, st.floats(min_value=1e-6, max_value=1e4)), max_size=6)
book_ops = st.lists(st.one_of(
    st.tuples(st.sampled_from([Side.BID, Side.ASK]), prices, sizes).map(_diff_op),
    st.tuples(tops, tops).map(_bbo_op),
    st.tuples(snapshot_side, snapshot_side).map(_snapshot_op)), max_size=40)


@FAST
@given(book_ops)
def test_memoised_top_and_depth_follow_every_write(ops: list[Op]) -> None:
    book = OrderBook("ETH")
    for t, op in enumerate(ops, start=1):
        op(book, t)
        for _ in range(2):  # the second read is the memo's
            assert book.best_bid() == book._sides[0].best()
            assert book.best_ask() == book._sides[1].best()
            assert book.depth(5).hex() == _fresh_depth(book, 5).hex()
            assert book.depth(2).hex() == _fresh_depth(book, 2).hex()


@FAST
@given(st.tuples(prices, sizes), st.tuples(prices, sizes),
       st.sampled_from([0.0, -1.0, math.nan, math.inf, 1.0]))
def test_bbo_validation_equals_the_level_rule(bid: tuple[float, float], ask: tuple[float, float],
                                              poison: float) -> None:
    # The reference rule: finite positive price, finite positive size, bid below ask.
    bad_size = (bid[0], poison)
    for b in (bid, bad_size):
        book = OrderBook("ETH")
        ev = Bbo(exchange_ns=1, local_ns=1, coin="ETH", bid=(*b, 1), ask=(*ask, 1))
        valid = all(0.0 < p < math.inf and 0.0 < q < math.inf for p, q in (b, ask))
        book.apply_bbo(ev)
        if not valid:
            assert book.rejections == {"bad_level": 1}
        elif b[0] >= ask[0]:
            assert book.rejections == {"crossed_bbo": 1}
        else:
            assert book.rejections == {}
            assert book.best_bid() == b
            assert book.best_ask() == ask


_OFI = load_config().thresholds.ofi

@FAST
@given(diffs, st.integers(min_value=1, max_value=25))
def test_level_depth_equals_sum_reference(ops: list[tuple[Side, float, float]],
                                          n: int) -> None:
    book = _book(ops)
    # model_copy: n runs past the schema's 20 book levels on purpose (a deeper book view).
    coin = OfiSignal(book, _OFI.model_copy(update={"depth_levels": n}))
    total = sum(q for _, q in book.levels(Side.BID, n))
    total += sum(q for _, q in book.levels(Side.ASK, n))
    assert coin.level_depth() == total / (2 * n)


@FAST
@given(st.lists(st.integers(min_value=0, max_value=50), min_size=1, max_size=40),
       st.integers(min_value=0, max_value=2_000))
def test_window_start_after_trim_equals_back_scan(steps: list[int], back: int) -> None:
    series = _Series(1_000)
    t = 0
    for k, dt in enumerate(steps):
        t += dt
        series.push(math.log(100.0 + k), t)
        start = t - back
        series.trim(start)
        assert series.first_as_of(start) == series.as_of(start)


trades = st.lists(st.tuples(st.integers(min_value=-50, max_value=400),  # time step (ms)
                            st.floats(min_value=1e-4, max_value=50.0), st.booleans(),
                            st.booleans()),  # advance after this step?
                  max_size=60)


@FAST
@given(trades)
def test_flow_expiry_only_when_time_moves_is_exact(steps: list[tuple[int, float, bool,
                                                                      bool]]) -> None:
    guarded = AggressiveVolume(1_000_000_000)
    always = AggressiveVolume(1_000_000_000)
    last = -(1 << 62)
    t = 0
    for dt_ms, size, is_buy, advance in steps:
        t += dt_ms * 1_000_000
        guarded.on_trade(size, is_buy, t)
        always.on_trade(size, is_buy, t)
        if advance:
            ahead = t + 500_000_000
            always.advance(ahead)
            if ahead > last:  # what `AggressiveVolumeSignal.advance` does
                last = ahead
                guarded.expire(ahead)
        assert guarded.value().hex() == always.value().hex()
        assert guarded.buy_volume() == always.buy_volume()
        assert guarded.sell_volume() == always.sell_volume()


def _reference_contribution(c: AlphaCombiner, i: int) -> SignalContribution:
    used = c._status[i] == "used"
    weight = c._weights[i]
    trust = c._trusts[i] if used else math.nan
    value = c._values[i]
    return SignalContribution(name=c._names[i], status=c._status[i], value=value,
                              config_weight=weight, trust=trust,
                              contribution=weight * trust * value if used else 0.0)


class _Trust:
    def __init__(self, t: float) -> None:
        self.t = t

    def weight(self, name: str) -> float:
        return self.t


signal_values = st.one_of(st.none(), st.floats(allow_nan=True, allow_infinity=True),
                          st.just("text"))


@FAST
@given(st.lists(signal_values, min_size=4, max_size=4),
       st.floats(min_value=-0.5, max_value=1.5), st.booleans())
def test_explain_equals_reference(values: list[object], trust: float, high_vol: bool) -> None:
    names = ("ofi", "leadlag", "aggressive_volume", "microprice")
    combiner = AlphaCombiner(dict(zip(names, (0.4, 0.3, 0.2, 0.1), strict=True)),
                             trust=_Trust(trust))
    regime = RegimeState(tradable=True, liquidity=LiquidityLevel.LIQUID,
                         volatility=VolLevel.HIGH if high_vol else VolLevel.NORMAL,
                         liquidation=False)
    for _ in range(2):  # the second compute overwrites the scratch of the first
        signals = {n: v for n, v in zip(names, values, strict=True) if v is not None}
        combiner.compute(signals, regime)  # type: ignore[arg-type]
        got = combiner.explain().signals
        ref = tuple(_reference_contribution(combiner, i) for i in range(len(names)))
        assert msgspec.json.encode(got) == msgspec.json.encode(ref)
        assert all(_same(g, r) for g, r in zip(got, ref, strict=True))
        values = values[1:] + values[:1]


def _same(a: SignalContribution, b: SignalContribution) -> bool:
    fields = ("name", "status", "value", "config_weight", "trust", "contribution")
    return all(_eq(getattr(a, f), getattr(b, f)) for f in fields)


def _eq(x: object, y: object) -> bool:
    if isinstance(x, float) and isinstance(y, float):
        return x.hex() == y.hex()
    return x == y
