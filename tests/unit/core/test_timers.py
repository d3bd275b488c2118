from __future__ import annotations

import pytest

from hyperliquid_ofi_trader.core.timers import PeriodicTimers

S = 1_000_000_000


def test_first_call_arms_then_fires_each_period() -> None:
    timers = PeriodicTimers({"flush": S})
    assert timers.due(0) == []
    assert timers.due(S - 1) == []
    fired = timers.due(S)
    assert [t.name for t in fired] == ["flush"]
    assert fired[0].local_ns == S
    assert timers.due(S + 1) == []
    assert [t.name for t in timers.due(2 * S)] == ["flush"]


def test_long_gap_fires_once_and_rearms_from_now() -> None:
    timers = PeriodicTimers({"a": S, "b": 3 * S})
    timers.due(0)
    assert sorted(t.name for t in timers.due(10 * S)) == ["a", "b"]
    assert timers.due(10 * S + S // 2) == []
    assert [t.name for t in timers.due(11 * S)] == ["a"]


def test_rejects_non_positive_periods() -> None:
    with pytest.raises(ValueError, match="positive"):
        PeriodicTimers({"bad": 0})


def test_next_ns_is_the_earliest_time_anything_can_fire() -> None:
    timers = PeriodicTimers({"a": S, "b": 3 * S})
    assert timers.next_ns() == 0  # not started: `due` must be called
    timers.due(5)
    assert timers.next_ns() == 5 + S
    assert timers.due(timers.next_ns() - 1) == []
    assert [t.name for t in timers.due(timers.next_ns())] == ["a"]
    assert timers.next_ns() == 5 + 2 * S
