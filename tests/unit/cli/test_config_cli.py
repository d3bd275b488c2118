"""`hlofi config check|show` through typer's runner."""

from __future__ import annotations

from pathlib import Path

import typer
import yaml
from typer.testing import CliRunner

from hyperliquid_ofi_trader.cli import config as config_cli

runner = CliRunner()


def _app() -> typer.Typer:
    app = typer.Typer()
    config_cli.register(app)

    @app.callback()
    def _root() -> None:
        """Keep `config` a sub-command even when it is the only group."""

    return app


def test_check_passes_on_defaults() -> None:
    result = runner.invoke(_app(), ["config", "check"])
    assert result.exit_code == 0, result.output
    assert "configuration OK" in result.output
    assert "network:   testnet" in result.output
    assert "BTC -> ETH within 250 ms" in result.output


def test_check_fails_with_the_message_on_a_bad_dir(tmp_path: Path) -> None:
    (tmp_path / "risk.yaml").write_text("kill_switch:\n  max_feed_lag_ms: -5\n")
    result = runner.invoke(_app(), ["config", "check", "--dir", str(tmp_path)])
    assert result.exit_code == 1
    assert "risk.yaml: kill_switch.max_feed_lag_ms = -5: must be > 0" in result.output
    assert "Traceback" not in result.output


def test_check_flags_mainnet_loudly(tmp_path: Path) -> None:
    (tmp_path / "risk.yaml").write_text("network: mainnet\n")
    result = runner.invoke(_app(), ["config", "check", "--dir", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "MAINNET (real money)" in result.output


def test_show_prints_the_merged_config_as_yaml(tmp_path: Path) -> None:
    (tmp_path / "thresholds.yaml").write_text("ofi:\n  window_ms: 750\n")
    result = runner.invoke(_app(), ["config", "show", "--dir", str(tmp_path)])
    assert result.exit_code == 0, result.output
    docs = list(yaml.safe_load_all(result.output))
    symbols, thresholds, risk = docs
    assert thresholds["ofi"]["window_ms"] == 750
    assert thresholds["ofi"]["levels"] == 5
    assert thresholds["feed"]["cadence_ms"]["l2Book"] == 5000
    assert symbols["traded"] == ["ETH"]
    assert risk["network"] == "testnet"


def test_show_fails_cleanly_on_a_missing_dir(tmp_path: Path) -> None:
    result = runner.invoke(_app(), ["config", "show", "--dir", str(tmp_path / "absent")])
    assert result.exit_code != 0
    assert "Traceback" not in result.output


def test_check_lists_seed_only_keys_a_user_file_changes(tmp_path: Path) -> None:
    (tmp_path / "thresholds.yaml").write_text("router:\n  ofi_mid: 1.5\n")
    result = runner.invoke(_app(), ["config", "check", "--dir", str(tmp_path)])
    assert result.exit_code == 0, result.output
    (line,) = [x for x in result.output.splitlines() if "not used:" in x]
    assert "router.ofi_mid = 1.5 (default 0.5)" in line
    assert "not used" not in runner.invoke(_app(), ["config", "check"]).output
