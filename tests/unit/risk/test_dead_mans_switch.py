"""DeadMansSwitch: arming cadence, re-arm before expiry, clear, budget, refusal, fallback."""

from __future__ import annotations

from hyperliquid_ofi_trader.config.risk_schema import DeadMansSwitchConfig as DmsSection
from hyperliquid_ofi_trader.core.events import Bbo, ScheduleCancelAck, Timer
from hyperliquid_ofi_trader.risk.dead_mans_switch import DeadMansSwitch, DmsKind

S = 1_000_000_000
MS = 1_000_000
DAY = 86_400 * S
T0 = 19_700 * DAY + 3600 * S  # 01:00 UTC on some day
SET = DmsSection(enabled=True, arm_ahead_s=10.0, max_triggers_per_day=2,
                 client_fallback_s=5.0)


def ack(dms: DeadMansSwitch, time_ms: int | None, ok: bool = True, err: str = "") -> None:
    dms.observe(ScheduleCancelAck(exchange_ns=0, local_ns=0, time_ms=time_ms, ok=ok,
                                  error=err))


def heard(dms: DeadMansSwitch, t: int) -> None:
    dms.observe(Bbo(exchange_ns=t, local_ns=t, coin="ETH", bid=None, ask=None))


def test_arms_ahead_and_rearms_before_expiry() -> None:
    d = DeadMansSwitch(SET)
    a = d.on_timer(T0, True)
    assert a.kind is DmsKind.ARM
    assert a.time_ms == T0 // MS + 10_000
    assert d.on_timer(T0 + S, True).kind is DmsKind.NONE  # waiting for the ack
    ack(d, a.time_ms)
    sent = []
    for i in range(1, 60):
        t = T0 + i * S
        heard(d, t)
        act = d.on_timer(t, True)
        if act.kind is DmsKind.ARM:
            assert act.time_ms is not None
            assert act.time_ms - t // MS >= 5_000  # always >= 5 s ahead
            sent.append(i)
            ack(d, act.time_ms)
        else:
            assert act.kind is DmsKind.NONE
    assert sent
    assert all(b - a_ <= 5 for a_, b in zip([0, *sent], sent, strict=False))
    assert d.triggers_today(T0 + 59 * S) == 0  # never expired


def test_clears_when_nothing_rests() -> None:
    d = DeadMansSwitch(SET)
    a = d.on_timer(T0, True)
    ack(d, a.time_ms)
    heard(d, T0 + S)
    assert d.on_timer(T0 + S, False).kind is DmsKind.CLEAR
    ack(d, None)
    assert d.armed_until_ms is None
    assert d.on_timer(T0 + 2 * S, False).kind is DmsKind.NONE


def test_expiry_counts_a_trigger_and_the_budget_stops_arming() -> None:
    d = DeadMansSwitch(SET)
    t = T0
    for _ in range(2):
        heard(d, t)
        a = d.on_timer(t, True)
        assert a.kind is DmsKind.ARM
        ack(d, a.time_ms)
        t += 11 * S  # the timer stalled: the venue fired the cancel
        heard(d, t)
        d.on_timer(t, False)
    assert d.triggers_today(t) == 2
    heard(d, t)
    assert d.on_timer(t, True).kind is DmsKind.NONE  # budget spent today
    next_day = (t // DAY + 1) * DAY + S
    heard(d, next_day)
    assert d.on_timer(next_day, True).kind is DmsKind.ARM


def test_refusal_switches_to_client_fallback() -> None:
    d = DeadMansSwitch(SET)
    d.on_timer(T0, True)
    ack(d, None, ok=False, err="Cannot set scheduled cancel time until enough volume traded")
    assert d.refused is not None
    assert d.refused.startswith("Cannot")
    heard(d, T0 + S)
    assert d.on_timer(T0 + S, True).kind is DmsKind.NONE
    act = d.on_timer(T0 + 7 * S, True)  # 6 s of venue silence while orders rest
    assert act.kind is DmsKind.CANCEL_ALL
    assert "no venue message" in act.reason
    assert d.on_timer(T0 + 8 * S, True).kind is DmsKind.NONE  # once per silence
    heard(d, T0 + 9 * S)
    assert d.on_timer(T0 + 15 * S, True).kind is DmsKind.CANCEL_ALL


def test_no_fallback_without_resting_orders_or_with_traffic() -> None:
    d = DeadMansSwitch(DmsSection(enabled=False, arm_ahead_s=10.0, max_triggers_per_day=10,
                                  client_fallback_s=5.0))
    d.on_timer(T0, False)
    assert d.on_timer(T0 + 60 * S, False).kind is DmsKind.NONE
    for i in range(60, 90):
        heard(d, T0 + i * S)
        assert d.on_timer(T0 + i * S, True).kind is DmsKind.NONE


def test_timers_and_control_do_not_count_as_venue_messages() -> None:
    d = DeadMansSwitch(SET)
    d.on_timer(T0, False)
    d.observe(Timer(exchange_ns=0, local_ns=T0 + 6 * S, name="x"))
    assert d.on_timer(T0 + 6 * S, True).kind is DmsKind.CANCEL_ALL


def test_lost_ack_is_retried() -> None:
    d = DeadMansSwitch(SET)
    assert d.on_timer(T0, True).kind is DmsKind.ARM
    heard(d, T0 + 6 * S)
    assert d.on_timer(T0 + 6 * S, True).kind is DmsKind.ARM


def test_arming_before_an_order_respects_the_daily_budget_and_a_pending_arm() -> None:
    d = DeadMansSwitch(SET)
    first = d.before_resting(T0)
    assert first.kind is DmsKind.ARM
    assert d.before_resting(T0 + MS).kind is DmsKind.NONE  # that arm is on its way
    ack(d, first.time_ms)
    assert d.before_resting(T0 + S).kind is DmsKind.NONE  # armed far enough ahead
    t = T0
    for _ in range(2):  # two triggers (the process stalled): the budget of SET is spent
        t += 11 * S
        d.on_timer(t, False)
        a = d.before_resting(t)
        if a.kind is DmsKind.ARM:
            ack(d, a.time_ms)
    t += 11 * S
    d.on_timer(t, False)
    assert d.triggers_today(t) == 2
    assert d.before_resting(t).kind is DmsKind.NONE


def test_a_late_answer_to_an_earlier_clear_does_not_settle_a_newer_arm() -> None:
    d = DeadMansSwitch(SET)
    a = d.on_timer(T0, True)
    ack(d, a.time_ms)
    clear = d.on_timer(T0 + S, False)
    assert clear.kind is DmsKind.CLEAR
    ack(d, None)
    arm = d.before_resting(T0 + 2 * S)
    assert arm.kind is DmsKind.ARM
    ack(d, None)  # a duplicate of the clear's answer arrives late
    assert d.armed_until_ms is None
    ack(d, arm.time_ms)
    assert d.armed_until_ms == arm.time_ms


def test_the_section_converts_to_ns_in_the_switch() -> None:
    d = DeadMansSwitch(DmsSection(enabled=True, arm_ahead_s=7.5, max_triggers_per_day=3,
                                  client_fallback_s=0.25), ack_timeout_ns=2 * S)
    assert (d.arm_ahead_ns, d.client_fallback_ns, d.ack_timeout_ns) == (7_500 * MS, 250 * MS,
                                                                         2 * S)
    assert d.max_triggers_per_day == 3
