"""ExecutionRouter decisions on hand-built books: thresholds, sizes, limits, reasons."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from hyperliquid_ofi_trader.config.loader import load_config
from hyperliquid_ofi_trader.config.risk_schema import RiskLimits
from hyperliquid_ofi_trader.core.events import BookSnapshot
from hyperliquid_ofi_trader.core.stages import ModifyIntent, Tif
from hyperliquid_ofi_trader.core.state import TradingState
from hyperliquid_ofi_trader.data.orderbook import OrderBook
from hyperliquid_ofi_trader.execution.router import ExecutionRouter, RouterSettings
from hyperliquid_ofi_trader.risk.exposure import ExposureGate
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


# A resting post-only buy sized when ETH was lower: the touch moved up 4 ticks, so it is
# re-quoted; with a long of 0.42 ETH the position limit ($1000 at the 2000.05 mid) leaves
# 1000 / 2000.05 - 0.42 = 0.07998 ETH (0.0799 on the lot grid) for it, not its 0.1.
RISEN = book([(2000.0, 50.0), (1999.9, 50.0)], [(2000.1, 50.0), (2000.2, 50.0)])
STALE_BUY = Resting("ETH", True, 1999.6, 0.1, "0x" + "2" * 32)


def _requoter(own: list[Resting]) -> ExecutionRouter:
    return ExecutionRouter(settings(requote_ticks=3), {"ETH": RISEN}, open_orders=lambda c: own)


def test_a_requote_that_adds_risk_is_sized_within_the_position_limit() -> None:
    (rq,) = _requoter([STALE_BUY]).requotes("ETH", 0.8, 0.42)
    assert rq.kind.value == "modify"
    assert rq.reason == "behind_touch"
    assert rq.new_price == 2000.0
    assert rq.size == pytest.approx(0.0799)
    # The risk gate, valuing the position at the same mid, approves exactly that move and
    # refuses the unshrunk one (what it did on every decision before).
    class Long:
        account_value = 100_000.0

        def position(self, coin: str) -> float:
            return 0.42

        def coins(self) -> tuple[str, ...]:
            return ("ETH",)

    limits = RiskLimits(max_position_usd={"ETH": 1000.0}, max_total_notional_usd=2000.0,
                        max_leverage=3.0, max_order_usd=200.0, max_orders_per_minute=60)
    gate = ExposureGate(limits, Long(), lambda coin: RISEN.mid())

    def move(size: float) -> ModifyIntent:
        return ModifyIntent(coin="ETH", cloid=STALE_BUY.cloid, is_buy=True, size=size,
                            price=2000.0, tif=Tif.ALO, reduce_only=False, tag="requote")

    assert gate.check([move(rq.size)], TradingState.ACTIVE, 1).approved
    assert gate.check([move(0.1)], TradingState.ACTIVE, 2).rejected


def test_a_requote_with_no_room_left_cancels_and_one_that_fits_is_unchanged() -> None:
    # A 0.49 ETH long leaves 0.0099 ETH (~$19.80); another resting buy of 0.005 ETH counts
    # as filled, leaving 0.0049 ETH (~$9.80): under the venue's $10, so the move is a cancel.
    other = Resting("ETH", True, 1999.0, 0.005, "0x" + "3" * 32)
    (rq, _) = _requoter([STALE_BUY, other]).requotes("ETH", 0.8, 0.49)
    assert rq.kind.value == "cancel"
    assert rq.reason == "no_room"
    (rq,) = _requoter([STALE_BUY]).requotes("ETH", 0.8, 0.1)
    assert rq.kind.value == "modify"
    assert rq.size == 0.1
    # A sell that closes part of a long is never shrunk by the limit.
    sell = Resting("ETH", False, 2000.6, 0.1, "0x" + "4" * 32)
    (rq,) = _requoter([sell]).requotes("ETH", -0.8, 0.49)
    assert rq.kind.value == "modify"
    assert rq.size == 0.1
    # A buy moved up to 2000.0 must also fit max_order_usd there: 0.12 ETH ($240) moves
    # as 200 / 2000.0 = 0.1 ETH even with room under the position limit.
    big = Resting("ETH", True, 1999.6, 0.12, "0x" + "5" * 32)
    (rq,) = _requoter([big]).requotes("ETH", 0.8, 0.0)
    assert rq.kind.value == "modify"
    assert rq.size == pytest.approx(0.1)
    # Without a position (the seed's call) the requotes are what tactics proposed.
    (rq,) = _requoter([STALE_BUY]).requotes("ETH", 0.8)
    assert rq.size == 0.1
