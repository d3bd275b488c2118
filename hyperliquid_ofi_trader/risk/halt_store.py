"""A kill that outlives the process: the durable halt.

`hlofi kill` (and a running system acting on a kill) records the halt in two places:
- `<run_dir>/halt.json`: a restart from the same run folder comes back HALTED;
- `<state dir>/halts/<account>.json`: any run trading that account comes back HALTED,
  whatever its run folder (a fresh `runs/run-<time>` each start is the default). Not for
  the emulator and paper venues: they sign with a fresh throwaway key each run.
A run starting with either file present enters HALTED before it trades (journaled as an
operator kill, said at start) and stays there until `hlofi resume`, which removes both.
The files are written atomically and fsynced: a power loss right after the kill keeps it.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Final

import msgspec

from hyperliquid_ofi_trader.utils.atomic_file import atomic_write, read_small

HALT_FILE: Final = "halt.json"
_HALTS: Final = "halts"
_ADDRESS = re.compile(r"0x[0-9a-f]{40}")


class HaltRecord(msgspec.Struct, frozen=True, kw_only=True):
    reason: str
    written_ns: int
    source: str = ""  # who wrote it: "hlofi kill", "run pid 123"

    def describe(self) -> str:
        return self.reason + (f" (by {self.source})" if self.source else "")


_decoder = msgspec.json.Decoder(HaltRecord)
_encoder = msgspec.json.Encoder()


class HaltStoreError(Exception):
    """A durable halt cannot be written or removed: the caller must say so, loudly."""


def run_halt_path(run_dir: Path) -> Path:
    return run_dir / HALT_FILE


def account_halt_path(state_dir: Path, account: str) -> Path | None:
    """None for a string that is not an address (nothing to key the halt on)."""
    account = account.lower()
    if not _ADDRESS.fullmatch(account):
        return None
    return state_dir / _HALTS / f"{account}.json"


# Venues where every run signs with a fresh throwaway key: a halt keyed on that account
# could never apply again, so only the run folder keeps it.
THROWAWAY_KEY_VENUES: Final = frozenset({"emulator", "paper"})


def halt_account(venue: str, account: str) -> str | None:
    """The account a durable halt is keyed on for a run on `venue` (None: run dir only)."""
    return None if venue in THROWAWAY_KEY_VENUES else account


def halt_paths(run_dir: Path | None, state_dir: Path, account: str | None) -> list[Path]:
    paths = [run_halt_path(run_dir)] if run_dir is not None else []
    acct = account_halt_path(state_dir, account) if account else None
    return paths + ([acct] if acct is not None else [])


def write_halt(paths: list[Path], record: HaltRecord) -> None:
    data = _encoder.encode(record)
    for path in paths:
        try:
            path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            atomic_write(path, data, durable=True)
        except OSError as exc:
            raise HaltStoreError(f"cannot record the halt in {path}: "
                                 f"{exc.strerror or exc}") from exc


def read_halt(paths: list[Path]) -> HaltRecord | None:
    """The first recorded halt among `paths`. A file that exists but cannot be decoded
    still counts as a halt: failing safe beats trading on a damaged kill."""
    for path in paths:
        raw = read_small(path, 64 * 1024)
        if raw is None:
            if path.exists():
                return HaltRecord(reason=f"unreadable halt file {path}", written_ns=0)
            continue
        try:
            return _decoder.decode(raw)
        except msgspec.DecodeError:
            return HaltRecord(reason=f"damaged halt file {path} (remove it with hlofi "
                              "resume once checked)", written_ns=0)
    return None


def clear_halt(paths: list[Path]) -> list[Path]:
    """Remove the halt files; returns those that existed. Raises HaltStoreError."""
    removed = []
    for path in paths:
        try:
            path.unlink()
        except FileNotFoundError:
            continue
        except OSError as exc:
            raise HaltStoreError(f"cannot remove the halt {path}: "
                                 f"{exc.strerror or exc}") from exc
        removed.append(path)
    return removed
