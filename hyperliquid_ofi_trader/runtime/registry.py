"""The registry of running systems: how `hlofi kill`, `resume`, `status` (and the web
dashboard) find a run from another shell.

Every live, paper or emulator run registers itself as one small JSON file,
`<state dir>/runs/<pid>-<start ns>.json` (`RunEntry`: pid, run dir, mode, venue, account, start time
and where its control, acknowledgement and status files are). The state dir is
`$HLOFI_STATE_DIR`, else `$XDG_STATE_HOME/hlofi`, else `~/.local/state/hlofi`, so tests
and parallel users each point the variable at their own folder and never see each other.

An entry outlives a process killed with SIGKILL, so readers check that its pid is still
alive and is still the same process (the kernel's start time of the pid, from /proc,
recorded at registration: a recycled pid is not our run) and prune the stale ones.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Final

import msgspec

from hyperliquid_ofi_trader.utils.atomic_file import atomic_write, read_small

STATE_DIR_ENV: Final = "HLOFI_STATE_DIR"
_RUNS: Final = "runs"


class RunEntry(msgspec.Struct, frozen=True, kw_only=True):
    """One registered run. Paths are absolute."""

    pid: int
    proc_start: int | None  # /proc/<pid>/stat start time (clock ticks); None: unknown
    run_dir: str
    mode: str  # "run" | "paper"
    venue: str  # "emulator", "testnet", "mainnet", "paper", or the --url given
    account: str
    started_ns: int
    control_file: str
    ack_file: str
    status_file: str
    ui_url: str = ""  # the run's dashboard, when it serves one

    def describe(self) -> str:
        return f"pid {self.pid} ({self.mode} on {self.venue}, run dir {self.run_dir})"


_decoder = msgspec.json.Decoder(RunEntry)
_encoder = msgspec.json.Encoder()


def state_dir(environ: Mapping[str, str] | None = None) -> Path:
    """The well-known folder of hlofi's cross-process state (registry, durable halts)."""
    env = os.environ if environ is None else environ
    explicit = env.get(STATE_DIR_ENV)
    if explicit:
        return Path(explicit)
    xdg = env.get("XDG_STATE_HOME")
    base = Path(xdg) if xdg else Path.home() / ".local" / "state"
    return base / "hlofi"


def _proc_stat(pid: int) -> list[bytes] | None:
    """Fields 3.. of /proc/<pid>/stat (state first), None when unavailable."""
    raw = read_small(Path(f"/proc/{pid}/stat"), 4096)
    if raw is None:
        return None
    # The command name (field 2) may hold spaces and parentheses: split after the last ')'.
    return raw.rpartition(b")")[2].split()


def process_start(pid: int) -> int | None:
    """The kernel's start time of `pid` (ticks since boot), None when unknown."""
    fields = _proc_stat(pid)
    try:
        return int(fields[19]) if fields is not None else None  # field 22 of the line
    except (IndexError, ValueError):
        return None


def is_alive(pid: int, proc_start: int | None) -> bool:
    """True when `pid` runs and (when known) is the same process that registered."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # exists, owned by someone else
    fields = _proc_stat(pid)
    if fields is None:
        return True  # no /proc: the signal probe is all we know
    if fields[:1] in ([b"Z"], [b"X"]):
        return False  # killed, not yet reaped by its parent
    if proc_start is None:
        return True
    now = process_start(pid)
    return now is None or now == proc_start


class RunRegistry:
    """The `runs/` folder of the state dir. Never raises on a bad entry: it is pruned."""

    __slots__ = ("root",)

    def __init__(self, root: Path | None = None) -> None:
        self.root = (root if root is not None else state_dir()) / _RUNS

    def register(self, entry: RunEntry) -> Path:
        """Publish `entry`; raises OSError when the state dir cannot be written."""
        self.root.mkdir(parents=True, exist_ok=True, mode=0o700)
        path = self._path(entry)
        atomic_write(path, _encoder.encode(entry), durable=False)
        return path

    def update(self, entry: RunEntry) -> None:
        """Re-publish (e.g. once the dashboard's URL is known)."""
        self.register(entry)

    def unregister(self, entry: RunEntry) -> None:
        with contextlib.suppress(OSError):
            self._path(entry).unlink()

    def running(self) -> list[RunEntry]:
        """Live entries, oldest first; stale ones (dead or recycled pid, garbage) removed."""
        entries: list[RunEntry] = []
        for path in self._files():
            entry = self._load(path)
            if entry is None or not is_alive(entry.pid, entry.proc_start):
                with contextlib.suppress(OSError):
                    path.unlink()
                continue
            entries.append(entry)
        return sorted(entries, key=lambda e: (e.started_ns, e.pid))

    def select(self, *, run_dir: Path | None = None, pid: int | None = None
               ) -> list[RunEntry]:
        """Running entries matching every selector given (none given: all)."""
        found = self.running()
        if pid is not None:
            found = [e for e in found if e.pid == pid]
        if run_dir is not None:
            wanted = str(run_dir.resolve())
            found = [e for e in found if e.run_dir == wanted]
        return found

    def _files(self) -> list[Path]:
        try:
            return [p for p in self.root.iterdir() if p.suffix == ".json"
                    and not p.name.startswith(".")]
        except OSError:
            return []

    @staticmethod
    def _load(path: Path) -> RunEntry | None:
        raw = read_small(path, 64 * 1024)
        if raw is None:
            return None
        try:
            return _decoder.decode(raw)
        except msgspec.DecodeError:
            return None

    def _path(self, entry: RunEntry) -> Path:
        # The start time too: one process may host several runs (tests, embedders).
        return self.root / f"{entry.pid}-{entry.started_ns}.json"


def entry_for_this_process(*, run_dir: Path, mode: str, venue: str, account: str,
                           started_ns: int, control_file: Path, ack_file: Path,
                           status_file: Path) -> RunEntry:
    pid = os.getpid()
    return RunEntry(pid=pid, proc_start=process_start(pid), run_dir=str(run_dir.resolve()),
                    mode=mode, venue=venue, account=account, started_ns=started_ns,
                    control_file=str(control_file.resolve()),
                    ack_file=str(ack_file.resolve()),
                    status_file=str(status_file.resolve()))
