"""The run registry: register, find, select, and prune what no longer runs."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from hyperliquid_ofi_trader.runtime.registry import (
    STATE_DIR_ENV,
    RunEntry,
    RunRegistry,
    entry_for_this_process,
    is_alive,
    process_start,
    state_dir,
)


def _entry(tmp_path: Path, pid: int | None = None, name: str = "run") -> RunEntry:
    run_dir = tmp_path / name
    run_dir.mkdir(exist_ok=True)
    entry = entry_for_this_process(run_dir=run_dir, mode="run", venue="emulator",
                                   account="0x" + "1" * 40, started_ns=1,
                                   control_file=run_dir / "control.json",
                                   ack_file=run_dir / "control_ack.json",
                                   status_file=run_dir / "status.json")
    if pid is None:
        return entry
    return RunEntry(**{**{f: getattr(entry, f) for f in entry.__struct_fields__}, "pid": pid,
                       "proc_start": process_start(pid)})


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_state_dir_resolution(tmp_path: Path) -> None:
    assert state_dir({STATE_DIR_ENV: str(tmp_path)}) == tmp_path
    assert state_dir({"XDG_STATE_HOME": "/x"}) == Path("/x/hlofi")
    assert state_dir({}).parts[-3:] == (".local", "state", "hlofi")


def test_register_find_and_unregister(tmp_path: Path) -> None:
    registry = RunRegistry(tmp_path / "state")
    entry = _entry(tmp_path)
    registry.register(entry)
    assert registry.running() == [entry]
    assert registry.select(run_dir=tmp_path / "run") == [entry]
    assert registry.select(run_dir=tmp_path / "other") == []
    assert registry.select(pid=os.getpid()) == [entry]
    assert registry.select(pid=os.getpid() + 1_000_000) == []
    registry.unregister(entry)
    assert registry.running() == []


def test_two_runs_of_one_process_have_their_own_entries(tmp_path: Path) -> None:
    registry = RunRegistry(tmp_path / "state")
    first = _entry(tmp_path, name="a")
    second = RunEntry(**{**{f: getattr(first, f) for f in first.__struct_fields__},
                         "started_ns": 2, "run_dir": str(tmp_path / "b")})
    registry.register(first)
    registry.register(second)
    assert registry.running() == [first, second]
    registry.unregister(first)
    assert registry.running() == [second]


def test_dead_recycled_and_garbage_entries_are_pruned(tmp_path: Path) -> None:
    registry = RunRegistry(tmp_path / "state")
    registry.register(_entry(tmp_path, pid=_dead_pid(), name="dead"))
    mine = _entry(tmp_path)
    start = mine.proc_start
    assert start is not None
    recycled = RunEntry(**{**{f: getattr(mine, f) for f in mine.__struct_fields__},
                           "proc_start": start - 1, "run_dir": str(tmp_path / "recycled")})
    registry.register(recycled)
    (registry.root / "999.json").write_bytes(b"{not json")
    assert registry.running() == []
    assert list(registry.root.iterdir()) == []


def test_is_alive() -> None:
    assert is_alive(os.getpid(), process_start(os.getpid()))
    assert not is_alive(_dead_pid(), None)
    assert not is_alive(0, None)


def test_a_killed_unreaped_child_is_not_running(tmp_path: Path) -> None:
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        start = process_start(proc.pid)
        assert is_alive(proc.pid, start)
        proc.kill()
        for _ in range(200):  # until the kernel marks it a zombie (we do not reap it yet)
            if not is_alive(proc.pid, start):
                break
            time.sleep(0.01)
        assert not is_alive(proc.pid, start)
    finally:
        proc.wait()
