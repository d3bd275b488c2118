"""Property tests: the incremental book equals a naive reference book (plain dicts + sort)
after every operation of random sequences of diffs, snapshots and bbos."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from hypothesis import given, settings
from hypothesis import strategies as st

from hyperliquid_ofi_trader.core.events import Bbo, BookSnapshot, Level, Side
from hyperliquid_ofi_trader.data.orderbook import OrderBook

COIN = "BTC"


@dataclass
class NaiveBook:
    """The obvious implementation: two dicts, sorted on every read, rules spelled out."""

    bids: dict[float, float] = field(default_factory=dict)
    asks: dict[float, float] = field(default_factory=dict)
    snap_t: int = -1
    bbo_t: int = -1
    last_bbo: Bbo | None = None

    def diff(self, side: Side, price: float, size: float) -> None:
        if not (math.isfinite(price) and math.isfinite(size) and price > 0 and size >= 0):
            return
        book = self.bids if side is Side.BID else self.asks
        if size == 0:
            book.pop(price, None)
        else:
            book[price] = size

    def snapshot(self, s: BookSnapshot) -> None:
        if s.exchange_ns < self.snap_t:
            return
        for lv in (s.bids, s.asks):
            if any(not (math.isfinite(p) and p > 0 and 0 < z < math.inf) for p, z, _ in lv):
                return
            if len({p for p, _, _ in lv}) != len(lv):
                return
        self.bids = {p: z for p, z, _ in s.bids}
        self.asks = {p: z for p, z, _ in s.asks}
        self.snap_t = s.exchange_ns
        if self.last_bbo is not None and self.last_bbo.exchange_ns > s.exchange_ns:
            self.l1(self.last_bbo)

    def bbo(self, b: Bbo) -> None:
        if b.exchange_ns < max(self.bbo_t, self.snap_t):
            return
        if b.bid is not None and b.ask is not None and b.bid[0] >= b.ask[0]:
            return
        self.bbo_t = b.exchange_ns
        self.last_bbo = b
        self.l1(b)

    def l1(self, b: Bbo) -> None:
        if b.bid is None:
            self.bids = {}
        else:
            p = b.bid[0]
            self.bids = {q: z for q, z in self.bids.items() if q <= p}
            self.asks = {q: z for q, z in self.asks.items() if q > p}
            self.bids[p] = b.bid[1]
        if b.ask is None:
            self.asks = {}
        else:
            p = b.ask[0]
            self.asks = {q: z for q, z in self.asks.items() if q >= p}
            self.bids = {q: z for q, z in self.bids.items() if q < p}
            self.asks[p] = b.ask[1]

    def side(self, side: Side) -> list[tuple[float, float]]:
        if side is Side.BID:
            return sorted(self.bids.items(), reverse=True)
        return sorted(self.asks.items())


prices = st.integers(min_value=180, max_value=220).map(lambda i: i / 2)
sizes = st.sampled_from([0.0, 0.001, 0.5, 1.0, 2.25, 10.0])
pos_sizes = st.sampled_from([0.001, 0.5, 1.0, 2.25, 10.0])
bad = st.sampled_from([math.nan, math.inf, -1.0])
level = st.tuples(prices, pos_sizes, st.integers(min_value=1, max_value=5))
times = st.integers(min_value=0, max_value=8)  # narrow: equal times must occur


@st.composite
def snapshots(draw: st.DrawFn) -> BookSnapshot:
    bid_px = sorted(set(draw(st.lists(prices, max_size=8))), reverse=True)
    ask_px = sorted(set(draw(st.lists(prices, max_size=8))))
    bids = tuple((p, draw(pos_sizes), 1) for p in bid_px)
    asks = tuple((p, draw(pos_sizes), 1) for p in ask_px)
    if draw(st.booleans()) and bids:  # sometimes a duplicate, which must be rejected
        bids = (*bids, bids[0])
    if draw(st.integers(0, 5)) == 0 and asks:  # sometimes a garbage value, anywhere
        i = draw(st.integers(0, len(asks) - 1))
        value = draw(st.sampled_from([math.nan, math.inf, -math.inf, 0.0, -1.0]))
        field = draw(st.integers(0, 1))
        bad_level = (value, asks[i][1], 1) if field == 0 else (asks[i][0], value, 1)
        asks = (*asks[:i], bad_level, *asks[i + 1:])
    t = draw(times)
    return BookSnapshot(exchange_ns=t, local_ns=t, coin=COIN, bids=bids, asks=asks)


@st.composite
def bbos(draw: st.DrawFn) -> Bbo:
    bid: Level | None = draw(st.one_of(st.none(), level))
    ask: Level | None = draw(st.one_of(st.none(), level))
    t = draw(times)
    return Bbo(exchange_ns=t, local_ns=t, coin=COIN, bid=bid, ask=ask)


diffs = st.tuples(st.sampled_from([Side.BID, Side.ASK]), st.one_of(prices, bad),
                  st.one_of(sizes, bad))
ops = st.lists(st.one_of(diffs, snapshots(), bbos()), min_size=1, max_size=40)


def assert_same(book: OrderBook, ref: NaiveBook) -> None:
    for side in (Side.BID, Side.ASK):
        want = ref.side(side)
        assert book.levels(side, 1000) == want
        assert book.side_depth(side, 3) == sum(z for _, z in want[:3])
        best = book.best_bid() if side is Side.BID else book.best_ask()
        assert best == (want[0] if want else None)
    bb, ba = ref.side(Side.BID), ref.side(Side.ASK)
    crossed = bool(bb and ba and bb[0][0] > ba[0][0])
    assert book.is_crossed() == crossed
    assert book.is_locked() == bool(bb and ba and bb[0][0] == ba[0][0])
    if bb and ba:
        assert book.mid() == (bb[0][0] + ba[0][0]) / 2


@settings(max_examples=300, deadline=None)
@given(ops)
def test_book_matches_naive_reference(sequence: list[object]) -> None:
    book, ref = OrderBook(COIN), NaiveBook()
    for op in sequence:
        if isinstance(op, BookSnapshot):
            book.apply_snapshot(op)
            ref.snapshot(op)
        elif isinstance(op, Bbo):
            book.apply_bbo(op)
            ref.bbo(op)
        else:
            assert isinstance(op, tuple)
            side, price, size = op
            book.apply_diff(side, price, size)
            ref.diff(side, price, size)
        assert_same(book, ref)


@settings(max_examples=200, deadline=None)
@given(st.lists(snapshots(), min_size=1, max_size=15))
def test_snapshot_return_counts_changed_levels(seq: list[BookSnapshot]) -> None:
    book = OrderBook(COIN)
    for s in seq:
        before = {side: dict(book.levels(side, 1000)) for side in (Side.BID, Side.ASK)}
        changed = book.apply_snapshot(s)
        after = {side: dict(book.levels(side, 1000)) for side in (Side.BID, Side.ASK)}
        # Orders counts are all 1 here, so a level changed iff its size changed or it (dis)appeared.
        expected = sum(
            before[side].get(p) != after[side].get(p)
            for side in (Side.BID, Side.ASK)
            for p in before[side].keys() | after[side].keys()
        )
        assert changed == expected


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(diffs, bbos()), max_size=40))
def test_bbo_leaves_book_uncrossed(sequence: list[object]) -> None:
    """Whatever diffs did before, an accepted bbo with both sides leaves the book uncrossed."""
    book = OrderBook(COIN)
    for op in sequence:
        if isinstance(op, Bbo):
            accepted_before = book.bbos
            book.apply_bbo(op)
            if book.bbos > accepted_before and op.bid is not None and op.ask is not None:
                assert not book.is_crossed()
                assert not book.is_locked()
                assert book.best_bid() == op.bid[:2]
                assert book.best_ask() == op.ask[:2]
        else:
            assert isinstance(op, tuple)
            book.apply_diff(*op)
