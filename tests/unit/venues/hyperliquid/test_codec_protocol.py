"""Codec: protocol frames (greeting, pong, acks, post answers, venue errors), envelope
errors, counters, and the outgoing-message encoders."""

from __future__ import annotations

import json
from typing import Any

import pytest

from hyperliquid_ofi_trader.core.events import (
    BookSnapshot,
    Greeting,
    Pong,
    PostResponse,
    Rejection,
    SubscriptionAck,
)
from hyperliquid_ofi_trader.venues.hyperliquid.websocket.codec import (
    EncodeError,
    HyperliquidCodec,
    ping_message,
    post_message,
    subscribe_message,
    unsubscribe_message,
)

LOCAL = 42
GOOD_BOOK = json.dumps({"channel": "l2Book", "data": {
    "coin": "BTC", "time": 1, "levels": [[{"px": "1", "sz": "1", "n": 1}], []]}}).encode()


def frame(channel: str, data: Any) -> bytes:
    return json.dumps({"channel": channel, "data": data}).encode()


def one_rejection(codec: HyperliquidCodec, raw: Any) -> Rejection:
    events = codec.decode(raw, LOCAL)
    assert len(events) == 1, events
    (ev,) = events
    assert isinstance(ev, Rejection), ev
    (good,) = codec.decode(GOOD_BOOK, LOCAL)
    assert isinstance(good, BookSnapshot)
    return ev


@pytest.fixture
def codec() -> HyperliquidCodec:
    return HyperliquidCodec()


@pytest.mark.parametrize("raw", ["Websocket connection established.",
                                 b"Websocket connection established.",
                                 "Websocket connection established.\n"])
def test_greeting(codec: HyperliquidCodec, raw: bytes | str) -> None:
    assert codec.decode(raw, LOCAL) == [Greeting(exchange_ns=0, local_ns=LOCAL)]
    assert codec.rejections == {}


def test_pong(codec: HyperliquidCodec) -> None:
    assert codec.decode(b'{"channel":"pong"}', LOCAL) == [Pong(exchange_ns=0, local_ns=LOCAL)]


def test_subscription_ack(codec: HyperliquidCodec) -> None:
    sub = {"type": "l2Book", "coin": "BTC"}
    (ev,) = codec.decode(frame("subscriptionResponse",
                               {"method": "subscribe", "subscription": sub}), LOCAL)
    assert ev == SubscriptionAck(exchange_ns=0, local_ns=LOCAL, method="subscribe",
                                 subscription=sub)


@pytest.mark.parametrize(("kind", "payload"), [
    ("info", {"type": "l2Book", "data": {"coin": "BTC", "levels": [[], []]}}),
    ("action", {"status": "ok", "response": {"type": "order", "data": {
        "statuses": [{"resting": {"oid": 77}}]}}}),
    ("error", "Invalid nonce: duplicate nonce 1"),
])
def test_post_response(codec: HyperliquidCodec, kind: str, payload: Any) -> None:
    data = {"id": 12, "response": {"type": kind, "payload": payload}}
    (ev,) = codec.decode(frame("post", data), LOCAL)
    assert ev == PostResponse(exchange_ns=0, local_ns=LOCAL, request_id=12, kind=kind,
                              payload=payload)


def test_venue_error_text(codec: HyperliquidCodec) -> None:
    text = "Invalid subscription {\"type\":\"l2Book\",\"coin\":\"NOPE\"}"
    ev = one_rejection(codec, frame("error", text))
    assert (ev.reason, ev.detail, ev.channel) == ("venue_error", text, "error")


def test_venue_error_non_text(codec: HyperliquidCodec) -> None:
    ev = one_rejection(codec, frame("error", {"code": 1}))
    assert ev.reason == "venue_error"
    assert "code" in ev.detail


@pytest.mark.parametrize(("raw", "reason"), [
    (b"", "malformed_json"),
    (b"{", "malformed_json"),
    (b'{"channel":"l2Book","data":{"coin":"BTC"', "malformed_json"),
    (b"\xff\xfe\x00", "malformed_json"),
    ("Websocket connection", "malformed_json"),
    (b"[1,2]", "bad_envelope"),
    (b"42", "bad_envelope"),
    (b'"l2Book"', "bad_envelope"),
    (b"null", "bad_envelope"),
    (b'{"data":{}}', "bad_envelope"),
    (b'{"channel":5,"data":{}}', "bad_envelope"),
    (b'{"channel":"candle","data":{}}', "unknown_channel"),
    (b'{"channel":"l2Book"}', "missing_data"),
    (b'{"channel":"post"}', "missing_data"),
    (frame("post", {"id": "x", "response": {"type": "info"}}), "schema"),
    (frame("post", {"id": 1}), "schema"),
    (frame("subscriptionResponse", {"method": "subscribe"}), "schema"),
    (frame("subscriptionResponse", {"method": "subscribe", "subscription": []}), "schema"),
    (None, "malformed_json"),
    (12345, "malformed_json"),
])
def test_envelope_errors(codec: HyperliquidCodec, raw: Any, reason: str) -> None:
    ev = one_rejection(codec, raw)
    assert ev.reason == reason
    assert ev.detail
    assert codec.rejections == {reason: 1}


