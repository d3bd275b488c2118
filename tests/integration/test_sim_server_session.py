"""`WsSession` (sans-I/O) under arbitrary client input: it never raises, every reply is a
frame or a post to run, and closing a session gives the IP budget back all it held."""

from __future__ import annotations

import json
from typing import Any

import orjson
from hypothesis import given, settings
from hypothesis import strategies as st

from hyperliquid_ofi_trader.sim.ws_session import IpLedger, ReplyKind, WsLimits, WsSession

_USERS = ["0x" + c * 40 for c in "abc"]
def _json_text(message: object) -> str:
    # The stdlib encoder, not orjson: integers beyond 64 bits are valid JSON a client may
    # send, and orjson refuses to write them (the strategy itself failed on one).
    return json.dumps(message, separators=(",", ":"))


_subs = st.one_of(
    st.fixed_dictionaries({"type": st.sampled_from(["l2Book", "bbo", "trades", "candle"]),
                           "coin": st.sampled_from(["BTC", "ETH", "", 5])}),
    st.fixed_dictionaries({"type": st.sampled_from(["orderUpdates", "userFills",
                                                    "userEvents"]),
                           "user": st.sampled_from([*_USERS, "0x12", None])}),
    st.none(), st.integers(),
)
_messages = st.one_of(
    st.fixed_dictionaries({"method": st.sampled_from(["subscribe", "unsubscribe"]),
                           "subscription": _subs}).map(_json_text),
    st.fixed_dictionaries({"method": st.just("post"),
                           "id": st.one_of(st.integers(-2, 5), st.text(max_size=2)),
                           "request": st.one_of(st.none(), st.fixed_dictionaries({
                               "type": st.sampled_from(["info", "action", "x"]),
                               "payload": st.just({"type": "meta"})}))}
                          ).map(_json_text),
    st.just('{"method":"ping"}'), st.text(max_size=30), st.just("[1,2]"), st.just("null"),
)


@settings(max_examples=150, deadline=None)
@given(st.lists(_messages, max_size=40))
def test_any_input_is_answered_and_budget_is_returned(texts: list[str]) -> None:
    ledger = IpLedger(WsLimits(max_subscriptions=5, max_users=2, messages_per_minute=30,
                               max_inflight_posts=3))
    budget = ledger.budget("127.0.0.1")
    assert budget.admit(0) is None
    session = WsSession("127.0.0.1", budget, 0)
    for i, text in enumerate(texts):
        reply = session.receive(text, i)
        assert reply.kind is not ReplyKind.NOTHING
        if reply.kind is ReplyKind.POST:
            session.post_done()
        else:
            assert reply.frame is not None
            orjson.dumps(reply.frame)  # always serialisable
        _check_budget(session, budget.users, budget.subscriptions)
    session.close()
    assert (budget.subscriptions, budget.users, budget.connections,
            budget.inflight_posts) == (0, {}, 0, 0)


def _check_budget(session: WsSession, users: dict[str, Any], subscriptions: int) -> None:
    assert subscriptions == len(session.subscriptions) <= 5
    assert len(users) <= 2
    named = [s.user for s in session.subscriptions.values() if s.user is not None]
    assert users == {u: named.count(u) for u in set(named)}
