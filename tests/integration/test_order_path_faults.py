"""The order path against the emulator's faults: rate-limit refusals (HTTP 429 mirrored in a
WebSocket post error, the address budget text) are "not placed" and cost no query and no
cancel; a server error or an unreadable post error leaves the outcome unknown, and the
order is found by cloid instead of being assumed."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from hyperliquid_ofi_trader.core.clock import LiveClock
from hyperliquid_ofi_trader.core.events import ActionFailed, AnyEvent, GatewayEvent
from hyperliquid_ofi_trader.core.order_state import OrderState
from hyperliquid_ofi_trader.core.stages import OrderIntent, Tif
from hyperliquid_ofi_trader.execution.order_manager import OrderManager
from hyperliquid_ofi_trader.venues.hyperliquid.common.rate_limits import RequestKind
from tests.integration.gateway_support import Rig, gateway_rig
from tests.order_fakes import order_settings

_GATEWAY_EVENTS = GatewayEvent.__args__
MS = 1_000_000


def wire_manager(rig: Rig) -> OrderManager:
    """An order manager that trades through the rig's gateway and hears its answers."""
    mgr = OrderManager(rig.gateway, LiveClock(), None,
                       order_settings(ack_timeout_ns=300 * MS, query_timeout_ns=300 * MS,
                                      retry_base_ns=100 * MS))

    def listen(event: AnyEvent) -> None:
        rig.got(event)
        if isinstance(event, _GATEWAY_EVENTS):
            mgr.on_gateway(event)

    rig.gateway._emit_cb = listen
    return mgr


def state_of(mgr: OrderManager, cloid: str) -> OrderState | None:
    order = mgr.order(cloid)
    return None if order is None else order.state


def buy(price: float) -> OrderIntent:
    return OrderIntent(coin="BTC", is_buy=True, size=0.001, price=price, tif=Tif.ALO,
                       reduce_only=False, tag="t")


async def run_timers(rig: Rig, mgr: OrderManager, seconds: float) -> None:
    for _ in range(int(seconds / 0.05)):
        mgr.on_timer(LiveClock().now_ns())
        await asyncio.sleep(0.05)


@pytest.mark.parametrize("kind", ["ip", "address"])
async def test_a_rate_limited_burst_causes_no_more_queries_or_cancels_than_orders(
        kind: str) -> None:
    async with gateway_rig() as rig:
        mgr = wire_manager(rig)
        rig.server.faults.apply({"fault": "rate_limit", "kind": kind})
        for d in range(20):
            mgr.submit(d, [buy(90_000.0 + d)])
        await rig.got.until(lambda: mgr.live_count() == 0, 10.0)
        await run_timers(rig, mgr, 1.5)
        queries = mgr.counts.get("query", 0)
        cancels = mgr.counts.get("cancel", 0)
        assert queries + cancels <= 20
        assert queries == 0
        assert cancels == 0
        assert mgr.rejects.get("rate_limited" if kind == "address" else "ip_rate_limited",
                               0) > 0
        assert rig.open_cloids() == []
        assert rig.gateway.stats.rate_refusals > 0
        assert rig.limits.stats.venue_refusals > 0


async def test_a_post_error_mirroring_429_is_not_placed_and_backs_the_budget_off() -> None:
    async with gateway_rig() as rig:
        mgr = wire_manager(rig)
        rig.server.faults.apply({"fault": "rate_limit", "kind": "ip", "count": 1})
        mgr.submit(1, [buy(90_000.0)])
        await rig.got.until(lambda: rig.got.of(ActionFailed), 5.0)
        failure = rig.got.of(ActionFailed)[0]
        assert failure.error == "429 Too Many Requests"
        assert failure.not_acted
        assert rig.gateway.stats.sent_ws == 0  # answered on the socket, as an error
        now = LiveClock().now_ns()
        assert rig.limits.wait_ns(RequestKind.ORDER, 1, now, requests=1) > 0
        assert rig.limits.wait_ns(RequestKind.CANCEL, 1, now, requests=1) == 0


@pytest.mark.parametrize("params", [
    {"status": 502}, {"status": 500, "shape": "garbled"}])
async def test_a_server_error_means_unknown_and_the_order_is_found_by_cloid(
        params: dict[str, Any]) -> None:
    async with gateway_rig() as rig:
        mgr = wire_manager(rig)
        rig.server.faults.apply({"fault": "server_error", "count": 1, **params})
        mgr.submit(1, [buy(90_000.0)])
        cloid = mgr.open_orders()[0].cloid
        await rig.got.until(lambda: rig.got.of(ActionFailed), 5.0)
        failure = rig.got.of(ActionFailed)[0]
        assert not failure.not_acted  # outcome unknown
        assert failure.error.startswith("outcome unknown: post error")
        await rig.got.until(lambda: state_of(mgr, cloid) is OrderState.RESTING, 5.0)
        assert mgr.counts.get("query", 0) == 1
        assert rig.open_cloids() == [cloid]  # it was placed: the venue acted on it


async def test_a_server_error_that_did_not_apply_is_resolved_as_never_placed() -> None:
    async with gateway_rig() as rig:
        mgr = wire_manager(rig)
        rig.server.faults.apply({"fault": "server_error", "count": 1, "applied": "no"})
        mgr.submit(1, [buy(90_000.0)])
        cloid = mgr.open_orders()[0].cloid
        await rig.got.until(lambda: rig.got.of(ActionFailed), 5.0)
        await run_timers(rig, mgr, 1.5)
        assert state_of(mgr, cloid) is OrderState.EXPIRED  # never placed (unknownOid)
        assert rig.open_cloids() == []


async def test_a_nonce_out_of_window_is_reported_and_recovered_not_retried() -> None:
    async with gateway_rig() as rig:
        mgr = wire_manager(rig)
        now_ms = LiveClock().now_ns() // MS
        rig.gateway._nonce.observe(now_ms + 36 * 3_600_000)  # a day and a half ahead
        mgr.submit(1, [buy(90_000.0)])
        first = mgr.open_orders()[0].cloid
        await rig.got.until(lambda: rig.got.of(ActionFailed), 5.0)
        assert rig.got.of(ActionFailed)[0].not_acted
        assert state_of(mgr, first) is OrderState.REJECTED
        assert mgr.rejects == {"nonce_rejected": 1}
        assert rig.gateway.stats.nonce_refusals == 1
        assert rig.gateway.stats.sent == 1  # reported, not re-sent
        mgr.submit(2, [buy(90_001.0)])  # the counter is back on the clock
        second = mgr.open_orders()[0].cloid
        await rig.got.until(lambda: state_of(mgr, second) is OrderState.RESTING, 5.0)
        assert rig.gateway._nonce.last < LiveClock().now_ns() // MS + 1_000
