"""`hlofi sim record`, `hlofi research oracle` and `--scenario` on the emulator, end to end
through the real command tree."""

from __future__ import annotations

from pathlib import Path

import orjson
import typer
from typer.testing import CliRunner

from hyperliquid_ofi_trader.cli import registry
from hyperliquid_ofi_trader.cli.sim_exchange import SimExchangeOptions, build_source
from hyperliquid_ofi_trader.core.clock import ReplayClock
from hyperliquid_ofi_trader.sim.synthetic import SyntheticMarket


def _app() -> typer.Typer:
    app = typer.Typer()
    registry.register_all(app)
    return app


def test_record_then_oracle_json_says_synthetic(tmp_path: Path) -> None:
    out = tmp_path / "rec"
    result = CliRunner().invoke(_app(), ["sim", "record", "--scenario", "exploitable",
                                         "--seed", "4", "--duration", "60", "--out",
                                         str(out)])
    assert result.exit_code == 0, result.output
    assert "SYNTHETIC (scenario exploitable, seed 4)" in result.output
    result = CliRunner().invoke(_app(), ["research", "oracle", "--data", str(out), "--coin",
                                         "ETH", "--json"])
    assert result.exit_code == 0, result.output
    doc = orjson.loads(result.output)
    assert doc["data"] == "SYNTHETIC (scenario exploitable, seed 4)"
    for variant in ("taker", "maker"):
        assert {"trades", "gross_usd", "fees_usd", "net_usd", "net_bps"} <= set(doc[variant])
    assert doc["settings"]["notional_usd"] == 200.0  # packaged max_order_usd
    assert doc["opportunities"]["min_net_bps"] == 3.0
    assert "lognormal median 100 ms" in doc["settings"]["entry_latency"]


def test_user_mistakes_are_one_line_errors(tmp_path: Path) -> None:
    runner = CliRunner()
    bad = runner.invoke(_app(), ["sim", "record", "--scenario", "nope", "--out",
                                 str(tmp_path / "x")])
    assert bad.exit_code == 2
    assert "unknown scenario 'nope'" in bad.output
    missing = runner.invoke(_app(), ["research", "oracle", "--data", str(tmp_path / "none")])
    assert missing.exit_code == 1
    assert "Traceback" not in missing.output
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "f").write_text("x")
    busy = runner.invoke(_app(), ["sim", "record", "--out", str(tmp_path / "full")])
    assert busy.exit_code == 2
    assert "not empty" in busy.output


def test_emulator_scenario_flag_picks_the_market() -> None:
    clock = ReplayClock()
    source, note = build_source(SimExchangeOptions(seed=2, scenario="no-edge"), clock)
    assert isinstance(source, SyntheticMarket)
    assert source.settings.lead_lag is None
    assert "SYNTHETIC (scenario no-edge, seed 2)" in note


def test_replay_says_the_recording_is_synthetic(tmp_path: Path) -> None:
    out = tmp_path / "rec"
    assert CliRunner().invoke(_app(), ["sim", "record", "--scenario", "no-edge", "--seed",
                                       "6", "--duration", "10", "--out", str(out)]
                              ).exit_code == 0
    result = CliRunner().invoke(_app(), ["replay", "--data", str(out), "--journal",
                                         str(tmp_path / "j.sqlite"), "--json"])
    assert result.exit_code == 0, result.output
    doc = orjson.loads(result.output.strip().splitlines()[-1])
    assert doc["data"] == "SYNTHETIC (scenario no-edge, seed 6)"


def test_data_describe_says_the_recording_is_synthetic(tmp_path: Path) -> None:
    out = tmp_path / "rec"
    assert CliRunner().invoke(_app(), ["sim", "record", "--scenario", "realistic", "--seed",
                                       "8", "--duration", "5", "--out", str(out)]
                              ).exit_code == 0
    result = CliRunner().invoke(_app(), ["data", "describe", "--data", str(out)])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("SYNTHETIC (scenario realistic, seed 8)")
    assert "1 file(s)" in result.output  # recording.json is metadata, not a recording
