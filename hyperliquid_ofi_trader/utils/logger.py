"""Structured logging setup (stdlib `logging`): JSON lines for machines, rich for people.

The rule for hot-path code (engine, data, signals, regime, alpha, execution):
- log only errors, state changes and rejections worth a human's attention, never per event;
- pass arguments lazily, `_log.error("stage %s raised on %s", stage, etype)`, never an
  f-string or `%` formatting at the call site: with the record filtered out (or the level
  disabled) the message is never built, so a quiet logger costs one level check;
- attach context as arguments or `extra=`, not by building strings.
Modules get their logger once at import: `_log = logging.getLogger(__name__)`.

`setup_logging` is called once by the CLI / main entry point, never by library code.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Final, Literal, TextIO

import orjson

if TYPE_CHECKING:
    from rich.console import Console

LogFormat = Literal["json", "console"]

# Attributes every LogRecord has; anything else on a record came from `extra=`.
_STANDARD: Final = frozenset(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {
    "message", "asctime", "taskName"}
_HANDLER_MARK: Final = "_hlofi_handler"


class JsonFormatter(logging.Formatter):
    """One JSON object per line: ts (epoch s), level, logger, msg, extras, exc."""

    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {"ts": record.created, "level": record.levelname,
                               "logger": record.name, "msg": record.getMessage()}
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_"):
                out[key] = value
        if record.exc_info:
            out["exc"] = self.formatException(record.exc_info)
        return orjson.dumps(out, default=repr).decode()


class _CurrentStderrHandler(logging.StreamHandler[TextIO]):
    """Writes to whatever `sys.stderr` is at emit time (test runners swap it per call)."""

    @property
    def stream(self) -> TextIO:
        return sys.stderr

    @stream.setter
    def stream(self, value: TextIO) -> None:
        pass  # always the current sys.stderr


def _console_handler(stream: TextIO | None) -> logging.Handler:
    from rich.console import Console  # rich only when console logs are asked for
    from rich.logging import RichHandler

    # file=None: rich resolves sys.stderr when it writes, not now.
    return RichHandler(console=Console(file=stream, stderr=stream is None),
                       show_path=False, rich_tracebacks=False, markup=False)


def setup_logging(level: int | str = logging.INFO, fmt: LogFormat = "console",
                  stream: TextIO | None = None) -> logging.Handler:
    """Install one handler on the root logger (replacing a previous one of ours).
    `stream` None: the process's stderr as it is when each record is written."""
    if fmt == "json":
        handler: logging.Handler = (logging.StreamHandler(stream) if stream is not None
                                    else _CurrentStderrHandler())
        handler.setFormatter(JsonFormatter())
    elif fmt == "console":
        handler = _console_handler(stream)
    else:
        raise ValueError(f"log format must be 'json' or 'console', got {fmt!r}")
    setattr(handler, _HANDLER_MARK, True)
    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, _HANDLER_MARK, False)]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    return handler


@contextmanager
def logs_above(console: Console) -> Iterator[None]:
    """While a rich `Live` display runs on `console`, print our console log records through
    that console, so they scroll above the display.

    Why: a Live redirects sys.stderr, but another rich Console unwraps that redirection and
    writes to the real stream, so a record landed glued to the display's last line and the
    next redraw moved the cursor by the wrong number of rows. JSON logs (machines) and
    non-terminal consoles are left alone."""
    from rich.logging import RichHandler

    handlers = [h for h in logging.getLogger().handlers
                if getattr(h, _HANDLER_MARK, False) and isinstance(h, RichHandler)]
    if not console.is_terminal or not handlers:
        yield
        return
    previous = [h.console for h in handlers]
    for handler in handlers:
        handler.console = console
    try:
        yield
    finally:
        for handler, old in zip(handlers, previous, strict=True):
            handler.console = old
