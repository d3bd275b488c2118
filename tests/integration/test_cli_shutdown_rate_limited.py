"""A real `hlofi run` process against its emulator while the venue rate-limits 70 % of all
actions (issue 11, items 2 and 6): the run slows down instead of storming (no more status
queries or cancels than orders), a SIGTERM ends it within its shutdown deadline with every
order it still has named in the summary and the journal, and a second SIGTERM makes the
exit fast but still journaled."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import orjson
import pytest

from tests.plumbing import EAGER_COSTS_YAML

pytestmark = pytest.mark.timeout(150)

HLOFI = Path(sys.executable).parent / "hlofi"
# Regimes settle in seconds instead of minutes, so the run trades early.
FAST_THRESHOLDS = """\
regime:
  volatility:
    halflife_ms: 2000
  liquidity:
    min_dwell_ms: 1000
""" + EAGER_COSTS_YAML
SHUTDOWN_DEADLINE_S = 15.0  # RunOptions.shutdown_timeout_s
EXIT_OK = (0, 3)  # 3: the run ended HALTED (the kill switch may trip under refusals)


def _start(tmp_path: Path, faults: str = "rate_limit:probability=0.7"
           ) -> tuple[subprocess.Popen[bytes], Path]:
    config = tmp_path / "config"
    config.mkdir()
    (config / "thresholds.yaml").write_text(FAST_THRESHOLDS)
    run_dir = tmp_path / "run"
    env = {**os.environ, "HLOFI_SIM_FAULTS": faults,
           "HLOFI_STATE_DIR": str(tmp_path / "state")}
    proc = subprocess.Popen(
        [str(HLOFI), "run", "--duration", "120", "--json", "--config", str(config),
         "--run-dir", str(run_dir), "--seed", "3"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    return proc, run_dir


def _orders_in_journal(run_dir: Path) -> int:
    path = run_dir / "journal.sqlite"
    if not path.exists():
        return 0
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=0.2)
        try:
            return int(conn.execute("SELECT COUNT(*) FROM orders").fetchone()[0])
        finally:
            conn.close()
    except sqlite3.Error:
        return 0  # not created yet, or busy: ask again


def _wait_for_orders(proc: subprocess.Popen[bytes], run_dir: Path, n: int,
                     timeout_s: float = 60.0) -> None:
    deadline = time.monotonic() + timeout_s
    while _orders_in_journal(run_dir) < n:
        assert proc.poll() is None, proc.stderr.read().decode() if proc.stderr else ""
        assert time.monotonic() < deadline, "the run placed no order"
        time.sleep(0.5)


def _finish(proc: subprocess.Popen[bytes], within_s: float) -> tuple[dict[str, Any], str]:
    try:
        out, err = proc.communicate(timeout=within_s)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
        pytest.fail(f"the run did not end within {within_s:.0f} s of SIGTERM:\n"
                    f"{err.decode()[-3000:]}")
    assert proc.returncode in EXIT_OK, err.decode()[-3000:]
    assert b"Traceback" not in err
    return orjson.loads(out), err.decode()


def _journaled_left_open(run_dir: Path) -> list[str]:
    conn = sqlite3.connect(run_dir / "journal.sqlite")
    try:
        rows = conn.execute("SELECT message FROM errors WHERE stage = 'shutdown' AND "
                            "error_type = 'order_left_open'").fetchall()
    finally:
        conn.close()
    return [r[0] for r in rows]


def test_sigterm_under_rate_limiting_ends_in_time_without_a_storm(tmp_path: Path) -> None:
    proc, run_dir = _start(tmp_path)
    try:
        _wait_for_orders(proc, run_dir, 10)
        time.sleep(3.0)  # let refusals pile up while trading
        proc.send_signal(signal.SIGTERM)
        sent = time.monotonic()
        summary, _ = _finish(proc, SHUTDOWN_DEADLINE_S + 15.0)
        took = time.monotonic() - sent
    finally:
        if proc.poll() is None:
            proc.kill()
    shutdown = summary["shutdown"]
    assert not shutdown["forced"]
    assert shutdown["duration_s"] <= SHUTDOWN_DEADLINE_S + 1.0
    assert took < SHUTDOWN_DEADLINE_S + 10.0
    left = shutdown["open_orders"]
    journaled = _journaled_left_open(run_dir)
    assert len(journaled) == len(left)
    for order in left:
        assert any(order["cloid"] in message for message in journaled)
    counts = summary["execution"]["orders"]["counts"]
    orders = sum(v for k, v in counts.items() if k.startswith("submitted:"))
    assert orders > 0
    assert summary["gateway"]["rate_refusals"] > 0  # the venue did refuse
    assert counts.get("query", 0) <= orders
    assert counts.get("cancel", 0) <= orders


def test_a_second_sigterm_forces_a_fast_still_journaled_exit(tmp_path: Path) -> None:
    # Every answer comes 4 s late, so a graceful shutdown would wait for its cancels.
    proc, run_dir = _start(tmp_path, "delay_acks:delay_s=4")
    try:
        _wait_for_orders(proc, run_dir, 5)
        proc.send_signal(signal.SIGTERM)
        time.sleep(0.3)
        proc.send_signal(signal.SIGTERM)
        sent = time.monotonic()
        summary, err = _finish(proc, 10.0)
        took = time.monotonic() - sent
    finally:
        if proc.poll() is None:
            proc.kill()
    assert summary["shutdown"]["forced"]
    assert took < 8.0
    assert "second stop request" in err
    assert len(_journaled_left_open(run_dir)) == len(summary["shutdown"]["open_orders"])
    assert summary["engine"]["decisions"] > 0  # the journal was flushed