def test_detail_is_bounded(codec: HyperliquidCodec) -> None:
    ev = one_rejection(codec, b'{"channel":"' + b"x" * 10_000 + b'","data":1}')
    assert ev.reason == "unknown_channel"
    assert len(ev.detail) <= 300
    ev = one_rejection(codec, frame("error", "y" * 10_000))
    assert len(ev.detail) <= 300


def test_counters(codec: HyperliquidCodec) -> None:
    codec.decode(GOOD_BOOK, 1)
    codec.decode(b"{", 2)
    codec.decode(b"{", 3)
    codec.decode(b'{"channel":"pong"}', 4)
    assert codec.frames == 4
    assert codec.rejections == {"malformed_json": 2}
    assert codec.rejected == 2
    assert codec.events_by_type == {"BookSnapshot": 1, "Rejection": 2, "Pong": 1}


def test_unexpected_internal_fault_is_reported_not_raised(
        codec: HyperliquidCodec, monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(data: Any, local_ns: int, out: Any) -> None:
        raise RuntimeError("bug")

    monkeypatch.setitem(codec._dispatch, "l2Book", boom)
    (ev,) = codec.decode(GOOD_BOOK, LOCAL)
    assert isinstance(ev, Rejection)
    assert (ev.reason, ev.detail) == ("internal_error", "RuntimeError: bug")


# ---------------------------------------------------------------- encoders


def test_subscribe_and_unsubscribe() -> None:
    sub = {"type": "l2Book", "coin": "BTC", "nSigFigs": None}
    assert json.loads(subscribe_message(sub)) == {"method": "subscribe", "subscription": sub}
    assert json.loads(unsubscribe_message(sub)) == {"method": "unsubscribe",
                                                    "subscription": sub}
    assert subscribe_message({"type": "bbo", "coin": "ETH"}) == (
        b'{"method":"subscribe","subscription":{"type":"bbo","coin":"ETH"}}')


def test_ping() -> None:
    assert json.loads(ping_message()) == {"method": "ping"}


def test_post_message_keeps_key_order() -> None:
    action = {"type": "order", "orders": [{"a": 0, "b": True, "p": "1", "s": "1", "r": False,
                                           "t": {"limit": {"tif": "Alo"}}}],
              "grouping": "na"}
    payload = {"action": action, "nonce": 5, "signature": {"r": "0x1", "s": "0x2", "v": 27}}
    raw = post_message(7, "action", payload)
    assert json.loads(raw) == {"method": "post", "id": 7,
                               "request": {"type": "action", "payload": payload}}
    assert raw.index(b'"orders"') < raw.index(b'"grouping"')
    assert json.loads(post_message(8, "info", {"type": "meta"}))["request"]["type"] == "info"


@pytest.mark.parametrize(("rid", "kind", "payload"), [
    (-1, "info", {}), (True, "info", {}), ("1", "info", {}), (1, "exchange", {}),
    (1, "info", [1]),
])
def test_post_message_refuses_our_bugs(rid: Any, kind: str, payload: Any) -> None:
    with pytest.raises(EncodeError):
        post_message(rid, kind, payload)


@pytest.mark.parametrize("sub", [{}, {"type": ""}, {"type": 3}, ["type"]])
def test_subscribe_refuses_bad_subscription(sub: Any) -> None:
    with pytest.raises(EncodeError):
        subscribe_message(sub)
    with pytest.raises(EncodeError):
        unsubscribe_message(sub)


def test_encoded_messages_round_trip_through_the_codec_shape() -> None:
    # What we send is JSON the venue's own framing would parse: an object with `method`.
    for raw in (ping_message(), subscribe_message({"type": "trades", "coin": "BTC"}),
                post_message(1, "info", {"type": "meta"})):
        assert isinstance(json.loads(raw)["method"], str)


def test_unencodable_payload_is_our_bug() -> None:
    with pytest.raises(EncodeError):
        post_message(1, "info", {"type": object()})


@pytest.mark.parametrize("wrap", [
    lambda deep: deep,
    lambda deep: b'{"channel":"l2Book","data":' + deep + b"}",
    lambda deep: b'{"channel":"post","data":{"id":1,"response":{"type":"info","payload":'
    + deep + b"}}}",
    lambda deep: b'{"channel":"user","data":{"liquidation":' + deep + b"}}",
])
def test_absurd_nesting_is_rejected(codec: HyperliquidCodec, wrap: Any) -> None:
    ev = one_rejection(codec, wrap(b"[" * 100_000 + b"]" * 100_000))
    assert ev.reason in {"too_deep", "bad_envelope"}
    assert codec.rejections.get("internal_error") is None
