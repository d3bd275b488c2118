"""Codec: private channels (orderUpdates, userFills, user events), good and bad frames."""

from __future__ import annotations

import json
from typing import Any

import pytest

from hyperliquid_ofi_trader.core.events import (
    AnyEvent,
    Fill,
    Funding,
    Liquidation,
    NonUserCancel,
    OrderStatus,
    OrderUpdate,
    Rejection,
    UserFills,
)
from hyperliquid_ofi_trader.venues.hyperliquid.websocket.codec import HyperliquidCodec, order_status

T_MS = 1_737_918_843_000
LOCAL = 1_737_918_843_900_000_000
USER = "0x6802b4267f7f2bf7003dcf993c51542245b38329"
CLOID = "0x0000000000000000000000000000abcd"


def frame(channel: str, data: Any) -> bytes:
    return json.dumps({"channel": channel, "data": data}).encode()


def order_update(oid: int = 77, status: str = "open", sz: str = "0.01",
                 **order_over: Any) -> dict[str, Any]:
    order: dict[str, Any] = {"coin": "BTC", "side": "B", "limitPx": "105000.0", "sz": sz,
                             "oid": oid, "timestamp": T_MS - 10, "origSz": "0.01",
                             "cloid": CLOID}
    order.update(order_over)
    return {"order": order, "status": status, "statusTimestamp": T_MS}


def fill(tid: int = 1, **over: Any) -> dict[str, Any]:
    f: dict[str, Any] = {"coin": "BTC", "px": "105056.0", "sz": "0.01", "side": "A",
                         "time": T_MS, "startPosition": "0.05", "dir": "Close Long",
                         "closedPnl": "1.25", "hash": "0xab", "oid": 77, "crossed": False,
                         "fee": "-0.0105", "tid": tid, "feeToken": "USDC"}
    f.update(over)
    return f


def kinds(events: list[AnyEvent]) -> list[str]:
    return [type(e).__name__ for e in events]


def reasons(events: list[AnyEvent]) -> list[str]:
    return [e.reason for e in events if isinstance(e, Rejection)]


@pytest.fixture
def codec() -> HyperliquidCodec:
    return HyperliquidCodec(frozenset({"BTC", "ETH"}))


# ---------------------------------------------------------------- orderUpdates


def test_order_update_fields(codec: HyperliquidCodec) -> None:
    (ev,) = codec.decode(frame("orderUpdates", [order_update()]), LOCAL)
    assert ev == OrderUpdate(exchange_ns=T_MS * 1_000_000, local_ns=LOCAL, coin="BTC",
                             is_buy=True, limit_px=105000.0, size=0.01, orig_size=0.01,
                             oid=77, cloid=CLOID, status=OrderStatus.OPEN, raw_status="open",
                             order_ns=(T_MS - 10) * 1_000_000)


def test_filled_order_has_zero_remaining_size(codec: HyperliquidCodec) -> None:
    (ev,) = codec.decode(frame("orderUpdates", [order_update(status="filled", sz="0.0",
                                                             cloid=None)]), LOCAL)
    assert isinstance(ev, OrderUpdate)
    assert (ev.size, ev.status, ev.cloid) == (0.0, OrderStatus.FILLED, None)


@pytest.mark.parametrize(("raw", "status"), [
    ("open", OrderStatus.OPEN), ("filled", OrderStatus.FILLED),
    ("canceled", OrderStatus.CANCELED), ("triggered", OrderStatus.TRIGGERED),
    ("rejected", OrderStatus.REJECTED), ("marginCanceled", OrderStatus.MARGIN_CANCELED),
    ("reduceOnlyCanceled", OrderStatus.CANCELED), ("selfTradeCanceled", OrderStatus.CANCELED),
    ("scheduledCancel", OrderStatus.CANCELED), ("badAloPxRejected", OrderStatus.REJECTED),
    ("somethingNew", OrderStatus.UNKNOWN), ("", OrderStatus.UNKNOWN),
])
def test_order_status_mapping(raw: str, status: OrderStatus) -> None:
    assert order_status(raw) is status


