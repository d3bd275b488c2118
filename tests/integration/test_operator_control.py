"""`hlofi kill`, `resume` and `status` from another shell, against real `hlofi run`
processes on the emulator: the commands find the running system on their own, confirm
what happened, fail loudly when nothing runs, and a kill outlives SIGKILL and restarts.

Every test has its own HLOFI_STATE_DIR (tests/conftest.py), inherited by the processes."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest

from hyperliquid_ofi_trader.cli.run import EXIT_HALTED
from hyperliquid_ofi_trader.risk.control import read_ack
from hyperliquid_ofi_trader.risk.halt_store import HALT_FILE
from hyperliquid_ofi_trader.runtime.registry import RunRegistry, state_dir
from hyperliquid_ofi_trader.runtime.status import read_status
from tests.integration.operator_support import (
    HLOFI,
    fast_config,
    hlofi,
    sigkill,
    start_run,
    stop_run,
    wait_registered,
)

pytestmark = pytest.mark.timeout(240)


def _control_written_ns(run_dir: Path) -> int:
    written: int = json.loads((run_dir / "control.json").read_bytes())["written_ns"]
    return written


def _orders_after(run_dir: Path, since_ns: int) -> int:
    conn = sqlite3.connect(run_dir / "journal.sqlite")
    try:
        row = conn.execute("SELECT COUNT(*) FROM orders WHERE created_ns > ?",
                           (since_ns,)).fetchone()
    finally:
        conn.close()
    return int(row[0])


def test_nothing_running_kill_resume_status_fail_clearly() -> None:
    for command in (["kill"], ["resume"], ["status"]):
        res = hlofi(*command)
        assert res.returncode == 1, (command, res.stdout, res.stderr)
        assert "no running hlofi system found" in res.stderr
        assert "Traceback" not in res.stderr
    res = hlofi("status", "--json")
    assert res.returncode == 1
    assert json.loads(res.stdout)["runs"] == []


def test_kill_with_no_args_halts_the_running_run_and_status_shows_it(tmp_path: Path) -> None:
    run_dir = tmp_path / "run"
    proc = start_run(["--duration", "120", "--config", str(fast_config(tmp_path)),
                      "--run-dir", str(run_dir), "--seed", "3"])
    try:
        entry, _ = wait_registered(proc, run_dir)
        res = hlofi("status")
        assert res.returncode == 0, res.stderr
        assert f"pid {entry.pid}" in res.stdout
        assert "state     ACTIVE" in res.stdout
        assert "PnL USD   gross" in res.stdout
        res = hlofi("kill", "--reason", "drill")
        assert res.returncode == 0, res.stderr
        assert f"halted pid {entry.pid}" in res.stdout
        ack = read_ack(run_dir / "control_ack.json")
        assert ack is not None
        assert ack.trading_state == "HALTED"
        # From the command being written to the engine being HALTED: within one second.
        assert ack.applied_ns - _control_written_ns(run_dir) < 1_000_000_000
        res = hlofi("status", "--json")
        assert res.returncode == 0, res.stderr
        [run] = json.loads(res.stdout)["runs"]
        assert run["pid"] == entry.pid
        assert run["trading_state"] == "HALTED"
        assert "drill" in (run["durable_halt"] or "")
        assert {"gross", "fees", "net"} <= set(run["pnl"])
        assert run["feed"]["healthy"] is True
        assert run["last_decisions"], run
    finally:
        summary, _ = stop_run(proc)
    assert summary["engine"]["trading_state"] == "HALTED"
    assert not RunRegistry(state_dir()).running()  # a run that ended leaves the registry
    assert read_status(run_dir / "status.json").running is False
    res = hlofi("kill")  # a finished run is not "killed" again
    assert res.returncode == 1
    res = hlofi("status", "--run-dir", str(run_dir))  # its last status, marked stopped
    assert res.returncode == 1
    assert "the run is not running" in res.stdout
    assert "STOPPED" in res.stdout
    assert "state     HALTED" in res.stdout


def test_kill_then_sigkill_then_restart_stays_halted_until_resume(tmp_path: Path) -> None:
    # As a user does it: no --run-dir, so each start gets a fresh runs/run-<time> folder
    # and (on the emulator) a fresh throwaway key; the halt must hold all the same.
    args = ["--duration", "120", "--config", str(fast_config(tmp_path))]
    proc = start_run(args, cwd=tmp_path)
    try:
        wait_registered(proc, None)
        res = hlofi("kill")
        assert res.returncode == 0, res.stderr
    finally:
        sigkill(proc)
    time.sleep(1.1)  # run folders are named to the second
    proc = start_run(args, cwd=tmp_path)
    try:
        entry, status = wait_registered(proc, None, state="HALTED")
        assert status.durable_halt
        run_dir = Path(entry.run_dir)
        assert _orders_after(run_dir, entry.started_ns) == 0
        res = hlofi("resume", "--pid", str(entry.pid))
        assert res.returncode == 0, res.stderr
        assert "resumed" in res.stdout
        assert read_status(run_dir / "status.json").trading_state == "ACTIVE"
        assert not (run_dir / HALT_FILE).exists()
        assert not list((state_dir() / "halts").glob("*.json"))
        res = hlofi("resume")
        assert res.returncode == 1  # already ACTIVE: nothing to resume
        assert "not halted" in res.stderr
    finally:
        summary, stderr = stop_run(proc)
    assert "starting HALTED" in stderr
    assert summary["engine"]["trading_state"] == "ACTIVE"
    changes = [(c["to"], c["reason"]) for c in summary["state_changes"]]
    assert any(to == "HALTED" and "durable halt" in why for to, why in changes), changes
    assert len(list((tmp_path / "runs").iterdir())) == 2


def test_a_kill_written_while_nothing_ran_applies_at_the_next_start(tmp_path: Path) -> None:
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    res = hlofi("kill", "--run-dir", str(run_dir), "--reason", "weekend")
    assert res.returncode == 3, res.stderr  # recorded, nothing halted now: not a success
    assert "nothing was halted now" in res.stderr
    done = subprocess.run(
        [*HLOFI, "run", "--json", "--duration", "15",
         "--config", str(fast_config(tmp_path)), "--run-dir", str(run_dir)],
        capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == EXIT_HALTED, done.stderr[-3000:]
    assert "starting HALTED" in done.stderr
    summary = json.loads(done.stdout)
    assert summary["engine"]["trading_state"] == "HALTED"
    assert summary["engine"]["outcomes"].get("submit", 0) == 0
    assert summary["engine"]["outcomes"].get("halted", 0) > 0


def test_with_two_runs_kill_halts_both_and_resume_needs_a_pick(tmp_path: Path) -> None:
    config = fast_config(tmp_path)
    dirs = [tmp_path / "a", tmp_path / "b"]
    procs = [start_run(["--duration", "120", "--config", str(config), "--run-dir", str(d),
                        "--seed", str(i + 1)]) for i, d in enumerate(dirs)]
    try:
        entries = [wait_registered(p, d)[0] for p, d in zip(procs, dirs, strict=True)]
        res = hlofi("status", "--json")
        assert res.returncode == 0, res.stderr
        assert sorted(r["pid"] for r in json.loads(res.stdout)["runs"]) == \
            sorted(e.pid for e in entries)
        res = hlofi("kill")
        assert res.returncode == 0, res.stderr
        for entry in entries:
            assert f"halted pid {entry.pid}" in res.stdout
        res = hlofi("resume")
        assert res.returncode == 2
        assert "resume one at a time" in res.stderr
        res = hlofi("resume", "--run-dir", str(dirs[0]))
        assert res.returncode == 0, res.stderr
        assert read_status(dirs[0] / "status.json").trading_state == "ACTIVE"
        assert read_status(dirs[1] / "status.json").trading_state == "HALTED"
    finally:
        summaries = [stop_run(p)[0] for p in procs]
    assert [s["engine"]["trading_state"] for s in summaries] == ["ACTIVE", "HALTED"]


def test_a_run_that_cannot_register_refuses_to_start(tmp_path: Path) -> None:
    # A run nobody could find with `hlofi kill` must not trade.
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("x")
    env = {**os.environ, "HLOFI_STATE_DIR": str(blocker)}
    done = subprocess.run([*HLOFI, "run", "--json", "--duration", "5", "--run-dir",
                           str(tmp_path / "run")], capture_output=True, text=True,
                          timeout=120, env=env, check=False)
    assert done.returncode == 1
    assert "cannot register the run" in " ".join(done.stderr.split())
    assert "Traceback" not in done.stderr
