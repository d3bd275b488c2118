"""Liquidation detector: one-sided bursts with a price jump, OI drops, cool-down, bad input."""

from __future__ import annotations

import math

import pytest

from hyperliquid_ofi_trader.config.models import LiquidationRegimeThresholds
from hyperliquid_ofi_trader.core.events import AssetCtx, Trade, Trades
from hyperliquid_ofi_trader.regime.liquidation import LiquidationDetector
from hyperliquid_ofi_trader.regime.state import Reason, RegimeConfigError

S = 1_000_000_000
MS = 1_000_000


def detector(**kw: float) -> LiquidationDetector:
    base: dict[str, float] = {
        "window_ns": 2 * S, "burst_notional_usd": 1_000_000.0, "one_sided_ratio": 0.8,
        "jump_bps": 20.0, "oi_drop_pct": 2.0, "cooldown_ns": 30 * S,
    }
    base.update(kw)
    return LiquidationDetector(**base)  # type: ignore[arg-type]


class Tape:
    def __init__(self) -> None:
        self.tid = 0

    def batch(self, t_ns: int, fills: list[tuple[float, float, bool]]) -> Trades:
        """fills: (price, size, is_buy), all stamped t_ns."""
        trades = []
        for price, size, is_buy in fills:
            self.tid += 1
            trades.append(Trade(coin="ETH", price=price, size=size, is_buy=is_buy,
                                exchange_ns=t_ns, tid=self.tid, hash="0x"))
        return Trades(exchange_ns=t_ns, local_ns=t_ns, coin="ETH", trades=tuple(trades))


def ctx(oi: float, exchange_ns: int = 0) -> AssetCtx:
    return AssetCtx(exchange_ns=exchange_ns, local_ns=0, coin="ETH", mark_px=2500.0,
                    mid_px=2500.0, oracle_px=2500.0, funding=0.0, open_interest=oi,
                    day_notional_volume=0.0, prev_day_px=2500.0, premium=None,
                    impact_bid=None, impact_ask=None)


def sell_cascade(det: LiquidationDetector, tape: Tape, start_ns: int, steps: int = 10) -> bool:
    """Aggressive selling, 200 ms apart, price falling 3 bps a step from 2500."""
    fired = False
    price = 2500.0
    for i in range(steps):
        price *= 1 - 3e-4
        fired |= det.on_trades(tape.batch(start_ns + i * 200 * MS, [(price, 50.0, False)]))
    return fired


def test_one_sided_sell_burst_with_drop_is_flagged() -> None:
    det = detector()
    assert sell_cascade(det, Tape(), S)  # 10 x 125k USD, all sells, ~27 bps down
    assert det.active()
    assert det.reason is Reason.LIQN_BURST_SELL
    assert det.triggers >= 1


def test_buy_burst_with_jump_is_flagged_as_buy() -> None:
    det = detector()
    tape = Tape()
    price = 2500.0
    for i in range(10):
        price *= 1 + 3e-4
        det.on_trades(tape.batch(S + i * 200 * MS, [(price, 50.0, True)]))
    assert det.active()
    assert det.reason is Reason.LIQN_BURST_BUY


def test_two_sided_flow_is_not_a_cascade() -> None:
    det = detector()
    tape = Tape()
    price = 2500.0
    for i in range(20):
        price *= 1 - 3e-4
        det.on_trades(tape.batch(S + i * 100 * MS, [(price, 50.0, False), (price, 30.0, True)]))
    assert not det.active()  # 62.5 % sells < 80 %


def test_one_sided_flow_without_price_move_is_not_a_cascade() -> None:
    det = detector()
    tape = Tape()
    for i in range(20):
        det.on_trades(tape.batch(S + i * 100 * MS, [(2500.0, 50.0, False)]))
    assert not det.active()


def test_price_move_against_aggressor_is_not_a_cascade() -> None:
    det = detector()
    tape = Tape()
    price = 2500.0
    for i in range(10):
        price *= 1 + 3e-4  # selling while price rises: absorption, not a cascade
        det.on_trades(tape.batch(S + i * 200 * MS, [(price, 50.0, False)]))
    assert not det.active()


def test_slow_selling_outside_window_is_not_a_burst() -> None:
    det = detector()
    tape = Tape()
    price = 2500.0
    for i in range(30):  # one 125k sell every 1.5 s: at most two in the 2 s window
        price *= 1 - 3e-4
        det.on_trades(tape.batch(S + i * 1500 * MS, [(price, 50.0, False)]))
    assert not det.active()


