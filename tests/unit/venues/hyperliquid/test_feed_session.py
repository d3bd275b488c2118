"""The sans-I/O feed session: acks, heartbeat, staleness and dead-socket detection.

Plain unit tests: no socket, no event loop, no sleep. Time is an integer the test moves.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import orjson

from hyperliquid_ofi_trader.core.events import (
    AnyEvent,
    Bbo,
    FeedState,
    FeedStatus,
    Rejection,
    SubscriptionAck,
)
from hyperliquid_ofi_trader.venues.hyperliquid.websocket.codec import HyperliquidCodec
from hyperliquid_ofi_trader.venues.hyperliquid.websocket.session import (
    PING,
    FeedSession,
    RawFrame,
    SessionTimings,
    Step,
)
from hyperliquid_ofi_trader.venues.hyperliquid.websocket.watchdog import FeedWatchdog

MS = 1_000_000
S = 1_000 * MS
T0 = 1_737_918_843_000 * MS  # the codec refuses market data far from its receive time
SUBS: list[dict[str, Any]] = [{"type": "bbo", "coin": "BTC"},
                              {"type": "l2Book", "coin": "BTC", "nSigFigs": None},
                              {"type": "orderUpdates", "user": "0xABC"}]
TIMINGS = SessionTimings(ping_interval_ns=50 * S, silence_timeout_ns=20 * S,
                         ack_timeout_ns=10 * S)


def session(subs: Sequence[dict[str, Any]] = SUBS, decode: Any = None) -> FeedSession:
    codec = HyperliquidCodec(frozenset({"BTC"}))
    dog = FeedWatchdog({"bbo": 1 * S, "l2Book": 5 * S, "orderUpdates": 0}, 3.0)
    return FeedSession(subs, decode or codec.decode, dog, TIMINGS)


def ack(sub: dict[str, Any]) -> bytes:
    return orjson.dumps({"channel": "subscriptionResponse",
                         "data": {"method": "subscribe", "subscription": sub}})


def bbo(t_ns: int) -> bytes:
    return json.dumps({"channel": "bbo", "data": {"coin": "BTC", "time": t_ns // MS, "bbo": [
        {"px": "100.0", "sz": "1.0", "n": 1}, {"px": "100.5", "sz": "2.0", "n": 2}]}}).encode()


def feed_states(step: Step | Sequence[AnyEvent]) -> list[tuple[FeedStatus, str]]:
    return [(e.status, e.channel) for e in events_of(step) if isinstance(e, FeedState)]


def kinds(step: Step | Sequence[AnyEvent]) -> list[str]:
    return [type(e).__name__ for e in events_of(step)]


def events_of(step: Step | Sequence[AnyEvent]) -> Sequence[AnyEvent]:
    """on_frame returns its events; the other calls a Step."""
    return step.events if isinstance(step, Step) else step


def opened_and_acked(s: FeedSession, now: int = T0) -> None:
    s.on_open(now)
    s.on_subscribed(now)
    for sub in SUBS:
        s.on_frame(ack(sub), now)
    assert s.is_up


# ---------------------------------------------------------------- open, acks, UP


def test_open_asks_for_every_subscription_and_is_not_up_yet() -> None:
    s = session()
    step = s.on_open(T0)
    assert [orjson.loads(f) for f in step.frames] == [
        {"method": "subscribe", "subscription": sub} for sub in SUBS]
    assert step.events == ()
    assert not s.is_up


def test_up_once_every_ack_is_in_after_the_subscriptions_went_out() -> None:
    s = session()
    s.on_open(T0)
    assert s.on_subscribed(T0 + MS).events == ()
    first = s.on_frame(ack(SUBS[0]), T0 + 2 * MS)
    assert kinds(first) == ["SubscriptionAck"]
    # The venue echoes addresses in its own case and drops/adds null defaults.
    s.on_frame(ack({"type": "orderUpdates", "user": "0xabc"}), T0 + 3 * MS)
    last = s.on_frame(ack({"type": "l2Book", "coin": "BTC", "nSigFigs": None,
                           "mantissa": None}), T0 + 4 * MS)
    assert kinds(last) == ["SubscriptionAck", "FeedState"]
    assert feed_states(last) == [(FeedStatus.UP, "")]
    assert s.is_up


def test_acks_arriving_before_the_last_subscribe_was_sent_give_up_on_subscribed() -> None:
    s = session()
    s.on_open(T0)
    for sub in SUBS:
        assert feed_states(s.on_frame(ack(sub), T0 + MS)) == []
    step = s.on_subscribed(T0 + 2 * MS)
    assert feed_states(step) == [(FeedStatus.UP, "")]
    assert step.events[0].local_ns == T0 + 2 * MS
    assert "3 subscriptions acked" in step.events[0].detail  # type: ignore[union-attr]


def test_up_without_acks_after_the_timeout_names_the_missing_ones() -> None:
    s = session()
    s.on_open(T0)
    s.on_subscribed(T0)
    s.on_frame(ack(SUBS[0]), T0 + MS)
    assert feed_states(s.on_tick(T0 + 10 * S - 1)) == []
    step = s.on_tick(T0 + 10 * S)
    (up,) = step.events
    assert isinstance(up, FeedState)
    assert up.status is FeedStatus.UP
    assert up.detail.startswith("2 subscriptions unacked after ack timeout")
    assert "orderUpdates" in up.detail
    assert s.stats.unacked_subscriptions == 2


def test_no_subscriptions_is_up_at_once() -> None:
    s = session(subs=[])
    assert s.on_open(T0).frames == ()
    assert feed_states(s.on_subscribed(T0)) == [(FeedStatus.UP, "")]


# ---------------------------------------------------------------- staleness


def test_a_subscribed_channel_that_never_speaks_turns_stale_after_up() -> None:
    s = session()
    s.on_open(T0)
    s.on_subscribed(T0)
    assert feed_states(s.on_tick(T0 + 9 * S)) == []  # not armed before UP
    for sub in SUBS:
        s.on_frame(ack(sub), T0 + 9 * S)
    assert feed_states(s.on_tick(T0 + 12 * S - 1)) == []
    assert feed_states(s.on_tick(T0 + 12 * S + 1)) == [(FeedStatus.STALE, "bbo:BTC")]
    stale = s.on_tick(T0 + 30 * S).events  # reported once, l2Book's limit is 15 s
    assert [(e.status, e.channel, e.coin) for e in stale  # type: ignore[union-attr]
            ] == [(FeedStatus.STALE, "l2Book:BTC", "BTC")]
    assert s.stats.stale_reports == 2


def test_recovered_comes_just_before_the_data_that_ended_the_silence() -> None:
    s = session()
    opened_and_acked(s)
    s.on_tick(T0 + 4 * S)
    step = s.on_frame(bbo(T0 + 5 * S), T0 + 5 * S)
    assert kinds(step) == ["FeedState", "Bbo"]
    assert feed_states(step) == [(FeedStatus.RECOVERED, "bbo:BTC")]
    assert isinstance(step[1], Bbo)


def test_a_stale_channel_at_a_reconnect_still_gets_its_recovered() -> None:
    s = session()
    opened_and_acked(s)
    assert feed_states(s.on_tick(T0 + 4 * S)) == [(FeedStatus.STALE, "bbo:BTC")]
    down = s.on_close(T0 + 5 * S, "connection lost: reset")
    assert feed_states(down) == [(FeedStatus.DOWN, "")]
    assert not s.is_up
    reopened = s.on_open(T0 + 6 * S)
    assert len(reopened.frames) == len(SUBS)  # everything again
    assert feed_states(s.on_frame(bbo(T0 + 6 * S), T0 + 6 * S)) == [
        (FeedStatus.RECOVERED, "bbo:BTC")]


def test_acks_of_a_new_connection_are_awaited_again() -> None:
    s = session()
    opened_and_acked(s)
    s.on_close(T0 + S, "stopped")
    s.on_open(T0 + 2 * S)
    s.on_subscribed(T0 + 2 * S)
    assert not s.is_up
    s.on_frame(ack(SUBS[0]), T0 + 2 * S)
    assert not s.is_up


# ---------------------------------------------------------------- heartbeat and death


def test_ping_after_send_silence_and_not_before() -> None:
    s = session()
    opened_and_acked(s)
    s.on_frame(bbo(T0), T0 + 49 * S)  # receiving keeps the socket alive...
    assert s.on_tick(T0 + 50 * S - 1).frames == ()
    s.on_frame(bbo(T0), T0 + 50 * S - 1)
    assert s.on_tick(T0 + 50 * S).frames == (PING,)  # ...but only sending keeps the venue's
    assert s.stats.pings_sent == 1


def test_a_send_postpones_the_ping() -> None:
    s = session()
    opened_and_acked(s)
    s.on_sent(T0 + 40 * S)  # a post request counts as traffic
    s.on_frame(bbo(T0), T0 + 50 * S)
    assert s.on_tick(T0 + 50 * S).frames == ()
    assert s.on_tick(T0 + 90 * S - 1).frames == ()  # (dead check: nothing received since)
    assert s.stats.messages_sent == 1


def test_receive_silence_sends_a_probe_ping_then_declares_the_socket_dead() -> None:
    s = session()
    opened_and_acked(s)
    s.on_sent(T0)
    assert s.on_tick(T0 + 10 * S - 1).frames == ()
    probe = s.on_tick(T0 + 10 * S)
    assert probe.frames == (PING,)
    assert probe.dead == ""
    assert s.on_tick(T0 + 15 * S).frames == ()  # one probe per half-silence
    dead = s.on_tick(T0 + 20 * S)
    assert dead.dead == "nothing received for 20000 ms"
    assert dead.frames == ()
    assert s.stats.dead_connections == 1


def test_any_frame_even_a_pong_keeps_the_socket_alive() -> None:
    s = session()
    opened_and_acked(s)
    s.on_frame(b'{"channel":"pong"}', T0 + 19 * S)
    assert s.on_tick(T0 + 20 * S).dead == ""


# ---------------------------------------------------------------- bad frames


def test_codec_rejections_are_counted_and_passed_on() -> None:
    s = session()
    opened_and_acked(s)
    step = s.on_frame(b"{not json", T0 + S)
    assert kinds(step) == ["Rejection"]
    assert s.stats.rejections == 1
    assert s.stats.frames_received == 1 + len(SUBS)


def test_a_decode_that_raises_becomes_a_counted_rejection() -> None:
    def broken(raw: RawFrame, now: int) -> Sequence[AnyEvent]:
        raise ValueError("codec bug")

    s = session(decode=broken)
    s.on_open(T0)
    (rej,) = s.on_frame(b"{}", T0 + S)
    assert isinstance(rej, Rejection)
    assert rej.reason == "decode_error"
    assert "codec bug" in rej.detail
    assert s.stats.decode_errors == 1


def test_unsubscribe_acks_do_not_count_as_subscribe_acks() -> None:
    s = session()
    s.on_open(T0)
    s.on_subscribed(T0)
    for sub in SUBS:
        frame = orjson.dumps({"channel": "subscriptionResponse",
                              "data": {"method": "unsubscribe", "subscription": sub}})
        (ev,) = s.on_frame(frame, T0 + MS)
        assert isinstance(ev, SubscriptionAck)
    assert not s.is_up
