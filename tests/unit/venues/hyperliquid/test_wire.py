"""Wire formatting and action builders, checked against the official SDK's own builders."""

from __future__ import annotations

import math
from typing import Any

import pytest
from hyperliquid.utils import signing as sdk
from hyperliquid.utils.types import Cloid
from hypothesis import given, settings
from hypothesis import strategies as st

from hyperliquid_ofi_trader.core.stages import Tif
from hyperliquid_ofi_trader.venues.hyperliquid.execution import action_wire as wire
from hyperliquid_ofi_trader.venues.hyperliquid.execution.action_wire import WireError, float_to_wire


def _sdk_or_error(x: float) -> str | None:
    try:
        out: str = sdk.float_to_wire(x)
    except ValueError:
        return None
    return out


@pytest.mark.parametrize(("x", "text"), [
    (100.0, "100"), (0.1, "0.1"), (1670.1, "1670.1"), (0.0147, "0.0147"), (1e-8, "0.00000001"),
    (0.0, "0"), (-0.0, "0"), (12345678.12345678, "12345678.12345678"),
    (1e19, "10000000000000000000"),
    (0.1 + 0.2, "0.3"), (-2.5, "-2.5"), (105055.0, "105055"),
])
def test_known_values(x: float, text: str) -> None:
    assert float_to_wire(x) == text


@pytest.mark.parametrize("x", [1e-9, 0.123456789, 1.000000001, math.nan, math.inf, -math.inf,
                               1e20, -1e21, 1e300])
def test_refuses_values_it_would_round_or_cannot_write(x: float) -> None:
    with pytest.raises(WireError):
        float_to_wire(x)


def test_sdk_writes_negative_zero_and_we_do_not() -> None:
    # The reason this module does not call the SDK: its output for -0.0 is "-0".
    assert sdk.float_to_wire(-0.0) == "-0"
    assert float_to_wire(-0.0) == "0"
    assert float_to_wire(-1e-13) == "0"


def st_places(i: int) -> int:
    return abs(i) % 9  # 0..8 decimals, derived from the number so shrinking stays simple


_WIRE_FLOATS = st.one_of(
    st.floats(min_value=-1e19, max_value=1e19, allow_nan=False),
    st.decimals(min_value=-10**11, max_value=10**11, places=8, allow_nan=False,
                allow_infinity=False).map(float),
    st.integers(min_value=-10**15, max_value=10**15).map(lambda i: i / 10**st_places(i)),
)


@settings(max_examples=600, deadline=None)
@given(_WIRE_FLOATS)
def test_matches_sdk_on_everything_it_accepts(x: float) -> None:
    expected = _sdk_or_error(x)
    if expected is None:
        with pytest.raises(WireError):
            float_to_wire(x)
        return
    got = float_to_wire(x)
    assert got == ("0" if expected == "-0" else expected)
    assert "e" not in got
    assert "E" not in got
    assert got != "-0"
    assert not (("." in got) and got.endswith("0"))
    assert abs(float(got) - x) < 1e-12


def test_make_cloid() -> None:
    assert wire.make_cloid(1) == "0x00000000000000000000000000000001"
    assert wire.make_cloid(2**128 - 1) == "0x" + "f" * 32
    assert wire.is_cloid(wire.make_cloid(12345))
    assert Cloid.from_int(77).to_raw() == wire.make_cloid(77)
    for bad in (-1, 2**128, True, 1.0):
        with pytest.raises(WireError):
            wire.make_cloid(bad)  # type: ignore[arg-type]


def _sdk_order(asset: int, is_buy: bool, px: float, sz: float, ro: bool, tif: str,
               cloid: str | None) -> Any:
    req: Any = {"coin": "X", "is_buy": is_buy, "sz": sz, "limit_px": px, "reduce_only": ro,
                "order_type": {"limit": {"tif": tif}},
                "cloid": None if cloid is None else Cloid.from_str(cloid)}
    return sdk.order_request_to_order_wire(req, asset)


