"""The send scheduler both gateways share: priority, rate budget, expiry, lazy items."""

from __future__ import annotations

from hyperliquid_ofi_trader.config.packaged import packaged_config
from hyperliquid_ofi_trader.core.commands import CancelOrder
from hyperliquid_ofi_trader.venues.hyperliquid.common.rate_limits import (
    RateLimiter,
)
from hyperliquid_ofi_trader.venues.hyperliquid.execution.gateway_actions import ActionJob
from hyperliquid_ofi_trader.venues.hyperliquid.execution.send_scheduler import (
    Expired,
    Other,
    Send,
    SendScheduler,
    Wait,
)

MS = 1_000_000
T0 = 1_700_000_000_000 * MS
URGENT, NORMAL = 0, 1

# risk.yaml `rate_limits` as packaged; tests vary it with .replaced(...).
BUDGETS = packaged_config().risk.rate_limits


def place(n: int, queued_ns: int = 0) -> ActionJob:
    return ActionJob(kind="order", action={"type": "order", "n": n},
                     order_cloids=(f"0x{n:032x}",), queued_ns=queued_ns)


def cancel(n: int) -> ActionJob:
    return ActionJob(kind="cancelByCloid", action={"type": "cancelByCloid", "n": n},
                     cancels=(CancelOrder(coin="BTC", cloid=f"0x{n:032x}", oid=None),))


def limiter(weight_per_s: int = 1000, cancel_reserve: int = 0) -> RateLimiter:
    return RateLimiter(BUDGETS.replaced(ip_weight_per_minute=weight_per_s,
                                         ip_cancel_reserve=cancel_reserve, window_s=1.0))


def test_cancels_go_before_places_queued_earlier() -> None:
    sched: SendScheduler[ActionJob] = SendScheduler(limiter(), 2)
    sched.push(NORMAL, place(1))
    sched.push(NORMAL, place(2))
    sched.push(URGENT, cancel(3))
    sent = []
    while (step := sched.next(T0)) is not None:
        assert isinstance(step, Send)
        sent.append(step.job.action["n"])
    assert sent == [3, 1, 2]
    assert sched.is_empty()


def test_out_of_budget_the_head_waits_and_nothing_is_spent() -> None:
    sched: SendScheduler[ActionJob] = SendScheduler(limiter(weight_per_s=2), 2)
    for n in range(3):
        sched.push(NORMAL, place(n))
    assert sched.next(T0) == Send(place(0))
    assert sched.next(T0) == Send(place(1))
    wait = sched.next(T0)
    assert isinstance(wait, Wait)
    assert 0 < wait.ns <= 1_000 * MS
    assert sched.next(T0) == wait  # asking again spends nothing and changes nothing
    assert sched.next(T0 + wait.ns) == Send(place(2))


def test_a_cancel_queued_while_a_place_waits_goes_first_on_the_reserve() -> None:
    sched: SendScheduler[ActionJob] = SendScheduler(limiter(weight_per_s=2, cancel_reserve=1), 2)
    sched.push(NORMAL, place(1))
    sched.push(NORMAL, place(2))
    assert sched.next(T0) == Send(place(1))
    assert isinstance(sched.next(T0), Wait)  # places stop short of the cancel reserve
    sched.push(URGENT, cancel(9))
    assert sched.next(T0) == Send(cancel(9))
    assert isinstance(sched.next(T0), Wait)


def test_a_place_that_waited_too_long_expires_others_never() -> None:
    sched: SendScheduler[ActionJob] = SendScheduler(limiter(), 2, max_order_wait_ns=100 * MS)
    old, fresh, unqueued = place(1, queued_ns=T0), place(2, queued_ns=T0 + 50 * MS), place(3)
    for job in (old, fresh, unqueued):
        sched.push(NORMAL, job)
    now = T0 + 100 * MS + 1
    assert sched.next(now) == Expired(old)
    assert sched.next(now) == Send(fresh)
    assert sched.next(now) == Send(unqueued)  # went straight in: never waited, never expires


def test_without_a_max_wait_nothing_expires() -> None:
    sched: SendScheduler[ActionJob] = SendScheduler(limiter(), 2)
    sched.push(NORMAL, place(1, queued_ns=T0))
    assert sched.next(T0 + 10**12) == Send(place(1, queued_ns=T0))


def test_lazy_items_expand_in_place_and_non_actions_come_back_as_other() -> None:
    built: list[str] = []

    def expand(item: str) -> list[ActionJob] | None:
        if item.startswith("query"):
            return None
        built.append(item)
        return [place(10), place(11)]

    sched: SendScheduler[str] = SendScheduler(limiter(), 3, expand=expand)
    sched.push(2, "places")
    sched.push(2, place(12))
    sched.push(1, "query-status")
    assert sched.next(T0) == Other("query-status")  # lane 1 before lane 2
    assert built == []  # built only when it reaches the head
    assert [sched.next(T0) for _ in range(3)] == [Send(place(10)), Send(place(11)),
                                                   Send(place(12))]
    assert built == ["places"]
    assert sched.next(T0) is None
