"""Sans-I/O gateway half: commands → wire actions, venue answers → gateway events."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hyperliquid_ofi_trader.core.commands import CancelOrder, ModifyOrder, PlaceOrder
from hyperliquid_ofi_trader.core.events import (
    ActionFailed,
    CancelAck,
    OrderAck,
    ScheduleCancelAck,
)
from hyperliquid_ofi_trader.core.stages import Tif
from hyperliquid_ofi_trader.venues.hyperliquid.asset_meta import AssetRegistry
from hyperliquid_ofi_trader.venues.hyperliquid.common import errors as venue_errors
from hyperliquid_ofi_trader.venues.hyperliquid.common.rate_limits import RequestKind
from hyperliquid_ofi_trader.venues.hyperliquid.execution import gateway_actions as ga
from hyperliquid_ofi_trader.venues.hyperliquid.execution.action_wire import make_cloid

ASSETS = AssetRegistry.from_meta({"universe": [
    {"name": "BTC", "szDecimals": 5, "maxLeverage": 40},
    {"name": "ETH", "szDecimals": 4, "maxLeverage": 25}]})


def order(n: int, coin: str = "ETH", px: float = 2500.1, sz: float = 0.0123,
          tif: Tif = Tif.ALO) -> PlaceOrder:
    return PlaceOrder(cloid=make_cloid(n), coin=coin, is_buy=n % 2 == 0, price=px, size=sz,
                      tif=tif, reduce_only=False, decision_id=n)


def ok(statuses: list[Any], kind: str = "order") -> dict[str, Any]:
    return {"status": "ok", "response": {"type": kind, "data": {"statuses": statuses}}}


def test_place_builds_the_venue_wire_in_key_order() -> None:
    built = ga.build_place([order(2), order(3, "BTC", 100_000.0, 0.001, Tif.IOC)], ASSETS)
    assert built.refusals == []
    (job,) = built.jobs
    assert job.kind == "order"
    assert job.request_kind is RequestKind.ORDER
    assert job.order_cloids == (make_cloid(2), make_cloid(3))
    assert list(job.action) == ["type", "orders", "grouping"]
    first = job.action["orders"][0]
    assert list(first) == ["a", "b", "p", "s", "r", "t", "c"]
    assert (first["a"], first["b"], first["p"], first["s"]) == (1, True, "2500.1", "0.0123")
    assert job.action["orders"][1]["p"] == "100000"
    assert job.action["orders"][1]["t"] == {"limit": {"tif": "Ioc"}}


@pytest.mark.parametrize(("bad", "why"), [
    (order(1, px=2500.15), "tick"), (order(1, px=123456.7, coin="BTC"), "tick"),
    (order(1, sz=0.00001), "lot"), (order(1, coin="DOGE"), "DOGE"),
    (order(1, px=float("nan")), "tick"), (order(1, sz=0.0), "positive"),
    (order(1, sz=1e30), "lot"),  # beyond exact rounding: refused, never an exception
])
def test_values_needing_rounding_are_refused_not_rounded(bad: PlaceOrder, why: str) -> None:
    built = ga.build_place([bad, order(2)], ASSETS)
    assert [r.cloids for r in built.refusals] == [(make_cloid(1),)]
    assert why in built.refusals[0].reason
    assert built.jobs[0].order_cloids == (make_cloid(2),)  # the good one still goes


def test_cancels_split_by_cloid_and_oid_and_are_urgent() -> None:
    built = ga.build_cancel([CancelOrder(coin="BTC", cloid=make_cloid(1), oid=None),
                             CancelOrder(coin="ETH", cloid=None, oid=77),
                             CancelOrder(coin="ETH", cloid=make_cloid(2), oid=78),
                             CancelOrder(coin="ETH", cloid=None, oid=None)], ASSETS)
    by_kind = {j.kind: j for j in built.jobs}
    assert by_kind["cancelByCloid"].action["cancels"] == [
        {"asset": 0, "cloid": make_cloid(1)}, {"asset": 1, "cloid": make_cloid(2)}]
    assert by_kind["cancel"].action["cancels"] == [{"a": 1, "o": 77}]
    assert all(j.request_kind is RequestKind.CANCEL for j in built.jobs)
    assert len(built.refusals) == 1


def test_modify_targets_the_oid_when_known_else_the_cloid() -> None:
    mods = [ModifyOrder(target_cloid=make_cloid(1), target_oid=5, replacement=order(11)),
            ModifyOrder(target_cloid=make_cloid(2), target_oid=None, replacement=order(12)),
            ModifyOrder(target_cloid=None, target_oid=None, replacement=order(13))]
    built = ga.build_modify(mods, ASSETS)
    (job,) = built.jobs
    assert [m["oid"] for m in job.action["modifies"]] == [5, make_cloid(2)]
    assert job.order_cloids == (make_cloid(11), make_cloid(12))
    assert [r.cloids for r in built.refusals] == [(make_cloid(13),)]


def test_order_statuses_map_one_to_one() -> None:
    job = ga.build_place([order(2), order(4), order(6)], ASSETS).jobs[0]
    events = ga.response_events(job, ok([
        {"resting": {"oid": 1}}, {"filled": {"totalSz": "0.0123", "avgPx": "2500.1", "oid": 2}},
        {"error": venue_errors.minimum_value(10, 1)}]), local_ns=9)
    assert [type(e) for e in events] == [OrderAck] * 3
    acks: list[OrderAck] = events  # type: ignore[assignment]
    assert [(a.cloid, a.outcome, a.oid) for a in acks] == [
        (make_cloid(2), "resting", 1), (make_cloid(4), "filled", 2),
        (make_cloid(6), "error", None)]
    assert acks[1].filled_size == 0.0123
    assert acks[1].avg_px == 2500.1
    assert acks[2].error == "Order must have minimum value of $10. asset=1"
    assert all(a.local_ns == 9 for a in acks)


def test_missing_or_unreadable_statuses_become_transient_failures_with_cloids() -> None:
    job = ga.build_place([order(2), order(4), order(6)], ASSETS).jobs[0]
    events = ga.response_events(job, ok([{"resting": {"oid": 1}}, "waitingForFill"]), 0)
    assert isinstance(events[0], OrderAck)
    failed = events[1]
    assert isinstance(failed, ActionFailed)
    assert failed.transient
    assert failed.cloids == (make_cloid(4), make_cloid(6))


@pytest.mark.parametrize(("text", "transient"), [
    (venue_errors.duplicate_nonce(5), True),
    (venue_errors.user_does_not_exist("0x" + "11" * 20), False),
    (venue_errors.too_many_cumulative_requests(10001, 10000, 0.0), True),
    ("something new", False),
])
def test_whole_request_errors_are_classified(text: str, transient: bool) -> None:
    job = ga.build_place([order(2)], ASSETS).jobs[0]
    (event,) = ga.response_events(job, {"status": "err", "response": text}, 0)
    assert isinstance(event, ActionFailed)
    assert (event.kind, event.cloids, event.error, event.transient) == (
        "order", (make_cloid(2),), text, transient)


def test_cancel_statuses_and_shortfall() -> None:
    cancels = [CancelOrder(coin="BTC", cloid=make_cloid(n), oid=None) for n in range(3)]
    job = ga.build_cancel(cancels, ASSETS).jobs[0]
    events = ga.response_events(job, ok(["success", {"error": venue_errors.ORDER_NOT_FOUND}],
                                        "cancel"), 0)
    assert [type(e) for e in events] == [CancelAck] * 3
    acks: list[CancelAck] = events  # type: ignore[assignment]
    assert [a.ok for a in acks] == [True, False, False]
    assert acks[1].error == venue_errors.ORDER_NOT_FOUND
    assert "no status" in acks[2].error


def test_schedule_cancel_answers() -> None:
    job = ga.build_schedule_cancel(1_700_000_010_000).jobs[0]
    assert job.request_kind is RequestKind.CANCEL
    (good,) = ga.response_events(job, {"status": "ok", "response": {"type": "default"}}, 0)
    assert good == ScheduleCancelAck(exchange_ns=0, local_ns=0, time_ms=1_700_000_010_000,
                                     ok=True, error="")
    text = venue_errors.schedule_cancel_needs_volume()
    (bad,) = ga.response_events(job, {"status": "err", "response": text}, 0)
    assert isinstance(bad, ScheduleCancelAck)
    assert not bad.ok
    assert bad.error == text
    assert ga.build_schedule_cancel(-5).refusals


@settings(max_examples=150, deadline=None)
@given(st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=20),
                    lambda kids: st.lists(kids, max_size=4)
                    | st.dictionaries(st.sampled_from(
                        ["status", "response", "data", "statuses", "resting", "filled", "oid",
                         "error", "totalSz", "avgPx", "type"]), kids, max_size=4),
                    max_leaves=20))
def test_any_answer_yields_events_and_never_raises(payload: Any) -> None:
    job = ga.build_place([order(2), order(4)], ASSETS).jobs[0]
    events = ga.response_events(job, payload, 0)
    covered: set[str] = set()
    for e in events:
        if isinstance(e, ActionFailed):
            covered.update(e.cloids)
        else:
            assert isinstance(e, OrderAck)
            covered.add(e.cloid)
    assert covered == {make_cloid(2), make_cloid(4)}  # every order accounted for
