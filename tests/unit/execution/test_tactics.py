"""Tactics: post-only never crosses, IOC stays within tolerance, self-trade prevention,
re-quote decisions."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from hyperliquid_ofi_trader.execution.tactics import RequoteKind, Tactics, TacticsSettings
from hyperliquid_ofi_trader.venues.hyperliquid.common.instruments import Instrument

ETH = Instrument(name="ETH", asset=1, sz_decimals=4, max_leverage=25)
T = Tactics(TacticsSettings(ioc_slippage_bps=5.0, min_abs_alpha=0.1, requote_ticks=3))


@dataclass(frozen=True)
class Order:
    coin: str
    is_buy: bool
    price: float
    size: float
    cloid: str


def test_post_only_joins_the_touch() -> None:
    assert T.post_only_price(ETH, True, 2000.0, 2000.5) == 2000.0
    assert T.post_only_price(ETH, False, 2000.0, 2000.5) == 2000.5


def test_post_only_steps_back_when_the_book_is_locked() -> None:
    assert T.post_only_price(ETH, True, 2000.5, 2000.5) == 2000.4
    assert T.post_only_price(ETH, False, 2000.5, 2000.5) == 2000.6


def test_post_only_steps_back_when_crossed() -> None:
    assert T.post_only_price(ETH, True, 2001.0, 2000.5) == 2000.4


def test_post_only_one_side_empty() -> None:
    assert T.post_only_price(ETH, True, None, 2000.5) == 2000.4
    assert T.post_only_price(ETH, False, 2000.0, None) == 2000.1
    assert T.post_only_price(ETH, True, None, None) is None


def test_post_only_never_meets_our_own_opposite_order() -> None:
    own = [Order("ETH", False, 2000.0, 1.0, "a")]  # our sell rests at the bid?!
    assert T.post_only_price(ETH, True, 2000.0, 2000.5, own) == 1999.9


def test_orders_on_other_coins_are_ignored() -> None:
    own = [Order("BTC", False, 2000.0, 1.0, "a")]
    assert T.post_only_price(ETH, True, 2000.0, 2000.5, own) == 2000.0


def test_ioc_limit_within_tolerance_rounded_towards_the_touch() -> None:
    buy = T.ioc_price(ETH, True, 2000.0, 2000.1)
    sell = T.ioc_price(ETH, False, 2000.0, 2000.1)
    assert buy is not None
    assert sell is not None
    # 5 bps from the mid 2000.05: 2001.05 / 1999.05, rounded towards the touch.
    assert 2000.1 <= buy <= 2000.05 * 1.0005
    assert buy == 2001.0
    assert 2000.05 * 0.9995 <= sell <= 2000.0
    assert sell == 1999.1


def test_ioc_limit_of_a_wide_spread_never_pays_more_than_the_tolerance_over_the_mid() -> None:
    # Spread 4 bps (half-spread 2): 5 bps from the mid is 3 bps through the touch.
    buy = T.ioc_price(ETH, True, 2000.0, 2000.8)
    assert buy == 2001.4  # mid 2000.4 x 1.0005 = 2001.4002, rounded down
    # Wider than twice the tolerance: the touch alone.
    assert T.ioc_price(ETH, True, 2000.0, 2003.0) == 2003.0
    assert T.ioc_price(ETH, False, 2000.0, 2003.0) == 2000.0
    # One side only: from that touch.
    assert T.ioc_price(ETH, True, None, 2000.0) == 2001.0


def test_ioc_stops_below_our_own_resting_sell() -> None:
    own = [Order("ETH", False, 2000.5, 1.0, "a")]
    assert T.ioc_price(ETH, True, 2000.0, 2000.1, own) == 2000.4
    blocked = [Order("ETH", False, 2000.1, 1.0, "a")]
    assert T.ioc_price(ETH, True, 2000.0, 2000.1, blocked) is None


def test_ioc_needs_the_opposite_side() -> None:
    assert T.ioc_price(ETH, True, 2000.0, None) is None
    assert T.ioc_price(ETH, False, None, 2000.0) is None


def test_requote_cancels_on_flip_and_decay() -> None:
    own = [Order("ETH", True, 2000.0, 0.1, "b1")]
    (flip,) = T.requote(ETH, -0.5, 2000.0, 2000.1, own)
    assert flip.kind is RequoteKind.CANCEL
    assert flip.reason == "alpha_flipped"
    (decay,) = T.requote(ETH, 0.05, 2000.0, 2000.1, own)
    assert decay.kind is RequoteKind.CANCEL
    assert decay.reason == "alpha_decayed"


def test_requote_keeps_an_order_at_the_touch() -> None:
    own = [Order("ETH", True, 2000.0, 0.1, "b1")]
    assert T.requote(ETH, 0.5, 2000.0, 2000.1, own) == []


def test_requote_moves_an_order_left_behind() -> None:
    own = [Order("ETH", True, 1999.6, 0.1, "b1")]
    (m,) = T.requote(ETH, 0.5, 2000.0, 2000.1, own)
    assert m.kind is RequoteKind.MODIFY
    assert m.new_price == 2000.0
    assert m.reason == "behind_touch"
    close = [Order("ETH", True, 1999.8, 0.1, "b1")]  # 2 ticks behind: within tolerance
    assert T.requote(ETH, 0.5, 2000.0, 2000.1, close) == []


def test_requote_pulls_back_an_order_the_book_now_crosses() -> None:
    own = [Order("ETH", False, 2000.0, 0.1, "s1")]
    (m,) = T.requote(ETH, -0.5, 2000.0, 2000.5, own)
    assert m.kind is RequoteKind.MODIFY
    assert m.reason == "would_cross"
    assert m.new_price > 2000.0


def test_requote_pulls_a_remainder_too_small_to_move() -> None:
    # 0.004 ETH left after partial fills: $8 at the new price, under the venue's $10.
    own = [Order("ETH", True, 1999.6, 0.004, "b1")]
    (m,) = T.requote(ETH, 0.5, 2000.0, 2000.1, own)
    assert m.kind is RequoteKind.CANCEL
    assert m.reason == "below_min_value"
    crossing = [Order("ETH", False, 2000.0, 0.004, "s1")]
    (c,) = T.requote(ETH, -0.5, 2000.0, 2000.5, crossing)
    assert (c.kind, c.reason) == (RequoteKind.CANCEL, "below_min_value")


def test_settings_validate() -> None:
    with pytest.raises(ValueError, match="ioc_slippage_bps"):
        TacticsSettings(ioc_slippage_bps=0.0, min_abs_alpha=0.1)
    with pytest.raises(ValueError, match="min_abs_alpha"):
        TacticsSettings(ioc_slippage_bps=1.0, min_abs_alpha=1.0)
