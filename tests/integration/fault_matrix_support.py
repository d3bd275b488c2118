"""Real processes for the fault-and-restart matrix: a separately started `hlofi sim-exchange`,
`hlofi run --venue hyperliquid --url` traders against it, and the audit that compares what
the venue saw (its info endpoint: `historicalOrders`, `userFillsByTime`, `openOrders`) with
the trader's journal (orders, fills, decisions).

Shared by `tests/integration/test_fault_matrix.py` and `bench/fault_matrix.py` (which
prints the matrix), so the figures in the closing note are the ones the tests assert on.
"""

from __future__ import annotations

import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, Protocol

from hyperliquid_ofi_trader.core.engine import Outcome
from hyperliquid_ofi_trader.core.journal import LOST_OUTCOME
from hyperliquid_ofi_trader.runtime.status import StatusError, read_status
from hyperliquid_ofi_trader.venues.hyperliquid.signing.keys import PRIVATE_KEY_ENV, SecretKey
from tests.plumbing import EAGER_COSTS_YAML

HLOFI: Final = [sys.executable, "-m", "hyperliquid_ofi_trader.main"]
FAST_WARMUP: Final = """
regime:
  volatility: {halflife_ms: 2000}
  liquidity: {min_dwell_ms: 1000}
""" + EAGER_COSTS_YAML
_LISTENING: Final = re.compile(r"on (http://127\.0\.0\.1:\d+)")
_S: Final = 1_000_000_000
# An order row must cite the decision taken just before it, in the same process.
DECISION_TO_ORDER_MAX_NS: Final = 5 * _S


class VenueInfo(Protocol):
    def info(self, body: dict[str, Any]) -> Any: ...


class HttpVenue:
    """An emulator's public info endpoint and its loopback control endpoint, over HTTP."""

    def __init__(self, url: str) -> None:
        self.url = url

    def info(self, body: dict[str, Any]) -> Any:
        return _post_json(self.url + "/info", body)

    def control(self, command: dict[str, Any]) -> Any:
        return _post_json(self.url + "/_control", command)


class Emulator(HttpVenue):
    """`hlofi sim-exchange` in its own process, funded for one account."""

    def __init__(self, account: str, *, seed: int, faults: tuple[str, ...] = ()) -> None:
        args = [*HLOFI, "sim-exchange", "--port", "0", "--seed", str(seed),
                "--fund", account]
        for fault in faults:
            args += ["--fault", fault]
        env = {k: v for k, v in os.environ.items() if k != "HLOFI_SIM_FAULTS"}
        # stderr to a file and stdout drained by a thread: a full pipe would block it.
        self._stderr = tempfile.TemporaryFile("w+")  # noqa: SIM115 (closed by stop)
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=self._stderr,
                                     text=True, env=env)
        super().__init__(self._listening_url())
        threading.Thread(target=self._drain, daemon=True).start()

    def _drain(self) -> None:
        assert self.proc.stdout is not None
        for _ in self.proc.stdout:
            pass

    def stderr_tail(self) -> str:
        self._stderr.seek(0)
        return self._stderr.read()[-3000:]

    def info(self, body: dict[str, Any]) -> Any:
        try:
            return super().info(body)
        except urllib.error.URLError as exc:
            raise AssertionError(f"the emulator does not answer ({exc}; exit code "
                                 f"{self.proc.poll()}): {self.stderr_tail()}") from exc

    def _listening_url(self) -> str:
        assert self.proc.stdout is not None
        for _ in range(40):
            line = self.proc.stdout.readline()
            match = _LISTENING.search(line)
            if match:
                return match.group(1)
            if not line and self.proc.poll() is not None:
                break
        self.proc.kill()
        self.proc.communicate()
        raise AssertionError(f"the emulator did not say where it listens: "
                             f"{self.stderr_tail()}")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=30)
        self._stderr.close()


