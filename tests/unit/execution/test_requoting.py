"""RequotingRouter proposes re-quotes as intents of the decision's plan and never acts;
the whole system then keeps re-quotes inside the trading state and the risk gate."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest

from hyperliquid_ofi_trader.config import load_config
from hyperliquid_ofi_trader.core.book_view import BookView
from hyperliquid_ofi_trader.core.commands import CancelOrder, ModifyOrder, PlaceOrder
from hyperliquid_ofi_trader.core.journal import JournalReader
from hyperliquid_ofi_trader.core.order_state import OrderState
from hyperliquid_ofi_trader.core.stages import (
    CancelIntent,
    ModifyIntent,
    OrderIntent,
    PlanIntent,
    Tif,
)
from hyperliquid_ofi_trader.core.state import TradingState
from hyperliquid_ofi_trader.data.orderbook import OrderBook
from hyperliquid_ofi_trader.execution.order_manager import OrderManager
from hyperliquid_ofi_trader.execution.order_records import Order
from hyperliquid_ofi_trader.execution.requoting import RequotingRouter
from hyperliquid_ofi_trader.execution.router import ExecutionRouter, RouterSettings
from hyperliquid_ofi_trader.execution.tactics import RequoteIntent, RequoteKind
from tests.order_fakes import RecordingPort, ack, make_manager
from tests.unit.core.test_engine import Rig, bbo
from tests.unit.requote_rig import SimRig, build_rig, journal_at


def _order(cloid: str, state: OrderState, *, is_buy: bool = True,
           reduce_only: bool = False) -> Order:
    return Order(cloid=cloid, oid=1, decision_id=1, coin="ETH", is_buy=is_buy, price=3000.0,
                 size=0.1, orig_size=0.1, filled=0.0, avg_px=0.0, fee=0.0, tif=Tif.ALO,
                 reduce_only=reduce_only, tag="t", state=state, created_ns=0, updated_ns=0,
                 last_error="", replaces=None, replaced_by=None)


NEW = OrderIntent(coin="ETH", is_buy=True, size=0.1, price=3000.0, tif=Tif.IOC, tag="new")


class FakeRouter:
    # The real sizing of reduce-only moves (it reads only `settings`).
    reduce_only_move_size = ExecutionRouter.reduce_only_move_size

    def __init__(self, requotes: list[RequoteIntent],
                 new: Sequence[OrderIntent] = ()) -> None:
        self._requotes = requotes
        self._new = tuple(new)
        self.last_reason = "ofi_below_mid: quiet"
        self.settings = RouterSettings.from_config(load_config(None))  # the instruments

    def requotes(self, coin: str, alpha: float,
                 position: float | None = None) -> list[RequoteIntent]:
        return self._requotes

    def route(self, coin: str, alpha: float, ofi: float | None,
              position: float) -> Sequence[OrderIntent]:
        return self._new

    def explain(self) -> dict[str, str]:
        return {"reason": self.last_reason}


class ReadOnlyOrders:
    """Only the read side: a router that tried to act on orders would raise here."""

    def __init__(self, orders: dict[str, Order]) -> None:
        self.orders = orders

    def order(self, cloid: str) -> Order | None:
        return self.orders.get(cloid)


def _rq(kind: RequoteKind, cloid: str, reason: str = "behind_touch",
        size: float = 0.06) -> RequoteIntent:
    # 0.06 x 3000.5 = $180: within the packaged max_order_usd ($200)
    return RequoteIntent(kind=kind, coin="ETH", cloid=cloid, is_buy=True, size=size,
                         new_price=3000.5, reason=reason)


def _router(orders: dict[str, Order], requotes: list[RequoteIntent],
            new: Sequence[OrderIntent] = ()) -> RequotingRouter:
    return RequotingRouter(FakeRouter(requotes, new), ReadOnlyOrders(orders))  # type: ignore[arg-type]


@pytest.mark.parametrize(("state", "kind", "expect"), [
    (OrderState.RESTING, RequoteKind.MODIFY, ModifyIntent),
    (OrderState.PARTIALLY_FILLED, RequoteKind.MODIFY, ModifyIntent),
    (OrderState.PENDING, RequoteKind.MODIFY, None),
    (OrderState.CANCEL_PENDING, RequoteKind.CANCEL, None),
    (OrderState.PENDING, RequoteKind.CANCEL, CancelIntent),
    (OrderState.RESTING, RequoteKind.CANCEL, CancelIntent),
])
def test_requotes_are_proposed_only_for_orders_that_can_take_them(
        state: OrderState, kind: RequoteKind, expect: type | None) -> None:
    router = _router({"a": _order("a", state)}, [_rq(kind, "a")])
    plan = router.route("ETH", 0.5, 1.0, 0.0)
    assert [type(i) for i in plan] == ([] if expect is None else [expect])
    assert sum(router.requoted.values()) == int(expect is not None)
    assert router.last_reason == "ofi_below_mid: quiet"


def test_a_modify_describes_the_order_as_it_would_rest() -> None:
    order = _order("a", OrderState.RESTING, is_buy=False, reduce_only=True)
    router = _router({"a": order}, [_rq(RequoteKind.MODIFY, "a", "would_cross")])
    (mod,) = router.route("ETH", -0.5, -1.0, 0.3)
    assert mod == ModifyIntent(coin="ETH", cloid="a", is_buy=False, size=0.06, price=3000.5,
                               tif=Tif.ALO, reduce_only=True, tag="requote:would_cross")


@pytest.mark.parametrize(("position", "expect"), [
    (0.3, ModifyIntent(coin="ETH", cloid="a", is_buy=False, size=0.06, price=3000.5,
                       tif=Tif.ALO, reduce_only=True, tag="requote:behind_touch")),
    # Most of the long already left by other fills: the exit moves with what is left.
    (0.05, ModifyIntent(coin="ETH", cloid="a", is_buy=False, size=0.05, price=3000.5,
                        tif=Tif.ALO, reduce_only=True, tag="requote:behind_touch")),
    # A position summed from fills is off the lot by a float hair: the move is on the lot
    # (the gate refused 0.055300000000000016 as off-lot).
    (0.0553 + 1.6e-17, ModifyIntent(coin="ETH", cloid="a", is_buy=False, size=0.0553,
                                    price=3000.5, tif=Tif.ALO, reduce_only=True,
                                    tag="requote:behind_touch")),
    # What is left is under the venue's $10 (0.003 x 3000.5 = $9.00), or nothing is left,
    # or the position is now short: a reduce-only sell cannot move, it goes.
    (0.003, CancelIntent(coin="ETH", cloid="a", tag="requote:nothing_to_reduce")),
    (0.0, CancelIntent(coin="ETH", cloid="a", tag="requote:nothing_to_reduce")),
    (-0.2, CancelIntent(coin="ETH", cloid="a", tag="requote:nothing_to_reduce")),
])
def test_a_reduce_only_move_never_exceeds_the_position(position: float,
                                                      expect: PlanIntent) -> None:
    """The gate refuses a reduce-only intent that would not reduce the position or would
    by more than it holds, so such a move is sized to the position or cancelled."""
    order = _order("a", OrderState.RESTING, is_buy=False, reduce_only=True)
    router = _router({"a": order}, [_rq(RequoteKind.MODIFY, "a")])
    (intent,) = router.route("ETH", -0.5, -1.0, position)
    assert intent == expect


def test_a_reduce_only_move_fits_max_order_usd_at_its_new_price() -> None:
    """An exit sized at $200 at its old price, moved up: the gate refused it at $200.01."""
    order = _order("a", OrderState.RESTING, is_buy=False, reduce_only=True)
    router = _router({"a": order}, [_rq(RequoteKind.MODIFY, "a", size=0.0667)])
    (intent,) = router.route("ETH", -0.5, -1.0, 0.3)
    assert isinstance(intent, ModifyIntent)
    assert intent.size == 0.0666  # 200 / 3000.5 = 0.06665..., down to the lot
    assert intent.size * intent.price <= router.router.settings.max_order_usd


def test_requotes_come_before_the_new_order_in_one_plan() -> None:
    orders = {"a": _order("a", OrderState.RESTING), "b": _order("b", OrderState.RESTING)}
    router = _router(orders, [_rq(RequoteKind.CANCEL, "a", "alpha_flipped"),
                              _rq(RequoteKind.MODIFY, "b")], new=[NEW])
    plan = router.route("ETH", 0.5, 1.0, 0.0)
    assert [type(i) for i in plan] == [CancelIntent, ModifyIntent, OrderIntent]
    assert plan[0] == CancelIntent(coin="ETH", cloid="a", tag="requote:alpha_flipped")
    assert plan[2] is NEW
    assert router.requoted == {"cancel:alpha_flipped": 1, "modify:behind_touch": 1}


def test_unknown_order_is_ignored() -> None:
    router = _router({}, [_rq(RequoteKind.CANCEL, "gone")])
    assert router.route("ETH", -0.5, -1.0, 0.0) == ()


# ---------------------------------------------------------------- engine + real router


class PlanOnlySink:
    """The order manager as a plain `OrderSink` (no `cancel_exposing`): what happens to a
    resting quote is then up to the re-quotes of each decision alone."""

    def __init__(self, orders: OrderManager) -> None:
        self.orders = orders

    def submit(self, decision_id: int, intents: Sequence[PlanIntent]) -> None:
        self.orders.submit(decision_id, intents)

    def cancel_all(self, reason: str) -> None:
        self.orders.cancel_all(reason)


def _engine_with_a_resting_quote(tmp_path: Path) -> tuple[Rig, OrderManager, RecordingPort]:
    """Engine, real re-quoting router and order manager; after it returns, a post-only buy
    that is not reduce-only rests at 2500.0 (the position is long 0.25)."""
    orders, port, _ = make_manager()
    books: dict[str, BookView] = {}
    router = RequotingRouter(ExecutionRouter(RouterSettings.from_config(load_config()), books,
                                             open_orders=orders.open_order_views), orders)
    rig = Rig(tmp_path, router=router, order_sink=PlanOnlySink(orders))
    book = rig.engine.markets["ETH"].book  # the engine's own book: the router prices on it
    assert isinstance(book, OrderBook)
    books["ETH"] = book
    rig.send(bbo("ETH", 1, 2500.0, 2500.1))  # OFI 1.5, alpha 0.6: a post-only buy
    (quote,) = port.placed
    assert (quote.tif, quote.is_buy, quote.reduce_only) == (Tif.ALO, True, False)
    orders.on_gateway(ack(quote.cloid, oid=1))
    port.calls.clear()
    return rig, orders, port


def test_the_quote_is_moved_when_active(tmp_path: Path) -> None:
    rig, _, port = _engine_with_a_resting_quote(tmp_path)
    rig.send(bbo("ETH", 2, 2500.5, 2500.6))  # 5 ticks away: re-quote
    ((mod,),) = port.of("modify")
    assert mod.replacement.price == 2500.5
    # Cited with, and journaled under, the decision that moved it (not the one that
    # placed it, decision 1).
    mover = rig.engine.last_decision_id
    assert mod.replacement.decision_id == mover == 2
    with rig.reader() as r:
        row = r.decision(mover)
    assert row is not None
    assert [(a.get("action"), a.get("cloid")) for a in row.inputs["approved"]] == [
        ("modify", mod.target_cloid)]


def test_when_reducing_the_quote_is_pulled_not_moved(tmp_path: Path) -> None:
    rig, orders, port = _engine_with_a_resting_quote(tmp_path)
    resting = orders.open_orders("ETH")[0].cloid
    rig.engine.reduce("test")
    rig.send(bbo("ETH", 2, 2500.5, 2500.6))
    assert port.of("modify") == []
    assert [c.cloid for c in port.cancelled] == [resting]
    assert [p for p in port.placed if not p.reduce_only] == []


# ---------------------------------------------------------------- the whole system

def _until_a_quote_rests(rig: SimRig, max_blocks: int = 3000) -> None:
    """Run until a post-only order that is not reduce-only rests at the venue."""
    for _ in range(max_blocks):
        rig.run_blocks(1)
        if any(o.state is OrderState.RESTING and not o.reduce_only
               for o in rig.stack.orders.open_orders()):
            return
    pytest.fail("no order came to rest")


@pytest.mark.parametrize("seed", [0, 1, 3])
def test_after_reduce_no_requote_can_add_exposure(tmp_path: Path, seed: int) -> None:
    # These seeds sent a non-reduce-only replacement of the resting quote after reduce().
    with journal_at(tmp_path) as journal:
        rig = build_rig(journal, seed)
        _until_a_quote_rests(rig)
        resting = [o.cloid for o in rig.stack.orders.open_orders() if not o.reduce_only]
        rig.engine.reduce("test")
        rig.run_blocks(600)
        rig.finish()
    after = [s for s in rig.port.sent if s.state is TradingState.REDUCING]
    assert after, "the system must still act (cancel, reduce) while reducing"
    assert [s.action for s in after if s.may_add_exposure()] == []
    # The quote was not moved, it was pulled (or it filled or was pulled before).
    assert not any(isinstance(s.action, ModifyOrder) and s.action.target_cloid in resting
                   for s in after)


def test_halted_sends_only_cancels(tmp_path: Path) -> None:
    with journal_at(tmp_path) as journal:
        rig = build_rig(journal, 0)
        _until_a_quote_rests(rig)
        rig.engine.halt("test")
        rig.run_blocks(300)
        rig.finish()
    after = [s.action for s in rig.port.sent if s.state is TradingState.HALTED]
    assert after, "halting cancels the resting quote"
    assert all(isinstance(a, CancelOrder) for a in after)


def test_a_modify_is_journaled_under_the_decision_that_moved_it(tmp_path: Path) -> None:
    with journal_at(tmp_path) as journal:
        rig = build_rig(journal, 1)
        rig.run_blocks(1200)
        rig.finish()
        journal.flush()
    mods = rig.modifies()
    assert mods, "seed 1 re-quotes within two minutes"
    placed = {a.cloid: a for s in rig.port.sent
              for a in ([s.action] if isinstance(s.action, PlaceOrder) else
                        [s.action.replacement] if isinstance(s.action, ModifyOrder) else [])}
    with JournalReader(tmp_path / "journal.sqlite") as reader:
        for mod in mods:
            assert mod.target_cloid is not None
            mover = reader.decision(mod.replacement.decision_id)
            assert mover is not None
            assert mover.outcome == "submit"
            assert {"action": "modify", "cloid": mod.target_cloid}.items() <= next(
                a for a in mover.inputs["approved"] if a.get("cloid") == mod.target_cloid
            ).items()
            # ... not under the decision that first placed the order it moves
            assert placed[mod.target_cloid].decision_id != mod.replacement.decision_id
        pulls = [s.action for s in rig.port.sent if isinstance(s.action, CancelOrder)
                 and s.action.decision_id is not None]
        assert pulls, "seed 1 pulls quotes (alpha flips or decays) within two minutes"
        for pull in pulls:
            assert pull.decision_id is not None
            puller = reader.decision(pull.decision_id)
            assert puller is not None
            assert {"action": "cancel", "cloid": pull.cloid} in [
                {k: a.get(k) for k in ("action", "cloid")} for a in puller.inputs["approved"]]


def test_entering_reducing_pulls_every_quote_that_is_not_reduce_only(tmp_path: Path) -> None:
    with journal_at(tmp_path) as journal:
        rig = build_rig(journal, 0)
        _until_a_quote_rests(rig)
        exposing = {o.cloid for o in rig.stack.orders.open_orders() if not o.reduce_only}
        before = len(rig.port.sent)
        rig.engine.reduce("test")  # no market event yet: the transition itself acts
        pulled = {s.action.cloid for s in rig.port.sent[before:]
                  if isinstance(s.action, CancelOrder)}
    assert exposing
    assert pulled == exposing
    assert rig.stack.orders.counts["cancel_exposing"] == 1
