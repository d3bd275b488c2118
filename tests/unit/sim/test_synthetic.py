"""The synthetic market: determinism, venue-valid books and prints, configured cadences."""

from __future__ import annotations

import dataclasses
import itertools
from collections import defaultdict
from decimal import Decimal
from functools import cache
from typing import Any

import numpy as np
import pytest

from hyperliquid_ofi_trader.core.events import AssetCtx, Bbo, BookSnapshot, MarketEvent, Trades
from hyperliquid_ofi_trader.sim.synthetic import (
    BTC,
    ETH,
    LeadLagSpec,
    RegimeSpec,
    SyntheticConfigError,
    SyntheticMarket,
    SyntheticSettings,
)
from hyperliquid_ofi_trader.sim.synthetic_book import SyntheticCoinSpec, tick_band
from hyperliquid_ofi_trader.venues.hyperliquid.common.instruments import is_valid_price, tick_size

S = 1_000_000_000
MS = 1_000_000
SZ_DECIMALS = {"BTC": 5, "ETH": 4}


@cache
def ten_minutes(seed: int = 11) -> tuple[MarketEvent, ...]:
    """Ten simulated minutes, generated once for the tests that only read them."""
    return tuple(SyntheticMarket(seed=seed).run_for(600 * S))


def of_type(events: tuple[MarketEvent, ...] | list[MarketEvent], kind: type[Any],
            coin: str | None = None) -> list[Any]:
    return [e for e in events if isinstance(e, kind) and (coin is None or e.coin == coin)]


def valid_size(size: float, sz_decimals: int) -> bool:
    step = Decimal(1).scaleb(-sz_decimals)
    return size > 0 and Decimal(repr(size)) % step == 0


# ---------------------------------------------------------------- determinism


def test_same_seed_same_events() -> None:
    a = SyntheticMarket(seed=5).run_for(20 * S)
    b = SyntheticMarket(seed=5).run_for(20 * S)
    assert a
    assert a == b


def test_different_seed_different_events() -> None:
    a = SyntheticMarket(seed=5).run_for(5 * S)
    b = SyntheticMarket(seed=6).run_for(5 * S)
    assert a != b


def test_block_by_block_equals_run_for() -> None:
    m = SyntheticMarket(seed=9)
    stepped: list[MarketEvent] = []
    while m.now_ns < m.settings.start_ns + 3 * S:
        stepped.extend(m.next_block())
    again = SyntheticMarket(seed=9).run_for(m.now_ns - m.settings.start_ns)
    assert stepped == again


# ---------------------------------------------------------------- validity over 10 minutes


def test_every_price_is_a_valid_tick_and_every_size_a_valid_step() -> None:
    events = ten_minutes()
    checked = 0
    for ev in events:
        szd = SZ_DECIMALS[ev.coin]
        if isinstance(ev, BookSnapshot):
            levels = ev.bids + ev.asks
        elif isinstance(ev, Bbo):
            levels = tuple(lv for lv in (ev.bid, ev.ask) if lv is not None)
        elif isinstance(ev, Trades):
            levels = tuple((t.price, t.size, 1) for t in ev.trades)
        else:
            assert is_valid_price(ev.mark_px, szd)
            assert is_valid_price(ev.oracle_px, szd)
            continue
        for px, sz, n in levels:
            assert is_valid_price(px, szd), (ev.coin, px)
            assert valid_size(sz, szd), (ev.coin, sz)
            assert n >= 1
            checked += 1
    assert checked > 100_000


def test_books_never_crossed_and_sorted() -> None:
    for snap in of_type(ten_minutes(), BookSnapshot):
        bids = [lv[0] for lv in snap.bids]
        asks = [lv[0] for lv in snap.asks]
        assert bids == sorted(bids, reverse=True)
        assert len(set(bids)) == len(bids)
        assert asks == sorted(asks)
        assert len(set(asks)) == len(asks)
        assert bids[0] < asks[0]
    for bbo in of_type(ten_minutes(), Bbo):
        assert bbo.bid is not None
        assert bbo.ask is not None
        assert bbo.bid[0] < bbo.ask[0]


def test_bbo_agrees_with_the_snapshot_of_the_same_block() -> None:
    last_bbo: dict[str, Bbo] = {}
    matched = 0
    for ev in ten_minutes():
        if isinstance(ev, Bbo):
            last_bbo[ev.coin] = ev
        elif isinstance(ev, BookSnapshot):
            bbo = last_bbo[ev.coin]
            assert (bbo.bid, bbo.ask) == (ev.bids[0], ev.asks[0])
            matched += 1
    assert matched > 2000


