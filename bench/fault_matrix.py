"""The fault-and-restart matrix (issue 11): each emulator fault, SIGKILL loops, quick
restarts and a shutdown under rate limiting, run as real processes, judged by the venue.

Every scenario starts its own `hlofi sim-exchange` (a separate process) and runs the real
`hlofi run --venue hyperliquid --url` against it (same account, same run folder across the
scenario's restarts). A fault is armed through the emulator's control endpoint once the
trader has placed its first order. The run's `status.json` is watched to time the
degradation (first state other than ACTIVE after the fault) and the recovery (ACTIVE
again). Afterwards the venue's own records (`historicalOrders`, `userFillsByTime`,
`openOrders`) are compared with the journal (tests/integration/fault_matrix_support.py).

Columns: orders / fills = what the venue saw; dup = one cloid as two venue orders or one
decision's intent sent twice; missing = venue orders without an order row; no-dec = order
rows citing no decision (or another process's); orphan fills = venue fills without an
order row or not journaled; sent / q / cx = placements, status queries and cancels the
(last) run sent, counted by its order manager; degrade /
recover = seconds after the fault was armed; open = orders resting at the venue right
after the last process ended; rc = exit codes (k = SIGKILLed).

Run: .venv/bin/python bench/fault_matrix.py [--only NAME ...] [--seconds 24] [--kills 4]
     [--restarts 10]
Takes ~9 minutes for the whole matrix on 2 cores.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the shared test harness

from hyperliquid_ofi_trader.cli.sim_exchange import SimExchangeOptions, build_source
from hyperliquid_ofi_trader.core.clock import LiveClock
from hyperliquid_ofi_trader.sim.server import EmulatorServer, ServerSettings
from hyperliquid_ofi_trader.sim.settings import SimSettings
from hyperliquid_ofi_trader.sim.venue import SimVenue
from hyperliquid_ofi_trader.venues.hyperliquid.signing.keys import SecretKey, generate_throwaway_key
from tests.integration.fault_matrix_support import (
    Audit,
    Emulator,
    HttpVenue,
    TraderSetup,
    audit,
    finish,
    sigkill,
    wait_trading,
)

Command = dict[str, Any]


@dataclass(slots=True)
class Row:
    scenario: str
    audit: Audit = field(default_factory=Audit)
    sent: int = 0
    queries: int = 0
    cancels: int = 0
    degrade_s: float | None = None
    recover_s: float | None = None
    exit_codes: list[str] = field(default_factory=list)
    note: str = ""


@dataclass(frozen=True, slots=True)
class FaultScenario:
    name: str
    commands: tuple[Command, ...]
    note: str = ""


FAULTS: tuple[FaultScenario, ...] = (
    FaultScenario("baseline", ()),
    FaultScenario("rate_limit address 5s", ({"fault": "rate_limit", "seconds": 5},)),
    FaultScenario("rate_limit ip 429 5s",
                  ({"fault": "rate_limit", "kind": "ip", "seconds": 5},)),
    FaultScenario("server_error applied p.5 5s",
                  ({"fault": "server_error", "probability": 0.5, "seconds": 5},)),
    FaultScenario("server_error garbled unapplied",
                  ({"fault": "server_error", "probability": 0.5, "seconds": 5,
                    "applied": "no", "shape": "garbled"},)),
    FaultScenario("drop_acks p.5 5s",
                  ({"fault": "drop_acks", "probability": 0.5, "seconds": 5},)),
    FaultScenario("delay_acks 1s 5s",
                  ({"fault": "delay_acks", "delay_s": 1.0, "seconds": 5},)),
    FaultScenario("silence 12s", ({"fault": "silence", "seconds": 12},)),
    FaultScenario("vanish_book 8s", ({"fault": "vanish_book", "seconds": 8},)),
    FaultScenario("drop_connections", ({"fault": "drop_connections"},)),
    FaultScenario("refuse+drop 6s", ({"fault": "refuse_connections", "seconds": 6},
                                     {"fault": "drop_connections"})),
    FaultScenario("dup+reorder frames p.2 5s",
                  ({"fault": "duplicate_frames", "probability": 0.2, "seconds": 5},
                   {"fault": "reorder_frames", "probability": 0.2, "seconds": 5})),
    FaultScenario("poison time p.3 5s + tid x3",
                  ({"fault": "poison_time", "probability": 0.3, "seconds": 5},
                   {"fault": "poison_tid", "count": 3})),
)


# ------------------------------------------------------------------ one run, watched


class StateWatch:
    """Trading-state transitions of a run (from its status file), timed from `armed`."""

    def __init__(self, setup: TraderSetup) -> None:
        self.setup = setup
        self.armed: float | None = None
        self.degrade_s: float | None = None
        self.recover_s: float | None = None

    def poll(self) -> None:
        if self.armed is None:
            return
        state, now = self.setup.state(), time.monotonic() - self.armed
        if self.degrade_s is None and state not in (None, "ACTIVE"):
            self.degrade_s = now
        elif self.degrade_s is not None and self.recover_s is None and state == "ACTIVE":
            self.recover_s = now


def _record_counts(row: Row, summary: dict[str, Any]) -> None:
    """Placements sent (accepted or not), status queries and cancels of the last run."""
    counts = summary.get("execution", {}).get("orders", {}).get("counts", {})
    row.sent = sum(int(v) for k, v in counts.items() if k.startswith("submitted:"))
    row.queries, row.cancels = int(counts.get("query", 0)), int(counts.get("cancel", 0))


def _account(key: SecretKey) -> str:
    return key.address.lower()


def run_fault(scenario: FaultScenario, seconds: float, seed: int) -> Row:
    key = generate_throwaway_key()
    emulator = Emulator(_account(key), seed=seed)
    row = Row(scenario.name, note=scenario.note)
    try:
        with contextlib.ExitStack() as stack:
            tmp = stack.enter_context(tempfile.TemporaryDirectory())
            setup = stack.enter_context(TraderSetup(emulator.url, key, Path(tmp)))
            proc = setup.start(seconds)
            wait_trading(setup, proc)
            watch = StateWatch(setup)
            for command in scenario.commands:
                emulator.control(command)
            watch.armed = time.monotonic()
            while proc.poll() is None:
                watch.poll()
                time.sleep(0.1)
            code, summary, _ = finish(proc, 90.0)
            row.exit_codes.append(str(code))
            _record_counts(row, summary)
            row.degrade_s, row.recover_s = watch.degrade_s, watch.recover_s
            row.audit = audit(emulator, _account(key), setup.journal)
    finally:
        emulator.stop()
    return row


def run_sigkill_loop(kills: int, seed: int) -> Row:
    """`kills` SIGKILLs at random moments (start-up to full trading), then a last run."""
    import random

    rng = random.Random(seed)
    key = generate_throwaway_key()
    emulator = Emulator(_account(key), seed=seed)
    row = Row(f"SIGKILL x{kills} + restart")
    try:
        with contextlib.ExitStack() as stack:
            tmp = stack.enter_context(tempfile.TemporaryDirectory())
            setup = stack.enter_context(TraderSetup(emulator.url, key, Path(tmp)))
            for _ in range(kills):
                proc = setup.start(600.0)
                time.sleep(rng.uniform(1.0, 9.0))
                sigkill(proc)
                row.exit_codes.append("k")
            code, summary, _ = finish(setup.start(10.0), 90.0)
            row.exit_codes.append(str(code))
            _record_counts(row, summary)
            row.audit = audit(emulator, _account(key), setup.journal)
            row.note = f"decisions recovered as lost: {row.audit.lost_decisions}"
    finally:
        emulator.stop()
    return row


def run_shutdown_rate_limited(seed: int) -> Row:
    """SIGTERM while the venue refuses every action: the shutdown's figures."""
    key = generate_throwaway_key()
    emulator = Emulator(_account(key), seed=seed)
    row = Row("SIGTERM under rate_limit")
    try:
        with contextlib.ExitStack() as stack:
            tmp = stack.enter_context(tempfile.TemporaryDirectory())
            setup = stack.enter_context(TraderSetup(emulator.url, key, Path(tmp)))
            proc = setup.start(600.0)
            wait_trading(setup, proc)
            time.sleep(2.0)
            emulator.control({"fault": "rate_limit"})
            time.sleep(3.0)
            proc.send_signal(signal.SIGTERM)
            sent = time.monotonic()
            code, summary, _ = finish(proc, 120.0)
            shutdown = summary.get("shutdown", {})
            row.note = (f"ended {time.monotonic() - sent:.1f}s after SIGTERM, "
                        f"named open: {len(shutdown.get('open_orders', []))}")
            row.exit_codes.append(str(code))
            _record_counts(row, summary)
            emulator.control({"fault": "clear"})
            row.audit = audit(emulator, _account(key), setup.journal)
    finally:
        emulator.stop()
    return row


