"""utils/logger: JSON lines carry the message, extras and traceback; one handler of ours."""

from __future__ import annotations

import io
import logging
import re

import orjson
import pytest
from rich.console import Console
from rich.live import Live
from rich.text import Text

from hyperliquid_ofi_trader.utils.logger import logs_above, setup_logging


@pytest.fixture(autouse=True)
def _restore_root() -> object:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield None
    root.handlers[:] = handlers
    root.setLevel(level)


def test_json_lines_with_lazy_args_extras_and_traceback() -> None:
    out = io.StringIO()
    setup_logging("INFO", "json", out)
    log = logging.getLogger("hlofi.test")
    log.debug("not shown %s", "x")
    log.error("stage %s raised on %s", "alpha", "Bbo", extra={"coin": "ETH"})
    try:
        raise ZeroDivisionError("boom")
    except ZeroDivisionError as exc:
        log.error("failed", exc_info=exc)
    first, second = (orjson.loads(line) for line in out.getvalue().splitlines())
    assert (first["level"], first["logger"]) == ("ERROR", "hlofi.test")
    assert first["msg"] == "stage alpha raised on Bbo"
    assert first["coin"] == "ETH"
    assert "ZeroDivisionError: boom" in second["exc"]


def test_setup_replaces_its_own_handler_only() -> None:
    root = logging.getLogger()
    foreign = logging.NullHandler()
    root.addHandler(foreign)
    setup_logging("INFO", "json", io.StringIO())
    setup_logging("WARNING", "console", io.StringIO())
    ours = [h for h in root.handlers if h is not foreign and getattr(h, "_hlofi_handler", False)]
    assert len(ours) == 1
    assert foreign in root.handlers
    assert root.level == logging.WARNING


def test_bad_format_is_refused() -> None:
    with pytest.raises(ValueError, match="json"):
        setup_logging("INFO", "xml", io.StringIO())  # type: ignore[arg-type]


def test_a_record_during_a_live_display_scrolls_above_it_not_after_its_last_line() -> None:
    """The `hlofi run` view: a warning logged while the display runs is printed through the
    display's console, after a carriage return (never glued to the display's last line)."""
    setup_logging("INFO", "console", io.StringIO())  # the terminal console's own stream
    screen = io.StringIO()
    console = Console(file=screen, force_terminal=True, width=80, height=24)
    with logs_above(console), Live(Text("VIEW-LAST-LINE"), console=console,
                                   auto_refresh=False, transient=False) as live:
        live.refresh()
        logging.getLogger("hlofi.test").warning("cancel_all (run ended): %d live orders", 1)
    out = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", screen.getvalue())
    assert "cancel_all (run ended): 1 live orders" in out
    before = out[:out.index("cancel_all")]
    assert "\r" in before[before.rindex("VIEW-LAST-LINE"):]


def test_logs_above_restores_the_handler_and_leaves_a_non_terminal_alone() -> None:
    own = io.StringIO()
    handler = setup_logging("INFO", "console", own)
    original = handler.console  # type: ignore[attr-defined]
    plain = Console(file=io.StringIO(), force_terminal=False)
    with logs_above(plain):
        assert handler.console is original  # type: ignore[attr-defined]
    tty = Console(file=io.StringIO(), force_terminal=True)
    with logs_above(tty):
        assert handler.console is tty  # type: ignore[attr-defined]
    assert handler.console is original  # type: ignore[attr-defined]
    logging.getLogger("hlofi.test").warning("after")
    assert "after" in own.getvalue()
