"""A trader SIGKILLed with orders resting, then halted (by account) while nothing ran,
comes back HALTED from a fresh run folder and cancels whatever it left at the venue (the
venue outlives the trader: a separately started `hlofi sim-exchange`, reached with --url).
Requotes and the venue's dead man's switch may already have removed the orders by the
time the trader restarts; what must hold either way: none open, nothing submitted."""

from __future__ import annotations

import json
import os
import signal
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from hyperliquid_ofi_trader.runtime.status import StatusError, read_status
from hyperliquid_ofi_trader.venues.hyperliquid.signing.keys import generate_throwaway_key
from tests.integration.operator_support import fast_config, hlofi, start_run, stop_run
from tests.integration.test_run_url import _start_emulator

pytestmark = pytest.mark.timeout(240)


def _open_orders(url: str, account: str) -> list[Any]:
    body = json.dumps({"type": "openOrders", "user": account}).encode()
    req = urllib.request.Request(f"{url}/info", data=body,
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=5) as answer:
        orders: list[Any] = json.loads(answer.read())
    return orders


def _resting(run_dir: Path) -> bool:
    try:
        return any(o.state == "resting" for o in read_status(run_dir / "status.json")
                   .open_orders)
    except StatusError:
        return False


def _until(predicate: Any, timeout: float, every: float = 0.1) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(every)
    return False


def test_restart_after_sigkill_and_offline_kill_cancels_the_orders_left(
        tmp_path: Path) -> None:
    key = generate_throwaway_key()
    account = key.address.lower()
    emulator, url = _start_emulator(key)
    env = {**os.environ, "HLOFI_PRIVATE_KEY": key.reveal().hex()}
    run_dir = tmp_path / "run"
    common = ["--venue", "hyperliquid", "--url", url, "--duration", "120", "--config",
              str(fast_config(tmp_path))]
    args = [*common, "--run-dir", str(run_dir)]
    try:
        proc = start_run(args, env)
        try:
            # The trader's own status (no venue query: the IP's rate budget is shared).
            # The strategy rests an order only when the edge pays the maker side: wait for
            # one, but what follows must hold whether or not one rested when it died.
            _until(lambda: _resting(run_dir), 60.0)
        finally:
            proc.kill()
            proc.communicate(timeout=30)
        left = _open_orders(url, account)
        res = hlofi("kill", "--account", account, "--reason", "crashed")
        assert res.returncode == 3, res.stderr  # nothing ran: recorded for the next start
        # A fresh run folder: only the halt recorded for the account can stop it.
        proc = start_run([*common, "--run-dir", str(tmp_path / "restart")], env)
        try:
            if left:  # the venue's dead man's switch may have beaten us to some
                assert _until(lambda: not _open_orders(url, account), 15.0, every=2.0)
            time.sleep(3.0)
            assert _open_orders(url, account) == []  # and nothing new while HALTED
        finally:
            summary, stderr = stop_run(proc)
    finally:
        emulator.send_signal(signal.SIGINT)
        emulator.communicate(timeout=30)
    assert "starting HALTED" in stderr
    assert summary["engine"]["trading_state"] == "HALTED"
    assert summary["engine"]["outcomes"].get("submit", 0) == 0
