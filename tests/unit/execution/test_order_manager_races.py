"""The races: lost acks, never-placed orders, modify racing fills, reconnect reconciliation."""

from __future__ import annotations

import pytest

from hyperliquid_ofi_trader.core.events import PositionSnapshot
from hyperliquid_ofi_trader.core.order_state import OrderState
from hyperliquid_ofi_trader.venues.hyperliquid.common import errors as ve
from tests.order_fakes import (
    SEC,
    T0,
    ack,
    cancel_ack,
    fill,
    fills,
    intent,
    make_manager,
    open_order,
    snapshot,
    status,
    update,
    watch_positions,
)

S = OrderState


def test_ack_timeout_then_order_found_by_cloid() -> None:
    mgr, port, _ = make_manager(ack_timeout_ns=5 * SEC)
    mgr.submit(1, [intent()])
    c = port.placed[0].cloid
    mgr.on_timer(T0 + 4 * SEC)
    assert port.queries == []
    mgr.on_timer(T0 + 5 * SEC)
    assert port.queries == [("ETH", c, None)]
    assert mgr.order(c).state is S.UNKNOWN  # type: ignore[union-attr]
    mgr.on_gateway(status(c, "open", oid=44, size=1.0, at=T0 + 6 * SEC))
    o = mgr.order(c)
    assert o is not None
    assert o.state is S.RESTING
    assert o.oid == 44
    mgr.on_timer(T0 + 60 * SEC)  # resolved: nothing more to do
    assert len(port.queries) == 1
    assert port.cancelled == []
    assert len(port.placed) == 1


def test_ack_timeout_and_venue_never_saw_it() -> None:
    mgr, port, _ = make_manager(ack_timeout_ns=5 * SEC)
    mgr.submit(1, [intent()])
    c = port.placed[0].cloid
    mgr.on_timer(T0 + 5 * SEC)
    mgr.on_gateway(status(c, "unknownOid", at=T0 + 5 * SEC + 1))
    o = mgr.order(c)
    assert o is not None
    assert o.state is S.EXPIRED
    assert mgr.counts["never_placed"] == 1
    assert len(port.placed) == 1  # never re-placed
    # It lands after all: a zombie, cancelled at once.
    mgr.on_private(update(70, "open", cloid=c, at=T0 + 9 * SEC))
    assert mgr.counts["zombie_cancel"] == 1
    assert port.cancelled[-1].cloid == c


def test_early_unknown_oid_is_not_conclusive() -> None:
    mgr, port, _ = make_manager(ack_timeout_ns=5 * SEC)
    mgr.submit(1, [intent()])
    c = port.placed[0].cloid
    mgr.on_gateway(status(c, "unknownOid", at=T0 + SEC))  # may still be in flight
    assert mgr.order(c).state is S.PENDING  # type: ignore[union-attr]
    assert mgr.counts["unknown_oid_inconclusive"] == 1


def test_query_unanswered_then_cancel_by_cloid_then_backoff() -> None:
    mgr, port, _ = make_manager(ack_timeout_ns=5 * SEC, query_timeout_ns=2 * SEC,
                                cancel_timeout_ns=3 * SEC)
    mgr.submit(1, [intent()])
    c = port.placed[0].cloid
    mgr.on_timer(T0 + 5 * SEC)
    assert len(port.queries) == 1
    mgr.on_timer(T0 + 7 * SEC)  # second timeout: cancel by cloid
    assert [x.cloid for x in port.cancelled] == [c]
    assert mgr.order(c).state is S.CANCEL_PENDING  # type: ignore[union-attr]
    mgr.on_timer(T0 + 10 * SEC)  # cancel unconfirmed: query and re-send, backoff x2
    assert len(port.queries) == 2
    assert len(port.cancelled) == 2
    mgr.on_timer(T0 + 13 * SEC)  # before the doubled deadline (10 + 6): nothing
    assert len(port.queries) == 2
    mgr.on_timer(T0 + 16 * SEC)
    assert len(port.queries) == 3
    mgr.on_gateway(status(c, "canceled", oid=3, at=T0 + 17 * SEC))
    assert mgr.order(c).state is S.CANCELLED  # type: ignore[union-attr]
    assert len(port.placed) == 1


def test_lost_cancel_is_resent_when_the_order_turns_out_live() -> None:
    mgr, port, _ = make_manager()
    mgr.submit(1, [intent()])
    c = port.placed[0].cloid
    mgr.on_gateway(ack(c, oid=9))
    mgr.cancel_all("halt")
    mgr.on_gateway(cancel_ack(c, ok=False, error="Too many cumulative requests sent"))
    assert mgr.order(c).state is S.UNKNOWN  # type: ignore[union-attr]
    mgr.on_gateway(status(c, "open", oid=9, size=1.0))
    assert mgr.order(c).state is S.CANCEL_PENDING  # type: ignore[union-attr]
    assert len(port.cancelled) == 2


