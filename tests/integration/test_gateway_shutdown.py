"""The gateway's stop is bounded in time and work, whatever its listener does with the
failures it reports (the order manager answers a failure with a status query); places held
back by the rate budget are bounded too: too old, or cancelled while queued, never sent."""

from __future__ import annotations

import asyncio
import time

from hyperliquid_ofi_trader.config.packaged import packaged_config
from hyperliquid_ofi_trader.core.commands import CancelOrder
from hyperliquid_ofi_trader.core.events import ActionFailed, AnyEvent
from tests.integration.gateway_support import gateway_rig, gateway_settings

_STORM = 10_000

# risk.yaml `rate_limits` as packaged; tests vary it with .replaced(...).
BUDGETS = packaged_config().risk.rate_limits


async def test_stop_ends_when_every_failure_is_answered_with_a_query() -> None:
    # A budget that lets almost nothing through keeps the places queued until stop().
    limits = BUDGETS.replaced(ip_weight_per_minute=3, ip_cancel_reserve=1, window_s=60.0)
    async with gateway_rig(limits=limits) as rig:
        gateway = rig.gateway
        answered = 0

        def answer_with_a_query(event: AnyEvent) -> None:
            nonlocal answered
            rig.got(event)
            if isinstance(event, ActionFailed) and answered < _STORM:
                answered += 1  # (bounded here only so a regression fails, not hangs)
                for cloid in event.cloids:
                    gateway.query_order("BTC", cloid, None)

        gateway._emit_cb = answer_with_a_query  # the listener the order manager would be
        for n in range(1, 9):
            rig.place(n)
        await asyncio.sleep(0.3)
        started = time.monotonic()
        await gateway.stop(drain_timeout_s=0.2)
        await asyncio.sleep(0.2)  # the refusals of what arrived after the stop
        assert time.monotonic() - started < 3.0
        assert answered < 100, f"{answered} failure/query round trips during stop"
        failed = [e for e in rig.got.of(ActionFailed) if e.kind == "order"]
        assert failed
        assert all(e.not_acted for e in failed)  # queued, never sent
        assert gateway.stats.after_stop > 0


async def test_a_place_that_waited_too_long_for_budget_is_never_sent() -> None:
    limits = BUDGETS.replaced(ip_weight_per_minute=3, ip_cancel_reserve=1, window_s=60.0)
    async with gateway_rig(limits=limits,
                           settings=gateway_settings(max_order_wait_s=0.4)) as rig:
        placed = [rig.place(n) for n in range(1, 5)]
        await rig.got.until(lambda: len(rig.got.of(ActionFailed)) == 2, 5.0)
        failed = rig.got.of(ActionFailed)
        assert {c for f in failed for c in f.cloids} == {p.cloid for p in placed[2:]}
        assert all(f.not_acted and "rate budget" in f.error for f in failed)
        assert rig.gateway.stats.expired_in_queue == 2
        assert rig.gateway.stats.sent == 2
        assert rig.open_cloids() == sorted(p.cloid for p in placed[:2])


async def test_a_cancel_withdraws_its_place_still_waiting_in_the_queue() -> None:
    limits = BUDGETS.replaced(ip_weight_per_minute=3, ip_cancel_reserve=1, window_s=60.0)
    async with gateway_rig(limits=limits,
                           settings=gateway_settings(max_order_wait_s=5.0)) as rig:
        placed = [rig.place(n) for n in range(1, 4)]
        await asyncio.sleep(0.2)
        queued = placed[2]
        rig.gateway.cancel([CancelOrder(coin="BTC", cloid=queued.cloid, oid=None)])
        await rig.got.until(lambda: rig.got.of(ActionFailed), 5.0)
        failure = rig.got.of(ActionFailed)[0]
        assert failure.cloids == (queued.cloid,)
        assert failure.not_acted
        assert rig.gateway.stats.withdrawn == 1
        await asyncio.sleep(0.3)
        assert queued.cloid not in rig.open_cloids()
        assert rig.gateway.stats.sent == 3  # two places and the (harmless) cancel
