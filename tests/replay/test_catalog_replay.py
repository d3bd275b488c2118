"""A catalog replays to the same journal as the raw recording it was built from: the
synthetic BTC→ETH recording, a `hlofi sim record` session (flagged SYNTHETIC) and the real
archive hour; from a local and an s3:// catalog; through the runners and the CLI."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import polars as pl
import pytest
import typer
from typer.testing import CliRunner

from hyperliquid_ofi_trader.backtest.runner import record_synthetic, run_backtest
from hyperliquid_ofi_trader.catalog import CatalogQuery, open_location, parse_hour
from hyperliquid_ofi_trader.catalog.ingest import ingest_path
from hyperliquid_ofi_trader.cli import backtest as backtest_cli
from hyperliquid_ofi_trader.cli import replay as replay_cli
from hyperliquid_ofi_trader.cli import research as research_cli
from hyperliquid_ofi_trader.cli import sweep as sweep_cli
from hyperliquid_ofi_trader.config import load_config
from hyperliquid_ofi_trader.runtime.replay import replay
from hyperliquid_ofi_trader.sim.synthetic_recording import record_scenario
from tests.s3_support import LocalS3, s3_server

__all__ = ["s3_server"]

BTC_OFI_CONFIG = Path(__file__).resolve().parents[2] / "configs" / "btc-ofi"


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("synthetic") / "data"
    record_synthetic(path, 90.0, seed=3)
    return path


def _json_line(out: str) -> Any:
    # Another test's logging setup may leave a handler on stdout: take the JSON line.
    return orjson.loads(next(line for line in out.splitlines() if line.startswith("{")))


def _cli() -> typer.Typer:
    app = typer.Typer()
    backtest_cli.register(app)
    replay_cli.register(app)
    return app


def test_backtest_from_catalog_matches_the_raw_recording(synthetic: Path,
                                                         tmp_path: Path) -> None:
    ingest_path(open_location(tmp_path / "cat"), synthetic)
    cfg = load_config()
    raw = run_backtest(cfg, synthetic, tmp_path / "raw", seed=2)
    cat = run_backtest(cfg, CatalogQuery(str(tmp_path / "cat")), tmp_path / "cat-run", seed=2)
    assert raw.frames == cat.frames > 0
    assert cat.journal_sha256 == raw.journal_sha256
    assert cat.source.startswith("catalog ")


def test_archive_hour_replay_from_catalog_matches(hl_archive_btc: Path,
                                                  tmp_path: Path) -> None:
    ingest_path(open_location(tmp_path / "cat"), hl_archive_btc)
    cfg = load_config(BTC_OFI_CONFIG)
    q = CatalogQuery(str(tmp_path / "cat"), coins=("BTC",), start=parse_hour("2024-01-01T12"),
                     end=parse_hour("2024-01-01T12"))
    raw = replay(cfg, hl_archive_btc, tmp_path / "raw.sqlite")
    cat = replay(cfg, q, tmp_path / "cat.sqlite")
    assert raw.frames == cat.frames == 5587
    assert raw.engine == cat.engine
    cfg_bt = load_config(BTC_OFI_CONFIG)
    a = run_backtest(cfg_bt, hl_archive_btc, tmp_path / "a", seed=1, limit=2000)
    b = run_backtest(cfg_bt, q, tmp_path / "b", seed=1, limit=2000)
    assert a.journal_sha256 == b.journal_sha256


def test_cli_backtest_on_an_s3_catalog_says_synthetic(tmp_path: Path,
                                                      s3_server: LocalS3) -> None:
    session = tmp_path / "session"
    record_scenario("no-edge", 5, 60.0, session)
    bucket = s3_server.make_bucket("research")
    ingest_path(open_location(f"s3://{bucket}/cat"), session)
    raw = CliRunner().invoke(_cli(), ["backtest", "--data", str(session), "--out",
                                      str(tmp_path / "raw"), "--json", "--no-report"])
    assert raw.exit_code == 0, raw.output
    res = CliRunner().invoke(_cli(), ["backtest", "--catalog", f"s3://{bucket}/cat",
                                      "--coins", "BTC,ETH", "--out", str(tmp_path / "cat"),
                                      "--json", "--no-report"])
    assert res.exit_code == 0, res.output
    doc, ref = _json_line(res.stdout), _json_line(raw.stdout)
    assert doc["data"] == "SYNTHETIC (scenario no-edge, seed 5)"
    assert doc["journal_sha256"] == ref["journal_sha256"]
    assert doc["frames"] == ref["frames"]


def test_cli_rejects_contradictory_or_empty_selections(synthetic: Path,
                                                       tmp_path: Path) -> None:
    ingest_path(open_location(tmp_path / "cat"), synthetic)
    both = CliRunner().invoke(_cli(), ["replay", "--data", str(synthetic), "--catalog",
                                       str(tmp_path / "cat")])
    assert both.exit_code == 1
    assert "either --data or --catalog" in both.output
    bad_hour = CliRunner().invoke(_cli(), ["replay", "--catalog", str(tmp_path / "cat"),
                                           "--from", "soon"])
    assert bad_hour.exit_code == 1
    assert "not a UTC hour" in bad_hour.output
    none = CliRunner().invoke(_cli(), ["replay", "--catalog", str(tmp_path / "cat"),
                                       "--coins", "DOGE", "--journal",
                                       str(tmp_path / "j.sqlite")])
    assert none.exit_code == 1
    assert "nothing matches" in none.output
    assert "Traceback" not in none.output


def test_sweep_on_a_catalog_equals_the_sweep_on_the_raw_recording(synthetic: Path,
                                                                   tmp_path: Path) -> None:
    ingest_path(open_location(tmp_path / "cat"), synthetic)
    grid = tmp_path / "grid.yaml"
    grid.write_text("params:\n  thresholds.router.ofi_high: [1.5, 3.0]\n", encoding="utf-8")
    app = typer.Typer()
    sweep_cli.register(app)
    app.command("noop")(lambda: None)
    tables = []
    for name, source in (("raw", ["--data", str(synthetic)]),
                         ("cat", ["--catalog", str(tmp_path / "cat"), "--coins", "BTC,ETH"])):
        res = CliRunner().invoke(app, ["sweep", "--grid", str(grid), *source, "--workers", "1",
                                       "--out", str(tmp_path / name)])
        assert res.exit_code == 0, res.output
        table = pl.read_parquet(tmp_path / name / "sweep.parquet")
        tables.append(table.drop("run_dir", "journal"))  # the only columns that are paths
    assert tables[0].equals(tables[1])
    assert tables[0].height == 2


def test_research_reads_a_catalog_like_the_raw_file(hl_archive_btc: Path,
                                                    tmp_path: Path) -> None:
    ingest_path(open_location(tmp_path / "cat"), hl_archive_btc)
    app = typer.Typer()
    research_cli.register(app)
    app.command("noop")(lambda: None)
    args = ["research", "ofi", "--intervals", "10s", "--json"]
    raw = CliRunner().invoke(app, [*args, "--data", str(hl_archive_btc)])
    cat = CliRunner().invoke(app, [*args, "--catalog", str(tmp_path / "cat"), "--coin", "BTC",
                                   "--from", "2024-01-01T12", "--to", "2024-01-01T12"])
    assert raw.exit_code == 0, raw.output
    assert cat.exit_code == 0, cat.output
    a, b = orjson.loads(raw.stdout), orjson.loads(cat.stdout)
    assert a == b
    assert b["data"] == "recorded market data"