def test_unknown_status_keeps_raw_text(codec: HyperliquidCodec) -> None:
    (ev,) = codec.decode(frame("orderUpdates", [order_update(status="weird")]), LOCAL)
    assert isinstance(ev, OrderUpdate)
    assert (ev.status, ev.raw_status) == (OrderStatus.UNKNOWN, "weird")


@pytest.mark.parametrize(("bad", "reason"), [
    (order_update(oid=2, side="S"), "bad_side"),
    (order_update(oid=2, limitPx="0"), "bad_value"),
    (order_update(oid=2, sz="-0.01"), "bad_value"),
    (order_update(oid=2, origSz="nan"), "bad_value"),
    (order_update(oid=2, timestamp=-1), "bad_time"),
    ({"order": {"coin": "BTC"}, "status": "open", "statusTimestamp": T_MS}, "schema"),
    ({"status": "open"}, "schema"),
    (None, "schema"),
])
def test_bad_order_update_rejected_alone(codec: HyperliquidCodec, bad: Any,
                                         reason: str) -> None:
    events = codec.decode(frame("orderUpdates", [order_update(oid=1), bad,
                                                 order_update(oid=3)]), LOCAL)
    assert reasons(events) == [reason]
    assert [e.oid for e in events if isinstance(e, OrderUpdate)] == [1, 3]
    assert codec.rejections == {reason: 1}
    (after,) = codec.decode(frame("orderUpdates", [order_update(oid=4)]), LOCAL)
    assert isinstance(after, OrderUpdate)


def test_order_updates_not_a_list(codec: HyperliquidCodec) -> None:
    assert reasons(codec.decode(frame("orderUpdates", {"order": 1}), LOCAL)) == ["schema"]


# ---------------------------------------------------------------- userFills


def test_user_fills_snapshot(codec: HyperliquidCodec) -> None:
    data = {"isSnapshot": True, "user": USER,
            "fills": [fill(1), fill(2, time=T_MS + 7, crossed=True, fee="0.47",
                                    cloid=CLOID, side="B")]}
    (ev,) = codec.decode(frame("userFills", data), LOCAL)
    assert isinstance(ev, UserFills)
    assert (ev.user, ev.is_snapshot, ev.exchange_ns) == (USER, True, (T_MS + 7) * 1_000_000)
    first, second = ev.fills
    assert first == Fill(coin="BTC", price=105056.0, size=0.01, is_buy=False,
                         exchange_ns=T_MS * 1_000_000, start_position=0.05,
                         direction="Close Long", closed_pnl=1.25, hash="0xab", oid=77,
                         crossed=False, fee=-0.0105, tid=1, fee_token="USDC", cloid=None,
                         liquidation=False)
    assert (second.is_buy, second.crossed, second.fee, second.cloid) == (True, True, 0.47,
                                                                         CLOID)


def test_user_fills_is_snapshot_defaults_false(codec: HyperliquidCodec) -> None:
    (ev,) = codec.decode(frame("userFills", {"user": USER, "fills": [fill()]}), LOCAL)
    assert isinstance(ev, UserFills)
    assert ev.is_snapshot is False


def test_liquidation_fill_is_flagged(codec: HyperliquidCodec) -> None:
    liq = {"liquidatedUser": USER, "markPx": "104000", "method": "market"}
    (ev,) = codec.decode(frame("userFills", {"user": USER, "fills": [fill(liquidation=liq)]}),
                         LOCAL)
    assert isinstance(ev, UserFills)
    assert ev.fills[0].liquidation is True


def test_empty_snapshot_is_reported_empty_update_is_not(codec: HyperliquidCodec) -> None:
    (ev,) = codec.decode(frame("userFills", {"isSnapshot": True, "user": USER, "fills": []}),
                         LOCAL)
    assert isinstance(ev, UserFills)
    assert ev.fills == ()
    assert codec.decode(frame("userFills", {"user": USER, "fills": []}), LOCAL) == []


