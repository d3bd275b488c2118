"""RegimeStageAdapter: the engine's RegimeStage contract over the detector."""

from __future__ import annotations

from hyperliquid_ofi_trader.config.models import (
    LiquidationRegimeThresholds,
    LiquidityRegimeThresholds,
    RegimeThresholds,
    VolatilityRegimeThresholds,
)
from hyperliquid_ofi_trader.core.book_view import BookView
from hyperliquid_ofi_trader.core.events import AssetCtx, BookSnapshot, Trade, Trades
from hyperliquid_ofi_trader.core.stages import RegimeStage
from hyperliquid_ofi_trader.data.orderbook import OrderBook
from hyperliquid_ofi_trader.regime import (
    Reason,
    RegimeDetector,
    RegimeState,
)
from hyperliquid_ofi_trader.regime.stage import RegimeStageAdapter

S = 1_000_000_000
MS = 1_000_000


def make() -> tuple[RegimeStageAdapter, dict[str, OrderBook]]:
    regime = RegimeThresholds(
        liquidity=LiquidityRegimeThresholds(enter_depth=50.0, exit_depth=30.0,
                                            enter_spread_bps=2.0, exit_spread_bps=5.0,
                                            min_dwell_ms=0, depth_levels=5),
        volatility=VolatilityRegimeThresholds(halflife_ms=1000, high_vol_bps_per_s=5.0,
                                              extreme_vol_bps_per_s=20.0),
        liquidation=LiquidationRegimeThresholds(burst_window_ms=2000, burst_notional_usd=1e6,
                                                one_sided_ratio=0.8, jump_bps=20.0,
                                                oi_drop_pct=2.0, cooldown_ms=30_000,
                                            catchup_sigma=1.0, catchup_window_ms=4000),
    )
    det = RegimeDetector(regime, ["ETH"], volatility_warmup_ns=0)
    books = {"ETH": OrderBook("ETH"), "BTC": OrderBook("BTC")}

    def book_of(coin: str) -> BookView | None:
        return books.get(coin)

    return RegimeStageAdapter(det, book_of), books


def snap(coin: str, t: int, mid: float) -> BookSnapshot:
    bids = tuple((mid - 0.05 - i * 0.1, 10.0, 1) for i in range(5))
    asks = tuple((mid + 0.05 + i * 0.1, 10.0, 1) for i in range(5))
    return BookSnapshot(exchange_ns=t, local_ns=t, coin=coin, bids=bids, asks=asks)


def test_satisfies_the_engine_protocol() -> None:
    stage, _ = make()
    typed: RegimeStage[RegimeState] = stage  # mypy checks the structural match
    assert typed is stage


def test_book_event_updates_and_returns_traded_coin_state() -> None:
    stage, books = make()
    ev = snap("ETH", S, 2500.0)
    books["ETH"].apply_snapshot(ev)
    state = stage.update("ETH", ev, now_ns=0)
    assert state.coin == "ETH"
    assert state.tradable
    assert state.depth == 100.0


def test_lead_coin_event_returns_traded_coin_state() -> None:
    stage, books = make()
    ev = snap("BTC", S, 42000.0)
    books["BTC"].apply_snapshot(ev)
    state = stage.update("ETH", ev, now_ns=0)
    assert state.coin == "ETH"
    assert Reason.LIQ_NO_DATA in state.reasons  # ETH's book has not been seen yet


def test_same_event_for_two_traded_coins_is_fed_once() -> None:
    stage, _ = make()
    trades = Trades(exchange_ns=S, local_ns=0, coin="ETH", trades=(
        Trade(coin="ETH", price=2500.0, size=1.0, is_buy=True, exchange_ns=S, tid=1, hash="0x"),))
    stage.update("ETH", trades, now_ns=0)
    stage.update("SOL", trades, now_ns=0)
    assert stage.detector.coin("ETH").liquidation.duplicates == 0


def test_asset_ctx_and_missing_book() -> None:
    stage, _ = make()
    for oi in (100_000.0, 90_000.0):
        ctx = AssetCtx(exchange_ns=0, local_ns=0, coin="ETH", mark_px=2500.0, mid_px=None,
                       oracle_px=2500.0, funding=0.0, open_interest=oi,
                       day_notional_volume=0.0, prev_day_px=2500.0, premium=None,
                       impact_bid=None, impact_ask=None)
        state = stage.update("ETH", ctx, now_ns=0)
    assert state.liquidation
    stage.update("ETH", snap("DOGE", S, 0.1), now_ns=0)
    assert stage.missing_books == 1
