"""Codec: market-data channels (l2Book, bbo, trades, activeAssetCtx), good and bad frames.

Every bad frame must come out as one counted Rejection, and the next good frame must
still decode: the codec keeps no state that a bad frame could poison.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from hyperliquid_ofi_trader.core.events import (
    AnyEvent,
    AssetCtx,
    Bbo,
    BookSnapshot,
    Rejection,
    Trades,
)
from hyperliquid_ofi_trader.venues.hyperliquid.websocket.codec import HyperliquidCodec

T_MS = 1_737_918_843_000
LOCAL = 1_737_918_843_900_000_000


def frame(channel: str, data: Any) -> bytes:
    return json.dumps({"channel": channel, "data": data}).encode()


def lvl(px: str, sz: str, n: int = 1) -> dict[str, Any]:
    return {"px": px, "sz": sz, "n": n}


def book(coin: str = "BTC", bids: Any = None, asks: Any = None,
         time: Any = T_MS) -> dict[str, Any]:
    bids = [lvl("100.0", "1.5", 2), lvl("99.0", "2")] if bids is None else bids
    asks = [lvl("101.0", "0.5"), lvl("102.5", "3", 4)] if asks is None else asks
    return {"coin": coin, "time": time, "levels": [bids, asks]}


def trade(coin: str = "BTC", side: str = "B", px: Any = "105056.0", sz: Any = "0.00219",
          tid: int = 121451470284048, time: int = T_MS) -> dict[str, Any]:
    return {"coin": coin, "side": side, "px": px, "sz": sz, "time": time, "tid": tid,
            "hash": "0xde47", "users": ["0xaa", "0xbb"]}


def ctx(**over: Any) -> dict[str, Any]:
    c: dict[str, Any] = {"markPx": "105050.0", "midPx": "105050.5", "oraclePx": "105010.0",
                         "funding": "0.0000125", "openInterest": "12345.6",
                         "dayNtlVlm": "987654321.0", "prevDayPx": "104000.0",
                         "premium": "0.00031", "impactPxs": ["105049.0", "105052.0"],
                         "dayBaseVlm": "9400.1"}
    c.update(over)
    return {"coin": "BTC", "ctx": c}


def only(events: list[AnyEvent]) -> AnyEvent:
    assert len(events) == 1, events
    return events[0]


def rejected(codec: HyperliquidCodec, raw: bytes | str, reason: str) -> Rejection:
    """Decode a bad frame, check it is one Rejection with `reason`, then prove a good
    frame still decodes afterwards."""
    before = codec.rejections.get(reason, 0)
    event = only(codec.decode(raw, LOCAL))
    assert isinstance(event, Rejection), event
    assert event.reason == reason, event
    assert event.detail
    assert event.local_ns == LOCAL
    assert codec.rejections[reason] == before + 1
    good = only(codec.decode(frame("l2Book", book()), LOCAL + 1))
    assert isinstance(good, BookSnapshot)
    return event


@pytest.fixture
def codec() -> HyperliquidCodec:
    return HyperliquidCodec(frozenset({"BTC", "ETH"}))


# ---------------------------------------------------------------- l2Book


def test_book_snapshot_decodes_levels_and_times(codec: HyperliquidCodec) -> None:
    ev = only(codec.decode(frame("l2Book", book()), LOCAL))
    assert isinstance(ev, BookSnapshot)
    assert ev.coin == "BTC"
    assert ev.exchange_ns == T_MS * 1_000_000
    assert ev.local_ns == LOCAL
    assert ev.bids == ((100.0, 1.5, 2), (99.0, 2.0, 1))
    assert ev.asks == ((101.0, 0.5, 1), (102.5, 3.0, 4))
    assert codec.frames == 1
    assert codec.events_by_type == {"BookSnapshot": 1}
    assert codec.rejections == {}


def test_book_accepts_str_frames_and_empty_sides(codec: HyperliquidCodec) -> None:
    ev = only(codec.decode(frame("l2Book", book(bids=[])).decode(), LOCAL))
    assert isinstance(ev, BookSnapshot)
    assert ev.bids == ()
    assert len(ev.asks) == 2


def test_book_keeps_unknown_fields_out_of_the_way(codec: HyperliquidCodec) -> None:
    data = book()
    data["newVenueField"] = {"x": 1}
    data["levels"][0][0]["extra"] = "y"
    assert isinstance(only(codec.decode(frame("l2Book", data), LOCAL)), BookSnapshot)


@pytest.mark.parametrize(("bids", "asks", "reason", "needle"), [
    ([lvl("100", "0")], None, "bad_level", "size"),
    ([lvl("100", "-1")], None, "bad_level", "size"),
    ([lvl("100", "nan")], None, "bad_level", "size"),
    ([lvl("100", "inf")], None, "bad_level", "size"),
    ([lvl("0", "1")], None, "bad_level", "price"),
    ([lvl("-5", "1")], None, "bad_level", "price"),
    (None, [lvl("NaN", "1")], "bad_level", "price"),
    (None, [lvl("Infinity", "1")], "bad_level", "price"),
    ([lvl("100", "1", 0)], None, "bad_level", "order count"),
    ([lvl("99", "1"), lvl("100", "1")], None, "unsorted_levels", "bids[1]"),
    ([lvl("100", "1"), lvl("100", "1")], None, "unsorted_levels", "descending"),
    (None, [lvl("102", "1"), lvl("101.5", "1")], "unsorted_levels", "asks[1]"),
    ([lvl("101", "1")], [lvl("101", "1")], "crossed_book", "best bid"),
    ([lvl("102", "1")], [lvl("101", "1")], "crossed_book", "best bid"),
])
def test_book_bad_levels_are_rejected(codec: HyperliquidCodec, bids: Any, asks: Any,
                                      reason: str, needle: str) -> None:
    ev = rejected(codec, frame("l2Book", book(bids=bids, asks=asks)), reason)
    assert needle in ev.detail
    assert ev.channel == "l2Book"


@pytest.mark.parametrize("data", [
    {"coin": "BTC", "time": T_MS},                                  # no levels
    {"coin": "BTC", "time": T_MS, "levels": [[]]},                  # one side only
    {"coin": "BTC", "time": T_MS, "levels": [[], [], []]},          # three sides
    {"coin": "BTC", "time": "soon", "levels": [[], []]},            # time not int
    {"coin": 7, "time": T_MS, "levels": [[], []]},                  # coin not str
    {"coin": "BTC", "time": T_MS, "levels": [[{"px": "1"}], []]},   # level missing fields
    {"coin": "BTC", "time": T_MS, "levels": [[{"px": "x", "sz": "1", "n": 1}], []]},
    {"coin": "BTC", "time": T_MS, "levels": [[{"px": True, "sz": "1", "n": 1}], []]},
    [1, 2, 3],
    "l2Book",
    None,
])
def test_book_schema_errors_are_rejected(codec: HyperliquidCodec, data: Any) -> None:
    ev = rejected(codec, frame("l2Book", data), "schema")
    assert ev.channel == "l2Book"


def test_book_unknown_coin(codec: HyperliquidCodec) -> None:
    ev = rejected(codec, frame("l2Book", book(coin="DOGE")), "unknown_coin")
    assert "DOGE" in ev.detail


def test_any_coin_when_unconfigured() -> None:
    ev = only(HyperliquidCodec().decode(frame("l2Book", book(coin="DOGE")), LOCAL))
    assert isinstance(ev, BookSnapshot)
    assert ev.coin == "DOGE"


@pytest.mark.parametrize("t", [-1, 10**14])
def test_book_bad_time(codec: HyperliquidCodec, t: int) -> None:
    rejected(codec, frame("l2Book", book(time=t)), "bad_time")


# ---------------------------------------------------------------- bbo


def bbo(bid: Any = "default", ask: Any = "default", coin: str = "BTC") -> dict[str, Any]:
    return {"coin": coin, "time": T_MS,
            "bbo": [lvl("100.0", "1.5", 3) if bid == "default" else bid,
                    lvl("100.5", "2", 1) if ask == "default" else ask]}


def test_bbo_decodes(codec: HyperliquidCodec) -> None:
    ev = only(codec.decode(frame("bbo", bbo()), LOCAL))
    assert ev == Bbo(exchange_ns=T_MS * 1_000_000, local_ns=LOCAL, coin="BTC",
                     bid=(100.0, 1.5, 3), ask=(100.5, 2.0, 1))


def test_bbo_empty_sides_are_none(codec: HyperliquidCodec) -> None:
    ev = only(codec.decode(frame("bbo", bbo(bid=None)), LOCAL))
    assert isinstance(ev, Bbo)
    assert ev.bid is None
    assert ev.ask == (100.5, 2.0, 1)
    ev = only(codec.decode(frame("bbo", bbo(bid=None, ask=None)), LOCAL))
    assert isinstance(ev, Bbo)
    assert ev.ask is None


@pytest.mark.parametrize(("bid", "ask", "reason"), [
    (lvl("101", "1"), lvl("100", "1"), "crossed_bbo"),
    (lvl("100", "1"), lvl("100", "1"), "crossed_bbo"),
    (lvl("100", "0"), "default", "bad_level"),
    ("default", lvl("nan", "1"), "bad_level"),
    ("default", lvl("100.5", "inf"), "bad_level"),
    (lvl("-1", "1"), None, "bad_level"),
])
def test_bbo_bad_values(codec: HyperliquidCodec, bid: Any, ask: Any, reason: str) -> None:
    assert rejected(codec, frame("bbo", bbo(bid=bid, ask=ask)), reason).channel == "bbo"


def test_bbo_schema_and_coin(codec: HyperliquidCodec) -> None:
    rejected(codec, frame("bbo", {"coin": "BTC", "time": T_MS, "bbo": [None]}), "schema")
    rejected(codec, frame("bbo", bbo(coin="SOL")), "unknown_coin")


# ---------------------------------------------------------------- trades


def test_trades_one_event_per_frame(codec: HyperliquidCodec) -> None:
    data = [trade(), trade(side="A", px="105055.0", sz="0.5", tid=2, time=T_MS + 5)]
    ev = only(codec.decode(frame("trades", data), LOCAL))
    assert isinstance(ev, Trades)
    assert ev.coin == "BTC"
    assert ev.exchange_ns == (T_MS + 5) * 1_000_000
    first, second = ev.trades
    assert (first.is_buy, first.price, first.size, first.tid) == (True, 105056.0, 0.00219,
                                                                  121451470284048)
    assert first.exchange_ns == T_MS * 1_000_000
    assert first.hash == "0xde47"
    assert (second.is_buy, second.price, second.size) == (False, 105055.0, 0.5)


def test_trades_of_two_coins_make_two_events(codec: HyperliquidCodec) -> None:
    events = codec.decode(frame("trades", [trade(), trade(coin="ETH", tid=9)]), LOCAL)
    assert [e.coin for e in events if isinstance(e, Trades)] == ["BTC", "ETH"]


def test_empty_trades_frame_is_silent(codec: HyperliquidCodec) -> None:
    assert codec.decode(frame("trades", []), LOCAL) == []
    assert codec.rejections == {}


@pytest.mark.parametrize(("bad", "reason"), [
    (trade(side="X"), "bad_side"),
    (trade(px="0"), "bad_value"),
    (trade(sz="-1"), "bad_value"),
    (trade(sz="nan"), "bad_value"),
    (trade(px="inf"), "bad_value"),
    (trade(coin="DOGE"), "unknown_coin"),
    (trade(time=-5), "bad_time"),
    ({"coin": "BTC", "side": "B"}, "schema"),
    ({"coin": "BTC", "side": "B", "px": [], "sz": "1", "time": T_MS, "tid": 1}, "schema"),
    ("not a trade", "schema"),
])
def test_bad_trade_is_rejected_alone(codec: HyperliquidCodec, bad: Any, reason: str) -> None:
    events = codec.decode(frame("trades", [trade(tid=1), bad, trade(tid=3)]), LOCAL)
    rejections = [e for e in events if isinstance(e, Rejection)]
    kept = [e for e in events if isinstance(e, Trades)]
    assert [r.reason for r in rejections] == [reason]
    assert rejections[0].channel == "trades"
    assert len(kept) == 1
    assert [t.tid for t in kept[0].trades] == [1, 3]
    assert codec.rejections == {reason: 1}


def test_each_bad_trade_is_counted(codec: HyperliquidCodec) -> None:
    events = codec.decode(frame("trades", [trade(side="?"), trade(px="-1"), 5]), LOCAL)
    assert sorted(e.reason for e in events if isinstance(e, Rejection)) == [
        "bad_side", "bad_value", "schema"]
    assert not [e for e in events if isinstance(e, Trades)]
    assert codec.rejections == {"bad_side": 1, "bad_value": 1, "schema": 1}


def test_trades_not_a_list(codec: HyperliquidCodec) -> None:
    rejected(codec, frame("trades", {"coin": "BTC"}), "schema")


# ---------------------------------------------------------------- activeAssetCtx


def test_asset_ctx_decodes(codec: HyperliquidCodec) -> None:
    ev = only(codec.decode(frame("activeAssetCtx", ctx()), LOCAL))
    assert ev == AssetCtx(exchange_ns=0, local_ns=LOCAL, coin="BTC", mark_px=105050.0,
                          mid_px=105050.5, oracle_px=105010.0, funding=0.0000125,
                          open_interest=12345.6, day_notional_volume=987654321.0,
                          prev_day_px=104000.0, premium=0.00031, impact_bid=105049.0,
                          impact_ask=105052.0)


def test_asset_ctx_optional_fields(codec: HyperliquidCodec) -> None:
    ev = only(codec.decode(frame("activeAssetCtx",
                                 ctx(midPx=None, premium=None, impactPxs=None)), LOCAL))
    assert isinstance(ev, AssetCtx)
    assert (ev.mid_px, ev.premium, ev.impact_bid, ev.impact_ask) == (None, None, None, None)
    assert ev.funding == 0.0000125


def test_spot_ctx_is_unsupported(codec: HyperliquidCodec) -> None:
    spot = {"coin": "BTC", "ctx": {"dayNtlVlm": "1.0", "markPx": "1.2", "midPx": "1.2",
                                   "prevDayPx": "1.1", "circulatingSupply": "1000"}}
    assert "funding" in rejected(codec, frame("activeAssetCtx", spot), "unsupported").detail
    rejected(codec, frame("activeSpotAssetCtx", spot), "unsupported")


@pytest.mark.parametrize("over", [
    {"markPx": "0"}, {"markPx": "nan"}, {"oraclePx": "-1"}, {"funding": "inf"},
    {"openInterest": "-3"}, {"midPx": "0"}, {"premium": "nan"}, {"impactPxs": ["0", "1"]},
    {"dayNtlVlm": "-1"},
])
def test_asset_ctx_bad_values(codec: HyperliquidCodec, over: dict[str, Any]) -> None:
    rejected(codec, frame("activeAssetCtx", ctx(**over)), "bad_value")


def test_asset_ctx_schema(codec: HyperliquidCodec) -> None:
    rejected(codec, frame("activeAssetCtx", {"coin": "BTC"}), "schema")
    rejected(codec, frame("activeAssetCtx", ctx(markPx={"a": 1})), "schema")
