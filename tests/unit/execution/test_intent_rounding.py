"""Intents are snapped onto the venue's lot and tick grid once, where they become commands.

Reproduced before: a re-quote of size 0.026900000000000004 (orig - filled in binary
floats) reached the gateway, which refused it for a lot-size residue.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hyperliquid_ofi_trader.execution.intent_rounding import IntentGrid, snap_price, snap_size
from hyperliquid_ofi_trader.venues.hyperliquid.common.instruments import (
    is_valid_price,
    is_valid_size,
)
from tests.order_fakes import ack, intent, make_manager

GRID = {"ETH": 4, "BTC": 5}


@pytest.mark.parametrize(("raw", "snapped"), [
    (0.026900000000000004, 0.0269),  # residues go to the lot they came from
    (0.026899999999999997, 0.0269),
    (0.02695, 0.0269),  # a real fraction of a lot rounds down: never more than approved
    (0.0269, 0.0269),
])
def test_sizes(raw: float, snapped: float) -> None:
    assert snap_size(raw, 4) == snapped


@pytest.mark.parametrize(("raw", "is_buy", "snapped"), [
    (2000.1000000000001, True, 2000.1),
    (2000.0999999999999, True, 2000.1),  # a residue below a tick is that tick, not one less
    (2000.15, True, 2000.1),  # a real half tick: a buy rounds down
    (2000.15, False, 2000.2),  # a sell up
    (105055.5, True, 105055.0),  # 5 significant figures
])
def test_prices(raw: float, is_buy: bool, snapped: float) -> None:
    assert snap_price(raw, is_buy, 4 if raw < 10_000 else 5) == snapped


@given(size=st.floats(min_value=1e-4, max_value=1e3), price=st.floats(min_value=1.0,
                                                                        max_value=2e5),
       is_buy=st.booleans())
def test_every_snapped_intent_is_on_the_grid(size: float, price: float, is_buy: bool) -> None:
    out = IntentGrid(GRID).snap("ETH", is_buy, price, size)
    if out is None:
        return
    p, s = out
    assert is_valid_price(p, 4)
    assert is_valid_size(s, 4)
    assert s <= size * (1 + 1e-9)  # never more than asked, beyond a float residue


def test_below_one_lot_or_unknown_coin() -> None:
    grid = IntentGrid(GRID)
    assert grid.snap("ETH", True, 2000.0, 0.00004) is None
    assert grid.snap("SOL", True, 1.23456789, 0.123456789) == (1.23456789, 0.123456789)


def test_the_order_manager_sends_places_and_requotes_on_the_grid() -> None:
    mgr, port, _ = make_manager(sz_decimals=GRID)
    mgr.submit(1, [intent(size=0.1 - 0.0731, price=2500.1000000000004)])  # 0.026900000000000007
    (placed,) = port.placed
    assert (placed.size, placed.price) == (0.0269, 2500.1)
    mgr.on_gateway(ack(placed.cloid))
    new = mgr.modify(placed.cloid, 2500.2999999999997, 0.1 - 0.0731)
    assert new is not None
    (modify,) = port.of("modify")[0]
    assert (modify.replacement.size, modify.replacement.price) == (0.0269, 2500.3)
    assert mgr.modify(new, 2500.0, 0.00001) is None  # below one lot: refused, counted
    assert mgr.counts["modify_refused"] == 1
