"""Backoff (full jitter, cap, healthy reset) and the sliding-window limiter."""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hyperliquid_ofi_trader.config import ConfigError, build_config
from hyperliquid_ofi_trader.data.backoff import (
    ExponentialBackoff,
    SlidingWindowLimiter,
)

MS = 1_000_000
S = 1_000_000_000


def backoff(seed: int = 7) -> ExponentialBackoff:
    return ExponentialBackoff(100 * MS, 3 * S, 10 * S, random.Random(seed))


def test_ceiling_doubles_then_caps() -> None:
    b = backoff()
    ceilings = [b.ceiling_ns(i) for i in range(8)]
    assert ceilings[:5] == [100 * MS, 200 * MS, 400 * MS, 800 * MS, 1600 * MS]
    assert ceilings[5:] == [3 * S] * 3
    assert b.ceiling_ns(10**6) == 3 * S


def test_delays_are_full_jitter_within_the_ceiling() -> None:
    b = backoff()
    for attempt in range(40):
        delay = b.next_delay_ns()
        assert 0 <= delay <= b.ceiling_ns(attempt)
    assert b.attempt == 40


def test_jitter_spreads_delays_and_is_seeded() -> None:
    draws = [backoff(seed).next_delay_ns() for seed in range(50)]
    assert len(set(draws)) > 40  # not lock-step across clients
    assert [backoff(3).next_delay_ns() for _ in range(3)] == [backoff(3).next_delay_ns()] * 3


def test_delays_grow_on_average() -> None:
    b = backoff(11)
    early = sum(b.next_delay_ns() for _ in range(3))
    b.attempt = 6
    late = sum(b.next_delay_ns() for _ in range(3))
    assert late > early


def test_healthy_connection_resets_attempts_short_one_does_not() -> None:
    b = backoff()
    for _ in range(5):
        b.next_delay_ns()
    b.on_connected(0)
    b.on_disconnected(9 * S)  # shorter than healthy_after: a flap
    assert b.attempt == 5
    b.on_connected(20 * S)
    b.on_disconnected(30 * S)
    assert b.attempt == 0


def test_disconnect_without_connect_keeps_attempts() -> None:
    b = backoff()
    b.next_delay_ns()
    b.on_disconnected(10**15)
    assert b.attempt == 1


def test_from_config_and_validation() -> None:
    reconnect = build_config({}).risk.websocket.reconnect.replaced(base_s=0.25, max_s=1.0)
    b = ExponentialBackoff.from_config(reconnect, random.Random(1))
    assert b.ceiling_ns(0) == 250 * MS
    assert b.ceiling_ns(5) == 1 * S
    with pytest.raises(ConfigError, match="base_s"):
        build_config({"risk.yaml": {"websocket": {"reconnect": {"base_s": 2.0, "max_s": 1.0}}}})
    with pytest.raises(ConfigError, match="max_connects"):
        build_config({"risk.yaml": {"websocket": {"reconnect": {"max_connects": 0}}}})


def test_limiter_blocks_the_extra_connection_until_the_oldest_leaves() -> None:
    lim = SlidingWindowLimiter(3, 60 * S)
    for t in (0, 1 * S, 2 * S):
        assert lim.try_acquire(t) == 0
    assert lim.try_acquire(10 * S) == 50 * S
    assert lim.try_acquire(60 * S) == 0  # exactly one window after the first
    assert lim.count_in_window(60 * S) == 3


def test_limiter_reserve_keeps_slots_free() -> None:
    lim = SlidingWindowLimiter(4, 10 * S)
    assert lim.try_acquire(0, reserve=2) == 0
    assert lim.try_acquire(0, reserve=2) == 0
    assert lim.try_acquire(0, reserve=2) == 10 * S
    assert lim.try_acquire(0) == 0
    assert lim.try_acquire(0) == 0
    assert lim.try_acquire(0) == 10 * S
    with pytest.raises(ValueError, match="reserve"):
        lim.wait_ns(0, reserve=4)


@settings(max_examples=150, deadline=None)
@given(limit=st.integers(1, 6), window=st.integers(1, 1000),
       gaps=st.lists(st.integers(0, 400), min_size=1, max_size=60))
def test_limiter_never_admits_more_than_limit_per_window(
        limit: int, window: int, gaps: list[int]) -> None:
    lim = SlidingWindowLimiter(limit, window)
    now = 0
    admitted: list[int] = []
    for gap in gaps:
        now += gap
        wait = lim.try_acquire(now)
        if wait == 0:
            admitted.append(now)
        else:
            # Waiting exactly as told must succeed: the limiter never over-delays.
            assert lim.try_acquire(now + wait) == 0
            now += wait
            admitted.append(now)
    for i in range(len(admitted) - limit):
        assert admitted[i + limit] - admitted[i] >= window
