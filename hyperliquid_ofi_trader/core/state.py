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

`TradingGate` wraps the machine with everything else that decides whether an order action
may go out: which needed feed channels are unhealthy, whether the account must first be
reconciled with the venue, and the automatic resume after a feed loss. It is the one place
that answers "may we trade, or only reduce?" (`admit`), for every action a plan holds.
"""

from __future__ import annotations

import enum
from collections import deque
from collections.abc import Callable, Mapping
from typing import Final

import msgspec

from hyperliquid_ofi_trader.core.events import FeedStatus
from hyperliquid_ofi_trader.core.stages import CancelIntent, ModifyIntent, PlanIntent
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


def allowed_in(state: TradingState, plan: tuple[PlanIntent, ...]) -> tuple[PlanIntent, ...]:
    """The part of a plan the trading state lets through, before the risk gate.

    HALTED: cancels only. REDUCING: cancels, and places/modifies that are reduce-only (a
    reduce-only order can never increase exposure, whatever fills). A modify that is not
    reduce-only becomes a cancel of that order: moving it would re-arm an order that can
    add exposure, and leaving it behind the touch is no safer than pulling it. A place
    that is not reduce-only is dropped. ACTIVE: the whole plan."""
    if state is TradingState.ACTIVE:
        return plan
    kept: list[PlanIntent] = []
    for intent in plan:
        if isinstance(intent, CancelIntent):
            kept.append(intent)
        elif isinstance(intent, ModifyIntent) and (
                state is TradingState.HALTED or not intent.reduce_only):
            kept.append(CancelIntent(coin=intent.coin, cloid=intent.cloid,
                                     tag=f"{state.value.lower()}:{intent.tag}"))
        elif state is TradingState.REDUCING and intent.reduce_only:
            kept.append(intent)
    return tuple(kept)


STATE_SKIP: Final = {
    TradingState.REDUCING: "trading state REDUCING: only reduce-only intents may pass",
    TradingState.HALTED: "trading state HALTED: only cancels may pass"}
AWAITING_RECONCILIATION: Final = ("awaiting reconciliation with the venue (open orders, "
                                  "positions, fills) before trading")


class TradingGate:
    """The trading state plus what else decides whether an order action may go out.

    - `state` / `cause` / `last`: the `TradingStateMachine` (changed by `apply` only).
    - `unhealthy`: the needed feed channels that are DOWN or STALE.
    - `awaiting_reconciliation`: with an order path, nothing is sent until the account was
      reconciled with the venue (open orders, positions, fills): at start, and again after
      every reconnect or silent stream, because the venue does not replay private events
      missed meanwhile. Each time the wait (re)starts the gate asks the order path for a
      reconciliation (`request_reconciliation`); `reconciled()` ends the wait.
    - `resume_reason()`: the automatic FEED_RESTORED rule, when switched on.

    The gate decides; the engine carries out what a transition entails (journal, cancels).
    """

    __slots__ = ("_auto_resume", "_awaiting", "_reconciles", "_request", "_sm", "_unhealthy")

    def __init__(self, *, reconciles: bool, auto_resume_on_feed_recovery: bool = False,
                 request_reconciliation: Callable[[], None] | None = None,
                 initial: TradingState = TradingState.ACTIVE) -> None:
        self._sm = TradingStateMachine(initial)
        self._reconciles = reconciles  # an order path whose account the venue holds
        self._request = request_reconciliation if reconciles else None
        self._auto_resume = auto_resume_on_feed_recovery
        self._awaiting = reconciles
        self._unhealthy: set[str] = set()

    # ------------------------------------------------------------ the answers

    @property
    def state(self) -> TradingState:
        return self._sm.state

    @property
    def cause(self) -> Trigger | None:
        return self._sm.cause

    @property
    def last(self) -> Transition | None:
        return self._sm.last

    @property
    def awaiting_reconciliation(self) -> bool:
        return self._awaiting

    @property
    def unhealthy(self) -> tuple[str, ...]:
        return tuple(sorted(self._unhealthy))

    def admit(self, plan: tuple[PlanIntent, ...], *, exits_only: bool = False
              ) -> tuple[PlanIntent, ...]:
        """What of `plan` may go on to the risk gate now; `exits_only` (a regime that is
        not tradable while a position is held) holds it to what REDUCING keeps."""
        if exits_only:
            plan = allowed_in(TradingState.REDUCING, plan)
        return allowed_in(self._sm.state, plan)

    # ------------------------------------------------------------ what changes it

    def apply(self, trigger: Trigger, reason: str, exchange_ns: int,
              local_ns: int) -> Transition:
        return self._sm.apply(trigger, reason, exchange_ns, local_ns)

    def feed_lost(self, channel: str) -> None:
        self._unhealthy.add(channel)

    def feed_back(self, channel: str, status: FeedStatus) -> None:
        """A channel is healthy again. A connection-level UP (channel "") clears every
        channel (the client re-subscribes everything and resets its watchdog) and, like a
        RECOVERED stream (it was silent on a live socket, so private pushes sent meanwhile
        may be lost too), means the account must be reconciled again."""
        if channel == "" and status is FeedStatus.UP:
            self._unhealthy.clear()
            self._await_reconciliation()
        elif status is FeedStatus.RECOVERED:
            self._unhealthy.discard(channel)
            self._await_reconciliation()
        else:
            self._unhealthy.discard(channel)

    def reconciled(self) -> None:
        self._awaiting = False

    def resume_reason(self) -> str | None:
        """Why FEED_RESTORED may fire now, or None: only when switched on, every needed
        feed is healthy, the account is reconciled, and REDUCING was caused by a feed
        alone (never after stage errors, a kill switch or a manual reduce)."""
        if (not self._auto_resume or self._unhealthy or self._awaiting
                or self._sm.state is not TradingState.REDUCING
                or self._sm.cause is not Trigger.FEED_LOST):
            return None
        return ("every needed feed is healthy again" if not self._reconciles
                else "every needed feed is healthy and the account is reconciled")

    def _await_reconciliation(self) -> None:
        if not self._reconciles:
            return
        self._awaiting = True
        if self._request is not None:
            self._request()


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
