"""The gateway's stop is bounded in time and work, whatever its listener does with the
failures it reports (the order manager answers a failure with a status query)."""

from __future__ import annotations

import asyncio
import time

from hyperliquid_ofi_trader.core.events import ActionFailed, AnyEvent
from hyperliquid_ofi_trader.execution.rate_limits import RateLimitSettings
from tests.integration.gateway_support import gateway_rig

_STORM = 10_000


async def test_stop_ends_when_every_failure_is_answered_with_a_query() -> None:
    # A budget that lets almost nothing through keeps the places queued until stop().
    limits = RateLimitSettings(ip_weight_per_minute=3, ip_cancel_reserve=1, window_s=60.0)
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