@pytest.mark.parametrize(("bad", "reason"), [
    (fill(9, side="Z"), "bad_side"),
    (fill(9, px="0"), "bad_value"),
    (fill(9, sz="inf"), "bad_value"),
    (fill(9, fee="nan"), "bad_value"),
    (fill(9, closedPnl="-inf"), "bad_value"),
    (fill(9, time=-1), "bad_time"),
    ({"coin": "BTC", "px": "1"}, "schema"),
    (fill(9, crossed={"x": 1}), "schema"),
])
def test_bad_fill_rejected_alone(codec: HyperliquidCodec, bad: Any, reason: str) -> None:
    events = codec.decode(frame("userFills", {"user": USER, "fills": [fill(1), bad,
                                                                      fill(3)]}), LOCAL)
    assert reasons(events) == [reason]
    (kept,) = [e for e in events if isinstance(e, UserFills)]
    assert [f.tid for f in kept.fills] == [1, 3]


@pytest.mark.parametrize("data", [{"fills": []}, {"user": USER}, {"user": USER, "fills": 3},
                                  {"user": USER, "fills": [], "isSnapshot": "maybe"}])
def test_user_fills_schema(codec: HyperliquidCodec, data: Any) -> None:
    assert reasons(codec.decode(frame("userFills", data), LOCAL)) == ["schema"]


# ---------------------------------------------------------------- user events


def test_user_event_fills(codec: HyperliquidCodec) -> None:
    (ev,) = codec.decode(frame("user", {"fills": [fill(5)]}), LOCAL)
    assert isinstance(ev, UserFills)
    assert (ev.user, ev.is_snapshot, [f.tid for f in ev.fills]) == ("", False, [5])


def test_user_event_funding(codec: HyperliquidCodec) -> None:
    data = {"funding": {"time": T_MS, "coin": "BTC", "usdc": "-0.51", "szi": "0.05",
                        "fundingRate": "0.0000125"}}
    (ev,) = codec.decode(frame("user", data), LOCAL)
    assert ev == Funding(exchange_ns=T_MS * 1_000_000, local_ns=LOCAL, coin="BTC",
                         usdc=-0.51, size=0.05, funding_rate=0.0000125)


def test_user_event_liquidation(codec: HyperliquidCodec) -> None:
    liq = {"lid": 1, "liquidator": "0x1", "liquidated_user": USER,
           "liquidated_ntl_pos": "100.0", "liquidated_account_value": "5.0"}
    (ev,) = codec.decode(frame("user", {"liquidation": liq}), LOCAL)
    assert ev == Liquidation(exchange_ns=0, local_ns=LOCAL, detail=liq)


def test_user_event_non_user_cancel(codec: HyperliquidCodec) -> None:
    data = {"nonUserCancel": [{"coin": "BTC", "oid": 5}, {"coin": "ETH", "oid": 6}]}
    (ev,) = codec.decode(frame("user", data), LOCAL)
    assert ev == NonUserCancel(exchange_ns=0, local_ns=LOCAL,
                               cancels=(("BTC", 5), ("ETH", 6)))


@pytest.mark.parametrize(("data", "reason"), [
    ({"twapHistory": []}, "unsupported"),
    ({}, "unsupported"),
    ({"funding": {"time": T_MS, "coin": "BTC"}}, "schema"),
    ({"funding": {"time": T_MS, "coin": "BTC", "usdc": "nan", "szi": "1",
                  "fundingRate": "0"}}, "bad_value"),
    ({"funding": {"time": -3, "coin": "BTC", "usdc": "1", "szi": "1",
                  "fundingRate": "0"}}, "bad_time"),
    ({"liquidation": [1, 2]}, "schema"),
    ({"liquidation": None}, "schema"),
    ({"nonUserCancel": [{"coin": "BTC"}]}, "schema"),
    ({"fills": None}, "schema"),
    ("fills", "schema"),
])
def test_bad_user_events(codec: HyperliquidCodec, data: Any, reason: str) -> None:
    events = codec.decode(frame("user", data), LOCAL)
    assert reasons(events) == [reason]
    assert kinds(events) == ["Rejection"]
    (after,) = codec.decode(frame("user", {"fills": [fill(5)]}), LOCAL)
    assert isinstance(after, UserFills)
