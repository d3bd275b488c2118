"""Re-quote resting orders on every decision, then route the new one.

`ExecutionRouter.route` decides new orders; `ExecutionRouter.requotes` decides what to do
with the ones already resting (cancel when alpha flips or decays, move when the touch went
away or our price would cross). Both need the same alpha at the same moment, so this
wrapper runs them together inside the engine's router stage: event-driven, no polling loop,
and the order manager gets the cancel/modify commands before the new intent.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from hyperliquid_ofi_trader.core.stages import OrderIntent
from hyperliquid_ofi_trader.execution.order_records import Order
from hyperliquid_ofi_trader.execution.order_state import OrderState
from hyperliquid_ofi_trader.execution.router import ExecutionRouter
from hyperliquid_ofi_trader.execution.tactics import RequoteKind

# Only an order the venue has acknowledged as resting can be replaced; one whose cancel is
# already on its way needs nothing more. Asking anyway only produces refusals to count.
_MODIFIABLE = frozenset({OrderState.RESTING, OrderState.PARTIALLY_FILLED})
_CANCELLING = frozenset({OrderState.CANCEL_PENDING})


class RequoteSink(Protocol):
    """The order manager's side of re-quoting."""

    def order(self, cloid: str) -> Order | None: ...

    def cancel(self, cloids: Sequence[str]) -> int: ...

    def modify(self, cloid: str, new_price: float, new_size: float,
               decision_id: int | None = None) -> str | None: ...


class RequotingRouter:
    """`core.stages.Router` that applies `requotes()` before `route()`."""

    __slots__ = ("_orders", "requoted", "router")

    def __init__(self, router: ExecutionRouter, orders: RequoteSink) -> None:
        self.router = router
        self._orders = orders
        self.requoted: dict[str, int] = {}

    @property
    def last_reason(self) -> str:
        return self.router.last_reason

    def route(self, coin: str, alpha: float, ofi: float | None,
              position: float) -> Sequence[OrderIntent]:
        for rq in self.router.requotes(coin, alpha):
            order = self._orders.order(rq.cloid)
            if order is None or order.state in _CANCELLING:
                continue
            if rq.kind is RequoteKind.CANCEL:
                self._orders.cancel([rq.cloid])
            elif order.state in _MODIFIABLE:
                self._orders.modify(rq.cloid, rq.new_price, rq.size)
            else:
                continue  # not acknowledged yet: re-examined on the next decision
            key = f"{rq.kind.value}:{rq.reason}"
            self.requoted[key] = self.requoted.get(key, 0) + 1
        return self.router.route(coin, alpha, ofi, position)

    def explain(self) -> dict[str, str]:
        return self.router.explain()
