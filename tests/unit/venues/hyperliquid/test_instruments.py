"""Hyperliquid tick / size rules: magnitudes, boundaries, exact decimal rounding."""

from __future__ import annotations

import math
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hyperliquid_ofi_trader.core.events import Side
from hyperliquid_ofi_trader.venues.hyperliquid.common.instruments import (
    Instrument,
    InstrumentError,
    RoundMode,
    instruments_from_meta,
    is_valid_price,
    is_valid_size,
    meets_min_value,
    price_decimals,
    round_price,
    round_price_str,
    round_size,
    round_size_str,
    tick_size,
    to_wire,
)


@pytest.mark.parametrize(
    ("price", "sz_decimals", "tick"),
    [
        (100_000.0, 5, 1.0),  # BTC: integer prices always allowed beyond 5 sig figs
        (123_456.0, 5, 1.0),
        (42_727.0, 5, 1.0),
        (10_000.0, 5, 1.0),
        (9_999.9, 5, 0.1),  # below 10k BTC gets a decimal, capped by 6 - 5 = 1 decimal
        (999.5, 5, 0.1),  # sig figs would allow 0.01 but 6 - szDecimals caps at 1 decimal
        (2_500.0, 4, 0.1),  # ETH
        (250.0, 4, 0.01),
        (25.0, 2, 0.001),
        (0.5, 0, 0.00001),  # small coin: 5 sig figs
        (0.012345, 0, 0.000001),  # capped by 6 decimals
        (0.0001234, 0, 0.000001),
        (3.0, 6, 1.0),  # szDecimals 6: integers only
    ],
)
def test_tick_size(price: float, sz_decimals: int, tick: float) -> None:
    assert tick_size(price, sz_decimals) == tick


def test_price_decimals() -> None:
    assert price_decimals(42_727.0, 5) == 0
    assert price_decimals(2_500.0, 4) == 1
    assert price_decimals(1.2345, 1) == 4
    assert price_decimals(1.2345, 3) == 3


@pytest.mark.parametrize(
    ("price", "sz", "mode", "want"),
    [
        (42_727.4, 5, RoundMode.NEAREST, 42_727.0),
        (42_727.6, 5, RoundMode.NEAREST, 42_728.0),
        (42_727.4, 5, Side.ASK, 42_728.0),  # sell rounds up
        (42_727.6, 5, Side.BID, 42_727.0),  # buy rounds down
        (2_500.05, 4, Side.BID, 2_500.0),
        (2_500.05, 4, Side.ASK, 2_500.1),
        (0.1 + 0.2, 0, RoundMode.NEAREST, 0.3),  # float noise does not leak through
        (9_999.96, 5, RoundMode.NEAREST, 10_000.0),
        (99_999.5, 5, RoundMode.UP, 100_000.0),
        (123_456.7, 5, RoundMode.DOWN, 123_456.0),
        (0.0000004, 0, RoundMode.DOWN, 0.000001),  # never rounds a price to 0
    ],
)
def test_round_price(price: float, sz: int, mode: Side | RoundMode, want: float) -> None:
    got = round_price(price, sz, mode)
    assert got == want
    assert is_valid_price(got, sz)


def test_round_price_str_is_wire_text() -> None:
    assert round_price_str(42_727.0, 5) == "42727"
    assert round_price_str(2_500.04, 4) == "2500"
    assert round_price_str(2_512.34, 4) == "2512.3"
    assert round_price_str(0.000012345, 0) == "0.000012"


def test_round_size() -> None:
    assert round_size(0.123456789, 5) == 0.12345
    assert round_size(0.123456789, 5, RoundMode.UP) == 0.12346
    assert round_size(1.0 - 1e-17, 2) == 1.0  # repr is "1.0": exact
    assert round_size(0.29, 1) == 0.2
    assert round_size(0.000001, 4) == 0.0
    assert round_size_str(1.5, 0, RoundMode.NEAREST) == "2"
    assert round_size_str(0.1 + 0.2, 4) == "0.3"


def test_is_valid_price() -> None:
    assert is_valid_price(123_456.0, 5)
    assert not is_valid_price(42_727.5, 5)
    assert is_valid_price(2_500.1, 4)
    assert not is_valid_price(2_500.15, 4)
    assert not is_valid_price(1.23456, 0)  # 6 sig figs
    assert not is_valid_price(math.nan, 0)
    assert not is_valid_price(-1.0, 0)


