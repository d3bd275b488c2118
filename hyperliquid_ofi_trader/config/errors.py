"""`ConfigError`: every problem of a configuration, one line each, user-readable.

The user is at fault for a config error, so it reads like a lint message, never a
traceback: `risk.yaml: kill_switch.max_feed_lag_ms = -5: must be > 0`. Pydantic's
errors are translated here, once, so no other module sees a `ValidationError`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from hyperliquid_ofi_trader.config.rules import ConfigRuleError, KeyPath, render_key
from hyperliquid_ofi_trader.errors import OurBugError

SECTION_FILES: dict[str, str] = {
    "symbols": "symbols.yaml",
    "thresholds": "thresholds.yaml",
    "risk": "risk.yaml",
}
_MAX_VALUE_CHARS = 80


@dataclass(frozen=True, slots=True)
class ConfigIssue:
    """One problem: which file, which dotted key (empty for a whole-file problem), why."""

    file: str
    key: str
    problem: str
    value: str | None = None

    def __str__(self) -> str:
        if not self.key:
            return f"{self.file}: {self.problem}"
        if self.value is None:
            return f"{self.file}: {self.key}: {self.problem}"
        return f"{self.file}: {self.key} = {self.value}: {self.problem}"


class ConfigError(OurBugError):
    """The configuration is invalid; the message lists every problem found."""

    def __init__(self, issues: Sequence[ConfigIssue]) -> None:
        self.issues: tuple[ConfigIssue, ...] = tuple(issues)
        super().__init__(_summarise(self.issues))

    def __reduce__(self) -> tuple[type[ConfigError], tuple[tuple[ConfigIssue, ...]]]:
        # Pickled by its issues, not by its message: a worker process (a sweep point, a Ray
        # task) that raises it must reach the driver as the same list of problems, not as
        # one "problem" per character of the message.
        return (type(self), (self.issues,))


def _summarise(issues: tuple[ConfigIssue, ...]) -> str:
    if len(issues) == 1:
        return str(issues[0])
    lines = "\n".join(f"  {issue}" for issue in issues)
    return f"{len(issues)} configuration errors:\n{lines}"


def render_value(value: object) -> str:
    """A value as the user would write it in YAML, shortened when long."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        text = value if _reads_back_as_itself(value) else json.dumps(value)
    else:
        text = json.dumps(value, default=str, separators=(", ", ": "))
    return text if len(text) <= _MAX_VALUE_CHARS else text[: _MAX_VALUE_CHARS - 3] + "..."


def _reads_back_as_itself(text: str) -> bool:
    # "5", "true", "null" or "" written bare would read as another type: quote those,
    # so `= "5": must be an integer` is not mistaken for `= 5`.
    try:
        return bool(text) and yaml.safe_load(text) == text
    except yaml.YAMLError:
        return False


def issues_from_validation(error: ValidationError, root: type[BaseModel]) -> list[ConfigIssue]:
    """Translate pydantic's errors for `root` (the AppConfig) into config issues."""
    issues: list[ConfigIssue] = []
    for detail in error.errors():
        issues += _issues_for(detail, root)
    return issues


def _issues_for(detail: ErrorDetails, root: type[BaseModel]) -> list[ConfigIssue]:
    loc: KeyPath = tuple(detail["loc"])
    exc = detail.get("ctx", {}).get("error")
    if isinstance(exc, ConfigRuleError):
        return [_rule_issue(loc, v.fields, v.rule) for v in exc.violations]
    if detail["type"] == "invalid_key" or (loc and loc[-1] == "[key]"):
        return [_key_issue(detail, root, loc)]
    file, key = _split(loc)
    value = None if detail["type"] == "missing" else render_value(detail["input"])
    return [ConfigIssue(file, key, _problem(detail, root, loc), value)]


def _key_issue(detail: ErrorDetails, root: type[BaseModel], loc: KeyPath) -> ConfigIssue:
    """A bad mapping key: `file: parent.path: key <k> ...`."""
    key = render_value(detail["input"])
    if detail["type"] == "invalid_key":
        # YAML turns bare `on`, `yes`, `1.5` or `~` keys into non-strings.
        file, parent = _split(loc[:-1])
        problem = f"key {key} is not a string (quote it: YAML reads on/yes/no/~/numbers as values)"
    else:
        # A typed key (a coin name) failed: pydantic's loc is (..., key, "[key]").
        file, parent = _split(loc[:-2])
        problem = f"key {key} {_problem(detail, root, loc)}"
    return ConfigIssue(file, parent, problem)


