"""`hlofi run`'s view when stdout is a file or a pipe: drawn once at the end, and the
summary printed after it starts on its own line."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from rich.text import Text

from hyperliquid_ofi_trader.cli import run as run_cli


class _View:
    def __init__(self, runner: Any, note: str) -> None:
        self.note = note

    def render(self) -> Text:
        return Text("VIEW-LAST-LINE")


class _Runner:
    def __init__(self) -> None:
        self.status_listeners: list[Any] = []

    async def run(self) -> None:
        for listener in self.status_listeners:
            listener(self)


def test_the_view_into_a_pipe_ends_its_line(monkeypatch: pytest.MonkeyPatch,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(run_cli, "TerminalView", _View)
    asyncio.run(run_cli._run_with_view(_Runner(), "note"))  # type: ignore[arg-type]
    print("run summary")
    out = capsys.readouterr().out
    assert "VIEW-LAST-LINE\n" in out
    assert "\nrun summary" in out
