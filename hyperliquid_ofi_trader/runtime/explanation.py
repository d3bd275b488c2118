"""One journaled decision explained: the inputs behind it, its outcome and reason, and the
state changes and stage errors near it, rendered with rich.

`hlofi explain` (cli/explain.py) prints it; the dashboard serves it as text
(`explain_text`).
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import orjson
from rich.console import Console, Group, RenderableType
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from hyperliquid_ofi_trader.core import journal_views
from hyperliquid_ofi_trader.core.journal import (
    DecisionRow,
    ErrorRow,
    JournalError,
    JournalReader,
    StateChangeRow,
)
from hyperliquid_ofi_trader.errors import OurBugError
from hyperliquid_ofi_trader.runtime.explain_sections import alpha_sections, router_sections

_NS = 1_000_000_000
# Input keys rendered in their own sections; anything else is listed under "other inputs".
_SECTIONS = ("event", "source_coin", "book", "lead_book", "signals", "regime", "alpha",
             "alpha_explain", "position", "intents", "router", "approved", "rejected",
             "failed_stage")


class ExplainError(OurBugError):
    """The decision cannot be shown (no journal, unknown id or order): the user's input."""


def resolve_decision(path: Path, decision: str, order: str | None) -> int:
    """The decision id meant by the command line: an id, 'last', or an order's cloid."""
    try:
        if order is not None:
            found = journal_views.decision_of_order(path, order)
            if found is None:
                raise ExplainError(f"no order with cloid {order} in {path}")
            return found
        if decision.strip().lower() == "last":
            last = journal_views.last_decision_id(path)
            if last is None:
                raise ExplainError(f"the journal {path} has no decisions yet")
            return last
    except JournalError as exc:
        raise ExplainError(str(exc)) from exc
    if not decision.isdigit() or int(decision) < 1:
        raise ExplainError(f"decision must be a positive id or 'last', got {decision!r}")
    return int(decision)


def load(path: Path, decision_id: int,
         window_s: float) -> tuple[DecisionRow, list[StateChangeRow], list[ErrorRow]]:
    """The decision row and the state changes and errors within `window_s` of it."""
    try:
        reader = JournalReader(path)
    except JournalError as exc:
        raise ExplainError(str(exc)) from exc
    with reader:
        row = reader.decision(decision_id)
        if row is None:
            n = reader.counts()["decisions"]
            raise ExplainError(f"no decision {decision_id} in {path} ("
                               + (f"ids 1..{n})" if n else "the journal has no decisions "
                                  "yet)"))
        span = int(window_s * _NS)
        changes = reader.state_changes(row.local_ns - span, row.local_ns + span)
        errors = reader.errors(row.local_ns - span, row.local_ns + span)
    return row, changes, errors


def explain_text(path: Path, decision_id: int, *, window_s: float = 60.0,
                 width: int = 110) -> str:
    """The same explanation `hlofi explain` prints, as plain text (dashboard, reports)."""
    row, changes, errors = load(path, decision_id, window_s)
    console = Console(file=io.StringIO(), width=width, record=True, color_system=None)
    console.print(render(row, changes, errors))
    return console.export_text()


# ---------------------------------------------------------------- rendering


def fmt_ns(ns: int) -> str:
    """Epoch ns as UTC ISO time with nanoseconds; '-' when the venue sent no time."""
    if ns <= 0:
        return "-"
    sec, frac = divmod(ns, _NS)
    stamp = dt.datetime.fromtimestamp(sec, tz=dt.UTC).strftime("%Y-%m-%d %H:%M:%S")
    return f"{stamp}.{frac:09d} UTC"


def render(row: DecisionRow, changes: list[StateChangeRow],
           errors: list[ErrorRow]) -> RenderableType:
    parts: list[RenderableType] = [_header(row)]
    inputs = row.inputs
    for key, title in (("book", f"book {row.coin}"), ("lead_book", "lead book")):
        if isinstance(inputs.get(key), Mapping):
            parts.append(_kv_table(title, inputs[key]))
    for key in ("signals", "regime"):
        if key in inputs:
            parts.append(_kv_table(key, inputs[key]))
    if "alpha_explain" in inputs:
        parts.extend(alpha_sections(inputs["alpha_explain"], _fmt, _kv_table))
    parts.append(_scalars(inputs))
    if "router" in inputs:
        parts.extend(router_sections(inputs["router"], _fmt, _kv_table))
    for key in ("intents", "approved", "rejected"):
        if inputs.get(key):
            parts.append(_kv_table(key, {str(i): v for i, v in enumerate(inputs[key])}))
    other = {k: v for k, v in inputs.items() if k not in _SECTIONS}
    if other:
        parts.append(_kv_table("other inputs", other))
    parts.append(_nearby(row, changes, errors))
    return Panel(Group(*parts), title=f"decision {row.id}", expand=False)


def _header(row: DecisionRow) -> RenderableType:
    t = Table.grid(padding=(0, 2))
    t.add_column(style="bold")
    t.add_column()
    latency = ("-" if row.exchange_ns <= 0
               else f"{(row.local_ns - row.exchange_ns) / 1e6:.3f} ms")
    for label, value in (
        ("outcome", Text(row.outcome, style=_outcome_style(row.outcome))),
        ("reason", row.reason), ("coin", row.coin), ("trading state", row.trading_state),
        ("trigger", f"{row.trigger} ({row.inputs.get('source_coin', row.coin)})"),
        ("exchange time", fmt_ns(row.exchange_ns)), ("local time", fmt_ns(row.local_ns)),
        ("feed latency", latency),
    ):
        t.add_row(label, value)
    return t


def _outcome_style(outcome: str) -> str:
    return {"submit": "green", "error": "red", "halted": "red",
            "rejected": "yellow", "not_configured": "yellow"}.get(outcome, "cyan")


def _kv_table(title: str, data: Any) -> RenderableType:
    t = Table(title=title, title_justify="left", show_header=False, box=None,
              padding=(0, 2))
    t.add_column(style="bold")
    t.add_column()
    if isinstance(data, Mapping):
        if not data:
            t.add_row("(none)", "")
        for k, v in data.items():
            t.add_row(str(k), _fmt(v))
    else:
        t.add_row("", _fmt(data))
    return t


def _scalars(inputs: Mapping[str, Any]) -> RenderableType:
    values = {k: inputs[k] for k in ("alpha", "position", "failed_stage") if k in inputs}
    if not values:
        values = {"alpha": "not computed"}
    return _kv_table("decision", values)


def _fmt(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.6g}"
    if isinstance(value, (dict, list)):
        return orjson.dumps(value).decode()
    return str(value)


def _nearby(row: DecisionRow, changes: list[StateChangeRow],
            errors: list[ErrorRow]) -> RenderableType:
    t = Table(title="state changes and errors nearby", title_justify="left")
    for col in ("Δt local", "kind", "what", "detail"):
        t.add_column(col)
    items: list[tuple[int, str, str, str]] = [
        (c.local_ns, "state", f"{c.from_state} -> {c.to_state}", f"{c.trigger}: {c.reason}")
        for c in changes]
    items += [(e.local_ns, "error", f"{e.stage} ({e.event_type} {e.coin})",
               f"{e.error_type}: {e.message}") for e in errors]
    if not items:
        return Text("no state changes or errors nearby", style="dim")
    for local_ns, kind, what, detail in sorted(items):
        t.add_row(f"{(local_ns - row.local_ns) / 1e9:+.3f} s", kind, what, detail)
    return t
