"""utils/logger: JSON lines carry the message, extras and traceback; one handler of ours."""

from __future__ import annotations

import io
import logging

import orjson
import pytest

from hyperliquid_ofi_trader.utils.logger import setup_logging


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
