"""Order manager against scripted venue responses: placement, acks, fills, cancels, rejects."""

from __future__ import annotations

import re

import pytest

from hyperliquid_ofi_trader.core.events import Funding, NonUserCancel, ScheduleCancelAck
from hyperliquid_ofi_trader.core.order_state import OrderState
from hyperliquid_ofi_trader.core.records import FillReport
from hyperliquid_ofi_trader.core.stages import (
    GatewayListener,
    OrderSink,
    PrivateListener,
    Tif,
    TimerListener,
)
from hyperliquid_ofi_trader.execution.order_manager import reject_reason
from hyperliquid_ofi_trader.execution.router import OpenOrders
from hyperliquid_ofi_trader.venues.hyperliquid.common import errors as ve
from tests.order_fakes import (
    T0,
    ack,
    cancel_ack,
    failed,
    fill,
    fills,
    intent,
    make_manager,
    status,
    update,
    watch_positions,
)

S = OrderState
CLOID = re.compile(r"^0x[0-9a-f]{32}$")


def test_submit_gives_unique_cloids_and_one_place_call() -> None:
    mgr, port, _ = make_manager()
    mgr.submit(7, [intent(), intent(is_buy=False, price=2600.0, tif=Tif.IOC)])
    assert len(port.of("place")) == 1
    placed = port.placed
    assert len(placed) == 2
    assert len({p.cloid for p in placed}) == 2
    assert all(CLOID.match(p.cloid) for p in placed)
    assert all(p.decision_id == 7 for p in placed)
    assert placed[1].tif is Tif.IOC
    assert placed[1].price == 2600.0
    for p in placed:
        o = mgr.order(p.cloid)
        assert o is not None
        assert o.state is S.PENDING
        assert o.decision_id == 7


def test_cloids_carry_the_configured_prefix() -> None:
    mgr, port, _ = make_manager(cloid_prefix=0xABCDEF)
    mgr.submit(1, [intent()])
    assert port.placed[0].cloid.startswith("0x0000000000abcdef")


@pytest.mark.parametrize(("size", "price"), [(0.0, 2500.0), (-1.0, 2500.0),
                                             (1.0, float("nan")), (float("inf"), 1.0)])
def test_bad_intents_are_counted_not_sent(size: float, price: float) -> None:
    mgr, port, _ = make_manager()
    mgr.submit(1, [intent(size=size, price=price)])
    assert port.placed == []
    assert mgr.counts["invalid_intent"] == 1
    assert mgr.open_orders() == []


def test_ack_resting_then_partial_then_full_fill() -> None:
    mgr, port, _ = make_manager()
    book = watch_positions(mgr)
    seen: list[FillReport] = []
    mgr.add_fill_listener(seen.append)
    mgr.submit(3, [intent(size=1.0)])
    c = port.placed[0].cloid
    mgr.on_gateway(ack(c, "resting", oid=11))
    assert mgr.order(c).state is S.RESTING  # type: ignore[union-attr]
    mgr.on_private(fills(fill(11, tid=1, size=0.4, price=2500.0)))
    o = mgr.order(c)
    assert o is not None
    assert o.state is S.PARTIALLY_FILLED
    assert o.size == pytest.approx(0.6)
    assert mgr.resting_size("ETH", True) == pytest.approx(0.6)
    mgr.on_private(fills(fill(11, tid=2, size=0.6, price=2510.0)))
    o = mgr.order(c)
    assert o is not None
    assert o.state is S.FILLED
    assert o.avg_px == pytest.approx(0.4 * 2500 + 0.6 * 2510)
    assert mgr.open_orders() == []
    assert book.delta_from_fills("ETH") == pytest.approx(1.0)
    assert mgr.outcomes == {"Alo:filled": 1}
    assert [r.fill.tid for r in seen] == [1, 2]
    assert all(r.decision_id == 3 and r.cloid == c and r.tif is Tif.ALO for r in seen)
    assert seen[0].limit_px == 2500.0
    assert seen[0].intent_ns == T0


