"""Property tests: for any seed and any sane settings, the synthetic market stays venue-valid.

Stressed-only settings with frequent bursts are included on purpose: sweeps, wide spreads and
fast regimes are where a book model would cross, leave the tick grid or run out of levels.
"""

from __future__ import annotations

import dataclasses

from hypothesis import given, settings
from hypothesis import strategies as st

from hyperliquid_ofi_trader.core.events import AssetCtx, Bbo, BookSnapshot, Trades
from hyperliquid_ofi_trader.sim.synthetic import (
    STRESSED,
    LeadLagSpec,
    RegimeSpec,
    SyntheticMarket,
    SyntheticSettings,
)
from hyperliquid_ofi_trader.sim.wire_encode import encode_market_event
from hyperliquid_ofi_trader.venues.hyperliquid.common.instruments import is_valid_price
from hyperliquid_ofi_trader.venues.hyperliquid.websocket.codec import HyperliquidCodec

S = 1_000_000_000
SZ_DECIMALS = {"BTC": 5, "ETH": 4}
WILD = RegimeSpec("wild", 6.0, 3.0, 0.3, 0.5)


@st.composite
def market_settings(draw: st.DrawFn) -> SyntheticSettings:
    block_ms = draw(st.integers(20, 400))
    regimes = draw(st.sampled_from([None, (STRESSED,) * 3, (WILD,) * 3]))
    base = SyntheticSettings(
        block_ms=block_ms,
        block_jitter_ms=draw(st.integers(0, block_ms - 1)),
        book_interval_ms=draw(st.integers(1, 3000)),
        fast_book=draw(st.booleans()),
        ctx_interval_ms=draw(st.integers(1, 5000)),
        lead_lag=LeadLagSpec(delay_ms=draw(st.integers(0, 1000)),
                             beta=draw(st.floats(-2.0, 3.0))),
        burst_jump_bps=draw(st.floats(0.0, 50.0)),
        burst_blocks=draw(st.integers(1, 5)),
    )
    return base if regimes is None else dataclasses.replace(base, regimes=regimes)


@settings(max_examples=15, deadline=None)
@given(market_settings(), st.integers(0, 2**32))
def test_any_market_is_valid_and_round_trips(s: SyntheticSettings, seed: int) -> None:
    codec = HyperliquidCodec(frozenset(SZ_DECIMALS))
    last_book: dict[str, int] = {}
    for ev in SyntheticMarket(s, seed=seed).run_for(20 * S):
        szd = SZ_DECIMALS[ev.coin]
        assert codec.decode(encode_market_event(ev), ev.local_ns) == [ev]
        if isinstance(ev, BookSnapshot):
            assert len(ev.bids) == len(ev.asks) == s.book_levels
            assert ev.exchange_ns - last_book.get(ev.coin, -(10**18)) >= s.book_interval_ms * 10**6
            last_book[ev.coin] = ev.exchange_ns
            prices = [lv[0] for lv in ev.bids + ev.asks]
        elif isinstance(ev, Bbo):
            assert ev.bid is not None
            assert ev.ask is not None
            prices = [ev.bid[0], ev.ask[0]]
        elif isinstance(ev, Trades):
            prices = [t.price for t in ev.trades]
        else:
            assert isinstance(ev, AssetCtx)
            prices = [ev.mark_px, ev.oracle_px]
        assert all(is_valid_price(p, szd) for p in prices)
    assert codec.rejected == 0  # crossed or unsorted books would have been refused
