"""The order life-cycle table: contract moves, stale news, illegal moves of ours."""

from __future__ import annotations

import pytest

from hyperliquid_ofi_trader.core.order_state import (
    TERMINAL,
    TRANSITIONS,
    IllegalOrderTransition,
    OrderEvent,
    OrderState,
    is_live,
    is_stale,
    is_terminal,
    transition,
)

S = OrderState
E = OrderEvent
VENUE_EVENTS = (E.ACCEPTED, E.PARTIAL_FILL, E.FILLED, E.REJECTED, E.CANCELLED, E.EXPIRED)
LIVE = [s for s in S if s not in TERMINAL]


@pytest.mark.parametrize(("state", "event", "expected"), [
    (S.PENDING, E.ACCEPTED, S.RESTING),
    (S.PENDING, E.PARTIAL_FILL, S.PARTIALLY_FILLED),
    (S.PENDING, E.FILLED, S.FILLED),
    (S.PENDING, E.REJECTED, S.REJECTED),
    (S.RESTING, E.PARTIAL_FILL, S.PARTIALLY_FILLED),
    (S.RESTING, E.FILLED, S.FILLED),
    (S.RESTING, E.CANCEL_SENT, S.CANCEL_PENDING),
    (S.RESTING, E.CANCELLED, S.CANCELLED),
    (S.RESTING, E.EXPIRED, S.EXPIRED),
    (S.CANCEL_PENDING, E.CANCELLED, S.CANCELLED),
    (S.CANCEL_PENDING, E.FILLED, S.FILLED),
    (S.CANCEL_PENDING, E.PARTIAL_FILL, S.CANCEL_PENDING),
    (S.UNKNOWN, E.ACCEPTED, S.RESTING),
    (S.UNKNOWN, E.FILLED, S.FILLED),
    (S.UNKNOWN, E.EXPIRED, S.EXPIRED),
    (S.CANCELLED, E.FILLED, S.FILLED),  # fills are facts
])
def test_contract_moves(state: OrderState, event: OrderEvent, expected: OrderState) -> None:
    assert transition(state, event) is expected


@pytest.mark.parametrize("state", LIVE)
def test_every_live_state_can_be_lost(state: OrderState) -> None:
    assert transition(state, E.LOST) is S.UNKNOWN


@pytest.mark.parametrize("state", list(S))
@pytest.mark.parametrize("event", VENUE_EVENTS)
def test_venue_news_never_raises(state: OrderState, event: OrderEvent) -> None:
    nxt = transition(state, event)
    if is_terminal(state):
        assert nxt is state or nxt is S.FILLED  # never regresses to a live state


@pytest.mark.parametrize("state", sorted(TERMINAL))
@pytest.mark.parametrize("event", [E.CANCEL_SENT, E.LOST])
def test_our_commands_on_finished_orders_are_bugs(state: OrderState, event: OrderEvent) -> None:
    with pytest.raises(IllegalOrderTransition) as info:
        transition(state, event)
    assert info.value.state is state
    assert info.value.event is event


def test_stale_news() -> None:
    assert is_stale(S.FILLED, E.ACCEPTED)  # the late "open" after "filled"
    assert is_stale(S.RESTING, E.ACCEPTED)  # a duplicate ack
    assert is_stale(S.CANCEL_PENDING, E.ACCEPTED)
    assert is_stale(S.CANCELLED, E.CANCELLED)
    assert not is_stale(S.PARTIALLY_FILLED, E.PARTIAL_FILL)  # progress, not news to drop
    assert not is_stale(S.CANCEL_PENDING, E.PARTIAL_FILL)
    assert not is_stale(S.PENDING, E.ACCEPTED)
    assert not is_stale(S.CANCELLED, E.FILLED)


def test_table_is_total_over_states_and_terminal_flags() -> None:
    assert set(TRANSITIONS) == set(S)
    assert {S.FILLED, S.CANCELLED, S.EXPIRED, S.REJECTED} == TERMINAL
    assert all(is_live(s) for s in LIVE)
    assert not any(is_live(s) for s in TERMINAL)
