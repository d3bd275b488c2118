"""Wire payloads the emulator pushes (orderUpdates, userFills, user, trades), batched.

Pushes produced while handling one request or one market event are collected per channel
and key, then flushed in a stable order (orderUpdates, userFills, user, trades), so one
action that fills against five levels yields one `userFills` push with five fills, as the
venue does, not five pushes.
"""

from __future__ import annotations

from typing import Any

from hyperliquid_ofi_trader.sim.accounts import num
from hyperliquid_ofi_trader.sim.matching import SimOrder

Push = tuple[str, str, Any]  # (channel, key: user address or coin, wire `data`)
MARKET_ADDRESS = "0x0000000000000000000000000000000000000000"  # the external market's side


def side_text(is_buy: bool) -> str:
    return "B" if is_buy else "A"


def order_wire(order: SimOrder) -> dict[str, Any]:
    """The `order` object of orderUpdates / openOrders: `cloid` only when the order has one,
    `reduceOnly` only when it is true (the venue omits both otherwise)."""
    out: dict[str, Any] = {
        "coin": order.coin, "side": side_text(order.is_buy), "limitPx": num(order.px),
        "sz": num(order.sz), "oid": order.oid, "timestamp": order.timestamp_ms,
        "origSz": num(order.orig_sz),
    }
    if order.cloid is not None:
        out["cloid"] = order.cloid
    if order.reduce_only:
        out["reduceOnly"] = True
    return out


def frontend_order_wire(order: SimOrder) -> dict[str, Any]:
    """The richer order object of frontendOpenOrders and orderStatus."""
    out = order_wire(order)
    out.update({
        "isPositionTpsl": False, "isTrigger": False, "orderType": "Limit",
        "reduceOnly": order.reduce_only, "tif": order.tif, "triggerCondition": "N/A",
        "triggerPx": "0.0", "children": [], "cloid": order.cloid,
    })
    return out


class Outbox:
    """Collects one step's pushes; `flush` appends them to the venue's queue in order."""

    __slots__ = ("_fills", "_trades", "_updates")

    def __init__(self) -> None:
        self._updates: dict[str, list[dict[str, Any]]] = {}
        self._fills: dict[str, list[dict[str, Any]]] = {}
        self._trades: dict[str, list[dict[str, Any]]] = {}

    def order_update(self, order: SimOrder, status: str, status_ms: int) -> None:
        self._updates.setdefault(order.user, []).append(
            {"order": order_wire(order), "status": status, "statusTimestamp": status_ms})

    def fill(self, user: str, fill: dict[str, Any]) -> None:
        self._fills.setdefault(user, []).append(fill)

    def trade(self, coin: str, trade: dict[str, Any]) -> None:
        self._trades.setdefault(coin, []).append(trade)

    def flush(self, out: list[Push]) -> None:
        for user, updates in self._updates.items():
            out.append(("orderUpdates", user, updates))
        for user, fills in self._fills.items():
            out.append(("userFills", user, {"user": user, "fills": fills}))
            out.append(("user", user, {"fills": fills}))
        for coin, trades in self._trades.items():
            out.append(("trades", coin, trades))
        self._updates = {}
        self._fills = {}
        self._trades = {}
