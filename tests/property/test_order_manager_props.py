"""Random interleavings of venue news and our own commands.

Whatever order acks, fills, updates, status answers, cancel answers, failures, snapshots
and timers arrive in (duplicates included), the manager must:
- never raise (in particular never reach the illegal-transition path);
- report each fill exactly once and never double-count filled size or position;
- never bring a finished order back to life (FILLED from another terminal state is the
  only move out of a terminal state: fills are facts);
- never re-place an order (one place per submitted intent).
"""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hyperliquid_ofi_trader.core.events import Fill, NonUserCancel
from hyperliquid_ofi_trader.core.order_state import OrderState, is_live
from hyperliquid_ofi_trader.core.records import FillReport
from hyperliquid_ofi_trader.core.stages import Tif
from hyperliquid_ofi_trader.execution.order_manager import OrderManager
from hyperliquid_ofi_trader.venues.hyperliquid.common import errors as ve
from tests.order_fakes import (
    SEC,
    ack,
    cancel_ack,
    failed,
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

STATUSES = ["open", "filled", "canceled", "rejected", "unknownOid", "marginCanceled",
            "reduceOnlyCanceled", "triggered", "somethingNew"]
ERRORS = [ve.IOC_NO_MATCH, ve.post_only_would_match(1, 2), ve.INSUFFICIENT_MARGIN,
          ve.ORDER_NOT_FOUND, ve.CANNOT_MODIFY, "garbage"]
TIDS_PER_ORDER = 4
PART = 0.25  # four parts make the whole (size 1.0): the venue never overfills


class World:
    """The venue's side of the script: which cloid has which oid and which fills."""

    def __init__(self) -> None:
        self.mgr, self.port, self.clock = make_manager(ack_timeout_ns=2 * SEC,
                                                       query_timeout_ns=2 * SEC,
                                                       cancel_timeout_ns=2 * SEC)
        self.reports: list[FillReport] = []
        self.mgr.add_fill_listener(self.reports.append)
        self.book = watch_positions(self.mgr)
        self.submitted = 0
        self.sent: set[tuple[str, int]] = set()  # distinct fills delivered
        self.fill_meta: dict[tuple[str, int], Fill] = {}

    @property
    def cloids(self) -> list[str]:
        """Every cloid sent, in sending order (places and modify replacements)."""
        out: list[str] = []
        for name, arg in self.port.calls:
            if name == "place":
                out.extend(p.cloid for p in arg)
            elif name == "modify":
                out.extend(m.replacement.cloid for m in arg)
        return out

    def oid(self, cloid: str) -> int:
        return 1000 + self.cloids.index(cloid)  # stable: the list only grows at its end

    def make_fill(self, cloid: str, part: int, with_cloid: bool) -> Fill:
        oid = self.oid(cloid)
        f = fill(oid, tid=oid * 10 + part, size=PART, cloid=cloid if with_cloid else None,
                 at=self.clock.now_ns())
        self.sent.add(("ETH", f.tid))
        self.fill_meta[("ETH", f.tid)] = f
        return f


def step(w: World, data: st.DataObject) -> None:
    m: OrderManager = w.mgr
    now = w.clock.now_ns()
    kind = data.draw(st.sampled_from(["submit", "ack", "fill", "update", "status", "cancel_ack",
                                      "failed", "snapshot", "cancel", "cancel_all", "modify",
                                      "timer", "nuc"]))
    if kind == "submit" or not w.cloids:
        tif = data.draw(st.sampled_from(list(Tif)))
        m.submit(w.submitted, [intent(tif=tif)])
        w.submitted += 1
        return
    c = data.draw(st.sampled_from(w.cloids))
    oid = w.oid(c)
    if kind == "ack":
        outcome = data.draw(st.sampled_from(["resting", "filled", "error"]))
        filled = data.draw(st.sampled_from([0.0, 0.5, 1.0]))
        m.on_gateway(ack(c, outcome, oid=None if outcome == "error" else oid, filled=filled,
                         error=data.draw(st.sampled_from(ERRORS)), at=now))
    elif kind == "fill":
        part = data.draw(st.integers(0, TIDS_PER_ORDER - 1))
        f = w.make_fill(c, part, data.draw(st.booleans()))
        m.on_private(fills(f, snapshot=data.draw(st.booleans()), at=now))
    elif kind == "update":
        m.on_private(update(oid, data.draw(st.sampled_from(STATUSES)),
                            cloid=data.draw(st.sampled_from([c, None])), at=now))
    elif kind == "status":
        st_text = data.draw(st.sampled_from(STATUSES))
        m.on_gateway(status(c, st_text, oid=None if st_text == "unknownOid" else oid,
                            size=data.draw(st.sampled_from([0.0, 0.5])), at=now))
    elif kind == "cancel_ack":
        ok = data.draw(st.booleans())
        m.on_gateway(cancel_ack(c, ok=ok, error="" if ok else ve.ORDER_NOT_FOUND, at=now))
    elif kind == "failed":
        m.on_gateway(failed([c], transient=data.draw(st.booleans()),
                            error=data.draw(st.sampled_from(ERRORS)), at=now))
    elif kind == "snapshot":
        opens = [open_order(w.oid(x), x) for x in data.draw(st.sets(st.sampled_from(w.cloids)))]
        recent = [w.make_fill(x, data.draw(st.integers(0, TIDS_PER_ORDER - 1)), True)
                  for x in data.draw(st.sets(st.sampled_from(w.cloids), max_size=2))]
        m.on_gateway(snapshot(open_orders=opens, recent=recent, at=now))
    elif kind == "cancel":
        m.cancel([c])
    elif kind == "cancel_all":
        m.cancel_all("prop")
    elif kind == "modify":
        m.modify(c, 2501.0, 1.0)
    elif kind == "nuc":
        m.on_private(NonUserCancel(exchange_ns=now, local_ns=now, cancels=(("ETH", oid),)))
    else:
        w.clock.advance_to(now + data.draw(st.integers(0, 5 * SEC)))
        m.on_timer(w.clock.now_ns())


def check(w: World, before: dict[str, OrderState]) -> None:
    m = w.mgr
    keys = [(r.fill.coin, r.fill.tid) for r in w.reports]
    assert len(keys) == len(set(keys))  # each fill reported once
    assert set(keys) <= w.sent
    signed = sum(r.fill.size if r.fill.is_buy else -r.fill.size for r in w.reports)
    assert abs(w.book.delta_from_fills("ETH") - signed) < 1e-9
    for c in w.cloids:
        o = m.order(c)
        assert o is not None
        mine = [f for f in w.fill_meta.values() if f.cloid == c or f.oid == o.oid]
        assert o.filled <= sum(f.size for f in mine) + 1e-9  # never more than delivered
        assert o.filled <= 1.0 + 1e-9
        prev = before.get(c)
        if prev is not None and not is_live(prev):
            assert o.state is prev or o.state is OrderState.FILLED
    assert len(w.port.placed) == w.submitted  # never re-placed


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), n_steps=st.integers(1, 40))
def test_random_interleavings_never_raise_or_double_count(data: st.DataObject,
                                                          n_steps: int) -> None:
    w = World()
    for _ in range(n_steps):
        before: dict[str, Any] = {c: o.state for c in w.cloids
                                  if (o := w.mgr.order(c)) is not None}
        step(w, data)
        check(w, before)


@settings(max_examples=100, deadline=None)
@given(order=st.permutations(list(range(TIDS_PER_ORDER * 2))))
def test_fill_delivery_order_and_duplicates_do_not_matter(order: list[int]) -> None:
    """Every fill of one order delivered twice, in any order, around the ack."""
    w = World()
    w.mgr.submit(1, [intent()])
    c = w.cloids[0]
    for i in order:
        if i == TIDS_PER_ORDER:  # the ack lands somewhere in the stream
            w.mgr.on_gateway(ack(c, "resting", oid=w.oid(c)))
        w.mgr.on_private(fills(w.make_fill(c, i % TIDS_PER_ORDER, i % 2 == 0)))
    o = w.mgr.order(c)
    assert o is not None
    assert abs(o.filled - 1.0) < 1e-9
    assert o.state is OrderState.FILLED
    assert abs(w.book.delta_from_fills("ETH") - 1.0) < 1e-9
    assert len(w.reports) == TIDS_PER_ORDER
