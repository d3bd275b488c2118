"""`hlofi explain DECISION_ID`: show one journaled decision and the inputs behind it.

Reads the journal read-only (safe while a run is writing to it: WAL readers do not block
the writer) and prints, for that decision: exchange and local time, coin, trading state,
the book top, signals, regime, alpha and its breakdown, position, intents, the outcome and
its reason, and the state changes and stage errors recorded near it in time.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, NoReturn

import orjson
import typer
from rich.console import Console, Group, RenderableType
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from hyperliquid_ofi_trader.core.journal import (
    DecisionRow,
    ErrorRow,
    JournalError,
    JournalReader,
    StateChangeRow,
)

_NS = 1_000_000_000
# Input keys rendered in their own sections; anything else is listed under "other inputs".
_SECTIONS = ("event", "source_coin", "book", "lead_book", "signals", "regime", "alpha",
             "alpha_explain", "position", "intents", "approved", "rejected", "failed_stage")


def register(app: typer.Typer) -> None:
    app.command("explain")(explain)


def explain(
    decision_id: Annotated[int, typer.Argument(help="Decision id (as cited by orders and "
                                               "shown by status views).", min=1)],
    db: Annotated[Path | None, typer.Option(
        "--db", help="Journal database. Default: risk.journal.path in the newest run "
        "folder under runs/.",
        dir_okay=False)] = None,
    config_dir: Annotated[Path | None, typer.Option(
        "--dir", help="User config folder, used only to find the journal when --db is "
        "not given.", file_okay=False)] = None,
    window_s: Annotated[float, typer.Option(
        "--window-s", help="Show state changes and errors within this many seconds of the "
        "decision (local time).", min=0.0)] = 60.0,
    as_json: Annotated[bool, typer.Option(
        "--json", help="Print the decision row as JSON instead of the readable view.")] = False,
) -> None:
    """Explain one decision: its inputs, outcome and reason, and what happened around it."""
    path = db if db is not None else _journal_from_config(config_dir)
    try:
        reader = JournalReader(path)
    except JournalError as exc:
        _fail(str(exc))
    with reader:
        row = reader.decision(decision_id)
        if row is None:
            n = reader.counts()["decisions"]
            _fail(f"no decision {decision_id} in {path} ("
                  + (f"ids 1..{n})" if n else "the journal has no decisions yet)"))
        span = int(window_s * _NS)
        changes = reader.state_changes(row.local_ns - span, row.local_ns + span)
        errors = reader.errors(row.local_ns - span, row.local_ns + span)
    if as_json:
        typer.echo(orjson.dumps(_as_dict(row), option=orjson.OPT_INDENT_2).decode())
        return
    console = Console(width=None if Console().is_terminal else 120)
    console.print(render(row, changes, errors))


def _fail(message: str) -> NoReturn:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code=1)


_RUNS_ROOT = Path("runs")


def _journal_from_config(config_dir: Path | None) -> Path:
    # Imported here: loading the config stack is only needed when --db is absent.
    from hyperliquid_ofi_trader.config.errors import ConfigError
    from hyperliquid_ofi_trader.config.loader import load_config

    try:
        journal = load_config(config_dir).risk.journal
    except ConfigError as exc:
        _fail(f"invalid configuration (pass --db to skip it): {exc}")
    # risk.journal.path is per run folder: the newest run under runs/ (hlofi run's default
    # place) is the one an operator asks about; an absolute path is the one shared file.
    runs = [journal.in_run_dir(d) for d in _RUNS_ROOT.glob("*") if d.is_dir()]
    found = [p for p in runs if p.is_file()]
    if Path(journal.path).is_absolute() or not found:
        return journal.in_run_dir(_RUNS_ROOT)
    return max(found, key=lambda p: p.stat().st_mtime)


def _as_dict(row: DecisionRow) -> dict[str, Any]:
    return {f: getattr(row, f) for f in row.__struct_fields__}


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
    for key in ("signals", "regime", "alpha_explain"):
        if key in inputs:
            parts.append(_kv_table(key.replace("_", " "), inputs[key]))
    parts.append(_scalars(inputs))
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