@pytest.mark.parametrize("cloid", [None, "0x0000000000000000000000000000abcd"])
@pytest.mark.parametrize("tif", [Tif.ALO, Tif.IOC, "Gtc"])
def test_order_wire_equals_sdk_including_key_order(cloid: str | None, tif: Tif | str) -> None:
    ours = wire.order_wire(3, True, 2501.5, 0.0147, False, tif, cloid)
    theirs = _sdk_order(3, True, 2501.5, 0.0147, False, str(tif), cloid)
    assert ours == theirs
    assert list(ours) == list(theirs)
    assert type(ours["t"]["limit"]["tif"]) is str  # not the enum: msgpack must see plain str
    assert ("c" in ours) is (cloid is not None)


def test_order_action_equals_sdk() -> None:
    orders = [wire.order_wire(0, False, 100000.0, 0.001, True, Tif.IOC, wire.make_cloid(9))]
    ours = wire.order_action(orders)
    theirs = sdk.order_wires_to_order_action(orders)
    assert ours == theirs
    assert list(ours) == list(theirs) == ["type", "orders", "grouping"]


@pytest.mark.parametrize(("px", "sz"), [(100.0, 0.0), (100.0, -1.0), (0.0, 1.0), (-5.0, 1.0),
                                        (math.nan, 1.0), (100.0, math.nan), (100.0, 1e-9)])
def test_order_wire_refuses_zero_negative_or_unwritable(px: float, sz: float) -> None:
    with pytest.raises(WireError):
        wire.order_wire(0, True, px, sz, True, Tif.GTC, None)


@pytest.mark.parametrize("kwargs", [
    {"asset": -1}, {"asset": True}, {"tif": "FOK"}, {"cloid": "0x123"},
    {"cloid": "0x" + "A" * 32}, {"cloid": "1x" + "a" * 32},
])
def test_order_wire_refuses_malformed_fields(kwargs: dict[str, Any]) -> None:
    args: dict[str, Any] = {"asset": 0, "is_buy": True, "px": 1.0, "sz": 1.0,
                            "reduce_only": False, "tif": Tif.ALO, "cloid": None}
    args.update(kwargs)
    with pytest.raises(WireError):
        wire.order_wire(**args)


def test_cancel_actions_have_the_venue_keys() -> None:
    assert wire.cancel_action([(1, 42)]) == {"type": "cancel", "cancels": [{"a": 1, "o": 42}]}
    c = wire.make_cloid(5)
    action = wire.cancel_by_cloid_action([(2, c)])
    assert action == {"type": "cancelByCloid", "cancels": [{"asset": 2, "cloid": c}]}
    assert list(action["cancels"][0]) == ["asset", "cloid"]
    with pytest.raises(WireError):
        wire.cancel_action([])
    with pytest.raises(WireError):
        wire.cancel_action([(1, -3)])


def test_batch_modify_by_oid_and_by_cloid() -> None:
    w = wire.order_wire(1, True, 10.5, 2.0, False, Tif.ALO, wire.make_cloid(2))
    c = wire.make_cloid(1)
    action = wire.batch_modify_action([(77, w), (c, w)])
    assert action == {"type": "batchModify",
                      "modifies": [{"oid": 77, "order": w}, {"oid": c, "order": w}]}
    assert list(action["modifies"][0]) == ["oid", "order"]
    with pytest.raises(WireError):
        wire.batch_modify_action([("0xnotacloid", w)])


def test_schedule_cancel_leverage_noop() -> None:
    assert wire.schedule_cancel_action(None) == {"type": "scheduleCancel"}
    assert wire.schedule_cancel_action(123456789) == {"type": "scheduleCancel",
                                                      "time": 123456789}
    lev = wire.update_leverage_action(4, True, 10)
    assert lev == {"type": "updateLeverage", "asset": 4, "isCross": True, "leverage": 10}
    assert list(lev) == ["type", "asset", "isCross", "leverage"]
    assert wire.noop_action() == {"type": "noop"}
    with pytest.raises(WireError):
        wire.update_leverage_action(4, True, 0)
    with pytest.raises(WireError):
        wire.schedule_cancel_action(-5)
