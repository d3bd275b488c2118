"""`hlofi kill` and `hlofi resume`: operator commands to running systems, confirmed.

How a command reaches a run: every running `hlofi run` / `hlofi paper` is listed in the
registry (runtime/registry.py, `$HLOFI_STATE_DIR/runs/`); the command is written to its
`control.json` (risk/control.py), the run polls that file every 200 ms, applies it and
answers in `control_ack.json` with the trading state that resulted. The command waits for
that answer and says what happened; it never promises what it could not confirm.

- `hlofi kill` halts EVERY running system (or those picked by --pid / --run-dir /
  --account): halting is the safe direction, and with several runs the operator in a
  hurry means all of them. The halt is also recorded durably (risk/halt_store.py), so a
  run that crashes or restarts comes back HALTED. Exit 0 when every targeted run
  confirmed HALTED; 1 when one did not; 1 when nothing runs. With --run-dir or --account
  and nothing running, the halt is recorded for the next start and the exit code is 3
  (recorded, but nothing was halted now).
- `hlofi resume` resumes ONE system: resuming adds risk, so with several running it needs
  --pid or --run-dir. It clears the durable halt. With nothing running it removes the
  halt recorded for --run-dir / --account, or with neither every halt recorded in the
  state dir (exit 0), or says there was nothing (exit 1).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Final, NoReturn

import typer

from hyperliquid_ofi_trader.risk.control import (
    ControlAck,
    ControlError,
    ControlRecord,
    read_ack,
    write_command,
)
from hyperliquid_ofi_trader.risk.halt_store import (
    HaltRecord,
    HaltStoreError,
    clear_halt,
    halt_paths,
    halt_scope,
    recorded_scope_halts,
    write_halt,
)
from hyperliquid_ofi_trader.runtime.registry import RunEntry, RunRegistry, is_alive, state_dir
from hyperliquid_ofi_trader.runtime.status import StatusError, read_status

EXIT_NOTHING_HALTED: Final = 1
EXIT_RECORDED_ONLY: Final = 3
_ACK_POLL_S: Final = 0.02

RunDirOption = Annotated[Path | None, typer.Option(
    "--run-dir", help="Only the run using this run folder (or, when none runs, record the "
    "halt for the next run from it).", file_okay=False)]
PidOption = Annotated[int | None, typer.Option("--pid", help="Only the run with this pid.")]
AccountOption = Annotated[str | None, typer.Option(
    "--account", help="Only runs trading this account (0x address); when none runs, record "
    "the halt for the next run trading it.")]
ReasonOption = Annotated[str, typer.Option(
    "--reason", help="Why: stored with the command and in the journal's state change.")]
TimeoutOption = Annotated[float, typer.Option(
    "--timeout", help="Seconds to wait for each run's acknowledgement.", min=0.2)]


@dataclass(frozen=True, slots=True)
class Selector:
    run_dir: Path | None
    pid: int | None
    account: str | None

    @property
    def given(self) -> bool:
        return self.run_dir is not None or self.pid is not None or self.account is not None

    def find(self, registry: RunRegistry) -> list[RunEntry]:
        found = registry.select(run_dir=self.run_dir, pid=self.pid)
        if self.account is not None:
            found = [e for e in found if e.account == self.account.lower()]
        return found


def register(app: typer.Typer) -> None:
    app.command("kill")(kill)
    app.command("resume")(resume)


def kill(run_dir: RunDirOption = None, pid: PidOption = None, account: AccountOption = None,
         reason: ReasonOption = "operator kill", timeout: TimeoutOption = 3.0) -> None:
    """Halt running systems now (all of them unless picked): cancel their orders and stop
    trading until `hlofi resume`. The halt survives restarts."""
    selector = Selector(run_dir, pid, account)
    registry = RunRegistry(state_dir())
    targets = selector.find(registry)
    if not targets:
        _record_for_next_start(selector, registry, reason)
    # Every command first, then the answers: several runs halt together, not in turn.
    sent = [(entry, _send_kill(entry, reason)) for entry in targets]
    failures = [entry for entry, record in sent
                if record is None or not _confirm_kill(entry, record, timeout)]
    if failures:
        _fail(f"{len(failures)} of {len(targets)} run(s) did not confirm the halt: "
              + "; ".join(e.describe() for e in failures))


def resume(run_dir: RunDirOption = None, pid: PidOption = None, account: AccountOption = None,
           reason: ReasonOption = "operator resume", timeout: TimeoutOption = 3.0) -> None:
    """Let one halted system trade again (clears the kill switch and the durable halt;
    positions are kept). With several runs, pick one with --pid or --run-dir."""
    selector = Selector(run_dir, pid, account)
    registry = RunRegistry(state_dir())
    targets = selector.find(registry)
    if not targets:
        _clear_for_next_start(selector, registry)
        return
    if len(targets) > 1:
        _fail(f"{len(targets)} systems are running; resume one at a time with --pid or "
              "--run-dir:\n  " + "\n  ".join(e.describe() for e in targets), code=2)
    if not _resume_one(targets[0], reason, timeout):
        raise typer.Exit(EXIT_NOTHING_HALTED)


# ---------------------------------------------------------------- kill


def _send_kill(entry: RunEntry, reason: str) -> ControlRecord | None:
    run_dir = Path(entry.run_dir)
    now = time.time_ns()
    try:
        # Durable first: if the run dies before it reads the command, its restart is
        # still HALTED.
        write_halt(halt_paths(run_dir, _root(), halt_scope(entry.venue, entry.account)),
                   HaltRecord(reason=reason, written_ns=now, source="hlofi kill"))
        return write_command(run_dir, "kill", reason, now)
    except (ControlError, HaltStoreError) as exc:
        typer.echo(f"error: {entry.describe()}: {exc}", err=True)
        return None


def _confirm_kill(entry: RunEntry, record: ControlRecord, timeout: float) -> bool:
    ack = _await_ack(entry, record, timeout)
    if ack is None:
        return False
    if ack.trading_state != "HALTED":
        typer.echo(f"error: {entry.describe()} answered {ack.trading_state}, not HALTED"
                   + (f": {ack.detail}" if ack.detail else ""), err=True)
        return False
    waited = (ack.applied_ns - record.written_ns) / 1e9
    typer.echo(f"halted {entry.describe()}: HALTED {waited:.2f} s after the command, "
               "its orders are being cancelled; it stays halted across restarts until "
               "`hlofi resume`")
    return True


def _record_for_next_start(selector: Selector, registry: RunRegistry, reason: str
                           ) -> NoReturn:
    where = f"registry {registry.root}"
    if selector.run_dir is None and selector.account is None:
        _fail(f"no running hlofi system found ({where}): nothing was halted")
    if selector.run_dir is not None and not selector.run_dir.is_dir():
        _fail(f"no running hlofi system found ({where}) and no run folder at "
              f"{selector.run_dir}: nothing was halted or recorded")
    paths = halt_paths(selector.run_dir, _root(), selector.account)
    if not paths:
        _fail(f"{selector.account!r} is not an account address (0x + 40 hex digits): "
              "nothing was halted or recorded")
    try:
        write_halt(paths, HaltRecord(reason=reason, written_ns=time.time_ns(),
                                     source="hlofi kill (nothing running)"))
    except HaltStoreError as exc:
        _fail(f"no running system, and {exc}")
    typer.echo(f"no running hlofi system matches ({where}): nothing was halted now. The "
               f"halt is recorded in {', '.join(map(str, paths))}: the next run from that "
               "folder / account starts HALTED until `hlofi resume`.", err=True)
    raise typer.Exit(EXIT_RECORDED_ONLY)


# ---------------------------------------------------------------- resume


def _resume_one(entry: RunEntry, reason: str, timeout: float) -> bool:
    state = _current_state(entry)
    if state == "ACTIVE":
        typer.echo(f"error: {entry.describe()} is ACTIVE, not halted: nothing to resume",
                   err=True)
        return False
    now = time.time_ns()
    try:
        record = write_command(Path(entry.run_dir), "resume", reason, now)
    except ControlError as exc:
        typer.echo(f"error: {entry.describe()}: {exc}", err=True)
        return False
    ack = _await_ack(entry, record, timeout)
    if ack is None:
        return False
    if ack.trading_state == "HALTED":
        typer.echo(f"error: {entry.describe()} is still HALTED"
                   + (f": {ack.detail}" if ack.detail else ""), err=True)
        return False
    typer.echo(f"resumed {entry.describe()}: {ack.trading_state}; the recorded halt is "
               "cleared")
    return True


def _current_state(entry: RunEntry) -> str | None:
    try:
        return read_status(Path(entry.status_file)).trading_state
    except StatusError:
        return None  # not published yet: let the run answer


def _clear_for_next_start(selector: Selector, registry: RunRegistry) -> None:
    # No selector: every halt recorded in the state dir (accounts, emulator, paper); a run
    # folder's own halt.json needs its --run-dir.
    paths = (halt_paths(selector.run_dir, _root(), selector.account) if selector.given
             else recorded_scope_halts(_root()))
    try:
        removed = clear_halt(paths)
    except HaltStoreError as exc:
        _fail(str(exc))
    if not removed:
        _fail(f"no running hlofi system found (registry {registry.root}) and no recorded "
              "halt for it: nothing to resume")
    typer.echo(f"no running system; removed the recorded halt {', '.join(map(str, removed))}"
               ": the next run starts ACTIVE")


# ---------------------------------------------------------------- shared


def _await_ack(entry: RunEntry, record: ControlRecord, timeout: float) -> ControlAck | None:
    deadline = time.monotonic() + timeout
    ack_file = Path(entry.ack_file)
    while time.monotonic() < deadline:
        ack = read_ack(ack_file)
        if ack is not None and ack.seq >= record.seq:
            return ack
        if not is_alive(entry.pid, entry.proc_start):
            typer.echo(f"error: {entry.describe()} exited before acknowledging the "
                       f"{record.command}", err=True)
            return None
        time.sleep(_ACK_POLL_S)
    kept = ("; the halt is recorded: it applies when the run reads its control file, and "
            "at its next start" if record.command == "kill" else
            "; the command stays in its control file")
    typer.echo(f"error: {entry.describe()} did not acknowledge the {record.command} within "
               f"{timeout:g} s (still starting, or stuck){kept}", err=True)
    return None


def _root() -> Path:
    return state_dir()


def _fail(message: str, code: int = EXIT_NOTHING_HALTED) -> NoReturn:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code=code)
