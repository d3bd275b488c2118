"""Operator control of a running system through a file in its run directory.

Protocol (one file, `<run_dir>/control.json`):
    {"seq": 7, "command": "kill", "reason": "manual", "written_ns": 1735689600000000000}
- The writer (`hlofi kill` / `hlofi resume`, `write_command`) takes an exclusive lock on
  `<run_dir>/control.lock`, reads the current seq, writes max(seq + 1, now in ms) (so it
  still increases when the old file is unreadable) to a temporary file in
  the same directory, fsyncs it and renames it over control.json. Readers therefore see
  either the old or the new file, never a torn one, and two concurrent writers still get
  distinct, increasing sequence numbers.
- The runner polls the file on a 200 ms timer (async edge: `read_control_file`) and hands
  the bytes to `ControlReader.parse` (sans-I/O), which returns a `ControlCommand` event
  only for a seq it has not seen. The event goes through `Engine.on_event`, where the kill
  switch halts on "kill" (cancel all) and resets on "resume" (the runner then calls
  `Engine.resume`). Poll period 200 ms + one event => a kill halts well within 1 s.
- At start the runner primes the reader with the file as it finds it (`ControlReader.prime`)
  so a command left over from an earlier run is not replayed (one written after this run
  registered is for this run, and is applied) (a kill that must outlive the
  process is the durable halt, risk/halt_store.py, not this file).
- Having applied a command, the runner answers in `<run_dir>/control_ack.json`
  (`ControlAck`: the seq it applied and the trading state that resulted), so the writer
  can confirm what happened instead of promising it.
Bad content is a counted, reasoned rejection (`rejections`, `last_error`), never a raise.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Final

import msgspec

from hyperliquid_ofi_trader.core.events import ControlCommand
from hyperliquid_ofi_trader.errors import OurBugError
from hyperliquid_ofi_trader.utils.atomic_file import atomic_write, read_small

CONTROL_FILE: Final = "control.json"
ACK_FILE: Final = "control_ack.json"
LOCK_FILE: Final = "control.lock"
COMMANDS: Final = frozenset({"kill", "resume"})
_MAX_REASON: Final = 500
_MAX_BYTES: Final = 64 * 1024


class ControlError(OurBugError):
    """The user's request cannot be written (bad directory, bad command): their fault."""


class ControlRecord(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    seq: int
    command: str
    reason: str = ""
    written_ns: int = 0


class ControlAck(msgspec.Struct, frozen=True, kw_only=True):
    """The runner's answer to command `seq`: the trading state once it was applied."""

    seq: int
    command: str
    trading_state: str
    applied_ns: int
    pid: int
    detail: str = ""


_decoder = msgspec.json.Decoder(ControlRecord)
_ack_decoder = msgspec.json.Decoder(ControlAck)
_encoder = msgspec.json.Encoder()


# ---------------------------------------------------------------- reader (sans-I/O)


class ControlReader:
    """Turns control-file contents into ControlCommand events, each seq at most once."""

    __slots__ = ("accepted", "last_error", "last_seq", "rejections")

    def __init__(self, last_seq: int = 0) -> None:
        self.last_seq = last_seq
        self.rejections = 0
        self.accepted = 0
        self.last_error = ""

    def prime(self, content: bytes | None, *, started_ns: int | None = None) -> None:
        """Adopt the file's current seq without acting on it (start of a run). A command
        written at or after `started_ns` (while this run was starting: `hlofi kill` found
        it registered) is left for the first `parse`."""
        record = self._decode(content)
        if record is None:
            return
        if started_ns is not None and record.written_ns >= started_ns:
            return
        self.last_seq = max(self.last_seq, record.seq)

    def parse(self, content: bytes | None, *, exchange_ns: int = 0,
              local_ns: int) -> ControlCommand | None:
        """A new command, or None (no file, nothing new, or bad content: counted)."""
        record = self._decode(content)
        if record is None or record.seq <= self.last_seq:
            return None
        self.last_seq = record.seq
        self.accepted += 1
        return ControlCommand(exchange_ns=exchange_ns, local_ns=local_ns,
                              command=record.command, reason=record.reason)

    def _decode(self, content: bytes | None) -> ControlRecord | None:
        if content is None or not content:
            return None
        problem = _problem(content)
        if problem is None:
            try:
                record = _decoder.decode(content)
            except msgspec.DecodeError as exc:
                problem = f"malformed control file: {exc}"
            else:
                problem = _record_problem(record)
                if problem is None:
                    return record
        self.rejections += 1
        self.last_error = problem
        return None


def _problem(content: bytes) -> str | None:
    if len(content) > _MAX_BYTES:
        return f"control file too large ({len(content)} bytes)"
    return None


def _record_problem(record: ControlRecord) -> str | None:
    if record.command not in COMMANDS:
        return f"unknown control command {record.command!r}"
    if record.seq < 1:
        return f"control seq must be >= 1, got {record.seq}"
    return None


def read_control_file(run_dir: Path) -> bytes | None:
    """The control file's bytes, None when absent or unreadable (async edge / runner)."""
    try:
        return (run_dir / CONTROL_FILE).read_bytes()
    except OSError:
        return None


# ---------------------------------------------------------------- writer (CLI)


@contextlib.contextmanager
def _locked(run_dir: Path) -> Iterator[None]:
    fd = os.open(run_dir / LOCK_FILE, os.O_CREAT | os.O_RDWR, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def write_command(run_dir: Path, command: str, reason: str, now_ns: int) -> ControlRecord:
    """Atomically write the next command; returns what was written. Raises ControlError."""
    if command not in COMMANDS:
        raise ControlError(f"unknown command {command!r} (expected one of "
                           f"{', '.join(sorted(COMMANDS))})")
    if not run_dir.is_dir():
        raise ControlError(f"no run directory at {run_dir} (pass --run-dir: the folder of "
                           "the running system)")
    try:
        with _locked(run_dir):
            # The ms clock as a floor keeps seq increasing even when the previous file is
            # unreadable (its seq unknown): a runner must never ignore a kill as "old".
            seq = max(_current_seq(run_dir) + 1, now_ns // 1_000_000)
            record = ControlRecord(seq=seq, command=command, reason=reason[:_MAX_REASON],
                                   written_ns=now_ns)
            _atomic_write(run_dir / CONTROL_FILE, _encoder.encode(record))
    except OSError as exc:
        raise ControlError(f"cannot write {run_dir / CONTROL_FILE}: {exc.strerror or exc}"
                           ) from exc
    return record


def _current_seq(run_dir: Path) -> int:
    reader = ControlReader()
    reader.prime(read_control_file(run_dir))
    return reader.last_seq


def _atomic_write(path: Path, data: bytes) -> None:
    atomic_write(path, data, durable=True)


# ---------------------------------------------------------------- acknowledgement


def write_ack(run_dir: Path, ack: ControlAck) -> None:
    """The runner's side (raises OSError). Not fsynced: it only serves a waiting CLI."""
    atomic_write(run_dir / ACK_FILE, _encoder.encode(ack), durable=False, mode=0o644)


def read_ack(path: Path) -> ControlAck | None:
    """The last acknowledgement, None when absent or unreadable (the CLI keeps waiting)."""
    raw = read_small(path, _MAX_BYTES)
    if raw is None:
        return None
    try:
        return _ack_decoder.decode(raw)
    except msgspec.DecodeError:
        return None