# ------------------------------------------------------------------ quick restarts


class InProcessEmulator:
    """An emulator in a background thread, with a short nonce window, whose kept nonces
    can be read: the only way to see each run's first nonce."""

    def __init__(self, account: str, seed: int, future_ms: int) -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._thread.start()
        clock = LiveClock()
        # Ten start-ups a minute from one IP exceed the venue's 1200 weight per minute
        # (a start-up then exits on "HTTP 429"): this scenario is about nonces.
        self.venue = SimVenue(SimSettings(nonce_future_ms=future_ms, nonces_kept=100_000,
                                          ip_weight_per_minute=12_000), clock)
        self.venue.fund(account, 100_000.0)
        source, _ = build_source(SimExchangeOptions(seed=seed), clock)
        self.server = EmulatorServer(self.venue, source, ServerSettings(fault_seed=seed),
                                     clock)
        self._call(self.server.start("127.0.0.1", 0))
        self.http = HttpVenue(self.server.base_url)

    def _call(self, coro: Any) -> Any:
        future: Future[Any] = asyncio.run_coroutine_threadsafe(coro, self._loop)
        return future.result(timeout=60)

    def kept_nonces(self, signer: str) -> tuple[int, ...]:
        async def read() -> tuple[int, ...]:
            return self.venue.nonces.kept(signer)
        result: tuple[int, ...] = self._call(read())
        return result

    def nonce_rejections(self) -> int:
        async def read() -> int:
            return int(self.venue.rejected.get("nonce", 0))
        result: int = self._call(read())
        return result

    def stop(self) -> None:
        self._call(self.server.stop())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)


