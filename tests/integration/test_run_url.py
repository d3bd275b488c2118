"""`hlofi run --venue hyperliquid --url URL`: the full live path (signed orders over the
WebSocket, reconciliation, journal) against a separately started `hlofi sim-exchange`,
both real processes, as an operator would point it at a private node."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
from pathlib import Path

import pytest

from hyperliquid_ofi_trader.venues.hyperliquid.signing.keys import SecretKey, generate_throwaway_key
from tests.integration.operator_support import HLOFI, fast_config, hlofi

pytestmark = pytest.mark.timeout(240)

_LISTENING = re.compile(r"on (http://127\.0\.0\.1:\d+)")


def _start_emulator(key: SecretKey) -> tuple[subprocess.Popen[str], str]:
    args = [*HLOFI, "sim-exchange", "--port", "0", "--seed", "4"]
    by_flag = "--fund" in hlofi("sim-exchange", "--help").stdout
    if by_flag:
        args += ["--fund", key.address]  # emulators that open accounts only when funded
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    for _ in range(20):
        match = _LISTENING.search(proc.stdout.readline())
        if match:
            if not by_flag:
                _open_by_first_action(key, match.group(1))
            return proc, match.group(1)
    proc.kill()
    raise AssertionError(f"the emulator did not say where it listens: {proc.communicate()}")


def _open_by_first_action(key: SecretKey, url: str) -> None:
    """Emulators that open an account at its first signed action (the faucet testnet's
    behaviour): one harmless signed action, sent by the official SDK, funds it."""
    from eth_account import Account
    from hyperliquid.exchange import Exchange

    Exchange(Account.from_key(key.reveal()), url).schedule_cancel(None)


def test_run_against_a_separately_started_emulator_by_url(tmp_path: Path) -> None:
    key = generate_throwaway_key()
    emulator, url = _start_emulator(key)
    try:
        env = {**os.environ, "HLOFI_PRIVATE_KEY": key.reveal().hex()}
        done = subprocess.run(
            [*HLOFI, "run", "--venue", "hyperliquid", "--url", url, "--duration", "30",
             "--json", "--config", str(fast_config(tmp_path)), "--run-dir",
             str(tmp_path / "run")],
            capture_output=True, text=True, timeout=150, env=env, check=False)
    finally:
        emulator.send_signal(signal.SIGINT)
        emulator.communicate(timeout=30)
    assert done.returncode == 0, done.stderr[-3000:]
    summary = json.loads(done.stdout)
    assert url in summary["venue_note"]
    assert summary["network"] == "testnet"
    assert summary["account"] == key.address.lower()
    assert summary["connects"] >= 1
    assert summary["engine"]["outcomes"].get("submit", 0) > 0
    assert summary["gateway"]["answered"] > 0
    assert key.reveal().hex() not in done.stdout + done.stderr


@pytest.mark.parametrize(("args", "message"), [
    (["--url", "http://127.0.0.1:9"], "use it with --venue hyperliquid"),
    (["--venue", "hyperliquid", "--url", "ftp://x"], "--url must be an http(s) API base"),
])
def test_bad_url_use_is_one_clear_line(args: list[str], message: str) -> None:
    res = hlofi("run", "--duration", "5", *args)
    assert res.returncode == 1
    assert message in " ".join(res.stderr.split())
    assert "Traceback" not in res.stderr


def test_paper_and_record_refuse_a_bad_url_in_one_line(tmp_path: Path) -> None:
    res = hlofi("paper", "--url", "ftp://x", "--duration", "5")
    assert res.returncode == 1
    assert "not a usable URL" in res.stderr
    res = hlofi("record", "--coins", "BTC", "--out", str(tmp_path / "rec"), "--url",
                "gopher://x")
    assert res.returncode == 2
    assert "not a usable URL" in res.stderr
    assert "Traceback" not in res.stderr


def test_record_takes_an_api_base_url(tmp_path: Path) -> None:
    key = generate_throwaway_key()
    emulator, url = _start_emulator(key)
    try:
        res = hlofi("record", "--coins", "BTC", "--out", str(tmp_path / "rec"), "--url", url,
                    "--duration", "3", "--quiet")
    finally:
        emulator.send_signal(signal.SIGINT)
        emulator.communicate(timeout=30)
    assert res.returncode == 0, res.stderr
    assert "recorded" in res.stdout
    assert " 0 frames" not in res.stdout
