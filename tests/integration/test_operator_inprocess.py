"""The in-process operator API (the dashboard's kill button): `LiveRunner.operator_command`
halts through the same path as `hlofi kill` (durable halt, journal, status), and resumes."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from hyperliquid_ofi_trader.cli.sim_exchange import SimExchangeOptions, build_server
from hyperliquid_ofi_trader.config import build_config
from hyperliquid_ofi_trader.core.clock import LiveClock
from hyperliquid_ofi_trader.risk.halt_store import HALT_FILE
from hyperliquid_ofi_trader.runtime.live import LiveRunner, RunOptions, VenueEndpoints
from hyperliquid_ofi_trader.runtime.registry import RunRegistry
from hyperliquid_ofi_trader.runtime.status import read_status
from hyperliquid_ofi_trader.venues.hyperliquid.signing.keys import generate_throwaway_key

pytestmark = pytest.mark.timeout(90)


async def test_kill_and_resume_from_inside_the_process(tmp_path: Path) -> None:
    key = generate_throwaway_key()
    server, _ = build_server(SimExchangeOptions(seed=2, funded_accounts=(key.address,)),
                             LiveClock())
    await server.start("127.0.0.1", 0)
    run_dir = tmp_path / "run"
    runner = LiveRunner(build_config({}), VenueEndpoints(
        rest_url=server.base_url, ws_url=server.ws_url, mainnet=False, name="emulator"),
        key, key.address, RunOptions(run_dir=run_dir, duration_s=12.0,
                                     state_dir=tmp_path / "state"))
    task = asyncio.create_task(runner.run())
    try:
        await asyncio.sleep(4.0)
        [entry] = RunRegistry(tmp_path / "state").running()
        runner.publish_ui_url("http://127.0.0.1:1/")
        assert RunRegistry(tmp_path / "state").running()[0].ui_url == "http://127.0.0.1:1/"
        ack = runner.operator_command("kill", "dashboard button")
        assert ack.trading_state == "HALTED"
        assert (run_dir / HALT_FILE).exists()
        status = read_status(run_dir / "status.json")
        assert status.trading_state == "HALTED"
        assert status.ui_url == "http://127.0.0.1:1/"
        assert "dashboard button" in status.state_reason  # journal flushed with the ack
        ack = runner.operator_command("resume", "dashboard button")
        assert ack.trading_state == "ACTIVE"
        assert not (run_dir / HALT_FILE).exists()
        with pytest.raises(ValueError, match="unknown operator command"):
            runner.operator_command("reboot", "")
        await task
    finally:
        await server.stop()
    assert entry.pid == runner.identity.pid
    assert RunRegistry(tmp_path / "state").running() == []
