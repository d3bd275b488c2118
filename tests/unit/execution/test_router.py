"""ExecutionRouter decisions on hand-built books: thresholds, sizes, limits, reasons."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from hyperliquid_ofi_trader.config.loader import load_config
from hyperliquid_ofi_trader.core.events import BookSnapshot
from hyperliquid_ofi_trader.core.stages import Tif
from hyperliquid_ofi_trader.data.orderbook import OrderBook
from hyperliquid_ofi_trader.execution.router import ExecutionRouter, RouterSettings
from hyperliquid_ofi_trader.venues.hyperliquid.common.instruments import Instrument, RoundMode

ETH = Instrument(name="ETH", asset=1, sz_decimals=4, max_leverage=25)


def book(bids: list[tuple[float, float]], asks: list[tuple[float, float]]) -> OrderBook:
    b = OrderBook("ETH")
    b.apply_snapshot(BookSnapshot(exchange_ns=1, local_ns=1, coin="ETH",
                                  bids=tuple((p, s, 1) for p, s in bids),
                                  asks=tuple((p, s, 1) for p, s in asks)))
    return b


def settings(**kw: object) -> RouterSettings:
    base: dict[str, object] = {"ofi_high": 2.0, "ofi_mid": 0.5, "min_abs_alpha": 0.1,
                                   "ioc_slippage_bps": 5.0, "ioc_depth_fraction": 0.5,
                                   "max_position_usd": {"ETH": 1000.0}, "max_order_usd": 200.0,
                                   "instruments": {"ETH": ETH}}
    base.update(kw)
    return RouterSettings(**base)  # type: ignore[arg-type]


DEEP = book([(2000.0, 50.0), (1999.9, 50.0)], [(2000.1, 50.0), (2000.2, 50.0)])


@dataclass(frozen=True)
class Resting:
    coin: str
    is_buy: bool
    price: float
    size: float
    cloid: str


def router(b: OrderBook = DEEP, **kw: object) -> ExecutionRouter:
    return ExecutionRouter(settings(**kw), {"ETH": b})


def test_high_ofi_agreeing_goes_ioc_through_the_ask() -> None:
    r = router()
    (i,) = r.route("ETH", 0.5, 3.0, 0.0)
    assert i.tif is Tif.IOC
    assert i.is_buy
    assert not i.reduce_only
    assert 2000.1 <= i.price <= 2000.1 * (1 + 5e-4)
    assert i.size == pytest.approx(0.5 * 200.0 / 2000.05, abs=1e-4)
    assert r.last_reason == "ofi_high_ioc"


def test_mid_ofi_rests_post_only_at_the_touch() -> None:
    (i,) = router().route("ETH", -0.5, -1.0, 0.0)
    assert i.tif is Tif.ALO
    assert not i.is_buy
    assert i.price == 2000.1


def test_mid_ofi_of_either_sign_rests() -> None:
    (i,) = router().route("ETH", 0.5, -1.0, 0.0)
    assert i.tif is Tif.ALO
    assert i.is_buy
    assert i.price == 2000.0


@pytest.mark.parametrize(("alpha", "ofi", "code"), [
    (0.05, 3.0, "alpha_below_min"),
    (0.5, None, "no_ofi"),
    (0.5, float("nan"), "no_ofi"),
    (0.5, 0.2, "ofi_below_mid"),
    (0.5, -3.0, "ofi_opposes_alpha"),
    (float("nan"), 1.0, "invalid_input"),
])
def test_skips_carry_a_reason(alpha: float, ofi: float | None, code: str) -> None:
    r = router()
    assert r.route("ETH", alpha, ofi, 0.0) == ()
    assert r.last_reason.startswith(code + ":")
    assert r.skips == {code: 1}


def test_threshold_boundaries_are_inclusive() -> None:
    assert router().route("ETH", 0.5, 2.0, 0.0)[0].tif is Tif.IOC
    assert router().route("ETH", 0.5, 0.5, 0.0)[0].tif is Tif.ALO
    assert router().route("ETH", 0.1, 0.5, 0.0) != ()


def test_unknown_coin_is_a_skip() -> None:
    r = router()
    assert r.route("DOGE", 0.5, 1.0, 0.0) == ()
    assert r.last_reason.startswith("unknown_coin")


def test_size_never_exceeds_the_position_limit() -> None:
    # 0.45 ETH of room at ~2000 with a $1000 cap when already long 0.05 ETH short of it
    room_pos = 1000.0 / 2000.05 - 0.05
    (i,) = router(max_order_usd=1000.0).route("ETH", 1.0, 1.0, room_pos)
    assert i.size <= 0.05 + 1e-12
    assert i.size > 0


def test_at_the_limit_is_a_skip() -> None:
    r = router()
    assert r.route("ETH", 1.0, 1.0, 0.5) == ()  # 0.5 ETH is $1000: no room
    assert r.last_reason.startswith("no_room")


def test_reducing_is_reduce_only_and_never_flips() -> None:
    (i,) = router(max_order_usd=1000.0).route("ETH", -1.0, -1.0, 0.02)
    assert not i.is_buy
    assert i.reduce_only
    assert i.size == pytest.approx(0.02)
    assert i.tag == "ofi_mid_alo_reduce"


def test_below_ten_dollars_is_a_skip() -> None:
    r2 = router(min_abs_alpha=0.01)
    assert r2.route("ETH", 0.04, 1.0, 0.0) == ()  # 0.04 x $200 = $8
    assert r2.last_reason.startswith("below_min_notional")


def test_ioc_size_capped_by_depth_inside_the_limit() -> None:
    thin = book([(2000.0, 50.0)], [(2000.1, 0.02), (2000.2, 0.02), (2100.0, 50.0)])
    (i,) = router(thin).route("ETH", 1.0, 3.0, 0.0)
    assert i.tif is Tif.IOC
    assert i.size == pytest.approx(0.02)


def test_ioc_with_nothing_inside_the_limit_skips() -> None:
    gap = book([(2000.0, 50.0)], [(2000.1, 0.0001), (2100.0, 50.0)])
    r = router(gap)
    assert r.route("ETH", 1.0, 3.0, 0.0) == ()
    assert r.last_reason.startswith("no_room")


def test_resting_same_side_blocks_a_second_post_only_and_counts_toward_room() -> None:
    own = [Resting("ETH", True, 2000.0, 0.4, "0x" + "1" * 32)]
    r = ExecutionRouter(settings(), {"ETH": DEEP}, open_orders=lambda c: own)
    assert r.route("ETH", 0.5, 1.0, 0.0) == ()
    assert r.last_reason.startswith("already_resting")
    (i,) = r.route("ETH", 1.0, 3.0, 0.0)  # IOC allowed, but the resting 0.4 uses the room
    assert i.size <= 1000.0 / 2000.05 - 0.4 + 1e-9


def test_empty_book_is_a_skip() -> None:
    r = router(OrderBook("ETH"))
    assert r.route("ETH", 0.5, 3.0, 0.0) == ()
    assert r.last_reason.startswith("no_price")


def test_sizes_and_prices_are_venue_valid() -> None:
    (i,) = router().route("ETH", 0.37, 3.0, 0.0)
    assert round(i.size, 4) == i.size
    assert ETH.round_price(i.price, RoundMode.NEAREST) == i.price


def test_settings_from_the_packaged_config() -> None:
    s = RouterSettings.from_config(load_config(None))
    assert s.ofi_high > s.ofi_mid
    assert s.instruments["ETH"].sz_decimals == 4
    assert 0 < s.ioc_depth_fraction <= 1
