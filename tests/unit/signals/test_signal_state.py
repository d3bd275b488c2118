"""SignalState: freshness by exchange time, rejection of non-finite / unknown / late values."""

from __future__ import annotations

import math

import msgspec
import pytest

from hyperliquid_ofi_trader.config.models import SIGNAL_NAMES
from hyperliquid_ofi_trader.signals.signal_state import SignalReading, SignalState


def state() -> SignalState:
    return SignalState({"ofi": 1_000, "leadlag": 100})


def test_fresh_excludes_stale_and_unset() -> None:
    s = state()
    assert s.fresh(0) == {}
    assert s.set("ofi", 1.5, 10)
    assert s.set("leadlag", -1.0, 10)
    assert s.fresh(110) == {"ofi": 1.5, "leadlag": -1.0}   # age 100: at the limit, fresh
    assert s.fresh(111) == {"ofi": 1.5}
    assert s.fresh(1_011) == {}


def test_non_finite_is_rejected_and_invalidates() -> None:
    s = state()
    s.set("ofi", 2.0, 10)
    assert not s.set("ofi", math.nan, 20)
    assert not s.set("ofi", math.inf, 30)
    assert s.rejections == {"non_finite": 2}
    assert s.fresh(40) == {}
    snap = s.snapshot(40)
    assert snap["ofi"].value is None
    assert snap["ofi"].stale
    assert s.set("ofi", -0.5, 50)
    assert s.fresh(60) == {"ofi": -0.5}


def test_unknown_and_out_of_order_are_rejected() -> None:
    s = state()
    assert not s.set("nope", 1.0, 10)
    s.set("ofi", 1.0, 100)
    assert not s.set("ofi", 9.0, 50)
    assert s.set("ofi", 2.0, 100)  # same time: a newer computation at that time wins
    assert s.rejections == {"unknown_signal": 1, "out_of_order": 1}
    assert s.fresh(100) == {"ofi": 2.0}


def test_snapshot_for_the_journal() -> None:
    s = state()
    s.set("ofi", 1.0, 100)
    snap = s.snapshot(1_500)
    assert snap["ofi"] == SignalReading(1.0, 100, 1_400, True)
    assert snap["leadlag"] == SignalReading(None, -1, -1, True)
    encoded = msgspec.json.encode(snap)
    assert msgspec.json.decode(encoded)["ofi"] == {"value": 1.0, "exchange_ns": 100,
                                                   "age_ns": 1_400, "stale": True}


def test_invalidate_and_config_errors() -> None:
    s = state()
    s.set("ofi", 1.0, 0)
    s.invalidate("ofi")
    assert s.fresh(0) == {}
    with pytest.raises(ValueError, match="positive"):
        SignalState({"ofi": 0})
    assert set(SIGNAL_NAMES) == {"ofi", "leadlag", "aggressive_volume", "microprice"}