def _post_json(url: str, body: dict[str, Any], *, patience_s: float = 90.0) -> Any:
    """POST and decode; a 429 (the traders' start-ups spent the shared loopback IP's
    weight budget) is waited out, as the venue asks, up to `patience_s`."""
    request = urllib.request.Request(url, data=json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json"})
    deadline = time.monotonic() + patience_s
    while True:
        try:
            with urllib.request.urlopen(request, timeout=30) as answer:
                return json.loads(answer.read())
        except urllib.error.HTTPError as exc:
            if exc.code != 429 or time.monotonic() > deadline:
                raise
        time.sleep(2.0)


class TraderSetup:
    """Where a trader's run lives: the same run folder and account across restarts. Every
    process it starts is killed by `close` if still running (a failed test or an
    interrupted bench leaves no trader behind)."""

    def __init__(self, url: str, key: SecretKey, root: Path) -> None:
        self.url = url
        self.key = key
        self.root = root  # holds config/, run/ and state/
        self.procs: list[subprocess.Popen[str]] = []

    def __enter__(self) -> TraderSetup:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.kill()
                proc.communicate(timeout=30)

    @property
    def run_dir(self) -> Path:
        return self.root / "run"

    @property
    def journal(self) -> Path:
        return self.run_dir / "journal.sqlite"

    def env(self) -> dict[str, str]:
        return {**os.environ, PRIVATE_KEY_ENV: self.key.reveal().hex(),
                "HLOFI_STATE_DIR": str(self.root / "state")}

    def start(self, duration_s: float) -> subprocess.Popen[str]:
        config = self.root / "config"
        config.mkdir(parents=True, exist_ok=True)
        (config / "thresholds.yaml").write_text(FAST_WARMUP)
        proc = subprocess.Popen(
            [*HLOFI, "run", "--venue", "hyperliquid", "--url", self.url, "--config",
             str(config), "--run-dir", str(self.run_dir), "--duration", str(duration_s),
             "--json"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            env=self.env())
        self.procs.append(proc)
        return proc

    def state(self) -> str | None:
        """The run's trading state from its status file (None before the first write)."""
        try:
            return read_status(self.run_dir / "status.json").trading_state
        except (StatusError, OSError):
            return None


def finish(proc: subprocess.Popen[str], timeout_s: float) -> tuple[int, dict[str, Any], str]:
    """Wait for a trader to end: exit code, JSON summary ({} if none) and stderr."""
    out, err = proc.communicate(timeout=timeout_s)
    try:
        summary: dict[str, Any] = json.loads(out) if out.strip() else {}
    except json.JSONDecodeError:
        summary = {}
    return proc.returncode, summary, err


def sigkill(proc: subprocess.Popen[str]) -> None:
    proc.kill()
    proc.communicate(timeout=30)


@dataclass(slots=True)
class Audit:
    """What the venue saw against what the journal says, one account, one run folder."""

    venue_orders: int = 0
    venue_fills: int = 0
    journal_orders: int = 0
    duplicated_orders: int = 0  # one cloid as two venue orders, or one intent sent twice
    missing_orders: int = 0  # venue orders with no order row
    orders_without_decision: int = 0  # order row citing no decision, or not its own
    fills_without_order: int = 0  # venue fills whose order has no order row
    fills_not_journaled: int = 0  # venue fills missing from the journal's fills
    open_orders: int = 0  # resting at the venue now
    lost_decisions: int = 0  # decisions recovered as `lost` after a crash
    problems: list[str] = field(default_factory=list)

    @property
    def exact(self) -> bool:
        return not (self.duplicated_orders or self.missing_orders
                    or self.orders_without_decision or self.fills_without_order
                    or self.fills_not_journaled)


def venue_fills(emulator: VenueInfo, account: str) -> list[dict[str, Any]]:
    """Every fill of the account, oldest first (paginated as the venue asks)."""
    fills: dict[tuple[str, int], dict[str, Any]] = {}
    start = 0
    while True:
        page = emulator.info({"type": "userFillsByTime", "user": account,
                              "startTime": start})
        fills.update(((f["coin"], f["tid"]), f) for f in page)
        if len(page) < 2000:  # the venue's page size: a short page is the last
            return list(fills.values())
        start = page[-1]["time"]


def audit(emulator: VenueInfo, account: str, journal: Path) -> Audit:
    history = emulator.info({"type": "historicalOrders", "user": account})
    assert len(history) < 2000, "more orders than one historicalOrders answer holds"
    fills = venue_fills(emulator, account)
    result = Audit(venue_fills=len(fills),
                   open_orders=len(emulator.info({"type": "openOrders", "user": account})))
    oids_by_cloid: dict[str, set[int]] = {}
    cloid_by_oid: dict[int, str] = {}
    intents: dict[str, tuple[str, str, str, str]] = {}
    for entry in history:
        order = entry["order"]
        cloid = order.get("cloid")
        oid = int(order["oid"])
        if cloid is None:
            result.problems.append(f"venue order {oid} carries no cloid")
            continue
        oids_by_cloid.setdefault(cloid, set()).add(oid)
        cloid_by_oid[oid] = cloid
        intents[cloid] = (order["coin"], order["side"], order["limitPx"], order["origSz"])
    result.venue_orders = len(cloid_by_oid)
    result.duplicated_orders = sum(len(o) - 1 for o in oids_by_cloid.values())
    _compare_journal(result, journal, oids_by_cloid, cloid_by_oid, fills, intents)
    return result


def _compare_journal(result: Audit, journal: Path, oids_by_cloid: dict[str, set[int]],
                     cloid_by_oid: dict[int, str], fills: list[dict[str, Any]],
                     intents: dict[str, tuple[str, str, str, str]]) -> None:
    conn = sqlite3.connect(f"file:{journal}?mode=ro", uri=True)
    try:
        orders = {c: (d, created) for c, d, created in conn.execute(
            "SELECT cloid, decision_id, created_ns FROM orders")}
        decisions = {i: (outcome, ns) for i, outcome, ns in conn.execute(
            "SELECT id, outcome, local_ns FROM decisions")}
        journaled_fills = {(coin, tid): cloid for coin, tid, cloid in conn.execute(
            "SELECT coin, tid, cloid FROM fills")}
    finally:
        conn.close()
    result.journal_orders = len(orders)
    result.lost_decisions = sum(1 for o, _ in decisions.values() if o == LOST_OUTCOME)
    sent: Counter[tuple[int, tuple[str, str, str, str]]] = Counter()
    for cloid in oids_by_cloid:
        row = orders.get(cloid)
        if row is None:
            result.missing_orders += 1
            result.problems.append(f"venue order {cloid} has no order row")
            continue
        decision_id, created_ns = row
        decision = decisions.get(decision_id)
        if (decision is None or decision[0] not in (Outcome.SUBMIT, LOST_OUTCOME)
                or not 0 <= created_ns - decision[1] < DECISION_TO_ORDER_MAX_NS):
            result.orders_without_decision += 1
            result.problems.append(f"order {cloid} cites decision {decision_id}: {decision}")
        sent[(decision_id, intents[cloid])] += 1
    # The same decision placing the same order twice (a resend after a crash or an
    # unknown outcome) shows as two cloids with one decision and one coin/side/px/size.
    result.duplicated_orders += sum(n - 1 for n in sent.values() if n > 1)
    for fill in fills:
        fill_cloid: str | None = fill.get("cloid") or cloid_by_oid.get(int(fill["oid"]))
        if fill_cloid is None or fill_cloid not in orders:
            result.fills_without_order += 1
            result.problems.append(f"venue fill {fill['tid']} maps to no order row")
        elif journaled_fills.get((fill["coin"], fill["tid"])) != fill_cloid:
            result.fills_not_journaled += 1
            result.problems.append(f"venue fill {fill['tid']} is not in the journal")


def wait_state(setup: TraderSetup, proc: subprocess.Popen[str], want: set[str],
               timeout_s: float) -> float | None:
    """Seconds until the run's status shows one of `want` (None: not within timeout)."""
    started = time.monotonic()
    while time.monotonic() - started < timeout_s and proc.poll() is None:
        if setup.state() in want:
            return time.monotonic() - started
        time.sleep(0.1)
    return None


def wait_trading(setup: TraderSetup, proc: subprocess.Popen[str], timeout_s: float = 60.0,
                 ) -> None:
    """Until the run has journaled an order (it trades)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        assert proc.poll() is None, f"the run exited early: {proc.communicate()[1][-3000:]}"
        if _order_rows(setup.journal) > 0:
            return
        time.sleep(0.2)
    raise AssertionError(f"no order within {timeout_s} s")


def _order_rows(journal: Path) -> int:
    if not journal.exists():
        return 0
    try:
        conn = sqlite3.connect(f"file:{journal}?mode=ro", uri=True, timeout=1.0)
        try:
            return int(conn.execute("SELECT COUNT(*) FROM orders").fetchone()[0])
        finally:
            conn.close()
    except sqlite3.Error:
        return 0