def run_quick_restarts(restarts: int, seed: int, future_ms: int = 10_000) -> Row:
    """Alternately graceful (5 s) and SIGKILLed (at 4.5 s) runs, one run folder."""
    key = generate_throwaway_key()
    signer = _account(key)
    emulator = InProcessEmulator(signer, seed, future_ms)
    row = Row(f"{restarts} quick restarts + 1")
    ahead: list[int] = []
    try:
        with contextlib.ExitStack() as stack:
            tmp = stack.enter_context(tempfile.TemporaryDirectory())
            setup = stack.enter_context(TraderSetup(emulator.server.base_url, key,
                                                    Path(tmp)))
            sent: set[int] = set()
            for run in range(restarts):
                if run % 2:
                    proc = setup.start(600.0)
                    time.sleep(4.5)
                    sigkill(proc)
                    row.exit_codes.append("k")
                else:
                    code, _, _ = finish(setup.start(5.0), 90.0)
                    row.exit_codes.append(str(code))
                ended_ms = time.time_ns() // 1_000_000
                new = sorted(set(emulator.kept_nonces(signer)) - sent)
                if new:  # how far the run's nonces got ahead of the clock
                    ahead.append(new[-1] - ended_ms)
                sent.update(new)
            # A last graceful run reconciles what the last SIGKILL left (its write-ahead
            # order rows, its unjournaled fills, a resting order) before the audit.
            code, summary, _ = finish(setup.start(5.0), 90.0)
            row.exit_codes.append(str(code))
            _record_counts(row, summary)
            row.audit = audit(emulator.http, signer, setup.journal)
            rejected = emulator.nonce_rejections()
    finally:
        emulator.stop()
    row.note = (f"last nonce - clock at the run's end: max {max(ahead, default=0)} ms over "
                f"{len(ahead)} runs that signed; nonce refusals {rejected} "
                f"(venue window +{future_ms // 1000}s)")
    return row


