"""HyperliquidGateway against the real emulator over loopback (WS post and REST)."""

from __future__ import annotations

import asyncio
import itertools
import logging

import pytest

from hyperliquid_ofi_trader.config.packaged import packaged_config
from hyperliquid_ofi_trader.core.commands import CancelOrder, ModifyOrder, PlaceOrder
from hyperliquid_ofi_trader.core.events import (
    AccountSnapshot,
    ActionFailed,
    CancelAck,
    FeedState,
    FeedStatus,
    OrderAck,
    OrderStatusReport,
    ScheduleCancelAck,
)
from hyperliquid_ofi_trader.core.stages import Tif
from hyperliquid_ofi_trader.venues.hyperliquid.execution.action_wire import make_cloid
from tests.integration.gateway_support import Rig, gateway_rig, gateway_settings

pytestmark = pytest.mark.timeout(30)

# risk.yaml `rate_limits` as packaged; tests vary it with .replaced(...).
BUDGETS = packaged_config().risk.rate_limits


def acks(rig: Rig) -> dict[str, OrderAck]:
    return {a.cloid: a for a in rig.got.of(OrderAck)}


async def test_alo_ioc_gtc_with_cloids_are_acked_over_ws_post() -> None:
    async with gateway_rig() as rig:
        rig.place(1, tif=Tif.ALO)
        rig.place(2, price=100_001.0, tif=Tif.IOC)
        rig.place(3, is_buy=False, price=101_000.0, tif=Tif.GTC)
        await rig.got.until(lambda: len(rig.got.of(OrderAck)) == 3)
        got = acks(rig)
        assert got[make_cloid(1)].outcome == "resting"
        assert got[make_cloid(2)].outcome == "filled"
        assert got[make_cloid(2)].filled_size == pytest.approx(0.001)
        assert got[make_cloid(2)].avg_px == pytest.approx(100_001.0)
        assert got[make_cloid(3)].outcome == "resting"
        assert len({a.oid for a in got.values()}) == 3
        assert rig.gateway.stats.sent_ws == 3
        assert rig.gateway.stats.sent_rest == 0
        assert rig.open_cloids() == [make_cloid(1), make_cloid(3)]


async def test_venue_refusals_are_per_order_acks_with_the_venue_text() -> None:
    async with gateway_rig() as rig:
        rig.place(1, price=100_001.0, tif=Tif.ALO)  # post-only would cross the ask
        await rig.got.until(lambda: rig.got.of(OrderAck))
        ack = rig.got.of(OrderAck)[0]
        assert ack.outcome == "error"
        assert ack.error.startswith("Post only order would have immediately matched")
        assert ack.oid is None


async def test_cancel_by_cloid_and_by_oid() -> None:
    async with gateway_rig() as rig:
        rig.place(1)
        rig.place(2)
        await rig.got.until(lambda: len(rig.got.of(OrderAck)) == 2)
        oid2 = acks(rig)[make_cloid(2)].oid
        rig.gateway.cancel([CancelOrder(coin="BTC", cloid=make_cloid(1), oid=None),
                            CancelOrder(coin="BTC", cloid=None, oid=oid2)])
        await rig.got.until(lambda: len(rig.got.of(CancelAck)) == 2)
        cancel_acks = rig.got.of(CancelAck)
        assert all(c.ok for c in cancel_acks), cancel_acks
        assert {(c.cloid, c.oid) for c in cancel_acks} == {(make_cloid(1), None), (None, oid2)}
        assert rig.open_cloids() == []
        # cancelling again: the venue's own text, not a crash
        rig.gateway.cancel([CancelOrder(coin="BTC", cloid=make_cloid(1), oid=None)])
        await rig.got.until(lambda: len(rig.got.of(CancelAck)) == 3)
        again = rig.got.of(CancelAck)[2]
        assert not again.ok
        assert again.error.startswith("Order was never placed, already canceled, or filled.")


