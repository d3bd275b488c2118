"""The venue's error semantics on the order path: every order status it can send, the
"L1 error: " prefix, post errors that mirror an HTTP status, and what the order manager does
with a refusal the venue gave before acting (rate limits) versus a lost outcome."""

from __future__ import annotations

import pytest

from hyperliquid_ofi_trader.core.events import ActionFailed, OrderAck, OrderStatus
from hyperliquid_ofi_trader.core.order_state import OrderState
from hyperliquid_ofi_trader.venues.hyperliquid.common import errors as ve
from hyperliquid_ofi_trader.venues.hyperliquid.websocket.codec import (
    VENUE_CANCEL_STATUSES,
    VENUE_REJECT_STATUSES,
    order_status,
)
from tests.order_fakes import T0, ack, intent, make_manager, status, update

S = OrderState
SECOND = 1_000_000_000
RATE_LIMIT_TEXT = ve.too_many_cumulative_requests(10_001, 10_000, 0.0)

# The venue's documented statuses (official SDK docs, @nktkas/hyperliquid's
# OrderProcessingStatus) and `internalCancel`: every one but open/triggered is terminal.
TERMINAL_TEXTS = sorted([
    "canceled", "marginCanceled", "vaultWithdrawalCanceled", "openInterestCapCanceled",
    "selfTradeCanceled", "reduceOnlyCanceled", "siblingFilledCanceled", "delistedCanceled",
    "liquidatedCanceled", "scheduledCancel", "internalCancel", "rejected", "tickRejected",
    "minTradeNtlRejected", "perpMarginRejected", "reduceOnlyRejected", "badAloPxRejected",
    "iocCancelRejected", "badTriggerPxRejected", "marketOrderNoLiquidityRejected",
    "positionIncreaseAtOpenInterestCapRejected", "positionFlipAtOpenInterestCapRejected",
    "tooAggressiveAtOpenInterestCapRejected", "openInterestIncreaseRejected",
    "insufficientSpotBalanceRejected", "oracleRejected", "perpMaxPositionRejected"])


def not_acted(cloids: list[str], error: str = RATE_LIMIT_TEXT, kind: str = "order",
              at: int = T0) -> ActionFailed:
    return ActionFailed(exchange_ns=0, local_ns=at, kind=kind, cloids=tuple(cloids),
                        error=error, transient=True, not_acted=True)


def lost(cloids: list[str], kind: str = "order", at: int = T0) -> ActionFailed:
    return ActionFailed(exchange_ns=0, local_ns=at, kind=kind, cloids=tuple(cloids),
                        error="outcome unknown: post error 502 Bad Gateway", transient=True)

# ------------------------------------------------------------------ statuses


def test_the_table_covers_every_documented_status() -> None:
    assert set(TERMINAL_TEXTS) == VENUE_CANCEL_STATUSES | VENUE_REJECT_STATUSES


@pytest.mark.parametrize("text", TERMINAL_TEXTS)
def test_every_terminal_status_maps_to_a_terminal_status(text: str) -> None:
    assert order_status(text) in (OrderStatus.CANCELED, OrderStatus.REJECTED,
                                  OrderStatus.MARGIN_CANCELED)


@pytest.mark.parametrize("text", TERMINAL_TEXTS)
def test_no_cancelled_order_stays_open_after_a_push(text: str) -> None:
    mgr, port, _ = make_manager()
    mgr.submit(1, [intent()])
    cloid = port.placed[0].cloid
    if text in VENUE_CANCEL_STATUSES:  # (a rejection only ever comes before it rests)
        mgr.on_gateway(ack(cloid, "resting", oid=7))
    mgr.on_private(update(7, text, cloid=cloid))
    assert mgr.open_orders() == []
    assert mgr.order(cloid).state in (S.CANCELLED, S.REJECTED)  # type: ignore[union-attr]


@pytest.mark.parametrize("text", ["internalCancel", "liquidatedCanceled", "scheduledCancel"])
def test_no_cancelled_order_stays_open_after_a_status_query(text: str) -> None:
    mgr, port, _ = make_manager()
    mgr.submit(1, [intent()])
    cloid = port.placed[0].cloid
    mgr.on_gateway(ack(cloid, "resting", oid=7))
    mgr.on_gateway(status(cloid, text, oid=7))
    assert mgr.open_orders() == []


