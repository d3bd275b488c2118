"""Test doubles for the order manager: a recording CommandPort and venue-event builders.

The builders produce the domain events the gateway / codec would, with the venue's exact
error texts taken from `execution.venue_errors` (the one source of truth)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import msgspec

from hyperliquid_ofi_trader.config.packaged import packaged_config
from hyperliquid_ofi_trader.core.clock import ReplayClock
from hyperliquid_ofi_trader.core.commands import CancelOrder, ModifyOrder, PlaceOrder
from hyperliquid_ofi_trader.core.events import (
    AccountSnapshot,
    ActionFailed,
    CancelAck,
    Fill,
    OpenOrder,
    OrderAck,
    OrderStatusReport,
    OrderUpdate,
    PositionSnapshot,
    UserFills,
)
from hyperliquid_ofi_trader.core.stages import OrderIntent, Tif
from hyperliquid_ofi_trader.execution.order_manager import OrderManager, OrderManagerSettings
from hyperliquid_ofi_trader.execution.order_store import OrderStore
from hyperliquid_ofi_trader.risk.position import PositionBook
from hyperliquid_ofi_trader.venues.hyperliquid.websocket.codec import order_status

T0 = 1_700_000_000_000_000_000
SEC = 1_000_000_000


class RecordingPort:
    """A CommandPort that records every call in order (and can be told to raise)."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, Any]] = []
        self.fail = False

    def _rec(self, name: str, arg: Any) -> None:
        if self.fail:
            raise RuntimeError("port down")
        self.calls.append((name, arg))

    def place(self, orders: Sequence[PlaceOrder]) -> None:
        self._rec("place", list(orders))

    def cancel(self, cancels: Sequence[CancelOrder]) -> None:
        self._rec("cancel", list(cancels))

    def modify(self, modifies: Sequence[ModifyOrder]) -> None:
        self._rec("modify", list(modifies))

    def query_order(self, coin: str, cloid: str | None, oid: int | None) -> None:
        self._rec("query", (coin, cloid, oid))

    def schedule_cancel(self, time_ms: int | None) -> None:
        self._rec("schedule_cancel", time_ms)

    def reconcile(self) -> None:
        self._rec("reconcile", None)

    # views
    def of(self, name: str) -> list[Any]:
        return [a for n, a in self.calls if n == name]

    @property
    def placed(self) -> list[PlaceOrder]:
        return [p for batch in self.of("place") for p in batch]

    @property
    def cancelled(self) -> list[CancelOrder]:
        return [c for batch in self.of("cancel") for c in batch]

    @property
    def queries(self) -> list[tuple[str, str | None, int | None]]:
        return self.of("query")


def intent(coin: str = "ETH", is_buy: bool = True, size: float = 1.0, price: float = 2500.0,
           tif: Tif = Tif.ALO, reduce_only: bool = False, tag: str = "t") -> OrderIntent:
    return OrderIntent(coin=coin, is_buy=is_buy, size=size, price=price, tif=tif,
                       reduce_only=reduce_only, tag=tag)


def order_settings(**changes: Any) -> OrderManagerSettings:
    """The packaged risk.yaml `execution` settings with `changes`; no instrument grid
    unless one is given, so the tests' sizes and prices reach the port as written."""
    packaged = OrderManagerSettings.from_config(packaged_config())
    return msgspec.structs.replace(packaged, **{"sz_decimals": {}, **changes})


def make_manager(store: OrderStore | None = None, clock: ReplayClock | None = None,
                 **settings: Any) -> tuple[OrderManager, RecordingPort, ReplayClock]:
    port = RecordingPort()
    clk = clock if clock is not None else ReplayClock(T0)
    mgr = OrderManager(port, clk, store, order_settings(**settings))
    return mgr, port, clk


def watch_positions(mgr: OrderManager) -> PositionBook:
    """The one position book, told of the manager's new fills as the execution stack
    wires it."""
    book = PositionBook()
    mgr.add_fill_listener(book.on_fill_report)
    return book


def ack(cloid: str, outcome: str = "resting", oid: int | None = 1, filled: float = 0.0,
        avg_px: float = 0.0, error: str = "", at: int = T0) -> OrderAck:
    return OrderAck(exchange_ns=0, local_ns=at, cloid=cloid, oid=oid, outcome=outcome,
                    filled_size=filled, avg_px=avg_px, error=error)


def fill(oid: int, tid: int, size: float, price: float = 2500.0, cloid: str | None = None,
         coin: str = "ETH", is_buy: bool = True, fee: float = 0.01,
         crossed: bool = False, at: int = T0) -> Fill:
    return Fill(coin=coin, price=price, size=size, is_buy=is_buy, exchange_ns=at,
                start_position=0.0, direction="Open Long", closed_pnl=0.0, hash="0x0",
                oid=oid, crossed=crossed, fee=fee, tid=tid, fee_token="USDC", cloid=cloid,
                liquidation=False)


def fills(*items: Fill, snapshot: bool = False, at: int = T0) -> UserFills:
    return UserFills(exchange_ns=at, local_ns=at, user="0xabc", is_snapshot=snapshot,
                     fills=tuple(items))


def update(oid: int, status: str, cloid: str | None = None, coin: str = "ETH",
           is_buy: bool = True, size: float = 1.0, at: int = T0) -> OrderUpdate:
    return OrderUpdate(exchange_ns=at, local_ns=at, coin=coin, is_buy=is_buy, limit_px=2500.0,
                       size=size, orig_size=1.0, oid=oid, cloid=cloid,
                       status=order_status(status), raw_status=status, order_ns=at)


def status(cloid: str | None, st: str, oid: int | None = None, coin: str = "ETH",
           size: float = 0.0, at: int = T0) -> OrderStatusReport:
    return OrderStatusReport(exchange_ns=0, local_ns=at, cloid=cloid, oid=oid, status=st,
                             coin=coin, is_buy=True, limit_px=2500.0, size=size,
                             orig_size=1.0)


def cancel_ack(cloid: str | None, ok: bool = True, error: str = "", oid: int | None = None,
               at: int = T0) -> CancelAck:
    return CancelAck(exchange_ns=0, local_ns=at, coin="ETH", cloid=cloid, oid=oid, ok=ok,
                     error=error)


def failed(cloids: Sequence[str], transient: bool, error: str = "timeout",
           kind: str = "order", at: int = T0) -> ActionFailed:
    return ActionFailed(exchange_ns=0, local_ns=at, kind=kind, cloids=tuple(cloids),
                        error=error, transient=transient)


def open_order(oid: int, cloid: str | None, coin: str = "ETH", size: float = 1.0,
               orig_size: float = 1.0, px: float = 2500.0) -> OpenOrder:
    return OpenOrder(coin=coin, is_buy=True, limit_px=px, size=size, orig_size=orig_size,
                     oid=oid, cloid=cloid, timestamp_ns=T0)


def snapshot(open_orders: Sequence[OpenOrder] = (), recent: Sequence[Fill] = (),
             positions: Sequence[PositionSnapshot] = (), at: int = T0) -> AccountSnapshot:
    return AccountSnapshot(exchange_ns=0, local_ns=at, user="0xabc",
                           open_orders=tuple(open_orders), positions=tuple(positions),
                           recent_fills=tuple(recent), account_value=1000.0,
                           withdrawable=1000.0)