def test_duplicate_fills_never_double_count() -> None:
    mgr, port, _ = make_manager()
    book = watch_positions(mgr)
    seen: list[FillReport] = []
    mgr.add_fill_listener(seen.append)
    mgr.submit(1, [intent(size=2.0)])
    c = port.placed[0].cloid
    mgr.on_gateway(ack(c, oid=5))
    f = fill(5, tid=9, size=0.5)
    mgr.on_private(fills(f))
    mgr.on_private(fills(f))
    mgr.on_private(fills(f, snapshot=True))
    assert mgr.order(c).filled == pytest.approx(0.5)  # type: ignore[union-attr]
    assert book.delta_from_fills("ETH") == pytest.approx(0.5)
    assert len(seen) == 1
    # Plain re-deliveries (two streams carry every fill, snapshots repeat them) are
    # expected; a copy with different content under the same trade id is an anomaly.
    assert mgr.counts["fill_redelivered"] == 2
    assert "fill_conflict" not in mgr.counts
    mgr.on_private(fills(fill(5, tid=9, size=0.7)))
    assert mgr.counts["fill_conflict"] == 1
    assert mgr.order(c).filled == pytest.approx(0.5)  # type: ignore[union-attr]
    # Same tid on another coin is another fill.
    mgr.on_private(fills(fill(77, tid=9, size=1.0, coin="BTC", is_buy=False)))
    assert book.delta_from_fills("BTC") == pytest.approx(-1.0)


def test_fill_before_ack_by_cloid_then_ack_is_consistent() -> None:
    mgr, port, _ = make_manager()
    book = watch_positions(mgr)
    mgr.submit(1, [intent(size=1.0)])
    c = port.placed[0].cloid
    mgr.on_private(fills(fill(21, tid=1, size=0.3, cloid=c)))
    o = mgr.order(c)
    assert o is not None
    assert o.state is S.PARTIALLY_FILLED
    assert o.oid == 21
    mgr.on_gateway(ack(c, "resting", oid=21))  # late ack: must not regress
    assert mgr.order(c).state is S.PARTIALLY_FILLED  # type: ignore[union-attr]
    mgr.on_private(fills(fill(21, tid=2, size=0.7, cloid=c)))
    assert mgr.order(c).state is S.FILLED  # type: ignore[union-attr]
    assert book.delta_from_fills("ETH") == pytest.approx(1.0)


def test_fill_before_ack_without_cloid_is_linked_when_the_oid_arrives() -> None:
    mgr, port, _ = make_manager()
    book = watch_positions(mgr)
    mgr.submit(1, [intent(size=1.0)])
    c = port.placed[0].cloid
    mgr.on_private(fills(fill(31, tid=1, size=1.0)))
    assert book.delta_from_fills("ETH") == pytest.approx(1.0)
    mgr.on_gateway(ack(c, "filled", oid=31, filled=1.0, avg_px=2500.0))
    o = mgr.order(c)
    assert o is not None
    assert o.state is S.FILLED
    assert o.filled == pytest.approx(1.0)
    assert book.delta_from_fills("ETH") == pytest.approx(1.0)  # not twice
    assert mgr.counts["orphan_fill_linked"] == 1


def test_late_open_after_filled_is_ignored_and_counted() -> None:
    mgr, port, _ = make_manager()
    mgr.submit(1, [intent(size=1.0)])
    c = port.placed[0].cloid
    mgr.on_gateway(ack(c, oid=4))
    mgr.on_private(update(4, "filled", cloid=c))
    mgr.on_private(update(4, "open", cloid=c))
    assert mgr.order(c).state is S.FILLED  # type: ignore[union-attr]
    assert mgr.counts["stale_update"] == 1
    assert "news_repeated" not in mgr.counts


def test_an_answer_repeating_a_pushed_update_is_not_counted_as_out_of_order() -> None:
    # Hyperliquid's orderUpdates push often beats the post answer for the same order.
    mgr, port, _ = make_manager()
    mgr.submit(1, [intent(size=1.0)])
    c = port.placed[0].cloid
    mgr.on_private(update(4, "open", cloid=c))
    mgr.on_gateway(ack(c, oid=4))
    assert mgr.order(c).state is S.RESTING  # type: ignore[union-attr]
    assert mgr.counts["news_repeated"] == 1
    assert "stale_update" not in mgr.counts


