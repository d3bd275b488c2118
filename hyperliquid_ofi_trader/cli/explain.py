"""`hlofi explain [DECISION_ID | last] [--order CLOID]`: show one journaled decision and the
inputs behind it.

Without `--db` the journal is the running system's (the run registry, as `hlofi status`
finds it), else the newest run's under `runs/` (where `hlofi run`, `paper`, `backtest` and
`replay` write by default), else the configured `risk.journal.path`. `last` (the
default) is the newest decision; `--order CLOID` is the decision that placed that order.

Reads the journal read-only (safe while a run is writing to it: WAL readers do not block
the writer) and prints, for that decision: exchange and local time, coin, trading state,
the book top, signals, regime, alpha and its breakdown, position, intents, the outcome and
its reason, and the state changes and stage errors recorded near it in time.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, NoReturn

import orjson
import typer
from rich.console import Console

from hyperliquid_ofi_trader.core.journal import DecisionRow
from hyperliquid_ofi_trader.runtime.explanation import (
    ExplainError,
    load,
    render,
    resolve_decision,
)

# Where `hlofi run` / `hlofi paper` put their run folders by default (cli/run.py).
RUNS_DIR = Path("runs")


def register(app: typer.Typer) -> None:
    app.command("explain")(explain)


def explain(
    decision: Annotated[str, typer.Argument(
        help="Decision id (as cited by orders, fills and status views), or 'last' for the "
        "newest decision.")] = "last",
    order: Annotated[str | None, typer.Option(
        "--order", help="Explain the decision that placed this order (client order id, "
        "as shown next to orders and fills).")] = None,
    db: Annotated[Path | None, typer.Option(
        "--db", help="Journal database. Default: the newest run under runs/, else "
        "risk.journal.path of the configuration.", dir_okay=False)] = None,
    config_dir: Annotated[Path | None, typer.Option(
        "--dir", help="User config folder, used only to find the journal when --db is "
        "not given and no run is found.", file_okay=False)] = None,
    window_s: Annotated[float, typer.Option(
        "--window-s", help="Show state changes and errors within this many seconds of the "
        "decision (local time).", min=0.0)] = 60.0,
    as_json: Annotated[bool, typer.Option(
        "--json", help="Print the decision row as JSON instead of the readable view.")] = False,
) -> None:
    """Explain one decision: its inputs, outcome and reason, and what happened around it."""
    path = db if db is not None else default_journal(config_dir)
    try:
        decision_id = resolve_decision(path, decision, order)
        row, changes, errors = load(path, decision_id, window_s)
    except ExplainError as exc:
        _fail(str(exc))
    if as_json:
        typer.echo(orjson.dumps(_as_dict(row), option=orjson.OPT_INDENT_2).decode())
        return
    console = Console(width=None if Console().is_terminal else 120)
    console.print(render(row, changes, errors))


def _fail(message: str) -> NoReturn:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code=1)


def newest_run_journal(runs_dir: Path = RUNS_DIR) -> Path | None:
    """The journal of the most recently started run under `runs_dir` (None: no run)."""
    # run / paper / backtest folders hold journal.sqlite; `hlofi replay` writes a file.
    found = (*runs_dir.glob("*/journal.sqlite"), *runs_dir.glob("*.sqlite"))
    journals = [p for p in found if p.is_file()]
    if not journals:
        return None
    return max(journals, key=lambda p: (p.stat().st_mtime_ns, str(p)))


def running_journal() -> Path | None:
    """The journal of the most recently started system still running (run registry)."""
    from hyperliquid_ofi_trader.runtime.registry import RunRegistry

    for entry in reversed(RunRegistry().running()):
        journal = Path(entry.run_dir) / "journal.sqlite"
        if journal.is_file():
            return journal
    return None


def default_journal(config_dir: Path | None) -> Path:
    """The running system's journal, else the newest run's under runs/, else the
    configured one."""
    found = running_journal() or newest_run_journal()
    return found if found is not None else _journal_from_config(config_dir)


def _journal_from_config(config_dir: Path | None) -> Path:
    # Imported here: loading the config stack is only needed when no run is found.
    from hyperliquid_ofi_trader.config.errors import ConfigError
    from hyperliquid_ofi_trader.config.loader import load_config

    try:
        journal = load_config(config_dir).risk.journal
    except ConfigError as exc:
        _fail(f"invalid configuration (pass --db to skip it): {exc}")
    # risk.journal.path is per run folder: the newest run under runs/ (hlofi run's default
    # place) is the one an operator asks about; an absolute path is the one shared file.
    runs = [journal.in_run_dir(d) for d in RUNS_DIR.glob("*") if d.is_dir()]
    found = [p for p in runs if p.is_file()]
    if Path(journal.path).is_absolute() or not found:
        return journal.in_run_dir(RUNS_DIR)
    return max(found, key=lambda p: p.stat().st_mtime)


def _as_dict(row: DecisionRow) -> dict[str, Any]:
    return {f: getattr(row, f) for f in row.__struct_fields__}