def test_is_valid_size() -> None:
    assert is_valid_size(0.0123, 4)
    assert is_valid_size(0.0, 4)  # whether 0 may be sent is the caller's rule
    assert is_valid_size(12.0, 0)
    assert not is_valid_size(0.01234, 3)
    assert not is_valid_size(0.5, 0)
    assert not is_valid_size(-1.0, 2)
    assert not is_valid_size(math.nan, 2)
    assert not is_valid_size(math.inf, 2)
    with pytest.raises(InstrumentError):
        is_valid_size(1.0, 9)


def test_meets_min_value_rounds_the_size_down_first() -> None:
    assert meets_min_value(2_500.0, 0.004, 4)  # exactly $10
    assert not meets_min_value(2_500.0, 0.00399, 4)  # rounds to 0.0039: $9.75
    assert not meets_min_value(-1.0, 100.0, 2)
    with pytest.raises(InstrumentError):
        meets_min_value(math.nan, 1.0, 2)
    with pytest.raises(InstrumentError):
        meets_min_value(100.0, -1.0, 2)


@pytest.mark.parametrize("bad", [math.nan, math.inf, 0.0, -5.0])
def test_bad_price_raises(bad: float) -> None:
    with pytest.raises(InstrumentError):
        round_price(bad, 2)
    with pytest.raises(InstrumentError):
        tick_size(bad, 2)


def test_bad_args_raise() -> None:
    with pytest.raises(InstrumentError):
        tick_size(100.0, 7)
    with pytest.raises(InstrumentError):
        round_size(-1.0, 2)
    with pytest.raises(InstrumentError):
        round_size(math.nan, 2)


def test_to_wire() -> None:
    assert to_wire(Decimal("1.2300")) == "1.23"
    assert to_wire(Decimal("100")) == "100"
    assert to_wire(Decimal("1E+2")) == "100"
    assert to_wire(Decimal("-0.0")) == "0"
    assert to_wire(Decimal("0.00001")) == "0.00001"


def test_instruments_from_meta() -> None:
    meta = {"universe": [
        {"name": "BTC", "szDecimals": 5, "maxLeverage": 50},
        {"name": "ETH", "szDecimals": 4, "maxLeverage": 50, "onlyIsolated": False},
        {"name": "OLD", "szDecimals": 0, "maxLeverage": 3, "isDelisted": True},
    ]}
    inst = instruments_from_meta(meta)
    assert inst["ETH"] == Instrument(name="ETH", asset=1, sz_decimals=4, max_leverage=50)
    assert inst["OLD"].asset == 2
    assert inst["ETH"].tick_size(2_500.0) == 0.1
    assert inst["BTC"].round_price(42_000.4, Side.ASK) == 42_001.0
    assert inst["BTC"].size_step == 0.00001
    assert inst["BTC"].meets_min_value(42_000.0, 0.00024)  # $10.08
    assert not inst["BTC"].meets_min_value(42_000.0, 0.000239)  # rounds to 0.00023: $9.66


@pytest.mark.parametrize(
    "meta", [{}, {"universe": [{"szDecimals": 2}]}, {"universe": [{"name": "X", "szDecimals": 9}]}]
)
def test_malformed_meta_raises(meta: dict[str, object]) -> None:
    with pytest.raises(InstrumentError):
        instruments_from_meta(meta)


@settings(max_examples=300, deadline=None)
@given(
    st.floats(min_value=1e-6, max_value=2e6, allow_nan=False),
    st.integers(min_value=0, max_value=6),
    st.sampled_from([RoundMode.NEAREST, RoundMode.UP, RoundMode.DOWN]),
)
def test_rounded_prices_are_valid_and_close(price: float, sz: int, mode: RoundMode) -> None:
    got = round_price(price, sz, mode)
    assert is_valid_price(got, sz)
    tick = tick_size(price, sz)
    assert abs(got - price) <= tick * (1 + 1e-9) or got == tick  # tiny prices floor at one tick
    if mode is RoundMode.UP:
        assert got >= price
    if mode is RoundMode.DOWN and got != tick:
        assert got <= price
    # Independent check of the rule: at most 5 significant figures unless an integer.
    d = Decimal(repr(got))
    if d != d.to_integral_value():
        digits = d.normalize().as_tuple().digits
        assert len(digits) <= 5
        assert -d.normalize().as_tuple().exponent <= 6 - sz  # type: ignore[operator]


def test_values_beyond_exact_rounding_are_our_error_not_a_decimal_crash() -> None:
    with pytest.raises(InstrumentError, match="too large"):
        round_size(1e30, 4)
    with pytest.raises(InstrumentError, match="too large"):
        round_price(1e30, 4, RoundMode.DOWN)
    assert not is_valid_size(1e30, 4)
