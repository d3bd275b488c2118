"""Operator control file: writer/reader round trip, seq semantics, bad content, CLI."""

from __future__ import annotations

from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from hyperliquid_ofi_trader.cli import control as control_cli
from hyperliquid_ofi_trader.core.events import ControlCommand
from hyperliquid_ofi_trader.risk.control import (
    CONTROL_FILE,
    ControlError,
    ControlReader,
    read_control_file,
    write_command,
)
from hyperliquid_ofi_trader.risk.halt_store import HALT_FILE, read_halt

NOW = 1_700_000_000_000_000_000


def _app() -> typer.Typer:
    app = typer.Typer()
    control_cli.register(app)
    return app


app = _app()


def test_round_trip(tmp_path: Path) -> None:
    reader = ControlReader()
    reader.prime(read_control_file(tmp_path))  # nothing there yet
    rec = write_command(tmp_path, "kill", "too fast", NOW)
    cmd = reader.parse(read_control_file(tmp_path), local_ns=5)
    assert cmd == ControlCommand(exchange_ns=0, local_ns=5, command="kill", reason="too fast")
    assert reader.last_seq == rec.seq
    assert reader.parse(read_control_file(tmp_path), local_ns=6) is None  # seen already
    write_command(tmp_path, "resume", "ok", NOW)
    again = reader.parse(read_control_file(tmp_path), local_ns=7)
    assert again is not None
    assert again.command == "resume"


def test_seq_increases_even_with_a_clock_going_back(tmp_path: Path) -> None:
    a = write_command(tmp_path, "kill", "", NOW)
    b = write_command(tmp_path, "kill", "", NOW - 10**12)
    assert b.seq == a.seq + 1


def test_prime_does_not_replay_an_old_command(tmp_path: Path) -> None:
    write_command(tmp_path, "kill", "yesterday", NOW)
    reader = ControlReader()
    reader.prime(read_control_file(tmp_path))
    assert reader.parse(read_control_file(tmp_path), local_ns=1) is None


def test_garbage_is_counted_not_raised(tmp_path: Path) -> None:
    reader = ControlReader()
    for content in (b"{", b'{"seq": 1, "command": "explode"}', b'{"seq": 0, "command": "kill"}',
                    b'{"seq": 1, "command": "kill", "extra": 1}', b"x" * 70_000, b"[]"):
        assert reader.parse(content, local_ns=1) is None
    assert reader.rejections == 6
    assert reader.last_error
    assert reader.parse(None, local_ns=1) is None
    assert reader.rejections == 6


def test_a_corrupt_file_does_not_hide_the_next_kill(tmp_path: Path) -> None:
    reader = ControlReader()
    write_command(tmp_path, "kill", "", NOW)
    reader.parse(read_control_file(tmp_path), local_ns=1)
    (tmp_path / CONTROL_FILE).write_bytes(b"garbage")
    write_command(tmp_path, "kill", "second", NOW + 10**9)
    cmd = reader.parse(read_control_file(tmp_path), local_ns=2)
    assert cmd is not None
    assert cmd.reason == "second"


def test_writer_refuses_bad_requests(tmp_path: Path) -> None:
    with pytest.raises(ControlError, match="no run directory"):
        write_command(tmp_path / "absent", "kill", "", NOW)
    with pytest.raises(ControlError, match="unknown command"):
        write_command(tmp_path, "reboot", "", NOW)


def test_cli_kill_with_nothing_running_records_the_halt_and_says_so(tmp_path: Path) -> None:
    runner = CliRunner()
    res = runner.invoke(app, ["kill", "--run-dir", str(tmp_path), "--reason", "drill"])
    assert res.exit_code == 3, res.output  # recorded for the next start, nothing halted now
    assert "nothing was halted now" in res.output
    assert read_halt([tmp_path / HALT_FILE]) is not None
    res = runner.invoke(app, ["resume", "--run-dir", str(tmp_path)])
    assert res.exit_code == 0, res.output
    assert "removed the recorded halt" in res.output
    assert read_halt([tmp_path / HALT_FILE]) is None
    res = runner.invoke(app, ["resume", "--run-dir", str(tmp_path)])
    assert res.exit_code == 1
    assert "nothing to resume" in res.output


def test_cli_kill_with_no_run_at_all_fails(tmp_path: Path) -> None:
    res = CliRunner().invoke(app, ["kill"])
    assert res.exit_code == 1
    assert "no running hlofi system found" in res.output
    assert "nothing was halted" in res.output


def test_cli_kill_for_an_account_records_it(tmp_path: Path) -> None:
    account = "0x" + "ab" * 20
    res = CliRunner().invoke(app, ["kill", "--account", account.upper().replace("0X", "0x")])
    assert res.exit_code == 3, res.output
    res = CliRunner().invoke(app, ["kill", "--account", "bob"])
    assert res.exit_code == 1
    assert "not an account address" in res.output


def test_cli_missing_run_dir_is_a_clean_error(tmp_path: Path) -> None:
    res = CliRunner().invoke(app, ["kill", "--run-dir", str(tmp_path / "nope")])
    assert res.exit_code == 1
    assert "no run folder" in res.output
    assert "Traceback" not in res.output
    assert not (tmp_path / "nope").exists()


def test_cli_help() -> None:
    for cmd in ("kill", "resume"):
        res = CliRunner().invoke(app, [cmd, "--help"])
        assert res.exit_code == 0
        assert "--run-dir" in res.output


def test_a_command_written_while_the_run_started_is_applied(tmp_path: Path) -> None:
    write_command(tmp_path, "kill", "old", NOW)
    reader = ControlReader()
    reader.prime(read_control_file(tmp_path), started_ns=NOW + 1)
    assert reader.parse(read_control_file(tmp_path), local_ns=1) is None  # from before
    write_command(tmp_path, "kill", "during start-up", NOW + 5)
    reader = ControlReader()
    reader.prime(read_control_file(tmp_path), started_ns=NOW + 1)
    cmd = reader.parse(read_control_file(tmp_path), local_ns=2)
    assert cmd is not None
    assert cmd.reason == "during start-up"


def test_cli_resume_with_nothing_running_clears_every_recorded_halt() -> None:
    runner = CliRunner()
    account = "0x" + "cd" * 20
    assert runner.invoke(app, ["kill", "--account", account]).exit_code == 3
    res = runner.invoke(app, ["resume"])
    assert res.exit_code == 0, res.output
    assert account in res.output
    assert runner.invoke(app, ["resume"]).exit_code == 1  # nothing left
