"""The terminal view during a real `hlofi run`, in an 80×24 pseudo-terminal: every frame it
draws fits 80 columns, keeps the SYNTHETIC banner, counts down the remaining time, and the
run ends normally (a view that raised would have broken the run's status timer)."""

from __future__ import annotations

import fcntl
import os
import pty
import re
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

import pytest

from tests.integration.test_main_job import FAST_WARMUP

_ANSI = re.compile(rb"\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07]*\x07")


def _read_all(fd: int, proc: subprocess.Popen[bytes], timeout_s: float) -> bytes:
    out = bytearray()
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            chunk = os.read(fd, 65536)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        out += chunk
    proc.wait(timeout=30)
    return bytes(out)


@pytest.mark.timeout(120)
def test_live_view_fits_an_80_by_24_terminal_during_a_run(tmp_path: Path) -> None:
    config = tmp_path / "config"
    config.mkdir()
    (config / "thresholds.yaml").write_text(FAST_WARMUP)
    parent, child = pty.openpty()
    fcntl.ioctl(child, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES")}
    env["TERM"] = "xterm-256color"
    proc = subprocess.Popen(
        [sys.executable, "-m", "hyperliquid_ofi_trader.main", "run", "--duration", "8",
         "--config", str(config), "--run-dir", str(tmp_path / "run"), "--seed", "3"],
        stdin=child, stdout=child, stderr=child, env=env, close_fds=True)
    os.close(child)
    try:
        raw = _read_all(parent, proc, timeout_s=90)
    finally:
        os.close(parent)
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, raw[-2000:].decode(errors="replace")
    text = _ANSI.sub(b"", raw).decode(errors="replace")
    view = text.split("run summary")[0]
    lines = [line.rstrip() for line in re.split(r"[\r\n]+", view) if line.strip()]
    assert lines
    assert max(len(line) for line in lines) <= 80, max(lines, key=len)
    assert "SYNTHETIC market" in view
    assert re.search(r"0m0[0-9]s left", view)
    assert "open orders" in view
