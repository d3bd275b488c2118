"""Restart recovery from the store: no cloid reuse, unknown fates queried, fills once."""

from __future__ import annotations

from pathlib import Path

import pytest

from hyperliquid_ofi_trader.core.clock import ReplayClock
from hyperliquid_ofi_trader.core.order_state import OrderState
from hyperliquid_ofi_trader.execution.order_store import OrderStore
from tests.order_fakes import (
    SEC,
    T0,
    ack,
    fill,
    fills,
    intent,
    make_manager,
    open_order,
    snapshot,
    status,
    watch_positions,
)

S = OrderState


def test_restart_restores_live_orders_and_never_reuses_a_cloid(tmp_path: Path) -> None:
    db = tmp_path / "j.sqlite"
    store = OrderStore(db)
    mgr, port, _ = make_manager(store, cloid_block=4)
    mgr.submit(1, [intent(), intent(is_buy=False), intent(coin="BTC", price=60000.0)])
    resting, filled, pending = (p.cloid for p in port.placed)
    mgr.on_gateway(ack(resting, oid=1))
    mgr.on_gateway(ack(filled, "filled", oid=2, filled=1.0))
    mgr.on_private(fills(fill(2, tid=7, size=1.0, is_buy=False)))
    mgr.flush()
    store.close()

    # Same replay clock time: only the persisted reservation keeps cloids apart.
    store2 = OrderStore(db)
    mgr2, port2, _ = make_manager(store2, clock=ReplayClock(T0), cloid_block=4)
    live = {o.cloid: o.state for o in mgr2.open_orders()}
    assert live == {resting: S.RESTING, pending: S.UNKNOWN}
    assert mgr2.order(resting).oid == 1  # type: ignore[union-attr]
    mgr2.submit(2, [intent()])
    counter = int(port2.placed[0].cloid[18:], 16)
    assert counter > max(int(c[18:], 16) for c in (resting, filled, pending))
    store2.close()


def test_pending_at_crash_is_queried_never_replaced(tmp_path: Path) -> None:
    db = tmp_path / "j.sqlite"
    store = OrderStore(db)
    mgr, port, _ = make_manager(store)
    mgr.submit(1, [intent()])
    c = port.placed[0].cloid
    mgr.flush()  # then the process dies before any answer

    store2 = OrderStore(db)
    mgr2, port2, clock2 = make_manager(store2, clock=ReplayClock(T0 + 60 * SEC))
    mgr2.on_timer(clock2.now_ns())
    assert port2.queries == [("ETH", c, None)]
    assert port2.placed == []
    mgr2.on_gateway(status(c, "unknownOid", at=T0 + 61 * SEC))
    assert mgr2.order(c).state is S.EXPIRED  # type: ignore[union-attr]
    assert port2.placed == []
    store2.close()


def test_fills_seen_before_restart_are_not_counted_again(tmp_path: Path) -> None:
    db = tmp_path / "j.sqlite"
    store = OrderStore(db)
    mgr, port, _ = make_manager(store)
    mgr.submit(1, [intent(size=2.0)])
    c = port.placed[0].cloid
    mgr.on_gateway(ack(c, oid=3))
    first = fill(3, tid=1, size=0.5, cloid=c)
    mgr.on_private(fills(first))
    mgr.flush()

    store2 = OrderStore(db)
    mgr2, _, _ = make_manager(store2)
    book2 = watch_positions(mgr2)
    missed = fill(3, tid=2, size=0.5, cloid=c)  # happened while we were down
    mgr2.on_gateway(snapshot(open_orders=[open_order(3, c, size=1.0, orig_size=2.0)],
                             recent=[first, missed]))
    o = mgr2.order(c)
    assert o is not None
    assert o.filled == pytest.approx(1.0)
    assert o.state is S.PARTIALLY_FILLED
    assert book2.delta_from_fills("ETH") == pytest.approx(0.5)
    mgr2.flush()
    assert len(store2.load_fills(c)) == 2
    assert store2.load_fills(c)[1].decision_id == 1
    store2.close()


def test_cancel_pending_at_crash_is_resent_on_the_first_timer(tmp_path: Path) -> None:
    db = tmp_path / "j.sqlite"
    store = OrderStore(db)
    mgr, port, _ = make_manager(store)
    mgr.submit(1, [intent()])
    c = port.placed[0].cloid
    mgr.on_gateway(ack(c, oid=8))
    mgr.cancel_all("halt")
    mgr.flush()

    store2 = OrderStore(db)
    mgr2, port2, clock2 = make_manager(store2)
    mgr2.on_timer(clock2.now_ns())
    assert port2.queries == [("ETH", c, 8)]
    assert [(x.cloid, x.oid) for x in port2.cancelled] == [(c, 8)]
    store2.close()
