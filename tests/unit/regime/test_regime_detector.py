"""RegimeDetector: the combined per-coin verdict and its reasons."""

from __future__ import annotations

import math

import orjson

from hyperliquid_ofi_trader.config.models import (
    LiquidationRegimeThresholds,
    LiquidityRegimeThresholds,
    RegimeThresholds,
    VolatilityRegimeThresholds,
)
from hyperliquid_ofi_trader.core.events import AssetCtx, BookSnapshot, Trade, Trades
from hyperliquid_ofi_trader.data.orderbook import OrderBook
from hyperliquid_ofi_trader.regime import (
    LiquidityLevel,
    Reason,
    RegimeDetector,
    VolLevel,
)

S = 1_000_000_000
MS = 1_000_000

REGIME = RegimeThresholds(
    liquidity=LiquidityRegimeThresholds(enter_depth=50.0, exit_depth=30.0, enter_spread_bps=2.0,
                                        exit_spread_bps=5.0, min_dwell_ms=0, depth_levels=5),
    volatility=VolatilityRegimeThresholds(halflife_ms=1000, high_vol_bps_per_s=5.0,
                                          extreme_vol_bps_per_s=20.0),
    liquidation=LiquidationRegimeThresholds(burst_window_ms=2000, burst_notional_usd=1e6,
                                            one_sided_ratio=0.8, jump_bps=20.0,
                                            oi_drop_pct=2.0, cooldown_ms=30_000,
                                            catchup_sigma=1.0, catchup_window_ms=4000),
)


def snapshot(t_ns: int, mid: float, size: float = 10.0, coin: str = "ETH") -> BookSnapshot:
    bids = tuple((round(mid - 0.05 - i * 0.1, 2), size, 1) for i in range(5))
    asks = tuple((round(mid + 0.05 + i * 0.1, 2), size, 1) for i in range(5))
    return BookSnapshot(exchange_ns=t_ns, local_ns=t_ns, coin=coin, bids=bids, asks=asks)


def feed(det: RegimeDetector, book: OrderBook, seconds: float, wobble: float = 0.1,
         start_ns: int = 0, size: float = 10.0) -> int:
    """Snapshots every 100 ms, mid alternating by `wobble`; returns the last time."""
    t = start_ns
    for i in range(int(seconds * 10)):
        t = start_ns + (i + 1) * 100 * MS
        book.apply_snapshot(snapshot(t, 2500.0 + (wobble if i % 2 else 0.0), size))
        det.on_book(book)
    return t


def make() -> RegimeDetector:
    return RegimeDetector(REGIME, ["ETH"], volatility_warmup_ns=2 * S)


def test_unknown_coin_is_never_tradable() -> None:
    det = make()
    state = det.state("DOGE")
    assert not state.tradable
    assert Reason.UNKNOWN_COIN in state.reasons


def test_warmup_then_tradable() -> None:
    det = make()
    book = OrderBook("ETH")
    feed(det, book, seconds=1.0)
    state = det.state("ETH")
    assert state.liquidity is LiquidityLevel.LIQUID
    assert not state.tradable
    assert state.reasons == (Reason.VOL_WARMUP,)
    feed(det, book, seconds=3.0, start_ns=2 * S)
    state = det.state("ETH")
    assert state.tradable
    assert state.reasons == ()
    assert state.coin == "ETH"
    assert state.depth == 100.0
    assert 0.0 < state.vol_bps_per_s < 5.0


def test_thin_book_blocks_with_reason() -> None:
    det = make()
    book = OrderBook("ETH")
    feed(det, book, seconds=3.0, size=2.0)  # depth 20 < 50
    state = det.state("ETH")
    assert not state.tradable
    assert state.reasons == (Reason.LIQ_THIN_DEPTH,)


