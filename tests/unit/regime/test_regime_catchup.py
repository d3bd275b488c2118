"""A lag coin's burst that follows its lead's run is a catch-up, not a liquidation cascade.

Hand-built markets: BTC (the lead) wobbles around 95,000 to warm its volatility, then runs;
ETH (the lag) then trades one-sided with a jump that on its own is a cascade (the burst
thresholds of `REGIME`). What the detector decides depends only on the lead's run, its
direction, its own flag and how fresh it is.
"""

from __future__ import annotations

from hyperliquid_ofi_trader.config.models import (
    LiquidationRegimeThresholds,
    LiquidityRegimeThresholds,
    RegimeThresholds,
    VolatilityRegimeThresholds,
)
from hyperliquid_ofi_trader.core.events import BookSnapshot, Trade, Trades
from hyperliquid_ofi_trader.data.orderbook import OrderBook
from hyperliquid_ofi_trader.regime import Reason, RegimeDetector

S = 1_000_000_000
MS = 1_000_000


def regime(catchup_sigma: float | None = 1.0) -> RegimeThresholds:
    return RegimeThresholds(
        liquidity=LiquidityRegimeThresholds(enter_depth=50.0, exit_depth=30.0,
                                            enter_spread_bps=2.0, exit_spread_bps=5.0,
                                            min_dwell_ms=0, depth_levels=5),
        volatility=VolatilityRegimeThresholds(halflife_ms=1000, high_vol_bps_per_s=50.0,
                                              extreme_vol_bps_per_s=100.0),
        liquidation=LiquidationRegimeThresholds(
            burst_window_ms=2000, burst_notional_usd=1e6, one_sided_ratio=0.8, jump_bps=20.0,
            oi_drop_pct=2.0, cooldown_ms=30_000, catchup_sigma=catchup_sigma,
            catchup_window_ms=4000),
    )


def snapshot(t_ns: int, coin: str, mid: float, tick: float) -> BookSnapshot:
    bids = tuple((round(mid - tick * (i + 0.5), 2), 10.0, 1) for i in range(5))
    asks = tuple((round(mid + tick * (i + 0.5), 2), 10.0, 1) for i in range(5))
    return BookSnapshot(exchange_ns=t_ns, local_ns=t_ns, coin=coin, bids=bids, asks=asks)


class Market:
    """BTC and ETH books feeding one detector; BTC warmed up over the first 3 s."""

    def __init__(self, catchup_sigma: float | None = 1.0,
                 lead_of: dict[str, str] | None = None) -> None:
        self.det = RegimeDetector(regime(catchup_sigma), ["ETH"], volatility_warmup_ns=2 * S,
                                  lead_of={"ETH": "BTC"} if lead_of is None else lead_of)
        self.btc, self.eth = OrderBook("BTC"), OrderBook("ETH")
        self.t = 0
        self.tid = 0
        self.btc_mid = 95_000.0
        for i in range(30):  # 100 ms apart, +-1 bps: BTC vol ~3 bps per sqrt(s)
            self.lead(95_000.0 + (9.5 if i % 2 else 0.0))

    def lead(self, mid: float, step_ms: int = 100) -> None:
        self.t += step_ms * MS
        self.btc_mid = mid
        self.btc.apply_snapshot(snapshot(self.t, "BTC", mid, 1.0))
        self.det.on_book_for("BTC", self.btc)

    def lead_run(self, bps: float, steps: int = 5) -> None:
        start = self.btc_mid
        for i in range(1, steps + 1):
            self.lead(start * (1 + bps * 1e-4 * i / steps))

    def lag_burst(self, up: bool, coin: str = "ETH", steps: int = 10) -> bool:
        """One-sided taker flow 200 ms apart, 3 bps a step: 1.25M USD and ~27 bps."""
        fired = False
        price = 2500.0
        for _ in range(steps):
            self.t += 200 * MS
            price *= 1 + (3e-4 if up else -3e-4)
            self.tid += 1
            trade = Trade(coin=coin, price=price, size=50.0, is_buy=up, exchange_ns=self.t,
                          tid=self.tid, hash="0x")
            batch = Trades(exchange_ns=self.t, local_ns=self.t, coin=coin, trades=(trade,))
            before = self.det.coin(coin).liquidation.triggers
            self.det.on_trades(batch)
            fired |= self.det.coin(coin).liquidation.triggers > before
        return fired


def flagged(m: Market, coin: str = "ETH") -> bool:
    return m.det.state(coin).liquidation


def test_burst_after_the_lead_ran_the_same_way_is_a_catchup() -> None:
    m = Market()
    m.lead_run(+15.0)  # ~2.5 sigma of BTC over the 4 s window
    assert not m.lag_burst(up=True)
    assert not flagged(m)
    assert m.det.catchups("ETH") > 0
    assert Reason.LIQN_BURST_BUY not in m.det.state("ETH").reasons


def test_mirrored_market_is_a_catchup_too() -> None:
    m = Market()
    m.lead_run(-15.0)
    assert not m.lag_burst(up=False)
    assert not flagged(m)


def test_burst_against_the_lead_run_is_a_cascade() -> None:
    m = Market()
    m.lead_run(+15.0)
    assert m.lag_burst(up=False)
    assert flagged(m)
    assert Reason.LIQN_BURST_SELL in m.det.state("ETH").reasons
    assert m.det.catchups("ETH") == 0


def test_burst_with_a_quiet_lead_is_a_cascade() -> None:
    m = Market()
    assert m.lag_burst(up=True)
    assert flagged(m)


def test_lead_run_below_the_sigma_threshold_explains_nothing() -> None:
    m = Market(catchup_sigma=10.0)  # 15 bps is ~2.5 sigma, not 10
    m.lead_run(+15.0)
    assert m.lag_burst(up=True)


def test_a_stale_lead_run_explains_nothing() -> None:
    m = Market()
    m.lead_run(+15.0)
    m.t += 5 * S  # the run is older than the 4 s window, and BTC sent nothing since
    assert m.lag_burst(up=True)


def test_a_cascading_lead_keeps_the_lag_flagged() -> None:
    """Market-wide: the lead is flagged itself, so its run explains nothing."""
    m = Market()
    m.lead_run(+15.0)
    assert m.lag_burst(up=True, coin="BTC")  # BTC has no lead: its own burst flags it
    assert flagged(m, "BTC")
    assert m.lag_burst(up=True)
    assert flagged(m)


def test_null_sigma_turns_the_test_off() -> None:
    m = Market(catchup_sigma=None)
    m.lead_run(+15.0)
    assert m.lag_burst(up=True)
    assert m.det.catchups("ETH") == 0


def test_without_a_pair_every_burst_flags() -> None:
    m = Market(lead_of={})
    m.lead_run(+15.0)
    assert m.lag_burst(up=True)


def test_excuse_hook_sees_the_burst_side() -> None:
    seen: list[bool] = []
    m = Market(lead_of={})

    def hook(is_buy: bool) -> bool:
        seen.append(is_buy)
        return True

    m.det.coin("ETH").liquidation.excuse = hook
    assert not m.lag_burst(up=False)
    assert seen
    assert not any(seen)
    assert m.det.catchups("ETH") == len(seen)
