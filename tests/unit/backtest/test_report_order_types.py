"""The report by order type on the hand-built journal of `report_support`, hand-computed,
and the router's edge/cost figures of the trades taken."""

from __future__ import annotations

from pathlib import Path

import pytest

from hyperliquid_ofi_trader.backtest.report import run_figures, summarize
from hyperliquid_ofi_trader.core.journal import Journal
from tests.unit.report_support import MIDS, decision_inputs, insert_rows, ts, write_states


def _write(path: Path, economics: bool) -> Path:
    with Journal(path) as j:
        for i, (t, mid) in enumerate(MIDS):
            inputs = decision_inputs(mid)
            if economics:
                inputs["router"] = {"router": "ioc", "economics": {
                    "expected_edge_bps": 10.0 + i, "expected_cost_bps": 6.0,
                    "margin_bps": 4.0 + i}}
            j.record_decision(exchange_ns=ts(t), local_ns=ts(t), coin="ETH", trigger="Bbo",
                              outcome="submit", reason="test", trading_state="ACTIVE",
                              inputs=inputs)
    write_states(path)
    insert_rows(path)
    return path


def test_gross_by_order_type_hand_computed(tmp_path: Path) -> None:
    s = summarize(_write(tmp_path / "j.sqlite", economics=False))
    by = {o.tif: o for o in s.by_order_type}
    # Last mark 100. Ioc: buy 2 @ 100.5 -> 2 x (100 - 100.5) = -1.0; sell 2 @ 99.9 ->
    # -2 x (100 - 99.9) = -0.2. Alo: sell 1 @ 102 -> -1 x (100 - 102) = +2.0.
    assert by["Ioc"].gross_pnl_usd == pytest.approx(-1.2)
    assert by["Alo"].gross_pnl_usd == pytest.approx(2.0)
    assert by["Ioc"].fees_usd == pytest.approx(0.19)
    assert by["Alo"].fees_usd == pytest.approx(-0.02)
    assert by["Ioc"].net_pnl_usd == pytest.approx(-1.39)
    assert by["Ioc"].fills == 2
    assert by["Ioc"].taker_fills == 2
    assert by["Alo"].maker_fills == 1
    assert by["Ioc"].turnover_usd == pytest.approx(201.0 + 199.8)
    assert sum(o.gross_pnl_usd for o in s.by_order_type) == pytest.approx(s.gross_pnl_usd)
    assert by["Ioc"].expected_edge_bps_mean is None
    assert by["Ioc"].decisions_with_economics == 0


def test_edge_and_cost_of_the_trades_taken(tmp_path: Path) -> None:
    figures = run_figures(_write(tmp_path / "j.sqlite", economics=True))
    ioc, alo = figures["by_order_type"]["Ioc"], figures["by_order_type"]["Alo"]
    # Ioc fills come from decisions 1 and 4 (edge 10 and 13); the Alo fill from decision 3.
    assert ioc["expected_edge_bps_mean"] == pytest.approx(11.5)
    assert ioc["expected_cost_bps_mean"] == pytest.approx(6.0)
    assert ioc["margin_bps_mean"] == pytest.approx(5.5)
    assert alo["expected_edge_bps_mean"] == pytest.approx(12.0)
    assert figures["fills"] == 3
    assert figures["gross_pnl_usd"] == pytest.approx(0.8)
    assert figures["fees_usd"] == pytest.approx(0.17)
    assert figures["net_pnl_usd"] == pytest.approx(0.63)