def test_bbo_only_when_level_one_changed() -> None:
    for coin in ("BTC", "ETH"):
        bbos = of_type(ten_minutes(), Bbo, coin)
        for prev, cur in itertools.pairwise(bbos):
            assert (prev.bid, prev.ask) != (cur.bid, cur.ask)


def test_spread_is_one_or_two_ticks_most_of_the_time() -> None:
    for coin in ("BTC", "ETH"):
        spreads = np.array([(b.ask[0] - b.bid[0]) / tick_size(b.bid[0], SZ_DECIMALS[coin])
                            for b in of_type(ten_minutes(), Bbo, coin)])
        assert np.mean(np.round(spreads) <= 2) > 0.75, coin
        assert np.mean(np.round(spreads) == 1) > 0.5, coin


def test_depth_profile_is_realistic_and_grows_away_from_the_touch() -> None:
    expected = {"BTC": (2.0, 80.0), "ETH": (20.0, 1500.0)}
    for coin, (lo, hi) in expected.items():
        snaps = of_type(ten_minutes(), BookSnapshot, coin)
        five = np.median([sum(lv[1] for lv in s.bids[:5]) for s in snaps])
        assert lo < five < hi, (coin, five)
        near = np.median([s.asks[0][1] + s.bids[0][1] for s in snaps])
        far = np.median([s.asks[9][1] + s.bids[9][1] for s in snaps])
        assert far > near, coin


def test_prices_stay_near_their_start_and_fair() -> None:
    m = SyntheticMarket(seed=2)
    gaps = []
    for _ in range(3000):
        m.next_block()
        for coin, _szd in SZ_DECIMALS.items():
            book = next(c.book for c in m._coins if c.spec.name == coin)
            gaps.append(abs(book.to_ticks(m.fair_px(coin)) - book.mid_ticks()))
    assert np.median(gaps) < 3.0  # the book tracks the fair price within a few ticks
    assert 0.9 * BTC.start_px < m.fair_px("BTC") < 1.1 * BTC.start_px


def test_trade_ids_unique_increasing_and_prints_at_the_touch_side() -> None:
    tids = [t.tid for ev in of_type(ten_minutes(), Trades) for t in ev.trades]
    assert tids == sorted(tids)
    assert len(set(tids)) == len(tids)
    hashes = {t.hash for ev in of_type(ten_minutes(), Trades) for t in ev.trades}
    assert all(h.startswith("0x") and len(h) == 66 for h in hashes)
    buys = sells = 0
    for ev in of_type(ten_minutes(), Trades):
        buys += sum(t.is_buy for t in ev.trades)
        sells += sum(not t.is_buy for t in ev.trades)
    assert buys > 100
    assert sells > 100


# ---------------------------------------------------------------- cadences


def intervals_ms(times_ns: list[int]) -> np.ndarray:
    return np.diff(np.asarray(times_ns, dtype=np.int64)) // MS


def test_block_cadence_and_whole_millisecond_times() -> None:
    s = SyntheticSettings(block_ms=80, block_jitter_ms=20)
    m = SyntheticMarket(s, seed=1)
    times = []
    for _ in range(500):
        events = m.next_block()
        times.append(m.now_ns)
        for ev in events:
            assert ev.local_ns == m.now_ns
            assert ev.local_ns % MS == 0
            assert ev.exchange_ns == (0 if isinstance(ev, AssetCtx) else m.now_ns)
    gaps = intervals_ms(times)
    assert gaps.min() >= 60
    assert gaps.max() <= 100
    assert 75 < gaps.mean() < 85
    assert times[0] == s.start_ns


@pytest.mark.parametrize(("interval_ms", "fast", "levels"), [(500, False, 20), (1000, True, 5)])
def test_book_snapshot_cadence_and_depth(interval_ms: int, fast: bool, levels: int) -> None:
    s = SyntheticSettings(book_interval_ms=interval_ms, fast_book=fast)
    events = SyntheticMarket(s, seed=3).run_for(60 * S)
    for coin in ("BTC", "ETH"):
        snaps = of_type(events, BookSnapshot, coin)
        gaps = intervals_ms([e.exchange_ns for e in snaps])
        assert gaps.min() >= interval_ms
        assert gaps.max() <= interval_ms + s.block_ms + s.block_jitter_ms
        assert all(len(e.bids) == levels and len(e.asks) == levels for e in snaps)


