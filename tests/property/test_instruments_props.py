"""The float fast paths of `instruments` and `float_to_wire` equal their exact references.

The references are the Decimal computations the rules are defined by (`*_decimal`, the
general `float_to_wire` path and the official SDK). The inputs concentrate where float
arithmetic is most likely to go wrong: values exactly on a decimal grid, one to three ulps
off it, .5 ties, powers of ten and their neighbours (where the allowed decimals change),
and order values a hair either side of $10.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from decimal import Decimal, InvalidOperation

import pytest
from hyperliquid.utils import signing as sdk
from hypothesis import example, given, settings
from hypothesis import strategies as st

from hyperliquid_ofi_trader.core.events import Side
from hyperliquid_ofi_trader.venues.hyperliquid.common import instruments as ins
from hyperliquid_ofi_trader.venues.hyperliquid.common.instruments import InstrumentError, RoundMode
from hyperliquid_ofi_trader.venues.hyperliquid.execution import action_wire as wire
from hyperliquid_ofi_trader.venues.hyperliquid.execution import gateway_actions

Outcome = tuple[str, object]
MODES: list[Side | RoundMode] = [RoundMode.NEAREST, RoundMode.UP, RoundMode.DOWN,
                                 Side.BID, Side.ASK]
ROUND_MODES = [RoundMode.NEAREST, RoundMode.UP, RoundMode.DOWN]
EXAMPLES = settings(max_examples=400, deadline=None)


def outcome(fn: Callable[[], object]) -> Outcome:
    """A result comparable across paths: the value (a float with its zero's sign) or the
    exception type."""
    try:
        value = fn()
    except (InstrumentError, InvalidOperation) as exc:
        return ("raises", type(exc))
    if isinstance(value, float) and value == 0.0:
        return ("zero", math.copysign(1.0, value))
    return ("value", value)


def ulps(x: float, n: int) -> float:
    for _ in range(abs(n)):
        x = math.nextafter(x, math.inf if n > 0 else -math.inf)
    return x


# ------------------------------------------------------------------ strategies


@st.composite
def on_grid(draw: st.DrawFn, max_int: int = 10**12) -> float:
    """n / 10**k: a float whose repr has at most k decimals."""
    k = draw(st.integers(0, 9))
    return float(draw(st.integers(0, max_int)) / 10**k)


@st.composite
def near_grid(draw: st.DrawFn) -> float:
    """On a grid, one to three ulps off it, or on a .5 tie of it."""
    k = draw(st.integers(0, 9))
    n = draw(st.integers(0, 10**11))
    kind = draw(st.sampled_from(["on", "off", "tie"]))
    if kind == "tie":
        return float((2 * n + 1) / (2 * 10**k))
    x = n / 10**k
    return ulps(x, draw(st.integers(-3, 3))) if kind == "off" else x


@st.composite
def power_of_ten_neighbour(draw: st.DrawFn) -> float:
    return ulps(float(f"1e{draw(st.integers(-9, 10))}"), draw(st.integers(-3, 3)))


def positive(values: st.SearchStrategy[float]) -> st.SearchStrategy[float]:
    return values.filter(lambda x: x > 0)


RANDOM = st.floats(min_value=1e-6, max_value=1e9, allow_nan=False)
VALUES = st.one_of(RANDOM, on_grid(), near_grid(), power_of_ten_neighbour())
PRICES = positive(VALUES)
SIZES = st.one_of(VALUES, st.sampled_from([0.0, -0.0, 1e-300, 5e-324]))
ODD = st.sampled_from([math.nan, math.inf, -math.inf, -1.0, -0.0, 0.0, 1e300, 2.0**53 + 2,
                       4503599627370497.0])


# ------------------------------------------------------------------ prices


def reference_decimals(price: float, sz: int, max_decimals: int) -> Outcome:
    def ref() -> int:
        ins._check_sz_decimals(sz, max_decimals)
        return ins._decimals_at(ins._price_dec(price), sz, max_decimals)
    return outcome(ref)


@EXAMPLES
@given(st.one_of(PRICES, ODD), st.integers(0, 8), st.sampled_from([6, 8]))
def test_price_decimals_and_tick(price: float, sz: int, max_decimals: int) -> None:
    got = outcome(lambda: ins.price_decimals(price, sz, max_decimals))
    assert got == reference_decimals(price, sz, max_decimals)
    assert outcome(lambda: ins.tick_size(price, sz, max_decimals)) == outcome(
        lambda: float(ins.tick_size_decimal(price, sz, max_decimals)))


@EXAMPLES
@given(st.one_of(PRICES, ODD), st.integers(0, 8), st.sampled_from(MODES),
       st.sampled_from([6, 8]))
def test_round_price_equals_decimal(price: float, sz: int, mode: Side | RoundMode,
                                    max_decimals: int) -> None:
    assert outcome(lambda: ins.round_price(price, sz, mode, max_decimals)) == outcome(
        lambda: float(ins.round_price_decimal(price, sz, mode, max_decimals)))


@EXAMPLES
@given(st.one_of(PRICES, ODD), st.integers(0, 8), st.sampled_from([6, 8]))
def test_is_valid_price_equals_decimal(price: float, sz: int, max_decimals: int) -> None:
    assert outcome(lambda: ins.is_valid_price(price, sz, max_decimals)) == outcome(
        lambda: ins.is_valid_price_decimal(price, sz, max_decimals))


# ------------------------------------------------------------------ sizes


@EXAMPLES
@given(st.one_of(SIZES, ODD), st.integers(0, 8), st.sampled_from(ROUND_MODES))
def test_round_size_equals_decimal(size: float, sz: int, mode: RoundMode) -> None:
    assert outcome(lambda: ins.round_size(size, sz, mode)) == outcome(
        lambda: float(ins.round_size_decimal(size, sz, mode)))


def old_on_lot(size: float, sz: int) -> bool:
    """The gateway's lot check as it was before the fast path."""
    try:
        return ins.round_size_decimal(size, sz, RoundMode.NEAREST) == Decimal(repr(size))
    except InstrumentError:
        return False


@EXAMPLES
@given(st.one_of(SIZES, ODD), st.integers(-1, 9))
@example(33554432.18011697, 8)  # on the lot, yet scales to ...696.5 (a round-half-even trap)
def test_is_valid_size_and_gateway_lot_check(size: float, sz: int) -> None:
    assert outcome(lambda: ins.is_valid_size(size, sz)) == outcome(
        lambda: ins.is_valid_size_decimal(size, sz))
    assert outcome(lambda: gateway_actions._on_lot(size, sz)) == outcome(
        lambda: old_on_lot(size, sz))


@st.composite
def near_ten_dollars(draw: st.DrawFn) -> tuple[float, float, int]:
    """A price and a size whose rounded product is $10 give or take a few ulps."""
    sz = draw(st.integers(0, 8))
    price = draw(st.one_of(PRICES, positive(on_grid(10**7))).filter(lambda p: 1e-3 < p < 1e7))
    lots = max(1, round(10.0 / price * 10**sz) + draw(st.integers(-1, 1)))
    size = ulps(lots / 10**sz, draw(st.integers(-2, 2)))
    price = ulps(10.0 / (lots / 10**sz), draw(st.integers(-2, 2)))
    return price, max(size, 0.0), sz


@EXAMPLES
@given(st.one_of(near_ten_dollars(),
                 st.tuples(st.one_of(PRICES, ODD), st.one_of(SIZES, ODD), st.integers(0, 8))))
def test_meets_min_value_equals_decimal(case: tuple[float, float, int]) -> None:
    price, size, sz = case
    assert outcome(lambda: ins.meets_min_value(price, size, sz)) == outcome(
        lambda: ins.meets_min_value_decimal(price, size, sz))


# ------------------------------------------------------------------ sweeps


def check_round_price(x: float, sz: int, mode: Side | RoundMode, max_decimals: int) -> None:
    assert outcome(lambda: ins.round_price(x, sz, mode, max_decimals)) == outcome(
        lambda: float(ins.round_price_decimal(x, sz, mode, max_decimals))), (x, sz, mode)


def test_powers_of_ten_and_neighbours_every_rule() -> None:
    """Deterministic sweep where the allowed decimals change: every szDecimals and mode."""
    for e in range(-9, 11):
        for step in range(-3, 4):
            x = ulps(float(f"1e{e}"), step)
            for sz in range(9):
                for mode in MODES:
                    check_round_price(x, sz, mode, 8)
                    if sz <= 6:
                        check_round_price(x, sz, mode, 6)
                assert ins.is_valid_price(x, sz, 8) == ins.is_valid_price_decimal(x, sz, 8)
                assert ins.is_valid_size(x, sz) == ins.is_valid_size_decimal(x, sz)
                for rmode in ROUND_MODES:
                    assert ins.round_size(x, sz, rmode) == float(
                        ins.round_size_decimal(x, sz, rmode)), (x, sz, rmode)


def test_ties_round_half_even_like_decimal() -> None:
    # 0.125 and 2.5 are exact binary ties; 2.675 is just below its decimal tie in binary
    # but its repr is the tie, and the rule follows the repr.
    for value, sz in [(2.5, 0), (3.5, 0), (0.125, 2), (0.375, 2), (2.675, 2), (1.005, 2)]:
        assert ins.round_size(value, sz, RoundMode.NEAREST) == float(
            ins.round_size_decimal(value, sz, RoundMode.NEAREST))
    assert ins.round_size(2.675, 2, RoundMode.NEAREST) == 2.68
    assert ins.round_price(42_727.5, 5, RoundMode.NEAREST) == 42_728.0
    assert ins.round_price(42_728.5, 5, RoundMode.NEAREST) == 42_728.0


def test_ordinary_values_never_consult_decimal(monkeypatch: pytest.MonkeyPatch) -> None:
    """The speed-up stays: typical prices and sizes are decided without the reference."""
    def refuse(*_: object) -> None:
        raise AssertionError("the Decimal reference was consulted")
    for name in ("round_price_decimal", "round_size_decimal", "is_valid_price_decimal",
                 "is_valid_size_decimal", "meets_min_value_decimal"):
        monkeypatch.setattr(ins, name, refuse)
    btc = ins.Instrument("BTC", 0, 5, 50)
    assert btc.round_price(97_123.4, Side.BID) == 97_123.0
    assert btc.round_price(9_712.34, Side.ASK) == 9_712.4
    assert btc.round_size(0.0123456) == 0.01234
    assert btc.meets_min_value(97_123.0, 0.00011)
    assert not btc.meets_min_value(97_123.0, 0.0001)
    assert ins.is_valid_price(2_512.3, 4)
    assert not ins.is_valid_price(2_512.35, 4)
    assert ins.is_valid_size(0.0123, 4)
    assert not ins.is_valid_size(0.01234, 3)


# ------------------------------------------------------------------ float_to_wire


def general_or_error(x: float) -> str | None:
    try:
        return wire._float_to_wire_checked(x)
    except wire.WireError:
        return None


def fast_or_error(x: float) -> str | None:
    try:
        return wire.float_to_wire(x)
    except wire.WireError:
        return None


def sdk_or_error(x: float) -> str | None:
    try:
        text: str = sdk.float_to_wire(x)
    except ValueError:
        return None
    return "0" if text == "-0" else text  # ours never sends "-0"


WIRE_VALUES = st.one_of(
    VALUES, VALUES.map(lambda x: -x), ODD,
    st.integers(-(2**24), 2**24).map(lambda n: n / 10**8),
    st.integers(0, 2**30).map(lambda n: ulps(float(2**23), n % 7 - 3) + n / 2**7),
    st.floats(allow_nan=True, allow_infinity=True),
)


@settings(max_examples=800, deadline=None)
@given(WIRE_VALUES)
def test_float_to_wire_fast_path_equals_general_path_and_sdk(x: float) -> None:
    got = fast_or_error(x)
    assert got == general_or_error(x)
    if abs(x) < 1e19:  # the SDK's Decimal rounds past 28 digits; ours refuses 1e20 and up
        assert got == sdk_or_error(x)
    if got is not None:
        assert "e" not in got
        assert got != "-0"
        assert not ("." in got and got.endswith("0"))


def test_float_to_wire_boundaries() -> None:
    for x in (2.0**23, math.nextafter(2.0**23, 0.0), 8388607.99999999, -8388607.5, 1e-4,
              math.nextafter(1e-4, 0.0), 0.00012345678, 0.000123456789, 0.0, -0.0):
        assert fast_or_error(x) == general_or_error(x), x


# ------------------------------------------------------------------ cloid and tif checks


def old_is_cloid(text: object) -> bool:
    """The per-character check the regex replaced."""
    return (isinstance(text, str) and len(text) == 34 and text.startswith("0x")
            and frozenset("0123456789abcdef").issuperset(text[2:]))


CLOID_LIKE = st.one_of(
    st.integers(0, 2**128 - 1).map(wire.make_cloid),
    st.text(alphabet="0123456789abcdefABCDEFxX\n g", min_size=30, max_size=36),
    st.integers(0, 2**128 - 1).map(wire.make_cloid).flatmap(
        lambda c: st.tuples(st.integers(0, 33), st.sampled_from("0aFG\n\u0660x-")).map(
            lambda edit: c[:edit[0]] + edit[1] + c[edit[0] + 1:])),
    st.integers(0, 2**128 - 1).map(wire.make_cloid).flatmap(  # one digit short or long
        lambda c: st.sampled_from([c[:-1], c + "0", c[1:], "0" + c])),
    st.sampled_from([None, 7, b"0x" + b"0" * 32, "0x" + "0" * 32 + "\n"]),
)


@settings(max_examples=300, deadline=None)
@given(CLOID_LIKE)
def test_is_cloid_equals_per_character_check(text: object) -> None:
    assert wire.is_cloid(text) == old_is_cloid(text)


def test_tif_text_is_plain_str_and_refuses_the_rest() -> None:
    from hyperliquid_ofi_trader.core.stages import Tif
    for tif in Tif:
        for given_tif in (tif, tif.value):
            text = wire._tif_text(given_tif)
            assert type(text) is str
            assert text == tif.value
    for bad in ("alo", "ALO", "", None, 1, "Gtc "):
        with pytest.raises(wire.WireError):
            wire._tif_text(bad)  # type: ignore[arg-type]
