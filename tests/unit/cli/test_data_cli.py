"""`hlofi data describe|convert` and `hlofi record` argument handling, through typer."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from hyperliquid_ofi_trader.cli import data, record
from hyperliquid_ofi_trader.cli.record import RecordError, parse_coins, subscriptions_for

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