async def test_modify_gives_the_replacement_a_new_oid() -> None:
    async with gateway_rig() as rig:
        old = rig.place(1)
        await rig.got.until(lambda: rig.got.of(OrderAck))
        old_oid = rig.got.of(OrderAck)[0].oid
        new = PlaceOrder(cloid=make_cloid(2), coin="BTC", is_buy=True, price=98_000.0,
                         size=0.002, tif=Tif.ALO, reduce_only=False, decision_id=2)
        rig.gateway.modify([ModifyOrder(target_cloid=old.cloid, target_oid=old_oid,
                                        replacement=new)])
        await rig.got.until(lambda: len(rig.got.of(OrderAck)) == 2)
        replaced = acks(rig)[make_cloid(2)]
        assert replaced.outcome == "resting"
        assert replaced.oid is not None
        assert replaced.oid != old_oid
        assert rig.open_cloids() == [make_cloid(2)]


async def test_lost_answer_is_a_transient_failure_then_found_by_cloid_never_resent() -> None:
    settings = gateway_settings(post_timeout_s=0.3)
    async with gateway_rig(settings=settings) as rig:
        rig.server.faults.apply({"fault": "drop_acks", "count": 1})
        rig.place(7)
        await rig.got.until(lambda: rig.got.of(ActionFailed))
        failed = rig.got.of(ActionFailed)[0]
        assert failed.transient
        assert failed.cloids == (make_cloid(7),)
        assert failed.kind == "order"
        assert rig.got.of(OrderAck) == []
        rig.gateway.query_order("BTC", make_cloid(7), None)
        await rig.got.until(lambda: rig.got.of(OrderStatusReport))
        report = rig.got.of(OrderStatusReport)[0]
        assert report.status == "open"
        assert report.cloid == make_cloid(7)
        assert report.coin == "BTC"
        assert report.is_buy
        assert rig.open_cloids() == [make_cloid(7)]  # exactly one: never re-sent
        assert rig.gateway.stats.sent == 1


async def test_disconnect_mid_order_fails_fast_and_status_comes_over_rest() -> None:
    async with gateway_rig(settings=gateway_settings(post_timeout_s=20.0)) as rig:
        rig.server.faults.apply({"fault": "drop_acks", "count": 1})
        rig.place(8)
        await rig.got.until(lambda: rig.open_cloids() == [make_cloid(8)] or None, 5.0)
        rig.server.drop_connections()
        await rig.got.until(lambda: rig.got.of(ActionFailed), 5.0)  # well before 20 s
        failed = rig.got.of(ActionFailed)[0]
        assert failed.transient
        assert failed.cloids == (make_cloid(8),)
        assert "connection" in failed.error
        rig.gateway.query_order("BTC", make_cloid(8), None)
        await rig.got.until(lambda: rig.got.of(OrderStatusReport))
        assert rig.got.of(OrderStatusReport)[0].status == "open"
        assert rig.open_cloids() == [make_cloid(8)]


async def test_unknown_cloid_reports_unknown_oid() -> None:
    async with gateway_rig() as rig:
        rig.gateway.query_order("BTC", make_cloid(99), None)
        await rig.got.until(lambda: rig.got.of(OrderStatusReport))
        report = rig.got.of(OrderStatusReport)[0]
        assert report.status == "unknownOid"
        assert report.cloid == make_cloid(99)


async def test_reconcile_returns_what_the_venue_has_for_the_account() -> None:
    async with gateway_rig() as rig:
        rig.place(1)
        rig.place(2, price=100_001.0, tif=Tif.IOC, size=0.002)
        await rig.got.until(lambda: len(rig.got.of(OrderAck)) == 2)
        rig.gateway.reconcile()
        await rig.got.until(lambda: rig.got.of(AccountSnapshot))
        snap = rig.got.of(AccountSnapshot)[0]
        assert snap.user == rig.account
        assert snap.user != rig.signer_key.address  # queries use the account, not the agent
        assert [o.cloid for o in snap.open_orders] == [make_cloid(1)]
        assert snap.open_orders[0].limit_px == 99_000.0
        assert [(p.coin, p.size) for p in snap.positions] == [("BTC", pytest.approx(0.002))]
        assert [f.cloid for f in snap.recent_fills] == [make_cloid(2)]
        assert snap.account_value > 0
        # the venue's address budget was adopted (2 orders so far)
        assert rig.limits.address.used == rig.venue.addr_limits.used(rig.account)


