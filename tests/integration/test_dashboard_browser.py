"""The live web dashboard in a real browser (headless Chromium driven by Playwright).

One `hlofi run` against the emulator, started as a user starts it with `--ui-port 0`;
the page must load, its charts must grow, a decision must open its explanation, control
without the token must be refused, and the kill button must halt the run within a second
(the journal's HALTED state change is timed against the click). The run then ends with
the distinct HALTED exit code.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.plumbing import EAGER_COSTS_YAML

CHROMIUM = os.environ.get("HLOFI_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
# The dashboard is under test, not the economics: the cheapest fee tier without safety
# margins, so that orders and fills appear within the run (as in test_main_job).
FAST_WARMUP = """
regime:
  volatility:
    halflife_ms: 2000
  liquidity:
    min_dwell_ms: 1000
""" + EAGER_COSTS_YAML
_KEY_LIKE = re.compile(r"(?i)(?<![0-9a-f])(0x)?[0-9a-f]{64}(?![0-9a-f])")
_URL = re.compile(r"dashboard: (http://127\.0\.0\.1:\d+/)#token=(\S+)")

# Locally a missing browser skips (with the reason); in CI, where scripts/test.sh installs
# it, a missing browser is a failure: the dashboard must be tested there.
_IN_CI = os.environ.get("CI", "").lower() == "true"
pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists() and not _IN_CI,
                                reason=f"no Chromium at {CHROMIUM} (scripts/test.sh installs "
                                "it as root or under CI=true)")


@dataclass
class Run:
    proc: subprocess.Popen[str]
    url: str
    token: str
    run_dir: Path


def _start(tmp_path: Path) -> Run:
    config = tmp_path / "config"
    config.mkdir()
    (config / "thresholds.yaml").write_text(FAST_WARMUP)
    run_dir = tmp_path / "run"
    proc = subprocess.Popen(
        [sys.executable, "-m", "hyperliquid_ofi_trader.main", "run", "--duration", "90",
         "--json", "--config", str(config), "--run-dir", str(run_dir), "--seed", "3",
         "--ui-port", "0"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stderr is not None
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        line = proc.stderr.readline()
        match = _URL.search(line)
        if match:
            return Run(proc, match.group(1), match.group(2), run_dir)
        if not line and proc.poll() is not None:
            break
    proc.kill()
    pytest.fail(f"no dashboard URL printed; stderr: {proc.stderr.read()[-2000:]}")


@pytest.fixture
def run(tmp_path: Path) -> Iterator[Run]:
    r = _start(tmp_path)
    try:
        yield r
    finally:
        if r.proc.poll() is None:
            r.proc.kill()
            r.proc.wait(timeout=10)


def _post(url: str, headers: dict[str, str]) -> int:
    req = urllib.request.Request(url + "api/control", data=b'{"command": "kill"}',
                                 headers=headers, method="POST")
    try:
        with urllib.request.urlopen(req, timeout=5) as resp:
            return int(resp.status)
    except urllib.error.HTTPError as exc:
        return exc.code


def _assert_no_key_served(url: str) -> None:
    """A private key is 32 bytes (64 hex digits); nothing the dashboard serves is that long
    in hex (cloids are 32, addresses 40), so no key can hide in a response."""
    with urllib.request.urlopen(url, timeout=5) as resp:
        body = resp.read().decode()
    assert not _KEY_LIKE.search(body), url


def _halted_ns(run_dir: Path) -> int | None:
    conn = sqlite3.connect(f"{(run_dir / 'journal.sqlite').as_uri()}?mode=ro", uri=True)
    try:
        row = conn.execute("SELECT MIN(local_ns) FROM state_changes WHERE to_state = 'HALTED'"
                           " AND reason LIKE '%dashboard: kill button%'").fetchone()
    finally:
        conn.close()
    return None if row is None or row[0] is None else int(row[0])


@pytest.mark.timeout(170)
def test_dashboard_in_a_browser(run: Run, tmp_path: Path) -> None:
    from playwright.sync_api import expect, sync_playwright

    from hyperliquid_ofi_trader.runtime.registry import RunRegistry

    # `hlofi status` finds the dashboard through the run registry (never its token).
    deadline = time.monotonic() + 20  # the run registers once it has started
    while not (entries := RunRegistry().select(run_dir=run.run_dir)):
        assert time.monotonic() < deadline, "the run never registered"
        time.sleep(0.1)
    assert [e.ui_url for e in entries] == [run.url]
    registered = "".join(p.read_text() for p in RunRegistry().root.glob("*.json"))
    assert registered
    assert run.token not in registered
    # Reads are open; control without the token (or with a wrong one) is refused.
    assert _post(run.url, {}) == 401
    assert _post(run.url, {"Authorization": "Bearer not-the-token"}) == 403
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1500, "height": 1300})
        page.goto(f"{run.url}#token={run.token}")
        expect(page.locator("#state")).to_have_text("ACTIVE", timeout=30_000)
        expect(page.locator("#markets tbody tr")).to_have_count(2, timeout=10_000)
        shown = subprocess.run([sys.executable, "-m", "hyperliquid_ofi_trader.main", "status"],
                               capture_output=True, text=True, timeout=30, check=False)
        assert f"dashboard {run.url} " in shown.stdout, shown.stdout + shown.stderr
        expect(page.locator("#synthetic")).to_be_visible()
        # Charts update: the point count grows while we watch.
        page.wait_for_function("window.hlofiCharts && window.hlofiCharts[0].points > 2")
        before = page.evaluate("window.hlofiCharts[0].points")
        page.wait_for_function(f"window.hlofiCharts[0].points > {before + 2}", timeout=10_000)
        assert page.locator(".chart canvas").count() >= 7
        # A decision opens its explanation: the same chain `hlofi explain` prints.
        link = page.locator("#decisions a.decision").first
        expect(link).to_be_visible(timeout=15_000)
        decision = link.get_attribute("data-decision")
        link.click()
        expect(page.locator("#explain")).to_be_visible()
        expect(page.locator("#explain-text")).to_contain_text(f"decision {decision}")
        expect(page.locator("#explain-text")).to_contain_text("outcome")
        page.locator("#explain .close").click()
        # An order or fill names its decision too (wait for the router to trade).
        expect(page.locator("#orders a.decision").first).to_be_visible(timeout=30_000)
        for path in ("api/snapshot", "api/history", f"api/explain/{decision}"):
            _assert_no_key_served(run.url + path)
        page.screenshot(path=str(tmp_path / "dashboard.png"), full_page=True)
        shot = os.environ.get("HLOFI_DASHBOARD_SCREENSHOT")
        if shot:
            shutil.copy(tmp_path / "dashboard.png", shot)
        # The kill button halts the run within one second of the click.
        page.on("dialog", lambda d: d.accept())
        clicked_ns = time.time_ns()
        page.locator("#kill").click()
        expect(page.locator("#state")).to_have_text("HALTED", timeout=5_000)
        # The run's own acknowledgement (the channel `hlofi kill` confirms with).
        expect(page.locator("#message")).to_contain_text("HALTED", timeout=5_000)
        expect(page.locator("#message")).to_contain_text("s after the click")
        browser.close()
    halted_ns = None
    deadline = time.monotonic() + 5  # the journal commits its batch every second
    while halted_ns is None and time.monotonic() < deadline:
        time.sleep(0.2)
        halted_ns = _halted_ns(run.run_dir)
    assert halted_ns is not None
    assert halted_ns - clicked_ns < 1_000_000_000, (halted_ns - clicked_ns) / 1e9
    # Stop the run: it ended HALTED, so it says so with its own exit code.
    run.proc.send_signal(signal.SIGINT)
    out, err = run.proc.communicate(timeout=60)
    assert run.proc.returncode == 3, err[-2000:]
    assert "ended HALTED" in err
    assert json.loads(out)["engine"]["trading_state"] == "HALTED"
