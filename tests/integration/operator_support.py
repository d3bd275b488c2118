"""Real `hlofi` processes for the operator tests: start a run, wait until the registry and
its status say it trades, run one-shot commands, stop it (bounded in time)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from hyperliquid_ofi_trader.cli.run import EXIT_HALTED
from hyperliquid_ofi_trader.runtime.registry import RunEntry, RunRegistry, state_dir
from hyperliquid_ofi_trader.runtime.status import RunStatus, StatusError, read_status
from tests.plumbing import EAGER_COSTS_YAML

HLOFI = [sys.executable, "-m", "hyperliquid_ofi_trader.main"]
FAST_WARMUP = """
regime:
  volatility:
    halflife_ms: 2000
  liquidity:
    min_dwell_ms: 1000
""" + EAGER_COSTS_YAML


def fast_config(tmp_path: Path) -> Path:
    config = tmp_path / "config"
    config.mkdir(exist_ok=True)
    (config / "thresholds.yaml").write_text(FAST_WARMUP)
    return config


def start_run(args: Sequence[str], env: dict[str, str] | None = None,
              cwd: Path | None = None) -> subprocess.Popen[str]:
    return subprocess.Popen([*HLOFI, "run", "--json", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, cwd=cwd,
                            env=env if env is not None else dict(os.environ))


def hlofi(*args: str, timeout: float = 60.0) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*HLOFI, *args], capture_output=True, text=True, timeout=timeout,
                          check=False)


def wait_registered(proc: subprocess.Popen[str], run_dir: Path | None, *,
                    timeout: float = 60.0,
                    state: str | None = "ACTIVE") -> tuple[RunEntry, RunStatus]:
    """The run's registry entry and a status showing `state` (None: any)."""
    deadline = time.monotonic() + timeout
    registry = RunRegistry(state_dir())
    while time.monotonic() < deadline:
        assert proc.poll() is None, f"the run exited early: {proc.communicate()[1][-3000:]}"
        for entry in registry.select(run_dir=run_dir):
            try:
                status = read_status(Path(entry.status_file))
            except StatusError:
                continue
            if status.feed.healthy and (state is None or status.trading_state == state):
                return entry, status
        time.sleep(0.1)
    raise AssertionError(f"no registered run from {run_dir} in {state} within {timeout} s")


def stop_run(proc: subprocess.Popen[str], timeout: float = 60.0, *,
             expected_rc: int | None = None) -> tuple[dict[str, Any], str]:
    """SIGTERM, then the run's JSON summary and its stderr. The exit code must be
    `expected_rc`, by default the one the summary calls for: a run that ended HALTED exits
    with `cli.run.EXIT_HALTED` (3), any other with 0."""
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=timeout)
    assert out.strip(), f"no summary (exit code {proc.returncode}): {err[-3000:]}"
    summary: dict[str, Any] = json.loads(out)
    if expected_rc is None:
        halted = summary["engine"]["trading_state"] == "HALTED"
        expected_rc = EXIT_HALTED if halted else 0
    assert proc.returncode == expected_rc, err[-3000:]
    return summary, err


def sigkill(proc: subprocess.Popen[str]) -> None:
    proc.kill()
    proc.communicate(timeout=30)
