"""KillSwitch: each trigger fires with its code, stays fired until resume, and normal
traffic fires nothing."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from hyperliquid_ofi_trader.config.risk_schema import KillSwitchThresholds
from hyperliquid_ofi_trader.core.events import (
    AccountSnapshot,
    Bbo,
    BookSnapshot,
    ControlCommand,
    Fill,
    OrderAck,
    Timer,
    UserFills,
)
from hyperliquid_ofi_trader.risk import kill_switch as ks
from hyperliquid_ofi_trader.risk.kill_switch import KillSwitch

MS = 1_000_000
S = 1_000_000_000
T0 = 1_700_000_000 * S

SECTION = KillSwitchThresholds(
    max_feed_lag_ms=2000, feed_lag_sustain_events=3, max_order_rtt_ms=3000,
    depth_vanish_fraction=0.8, depth_avg_window_s=60.0, consecutive_slippage_fills=3,
    slippage_bps=10.0, stale_feed_s=10.0, daily_loss_usd=100.0, flatten_on_kill=False,
    depth_vanish_sustain_ms=1500.0)


class Pnl:
    def __init__(self) -> None:
        self.value = 0.0

    def total_pnl(self, marks: Callable[[str], float | None]) -> float:
        return self.value


def bbo(t: int, lag: int = 100 * MS) -> Bbo:
    return Bbo(exchange_ns=t, local_ns=t + lag, coin="ETH", bid=(2000.0, 10.0, 1),
               ask=(2000.1, 10.0, 1))


def snap(t: int, size: float) -> BookSnapshot:
    lv = tuple((2000.0 - i * 0.1, size, 1) for i in range(5))
    la = tuple((2000.1 + i * 0.1, size, 1) for i in range(5))
    return BookSnapshot(exchange_ns=t, local_ns=t + 50 * MS, coin="ETH", bids=lv, asks=la)


def timer(t: int) -> Timer:
    return Timer(exchange_ns=0, local_ns=t, name="risk")


def fills(*prices: float, snapshot: bool = False) -> UserFills:
    fs = tuple(Fill(coin="ETH", price=p, size=0.01, is_buy=True, exchange_ns=T0, start_position=0,
                    direction="", closed_pnl=0.0, hash="", oid=i, crossed=True, fee=0.0, tid=i,
                    fee_token="USDC", cloid=None, liquidation=False)
               for i, p in enumerate(prices))
    return UserFills(exchange_ns=T0, local_ns=T0, user="0x", is_snapshot=snapshot, fills=fs)


def make(pnl: Pnl | None = None) -> KillSwitch:
    return KillSwitch(SECTION, coins=("ETH",), pnl=pnl, marks=lambda c: 2000.05)


def run_normal(k: KillSwitch, seconds: int = 120) -> None:
    for i in range(seconds * 5):
        t = T0 + i * 200 * MS
        assert k.check(bbo(t), t) is None
        if i % 10 == 0:
            assert k.check(snap(t, 20.0 + (i % 7)), t) is None
        if i % 5 == 0:
            assert k.check(timer(t + 100 * MS), t + 100 * MS) is None


def test_normal_traffic_fires_nothing() -> None:
    pnl = Pnl()
    k = make(pnl)
    run_normal(k)
    assert k.check(fills(2000.1, 2000.2, 2000.0), T0) is None
    assert k.fired is None
    assert k.fires == {}


def test_feed_lag_needs_a_sustained_run() -> None:
    k = make()
    late = 2500 * MS
    assert k.check(bbo(T0, late), T0) is None
    assert k.check(bbo(T0 + 1, late), T0) is None
    assert k.check(bbo(T0 + 2), T0) is None  # one on-time event resets the run
    for i in range(2):
        assert k.check(bbo(T0 + 3 + i, late), T0) is None
    why = k.check(bbo(T0 + 9, late), T0)
    assert why is not None
    assert why.startswith("feed_lag:")
    assert k.fired_code == ks.FEED_LAG


def test_depth_vanishing() -> None:
    k = make()
    for i in range(6):
        assert k.check(snap(T0 + i * S, 20.0), T0) is None
    assert k.check(snap(T0 + 6 * S, 5.0), T0) is None  # -75%: not yet
    assert k.check(snap(T0 + 7 * S, 3.0), T0) is None  # thin: the run starts
    assert k.check(snap(T0 + 7 * S + 500 * MS, 3.0), T0) is None  # 0.5 s < 1.5 s
    why = k.check(snap(T0 + 8 * S + 500 * MS, 3.0), T0)  # still thin 1.5 s on: gone
    assert why is not None
    assert why.startswith("depth_vanish:")
    assert "for 1500 ms" in why


def test_a_book_swept_for_one_snapshot_that_refills_is_not_a_vanish() -> None:
    k = make()
    for i in range(6):
        assert k.check(snap(T0 + i * S, 20.0), T0) is None
    for j in range(5):  # a sweep every few seconds, each refilled by the next push
        t = T0 + (6 + 4 * j) * S
        assert k.check(snap(t, 1.0), T0) is None
        assert k.check(snap(t + 2 * S, 20.0), T0) is None
    assert k.fired is None


def test_the_sustain_window_is_configurable() -> None:
    section = SECTION.model_copy(update={"depth_vanish_sustain_ms": 0.0})
    k = KillSwitch(section, coins=("ETH",), marks=lambda c: 2000.05)
    for i in range(6):
        assert k.check(snap(T0 + i * S, 20.0), T0) is None
    why = k.check(snap(T0 + 6 * S, 1.0), T0)  # 0 ms: the seed's one-snapshot rule
    assert why is not None
    assert why.startswith("depth_vanish:")


def test_sustain_comes_from_config() -> None:
    from hyperliquid_ofi_trader.config import load_config
    kill = KillSwitch.from_config(load_config())
    assert kill.depth_vanish_sustain_ns == 1500 * MS


def test_the_section_converts_to_ns_in_the_switch() -> None:
    k = KillSwitch(SECTION, coins=("ETH",))
    assert (k.max_feed_lag_ns, k.max_order_rtt_ns, k.depth_avg_window_ns, k.stale_feed_ns,
            k.depth_vanish_sustain_ns) == (2 * S, 3 * S, 60 * S, 10 * S, 1500 * MS)
    assert k.coins == ("ETH",)


def test_depth_needs_warm_up() -> None:
    k = make()
    k.check(snap(T0, 20.0), T0)
    assert k.check(snap(T0 + S, 0.1), T0) is None


def test_consecutive_slippage() -> None:
    k = make()
    assert k.check(fills(2003.0, 2003.0, 2000.0, 2003.0, 2003.0), T0) is None  # reset by one
    why = k.check(fills(2003.0), T0)
    assert why is not None
    assert why.startswith("consecutive_slippage:")


def test_a_fill_on_both_channels_counts_once_toward_slippage() -> None:
    # Two bad fills, each pushed on userFills and userEvents: two in a row, not four.
    from tests.order_fakes import make_manager
    mgr, _, _ = make_manager()
    k = KillSwitch(SECTION, coins=("ETH",), marks=lambda c: 2000.05,
                   fill_is_new=mgr.is_new_fill)
    for ev in (fills(2003.0), fills(2003.0), fills(2003.0, 2003.0), fills(2003.0, 2003.0)):
        assert k.check(ev, T0) is None  # the switch sees each event before the manager
        mgr.on_private(ev)


def test_snapshot_fills_do_not_count_as_slippage() -> None:
    k = make()
    assert k.check(fills(2100.0, 2100.0, 2100.0, snapshot=True), T0) is None


def test_stale_feed_on_timer() -> None:
    k = make()
    k.check(bbo(T0), T0)
    assert k.check(timer(T0 + 10 * S), T0 + 10 * S) is None
    why = k.check(timer(T0 + 11 * S), T0 + 11 * S)
    assert why is not None
    assert why.startswith("stale_feed:")


def test_a_feed_that_never_starts_is_stale() -> None:
    k = make()
    assert k.check(timer(T0), T0) is None
    assert k.check(timer(T0 + 11 * S), T0 + 11 * S) is not None


def test_daily_loss_resets_each_utc_day() -> None:
    pnl = Pnl()
    k = make(pnl)
    day = 86_400 * S
    start = (T0 // day) * day
    k.check(bbo(start + S), start + S)
    assert k.check(timer(start + S), start + S) is None
    pnl.value = -99.0
    assert k.check(timer(start + 2 * S), start + 2 * S) is None
    pnl.value = -100.0
    why = k.check(timer(start + 3 * S), start + 3 * S)
    assert why is not None
    assert why.startswith("daily_loss:")
    k.reset(start + day + S)
    k.check(bbo(start + day + S), start + day + S)
    assert k.check(timer(start + day + S), start + day + S) is None  # new day, new baseline
    pnl.value = -199.0
    assert k.check(timer(start + day + 2 * S), start + day + 2 * S) is None
    pnl.value = -200.0
    assert k.check(timer(start + day + 3 * S), start + day + 3 * S) is not None


def account(t: int, value: float = 1e4) -> AccountSnapshot:
    return AccountSnapshot(exchange_ns=0, local_ns=t, user="0x" + "1" * 40, open_orders=(),
                           positions=(), recent_fills=(), account_value=value,
                           withdrawable=value)


def test_a_restart_carries_todays_loss_instead_of_renewing_the_allowance() -> None:
    day = 86_400 * S
    start = (T0 // day) * day
    before = Pnl()
    first = make(before)
    first.check(timer(start + S), start + S)
    before.value = -60.0
    saved = first.today_pnl(start + 2 * S)
    assert saved == (start // day, -60.0)
    # The next run's own PnL starts at 0 again; what it saved says 60 are already gone.
    after = Pnl()
    second = make(after)
    second.carry_in(*saved)
    assert second.check(timer(start + 5 * S), start + 5 * S) is None
    after.value = -39.0
    assert second.check(timer(start + 6 * S), start + 6 * S) is None
    assert second.today_pnl(start + 6 * S) == (start // day, -99.0)
    after.value = -40.0
    why = second.check(timer(start + 7 * S), start + 7 * S)
    assert why is not None
    assert why.startswith("daily_loss: down $100.00")


def test_a_carried_loss_beyond_the_limit_halts_at_the_first_check() -> None:
    day = 86_400 * S
    start = (T0 // day) * day
    k = make(Pnl())
    k.carry_in(start // day, -150.0)
    assert k.check(timer(start + S), start + S) is not None


def test_a_carry_from_another_day_is_ignored() -> None:
    day = 86_400 * S
    start = (T0 // day) * day
    k = make(Pnl())
    k.carry_in(start // day - 1, -150.0)
    assert k.check(timer(start + S), start + S) is None
    assert k.today_pnl(start + S) == (start // day, 0.0)


def test_positions_reconciled_at_start_are_in_the_baseline_not_todays_loss() -> None:
    day = 86_400 * S
    start = (T0 // day) * day
    pnl = Pnl()
    k = make(pnl)
    assert k.check(timer(start + S), start + S) is None  # baseline before the snapshot
    k.check(account(start + 2 * S), start + 2 * S)
    pnl.value = -120.0  # the snapshot brought a position 120 under its entry price
    assert k.check(timer(start + 3 * S), start + 3 * S) is None
    pnl.value = -219.0
    assert k.check(timer(start + 4 * S), start + 4 * S) is None
    # later reconciliations (the venue's value moved with the 99 lost) change nothing
    k.check(account(start + 5 * S, 1e4 - 99.0), start + 5 * S)
    assert k.check(timer(start + 5 * S + 1), start + 5 * S + 1) is None  # anchored here
    pnl.value = -220.0
    assert k.check(timer(start + 6 * S), start + 6 * S) is not None


def test_order_round_trip_from_acks_and_missing_acks() -> None:
    k = make()
    k.on_order_sent("0xa", T0)
    ack = OrderAck(exchange_ns=0, local_ns=T0 + 100 * MS, cloid="0xa", oid=1,
                   outcome="resting", filled_size=0.0, avg_px=0.0, error="")
    assert k.check(ack, T0) is None
    k.on_order_sent("0xb", T0)
    slow = OrderAck(exchange_ns=0, local_ns=T0 + 3500 * MS, cloid="0xb", oid=2,
                    outcome="resting", filled_size=0.0, avg_px=0.0, error="")
    why = k.check(slow, T0)
    assert why is not None
    assert why.startswith("order_rtt:")
    k2 = make()
    k2.check(bbo(T0), T0)
    k2.on_order_sent("0xc", T0)
    assert k2.check(timer(T0 + 2 * S), T0 + 2 * S) is None
    assert (k2.check(timer(T0 + 4 * S), T0 + 4 * S) or "").startswith("order_rtt:")


def test_operator_kill_stays_until_resume() -> None:
    k = make()
    kill = ControlCommand(exchange_ns=0, local_ns=T0, command="kill", reason="test")
    assert k.check(kill, T0) == "operator_kill: test"
    assert k.check(bbo(T0), T0) == "operator_kill: test"  # stays fired
    resume = ControlCommand(exchange_ns=0, local_ns=T0, command="resume", reason="")
    assert k.check(resume, T0) is None
    assert k.check(bbo(T0), T0) is None
    assert k.fires == {"operator_kill": 1}


def test_the_sent_notification_starts_round_trips() -> None:
    from hyperliquid_ofi_trader.core.commands import CancelOrder, PlaceOrder
    from hyperliquid_ofi_trader.core.stages import Tif
    k = make()
    k.on_sent([PlaceOrder(cloid="0xd", coin="ETH", is_buy=True, price=1.0, size=1.0,
                          tif=Tif.ALO, reduce_only=False, decision_id=1)],
              [CancelOrder(coin="ETH", cloid=None, oid=7)], T0)  # no cloid: no key to watch
    assert k.check(timer(T0 + 4 * S), T0 + 4 * S) is not None  # never answered


# ---------------------------------------------------------------- venue-anchored daily loss


def test_daily_loss_follows_the_venue_account_value_across_restarts() -> None:
    """Eight crashes: each run's own PnL starts at 0 and its last second (and whatever the
    market did while nothing ran) never reached an incremental save. Against the venue's
    account value at the day's open nothing is lost."""
    day = 86_400 * S
    start = (T0 // day) * day
    venue_value = 10_000.0
    saved_open: tuple[int, float] | None = None
    t = start + S
    for _ in range(8):
        pnl = Pnl()
        k = make(pnl)
        if saved_open is not None:
            k.carry_in_open(*saved_open)
        k.check(account(t, venue_value), t)
        assert k.check(timer(t + 1), t + 1) is None
        saved_open = k.day_open()
        pnl.value = -6.0  # this run loses 6; it crashes before any save
        venue_value -= 6.0
        venue_value -= 4.0  # and the position loses 4 more while nothing runs
        t += 10 * S
    assert saved_open == (start // day, 10_000.0)
    # 80 lost so far: the ninth run starts at 80 down, 20 more halt it.
    pnl = Pnl()
    k = make(pnl)
    k.carry_in_open(*saved_open)
    k.check(account(t, venue_value), t)
    assert k.check(timer(t + 1), t + 1) is None
    pnl.value = -19.0
    assert k.check(timer(t + 2), t + 2) is None
    pnl.value = -20.0
    why = k.check(timer(t + 3), t + 3)
    assert why is not None
    assert why.startswith("daily_loss: down $100.00")


def test_a_new_day_opens_at_the_current_account_value() -> None:
    day = 86_400 * S
    start = (T0 // day) * day
    pnl = Pnl()
    k = make(pnl)
    k.carry_in_open(start // day - 1, 20_000.0)  # yesterday's open: not today's
    k.check(account(start + S, 10_000.0), start + S)
    assert k.check(timer(start + 2 * S), start + 2 * S) is None
    assert k.day_open() == (start // day, 10_000.0)
    k.reset(start + 3 * S)  # an operator resume opens a fresh allowance at the current value
    pnl.value = -50.0
    assert k.check(timer(start + 4 * S), start + 4 * S) is None
    assert k.day_open() == (start // day, 9_950.0)


def test_a_bad_account_value_is_refused_or_ignored() -> None:
    k = make(Pnl())
    with pytest.raises(ValueError, match="positive"):
        k.carry_in_open(1, float("nan"))
    k.check(account(T0, float("nan")), T0)
    k.check(timer(T0 + 1), T0 + 1)
    assert k.day_open() is None


def test_an_automatic_recovery_keeps_the_days_loss_baseline() -> None:
    pnl = Pnl()
    k = make(pnl)
    k.check(bbo(T0), T0)
    assert k.check(timer(T0), T0) is None  # baseline at 0
    pnl.value = -60.0
    assert k.check(timer(T0 + 11 * S), T0 + 11 * S) is not None  # stale feed fires
    k.reset(T0 + 12 * S, keep_day=True)  # the recovery policy, not an operator
    k.check(bbo(T0 + 12 * S), T0 + 12 * S)
    assert k.check(timer(T0 + 12 * S), T0 + 12 * S) is None
    pnl.value = -100.0  # 100 below the day's baseline, not 40 below the recovery point
    why = k.check(timer(T0 + 13 * S), T0 + 13 * S)
    assert why is not None
    assert why.startswith("daily_loss:")
