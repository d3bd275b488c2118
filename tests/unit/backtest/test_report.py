"""Report metrics on a hand-built journal, against figures computed by hand.

Scenario (tests/unit/report_support.py): ETH mids 100, 101, 102, 100, 99, 101, 100 at
t = 0, 1, 2, 3, 4, 6, 10 s; fills f1 buy 2 @ 100.5 (t 0.5, fee .10), f2 sell 1 @ 102
(t 2.5, fee -.02), f3 sell 2 @ 99.9 (t 3.5, fee .09).

Average cost: f1 opens +2 @ 100.5; f2 closes 1: realised 1 * (102 - 100.5) = 1.5;
f3 closes 1: realised += 1 * (99.9 - 100.5) = -0.6 -> 0.9, then opens -1 @ 99.9.
Final mark 100: unrealised -1 * (100 - 99.9) = -0.1; gross 0.8
(cash -201 + 102 + 199.8 = 100.8, minus 1 * 100). Fees .17 -> net .63.
Net path: 0, -1.1, .9, 2.9, 2.92, .92, .63, 1.63, -.37, .63 -> max drawdown 2.92 - (-.37).
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hyperliquid_ofi_trader.backtest.report import (
    ReportParams,
    ReportSummary,
    build_report,
    summarize,
)
from hyperliquid_ofi_trader.backtest.report_data import load_frames
from hyperliquid_ofi_trader.backtest.report_pnl import realised_path
from hyperliquid_ofi_trader.core.journal import Journal
from tests.unit import report_support as rs

PARAMS = ReportParams(interval_s=2.0, markout_horizons_s=(1.0, 5.0, 30.0), hit_horizon_s=5.0)


@pytest.fixture
def summary(tmp_path: Path) -> ReportSummary:
    return summarize(rs.write_scenario(tmp_path / "journal.sqlite"), PARAMS)


def test_pnl_and_fees_match_hand_computation(summary: ReportSummary) -> None:
    assert summary.realised_pnl_usd == pytest.approx(0.9)
    assert summary.unrealised_pnl_usd == pytest.approx(-0.1)
    assert summary.gross_pnl_usd == pytest.approx(0.8)
    assert summary.fees_paid_usd == pytest.approx(0.19)
    assert summary.rebates_usd == pytest.approx(0.02)
    assert summary.fees_net_usd == pytest.approx(0.17)
    assert summary.net_pnl_usd == pytest.approx(0.63)
    assert summary.turnover_usd == pytest.approx(201.0 + 102.0 + 199.8)
    (eth,) = summary.per_coin
    assert eth.final_position == pytest.approx(-1.0)
    assert eth.volume == pytest.approx(5.0)
    assert (summary.maker_fills, summary.taker_fills) == (1, 2)


def test_drawdown_and_sharpe(summary: ReportSummary) -> None:
    assert summary.max_drawdown_usd == pytest.approx(2.92 + 0.37)
    # Net PnL at t = 0, 2, 4, 6, 8, 10 s: 0, 2.9, 1.63, -.37, -.37, .63.
    changes = np.diff([0.0, 2.9, 1.63, -0.37, -0.37, 0.63])
    assert summary.sharpe_intervals == 5
    assert summary.sharpe_interval_s == 2.0
    assert summary.sharpe == pytest.approx(changes.mean() / changes.std(ddof=1))


def test_hit_rate_and_markouts(summary: ReportSummary) -> None:
    # 5 s: f1 buy 100.5 vs mid 99 (loss), f2 sell 102 vs 101 (gain), f3 sell 99.9 vs 101.
    assert summary.hit_rate == pytest.approx(1 / 3)
    assert summary.hit_rate_n == 3
    one_s, five_s, thirty_s = summary.markouts
    expected_1s = [(101 - 100.5) / 100.5, (102 - 100) / 102, (99.9 - 99) / 99.9]
    assert one_s.mean_bps == pytest.approx(np.mean(expected_1s) * 1e4)
    assert one_s.positive_fraction == 1.0
    expected_5s = [(99 - 100.5) / 100.5, (102 - 101) / 102, (99.9 - 101) / 99.9]
    assert five_s.p50_bps == pytest.approx(np.median(expected_5s) * 1e4)
    # 30 s after every fill is past the last mid (t = 10 s): no markout, not a zero.
    assert (thirty_s.n, thirty_s.mean_bps) == (0, None)


def test_slippage_against_deciding_mid(summary: ReportSummary) -> None:
    # f1 bought 100.5 vs mid 100: +50 bps cost; f2 (decision via its order) sold at the
    # mid: 0; f3 sold 99.9 vs mid 100: +10 bps cost.
    s = summary.slippage_bps
    assert s.n == 3
    assert s.mean == pytest.approx(20.0)
    assert [s.min, s.p50, s.max] == pytest.approx([0.0, 10.0, 50.0])


def test_fill_rates_outcomes_and_timeline(summary: ReportSummary) -> None:
    rates = {(r.by, r.key): (r.placed, r.filled, r.rate) for r in summary.fill_rates}
    assert rates[("tif", "Alo")] == (2, 1, 0.5)
    assert rates[("tif", "Ioc")] == pytest.approx((3, 2, 2 / 3))
    assert summary.orders_by_state == {"cancelled": 1, "expired": 1, "filled": 3}
    assert summary.decisions_by_outcome == {"skip": 3, "submit": 4}
    assert [(c.from_state, c.to_state, c.trigger) for c in summary.state_changes] == [
        ("ACTIVE", "REDUCING", "feed_lost"), ("REDUCING", "HALTED", "kill_switch")]
    assert summary.halts == 1
    assert summary.duration_s == pytest.approx(10.0)


def test_position_series_follows_fills(tmp_path: Path) -> None:
    report = build_report(load_frames(rs.write_scenario(tmp_path / "j.sqlite")), PARAMS)
    after_fills = report.positions.filter(report.positions["local_ns"].is_in(
        [rs.ts(0.5), rs.ts(2.5), rs.ts(3.5)]))["position"].to_list()
    assert after_fills == pytest.approx([2.0, 1.0, -1.0])
    assert report.pnl["net"][-1] == pytest.approx(0.63)


def test_realised_average_cost_with_flip_and_round_trip() -> None:
    # Short 3 @ 10, buy 1 @ 8 (+2), buy 4 @ 9 (closes 2 at +1 each, opens +2 @ 9),
    # sell 2 @ 12 (+6).
    assert realised_path([-3, 1, 4, -2], [10, 8, 9, 12]) == pytest.approx([0, 2, 4, 10])


def test_hash_is_content_not_bytes(tmp_path: Path) -> None:
    a = summarize(rs.write_scenario(tmp_path / "a.sqlite"), PARAMS)
    b_path = rs.write_scenario(tmp_path / "b.sqlite")
    # Different page layout, same content: VACUUM rewrites the file.
    conn = sqlite3.connect(b_path)
    conn.execute("VACUUM")
    conn.close()
    assert summarize(b_path, PARAMS).journal_sha256 == a.journal_sha256
    conn = sqlite3.connect(b_path)
    with conn:
        conn.execute("UPDATE fills SET px = 99.91 WHERE tid = 13")
    conn.close()
    changed = summarize(b_path, PARAMS)
    assert changed.journal_sha256 != a.journal_sha256
    assert changed.net_pnl_usd != pytest.approx(a.net_pnl_usd)


def test_empty_journal_gives_a_summary(tmp_path: Path) -> None:
    s = summarize(rs.write_empty(tmp_path / "journal.sqlite"))
    assert (s.fills, s.orders, s.decisions) == (0, 0, 0)
    assert (s.net_pnl_usd, s.max_drawdown_usd) == (0.0, 0.0)
    assert s.sharpe is None
    assert s.hit_rate is None
    assert s.slippage_bps.n == 0
    assert s.start_ns is None


def test_decisions_only_journal(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite"
    rs.write_decisions(path)
    s = summarize(path, PARAMS)
    assert s.decisions == 7
    assert s.fills == 0
    assert s.net_pnl_usd == 0.0
    assert s.sharpe is None  # flat PnL: no variation, no ratio
    assert s.sharpe_intervals == 5


def test_params_reject_non_positive_horizons() -> None:
    with pytest.raises(ValueError, match="positive"):
        ReportParams(interval_s=0.0)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(-50, 50).filter(bool), st.integers(900, 1100)),
                min_size=1, max_size=30), st.integers(900, 1100))
def test_round_trip_realises_all_cash(fills: list[tuple[int, int]], close_px: int) -> None:
    """Whatever the path, once flat again every dollar of cash is realised PnL."""
    sizes = [q / 10 for q, _ in fills]
    prices = [float(px) for _, px in fills]
    position = sum(q for q, _ in fills) / 10
    if position:
        sizes.append(-position)
        prices.append(float(close_px))
    cash = -sum(q * px for q, px in zip(sizes, prices, strict=True))
    assert realised_path(sizes, prices)[-1] == pytest.approx(cash, abs=1e-6)


def test_two_coins_sum_on_the_union_of_instants(tmp_path: Path) -> None:
    """BTC bought 1 @ 50 at t=1, marked 55 from t=2: +5 on top of ETH's path, and ETH's
    last value is carried between BTC's instants (not dropped or double counted)."""
    path = rs.write_scenario(tmp_path / "journal.sqlite")
    with Journal(path) as j:
        for t, mid in ((0.7, 50.0), (2.0, 55.0)):
            j.record_decision(exchange_ns=rs.ts(t), local_ns=rs.ts(t), coin="BTC",
                              trigger="Bbo", outcome="skip", reason="test",
                              trading_state="ACTIVE", inputs=rs.decision_inputs(mid))
    btc = ("BTC", 21, None, 99, 50.0, 1.0, 1, 0.0, 1, rs.ts(1.0), rs.ts(1.0), None)
    rs.insert_rows(path, orders=(), fills=(btc,))
    report = build_report(load_frames(path), PARAMS)
    assert report.summary.coins == ("BTC", "ETH")
    assert report.summary.gross_pnl_usd == pytest.approx(0.8 + 5.0)
    net = dict(zip(report.pnl["local_ns"].to_list(), report.pnl["net"].to_list(), strict=True))
    assert net[rs.ts(1.0)] == pytest.approx(0.9)  # ETH 0.9, BTC bought at its mark
    assert net[rs.ts(2.0)] == pytest.approx(2.9 + 5.0)
    assert net[rs.ts(2.5)] == pytest.approx(2.92 + 5.0)
