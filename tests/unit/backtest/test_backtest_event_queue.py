"""The backtest's discrete-event queue: time order, FIFO ties, causality, clock."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hyperliquid_ofi_trader.backtest.event_queue import EventQueue


def _recorder(log: list[tuple[int, Any]], q: EventQueue) -> Any:
    def action(arg: Any) -> None:
        log.append((q.now_ns(), arg))
    return action


def test_runs_in_time_order_and_ties_in_insertion_order() -> None:
    q = EventQueue()
    log: list[tuple[int, Any]] = []
    rec = _recorder(log, q)
    q.push(30, rec, "c")
    q.push(10, rec, "a1")
    q.push(20, rec, "b")
    q.push(10, rec, "a2")
    assert q.run_all() == 4
    assert log == [(10, "a1"), (10, "a2"), (20, "b"), (30, "c")]
    assert q.processed == 4
    assert len(q) == 0


def test_past_entries_run_now_never_before_their_cause() -> None:
    q = EventQueue()
    log: list[tuple[int, Any]] = []
    rec = _recorder(log, q)

    def cause(_: object) -> None:
        q.push(5, rec, "effect scheduled in the past")

    q.push(100, cause)
    q.run_all()
    assert log == [(100, "effect scheduled in the past")]


def test_run_until_includes_entries_scheduled_meanwhile() -> None:
    q = EventQueue()
    log: list[tuple[int, Any]] = []
    rec = _recorder(log, q)
    q.push(10, lambda _: q.push(15, rec, "child"))
    q.push(50, rec, "later")
    assert q.run_until(20) == 2
    assert log == [(15, "child")]
    assert q.peek_ns() == 50
    q.run_all()
    assert q.peek_ns() > 2**62  # empty: far-future sentinel


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=1_000), max_size=60))
def test_any_schedule_runs_sorted_and_stable(times: list[int]) -> None:
    q = EventQueue()
    log: list[tuple[int, Any]] = []
    rec = _recorder(log, q)
    for i, t in enumerate(times):
        q.push(t, rec, i)
    q.run_all()
    assert log == sorted(((t, i) for i, t in enumerate(times)))


def test_an_entry_that_raises_is_counted_and_the_rest_still_runs() -> None:
    q = EventQueue()
    log: list[tuple[int, Any]] = []

    def boom(_: object) -> None:
        raise RuntimeError("boom")

    q.push(10, boom)
    q.push(20, _recorder(log, q), "after")
    with pytest.raises(RuntimeError, match="boom"):
        q.run_all()
    assert q.processed == 1
    assert q.now_ns() == 10
    assert q.run_all() == 1
    assert log == [(20, "after")]
    assert q.processed == 2
