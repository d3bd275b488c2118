"""Market events -> venue frames: exact shapes, the venue's number style, codec round trip."""

from __future__ import annotations

import math
from decimal import Decimal
from pathlib import Path

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hyperliquid_ofi_trader.core.events import AssetCtx, Bbo, BookSnapshot, Trade, Trades
from hyperliquid_ofi_trader.data.replay_sources import iter_frames
from hyperliquid_ofi_trader.sim.synthetic import SyntheticMarket, SyntheticSettings
from hyperliquid_ofi_trader.sim.wire_encode import (
    WireEncodeError,
    encode_frame,
    encode_market_event,
    pseudo_users,
    wire_number,
    wire_push,
)
from hyperliquid_ofi_trader.venues.hyperliquid.websocket.codec import HyperliquidCodec

T_MS = 1_737_918_843_893
NS = T_MS * 1_000_000


@pytest.mark.parametrize(("value", "text"), [
    (95000.0, "95000.0"), (105055.0, "105055.0"), (3.03622, "3.03622"), (0.6, "0.6"),
    (1e-05, "0.00001"), (1.25e-05, "0.0000125"), (-3.1e-06, "-0.0000031"), (0.0, "0.0"),
    (-0.0, "0.0"), (3500.15, "3500.15"), (1e16, "10000000000000000.0"),
    (2000000000.0, "2000000000.0"), (0.1 + 0.2, "0.30000000000000004"),
])
def test_wire_number_venue_style(value: float, text: str) -> None:
    assert wire_number(value) == text


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_wire_number_refuses_non_finite(bad: float) -> None:
    with pytest.raises(WireEncodeError):
        wire_number(bad)


@settings(max_examples=300, deadline=None)
@given(st.floats(allow_nan=False, allow_infinity=False))
def test_wire_number_round_trips_without_exponent(x: float) -> None:
    text = wire_number(x)
    assert "e" not in text
    assert "E" not in text
    assert float(text) == x
    assert Decimal(text) == Decimal(repr(x))  # the same digits, nothing added


def test_book_frame_shape_is_exact() -> None:
    ev = BookSnapshot(exchange_ns=NS, local_ns=NS, coin="BTC",
                      bids=((105055.0, 3.03622, 5), (105054.0, 0.1428, 1)),
                      asks=((105056.0, 6.34472, 13),))
    assert encode_market_event(ev) == (
        b'{"channel":"l2Book","data":{"coin":"BTC","time":1737918843893,"levels":['
        b'[{"px":"105055.0","sz":"3.03622","n":5},{"px":"105054.0","sz":"0.1428","n":1}],'
        b'[{"px":"105056.0","sz":"6.34472","n":13}]]}}')


def test_bbo_frame_shape_with_an_empty_side() -> None:
    ev = Bbo(exchange_ns=NS, local_ns=NS, coin="ETH", bid=(3500.1, 12.5, 4), ask=None)
    assert encode_market_event(ev) == (
        b'{"channel":"bbo","data":{"coin":"ETH","time":1737918843893,"bbo":['
        b'{"px":"3500.1","sz":"12.5","n":4},null]}}')


def test_trades_frame_shape() -> None:
    t = Trade(coin="BTC", price=105056.0, size=0.00219, is_buy=True, exchange_ns=NS,
              tid=121451470284048, hash="0xab")
    frame = orjson.loads(encode_market_event(
        Trades(exchange_ns=NS, local_ns=NS, coin="BTC", trades=(t,))))
    assert frame["channel"] == "trades"
    (data,) = frame["data"]
    assert list(data) == ["coin", "side", "px", "sz", "hash", "time", "tid", "users"]
    assert data == {"coin": "BTC", "side": "B", "px": "105056.0", "sz": "0.00219",
                    "hash": "0xab", "time": T_MS, "tid": 121451470284048,
                    "users": pseudo_users(121451470284048)}


def test_pseudo_users_are_deterministic_distinct_addresses() -> None:
    a, b = pseudo_users(7)
    assert pseudo_users(7) == [a, b]
    assert a != b
    assert pseudo_users(8) != [a, b]
    for addr in (a, b):
        assert len(addr) == 42
        assert addr == addr.lower()
        int(addr, 16)


def test_asset_ctx_frame_keys_and_strings() -> None:
    ev = AssetCtx(exchange_ns=0, local_ns=NS, coin="BTC", mark_px=95000.0, mid_px=95000.5,
                  oracle_px=95003.0, funding=1.25e-05, open_interest=29962.54245,
                  day_notional_volume=2e9, prev_day_px=94000.0, premium=-2.105e-05,
                  impact_bid=95000.0, impact_ask=95001.0)
    frame = orjson.loads(encode_market_event(ev))
    assert frame["channel"] == "activeAssetCtx"
    ctx = frame["data"]["ctx"]
    assert list(ctx) == ["funding", "openInterest", "prevDayPx", "dayNtlVlm", "premium",
                         "oraclePx", "markPx", "midPx", "impactPxs", "dayBaseVlm"]
    assert ctx["funding"] == "0.0000125"
    assert ctx["premium"] == "-0.00002105"
    assert ctx["impactPxs"] == ["95000.0", "95001.0"]
    assert all(isinstance(v, str) for k, v in ctx.items() if k != "impactPxs")


def test_asset_ctx_optional_fields_round_trip_as_null() -> None:
    ev = AssetCtx(exchange_ns=0, local_ns=NS, coin="ETH", mark_px=3500.0, mid_px=None,
                  oracle_px=3500.2, funding=0.0, open_interest=0.0, day_notional_volume=0.0,
                  prev_day_px=3400.0, premium=None, impact_bid=None, impact_ask=None)
    raw = encode_market_event(ev)
    assert orjson.loads(raw)["data"]["ctx"]["impactPxs"] is None
    assert HyperliquidCodec().decode(raw, NS) == [ev]


def test_every_synthetic_event_round_trips_through_the_codec() -> None:
    codec = HyperliquidCodec(frozenset({"BTC", "ETH"}))
    m = SyntheticMarket(SyntheticSettings(), seed=21)
    kinds: set[str] = set()
    for ev in m.run_for(30 * 1_000_000_000):
        assert codec.decode(encode_market_event(ev), ev.local_ns) == [ev]
        kinds.add(type(ev).__name__)
    assert kinds == {"Bbo", "BookSnapshot", "Trades", "AssetCtx"}
    assert codec.rejected == 0


def test_wire_push_routes_by_channel_and_coin() -> None:
    ev = Bbo(exchange_ns=NS, local_ns=NS, coin="ETH", bid=None, ask=(3500.1, 1.0, 1))
    channel, coin, data = wire_push(ev)
    assert (channel, coin) == ("bbo", "ETH")
    assert encode_frame(channel, data) == encode_market_event(ev)


@pytest.mark.realdata
def test_real_frames_decode_encode_decode_identically(hl_ws_capture_btc: Path) -> None:
    """A recorded venue frame, decoded, re-encoded and decoded again gives the same events."""
    codec = HyperliquidCodec()
    n = 0
    for local_ns, raw in iter_frames(hl_ws_capture_btc):
        for ev in codec.decode(raw, local_ns):
            assert isinstance(ev, BookSnapshot | Trades)
            assert codec.decode(encode_market_event(ev), local_ns) == [ev]
            n += 1
    assert n == 55
