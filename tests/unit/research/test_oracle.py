"""The clairvoyant bound on hand-built markets: every figure computed by hand."""

from __future__ import annotations

import numpy as np
import pytest

from hyperliquid_ofi_trader.research.oracle import (
    OracleSettings,
    Touches,
    _best_schedule,
    _Trip,
    clairvoyant_bound,
    lead_decisions,
)
from hyperliquid_ofi_trader.research.series import ResearchError
from hyperliquid_ofi_trader.sim.latency import Constant

_MS = 1_000_000
_S = 1_000_000_000


def _touches(rows: list[tuple[float, float, float]],
             prints: list[tuple[float, float]] = ()) -> Touches:  # type: ignore[assignment]
    """rows: (time s, bid, ask) with receive time = exchange time."""
    ns = np.asarray([round(t * _S) for t, _, _ in rows], dtype=np.int64)
    return Touches(ns, ns.copy(), np.asarray([b for _, b, _ in rows], dtype=np.float64),
                   np.asarray([a for _, _, a in rows], dtype=np.float64),
                   np.asarray([round(t * _S) for t, _ in prints], dtype=np.int64),
                   np.asarray([p for _, p in prints], dtype=np.float64))


_LEAD_UP = _touches([(0.0, 100.0, 101.0), (1.0, 101.0, 102.0)])  # one up move at 1 s
_SETTINGS = OracleSettings(entry=Constant(100.0), horizon_ms=5_000.0)


def test_taker_round_trip_hand_computed() -> None:
    lag = _touches([(0.0, 100.0, 100.1), (1.5, 101.0, 101.1), (3.0, 100.5, 100.6)])
    out = clairvoyant_bound({"BTC": _LEAD_UP, "ETH": lag}, _SETTINGS)
    # Decides at 1.0 s, lands at 1.1 s: buys the ask 100.1, sells the best bid 101.0.
    gross = 200.0 * (101.0 - 100.1) / 100.1
    fees = 200.0 * 0.00045 * (1.0 + 101.0 / 100.1)
    t = out["taker"]
    assert t["trades"] == 1
    assert t["gross_usd"] == pytest.approx(gross, abs=1e-6)
    assert t["fees_usd"] == pytest.approx(fees, abs=1e-6)
    assert t["net_usd"] == pytest.approx(gross - fees, abs=1e-6)
    assert t["net_bps"] == pytest.approx((gross - fees) / 200.0 * 1e4, abs=1e-3)
    assert out["maker"]["trades"] == 0  # nobody traded through its bid of 100.0


def test_a_sell_signal_sells_and_a_move_below_cost_is_not_taken() -> None:
    lead_down = _touches([(0.0, 100.0, 101.0), (1.0, 99.0, 100.0)])
    lag = _touches([(0.0, 100.0, 100.1), (1.5, 99.0, 99.1)])
    t = clairvoyant_bound({"BTC": lead_down, "ETH": lag}, _SETTINGS)["taker"]
    assert t["trades"] == 1  # sells the bid 100.0, buys back the ask 99.1
    assert t["gross_usd"] == pytest.approx(200.0 * (100.0 - 99.1) / 100.0, abs=1e-6)
    small = _touches([(0.0, 100.0, 100.1), (1.5, 99.99, 100.0)])
    assert clairvoyant_bound({"BTC": lead_down, "ETH": small}, _SETTINGS)["taker"][
        "trades"] == 0


def test_latency_past_the_move_leaves_nothing() -> None:
    lag = _touches([(0.0, 100.0, 100.1), (1.05, 101.0, 101.1), (3.0, 101.0, 101.1)])
    fast = clairvoyant_bound({"BTC": _LEAD_UP, "ETH": lag},
                             OracleSettings(entry=Constant(10.0)))["taker"]
    slow = clairvoyant_bound({"BTC": _LEAD_UP, "ETH": lag},
                             OracleSettings(entry=Constant(100.0)))["taker"]
    assert fast["trades"] == 1
    assert slow["trades"] == 0


def test_the_exit_lies_within_the_horizon() -> None:
    lag = _touches([(0.0, 100.0, 100.1), (7.0, 101.0, 101.1)])
    out = clairvoyant_bound({"BTC": _LEAD_UP, "ETH": lag}, _SETTINGS)
    assert out["taker"]["trades"] == 0


def test_maker_fills_only_when_traded_through() -> None:
    # Lands at 1.1 s, posts a bid at 100.0; a print at 99.9 (1.2 s) trades through it.
    # Then it posts at the ask 101.1 (1.5 s) and a print at 101.2 (2.0 s) fills that.
    lag = _touches([(0.0, 100.0, 100.1), (1.2, 99.9, 100.0), (1.5, 101.0, 101.1),
                    (2.0, 101.1, 101.2)], prints=[(1.2, 99.9), (2.0, 101.2)])
    m = clairvoyant_bound({"BTC": _LEAD_UP, "ETH": lag}, _SETTINGS)["maker"]
    assert m["trades"] == 1
    assert m["gross_usd"] == pytest.approx(200.0 * (101.1 - 100.0) / 100.0, abs=1e-6)
    assert m["fees_usd"] == pytest.approx(200.0 * 0.00015 * (1.0 + 101.1 / 100.0), abs=1e-6)


def test_schedule_holds_one_position_and_maximises_the_sum() -> None:
    def trip(a: int, b: int) -> _Trip:
        return _Trip(a, b, 1.0, 1.0, False)

    chosen = _best_schedule([(trip(0, 10), 0, 0, 5.0), (trip(5, 15), 0, 0, 4.0),
                             (trip(11, 20), 0, 0, 4.0), (trip(0, 30), 0, 0, 8.5)])
    assert [c[3] for c in chosen] == [5.0, 4.0]


def test_decisions_follow_the_lead_move_over_the_window() -> None:
    # Up at 1.0 s; back at 1.1 s (flat over the 250 ms window: no decision); down at 1.5 s.
    lead = _touches([(0.0, 100.0, 101.0), (1.0, 101.0, 102.0), (1.1, 100.0, 101.0),
                     (1.5, 99.0, 100.0), (2.0, 99.0, 100.0)])
    d = lead_decisions(lead, 250.0)
    assert d.ns.tolist() == [1 * _S, round(1.5 * _S)]
    assert d.side.tolist() == [1, -1]


def test_settings_are_checked() -> None:
    with pytest.raises(ResearchError, match="differ"):
        OracleSettings(coin="BTC", lead="BTC")
    with pytest.raises(ResearchError, match="horizon_ms"):
        OracleSettings(horizon_ms=0.0)