# ------------------------------------------------------------------ table


def _secs(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


HEADER = (f"{'scenario':<32} {'orders':>6} {'fills':>5} {'dup':>3} {'miss':>4} "
          f"{'no-dec':>6} {'orphan fills':>12} {'sent':>4} {'q':>4} {'cx':>4} {'degrade':>7} "
          f"{'recover':>7} {'open':>4}  rc")


def format_row(row: Row) -> str:
    a = row.audit
    orphans = a.fills_without_order + a.fills_not_journaled
    line = (f"{row.scenario:<32} {a.venue_orders:>6} {a.venue_fills:>5} "
            f"{a.duplicated_orders:>3} {a.missing_orders:>4} {a.orders_without_decision:>6} "
            f"{orphans:>12} {row.sent:>4} {row.queries:>4} {row.cancels:>4} "
            f"{_secs(row.degrade_s):>7} "
            f"{_secs(row.recover_s):>7} {a.open_orders:>4}  {','.join(row.exit_codes)}")
    if row.note:
        line += f"\n{'':<4}{row.note}"
    for problem in a.problems[:5]:
        line += f"\n{'':<4}! {problem}"
    return line


def scenarios(seconds: float, kills: int, restarts: int
              ) -> list[tuple[str, Callable[[], Row]]]:
    out: list[tuple[str, Callable[[], Row]]] = [
        (s.name, lambda s=s, i=i: run_fault(s, seconds, 100 + i))  # type: ignore[misc]
        for i, s in enumerate(FAULTS)]
    out += [("sigkill", lambda: run_sigkill_loop(kills, 7)),
            ("restarts", lambda: run_quick_restarts(restarts, 9)),
            ("shutdown", lambda: run_shutdown_rate_limited(11))]
    return out


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", default=(),
                        help="scenario names (or a word of them) to run")
    parser.add_argument("--seconds", type=float, default=24.0,
                        help="length of each fault scenario's run")
    parser.add_argument("--kills", type=int, default=4, help="SIGKILLs in the kill loop")
    parser.add_argument("--restarts", type=int, default=10, help="quick restarts")
    args = parser.parse_args(argv)
    chosen = [(n, f) for n, f in scenarios(args.seconds, args.kills, args.restarts)
              if not args.only or any(word in n for word in args.only)]
    print(HEADER, flush=True)
    rows: list[Row] = []
    started = time.monotonic()
    for _, run in chosen:
        row = run()
        rows.append(row)
        print(format_row(row), flush=True)
    totals = Audit()
    for row in rows:
        for name in ("venue_orders", "venue_fills", "duplicated_orders", "missing_orders",
                     "orders_without_decision", "fills_without_order",
                     "fills_not_journaled"):
            setattr(totals, name, getattr(totals, name) + getattr(row.audit, name))
    kills = sum(row.exit_codes.count("k") for row in rows)
    print(f"\ntotal: {totals.venue_orders} venue orders, {totals.venue_fills} fills, "
          f"{kills} SIGKILLs: {totals.duplicated_orders} duplicated, "
          f"{totals.missing_orders} missing, {totals.orders_without_decision} without "
          f"their decision, {totals.fills_without_order + totals.fills_not_journaled} "
          f"fills without order or journal row ({time.monotonic() - started:.0f} s)")


if __name__ == "__main__":
    main()
