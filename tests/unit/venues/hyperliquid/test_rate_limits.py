"""Client-side rate budgets: weights, rolling windows, cancel reserves, address budget."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from hyperliquid_ofi_trader.config.packaged import packaged_config
from hyperliquid_ofi_trader.venues.hyperliquid.common.rate_limits import (
    RateLimiter,
    RequestKind,
    WeightWindow,
    exchange_weight,
    info_weight,
)

S = 1_000_000_000
MIN = 60 * S
T0 = 1_700_000_000 * S

# risk.yaml `rate_limits` as packaged; tests vary it with .replaced(...).
BUDGETS = packaged_config().risk.rate_limits


def test_weights_follow_the_venue_table() -> None:
    assert [exchange_weight(n) for n in (1, 39, 40, 79, 80, 200)] == [1, 1, 2, 2, 3, 6]
    assert info_weight("l2Book") == info_weight("orderStatus") == 2
    assert info_weight("clearinghouseState") == info_weight("allMids") == 2
    assert info_weight("openOrders") == info_weight("userFills") == info_weight("meta") == 20


def test_window_waits_until_the_oldest_needed_weight_expires() -> None:
    w = WeightWindow(10, MIN)
    w.record(4, T0)
    w.record(6, T0 + 5 * S)
    assert w.wait_ns(1, T0 + 10 * S) == T0 + MIN - (T0 + 10 * S)  # oldest (4) must expire
    assert w.wait_ns(5, T0 + 10 * S) == T0 + 5 * S + MIN - (T0 + 10 * S)  # both must expire
    assert w.wait_ns(1, T0 + MIN) == 0  # the 4 expired exactly at T0 + 1 min
    assert w.used(T0 + MIN) == 6


def test_orders_stop_short_of_the_ip_limit_and_cancels_use_the_reserve() -> None:
    lim = RateLimiter(BUDGETS.replaced(ip_weight_per_minute=100, ip_cancel_reserve=20))
    for _ in range(80):
        assert lim.try_acquire(RequestKind.ORDER, 1, T0, requests=1) == 0
    assert lim.try_acquire(RequestKind.ORDER, 1, T0 + S, requests=1) == MIN - S
    assert lim.try_acquire(RequestKind.INFO, 2, T0 + S) > 0
    for _ in range(20):
        assert lim.try_acquire(RequestKind.CANCEL, 1, T0 + S, requests=1) == 0
    assert lim.try_acquire(RequestKind.CANCEL, 1, T0 + S, requests=1) == MIN - S
    assert lim.ip_used(T0 + S) == 100
    assert lim.stats.delayed == 3
    assert lim.stats.delayed_cancels == 1


def test_refused_requests_are_not_recorded() -> None:
    lim = RateLimiter(BUDGETS.replaced(ip_weight_per_minute=10, ip_cancel_reserve=0))
    assert lim.try_acquire(RequestKind.ORDER, 10, T0) == 0
    for _ in range(5):
        assert lim.try_acquire(RequestKind.ORDER, 1, T0) > 0
    assert lim.ip_used(T0) == 10
    assert lim.try_acquire(RequestKind.ORDER, 10, T0 + MIN) == 0


def test_address_budget_reserve_for_cancels_then_one_per_interval() -> None:
    s = BUDGETS.replaced(address_initial_requests=10, address_cancel_reserve=2,
                          address_exhausted_interval_s=10.0)
    lim = RateLimiter(s)
    assert lim.try_acquire(RequestKind.ORDER, 1, T0, requests=8) == 0
    # 8 + 1 > 10 - 2: orders are at their cap, but the venue lets one through per interval
    assert lim.try_acquire(RequestKind.ORDER, 1, T0, requests=1) == 0
    assert lim.try_acquire(RequestKind.ORDER, 1, T0 + S, requests=1) == 9 * S
    # cancels have their own, larger cap: min(cap + 100000, 2 * cap) = 20
    assert lim.try_acquire(RequestKind.CANCEL, 1, T0 + S, requests=5) == 0
    assert lim.address.used == 14
    assert lim.try_acquire(RequestKind.ORDER, 1, T0 + 10 * S, requests=1) == 0


def test_address_cap_grows_with_volume_and_syncs_with_the_venue() -> None:
    lim = RateLimiter(BUDGETS.replaced(address_initial_requests=10, address_cancel_reserve=0))
    assert lim.address.cap() == 10
    lim.address.note_traded(250.7)
    assert lim.address.cap() == 260
    lim.address.sync(used=5000, cap=5100)
    assert (lim.address.used, lim.address.cap()) == (5000, 5100)
    lim.address.note_traded(10.0)
    assert lim.address.cap() == 5110
    assert lim.try_acquire(RequestKind.ORDER, 1, T0, requests=110) == 0
    assert lim.address.used == 5110


def test_info_does_not_touch_the_address_budget() -> None:
    lim = RateLimiter()
    assert lim.try_acquire(RequestKind.INFO, 20, T0, requests=5) == 0
    assert lim.address.used == 0
    assert lim.ip_used(T0) == 20


@pytest.mark.parametrize("kwargs", [
    {"ip_cancel_reserve": 1200}, {"ip_cancel_reserve": -1},
    {"address_initial_requests": 0}, {"address_exhausted_interval_s": 0.0},
    {"max_in_flight_posts": 101}, {"max_in_flight_posts": 0},
    {"address_requests_per_usdc": -1.0},
])
def test_impossible_settings_are_refused(kwargs: dict[str, float]) -> None:
    with pytest.raises(ValidationError):
        BUDGETS.replaced(**kwargs)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 5 * S), st.integers(1, 30),
                          st.sampled_from([RequestKind.ORDER, RequestKind.CANCEL])),
                min_size=1, max_size=200))
def test_granted_weight_never_exceeds_the_limit_in_any_window(
        steps: list[tuple[int, int, RequestKind]]) -> None:
    s = BUDGETS.replaced(ip_weight_per_minute=100, ip_cancel_reserve=30)
    lim = RateLimiter(s)
    now = T0
    granted: list[tuple[int, int, RequestKind]] = []
    for dt, weight, kind in steps:
        now += dt
        wait = lim.try_acquire(kind, weight, now)
        if wait == 0:
            granted.append((now, weight, kind))
        else:  # waiting exactly `wait` must be enough (the promise the gateway relies on)
            now += wait
            assert lim.try_acquire(kind, weight, now) == 0
            granted.append((now, weight, kind))
    for t, _, _ in granted:
        in_window = [(w, k) for u, w, k in granted if t - MIN < u <= t]
        assert sum(w for w, _ in in_window) <= 100
        assert sum(w for w, k in in_window if k is RequestKind.ORDER) <= 70
