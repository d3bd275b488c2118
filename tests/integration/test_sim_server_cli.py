"""`hlofi sim-exchange`: starts, says where it listens and that the market is SYNTHETIC,
stops on --duration; user mistakes exit 2 with a one-line reason and no traceback."""

from __future__ import annotations

import pytest
import typer
from typer.testing import CliRunner

from hyperliquid_ofi_trader.cli import sim_exchange
from hyperliquid_ofi_trader.cli.sim_exchange import SimExchangeOptions, build_server
from hyperliquid_ofi_trader.core.clock import LiveClock
from hyperliquid_ofi_trader.sim.venue import SimVenue
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
    (["--fund", "0x12"], "not an address"),
    (["--fund", "0x" + "ab" * 20 + ":lots"], "is not a number"),
    (["--fund", "0x" + "ab" * 20 + ":-5"], "USDC amount must be"),
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


ALICE, BOB = "0x" + "a1" * 20, "0x" + "B2" * 20


def test_fund_flags_open_exactly_those_accounts() -> None:
    result = CliRunner().invoke(_app(), ["sim-exchange", "--duration", "0.3", "--fund",
                                         f"{ALICE}:2500", "--fund", BOB])
    assert result.exit_code == 0, result.output
    assert "2 funded at start" in result.output
    assert "/_faucet" in result.output

    server, _ = build_server(SimExchangeOptions(funded_accounts=(f"{ALICE}:2_500", BOB),
                                                initial_usdc=700.0), LiveClock())
    venue = server.venue
    assert isinstance(venue, SimVenue)
    assert sorted(venue.accounts) == sorted([ALICE, BOB.lower()])
    alice, bob = venue.account(ALICE), venue.account(BOB)
    assert alice is not None
    assert alice.balance == 2_500.0
    assert bob is not None
    assert bob.balance == 700.0
    assert venue.settings.auto_create_accounts is False


def test_auto_fund_is_an_explicit_opt_in() -> None:
    result = CliRunner().invoke(_app(), ["sim-exchange", "--duration", "0.3", "--auto-fund"])
    assert result.exit_code == 0, result.output
    assert "--auto-fund: every new signer" in result.output
    server, _ = build_server(SimExchangeOptions(auto_fund=True), LiveClock())
    assert isinstance(server.venue, SimVenue)
    assert server.venue.settings.auto_create_accounts is True