def _rule_issue(loc: KeyPath, fields: tuple[tuple[KeyPath, object], ...], rule: str) -> ConfigIssue:
    paths = [loc + path for path, _ in fields]
    file, first_key = _split(paths[0])
    keys = [first_key] + [_key_seen_from(file, p) for p in paths[1:]]
    # The first key leads the line; further keys follow with their values, so one line
    # names every key involved: `lead_lag[0].lead = ETH, lead_lag[0].lag = ETH: must differ`.
    tail = "".join(
        f", {k} = {render_value(v)}" for k, (_, v) in zip(keys[1:], fields[1:], strict=True)
    )
    return ConfigIssue(file, keys[0], rule, render_value(fields[0][1]) + tail)


def _key_seen_from(file: str, loc: KeyPath) -> str:
    """A key as written on a line about `file`: other files' keys name their file."""
    other_file, key = _split(loc)
    return key if other_file == file else f"{key} ({other_file})"


def _split(loc: KeyPath) -> tuple[str, str]:
    """(file name, dotted key inside that file) for a location under AppConfig."""
    if loc and isinstance(loc[0], str) and loc[0] in SECTION_FILES:
        return SECTION_FILES[loc[0]], render_key(loc[1:])
    return "config", render_key(loc)


_TYPE_PROBLEMS: dict[str, str] = {
    "missing": "required key is missing",
    "int_type": "must be an integer",
    "int_from_float": "must be an integer",
    "int_parsing": "must be an integer",
    "float_type": "must be a number",
    "float_parsing": "must be a number",
    "finite_number": "must be a finite number",
    "bool_type": "must be true or false",
    "string_type": "must be a string",
    "model_type": "must be a mapping of keys",
    "model_attributes_type": "must be a mapping of keys",
    "dict_type": "must be a mapping",
    "mapping_type": "must be a mapping",
    "tuple_type": "must be a list",
    "list_type": "must be a list",
    "is_instance_of": "has the wrong type",
}


# Keys that are gone, and where what they set lives now: an old file is told, not just
# refused. (The socket's message budget was counted twice, here and in `websocket`.)
_REMOVED_KEYS: dict[KeyPath, str] = {
    ("risk", "rate_limits", "ws_messages_per_minute"):
        "removed: the socket's message budget is websocket.max_messages",
    ("risk", "rate_limits", "ws_control_reserve"):
        "removed: the socket's reserve for pings and subscriptions is "
        "websocket.control_reserve",
}


def _problem(detail: ErrorDetails, root: type[BaseModel], loc: KeyPath) -> str:
    kind = detail["type"]
    ctx: Mapping[str, Any] = detail.get("ctx", {})
    if kind in _TYPE_PROBLEMS:
        return _TYPE_PROBLEMS[kind]
    if kind == "extra_forbidden":
        return _REMOVED_KEYS.get(loc) or _unknown_key(root, loc[:-1])
    if kind == "value_error":
        return str(ctx.get("error", detail["msg"]))
    return _bound_problem(kind, ctx) or detail["msg"].lower()


def _bound_problem(kind: str, ctx: Mapping[str, Any]) -> str | None:
    bounds = {
        "greater_than": ("must be > ", "gt"),
        "greater_than_equal": ("must be >= ", "ge"),
        "less_than": ("must be < ", "lt"),
        "less_than_equal": ("must be <= ", "le"),
    }
    if kind in bounds:
        prefix, name = bounds[kind]
        return f"{prefix}{ctx[name]}"
    if kind in {"too_short", "string_too_short"}:
        return "must not be empty"
    if kind == "string_pattern_mismatch":
        return "must be a coin name: letters and digits (also : _ -), at most 32 characters"
    if kind in {"enum", "literal_error"}:
        return f"must be one of {ctx.get('expected', '?')}"
    return None


def _unknown_key(root: type[BaseModel], parent: KeyPath) -> str:
    model = _model_at(root, parent)
    if model is None:
        return "unknown key"
    allowed = ", ".join(f.alias or name for name, f in model.model_fields.items())
    return f"unknown key (allowed: {allowed})"


def _model_at(root: type[BaseModel], path: KeyPath) -> type[BaseModel] | None:
    """The model class at a validation location, following field annotations."""
    model: type[BaseModel] = root
    for part in path:
        field = _field_by_key(model, part)
        if field is None:
            return None
        annotation = field.annotation
        if not (isinstance(annotation, type) and issubclass(annotation, BaseModel)):
            return None
        model = annotation
    return model


def _field_by_key(model: type[BaseModel], key: str | int) -> Any:
    for name, field in model.model_fields.items():
        if key in (name, field.alias):
            return field
    return None
