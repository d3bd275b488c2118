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
from typing import Any, Final, Literal, TextIO

import orjson

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


def _console_handler(stream: TextIO) -> logging.Handler:
    from rich.console import Console  # rich only when console logs are asked for
    from rich.logging import RichHandler

    return RichHandler(console=Console(file=stream, stderr=stream is sys.stderr),
                       show_path=False, rich_tracebacks=False, markup=False)


def setup_logging(level: int | str = logging.INFO, fmt: LogFormat = "console",
                  stream: TextIO | None = None) -> logging.Handler:
    """Install one handler on the root logger (replacing a previous one of ours)."""
    target = stream if stream is not None else sys.stderr
    if fmt == "json":
        handler: logging.Handler = logging.StreamHandler(target)
        handler.setFormatter(JsonFormatter())
    elif fmt == "console":
        handler = _console_handler(target)
    else:
        raise ValueError(f"log format must be 'json' or 'console', got {fmt!r}")
    setattr(handler, _HANDLER_MARK, True)
    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, _HANDLER_MARK, False)]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    return handler