async def test_rest_only_gateway_works_without_a_socket() -> None:
    async with gateway_rig(use_ws=False) as rig:
        rig.place(1)
        rig.gateway.schedule_cancel(None)
        await rig.got.until(lambda: rig.got.of(OrderAck) and rig.got.of(ScheduleCancelAck))
        assert rig.got.of(OrderAck)[0].outcome == "resting"
        assert rig.got.of(ScheduleCancelAck)[0].ok
        assert rig.gateway.stats.sent_rest == 2
        assert rig.gateway.stats.sent_ws == 0


async def test_rate_budget_delays_instead_of_being_refused_and_cancels_go_first() -> None:
    limits = BUDGETS.replaced(ip_weight_per_minute=4, ip_cancel_reserve=1, window_s=0.6)
    async with gateway_rig(limits=limits) as rig:
        for n in range(1, 7):
            rig.place(n)
        await rig.got.until(lambda: len(rig.got.of(OrderAck)) == 3, 5.0)
        rig.gateway.cancel([CancelOrder(coin="BTC", cloid=make_cloid(1), oid=None)])
        await rig.got.until(lambda: len(rig.got.of(OrderAck)) == 6, 10.0)
        assert all(a.outcome == "resting" for a in rig.got.of(OrderAck))
        assert rig.got.of(ActionFailed) == []  # nothing refused by the venue
        assert rig.gateway.stats.rate_waits > 0
        kinds = [type(e).__name__ for e in rig.got.events
                 if type(e).__name__ in ("OrderAck", "CancelAck")]
        # the cancel, queued after six places, went out before the places still waiting
        assert kinds.index("CancelAck") == 3
        assert rig.got.of(CancelAck)[0].ok


async def test_nonces_strictly_increase_across_concurrent_commands() -> None:
    async with gateway_rig() as rig:
        rig.gateway.place([PlaceOrder(cloid=make_cloid(n), coin="BTC", is_buy=True,
                                      price=90_000.0 + n, size=0.001, tif=Tif.ALO,
                                      reduce_only=False, decision_id=n) for n in range(5)])
        for n in range(5, 25):
            rig.place(n, price=90_000.0 + n)
            if n % 5 == 0:
                rig.gateway.cancel([CancelOrder(coin="BTC", cloid=make_cloid(n - 5), oid=None)])
        await rig.got.until(lambda: len(rig.got.of(OrderAck)) == 25
                            and len(rig.got.of(CancelAck)) == 4)
        nonces = [f["request"]["payload"]["nonce"] for f in rig.sent_frames]
        assert len(nonces) == rig.gateway.stats.sent
        assert all(b > a for a, b in itertools.pairwise(nonces))
        assert all(a.outcome == "resting" for a in rig.got.of(OrderAck))


async def test_orders_off_tick_or_lot_or_unknown_coin_are_refused_before_signing() -> None:
    async with gateway_rig() as rig:
        rig.place(1, price=99_000.5)  # BTC tick is 1 at this price
        rig.place(2, size=0.0000001)  # BTC lot is 1e-5
        rig.gateway.place([PlaceOrder(cloid=make_cloid(3), coin="DOGE", is_buy=True,
                                      price=0.1, size=100.0, tif=Tif.GTC, reduce_only=False,
                                      decision_id=3)])
        await rig.got.until(lambda: len(rig.got.of(ActionFailed)) == 3)
        failures = {f.cloids[0]: f for f in rig.got.of(ActionFailed)}
        assert not any(f.transient for f in failures.values())
        assert "tick" in failures[make_cloid(1)].error
        assert "lot" in failures[make_cloid(2)].error
        assert "DOGE" in failures[make_cloid(3)].error
        assert rig.gateway.stats.sent == 0