def test_cooldown_expires_on_exchange_time() -> None:
    det = detector(cooldown_ns=30 * S)
    sell_cascade(det, Tape(), S)
    fired_at = det.now_ns
    det.observe(fired_at + 29 * S)
    assert det.active()
    det.observe(fired_at + 30 * S)
    assert not det.active()


def test_duplicate_and_stale_trades_are_ignored() -> None:
    det = detector()
    tape = Tape()
    batch = tape.batch(10 * S, [(2500.0, 1.0, False)])
    det.on_trades(batch)
    det.on_trades(batch)  # a re-subscription replay
    assert det.duplicates == 1
    det.on_trades(tape.batch(5 * S, [(2490.0, 1000.0, False)]))  # older than the window
    assert det.stale == 1
    assert not det.active()


def test_bad_trades_are_counted() -> None:
    det = detector()
    tape = Tape()
    det.on_trades(tape.batch(S, [(math.nan, 1.0, True), (2500.0, -1.0, True),
                                 (math.inf, 1.0, False), (0.0, 1.0, False)]))
    assert det.rejected == 4
    assert not det.active()


def test_oi_drop_between_contexts_is_flagged() -> None:
    det = detector(oi_drop_pct=2.0)
    det.observe(S)
    assert not det.on_asset_ctx(ctx(100_000.0))
    assert not det.on_asset_ctx(ctx(99_000.0))  # -1 %
    assert det.on_asset_ctx(ctx(96_900.0))  # -2.1 % from the previous context
    assert det.active()
    assert det.reason is Reason.LIQN_OI_DROP


def test_gradual_oi_drop_within_window_is_flagged() -> None:
    det = detector(oi_drop_pct=2.0, oi_window_ns=60 * S)
    oi = 100_000.0
    fired = []
    for i in range(5):  # -0.6 % every 3 s: -2.4 % after four steps
        det.observe((i + 1) * 3 * S)
        fired.append(det.on_asset_ctx(ctx(oi)))
        oi *= 1 - 0.006
    assert fired == [False, False, False, False, True]


def test_gradual_oi_drop_without_window_is_not_flagged() -> None:
    det = detector(oi_drop_pct=2.0, oi_window_ns=0)
    oi = 100_000.0
    for i in range(5):
        det.observe((i + 1) * 3 * S)
        det.on_asset_ctx(ctx(oi))
        oi *= 1 - 0.006
    assert not det.active()


def test_oi_reference_restarts_after_trigger() -> None:
    det = detector(oi_drop_pct=2.0, oi_window_ns=60 * S, cooldown_ns=0)
    det.observe(S)
    det.on_asset_ctx(ctx(100_000.0))
    assert det.on_asset_ctx(ctx(97_000.0))
    assert not det.on_asset_ctx(ctx(96_000.0))  # -1 % from the new reference
    assert det.triggers == 1


def test_oi_rise_and_bad_oi() -> None:
    det = detector()
    det.on_asset_ctx(ctx(100_000.0))
    assert not det.on_asset_ctx(ctx(150_000.0))
    assert not det.on_asset_ctx(ctx(math.nan))
    assert not det.on_asset_ctx(ctx(-1.0))
    assert det.rejected == 2


@pytest.mark.parametrize(
    "kwargs",
    [
        {"window_ns": 0},
        {"one_sided_ratio": 0.5},
        {"one_sided_ratio": 1.1},
        {"jump_bps": 0.0},
        {"oi_drop_pct": 100.0},
        {"burst_notional_usd": math.nan},
        {"cooldown_ns": -1},
    ],
)
def test_params_validation(kwargs: dict[str, float]) -> None:
    with pytest.raises(RegimeConfigError):
        detector(**kwargs)


def test_from_config_converts_ms_to_ns() -> None:
    section = LiquidationRegimeThresholds(burst_window_ms=2000, burst_notional_usd=1e6,
                                          one_sided_ratio=0.8, jump_bps=20.0, oi_drop_pct=2.0,
                                          cooldown_ms=30_000, catchup_sigma=None,
                                          catchup_window_ms=4000)
    det = LiquidationDetector.from_config(section)
    assert (det.window_ns, det.cooldown_ns) == (2 * S, 30 * S)
