"""A deterministic discrete-event queue for the backtest.

Everything that happens in a backtest (the market reaching the venue, the market reaching
our engine, a command arriving at the venue, an answer or a push arriving back) is an entry
`(time_ns, seq, action, arg)` in one binary heap. `seq` is a global insertion counter, so
two entries at the same nanosecond always run in the order they were scheduled: the same
inputs give the same run, bit for bit, whatever the heap's internal layout.

An action is a plain callable taking one argument: scheduling is a tuple push, with no
per-entry object beyond the tuple itself (the hot path runs this for every market event).
"""

from __future__ import annotations

import heapq
from collections.abc import Callable
from typing import Any, Final

Action = Callable[[Any], None]
_NEVER: Final = 2**63 - 1


class EventQueue:
    """Min-heap keyed by (time_ns, insertion sequence); also the backtest's `Clock`."""

    __slots__ = ("_heap", "_now", "_seq", "processed")

    def __init__(self, start_ns: int = 0) -> None:
        self._heap: list[tuple[int, int, Action, Any]] = []
        self._seq = 0
        self._now = start_ns  # time of the entry being (or last) run; never goes back
        self.processed = 0

    def __len__(self) -> int:
        return len(self._heap)

    def now_ns(self) -> int:
        """Simulated time: the time of the entry being run (the queue is a `Clock`)."""
        return self._now

    def push(self, time_ns: int, action: Action, arg: Any = None) -> None:
        """Schedule `action(arg)` at `time_ns`. A time in the past runs at `now_ns`
        (causality: nothing may happen before what caused it)."""
        self._seq += 1
        if time_ns < self._now:
            time_ns = self._now
        heapq.heappush(self._heap, (time_ns, self._seq, action, arg))

    def peek_ns(self) -> int:
        """Time of the next entry, or a far-future sentinel when empty."""
        return self._heap[0][0] if self._heap else _NEVER

    def run_next(self) -> None:
        """Pop and run the earliest entry. Raises IndexError when empty (caller's bug)."""
        time_ns, _, action, arg = heapq.heappop(self._heap)
        if time_ns > self._now:
            self._now = time_ns
        self.processed += 1
        action(arg)

    def run_until(self, limit_ns: int) -> int:
        """Run every entry with time <= `limit_ns` (including entries they schedule);
        returns how many ran."""
        # `run_next` inlined: this loop runs every entry of a backtest.
        n = 0
        heap, pop = self._heap, heapq.heappop
        try:
            while heap and heap[0][0] <= limit_ns:
                time_ns, _, action, arg = pop(heap)
                if time_ns > self._now:
                    self._now = time_ns
                n += 1
                action(arg)
        finally:
            self.processed += n
        return n

    def run_all(self) -> int:
        return self.run_until(_NEVER)