def test_asset_context_cadence_and_contents() -> None:
    events = SyntheticMarket(SyntheticSettings(ctx_interval_ms=2000), seed=4).run_for(60 * S)
    for coin in ("BTC", "ETH"):
        ctxs = of_type(events, AssetCtx, coin)
        gaps = intervals_ms([e.local_ns for e in ctxs])
        assert gaps.min() >= 2000
        assert gaps.max() <= 2130
        for c in ctxs:
            assert abs(c.oracle_px / c.mark_px - 1) < 0.002
            assert c.impact_bid is not None
            assert c.impact_ask is not None
            assert c.impact_bid < c.impact_ask
            assert c.mid_px is not None
            assert c.open_interest > 0
            assert c.day_notional_volume > 0
        assert ctxs[-1].day_notional_volume > ctxs[0].day_notional_volume  # trading adds


# ---------------------------------------------------------------- bursts, regimes, settings


def test_liquidation_burst_sweeps_one_side() -> None:
    burst = RegimeSpec("stressed", 1.0, 1.0, 0.8, 10_000.0)  # a burst at once
    s = SyntheticSettings(regimes=(burst, burst, burst), burst_jump_bps=20.0,
                          switch_rates=((0.0,) * 3,) * 3)
    m = SyntheticMarket(s, seed=8)
    m.next_block()
    start = m.fair_px("BTC")
    events = m.next_block()
    jump_bps = abs(m.fair_px("BTC") / start - 1) * 1e4
    assert jump_bps > 3.0
    btc = of_type(events, Trades, "BTC")
    assert btc
    prices = {t.price for t in btc[0].trades}
    assert len(prices) >= 3  # the sweep walked several levels


def test_regimes_switch_and_raise_volatility() -> None:
    fast = ((0.0, 5.0, 0.0), (0.0, 0.0, 5.0), (5.0, 0.0, 0.0))
    m = SyntheticMarket(SyntheticSettings(switch_rates=fast), seed=1)
    seen = set()
    for _ in range(300):
        m.next_block()
        seen.add(m.regime)
    assert seen == {"calm", "active", "stressed"}


def test_without_lead_lag_and_with_one_coin() -> None:
    one = SyntheticSettings(coins=(ETH,), lead_lag=None)
    events = SyntheticMarket(one, seed=1).run_for(5 * S)
    assert events
    assert {e.coin for e in events} == {"ETH"}


@pytest.mark.parametrize("change", [
    {"block_ms": 0},
    {"block_jitter_ms": 100},
    {"start_ns": 1},
    {"coins": (BTC, BTC)},
    {"lead_lag": LeadLagSpec(lead="BTC", lag="SOL")},
    {"book_interval_ms": 0},
    {"initial_regime": 3},
    {"sweep_ticks": float("nan")},
    {"switch_rates": ((0.0, -1.0, 0.0),) * 3},
])
def test_bad_settings_are_refused(change: dict[str, Any]) -> None:
    with pytest.raises(SyntheticConfigError):
        dataclasses.replace(SyntheticSettings(), **change)


@pytest.mark.parametrize("change", [
    {"start_px": -1.0}, {"sz_decimals": 6}, {"touch_size": 0.0}, {"depth_growth": 0.5},
    {"gap_prob": 0.6}, {"aggressive_share": 2.0}, {"name": ""},
])
def test_bad_coin_specs_are_refused(change: dict[str, Any]) -> None:
    with pytest.raises(SyntheticConfigError):
        dataclasses.replace(BTC, **change)


def test_settings_are_frozen() -> None:
    s = SyntheticSettings()
    with pytest.raises(dataclasses.FrozenInstanceError):
        s.block_ms = 5  # type: ignore[misc]


def test_tick_band_matches_the_venue_rules() -> None:
    assert tick_band(95_000.0, 5) == (10_000.0, float("inf"))
    assert tick_band(3_500.0, 4) == (1_000.0, 10_000.0)
    assert tick_band(0.5, 0)[1] == 1.0


def test_a_coin_near_a_tick_boundary_stays_inside_its_band() -> None:
    spec = SyntheticCoinSpec(name="XYZ", start_px=9_700.0, sz_decimals=2, touch_size=5.0,
                             depth_growth=1.2, order_size=1.0, limit_size=1.0, market_size=0.3,
                             vol_bps=40.0, noise_rate=20.0, informed_rate=30.0)
    m = SyntheticMarket(SyntheticSettings(coins=(spec,), lead_lag=None), seed=1)
    per_coin: dict[str, list[float]] = defaultdict(list)
    for ev in m.run_for(120 * S):
        if isinstance(ev, Bbo) and ev.bid and ev.ask:
            per_coin[ev.coin] += [ev.bid[0], ev.ask[0]]
    prices = per_coin["XYZ"]
    assert max(prices) < 10_000.0  # above it the tick would be 1, not 0.1
    assert all(is_valid_price(p, 2) for p in prices)
