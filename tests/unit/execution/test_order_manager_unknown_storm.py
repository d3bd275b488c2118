"""An order whose placement outcome is unknown (a server error that, unknown to us, never
placed it) while the strategy keeps wanting it pulled: the cancels and status queries stay
bounded and spaced, and the order is settled as never placed.

Measured before the fix (real CLI, emulator `server_error applied=no shape=garbled`, p=0.5
for 5 s): 39 placements caused 125 cancels and 127 queries; each decision re-cancelled the
unknown order, the venue answered "not found", that answer asked again ("unknownOid",
too early to conclude), and the next decision cancelled again.
"""

from __future__ import annotations

from hyperliquid_ofi_trader.core.order_state import OrderState
from hyperliquid_ofi_trader.venues.hyperliquid.common import errors as ve
from tests.order_fakes import SEC, T0, cancel_ack, failed, intent, make_manager, status

S = OrderState
MS = SEC // 1000


def test_plan_cancels_of_an_order_being_asked_about_cause_no_storm() -> None:
    mgr, port, clock = make_manager(ack_timeout_ns=5 * SEC, query_timeout_ns=2 * SEC)
    mgr.submit(1, [intent()])
    c = port.placed[0].cloid
    mgr.on_gateway(failed([c], transient=True, error="502 Bad Gateway", at=T0 + 10 * MS))
    assert mgr.order(c).state is S.UNKNOWN  # type: ignore[union-attr]
    mgr.on_gateway(status(c, "unknownOid", at=T0 + 20 * MS))  # too early to conclude
    # The strategy wants the order pulled at every decision, 300 ms apart, for 1.8 s.
    for i in range(1, 7):
        at = T0 + i * 300 * MS
        clock.advance_to(at)
        before = len(port.cancelled)
        mgr.cancel([c], decision_id=1 + i)
        for cancel in port.cancelled[before:]:  # the venue refuses each cancel sent
            mgr.on_gateway(cancel_ack(cancel.cloid, ok=False, error=ve.ORDER_NOT_FOUND,
                                      at=at + MS))
        mgr.on_gateway(status(c, "unknownOid", at=at + 2 * MS))
        mgr.on_timer(at + 3 * MS)
    assert len(port.cancelled) == 1  # one cancel by cloid; "not found" needs no repeat
    assert len(port.queries) == 2  # the failure's, the refused cancel's
    assert mgr.counts["cancel_while_asked"] == 5
    # The query's timeout cancels once more (spaced), then the order is old enough for
    # "unknownOid" to mean never placed.
    at = T0 + 6 * SEC
    clock.advance_to(at)
    mgr.on_timer(at)
    assert len(port.cancelled) == 2
    mgr.on_gateway(cancel_ack(c, ok=False, error=ve.ORDER_NOT_FOUND, at=at + MS))
    mgr.on_gateway(status(c, "unknownOid", at=at + 2 * MS))
    o = mgr.order(c)
    assert o is not None
    assert o.state is S.EXPIRED
    assert mgr.counts["never_placed"] == 1
    assert len(port.queries) == 3
    assert len(port.placed) == 1  # never re-placed


def test_an_order_the_query_finds_resting_gets_its_wanted_cancel_again() -> None:
    mgr, port, _ = make_manager(ack_timeout_ns=5 * SEC, query_timeout_ns=2 * SEC)
    mgr.submit(1, [intent()])
    c = port.placed[0].cloid
    mgr.on_gateway(failed([c], transient=True, at=T0 + 10 * MS))
    mgr.cancel([c])
    mgr.on_gateway(cancel_ack(c, ok=False, error=ve.ORDER_NOT_FOUND, at=T0 + 20 * MS))
    mgr.cancel([c])  # while asked: skipped
    assert len(port.cancelled) == 1
    mgr.on_gateway(status(c, "open", oid=9, size=1.0, at=T0 + 30 * MS))  # it landed late
    assert mgr.order(c).state is S.CANCEL_PENDING  # type: ignore[union-attr]
    assert len(port.cancelled) == 2  # the wanted cancel goes again, now that it rests
