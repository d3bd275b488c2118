"""The replay driver on real recorded data: same codec and engine as live, deterministic."""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

from hyperliquid_ofi_trader.config import load_config
from hyperliquid_ofi_trader.runtime.replay import replay

BTC_OFI_CONFIG = Path(__file__).resolve().parents[2] / "configs" / "btc-ofi"


def _journal_digest(path: Path) -> str:
    conn = sqlite3.connect(path)
    try:
        rows = conn.execute(
            "SELECT id, exchange_ns, local_ns, coin, trigger, outcome, reason, trading_state,"
            " inputs FROM decisions ORDER BY id").fetchall()
    finally:
        conn.close()
    return hashlib.sha256(repr(rows).encode()).hexdigest()


def test_archive_hour_replays_every_frame_without_rejection(
        hl_archive_btc: Path, tmp_path: Path) -> None:
    result = replay(load_config(BTC_OFI_CONFIG), hl_archive_btc, tmp_path / "j.sqlite")
    assert result.frames == 5587
    assert result.codec_rejections == {}
    engine = result.engine
    assert engine["events_by_type"]["BookSnapshot"] == 5587
    assert engine["decisions"] == 5587  # one decision per BTC book event
    assert engine["stage_errors"] == {}
    # No router is configured yet: the journal must say so, not pretend to trade.
    assert set(engine["outcomes"]) <= {"not_configured", "not_tradable"}
    assert engine["outcomes"].get("not_configured", 0) > 0


def test_replay_is_bit_for_bit_repeatable(hl_ws_capture_btc: Path, tmp_path: Path) -> None:
    cfg = load_config(BTC_OFI_CONFIG)
    first = replay(cfg, hl_ws_capture_btc, tmp_path / "a.sqlite")
    second = replay(cfg, hl_ws_capture_btc, tmp_path / "b.sqlite")
    assert first.frames == second.frames == 55
    assert _journal_digest(tmp_path / "a.sqlite") == _journal_digest(tmp_path / "b.sqlite")


def test_limit_stops_early(hl_archive_btc: Path, tmp_path: Path) -> None:
    result = replay(load_config(BTC_OFI_CONFIG), hl_archive_btc, tmp_path / "j.sqlite",
                    limit=100)
    assert result.frames == 100
