"""`hlofi replay` over a small recording written by our own recorder."""

from __future__ import annotations

import json
from pathlib import Path

import orjson
from typer.testing import CliRunner

from hyperliquid_ofi_trader.cli.registry import register_all
from hyperliquid_ofi_trader.data.recording import FrameRecorder
from hyperliquid_ofi_trader.main import app

register_all(app)


def _book(coin: str, t_ms: int, bid: float, ask: float) -> bytes:
    levels = [[{"px": str(bid - i), "sz": "1.5", "n": 2} for i in range(5)],
              [{"px": str(ask + i), "sz": "2.0", "n": 3} for i in range(5)]]
    return orjson.dumps({"channel": "l2Book",
                         "data": {"coin": coin, "time": t_ms, "levels": levels}})


def _write_recording(out: Path) -> None:
    t0 = 1_764_000_000_000
    with FrameRecorder(out) as rec:
        for i in range(20):
            rec.write(_book("ETH", t0 + 100 * i, 3000.0 + i, 3001.0 + i),
                      (t0 + 100 * i + 50) * 1_000_000)
        rec.write(b'{"channel":"l2Book","data":{"coin":"ETH","time":1,"levels":[[],[{"px":"nan'
                  b'","sz":"1","n":1}]]}}', (t0 + 5000) * 1_000_000)


def test_replay_json_summary(tmp_path: Path) -> None:
    _write_recording(tmp_path / "rec")
    journal = tmp_path / "j.sqlite"
    result = CliRunner().invoke(app, ["replay", "--data", str(tmp_path / "rec"),
                                      "--journal", str(journal), "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert summary["frames"] == 21
    assert sum(summary["codec_rejections"].values()) == 1  # the NaN frame, counted
    assert summary["engine"]["decisions"] == 20  # processing continued around it
    assert journal.exists()


def test_replay_refuses_to_overwrite_a_journal(tmp_path: Path) -> None:
    _write_recording(tmp_path / "rec")
    journal = tmp_path / "j.sqlite"
    journal.write_bytes(b"")
    result = CliRunner().invoke(app, ["replay", "--data", str(tmp_path / "rec"),
                                      "--journal", str(journal)])
    assert result.exit_code == 1
    assert "already exists" in result.output


def test_replay_missing_source_is_a_clear_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["replay", "--data", str(tmp_path / "nope"),
                                      "--journal", str(tmp_path / "j.sqlite")])
    assert result.exit_code == 1
    assert "cannot replay" in result.output
