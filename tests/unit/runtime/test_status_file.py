"""The status file: writes are ordered (an older snapshot never overwrites a newer one),
a missing or damaged file is a clear StatusError, and the journal tail reads live rows."""

from __future__ import annotations

from pathlib import Path

import pytest

from hyperliquid_ofi_trader.core.journal import Journal
from hyperliquid_ofi_trader.core.state import TradingState, Transition, Trigger
from hyperliquid_ofi_trader.runtime.status import (
    STATUS_FILE,
    JournalTail,
    StatusError,
    StatusPublisher,
    read_status,
)


def test_an_older_snapshot_never_overwrites_a_newer_one(tmp_path: Path) -> None:
    pub = StatusPublisher(tmp_path, tmp_path / "journal.sqlite")
    pub._write(2, b"final")
    pub._write(1, b"late periodic write")
    assert (tmp_path / STATUS_FILE).read_bytes() == b"final"
    assert pub.writes == 1


def test_missing_and_damaged_status_files(tmp_path: Path) -> None:
    with pytest.raises(StatusError, match="no status file"):
        read_status(tmp_path / STATUS_FILE)
    (tmp_path / STATUS_FILE).write_bytes(b'{"version": 1}')
    with pytest.raises(StatusError, match="unreadable status file"):
        read_status(tmp_path / STATUS_FILE)


def test_journal_tail_reads_the_latest_rows(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite"
    tail = JournalTail(path)
    assert tail.recent_decisions() == ()  # no journal yet: nothing, no error
    with Journal(path) as journal:
        for i in range(12):
            journal.record_decision(exchange_ns=i, local_ns=i, coin="ETH", trigger="Bbo",
                                    outcome="skip", reason=f"r{i}", trading_state="ACTIVE",
                                    inputs={})
        journal.record_state_change(Transition(
            from_state=TradingState.ACTIVE, to_state=TradingState.HALTED,
            trigger=Trigger.KILL_SWITCH, reason="operator_kill: drill", exchange_ns=0,
            local_ns=1))
        journal.flush()
        recent = tail.recent_decisions(3)
        assert [d.reason for d in recent] == ["r11", "r10", "r9"]
        assert tail.last_state_reason() == "kill_switch: operator_kill: drill"
    tail.close()
