"""The order manager executes an approved plan: cancels, then modifies, then places, every
action citing the decision that produced the plan."""

from __future__ import annotations

from hyperliquid_ofi_trader.core.order_state import OrderState
from hyperliquid_ofi_trader.core.stages import CancelIntent, ModifyIntent, Tif
from hyperliquid_ofi_trader.execution.order_manager import OrderManager
from tests.order_fakes import RecordingPort, ack, intent, make_manager

S = OrderState


def _resting(mgr: OrderManager, port: RecordingPort, decision_id: int, oid: int,
             **kw: object) -> str:
    mgr.submit(decision_id, [intent(**kw)])  # type: ignore[arg-type]
    cloid = port.placed[-1].cloid
    mgr.on_gateway(ack(cloid, oid=oid))
    return cloid


def _move(cloid: str, price: float = 2501.0, *, is_buy: bool = True,
          reduce_only: bool = False, tif: Tif = Tif.ALO) -> ModifyIntent:
    return ModifyIntent(coin="ETH", cloid=cloid, is_buy=is_buy, size=1.0, price=price,
                        tif=tif, reduce_only=reduce_only, tag="requote:behind_touch")


def test_a_plan_runs_cancels_then_modifies_then_places_under_its_decision() -> None:
    mgr, port, _ = make_manager()
    a = _resting(mgr, port, 1, 100)
    b = _resting(mgr, port, 2, 101)
    port.calls.clear()
    mgr.submit(9, [intent(tag="new"), _move(b), CancelIntent(coin="ETH", cloid=a, tag="x")])
    assert [name for name, _ in port.calls] == ["cancel", "modify", "place"]
    ((cancel,),) = port.of("cancel")
    assert (cancel.cloid, cancel.decision_id) == (a, 9)
    ((mod,),) = port.of("modify")
    assert mod.target_cloid == b
    assert mod.replacement.decision_id == 9  # the moving decision, not decision 2
    assert mgr.order(mod.replacement.cloid).decision_id == 9  # type: ignore[union-attr]
    (placed,) = port.placed
    assert placed.decision_id == 9
    assert mgr.counts["plan_cancel"] == 1


def test_a_modify_that_misdescribes_its_order_is_refused() -> None:
    mgr, port, _ = make_manager()
    cloid = _resting(mgr, port, 1, 100)
    port.calls.clear()
    # Claiming reduce-only (to pass a REDUCING state) for an order that is not must not
    # re-arm the order as it is; nor may a move change side or TIF.
    for bad in (_move(cloid, reduce_only=True), _move(cloid, is_buy=False),
                _move(cloid, tif=Tif.GTC)):
        mgr.submit(2, [bad])
    assert port.calls == []
    assert mgr.counts["modify_mismatch"] == 3
    assert mgr.order(cloid).state is S.RESTING  # type: ignore[union-attr]


def test_a_plan_cancel_of_an_unknown_or_finished_order_sends_nothing() -> None:
    mgr, port, _ = make_manager()
    mgr.submit(1, [CancelIntent(coin="ETH", cloid="0x" + "0" * 32)])
    assert port.of("cancel") == []


def test_cancel_exposing_pulls_only_orders_that_are_not_reduce_only() -> None:
    mgr, port, _ = make_manager()
    quote = _resting(mgr, port, 1, 100)
    _resting(mgr, port, 2, 101, is_buy=False, reduce_only=True)
    port.calls.clear()
    assert mgr.cancel_exposing("reducing") == 1
    assert [c.cloid for c in port.cancelled] == [quote]