def test_high_vol_is_tradable_but_reported_and_extreme_blocks() -> None:
    det = make()
    book = OrderBook("ETH")
    # 0.5 wobble on 2500 = 2 bps every 100 ms -> ~6.3 bps/sqrt(s): HIGH
    feed(det, book, seconds=5.0, wobble=0.5)
    state = det.state("ETH")
    assert state.volatility is VolLevel.HIGH
    assert state.tradable
    assert state.reasons == (Reason.VOL_HIGH,)
    # 2.5 wobble = 10 bps every 100 ms -> ~32 bps/sqrt(s): EXTREME
    feed(det, book, seconds=5.0, wobble=2.5, start_ns=6 * S)
    state = det.state("ETH")
    assert state.volatility is VolLevel.EXTREME
    assert not state.tradable
    assert Reason.VOL_EXTREME in state.reasons


def test_liquidation_flag_blocks_until_cooldown() -> None:
    det = make()
    book = OrderBook("ETH")
    t = feed(det, book, seconds=3.0)
    det.on_asset_ctx(_ctx(100_000.0))
    det.on_asset_ctx(_ctx(95_000.0))
    state = det.state("ETH")
    assert state.liquidation
    assert not state.tradable
    assert state.reasons == (Reason.LIQN_OI_DROP,)
    feed(det, book, seconds=31.0, start_ns=t)  # book times advance the cool-down clock
    assert det.state("ETH").tradable


def test_trades_reach_the_liquidation_detector() -> None:
    det = make()
    trades = tuple(Trade(coin="ETH", price=2500.0 * (1 - 0.001 * i), size=100.0, is_buy=False,
                         exchange_ns=S + i * MS, tid=i, hash="0x") for i in range(10))
    det.on_trades(Trades(exchange_ns=S + 9 * MS, local_ns=0, coin="ETH", trades=trades))
    assert det.state("ETH").liquidation
    assert Reason.LIQN_BURST_SELL in det.state("ETH").reasons


def test_single_params_apply_to_every_coin() -> None:
    det = RegimeDetector(REGIME, None, volatility_warmup_ns=2 * S)
    book = OrderBook("BTC")
    for i in range(30):
        book.apply_snapshot(snapshot((i + 1) * 100 * MS, 2500.0, coin="BTC"))
        det.on_book(book)
    assert det.state("BTC").tradable
    assert det.coins() == ("BTC",)


def test_state_serialises_for_the_journal() -> None:
    det = make()
    state = det.state("ETH")
    data = state.as_dict()
    assert data["liquidity"] == "thin"
    assert data["volatility"] == "normal"
    assert "liquidity_no_data" in data["reasons"]
    assert math.isnan(data["depth"])
    orjson.dumps(data)  # NaN becomes null; must not raise


def _ctx(oi: float) -> AssetCtx:
    return AssetCtx(exchange_ns=0, local_ns=0, coin="ETH", mark_px=2500.0, mid_px=None,
                    oracle_px=2500.0, funding=0.0, open_interest=oi, day_notional_volume=0.0,
                    prev_day_px=2500.0, premium=None, impact_bid=None, impact_ask=None)


def test_the_verdict_is_reused_until_the_coins_own_data_moves() -> None:
    # Decisions on ETH after a BTC book update reuse ETH's verdict; any ETH feed (book,
    # trades, context) makes the next one fresh, so it can never lag the data.
    det = RegimeDetector(REGIME, ["ETH", "BTC"], volatility_warmup_ns=0)
    eth, btc = OrderBook("ETH"), OrderBook("BTC")
    t = feed(det, eth, seconds=1.0)
    first = det.state("ETH")
    assert det.state("ETH") is first
    btc.apply_snapshot(snapshot(t + MS, 90_000.0, coin="BTC"))
    det.on_book(btc)
    assert det.state("ETH") is first
    eth.apply_snapshot(snapshot(t + 2 * MS, 2500.0, size=1.0))  # thin: the verdict changes
    det.on_book(eth)
    thin = det.state("ETH")
    assert thin is not first
    assert thin.liquidity is LiquidityLevel.THIN
    assert thin.exchange_ns == t + 2 * MS
    trade = Trade(coin="ETH", price=2500.0, size=0.1, is_buy=True, exchange_ns=t + 3 * MS,
                  tid=1, hash="0x")
    det.on_trades(Trades(exchange_ns=t + 3 * MS, local_ns=0, coin="ETH", trades=(trade,)))
    after_trades = det.state("ETH")
    assert after_trades is not thin
    assert after_trades.exchange_ns == t + 3 * MS
