"""FeedWatchdog: per-channel STALE/RECOVERED transitions, cadence lookup, reset semantics."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hyperliquid_ofi_trader.core.events import FeedStatus
from hyperliquid_ofi_trader.venues.hyperliquid.websocket.watchdog import NEVER_STALE, FeedWatchdog

MS = 1_000_000


def make(**cadence_ms: int) -> FeedWatchdog:
    return FeedWatchdog({k.replace("__", ":"): v * MS for k, v in cadence_ms.items()}, 2.0)


def test_silent_channel_turns_stale_once() -> None:
    wd = make(bbo=100)
    wd.on_message("bbo:BTC", 0)
    assert wd.check(200 * MS) == []  # exactly at the limit: not yet
    states = wd.check(201 * MS)
    assert [(s.status, s.channel) for s in states] == [(FeedStatus.STALE, "bbo:BTC")]
    assert states[0].local_ns == 201 * MS
    assert wd.check(10_000 * MS) == []  # reported once, not on every tick
    assert wd.is_stale("bbo:BTC")


def test_data_resuming_reports_recovered_immediately() -> None:
    wd = make(bbo=100)
    wd.on_message("bbo:BTC", 0)
    wd.check(500 * MS)
    rec = wd.on_message("bbo:BTC", 600 * MS)
    assert rec is not None
    assert rec.status is FeedStatus.RECOVERED
    assert rec.channel == "bbo:BTC"
    assert wd.on_message("bbo:BTC", 601 * MS) is None
    assert not wd.is_stale("bbo:BTC")


def test_channels_are_independent() -> None:
    wd = make(bbo=100, l2Book=1000)
    wd.on_message("bbo:BTC", 0)
    wd.on_message("l2Book:BTC", 0)
    wd.on_message("bbo:ETH", 0)
    wd.on_message("bbo:ETH", 150 * MS)
    stale = {s.channel for s in wd.check(300 * MS)}
    assert stale == {"bbo:BTC"}


def test_exact_key_beats_type_and_default() -> None:
    wd = FeedWatchdog({"trades": 1000 * MS, "trades:BTC": 10 * MS}, 1.0,
                      default_cadence_ns=50 * MS)
    assert wd.cadence_ns("trades:BTC") == 10 * MS
    assert wd.cadence_ns("trades:ETH") == 1000 * MS
    assert wd.cadence_ns("bbo:ETH") == 50 * MS


def test_never_stale_channels_are_never_reported() -> None:
    wd = FeedWatchdog({"orderUpdates": NEVER_STALE}, 3.0, default_cadence_ns=1 * MS)
    wd.on_message("orderUpdates", 0)
    wd.arm("userFills", 0)  # not in the map: the default applies
    states = wd.check(10**15)
    assert [s.channel for s in states] == ["userFills"]


def test_unheard_channel_is_not_watched_until_armed() -> None:
    wd = make(bbo=100)
    assert wd.check(10**12) == []
    wd.arm("bbo:BTC", 10**12)
    assert wd.check(10**12 + 150 * MS) == []
    assert [s.channel for s in wd.check(10**12 + 201 * MS)] == ["bbo:BTC"]


def test_arm_does_not_rewind_a_live_channel() -> None:
    wd = make(bbo=100)
    wd.on_message("bbo:BTC", 0)
    wd.arm("bbo:BTC", 150 * MS)
    assert len(wd.check(201 * MS)) == 1


def test_reset_disarms_but_keeps_stale_for_recovery() -> None:
    wd = make(bbo=100)
    wd.on_message("bbo:BTC", 0)
    wd.on_message("bbo:ETH", 0)
    wd.check(500 * MS)
    wd.reset()
    assert wd.check(10**12) == []  # disarmed: no timing until re-armed or heard
    rec = wd.on_message("bbo:BTC", 10**12)
    assert rec is not None
    assert rec.status is FeedStatus.RECOVERED
    assert wd.stale_channels() == ["bbo:ETH"]


@pytest.mark.parametrize(("cadence", "factor"), [({"bbo": -1}, 2.0), ({"bbo": 1}, 0.5)])
def test_bad_configuration_is_refused(cadence: dict[str, int], factor: float) -> None:
    with pytest.raises(ValueError, match=r"cadence|factor"):
        FeedWatchdog(cadence, factor)


ops = st.lists(st.tuples(st.sampled_from(["msg", "check", "reset", "arm"]),
                         st.sampled_from(["bbo:BTC", "bbo:ETH", "trades:BTC"]),
                         st.integers(min_value=0, max_value=500 * MS)),
               max_size=60)


@settings(max_examples=200, deadline=None)
@given(ops)
def test_stale_and_recovered_strictly_alternate(seq: list[tuple[str, str, int]]) -> None:
    wd = FeedWatchdog({"bbo": 50 * MS, "trades": 200 * MS}, 1.5)
    now = 0
    last: dict[str, FeedStatus] = {}
    for op, key, dt in seq:
        now += dt
        emitted = []
        if op == "msg":
            rec = wd.on_message(key, now)
            emitted = [rec] if rec is not None else []
        elif op == "check":
            emitted = wd.check(now)
        elif op == "reset":
            wd.reset()
        else:
            wd.arm(key, now)
        for state in emitted:
            prev = last.get(state.channel)
            if state.status is FeedStatus.STALE:
                assert prev in (None, FeedStatus.RECOVERED)
            else:
                assert prev is FeedStatus.STALE
            last[state.channel] = state.status
    for key, status in last.items():
        assert wd.is_stale(key) == (status is FeedStatus.STALE)
