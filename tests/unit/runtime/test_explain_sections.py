"""`hlofi explain` shows the alpha's breakdown and the router's economics as readable
tables, whole at 100 columns, and any other shape as before."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hyperliquid_ofi_trader.core.journal import Journal
from hyperliquid_ofi_trader.runtime.explanation import explain_text

NS = 1_737_918_843_000_000_000
FEATURES = [
    {"name": "lead_trend_1000ms_bps", "status": "used", "value": 0.1843577068250113,
     "coef_bps": 7.622551, "contribution_bps": 1.405281},
    {"name": "lag_trend_1000ms_bps", "status": "missing", "value": 0.0,
     "coef_bps": -0.181863, "contribution_bps": -0.0},
]
ECONOMICS = {"expected_edge_bps": 1.027383, "expected_cost_bps": 4.75,
             "margin_bps": -3.722617, "taker_cost_bps": 8.390993, "latency_ms": 222.28}


def _explained(tmp_path: Path, inputs: dict[str, Any]) -> str:
    path = tmp_path / "journal.sqlite"
    with Journal(path) as journal:
        did = journal.record_decision(exchange_ns=NS, local_ns=NS + 1, coin="ETH",
                                      trigger="Bbo", outcome="skip", reason="edge_below_cost",
                                      trading_state="ACTIVE", inputs=inputs)
    return explain_text(path, did, width=100)


def _line(text: str, first: str) -> list[str]:
    """The one line whose first words are `first`'s, split into words."""
    words = first.split()
    (line,) = [x.strip("│ ").split() for x in text.splitlines()
               if x.strip("│ ").split()[:len(words)] == words]
    return line


def test_forecast_features_and_economics_are_tables(tmp_path: Path) -> None:
    text = _explained(tmp_path, {
        "alpha": 0.305, "alpha_explain": {
            "signals": [], "raw": 0.315, "compressed": 0.305, "conditioned": 0.305,
            "reason": "ok", "regime_reasons": [],
            "forecast": {"coin": "ETH", "bps": 1.405281, "std_bps": 1.05},
            "features": FEATURES,
            "trust_changes": [{"coin": "ETH", "signal": "ofi", "from": 1.0, "to": 0.8,
                               "why": "forward_moves"}]},
        "router": {"router": "edge_below_cost: edge 1.03 bps", "economics": ECONOMICS}})
    assert _line(text, "lead_trend_1000ms_bps") == [
        "lead_trend_1000ms_bps", "used", "0.184358", "7.62255", "1.40528"]
    assert _line(text, "lag_trend_1000ms_bps")[:2] == ["lag_trend_1000ms_bps", "missing"]
    assert _line(text, "sum") == ["sum", "1.40528"]
    assert _line(text, "ETH ofi") == ["ETH", "ofi", "1", "0.8", "forward_moves"]
    assert _line(text, "taker_cost_bps") == ["taker_cost_bps", "8.39099"]
    assert _line(text, "latency_ms") == ["latency_ms", "222.28"]
    assert "weighted signals" not in text  # none in forecast mode
    assert "regime_reasons" not in text  # empty lists are left out
    assert "…" not in text  # nothing cut at 100 columns


def test_weighted_signals_are_a_table(tmp_path: Path) -> None:
    text = _explained(tmp_path, {"alpha": 0.4, "alpha_explain": {
        "signals": [{"name": "ofi", "status": "used", "value": 1.5, "config_weight": 0.5,
                     "trust": 0.9, "contribution": 0.675}],
        "raw": 0.675, "compressed": 0.588, "conditioned": 0.588, "reason": "ok",
        "regime_reasons": [], "forecast": None, "trust_changes": []}})
    assert "weighted signals" in text
    assert _line(text, "ofi ") == ["ofi", "used", "1.5", "0.5", "0.9", "0.675"]
    assert "forecast features" not in text


def test_other_shapes_are_listed_as_they_are(tmp_path: Path) -> None:
    text = _explained(tmp_path, {"alpha": 0.1,
                                 "alpha_explain": {"explain_error": "ValueError('x')"},
                                 "router": "a plain text router explanation"})
    assert "explain_error" in text
    assert "a plain text router explanation" in text
    odd = _explained(tmp_path / "b", {"alpha_explain": {"features": "not a list",
                                                        "raw": 0.1}})
    assert "not a list" in odd
