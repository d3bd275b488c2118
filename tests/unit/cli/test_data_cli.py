"""`hlofi data describe|convert` and `hlofi record` argument handling, through typer."""

from __future__ import annotations

import asyncio
import gzip
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from hyperliquid_ofi_trader.cli import data, record
from hyperliquid_ofi_trader.cli.record import (
    RecordError,
    RecordSummary,
    parse_coins,
    subscriptions_for,
)
from hyperliquid_ofi_trader.config import load_config
from hyperliquid_ofi_trader.venues.hyperliquid.websocket.client import (
    HyperliquidWsClient,
    WsClientConfig,
)

T0 = 1_737_918_843_893_903_000
BOOK = (b'{"channel":"l2Book","data":{"coin":"BTC","time":1737918843000,"levels":'
        b'[[{"px":"100.0","sz":"1","n":1}],[{"px":"101.0","sz":"2","n":1}]]}}')


def _app() -> typer.Typer:
    app = typer.Typer()
    data.register(app)
    record.register(app)
    return app


def _capture(tmp_path: Path) -> Path:
    path = tmp_path / "cap.gz"
    path.write_bytes(gzip.compress(b"%d %b\n%d %b\nbroken\n" % (T0, BOOK, T0 + 10**9, BOOK)))
    return path


def test_describe_prints_counts_span_and_damage(tmp_path: Path) -> None:
    result = CliRunner().invoke(_app(), ["data", "describe", "--data", str(_capture(tmp_path))])
    assert result.exit_code == 0, result.output
    assert "2 frames" in result.output
    assert "2025-01-26 19:14:03.893Z" in result.output
    assert "1 malformed line(s) (no_separator 1)" in result.output
    assert "l2Book" in result.output


def test_convert_writes_parquet_and_refuses_overwrite(tmp_path: Path) -> None:
    src, out = _capture(tmp_path), tmp_path / "out"
    args = ["data", "convert", "--data", str(src), "--out", str(out)]
    first = CliRunner().invoke(_app(), args)
    assert first.exit_code == 0, first.output
    assert "book_levels" in first.output
    assert (out / "book_levels.parquet").exists()
    again = CliRunner().invoke(_app(), args)
    assert again.exit_code == 1
    assert "already exists" in again.output
    assert "Traceback" not in again.output
    assert CliRunner().invoke(_app(), [*args, "--overwrite"]).exit_code == 0


@pytest.mark.parametrize("args", [
    ["data", "describe", "--data", "/definitely/not/here"],
    ["data", "convert", "--data", "/definitely/not/here", "--out", "/tmp/unused-hlofi"],
])
def test_missing_source_is_a_clear_error(args: list[str]) -> None:
    result = CliRunner().invoke(_app(), args)
    assert result.exit_code == 1
    assert "no such file" in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_unknown_format_is_a_clear_error(tmp_path: Path) -> None:
    junk = tmp_path / "junk.bin"
    junk.write_bytes(b"\x00\x01garbage")
    result = CliRunner().invoke(_app(), ["data", "describe", "--data", str(junk)])
    assert result.exit_code == 1
    assert "not zstd, gzip, LZ4" in result.output


def test_record_rejects_bad_arguments_before_connecting(tmp_path: Path) -> None:
    bad_coin = CliRunner().invoke(_app(), ["record", "--coins", " , ", "--out", str(tmp_path)])
    assert bad_coin.exit_code == 2
    assert "no coins" in bad_coin.output
    bad_url = CliRunner().invoke(_app(), ["record", "--coins", "BTC", "--out", str(tmp_path),
                                          "--url", "http//nope"])
    assert bad_url.exit_code == 2
    # --url takes an API base (http[s]) or a WebSocket URL (cli/endpoints.py).
    assert "not a usable URL: 'http//nope'" in bad_url.output


def test_parse_coins_and_subscriptions() -> None:
    assert parse_coins(" BTC, ETH ,BTC,kPEPE") == ("BTC", "ETH", "kPEPE")
    with pytest.raises(RecordError):
        parse_coins("BTC;ETH")
    subs = subscriptions_for(["BTC", "ETH"])
    assert len(subs) == 8
    assert {"type": "activeAssetCtx", "coin": "ETH"} in subs


def test_record_unwritable_output_is_a_clear_disk_error(tmp_path: Path) -> None:
    blocker = tmp_path / "a_file"
    blocker.write_text("x")
    result = CliRunner().invoke(_app(), ["record", "--coins", "BTC", "--out",
                                         str(blocker / "sub"), "--url", "ws://127.0.0.1:9/ws"])
    assert result.exit_code == 1
    assert "recording failed to create directory" in result.output
    assert "Traceback" not in result.output


def _recorded_client_config(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                            extra: list[str]) -> WsClientConfig:
    """The client settings `hlofi record` hands to the recorder (no socket is opened)."""
    seen: list[WsClientConfig] = []

    async def fake_run(*_args: object, config: WsClientConfig, **_kw: object) -> RecordSummary:
        seen.append(config)
        return RecordSummary(0, 0, 0, 0, 0, 0, "")

    monkeypatch.setattr(record, "run_recording", fake_run)
    result = CliRunner().invoke(_app(), ["record", "--coins", "BTC", "--out",
                                         str(tmp_path / "rec"), *extra])
    assert result.exit_code == 0, result.output
    return seen[0]


def test_record_watches_the_configured_feed_cadences(monkeypatch: pytest.MonkeyPatch,
                                                     tmp_path: Path) -> None:
    feed = load_config().thresholds.feed
    cfg = _recorded_client_config(monkeypatch, tmp_path, [])
    for channel in record.CHANNELS:  # the YAML, not the client's generic defaults
        assert cfg.cadence_s[channel] == feed.cadence_ms.for_channel(channel) / 1000
    assert cfg.stale_factor == feed.stale_factor
    assert cfg.ping_interval_s == feed.ping_interval_s


def test_record_takes_a_user_feed_section(monkeypatch: pytest.MonkeyPatch,
                                          tmp_path: Path) -> None:
    user = tmp_path / "cfg"
    user.mkdir()
    (user / "thresholds.yaml").write_text("feed:\n  cadence_ms:\n    trades: 7000\n")
    cfg = _recorded_client_config(monkeypatch, tmp_path, ["--config", str(user)])
    assert cfg.cadence_s["trades"] == 7.0


def test_record_bad_user_config_is_a_clear_error(tmp_path: Path) -> None:
    user = tmp_path / "cfg"
    user.mkdir()
    (user / "thresholds.yaml").write_text("feed:\n  stale_factor: 0.5\n")
    result = CliRunner().invoke(_app(), ["record", "--coins", "BTC", "--out",
                                         str(tmp_path / "rec"), "--config", str(user)])
    assert result.exit_code == 2
    assert "stale_factor" in result.output
    assert "Traceback" not in result.output


async def test_run_recording_defaults_to_the_packaged_feed_section(tmp_path: Path) -> None:
    stop = asyncio.Event()
    stop.set()  # stop at once: only the client's settings matter here
    seen: list[WsClientConfig] = []
    real = HyperliquidWsClient

    def spy(*args: Any, config: WsClientConfig, **kw: Any) -> Any:
        seen.append(config)
        return real(*args, config=config, **kw)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(record, "HyperliquidWsClient", spy)
        await record.run_recording("ws://127.0.0.1:9/ws", ["BTC"], tmp_path, stop=stop)
    bbo_ms = load_config().thresholds.feed.cadence_ms.for_channel("bbo")
    assert seen[0].cadence_s["bbo"] == bbo_ms / 1000