def test_a_status_nobody_knows_is_asked_about_not_ignored() -> None:
    mgr, port, _ = make_manager()
    mgr.submit(1, [intent()])
    cloid = port.placed[0].cloid
    mgr.on_gateway(ack(cloid, "resting", oid=7))
    mgr.on_private(update(7, "somethingNew", cloid=cloid))
    assert mgr.counts["update_unknown_status"] == 1
    assert [q[1] for q in port.queries] == [cloid]

# ------------------------------------------------------------------ error texts


@pytest.mark.parametrize("text", [
    ve.IOC_NO_MATCH, ve.post_only_would_match("1", "2", 3), ve.ORDER_NOT_FOUND,
    RATE_LIMIT_TEXT, ve.nonce_too_low(5, 9), ve.minimum_value(10, 1),
    ve.user_does_not_exist("0xAB"), ve.INSUFFICIENT_MARGIN])
def test_an_l1_error_prefix_classifies_the_same(text: str) -> None:
    assert ve.classify(f"{ve.L1_ERROR_PREFIX}{text}") is ve.classify(text)
    assert ve.classify(text) is not ve.UnknownVenueError


def test_a_prefixed_ioc_miss_is_an_expiry_not_a_reject() -> None:
    mgr, port, _ = make_manager()
    mgr.submit(1, [intent()])
    cloid = port.placed[0].cloid
    mgr.on_gateway(OrderAck(exchange_ns=0, local_ns=T0, cloid=cloid, oid=None,
                            outcome="error", filled_size=0.0, avg_px=0.0,
                            error=f"{ve.L1_ERROR_PREFIX}{ve.IOC_NO_MATCH}"))
    assert mgr.order(cloid).state is S.EXPIRED  # type: ignore[union-attr]
    assert mgr.rejects == {"ioc_could_not_match": 1}


@pytest.mark.parametrize(("payload", "fate", "cls"), [
    ("429 Too Many Requests", ve.PostFate.NOT_ACTED, ve.IpRateLimited),
    ("HTTP 429: slow down", ve.PostFate.NOT_ACTED, ve.IpRateLimited),
    (RATE_LIMIT_TEXT, ve.PostFate.NOT_ACTED, ve.RateLimited),
    (f"L1 error: {RATE_LIMIT_TEXT}", ve.PostFate.NOT_ACTED, ve.RateLimited),
    ("500 Internal Server Error", ve.PostFate.UNKNOWN, ve.UnknownVenueError),
    ("502 Bad Gateway", ve.PostFate.UNKNOWN, ve.UnknownVenueError),
    ("503", ve.PostFate.UNKNOWN, ve.UnknownVenueError),
    ("<html>oops</html>", ve.PostFate.UNKNOWN, ve.UnknownVenueError),
    ({"code": 500}, ve.PostFate.UNKNOWN, ve.UnknownVenueError),
    (None, ve.PostFate.UNKNOWN, ve.UnknownVenueError),
    ("400 Bad Request", ve.PostFate.REFUSED, ve.UnknownVenueError),
    (ve.UNABLE_TO_RECOVER_SIGNER, ve.PostFate.REFUSED, ve.SignerMismatch),
])
def test_post_errors_mirror_the_http_status(payload: object, fate: ve.PostFate,
                                            cls: type[ve.VenueError]) -> None:
    assert ve.classify_post_error(payload) == (fate, cls)


def test_nonce_refusal_texts_are_read() -> None:
    assert ve.nonce_floor_in(ve.nonce_too_low(5, 9)) == 9
    assert ve.nonce_floor_in(f"L1 error: {ve.nonce_too_low(5, 12)}") == 12
    assert ve.nonce_floor_in(ve.duplicate_nonce(5)) is None
    assert ve.is_duplicate_nonce(ve.duplicate_nonce(5))

# ------------------------------------------------------------------ not acted vs unknown


def test_a_rate_limited_burst_causes_no_query_and_no_cancel() -> None:
    mgr, port, clock = make_manager()
    for d in range(60):
        mgr.submit(d, [intent(price=2500.0 - d)])
    cloids = [p.cloid for p in port.placed]
    for c in cloids:
        mgr.on_gateway(not_acted([c]))
    for step in range(1, 121):  # two minutes of timers
        clock.advance_to(T0 + step * SECOND)
        mgr.on_timer(clock.now_ns())
    assert port.queries == []
    assert port.cancelled == []
    assert mgr.open_orders() == []
    assert mgr.rejects == {"rate_limited": 60}


