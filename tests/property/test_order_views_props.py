"""The order manager's incremental open-order views equal a from-scratch rebuild.

`open_order_views(coin)`, `open_orders(coin)`, `resting_size` and `live_count` are served
from a per-coin index kept up to date on membership changes. Over long random sequences
of submits (two coins), acks, fills, updates, status answers, cancels, modifies,
snapshots and timers they must always equal what a full scan of every order we know
gives: the live ones of that coin, in submission order, with their current open size.
"""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hyperliquid_ofi_trader.core.order_state import is_live
from hyperliquid_ofi_trader.core.stages import Tif
from hyperliquid_ofi_trader.execution.order_records import Order
from tests.order_fakes import intent
from tests.property.test_order_manager_props import World, step

COINS = ("ETH", "BTC")


def rebuilt(w: World, coin: str) -> list[Order]:
    """Every order ever sent, in sending order, filtered to the live ones of `coin`."""
    out: list[Order] = []
    for c in w.cloids:
        o = w.mgr.order(c)
        assert o is not None
        if o.coin == coin and is_live(o.state):
            out.append(o)
    return out


def view_fields(o: object) -> tuple[object, ...]:
    return tuple(getattr(o, f) for f in ("cloid", "coin", "is_buy", "price", "size"))


def check_views(w: World) -> None:
    m = w.mgr
    total = 0
    for coin in COINS:
        want = rebuilt(w, coin)
        total += len(want)
        assert m.open_orders(coin) == want
        assert [view_fields(v) for v in m.open_order_views(coin)] == [
            view_fields(o) for o in want]
        for side in (True, False):
            expect = sum(o.size for o in want if o.is_buy == side)
            assert m.resting_size(coin, side) == expect
    assert m.live_count() == total == len(m.open_orders())
    assert [o.cloid for o in m.open_orders()] == [
        c for c in w.cloids if (o := m.order(c)) is not None and is_live(o.state)]


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), n_steps=st.integers(1, 60))
def test_open_order_views_equal_a_rebuild(data: st.DataObject, n_steps: int) -> None:
    w = World()
    for _ in range(n_steps):
        if data.draw(st.integers(0, 5)) == 0:  # a second coin shares the index
            side = data.draw(st.booleans())
            w.mgr.submit(w.submitted, [intent(coin="BTC", is_buy=side, price=60000.0,
                                              tif=data.draw(st.sampled_from(list(Tif))))])
            w.submitted += 1
        else:
            step(w, data)
        check_views(w)
        # The views are cached between membership changes: reading twice gives the
        # same answer, and reading must not change anything.
        for coin in COINS:
            assert m_views(w, coin) == m_views(w, coin)


def m_views(w: World, coin: str) -> list[tuple[object, ...]]:
    return [view_fields(v) for v in w.mgr.open_order_views(coin)]
