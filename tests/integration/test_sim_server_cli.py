"""`hlofi sim-exchange`: starts, says where it listens and that the market is SYNTHETIC,
stops on --duration; user mistakes exit 2 with a one-line reason and no traceback."""

from __future__ import annotations

import pytest
import typer
from typer.testing import CliRunner

from hyperliquid_ofi_trader.cli import sim_exchange
from tests.conftest import HL_WS_CAPTURE_BTC, require

pytestmark = pytest.mark.timeout(15)


def _app() -> typer.Typer:
    app = typer.Typer()
    sim_exchange.register(app)
    app.command("noop")(lambda: None)  # keep typer in multi-command mode
    return app


def test_runs_and_announces_synthetic_market() -> None:
    result = CliRunner().invoke(_app(), ["sim-exchange", "--duration", "0.5", "--seed", "4",
                                         "--fault", "delay_acks:delay_s=0.1,count=2"])
    assert result.exit_code == 0, result.output
    assert "ws://127.0.0.1:" in result.output
    assert "SYNTHETIC" in result.output
    assert "seed 4" in result.output
    assert "stopped:" in result.output


@pytest.mark.parametrize(("args", "reason"), [
    (["--source", "/definitely/not/here"], "cannot replay"),
    (["--fault", "explode"], "unknown fault"),
    (["--fault", "drop_connections"], "is an action"),
    (["--fault", "silence"], "'seconds' is required"),
])
def test_user_errors_exit_2(args: list[str], reason: str) -> None:
    result = CliRunner().invoke(_app(), ["sim-exchange", "--duration", "0.2", *args])
    assert result.exit_code == 2
    assert reason in result.output
    assert "Traceback" not in result.output


def test_replays_a_recording() -> None:
    capture = require(HL_WS_CAPTURE_BTC)
    result = CliRunner().invoke(_app(), ["sim-exchange", "--duration", "0.5", "--source",
                                         str(capture), "--speed", "10"])
    assert result.exit_code == 0, result.output
    assert "REPLAYED from" in result.output
    assert "stopped: 0 market batches" not in result.output  # frames were pumped
    assert "failed" not in result.output  # and the venue took every event
