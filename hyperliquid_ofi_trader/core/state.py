"""Trading state: ACTIVE / REDUCING / HALTED, kept as data in one transition table.

The table `TRANSITIONS` is the whole state machine (as `h11/_state.py` keeps its
protocol): a (state, trigger) pair that is not in it is a bug in the caller and raises
`IllegalTransition` at once instead of being silently ignored.

Meaning of the states:
- ACTIVE: the strategy may open and close positions.
- REDUCING: only reduce-only intents pass; the system is degraded (a needed feed is down
  or stale, a stage keeps failing, or the operator asked for it).
- HALTED: no strategy runs, all resting orders are cancelled; an operator's `resume`
  leaves it, or the recovery policy for the triggers risk.yaml lets recover.

Escalation is one-way except for three explicit exits: the operator's RESUME (REDUCING or
HALTED -> ACTIVE), the automatic FEED_RESTORED (REDUCING -> ACTIVE), which the engine
fires only when the REDUCING state was caused by a feed problem alone and the feature is
switched on (see `core/engine.py`), and AUTO_RECOVER (REDUCING or HALTED -> ACTIVE), which
the live runner fires for the triggers risk.yaml's recovery policy names, once the feed is
healthy and the account reconciled (risk/recovery.py). Repeated degradation triggers in
an already degraded state are legal no-ops (a second stale feed while REDUCING changes
nothing), so callers never have to pre-check the state.
"""

from __future__ import annotations

import enum
from collections import deque
from collections.abc import Mapping

import msgspec

from hyperliquid_ofi_trader.errors import OurBugError


class TradingState(enum.StrEnum):
    ACTIVE = "ACTIVE"
    REDUCING = "REDUCING"
    HALTED = "HALTED"


class Trigger(enum.StrEnum):
    """Why the state may change. Stable strings: they are stored in the journal."""

    FEED_LOST = "feed_lost"  # a needed channel went DOWN or STALE
    FEED_RESTORED = "feed_restored"  # automatic rule: every needed feed is healthy again
    STAGE_ERRORS_REDUCE = "stage_errors_reduce"  # a stage failed `reducing_after` times
    STAGE_ERRORS_HALT = "stage_errors_halt"  # a stage failed `halted_after` times
    KILL_SWITCH = "kill_switch"
    MANUAL_REDUCE = "manual_reduce"
    MANUAL_HALT = "manual_halt"
    RESUME = "resume"  # explicit operator action only
    AUTO_RECOVER = "auto_recover"  # the risk.yaml recovery policy (risk/recovery.py)


class IllegalTransition(OurBugError):  # noqa: N818 (name fixed by the issue text)
    """A trigger that the table does not allow from the current state: our bug, fail fast."""

    def __init__(self, state: TradingState, trigger: Trigger) -> None:
        super().__init__(f"trigger {trigger.value!r} is not allowed in state {state.value}")
        self.state = state
        self.trigger = trigger


_A, _R, _H = TradingState.ACTIVE, TradingState.REDUCING, TradingState.HALTED
_DEGRADE_TO_REDUCING = (Trigger.FEED_LOST, Trigger.STAGE_ERRORS_REDUCE, Trigger.MANUAL_REDUCE)
_DEGRADE_TO_HALTED = (Trigger.STAGE_ERRORS_HALT, Trigger.KILL_SWITCH, Trigger.MANUAL_HALT)


def _build_table() -> dict[tuple[TradingState, Trigger], TradingState]:
    table: dict[tuple[TradingState, Trigger], TradingState] = {}
    for trig in _DEGRADE_TO_REDUCING:
        table[(_A, trig)] = _R
        table[(_R, trig)] = _R  # already degraded: a legal no-op
        table[(_H, trig)] = _H  # never "improve" HALTED by a lesser degradation
    for trig in _DEGRADE_TO_HALTED:
        table[(_A, trig)] = _H
        table[(_R, trig)] = _H
        table[(_H, trig)] = _H
    table[(_R, Trigger.RESUME)] = _A
    table[(_H, Trigger.RESUME)] = _A
    table[(_R, Trigger.FEED_RESTORED)] = _A
    # Only for the triggers risk.yaml's recovery policy lets recover, once the feed is
    # healthy and the account reconciled (never an operator's kill: the policy refuses).
    table[(_R, Trigger.AUTO_RECOVER)] = _A
    table[(_H, Trigger.AUTO_RECOVER)] = _A
    # Deliberately absent: (ACTIVE, RESUME), (ACTIVE, FEED_RESTORED), (ACTIVE, AUTO_RECOVER),
    # (HALTED, FEED_RESTORED): resuming what is running is a caller bug.
    return table


TRANSITIONS: Mapping[tuple[TradingState, Trigger], TradingState] = _build_table()


