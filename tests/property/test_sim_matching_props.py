"""Random order flows against SimVenue: our own orders never form a crossed book, never
rest through the market's opposite touch, and every account's position and balance equal
what its fills say."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hyperliquid_ofi_trader.sim.matching import ASK, BID
from hyperliquid_ofi_trader.sim.settings import SimSettings
from hyperliquid_ofi_trader.sim.venue import SimVenue
from tests.unit.sim_support import Trader, book, limit, make_venue, trade

PRICES = st.integers(99_990, 100_010)
SIZES = st.integers(1, 50).map(lambda n: n / 1000)  # 0.001 .. 0.05 BTC (>= $10)

place = st.tuples(st.just("place"), st.integers(0, 2), st.booleans(), PRICES, SIZES,
                  st.sampled_from(["Gtc", "Ioc", "Alo"]), st.booleans())
cancel = st.tuples(st.just("cancel"), st.integers(0, 2), st.integers(0, 30))
snapshot = st.tuples(st.just("book"), st.integers(99_985, 100_012), st.integers(1, 5),
                     SIZES, SIZES)
print_ = st.tuples(st.just("trade"), PRICES, SIZES, st.booleans())
steps = st.lists(st.one_of(place, place, cancel, snapshot, print_), min_size=1, max_size=30)


def _apply(venue: SimVenue, traders: list[Trader], step: tuple[Any, ...], t: int) -> None:
    kind = step[0]
    if kind == "place":
        _, who, is_buy, px, sz, tif, reduce_only = step
        traders[who].order(limit(0, is_buy, str(px), f"{sz:.3f}", tif, reduce_only))
    elif kind == "cancel":
        _, who, pick = step
        mine = [o for o in venue.live.values() if o.user == traders[who].address]
        if mine:
            order = mine[pick % len(mine)]
            traders[who].send({"type": "cancel", "cancels": [{"a": 0, "o": order.oid}]})
    elif kind == "book":
        _, bid, spread, bid_sz, ask_sz = step
        book(venue, "BTC", ((float(bid), bid_sz, 1), (float(bid - 1), 1.0, 2)),
             ((float(bid + spread), ask_sz, 1), (float(bid + spread + 1), 1.0, 2)), t)
    else:
        _, px, sz, is_buy = step
        trade(venue, "BTC", float(px), sz, is_buy, t, tid=t)


def _check_uncrossed(venue: SimVenue) -> None:
    own = list(venue.books["BTC"].orders())
    bids = [o.px for o in own if o.is_buy]
    asks = [o.px for o in own if not o.is_buy]
    if bids and asks:
        assert max(bids) < min(asks)
    cb = venue.books["BTC"]
    mkt_bid, mkt_ask = cb.market_best(BID), cb.market_best(ASK)
    if bids and mkt_ask is not None:
        assert max(bids) < mkt_ask[0]
    if asks and mkt_bid is not None:
        assert min(asks) > mkt_bid[0]
    assert all(o.sz > 0 for o in own)
    assert {o.oid for o in own} == set(venue.live)


def _check_accounts(venue: SimVenue, initial: float) -> None:
    for acc in venue.accounts.values():
        position: dict[str, float] = defaultdict(float)
        pnl_minus_fees = 0.0
        for f in acc.fills:
            position[f["coin"]] += float(f["sz"]) * (1 if f["side"] == "B" else -1)
            pnl_minus_fees += float(f["closedPnl"]) - float(f["fee"])
        for coin, pos in acc.positions.items():
            assert pos.szi == pytest.approx(position[coin], abs=1e-9)
        assert acc.balance == pytest.approx(initial + pnl_minus_fees, abs=1e-4)
        resting = sum(o.px * o.sz for o in venue.user_orders(acc.address) if not o.reduce_only)
        assert sum(acc.open_notional.values()) == pytest.approx(resting, abs=1e-6)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(steps)
def test_random_flows_keep_the_book_uncrossed_and_positions_equal_fills(
        flow: list[tuple[Any, ...]]) -> None:
    venue = make_venue(SimSettings())
    book(venue, "BTC", ((99_999.0, 0.5, 1),), ((100_001.0, 0.5, 1),))
    traders = [Trader(venue, seed) for seed in (1, 2, 3)]
    for i, step in enumerate(flow):
        _apply(venue, traders, step, 1_700_000_000_000 + i)
        _check_uncrossed(venue)
    _check_accounts(venue, venue.settings.initial_usdc)
    # pushes only ever name known channels and keys
    for channel, key, _ in venue.take_pushes():
        assert channel in {"orderUpdates", "userFills", "user", "trades"}
        assert key == "BTC" if channel == "trades" else key in venue.accounts
