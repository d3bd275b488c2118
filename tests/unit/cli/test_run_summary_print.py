"""The human summary of `hlofi run` renders every section of the JSON summary."""

from __future__ import annotations

import io
from typing import Any

from rich.console import Console

from hyperliquid_ofi_trader.cli.run_summary import print_summary


def _summary(with_execution: bool) -> dict[str, Any]:
    s: dict[str, Any] = {
        "venue": "emulator", "network": "testnet", "venue_note": "SYNTHETIC market",
        "account": "0x" + "a" * 40, "wall_s": 12.5, "connects": 2, "journal": "j.sqlite",
        "engine": {"trading_state": "ACTIVE", "decisions": 3, "outcomes": {"skip": 3},
                   "latency_ms": {"ETH": {"p50": 6.0, "p99": 12.0}}},
        "state_changes": [], "pipeline_latency_us": {"count": 3.0, "p50": 90.0, "p99": 300.0},
    }
    if with_execution:
        s["fill_stats"] = {"orders_by_tif_and_outcome": {"Ioc": {"filled": 2}}}
        s.update(gross_pnl_usd=0.25, fees_usd=1.75, net_pnl_usd=-1.5, turnover_usd=3000.0,
                 fills=2, maker_fills=0, taker_fills=2, by_order_type={"Ioc": {
                     "fills": 2, "gross_pnl_usd": 0.25, "fees_usd": 1.75,
                     "net_pnl_usd": -1.5, "turnover_usd": 3000.0,
                     "expected_edge_bps_mean": 6.5, "expected_cost_bps_mean": 5.0}})
        s["execution"] = {
            "fill_rate": {"Ioc": {"placed": 2, "fill_ratio": 1.0}},
            "slippage_bps": {"vs_mid": {"Ioc": {"count": 2.0, "mean": 0.25}}},
            "markouts_bps": {"pnl_bps": {"1000": {"count": 2.0, "mean": -0.5}}},
            "router_skips": {}, "gate_rejections": {"rate_limit": 1}}
        s["pnl_usd"] = {"total_incl_fees": -1.5, "by_coin": {"ETH": {
            "size": 0.01, "entry_px": 3000.0, "realised": 0.0, "fees": 1.5, "fills": 2.0}}}
    return s


def _render(s: dict[str, Any]) -> str:
    out = io.StringIO()
    print_summary(Console(file=out, width=120), s)
    return out.getvalue()


def test_full_summary_has_every_section() -> None:
    text = _render(_summary(True))
    for expected in ("orders Ioc", "filled 2", "fill rate Ioc", "slippage vs_mid Ioc",
                     "markout 1000 ms", "rate_limit 1", "-1.50", "position ETH",
                     "gross +0.25 - fees 1.75 = net -1.50", "3,000 USD, 2 fills",
                     "expected edge 6.50 bps", "5.00 bps",
                     "+0.01 @ 3,000.00", "p50 90 µs", "feed latency ETH"):
        assert expected in text, expected


def test_summary_without_an_order_path_still_renders() -> None:
    text = _render(_summary(False))
    assert "decisions" in text
    assert "position" not in text