def test_modify_is_cancel_and_replace_with_a_new_cloid() -> None:
    mgr, port, _ = make_manager()
    book = watch_positions(mgr)
    mgr.submit(5, [intent(size=1.0, price=2500.0)])
    old = port.placed[0].cloid
    mgr.on_gateway(ack(old, oid=100))
    new = mgr.modify(old, 2501.0, 1.0)
    assert new is not None
    assert new != old
    (mod,) = port.of("modify")[0]
    assert (mod.target_cloid, mod.target_oid) == (old, 100)
    assert mod.replacement.cloid == new
    assert mod.replacement.price == 2501.0
    assert mod.replacement.decision_id == 5
    assert mgr.order(old).state is S.CANCEL_PENDING  # type: ignore[union-attr]
    assert mgr.order(old).replaced_by == new  # type: ignore[union-attr]
    assert mgr.order(new).replaces == old  # type: ignore[union-attr]
    # A fill on the OLD oid races the modify: it still counts.
    mgr.on_private(fills(fill(100, tid=1, size=0.2)))
    assert mgr.order(old).filled == pytest.approx(0.2)  # type: ignore[union-attr]
    mgr.on_gateway(ack(new, "resting", oid=101))
    assert mgr.order(old).state is S.CANCELLED  # type: ignore[union-attr]
    assert mgr.order(new).state is S.RESTING  # type: ignore[union-attr]
    assert book.delta_from_fills("ETH") == pytest.approx(0.2)
    assert [o.cloid for o in mgr.open_orders("ETH")] == [new]


def test_modify_loses_to_a_full_fill_on_the_old_order() -> None:
    mgr, port, _ = make_manager()
    mgr.submit(1, [intent(size=1.0)])
    old = port.placed[0].cloid
    mgr.on_gateway(ack(old, oid=100))
    new = mgr.modify(old, 2501.0, 1.0)
    assert new is not None
    mgr.on_private(fills(fill(100, tid=1, size=1.0)))
    assert mgr.order(old).state is S.FILLED  # type: ignore[union-attr]
    mgr.on_gateway(ack(new, "error", oid=None, error=ve.CANNOT_MODIFY))
    assert mgr.order(new).state is S.REJECTED  # type: ignore[union-attr]
    assert mgr.order(old).state is S.FILLED  # type: ignore[union-attr]
    assert mgr.open_orders() == []


def test_failed_modify_queries_the_old_order() -> None:
    mgr, port, _ = make_manager()
    mgr.submit(1, [intent(size=1.0)])
    old = port.placed[0].cloid
    mgr.on_gateway(ack(old, oid=100))
    new = mgr.modify(old, 2499.0, 1.0)
    assert new is not None
    mgr.on_gateway(ack(new, "error", oid=None,
                       error=ve.post_only_would_match("2499", "2500")))
    assert mgr.order(old).state is S.UNKNOWN  # type: ignore[union-attr]
    assert port.queries[-1] == ("ETH", old, 100)
    mgr.on_gateway(status(old, "open", oid=100, size=1.0))
    assert mgr.order(old).state is S.RESTING  # type: ignore[union-attr]
    assert port.cancelled == []  # a modify is not a wish to cancel


def test_modify_refused_when_not_resting() -> None:
    mgr, port, _ = make_manager()
    mgr.submit(1, [intent()])
    c = port.placed[0].cloid
    assert mgr.modify(c, 2501.0, 1.0) is None  # still pending
    mgr.on_gateway(ack(c, oid=1))
    assert mgr.modify(c, -1.0, 1.0) is None
    assert mgr.modify("0xnope", 1.0, 1.0) is None
    assert mgr.counts["modify_refused"] == 3
    assert port.of("modify") == []


def test_reconcile_cancels_foreign_orders_and_queries_missing_ones() -> None:
    mgr, port, _ = make_manager()
    book = watch_positions(mgr)
    mgr.submit(1, [intent(), intent(is_buy=False)])
    a, b = (p.cloid for p in port.placed)
    mgr.on_gateway(ack(a, oid=1))
    mgr.on_gateway(ack(b, oid=2))
    missed = fill(2, tid=50, size=1.0, is_buy=False)
    snap = snapshot(open_orders=[open_order(1, a), open_order(900, None)], recent=[missed],
                    positions=[PositionSnapshot(coin="ETH", size=-1.0, entry_px=2500.0,
                                                unrealized_pnl=0.0, margin_used=10.0)])
    mgr.on_gateway(snap)
    assert mgr.order(a).state is S.RESTING  # type: ignore[union-attr]
    assert mgr.order(b).state is S.FILLED  # type: ignore[union-attr]  # the missed fill
    assert [(x.cloid, x.oid) for x in port.cancelled] == [(None, 900)]
    book.reconcile(snap)  # the account reconciler's part of the same snapshot
    assert book.estimate("ETH") == (-1.0, 2500.0)
    # The same missed fill in the userFills snapshot after resubscribing: once only.
    mgr.on_private(fills(missed, snapshot=True))
    assert book.delta_from_fills("ETH") == pytest.approx(-1.0)


