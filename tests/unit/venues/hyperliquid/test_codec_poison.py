"""Codec: poison values that used to pass and then broke persistence are counted rejections.

Found by fault runs: a bbo `"time": 9300000000000` became exchange_ns 9.3e18 (beyond int64:
SQLite's OverflowError inside a journal transaction), a fill `"tid": 2**63` did the same in
the order store, invalid UTF-8 inside a frame reached the catch-all (`internal_error`),
and fills for `btc`, `BTC ` or a Cyrillic look-alike became phantom positions.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hyperliquid_ofi_trader.core.events import AnyEvent, Bbo, Rejection, UserFills
from hyperliquid_ofi_trader.venues.hyperliquid.websocket.codec import HyperliquidCodec

T_MS = 1_737_918_843_000
LOCAL = T_MS * 1_000_000 + 900_000_000
HOUR_MS = 3_600_000
INT64_MAX = 2**63 - 1
USER = "0x6802b4267f7f2bf7003dcf993c51542245b38329"


def frame(channel: str, data: Any) -> bytes:
    return json.dumps({"channel": channel, "data": data}).encode()


def bbo(time: int, coin: str = "BTC") -> bytes:
    return frame("bbo", {"coin": coin, "time": time,
                         "bbo": [{"px": "100.0", "sz": "1.0", "n": 1},
                                 {"px": "101.0", "sz": "1.0", "n": 1}]})


def fill(tid: int = 1, **over: Any) -> dict[str, Any]:
    f: dict[str, Any] = {"coin": "BTC", "px": "105056.0", "sz": "0.01", "side": "A",
                         "time": T_MS, "startPosition": "0.05", "dir": "Close Long",
                         "closedPnl": "1.25", "hash": "0xab", "oid": 77, "crossed": False,
                         "fee": "-0.0105", "tid": tid, "feeToken": "USDC"}
    f.update(over)
    return f


def fills_frame(*fills: dict[str, Any]) -> bytes:
    return frame("userFills", {"user": USER, "fills": list(fills)})


def reasons(events: list[AnyEvent]) -> list[str]:
    return [e.reason for e in events if isinstance(e, Rejection)]


@pytest.fixture
def codec() -> HyperliquidCodec:
    return HyperliquidCodec(frozenset({"BTC", "ETH"}))


@pytest.mark.parametrize("local", [LOCAL, 42])  # an epoch receive time, and a test clock
def test_time_beyond_int64_nanoseconds_is_bad_time(codec: HyperliquidCodec,
                                                   local: int) -> None:
    events = codec.decode(bbo(9_300_000_000_000), local)
    assert reasons(events) == ["bad_time"]
    assert codec.rejections == {"bad_time": 1}


@pytest.mark.parametrize("offset_ms", [HOUR_MS + 1, -HOUR_MS - 1, 300 * 86_400_000])
def test_market_time_far_from_receive_time_is_bad_time(codec: HyperliquidCodec,
                                                       offset_ms: int) -> None:
    (ev,) = codec.decode(bbo(LOCAL // 1_000_000 + offset_ms), LOCAL)
    assert isinstance(ev, Rejection)
    assert ev.reason == "bad_time"
    assert ("ahead" if offset_ms > 0 else "behind") in ev.detail


def test_market_time_within_the_window_passes(codec: HyperliquidCodec) -> None:
    for offset_ms in (-HOUR_MS, -5_000, 0, 5_000, HOUR_MS):
        (ev,) = codec.decode(bbo(LOCAL // 1_000_000 + offset_ms), LOCAL)
        assert isinstance(ev, Bbo)


def test_window_is_configurable() -> None:
    strict = HyperliquidCodec(frozenset({"BTC"}), max_ahead_ms=1_000, max_behind_ms=1_000)
    assert reasons(strict.decode(bbo(LOCAL // 1_000_000 + 2_000), LOCAL)) == ["bad_time"]
    assert reasons(strict.decode(bbo(LOCAL // 1_000_000 - 2_000), LOCAL)) == ["bad_time"]
    with pytest.raises(ValueError, match="max_ahead_ms"):
        HyperliquidCodec(max_ahead_ms=-1)


def test_old_private_history_passes_but_future_fills_do_not(codec: HyperliquidCodec) -> None:
    old = fill(1, time=T_MS - 90 * 86_400_000)  # a snapshot may carry fills weeks old
    future = fill(2, time=T_MS + 2 * HOUR_MS)
    events = codec.decode(fills_frame(old, future), LOCAL)
    assert reasons(events) == ["bad_time"]
    (kept,) = [e for e in events if isinstance(e, UserFills)]
    assert [f.tid for f in kept.fills] == [1]


@pytest.mark.parametrize("big", [2**63, 2**64, -(2**63) - 1])
def test_fill_ids_beyond_int64_are_rejected_alone(codec: HyperliquidCodec, big: int) -> None:
    events = codec.decode(fills_frame(fill(1), fill(big), fill(3, oid=big)), LOCAL)
    assert reasons(events) == ["schema", "schema"]
    (kept,) = [e for e in events if isinstance(e, UserFills)]
    assert [f.tid for f in kept.fills] == [1]


def test_int64_max_itself_is_accepted(codec: HyperliquidCodec) -> None:
    (ev,) = codec.decode(fills_frame(fill(INT64_MAX, oid=INT64_MAX)), LOCAL)
    assert isinstance(ev, UserFills)
    assert ev.fills[0].tid == INT64_MAX


def test_order_update_oid_beyond_int64_is_rejected(codec: HyperliquidCodec) -> None:
    update = {"order": {"coin": "BTC", "side": "B", "limitPx": "1", "sz": "1", "oid": 2**63,
                        "timestamp": T_MS, "origSz": "1"},
              "status": "open", "statusTimestamp": T_MS}
    assert reasons(codec.decode(frame("orderUpdates", [update]), LOCAL)) == ["schema"]


@pytest.mark.parametrize("raw", [
    b'{"channel":"bbo","data":{"coin":"BT\xff","time":1,"bbo":[null,null]}}',  # in data
    b'{"channel":"bb\xff","data":{}}',  # in the envelope
    b'{"channel":"userFills","data":{"user":"0x\xc3","fills":[]}}',
])
def test_invalid_utf8_is_its_own_counted_reason(codec: HyperliquidCodec, raw: bytes) -> None:
    assert reasons(codec.decode(raw, LOCAL)) == ["bad_utf8"]
    assert codec.rejections == {"bad_utf8": 1}


@pytest.mark.parametrize("coin", ["btc", "BTC ", " BTC", "\u0412\u0422\u0421", "BTC\u200b",
                                  "SOL"])
def test_fills_for_coins_outside_the_configured_set_are_rejected(codec: HyperliquidCodec,
                                                                 coin: str) -> None:
    events = codec.decode(fills_frame(fill(1), fill(2, coin=coin)), LOCAL)
    assert reasons(events) == ["unknown_coin"]
    (kept,) = [e for e in events if isinstance(e, UserFills)]
    assert [f.coin for f in kept.fills] == ["BTC"]


def test_order_updates_for_unknown_coins_are_rejected(codec: HyperliquidCodec) -> None:
    update = {"order": {"coin": "eth", "side": "B", "limitPx": "1", "sz": "1", "oid": 5,
                        "timestamp": T_MS, "origSz": "1"},
              "status": "open", "statusTimestamp": T_MS}
    assert reasons(codec.decode(frame("orderUpdates", [update]), LOCAL)) == ["unknown_coin"]


@given(time=st.integers(min_value=-(2**70), max_value=2**70),
       tid=st.integers(min_value=-(2**70), max_value=2**70))
def test_every_accepted_integer_fits_sqlite(time: int, tid: int) -> None:
    codec = HyperliquidCodec(frozenset({"BTC"}))
    for ev in codec.decode(fills_frame(fill(tid, time=time)), LOCAL) + codec.decode(
            bbo(time), LOCAL):
        assert -(2**63) <= ev.exchange_ns <= INT64_MAX
        if isinstance(ev, UserFills):
            assert all(-(2**63) <= f.tid <= INT64_MAX for f in ev.fills)
        assert not (isinstance(ev, Rejection) and ev.reason == "internal_error")
