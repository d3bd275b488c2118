"""A kill that outlives the process: the durable halt.

`hlofi kill` (and a running system acting on a kill) records the halt in two places:
- `<run_dir>/halt.json`: a restart from the same run folder comes back HALTED;
- `<state dir>/halts/<scope>.json`: any run of that scope comes back HALTED, whatever its
  run folder (a fresh `runs/run-<time>` each start is the default). The scope is the
  trading account for a real key; for the emulator and paper venues, which sign with a
  fresh throwaway key each run, it is the venue itself ("emulator", "paper").
A run starting with either file present enters HALTED before it trades (journaled as an
operator kill, said at start) and stays there until `hlofi resume`, which removes both.
The files are written atomically and fsynced: a power loss right after the kill keeps it.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Final

import msgspec

from hyperliquid_ofi_trader.errors import OurBugError
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


class HaltStoreError(OurBugError):
    """A durable halt cannot be written or removed: the caller must say so, loudly."""


def run_halt_path(run_dir: Path) -> Path:
    return run_dir / HALT_FILE


def scope_halt_path(state_dir: Path, scope: str) -> Path | None:
    """None for a scope that is neither an address nor a throwaway venue's name."""
    scope = scope.lower()
    if not (_ADDRESS.fullmatch(scope) or scope in THROWAWAY_KEY_VENUES):
        return None
    return state_dir / _HALTS / f"{scope}.json"


# Venues where every run signs with a fresh throwaway key: a halt keyed on that account
# could never apply again, so the venue is the scope.
THROWAWAY_KEY_VENUES: Final = frozenset({"emulator", "paper"})


def halt_scope(venue: str, account: str) -> str:
    """What a durable halt of a run on `venue` trading `account` applies to."""
    return venue if venue in THROWAWAY_KEY_VENUES else account.lower()


def halt_paths(run_dir: Path | None, state_dir: Path, scope: str | None) -> list[Path]:
    paths = [run_halt_path(run_dir)] if run_dir is not None else []
    scoped = scope_halt_path(state_dir, scope) if scope else None
    return paths + ([scoped] if scoped is not None else [])


def recorded_scope_halts(state_dir: Path) -> list[Path]:
    """Every halt recorded in the state dir (for `hlofi resume` with nothing running)."""
    try:
        return sorted(p for p in (state_dir / _HALTS).iterdir() if p.suffix == ".json")
    except OSError:
        return []


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