def test_reconcile_queries_our_order_the_venue_does_not_show() -> None:
    mgr, port, _ = make_manager()
    mgr.submit(1, [intent()])
    c = port.placed[0].cloid
    mgr.on_gateway(ack(c, oid=1))
    mgr.on_gateway(snapshot())
    assert mgr.order(c).state is S.UNKNOWN  # type: ignore[union-attr]
    assert port.queries == [("ETH", c, 1)]


def test_reconcile_adoption() -> None:
    mgr, port, _ = make_manager(adopt_unknown_orders=True)
    mgr.on_gateway(snapshot(open_orders=[open_order(900, "0x" + "ab" * 16, size=0.4,
                                                    orig_size=1.0)]))
    (o,) = mgr.open_orders("ETH")
    assert o.cloid == "0x" + "ab" * 16
    assert o.state is S.RESTING
    assert o.size == pytest.approx(0.4)
    assert port.cancelled == []
    mgr.on_private(update(900, "canceled"))
    assert mgr.open_orders() == []


def test_no_duplicate_order_after_a_reconnect() -> None:
    mgr, port, _ = make_manager(ack_timeout_ns=2 * SEC)
    mgr.submit(1, [intent()])
    c = port.placed[0].cloid
    # The connection dropped with the ack in flight; the gateway reconnects and reconciles.
    mgr.request_reconcile()
    mgr.on_timer(T0 + 2 * SEC)
    mgr.on_gateway(snapshot(open_orders=[open_order(77, c)], at=T0 + 3 * SEC))
    o = mgr.order(c)
    assert o is not None
    assert o.state is S.RESTING
    assert o.oid == 77
    assert len(port.placed) == 1
    assert port.of("reconcile") == [None]


def test_snapshot_history_of_unknown_orders_is_not_counted() -> None:
    mgr, _, _ = make_manager()
    book = watch_positions(mgr)
    mgr.on_private(fills(fill(5, tid=1, size=3.0), snapshot=True))
    assert book.delta_from_fills("ETH") == 0.0
    assert mgr.counts["fill_historical"] == 1
    mgr.on_private(fills(fill(6, tid=2, size=1.0)))  # a live fill of a manual order
    assert book.delta_from_fills("ETH") == pytest.approx(1.0)
    assert mgr.counts["fill_foreign"] == 1


def test_refused_cancels_are_resent_with_backoff_not_in_a_storm() -> None:
    mgr, port, _ = make_manager(cancel_timeout_ns=SEC)
    mgr.submit(1, [intent()])
    c = port.placed[0].cloid
    mgr.on_gateway(ack(c, oid=9))
    mgr.cancel([c])
    for _ in range(3):  # the venue keeps refusing, the query keeps saying "open"
        mgr.on_gateway(cancel_ack(c, ok=False, error="Too many cumulative requests sent"))
        mgr.on_gateway(status(c, "open", oid=9, size=1.0))
    assert len(port.cancelled) == 2  # the first re-send is immediate, the next waits
    assert mgr.order(c).state is S.RESTING  # type: ignore[union-attr]
    mgr.on_timer(T0 + 3 * SEC)
    assert len(port.cancelled) == 2
    mgr.on_timer(T0 + 60 * SEC)
    assert len(port.cancelled) == 3
    assert mgr.order(c).state is S.CANCEL_PENDING  # type: ignore[union-attr]


def test_modify_that_did_not_take_leaves_the_old_order_resting() -> None:
    mgr, port, _ = make_manager(cancel_timeout_ns=SEC)
    mgr.submit(1, [intent()])
    old = port.placed[0].cloid
    mgr.on_gateway(ack(old, oid=100))
    new = mgr.modify(old, 2501.0, 1.0)
    assert new is not None
    mgr.on_timer(T0 + SEC)  # the modify's answer is late: ask about the old order
    assert port.queries[-1] == ("ETH", old, 100)
    mgr.on_gateway(status(old, "open", oid=100, size=1.0, at=T0 + SEC))
    assert mgr.order(old).state is S.RESTING  # type: ignore[union-attr]
    assert port.cancelled == []
    # The modify was processed after all: the old order is gone.
    mgr.on_gateway(ack(new, "resting", oid=101, at=T0 + 2 * SEC))
    assert mgr.order(old).state is S.CANCELLED  # type: ignore[union-attr]
    assert [o.cloid for o in mgr.open_orders()] == [new]
