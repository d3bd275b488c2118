"""Commands from the order manager to a venue gateway, and the port they go through.

The order manager is synchronous and lives on the engine's event path; gateways are the
async edge. The manager never waits for an answer: it hands a command to a `CommandPort`
(which queues it for the gateway's task) and learns the outcome later from events
(`OrderAck`, `CancelAck`, `ActionFailed`, `OrderStatusReport`, `AccountSnapshot`,
`ScheduleCancelAck`, `OrderUpdate`, `UserFills`).

Prices and sizes here are domain floats already rounded by the router/tactics to the venue's
rules; the gateway formats them to the wire exactly (and refuses a value that would need
rounding, since silently changing a price changes what was decided).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import msgspec

from hyperliquid_ofi_trader.core.stages import Tif


class PlaceOrder(msgspec.Struct, frozen=True, gc=False, kw_only=True):
    """A new limit order. `cloid` is ours ("0x" + 32 hex), unique for the account's life."""

    cloid: str
    coin: str
    is_buy: bool
    price: float
    size: float
    tif: Tif
    reduce_only: bool
    decision_id: int


class CancelOrder(msgspec.Struct, frozen=True, gc=False, kw_only=True):
    """Cancel by our cloid when we have it (works even if the ack was lost), else by oid.

    `decision_id`: the decision whose plan pulled the order (journaled with it); None for
    the system's own cancels (halt, reducing, timeouts, zombies)."""

    coin: str
    cloid: str | None
    oid: int | None
    decision_id: int | None = None


class ModifyOrder(msgspec.Struct, frozen=True, gc=False, kw_only=True):
    """Cancel-and-replace (`batchModify`): the venue gives the replacement a NEW oid.

    `target_cloid`/`target_oid` name the order to replace; `replacement` carries a fresh
    cloid so both the old and the new order stay individually trackable.
    """

    target_cloid: str | None
    target_oid: int | None
    replacement: PlaceOrder


class CommandPort(Protocol):
    """Where the order manager sends commands. Must not block and must not raise for
    venue-side problems: outcomes come back as events."""

    def place(self, orders: Sequence[PlaceOrder]) -> None: ...

    def cancel(self, cancels: Sequence[CancelOrder]) -> None: ...

    def modify(self, modifies: Sequence[ModifyOrder]) -> None: ...

    def query_order(self, coin: str, cloid: str | None, oid: int | None) -> None: ...

    def schedule_cancel(self, time_ms: int | None) -> None: ...

    def reconcile(self) -> None: ...
