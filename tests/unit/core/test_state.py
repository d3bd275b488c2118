"""The trading-state machine (every legal transition, illegal ones raise) and escalation."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hyperliquid_ofi_trader.core.state import (
    TRANSITIONS,
    Escalation,
    IllegalTransition,
    StageErrorTracker,
    TradingState,
    TradingStateMachine,
    Trigger,
)

A, R, H = TradingState.ACTIVE, TradingState.REDUCING, TradingState.HALTED

# The expected table, written out by hand (not derived from the product's table).
EXPECTED: dict[tuple[TradingState, Trigger], TradingState] = {
    (A, Trigger.FEED_LOST): R, (A, Trigger.STAGE_ERRORS_REDUCE): R, (A, Trigger.MANUAL_REDUCE): R,
    (A, Trigger.STAGE_ERRORS_HALT): H, (A, Trigger.KILL_SWITCH): H, (A, Trigger.MANUAL_HALT): H,
    (R, Trigger.FEED_LOST): R, (R, Trigger.STAGE_ERRORS_REDUCE): R, (R, Trigger.MANUAL_REDUCE): R,
    (R, Trigger.STAGE_ERRORS_HALT): H, (R, Trigger.KILL_SWITCH): H, (R, Trigger.MANUAL_HALT): H,
    (R, Trigger.RESUME): A, (R, Trigger.FEED_RESTORED): A, (R, Trigger.AUTO_RECOVER): A,
    (H, Trigger.FEED_LOST): H, (H, Trigger.STAGE_ERRORS_REDUCE): H, (H, Trigger.MANUAL_REDUCE): H,
    (H, Trigger.STAGE_ERRORS_HALT): H, (H, Trigger.KILL_SWITCH): H, (H, Trigger.MANUAL_HALT): H,
    (H, Trigger.RESUME): A, (H, Trigger.AUTO_RECOVER): A,
}
ILLEGAL = [(A, Trigger.RESUME), (A, Trigger.FEED_RESTORED), (H, Trigger.FEED_RESTORED),
           (A, Trigger.AUTO_RECOVER)]


def _machine_in(state: TradingState) -> TradingStateMachine:
    return TradingStateMachine(initial=state)


def test_table_is_exactly_the_documented_one() -> None:
    assert dict(TRANSITIONS) == EXPECTED
    every = set(itertools.product(TradingState, Trigger))
    assert every - set(EXPECTED) == set(ILLEGAL)


@pytest.mark.parametrize(("start", "trigger"), sorted(EXPECTED))
def test_every_legal_transition(start: TradingState, trigger: Trigger) -> None:
    sm = _machine_in(start)
    tr = sm.apply(trigger, "why", 11, 22)
    assert sm.state is EXPECTED[(start, trigger)]
    assert (tr.from_state, tr.to_state, tr.trigger, tr.reason) == (start, sm.state, trigger, "why")
    assert (tr.exchange_ns, tr.local_ns) == (11, 22)
    assert tr.changed == (start is not sm.state)
    assert sm.transitions == int(tr.changed)


@pytest.mark.parametrize(("start", "trigger"), ILLEGAL)
def test_illegal_transitions_raise_and_change_nothing(start: TradingState,
                                                      trigger: Trigger) -> None:
    sm = _machine_in(start)
    assert not sm.can(trigger)
    with pytest.raises(IllegalTransition, match=trigger.value):
        sm.apply(trigger, "x", 0, 0)
    assert sm.state is start


def test_cause_tracks_entry_trigger_and_clears_on_resume() -> None:
    sm = TradingStateMachine()
    assert sm.cause is None
    sm.apply(Trigger.FEED_LOST, "stale", 1, 1)
    assert sm.cause is Trigger.FEED_LOST
    sm.apply(Trigger.STAGE_ERRORS_REDUCE, "errors", 2, 2)  # no-op: cause stays the feed
    assert sm.cause is Trigger.FEED_LOST
    sm.apply(Trigger.KILL_SWITCH, "lag", 3, 3)
    assert (sm.state, sm.cause) == (H, Trigger.KILL_SWITCH)
    assert sm.last is not None
    assert sm.last.reason == "lag"
    sm.apply(Trigger.RESUME, "operator", 4, 4)
    assert (sm.state, sm.cause) == (A, None)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(list(Trigger)), max_size=30))
def test_random_trigger_sequences_follow_the_table(triggers: list[Trigger]) -> None:
    sm = TradingStateMachine()
    for trig in triggers:
        before = sm.state
        if (before, trig) in EXPECTED:
            sm.apply(trig, "r", 0, 0)
            assert sm.state is EXPECTED[(before, trig)]
        else:
            with pytest.raises(IllegalTransition):
                sm.apply(trig, "r", 0, 0)
            assert sm.state is before


# ---------------------------------------------------------------- StageErrorTracker

S = 1_000_000_000


def test_escalation_thresholds() -> None:
    tr = StageErrorTracker(reducing_after=3, halted_after=5, window_ns=60 * S)
    levels = [tr.record("alpha", i * S) for i in range(6)]
    assert levels == [Escalation.NONE, Escalation.NONE, Escalation.REDUCE, Escalation.REDUCE,
                      Escalation.HALT, Escalation.HALT]
    assert tr.total == 6


def test_window_slides_on_event_time() -> None:
    tr = StageErrorTracker(reducing_after=2, halted_after=3, window_ns=10 * S)
    assert tr.record("signals", 0) is Escalation.NONE
    # 10 s later the first error is out of the window (window is half-open at the old end).
    assert tr.record("signals", 10 * S) is Escalation.NONE
    assert tr.record("signals", 15 * S) is Escalation.REDUCE
    assert tr.count("signals", 15 * S) == 2
    assert tr.count("signals", 100 * S) == 0


def test_stages_are_counted_separately() -> None:
    tr = StageErrorTracker(reducing_after=2, halted_after=4, window_ns=60 * S)
    assert tr.record("signals", 1) is Escalation.NONE
    assert tr.record("regime", 2) is Escalation.NONE
    assert tr.record("signals", 3) is Escalation.REDUCE
    assert tr.count("regime", 3) == 1
    assert tr.count("never", 3) == 0


@pytest.mark.parametrize(("red", "halt", "win"), [(0, 1, 1), (1, 0, 1), (1, 1, 0), (5, 4, 1)])
def test_tracker_rejects_bad_thresholds(red: int, halt: int, win: int) -> None:
    with pytest.raises(ValueError, match="must be"):
        StageErrorTracker(red, halt, win)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=100 * S), min_size=1, max_size=40))
def test_tracker_matches_naive_count(times: list[int]) -> None:
    times.sort()
    tr = StageErrorTracker(reducing_after=3, halted_after=6, window_ns=7 * S)
    for i, t in enumerate(times):
        level = tr.record("x", t)
        naive = sum(1 for u in times[: i + 1] if u > t - 7 * S)
        want = (Escalation.HALT if naive >= 6 else Escalation.REDUCE if naive >= 3
                else Escalation.NONE)
        assert level is want
