"""The durable halt: written atomically, read back, failing safe, cleared by resume."""

from __future__ import annotations

from pathlib import Path

import pytest

from hyperliquid_ofi_trader.risk.halt_store import (
    HaltRecord,
    HaltStoreError,
    clear_halt,
    halt_paths,
    halt_scope,
    read_halt,
    recorded_scope_halts,
    scope_halt_path,
    write_halt,
)

ACCOUNT = "0x" + "Ab" * 20


def test_round_trip_in_run_dir_and_state_dir(tmp_path: Path) -> None:
    paths = halt_paths(tmp_path / "run", tmp_path / "state", ACCOUNT)
    assert paths[1] == tmp_path / "state" / "halts" / f"{ACCOUNT.lower()}.json"
    (tmp_path / "run").mkdir()
    assert read_halt(paths) is None
    write_halt(paths, HaltRecord(reason="drill", written_ns=5, source="hlofi kill"))
    for path in paths:
        record = read_halt([path])
        assert record is not None
        assert record.describe() == "drill (by hlofi kill)"
    assert clear_halt(paths) == paths
    assert read_halt(paths) is None
    assert clear_halt(paths) == []


def test_a_damaged_halt_file_still_halts(tmp_path: Path) -> None:
    path = tmp_path / "halt.json"
    path.write_bytes(b"\x00garbage")
    record = read_halt([path])
    assert record is not None
    assert "damaged halt file" in record.reason


def test_scopes_accounts_and_throwaway_venues(tmp_path: Path) -> None:
    assert scope_halt_path(tmp_path, "bob") is None
    assert scope_halt_path(tmp_path, "../x") is None
    assert halt_scope("emulator", ACCOUNT) == "emulator"  # a fresh key every run
    assert halt_scope("paper", ACCOUNT) == "paper"
    assert halt_scope("mainnet", ACCOUNT) == ACCOUNT.lower()
    write_halt(halt_paths(None, tmp_path, "emulator"), HaltRecord(reason="x", written_ns=1))
    write_halt(halt_paths(None, tmp_path, ACCOUNT), HaltRecord(reason="y", written_ns=1))
    assert [p.stem for p in recorded_scope_halts(tmp_path)] == [ACCOUNT.lower(), "emulator"]


def test_unwritable_location_is_a_clear_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(HaltStoreError, match="cannot record the halt"):
        write_halt([blocker / "halt.json"], HaltRecord(reason="x", written_ns=1))