@pytest.mark.parametrize(("text", "reason", "state"), [
    (ve.post_only_would_match("2500.1", "2500.2", asset=4), "post_only_would_match",
     S.REJECTED),
    (ve.with_asset(ve.TICK_SIZE, 4), "tick_size_violation", S.REJECTED),
    (ve.minimum_value(10, 4), "below_minimum_value", S.REJECTED),
    (ve.INSUFFICIENT_MARGIN, "insufficient_margin", S.REJECTED),
    (ve.REDUCE_ONLY_INCREASE, "reduce_only_would_increase", S.REJECTED),
    (ve.IOC_NO_MATCH, "ioc_could_not_match", S.EXPIRED),
    ("Something new the venue says", "unknown_venue_error", S.REJECTED),
])
def test_reject_texts(text: str, reason: str, state: OrderState) -> None:
    mgr, port, _ = make_manager()
    mgr.submit(1, [intent()])
    c = port.placed[0].cloid
    mgr.on_gateway(ack(c, "error", oid=None, error=text))
    o = mgr.order(c)
    assert o is not None
    assert o.state is state
    assert o.last_error == text
    assert mgr.rejects == {reason: 1}
    assert reject_reason(text) == reason


def test_ioc_partial_fill_ack_expires_the_remainder() -> None:
    mgr, port, _ = make_manager()
    mgr.submit(1, [intent(size=1.0, tif=Tif.IOC)])
    c = port.placed[0].cloid
    mgr.on_gateway(ack(c, "filled", oid=8, filled=0.25, avg_px=2500.0))
    assert mgr.order(c).state is S.EXPIRED  # type: ignore[union-attr]
    # Its fill arrives afterwards: applied, state kept.
    mgr.on_private(fills(fill(8, tid=1, size=0.25)))
    o = mgr.order(c)
    assert o is not None
    assert o.state is S.EXPIRED
    assert o.filled == pytest.approx(0.25)
    assert mgr.outcomes == {"Ioc:expired": 1}


def test_ioc_canceled_update_is_expiry() -> None:
    mgr, port, _ = make_manager()
    mgr.submit(1, [intent(tif=Tif.IOC)])
    c = port.placed[0].cloid
    mgr.on_private(update(3, "canceled", cloid=c))
    assert mgr.order(c).state is S.EXPIRED  # type: ignore[union-attr]


def test_cancel_confirmed() -> None:
    mgr, port, _ = make_manager()
    mgr.submit(1, [intent()])
    c = port.placed[0].cloid
    mgr.on_gateway(ack(c, oid=2))
    assert mgr.cancel([c, "0xnotours"]) == 1
    assert port.cancelled[0].cloid == c
    assert port.cancelled[0].oid == 2
    assert mgr.order(c).state is S.CANCEL_PENDING  # type: ignore[union-attr]
    mgr.on_gateway(cancel_ack(c))
    assert mgr.order(c).state is S.CANCELLED  # type: ignore[union-attr]
    mgr.on_gateway(cancel_ack(c))  # duplicate confirmation
    assert mgr.order(c).state is S.CANCELLED  # type: ignore[union-attr]


def test_cancel_refused_queries_and_a_racing_fill_wins() -> None:
    mgr, port, _ = make_manager()
    mgr.submit(1, [intent(size=1.0)])
    c = port.placed[0].cloid
    mgr.on_gateway(ack(c, oid=2))
    mgr.cancel([c])
    mgr.on_gateway(cancel_ack(c, ok=False, error=ve.ORDER_NOT_FOUND))
    assert mgr.order(c).state is S.UNKNOWN  # type: ignore[union-attr]
    assert port.queries[-1] == ("ETH", c, 2)
    mgr.on_gateway(status(c, "filled", oid=2))
    assert mgr.order(c).state is S.FILLED  # type: ignore[union-attr]
    assert mgr.counts["cancel_refused:order_not_found"] == 1


def test_cancel_all_cancels_every_live_order_by_cloid() -> None:
    mgr, port, _ = make_manager()
    mgr.submit(1, [intent(), intent(is_buy=False), intent(coin="BTC")])
    a, b, d = (p.cloid for p in port.placed)
    mgr.on_gateway(ack(a, oid=1))
    mgr.on_gateway(ack(b, "filled", oid=2, filled=1.0))
    mgr.cancel_all("kill switch")
    batches = port.of("cancel")
    assert len(batches) == 1
    assert {x.cloid for x in batches[0]} == {a, d}  # the pending one too, by cloid
    assert all(o.state is S.CANCEL_PENDING for o in mgr.open_orders())