async def test_the_key_never_reaches_logs_or_reprs(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    async with gateway_rig(settings=gateway_settings(post_timeout_s=0.3)) as rig:
        secret = rig.signer_key.reveal().hex()
        rig.server.faults.apply({"fault": "drop_acks", "count": 1})
        rig.place(1)
        rig.place(2, price=99_000.5)  # refused locally: logged at error level
        await rig.got.until(lambda: len(rig.got.of(ActionFailed)) == 2)
        text = caplog.text + repr(rig.gateway) + repr(rig.gateway.stats)
        text += "".join(repr(e) for e in rig.got.events)
        assert "refused" in caplog.text  # the logs were really captured
        assert secret not in text.lower()
        assert rig.signer_key.address in repr(rig.gateway)


async def test_stop_drains_queued_work() -> None:
    async with gateway_rig() as rig:
        for n in range(1, 4):
            rig.place(n)
        await rig.gateway.stop()
        assert len(rig.got.of(OrderAck)) == 3
        rig.place(9)  # after stop: refused, reported, never sent
        await asyncio.sleep(0)
        await rig.got.until(lambda: rig.got.of(ActionFailed))
        assert rig.got.of(ActionFailed)[0].cloids == (make_cloid(9),)
        assert rig.gateway.stats.sent == 3


async def test_socket_down_means_rest_fallback_for_a_post_never_sent() -> None:
    async with gateway_rig() as rig:
        rig.server.faults.apply({"fault": "refuse_connections", "seconds": 10})
        rig.server.drop_connections()
        await rig.got.until(lambda: any(isinstance(e, FeedState) and e.status is FeedStatus.DOWN
                                        for e in rig.got.events))
        rig.place(1)
        await rig.got.until(lambda: rig.got.of(OrderAck))
        assert rig.got.of(OrderAck)[0].outcome == "resting"
        assert rig.gateway.stats.ws_fallbacks == 1
        assert rig.gateway.stats.sent_rest == 1
        assert rig.open_cloids() == [make_cloid(1)]


async def test_an_idle_gateway_signs_and_encodes_inside_the_port_call() -> None:
    async with gateway_rig() as rig:
        rig.place(1)
        # No await yet: the signed frame already exists and holds an in-flight slot; only
        # the socket write waits for the next loop step.
        assert rig.gateway.stats.fast_path == 1
        assert rig.gateway.stats.sent == 1
        assert rig.post.in_flight == 1
        assert rig.sent_frames == []
        await rig.got.until(lambda: rig.got.of(OrderAck))
        assert rig.got.of(OrderAck)[0].outcome == "resting"
        assert rig.sent_frames[0]["request"]["payload"]["action"]["orders"][0]["c"] == \
            make_cloid(1)
        assert rig.post.in_flight == 0


async def test_nothing_overtakes_queued_work_when_the_budget_runs_out() -> None:
    limits = BUDGETS.replaced(ip_weight_per_minute=2, ip_cancel_reserve=0, window_s=0.5)
    async with gateway_rig(limits=limits) as rig:
        for n in range(1, 5):
            rig.place(n)
        assert rig.gateway.stats.fast_path == 2  # the budget's two actions went at once
        await rig.got.until(lambda: len(rig.got.of(OrderAck)) == 4, 10.0)
        cloids = [f["request"]["payload"]["action"]["orders"][0]["c"]
                  for f in rig.sent_frames]
        assert cloids == [make_cloid(n) for n in range(1, 5)]
        nonces = [f["request"]["payload"]["nonce"] for f in rig.sent_frames]
        assert nonces == sorted(nonces)
        assert rig.gateway.stats.fast_path == 2  # 3 and 4 waited in the queue, in order


async def test_a_refusal_on_the_fast_path_is_reported_after_the_port_call() -> None:
    async with gateway_rig() as rig:
        before = len(rig.got.events)
        rig.place(1, price=99_000.5)  # off tick: refused before signing
        # Emitting inside the call would re-enter the engine that is placing the order.
        assert len(rig.got.events) == before
        await rig.got.until(lambda: rig.got.of(ActionFailed))
        assert rig.got.of(ActionFailed)[0].cloids == (make_cloid(1),)
        assert rig.gateway.stats.sent == 0
