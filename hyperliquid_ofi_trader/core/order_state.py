"""The life cycle of one order, as data in one place (in the manner of h11's `_state.py`).

`TRANSITIONS[state][event]` is the next state. Two kinds of entries matter:

- real moves (PENDING --ACCEPTED--> RESTING, RESTING --CANCEL_SENT--> CANCEL_PENDING, ...);
- no-op entries listed in `_STALE`: duplicate or out-of-order venue news that must be
  ignored, never allowed to regress the order (a late "open" after "filled" is the classic).
  `is_stale(state, event)` tells the manager to count and drop them.

A pair missing from the table is a bug of OURS (e.g. sending a cancel for an order we
already know is filled): `transition` raises `IllegalOrderTransition`. Venue-driven events
have an entry for every state, so venue news can never reach that path.

Fills are facts: FILLED is reachable from CANCELLED / EXPIRED / REJECTED because a fill that
completes the order overrides an earlier conclusion (e.g. a cancel confirmation or an
"unknownOid" answer that raced the fill).
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from typing import Final

from hyperliquid_ofi_trader.errors import OurBugError


class OrderState(enum.StrEnum):
    PENDING = "pending"  # sent, no answer yet
    RESTING = "resting"
    PARTIALLY_FILLED = "partially_filled"
    CANCEL_PENDING = "cancel_pending"  # cancel (or cancel-and-replace) sent, not confirmed
    UNKNOWN = "unknown"  # answer lost: resolved only by an OrderStatusReport / snapshot
    FILLED = "filled"
    CANCELLED = "cancelled"
    EXPIRED = "expired"  # IOC remainder, or an order the venue never saw
    REJECTED = "rejected"


class OrderEvent(enum.StrEnum):
    """What can happen to an order (from the venue, or a command we send)."""

    ACCEPTED = "accepted"  # resting / open / triggered
    PARTIAL_FILL = "partial_fill"
    FILLED = "filled"
    REJECTED = "rejected"
    CANCEL_SENT = "cancel_sent"  # ours
    CANCELLED = "cancelled"
    EXPIRED = "expired"
    LOST = "lost"  # ours: the answer was lost or a request failed transiently


class IllegalOrderTransition(OurBugError, RuntimeError):  # noqa: N818 (the name other modules code against)
    """Our bug: the manager asked for a move the life cycle does not allow."""

    def __init__(self, state: OrderState, event: OrderEvent) -> None:
        super().__init__(f"illegal order transition: {state.value} --{event.value}-->")
        self.state = state
        self.event = event


S = OrderState
E = OrderEvent

TERMINAL: Final = frozenset({S.FILLED, S.CANCELLED, S.EXPIRED, S.REJECTED})

# Venue news every state must accept (so it can never raise); terminal states ignore most.
_NON_TERMINAL_VENUE: Final[Mapping[OrderState, Mapping[OrderEvent, OrderState]]] = {
    S.PENDING: {E.ACCEPTED: S.RESTING, E.PARTIAL_FILL: S.PARTIALLY_FILLED, E.FILLED: S.FILLED,
                E.REJECTED: S.REJECTED, E.CANCELLED: S.CANCELLED, E.EXPIRED: S.EXPIRED},
    S.RESTING: {E.ACCEPTED: S.RESTING, E.PARTIAL_FILL: S.PARTIALLY_FILLED, E.FILLED: S.FILLED,
                E.REJECTED: S.RESTING, E.CANCELLED: S.CANCELLED, E.EXPIRED: S.EXPIRED},
    S.PARTIALLY_FILLED: {E.ACCEPTED: S.PARTIALLY_FILLED, E.PARTIAL_FILL: S.PARTIALLY_FILLED,
                         E.FILLED: S.FILLED, E.REJECTED: S.PARTIALLY_FILLED,
                         E.CANCELLED: S.CANCELLED, E.EXPIRED: S.EXPIRED},
    # A fill racing our cancel is applied (size counts) but the cancel is still in flight.
    S.CANCEL_PENDING: {E.ACCEPTED: S.CANCEL_PENDING, E.PARTIAL_FILL: S.CANCEL_PENDING,
                       E.FILLED: S.FILLED, E.REJECTED: S.REJECTED, E.CANCELLED: S.CANCELLED,
                       E.EXPIRED: S.EXPIRED},
    # A partial fill proves the order exists but not whether it still rests: stay UNKNOWN
    # until a status answer says so.
    S.UNKNOWN: {E.ACCEPTED: S.RESTING, E.PARTIAL_FILL: S.UNKNOWN, E.FILLED: S.FILLED,
                E.REJECTED: S.REJECTED, E.CANCELLED: S.CANCELLED, E.EXPIRED: S.EXPIRED},
}

# Our own commands, allowed only on orders that are still live (a cancel re-sent while one
# is pending keeps CANCEL_PENDING).
_OURS: Final[Mapping[OrderEvent, OrderState]] = {E.CANCEL_SENT: S.CANCEL_PENDING,
                                                 E.LOST: S.UNKNOWN}


def _terminal_row(state: OrderState) -> dict[OrderEvent, OrderState]:
    row = dict.fromkeys((E.ACCEPTED, E.PARTIAL_FILL, E.REJECTED, E.CANCELLED, E.EXPIRED),
                        state)
    row[E.FILLED] = S.FILLED
    return row


def _build() -> dict[OrderState, dict[OrderEvent, OrderState]]:
    table: dict[OrderState, dict[OrderEvent, OrderState]] = {}
    for state, row in _NON_TERMINAL_VENUE.items():
        table[state] = {**row, **_OURS}
    for state in TERMINAL:
        table[state] = _terminal_row(state)
    return table


TRANSITIONS: Final[Mapping[OrderState, Mapping[OrderEvent, OrderState]]] = _build()

# Entries that keep the state although the event "wants" to move it: out-of-order or
# duplicate news. (Self-loops that are normal progress, like a second partial fill or a
# re-sent cancel, are not stale.)
_PROGRESS_LOOPS: Final = frozenset({(S.PARTIALLY_FILLED, E.PARTIAL_FILL),
                                    (S.CANCEL_PENDING, E.PARTIAL_FILL),
                                    (S.CANCEL_PENDING, E.CANCEL_SENT),
                                    (S.UNKNOWN, E.PARTIAL_FILL), (S.UNKNOWN, E.LOST)})
_STALE: Final = frozenset((s, e) for s, row in TRANSITIONS.items() for e, n in row.items()
                          if n is s and (s, e) not in _PROGRESS_LOOPS)


def transition(state: OrderState, event: OrderEvent) -> OrderState:
    """The next state, or `IllegalOrderTransition` when the move is a bug of ours."""
    nxt = TRANSITIONS[state].get(event)
    if nxt is None:
        raise IllegalOrderTransition(state, event)
    return nxt


# Stale news that only repeats what the state already says (the post answer "resting" after
# the orderUpdates push "open" got there first: routine on Hyperliquid, where pushes and
# post answers race). Counted apart from news that really arrives out of order.
_REPEATS: Final = frozenset({(S.RESTING, E.ACCEPTED), (S.PARTIALLY_FILLED, E.ACCEPTED),
                             (S.FILLED, E.FILLED), (S.CANCELLED, E.CANCELLED),
                             (S.EXPIRED, E.EXPIRED), (S.REJECTED, E.REJECTED)})


def is_repeat(state: OrderState, event: OrderEvent) -> bool:
    """True when stale `event` merely repeats what `state` already says."""
    return (state, event) in _REPEATS


def is_stale(state: OrderState, event: OrderEvent) -> bool:
    """True when `event` in `state` is duplicate / out-of-order news to drop and count."""
    return (state, event) in _STALE


def is_terminal(state: OrderState) -> bool:
    return state in TERMINAL


def is_live(state: OrderState) -> bool:
    """Non-terminal: the order may still rest (or be about to rest) on the venue."""
    return state not in TERMINAL