def test_a_lost_outcome_is_still_queried() -> None:
    mgr, port, _ = make_manager()
    mgr.submit(1, [intent()])
    cloid = port.placed[0].cloid
    mgr.on_gateway(lost([cloid]))
    assert [q[1] for q in port.queries] == [cloid]
    assert mgr.order(cloid).state is S.UNKNOWN  # type: ignore[union-attr]


def test_a_cancel_refused_before_acting_leaves_the_order_resting_and_is_resent_later() -> None:
    mgr, port, clock = make_manager()
    mgr.submit(1, [intent()])
    cloid = port.placed[0].cloid
    mgr.on_gateway(ack(cloid, "resting", oid=7))
    mgr.cancel([cloid])
    assert len(port.cancelled) == 1
    mgr.on_gateway(not_acted([cloid], kind="cancelByCloid"))
    assert mgr.order(cloid).state is S.RESTING  # type: ignore[union-attr]
    mgr.on_timer(clock.now_ns())
    assert len(port.cancelled) == 1  # not at once: spaced out
    clock.advance_to(T0 + 10 * SECOND)
    mgr.on_timer(clock.now_ns())
    assert len(port.cancelled) == 2
    assert port.queries == []


def test_a_modify_refused_before_acting_leaves_the_old_order_resting_unqueried() -> None:
    mgr, port, _ = make_manager()
    mgr.submit(1, [intent()])
    old = port.placed[0].cloid
    mgr.on_gateway(ack(old, "resting", oid=7))
    new = mgr.modify(old, 2499.0, 1.0)
    assert new is not None
    mgr.on_gateway(not_acted([new], kind="batchModify"))
    assert mgr.order(old).state is S.RESTING  # type: ignore[union-attr]
    assert mgr.order(new).state is S.REJECTED  # type: ignore[union-attr]
    assert port.queries == []
    assert port.cancelled == []
    assert mgr.modify(old, 2498.0, 1.0) is not None  # tradable again


def test_failed_status_queries_are_spaced_and_bounded() -> None:
    mgr, port, clock = make_manager(retry_base_ns=SECOND, max_query_failures=3)
    mgr.submit(1, [intent()])
    cloid = port.placed[0].cloid
    mgr.on_gateway(lost([cloid]))
    for step in range(1, 150):  # 15 s of timers at 100 ms, every query refused at once
        now = T0 + step * SECOND // 10
        clock.advance_to(now)
        while len(port.queries) > mgr.counts.get("query_failed", 0):
            mgr.on_gateway(ActionFailed(exchange_ns=0, local_ns=now, kind="orderStatus",
                                        cloids=(cloid,), error="HTTP 429", transient=True))
        mgr.on_timer(now)
    assert len(port.queries) == 3  # first + two spaced retries, then ...
    assert len(port.cancelled) == 1  # ... a cancel by cloid settles it


def test_a_place_refused_while_its_cancel_is_in_flight_is_still_never_placed() -> None:
    mgr, port, clock = make_manager()
    mgr.submit(1, [intent()])
    cloid = port.placed[0].cloid
    mgr.cancel_all("stop")  # shutdown cancels the pending order too
    mgr.on_gateway(not_acted([cloid]))  # ... and then the place's refusal arrives
    assert mgr.order(cloid).state is S.REJECTED  # type: ignore[union-attr]
    for step in range(1, 61):
        clock.advance_to(T0 + step * SECOND)
        mgr.on_timer(clock.now_ns())
    assert len(port.cancelled) == 1
    assert port.queries == []


def test_a_cancel_of_a_pending_order_refused_before_acting_leaves_it_pending() -> None:
    mgr, port, clock = make_manager()
    mgr.submit(1, [intent()])
    cloid = port.placed[0].cloid
    mgr.cancel([cloid])
    mgr.on_gateway(not_acted([cloid], kind="cancelByCloid"))
    assert mgr.order(cloid).state is S.PENDING  # type: ignore[union-attr]
    clock.advance_to(T0 + SECOND)
    mgr.on_timer(clock.now_ns())
    assert port.queries == []  # still waiting for its place's answer: nothing to ask
    mgr.on_gateway(ack(cloid, "resting", oid=9))  # the place's own answer
    assert len(port.cancelled) == 2  # it rests: the wanted cancel goes again
    assert mgr.order(cloid).state is S.CANCEL_PENDING  # type: ignore[union-attr]
    assert port.queries == []