def test_action_failed_transient_queries_permanent_rejects() -> None:
    mgr, port, _ = make_manager()
    mgr.submit(1, [intent(), intent()])
    a, b = (p.cloid for p in port.placed)
    mgr.on_gateway(failed([a], transient=True))
    assert mgr.order(a).state is S.UNKNOWN  # type: ignore[union-attr]
    assert port.queries == [("ETH", a, None)]
    mgr.on_gateway(failed([b], transient=False, error=ve.duplicate_nonce(5)))
    o = mgr.order(b)
    assert o is not None
    assert o.state is S.REJECTED
    assert mgr.rejects == {"nonce_rejected": 1}
    assert len(port.placed) == 2  # never re-placed


def test_non_user_cancel() -> None:
    mgr, port, _ = make_manager()
    mgr.submit(1, [intent()])
    c = port.placed[0].cloid
    mgr.on_gateway(ack(c, oid=12))
    mgr.on_private(NonUserCancel(exchange_ns=T0, local_ns=T0, cancels=(("ETH", 12),)))
    o = mgr.order(c)
    assert o is not None
    assert o.state is S.CANCELLED
    assert o.last_error == "non_user_cancel"


def test_unknown_events_are_counted_not_raised() -> None:
    mgr, _, _ = make_manager()
    mgr.on_gateway(ack("0x" + "1" * 32))
    mgr.on_gateway(status("0x" + "2" * 32, "open", oid=3))
    mgr.on_gateway(cancel_ack("0x" + "3" * 32))
    mgr.on_private(update(99, "open"))
    mgr.on_private(Funding(exchange_ns=T0, local_ns=T0, coin="ETH", usdc=1.0, size=1.0,
                           funding_rate=0.0001))
    mgr.on_gateway(ScheduleCancelAck(exchange_ns=0, local_ns=T0, time_ms=None, ok=False,
                                     error=ve.schedule_cancel_needs_volume()))
    c = mgr.counts
    assert c["ack_unknown_order"] == c["status_unknown_order"] == 1
    assert c["cancel_ack_unknown_order"] == c["update_unknown_order"] == 1
    assert c["private_ignored"] == c["schedule_cancel_refused"] == 1
    assert mgr.last_schedule_cancel is not None


def test_a_raising_port_or_listener_is_counted() -> None:
    mgr, port, _ = make_manager()

    def broken(_: FillReport) -> None:
        raise ValueError("listener bug")

    mgr.add_fill_listener(broken)
    port.fail = True
    mgr.submit(1, [intent()])
    assert mgr.counts["port_error"] == 1
    c = next(iter(o.cloid for o in mgr.open_orders()))
    port.fail = False
    mgr.on_private(fills(fill(1, tid=1, size=0.5, cloid=c)))
    assert mgr.counts["listener_error"] == 1
    assert mgr.order(c).filled == pytest.approx(0.5)  # type: ignore[union-attr]


def test_terminal_orders_are_forgotten_beyond_the_bound() -> None:
    mgr, port, _ = make_manager(max_terminal_orders=3)
    for i in range(5):
        mgr.submit(i, [intent()])
        mgr.on_gateway(ack(port.placed[-1].cloid, "error", oid=None, error=ve.INSUFFICIENT_MARGIN))
    known = [p.cloid for p in port.placed if mgr.order(p.cloid) is not None]
    assert known == [p.cloid for p in port.placed[-3:]]
    assert mgr.summary()["outcomes"] == {"Alo:rejected": 5}


def test_conforms_to_the_engine_and_router_contracts() -> None:
    # Checked by mypy (structural typing) and at run time for the runtime-visible parts.
    mgr, _, _ = make_manager()
    sink: OrderSink = mgr
    private: PrivateListener = mgr
    gateway: GatewayListener = mgr
    timer: TimerListener = mgr
    views: OpenOrders = mgr.open_orders
    assert all(x is mgr for x in (sink, private, gateway, timer))
    assert list(views("ETH")) == []
