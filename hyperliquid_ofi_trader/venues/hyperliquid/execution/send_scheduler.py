"""Which action goes out next, and when: the one send scheduler of both gateways (sans-I/O).

The live gateway (`gateway.py`, an asyncio worker) and the simulated gateway
(`backtest/gateway_simulated.py`, events on a backtest queue) send through the same
object, so a backtest queues, budgets and orders its actions exactly as a live run does.
The scheduler never sleeps, sends or reads a clock: `next(now_ns)` says what to do now and
the gateway does it (sign and send, wait and ask again, report an expired place).

Rules:
- Lanes in priority order (cancels first); the head of the most urgent non-empty lane is
  the only candidate, so nothing overtakes what was queued before it in its lane.
- An action is sent only when the shared `RateLimiter` grants its weight; otherwise
  `Wait(ns)` and the same head is examined again on the next call (a cancel queued
  meanwhile is then examined first).
- A place (or modify) that waited longer than `max_order_wait_ns` in the queue is not
  sent (`Expired`): an order decided on a market that old is stale. Actions that went
  straight to the scheduler without waiting (`queued_ns == 0`) never expire.
- A lane may hold items that are not actions yet: `expand` turns such an item into its
  actions in place (the live gateway builds commands off the caller's path), or returns
  None for an item that needs no budget (a query), handed back as `Other`.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from typing import Generic, NamedTuple, TypeVar

from hyperliquid_ofi_trader.venues.hyperliquid.common.rate_limits import RateLimiter, RequestKind
from hyperliquid_ofi_trader.venues.hyperliquid.execution.gateway_actions import ActionJob

T = TypeVar("T")


class Send(NamedTuple):
    """Sign and send `job` now: its budget is spent."""

    job: ActionJob


class Wait(NamedTuple):
    """Nothing may go before `ns` from now (the head waits for rate budget)."""

    ns: int


class Expired(NamedTuple):
    """`job` waited too long for budget: report it not sent."""

    job: ActionJob


class Other(NamedTuple, Generic[T]):
    """A queued item that is not an action (a query): the gateway handles it."""

    item: T


class SendScheduler(Generic[T]):
    """Priority lanes of actions (and other items `T`) in front of one rate budget."""

    __slots__ = ("_expand", "_limits", "_max_wait_ns", "lanes")

    def __init__(self, limits: RateLimiter, n_lanes: int, *, max_order_wait_ns: int = 0,
                 expand: Callable[[T], list[ActionJob] | None] | None = None) -> None:
        """`max_order_wait_ns` 0: places never expire. `expand` None: lanes hold actions."""
        self._limits = limits
        self._max_wait_ns = max_order_wait_ns
        self._expand = expand
        self.lanes: tuple[deque[T | ActionJob], ...] = tuple(deque() for _ in range(n_lanes))

    def is_empty(self) -> bool:
        return not any(self.lanes)

    def push(self, lane: int, item: T | ActionJob) -> None:
        self.lanes[lane].append(item)

    def admit(self, job: ActionJob, now_ns: int) -> int:
        """Spend `job`'s budget now if there is room: 0, else the ns to wait (nothing spent).
        For a job about to go without queueing (the live fast path)."""
        return self._limits.try_acquire(job.request_kind, job.weight, now_ns,
                                        requests=job.entries)

    def next(self, now_ns: int) -> Send | Wait | Expired | Other[T] | None:
        """What to do now; None when every lane is empty."""
        for lane in self.lanes:
            while lane:
                head = lane[0]
                if not isinstance(head, ActionJob):
                    jobs = self._expand(head) if self._expand is not None else None
                    lane.popleft()
                    if jobs is None:
                        return Other(head)
                    lane.extendleft(reversed(jobs))
                    continue
                if self._expired(head, now_ns):
                    lane.popleft()
                    return Expired(head)
                wait = self.admit(head, now_ns)
                if wait:
                    return Wait(wait)
                lane.popleft()
                return Send(head)
        return None

    def _expired(self, job: ActionJob, now_ns: int) -> bool:
        return (self._max_wait_ns > 0 and job.request_kind is RequestKind.ORDER
                and job.queued_ns > 0 and now_ns - job.queued_ns > self._max_wait_ns)
