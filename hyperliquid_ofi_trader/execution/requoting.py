"""Re-quote resting orders on every decision, as part of the decision's plan.

`ExecutionRouter.route` decides new orders; `ExecutionRouter.requotes` decides what to do
with the ones already resting (cancel when alpha flips or decays, move when the touch went
away or our price would cross). Both need the same alpha at the same moment, so this
wrapper runs them together inside the engine's router stage: event-driven, no polling loop.

It proposes and never acts (ARCHITECTURE.md rule 6): the re-quotes become `CancelIntent`s
and `ModifyIntent`s at the head of the plan it returns, before the new order. The engine
then applies the trading state to them (HALTED: cancels only; REDUCING: a move of an order
that is not reduce-only becomes a cancel), the risk gate checks each modify like a new
order (limits, tick/lot/$10, the orders-per-minute budget), and the order manager
executes what was approved under the decision's id.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from hyperliquid_ofi_trader.core.order_state import OrderState
from hyperliquid_ofi_trader.core.stages import CancelIntent, ModifyIntent, PlanIntent
from hyperliquid_ofi_trader.execution.order_records import Order
from hyperliquid_ofi_trader.execution.router import ExecutionRouter
from hyperliquid_ofi_trader.execution.tactics import RequoteIntent, RequoteKind

# Only an order the venue has acknowledged as resting can be replaced; one whose cancel is
# already on its way needs nothing more. Proposing anyway only produces refusals to count.
_MODIFIABLE = frozenset({OrderState.RESTING, OrderState.PARTIALLY_FILLED})
_CANCELLING = frozenset({OrderState.CANCEL_PENDING})


class OrderLookup(Protocol):
    """The order manager's read side that re-quoting needs (it never calls its actions)."""

    def order(self, cloid: str) -> Order | None: ...


class RequotingRouter:
    """`core.stages.Router` whose plan is `requotes()` (as intents) then `route()`.

    `requoted` counts the proposals by "kind:reason"; what became of them (approved,
    turned into a cancel by the trading state, refused by the gate) is in the journal."""

    __slots__ = ("_orders", "requoted", "router")

    def __init__(self, router: ExecutionRouter, orders: OrderLookup) -> None:
        self.router = router
        self._orders = orders
        self.requoted: dict[str, int] = {}

    @property
    def last_reason(self) -> str:
        return self.router.last_reason

    def route(self, coin: str, alpha: float, ofi: float | None,
              position: float) -> Sequence[PlanIntent]:
        plan: list[PlanIntent] = []
        for rq in self.router.requotes(coin, alpha, position):
            intent = self._propose(rq, position)
            if intent is not None:
                plan.append(intent)
                key = f"{rq.kind.value}:{rq.reason}"
                self.requoted[key] = self.requoted.get(key, 0) + 1
        placed = self.router.route(coin, alpha, ofi, position)
        if not plan:
            return placed
        plan.extend(placed)
        return plan

    def _propose(self, rq: RequoteIntent,
                 position: float) -> CancelIntent | ModifyIntent | None:
        order = self._orders.order(rq.cloid)
        if order is None or order.state in _CANCELLING:
            return None
        tag = f"requote:{rq.reason}"
        if rq.kind is RequoteKind.CANCEL:
            return CancelIntent(coin=order.coin, cloid=rq.cloid, tag=tag)
        if order.state not in _MODIFIABLE:
            return None  # not acknowledged yet: re-examined on the next decision
        size = rq.size
        if order.reduce_only:  # the gate judges a move like a new reduce-only order
            size = self.router.reduce_only_move_size(order.coin, size, order.is_buy,
                                                     position, rq.new_price)
            if size <= 0.0:
                return CancelIntent(coin=order.coin, cloid=rq.cloid,
                                    tag="requote:nothing_to_reduce")
        return ModifyIntent(coin=order.coin, cloid=rq.cloid, is_buy=order.is_buy,
                            size=size, price=rq.new_price, tif=order.tif,
                            reduce_only=order.reduce_only, tag=tag)

    def explain(self) -> dict[str, object]:
        return self.router.explain()
