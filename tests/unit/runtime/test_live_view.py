"""The terminal view: fits 80×24 in its compact layout, shows elapsed and remaining time,
says what a warm-up waits for, keeps SYNTHETIC visible, and names decisions next to orders
and fills; wide terminals get tables."""

from __future__ import annotations

import copy
import io
from typing import Any

from rich.console import Console

from hyperliquid_ofi_trader.runtime.live_view import WIDE_COLUMNS, SnapshotView

ORDER: dict[str, Any] = {
    "cloid": "0x1",
    "decision_id": 183,
    "coin": "ETH",
    "side": "buy",
    "price": 3499.9,
    "size": 0.0223,
    "filled": 0.0,
    "tif": "Alo",
    "state": "resting",
    "reduce_only": False,
    "created_ns": 1,
}
FILL: dict[str, Any] = {
    "decision_id": 169,
    "coin": "ETH",
    "side": "buy",
    "price": 3499.9,
    "size": 0.0375,
    "fee": 0.0197,
    "liquidity": "maker",
}
SNAP: dict[str, Any] = {
    "t_ms": 1000000000000.0,
    "run": {
        "venue": "emulator",
        "note": "local emulator, market: SYNTHETIC (seeded model, seed 3; NOT market data)",
        "synthetic": True,
        "network": "testnet",
        "account": "0xabc",
        "run_dir": "r",
        "elapsed_s": 62.4,
        "duration_s": 180.0,
        "traded": ["ETH"],
    },
    "state": {
        "trading_state": "ACTIVE",
        "cause": None,
        "events": 12345,
        "decisions": 6789,
        "outcomes": {},
    },
    "markets": {
        "BTC": {
            "bid": 94994.0,
            "bid_sz": 3.76589,
            "ask": 94995.0,
            "ask_sz": 0.07633,
            "mid": 94994.5,
            "spread_bps": 0.105,
        },
        "ETH": {
            "bid": 3499.9,
            "bid_sz": 5.3127,
            "ask": 3500.0,
            "ask_sz": 1.123,
            "mid": 3499.95,
            "spread_bps": 0.2857,
            "signals": {
                "ofi": -0.0575,
                "leadlag": 0.0,
                "aggressive_volume": -0.0475,
                "microprice": 0.651,
            },
            "regime": {
                "tradable": False,
                "liquidity": "liquid",
                "volatility": "normal",
                "liquidation": False,
                "reasons": ["volatility_warmup"],
            },
        },
    },
    "feed": {
        "unhealthy": [],
        "latency_ms": {"BTC": {"p50": 5.0, "p99": 7.7}, "ETH": {"p50": 5.1, "p99": 9.8}},
        "pipeline_us": {"p50": 91.0, "p99": 959.0},
        "connects": 1,
    },
    "alpha": {"alpha": 0.045, "raw": 0.045, "compressed": 0.045, "reason": "ok"},
    "positions": [
        {
            "coin": "ETH",
            "size": -0.0224,
            "entry_px": 3499.8,
            "mark": 3500.0,
            "notional": 78.4,
            "realised": 0.0,
            "unrealised": -0.08,
            "funding": 0.0,
            "fees": 0.83,
            "gross": -0.08,
            "net": -0.91,
            "fills": 14,
        }
    ],
    "pnl": {"gross": -0.08, "fees": 0.83, "net": -0.91, "exposure_usd": 78.4},
    "kill_switch": {"fired": None, "fires": {}},
    "warmup": {"vol_s": 30.0, "dwell_s": 5.0},
    "open_orders": [ORDER] * 4,
    "fills": [FILL] * 3,
}


def _text(snap: dict[str, Any], width: int) -> list[str]:
    console = Console(width=width, record=True, color_system=None, file=io.StringIO())
    console.print(SnapshotView(snap))
    return console.export_text().splitlines()


def test_compact_layout_fits_80_by_24_with_everything_an_operator_needs() -> None:
    lines = _text(SNAP, 80)
    assert len(lines) <= 24
    assert max(len(line) for line in lines) <= 80
    text = "\n".join(lines)
    assert "SYNTHETIC" in lines[1]  # first line inside the frame: never scrolled away
    assert "1m02s, 1m58s left" in text
    assert "warming up, no trading yet: ETH: volatility estimate needs 30 s of history" in text
    assert "#183 ETH buy" in text  # open order with its decision
    assert "#169 ETH buy" in text  # fill with its decision
    assert "gross -0.08" in text
    assert "net -0.91" in text


def test_two_traded_coins_and_full_tables_still_fit_24_lines() -> None:
    snap = copy.deepcopy(SNAP)
    snap["markets"]["SOL"] = copy.deepcopy(snap["markets"]["ETH"])
    assert len(_text(snap, 80)) <= 24


def test_no_banner_on_a_real_market_and_no_warmup_line_once_tradable() -> None:
    snap = copy.deepcopy(SNAP)
    snap["run"]["synthetic"] = False
    snap["run"]["note"] = "Hyperliquid testnet"
    snap["markets"]["ETH"]["regime"] = {
        "tradable": True,
        "liquidity": "liquid",
        "volatility": "normal",
        "liquidation": False,
        "reasons": [],
    }
    text = "\n".join(_text(snap, 80))
    assert "SYNTHETIC" not in text
    assert "warming up" not in text
    assert "liquid/normal" in text


def test_wide_terminals_get_tables_with_decision_columns() -> None:
    text = "\n".join(_text(SNAP, WIDE_COLUMNS + 20))
    assert "┃ decision" in text
    assert "spread bp" in text
    assert "SYNTHETIC market" in text