class Transition(msgspec.Struct, frozen=True, gc=False, kw_only=True):
    """One applied trigger: where from, where to, why, and at which event time."""

    from_state: TradingState
    to_state: TradingState
    trigger: Trigger
    reason: str
    exchange_ns: int
    local_ns: int

    @property
    def changed(self) -> bool:
        return self.from_state is not self.to_state


class TradingStateMachine:
    """Holds the current state and the trigger that put it there (its `cause`)."""

    __slots__ = ("_cause", "_last", "_state", "transitions")

    def __init__(self, initial: TradingState = TradingState.ACTIVE) -> None:
        self._state = initial
        self._cause: Trigger | None = None
        self._last: Transition | None = None
        self.transitions = 0  # count of real state changes

    @property
    def state(self) -> TradingState:
        return self._state

    @property
    def cause(self) -> Trigger | None:
        """The trigger that entered the current degraded state; None while ACTIVE."""
        return self._cause

    @property
    def last(self) -> Transition | None:
        return self._last

    def can(self, trigger: Trigger) -> bool:
        return (self._state, trigger) in TRANSITIONS

    def apply(self, trigger: Trigger, reason: str, exchange_ns: int, local_ns: int) -> Transition:
        """Apply `trigger`; raise `IllegalTransition` when the table does not allow it."""
        target = TRANSITIONS.get((self._state, trigger))
        if target is None:
            raise IllegalTransition(self._state, trigger)
        tr = Transition(from_state=self._state, to_state=target, trigger=trigger,
                        reason=reason, exchange_ns=exchange_ns, local_ns=local_ns)
        if tr.changed:
            self._enter(target, trigger)
            self._last = tr
        return tr

    def _enter(self, target: TradingState, trigger: Trigger) -> None:
        self._state = target
        self._cause = None if target is TradingState.ACTIVE else trigger
        self.transitions += 1


class Escalation(enum.IntEnum):
    """What a stage-error count asks for. Ordered so `max()` picks the worst."""

    NONE = 0
    REDUCE = 1
    HALT = 2


class StageErrorTracker:
    """Counts errors per stage in a sliding window of event time; says when to escalate.

    Time is the event's `local_ns` (the receive time stamped from the injected clock):
    every event has one, unlike `exchange_ns` (0 for asset contexts), and a replay sees the
    same values, so escalation is deterministic. Memory per stage is bounded by
    `halted_after` timestamps: older ones can never matter to a decision.
    """

    __slots__ = ("_halted_after", "_per_stage", "_reducing_after", "_window_ns", "total")

    def __init__(self, reducing_after: int, halted_after: int, window_ns: int) -> None:
        if reducing_after <= 0 or halted_after <= 0 or window_ns <= 0:
            raise ValueError("stage error thresholds and window must be positive, got "
                             f"{reducing_after=}, {halted_after=}, {window_ns=}")
        if reducing_after > halted_after:
            raise ValueError(f"reducing_after ({reducing_after}) must be <= "
                             f"halted_after ({halted_after})")
        self._reducing_after = reducing_after
        self._halted_after = halted_after
        self._window_ns = window_ns
        self._per_stage: dict[str, deque[int]] = {}
        self.total = 0

    def record(self, stage: str, now_ns: int) -> Escalation:
        """Count one error of `stage` at `now_ns` and return the escalation it warrants."""
        q = self._per_stage.get(stage)
        if q is None:
            q = self._per_stage[stage] = deque(maxlen=self._halted_after)
        q.append(now_ns)
        self.total += 1
        return self._level(self._in_window(q, now_ns))

    def count(self, stage: str, now_ns: int) -> int:
        """Errors of `stage` inside the window ending at `now_ns`."""
        q = self._per_stage.get(stage)
        return 0 if q is None else self._in_window(q, now_ns)

    def _in_window(self, q: deque[int], now_ns: int) -> int:
        horizon = now_ns - self._window_ns
        while q and q[0] <= horizon:
            q.popleft()
        return len(q)

    def _level(self, n: int) -> Escalation:
        if n >= self._halted_after:
            return Escalation.HALT
        if n >= self._reducing_after:
            return Escalation.REDUCE
        return Escalation.NONE


class EngineSnapshot(msgspec.Struct, frozen=True, kw_only=True):
    """The engine's global status in one small immutable value (status views, summaries)."""

    trading_state: TradingState
    state_cause: str | None
    events: int
    events_by_type: dict[str, int]
    decisions: int
    outcomes: dict[str, int]
    rejections: dict[str, int]
    stage_errors: dict[str, int]
    feeds_unhealthy: tuple[str, ...]
    last_exchange_ns: int
    last_local_ns: int
    latency_ms: dict[str, dict[str, float]]  # per coin: count, p50, p90, p99, max
