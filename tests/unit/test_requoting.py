"""RequotingRouter: requotes go to the order manager only for orders that can take them."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from hyperliquid_ofi_trader.core.stages import OrderIntent, Tif
from hyperliquid_ofi_trader.execution.order_records import Order
from hyperliquid_ofi_trader.execution.order_state import OrderState
from hyperliquid_ofi_trader.execution.requoting import RequotingRouter
from hyperliquid_ofi_trader.execution.tactics import RequoteIntent, RequoteKind


def _order(cloid: str, state: OrderState) -> Order:
    return Order(cloid=cloid, oid=1, decision_id=1, coin="ETH", is_buy=True, price=3000.0,
                 size=0.1, orig_size=0.1, filled=0.0, avg_px=0.0, fee=0.0, tif=Tif.ALO,
                 reduce_only=False, tag="t", state=state, created_ns=0, updated_ns=0,
                 last_error="", replaces=None, replaced_by=None)


class FakeRouter:
    def __init__(self, requotes: list[RequoteIntent]) -> None:
        self._requotes = requotes
        self.last_reason = "ofi_below_mid: quiet"

    def requotes(self, coin: str, alpha: float) -> list[RequoteIntent]:
        return self._requotes

    def route(self, coin: str, alpha: float, ofi: float | None,
              position: float) -> Sequence[OrderIntent]:
        return ()

    def explain(self) -> dict[str, str]:
        return {"reason": self.last_reason}


class FakeOrders:
    def __init__(self, orders: dict[str, Order]) -> None:
        self.orders = orders
        self.cancels: list[str] = []
        self.modifies: list[tuple[str, float]] = []

    def order(self, cloid: str) -> Order | None:
        return self.orders.get(cloid)

    def cancel(self, cloids: Sequence[str]) -> int:
        self.cancels.extend(cloids)
        return len(cloids)

    def modify(self, cloid: str, new_price: float, new_size: float,
               decision_id: int | None = None) -> str | None:
        self.modifies.append((cloid, new_price))
        return "0x" + "f" * 32


def _rq(kind: RequoteKind, cloid: str) -> RequoteIntent:
    return RequoteIntent(kind=kind, coin="ETH", cloid=cloid, is_buy=True, size=0.1,
                         new_price=3000.5, reason="behind_touch")


@pytest.mark.parametrize(("state", "kind", "expect_cancel", "expect_modify"), [
    (OrderState.RESTING, RequoteKind.MODIFY, False, True),
    (OrderState.PARTIALLY_FILLED, RequoteKind.MODIFY, False, True),
    (OrderState.PENDING, RequoteKind.MODIFY, False, False),
    (OrderState.CANCEL_PENDING, RequoteKind.CANCEL, False, False),
    (OrderState.PENDING, RequoteKind.CANCEL, True, False),
    (OrderState.RESTING, RequoteKind.CANCEL, True, False),
])
def test_requotes_reach_only_orders_that_can_take_them(
        state: OrderState, kind: RequoteKind, expect_cancel: bool, expect_modify: bool) -> None:
    orders = FakeOrders({"a": _order("a", state)})
    router = RequotingRouter(FakeRouter([_rq(kind, "a")]), orders)  # type: ignore[arg-type]
    assert router.route("ETH", 0.5, 1.0, 0.0) == ()
    assert bool(orders.cancels) is expect_cancel
    assert bool(orders.modifies) is expect_modify
    assert sum(router.requoted.values()) == int(expect_cancel or expect_modify)
    assert router.last_reason == "ofi_below_mid: quiet"


def test_unknown_order_is_ignored() -> None:
    orders = FakeOrders({})
    router = RequotingRouter(FakeRouter([_rq(RequoteKind.CANCEL, "gone")]),  # type: ignore[arg-type]
                             orders)
    router.route("ETH", -0.5, -1.0, 0.0)
    assert orders.cancels == []

