"""NonceCounter: max(now_ms, last + 1), strictly increasing across threads."""

from __future__ import annotations

import itertools
import sys
import threading
import time

import pytest

from hyperliquid_ofi_trader.core.clock import ReplayClock
from hyperliquid_ofi_trader.venues.hyperliquid.signing.nonce import NonceCounter

MS = 1_000_000


class BackwardsClock:
    """A clock that steps back after its first reading (NTP correction)."""

    def __init__(self, readings: list[int]) -> None:
        self._readings = readings

    def now_ns(self) -> int:
        return self._readings.pop(0) if len(self._readings) > 1 else self._readings[0]


def test_follows_the_clock_in_ms() -> None:
    clock = ReplayClock(1_700_000_000_123 * MS + 999)
    counter = NonceCounter(clock)
    assert counter.next() == 1_700_000_000_123
    clock.advance_to(1_700_000_000_500 * MS)
    assert counter.next() == 1_700_000_000_500
    assert counter.last == 1_700_000_000_500


def test_same_millisecond_increments() -> None:
    counter = NonceCounter(ReplayClock(5_000 * MS))
    assert [counter.next() for _ in range(4)] == [5_000, 5_001, 5_002, 5_003]


def test_clock_stepping_back_never_repeats() -> None:
    counter = NonceCounter(BackwardsClock([10_000 * MS, 9_000 * MS]))
    first = counter.next()
    assert counter.next() == first + 1
    assert counter.next() == first + 2


def test_observe_skips_past_nonces_from_a_previous_run() -> None:
    counter = NonceCounter(ReplayClock(1_000 * MS))
    counter.observe(2_000)
    assert counter.next() == 2_001
    counter.observe(5)  # lower: no effect
    assert counter.next() == 2_002


def test_a_restart_never_goes_below_the_saved_floor_even_if_the_clock_stepped_back() -> None:
    # The previous run burst 500 actions ahead of its clock and saved its floor; the host
    # clock has since stepped back an hour: the saved floor is the guard.
    before = NonceCounter(ReplayClock(10_000_000 * MS))
    sent = [before.next() for _ in range(500)]
    saved = before.floor()
    assert saved == sent[-1]
    after = NonceCounter.after_restart(ReplayClock((10_000_000 - 3_600_000) * MS), saved)
    assert after.next() == saved + 1 > max(sent)


def test_a_restart_starts_at_the_clock_when_the_clock_is_past_the_floor() -> None:
    after = NonceCounter.after_restart(ReplayClock(5_000_000 * MS), 4_000_000)
    assert after.next() == 5_000_000


def test_ten_quick_restarts_keep_the_first_nonce_within_a_second_of_the_clock() -> None:
    # Each run sends a few actions, saves its floor at shutdown, and the next one starts
    # 200 ms later: no restart may push the nonces further ahead of the clock.
    clock = ReplayClock(1_000_000_000 * MS)
    saved = 0
    firsts: list[int] = []
    for _ in range(10):
        counter = NonceCounter.after_restart(clock, saved)
        firsts.append(counter.next() - clock.now_ns() // MS)
        for _ in range(20):
            counter.next()
        saved = counter.floor()
        clock.advance_to(clock.now_ns() + 200 * MS)
    assert max(firsts) <= 1_000, firsts


def test_an_out_of_window_refusal_rebases_to_the_clock_above_accepted_nonces() -> None:
    clock = ReplayClock(2_000_000 * MS)
    counter = NonceCounter(clock, last=2_000_000 + 3_600_000)  # an hour ahead (old drift)
    counter.confirm(2_000_010)
    assert counter.rebase_to_clock() == 3_600_000
    assert counter.next() == 2_000_011
    clock.advance_to(2_000_500 * MS)
    assert counter.next() == 2_000_500


def test_floor_follows_the_clock_when_idle_and_a_fresh_signer_starts_at_the_clock() -> None:
    clock = ReplayClock(7_000 * MS)
    counter = NonceCounter(clock)
    assert counter.floor() == 7_000  # nothing sent yet: still never below the clock
    clock.advance_to(9_000 * MS)
    assert counter.floor() == 9_000
    assert NonceCounter.after_restart(clock, 0).next() == 9_000


class YieldingClock(ReplayClock):
    """Gives up the GIL on every read: a thread switch lands inside `next()`, where an
    unlocked read-modify-write of `last` would hand two threads the same nonce."""

    def now_ns(self) -> int:
        time.sleep(0)
        return super().now_ns()


@pytest.fixture
def eager_thread_switching() -> object:
    """Switch threads every microsecond so an unlocked read-modify-write would collide."""
    old = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    yield None
    sys.setswitchinterval(old)


@pytest.mark.usefixtures("eager_thread_switching")
def test_strictly_increasing_and_unique_under_many_threads() -> None:
    clock = YieldingClock(1_700_000_000_000 * MS)  # mostly frozen: forces collisions
    counter = NonceCounter(clock)
    per_thread, threads = 1_000, 8
    results: list[list[int]] = [[] for _ in range(threads)]
    start = threading.Barrier(threads)

    def worker(out: list[int]) -> None:
        start.wait()
        for i in range(per_thread):
            out.append(counter.next())
            if i % 500 == 0:
                clock.advance_to(clock.now_ns() + MS)  # the clock moves under contention

    pool = [threading.Thread(target=worker, args=(r,)) for r in results]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    everything = [n for r in results for n in r]
    assert len(set(everything)) == per_thread * threads
    for r in results:  # each thread sees its own nonces strictly increasing
        assert all(a < b for a, b in itertools.pairwise(r))
    assert counter.last == max(everything)
