"""`hlofi replay --data PATH` (or `--catalog URI --coins --from --to`): recorded frames
through the live codec and engine."""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path
from typing import Annotated, Any

import orjson
import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from hyperliquid_ofi_trader.cli.catalog_options import (
    CatalogOption,
    CoinsOption,
    FromOption,
    SourceChoiceError,
    ToOption,
    resolve_source,
)
from hyperliquid_ofi_trader.config import ConfigError, load_config
from hyperliquid_ofi_trader.data.replay_sources import ReplaySource, ReplaySourceError
from hyperliquid_ofi_trader.data.synthetic_meta import synthetic_label
from hyperliquid_ofi_trader.runtime.replay import ReplayResult, replay


def register(app: typer.Typer) -> None:
    app.command("replay")(replay_command)


def replay_command(
    data: Annotated[Path | None, typer.Option(
        "--data", help="A recording file or folder: our .zst recordings, the Hyperliquid "
        "archive LZ4 format, or `<ns> <json>` gzip captures.")] = None,
    catalog: CatalogOption = None,
    coins: CoinsOption = None,
    start: FromOption = None,
    end: ToOption = None,
    config_dir: Annotated[Path | None, typer.Option(
        "--config", help="User config folder overriding the packaged defaults.",
        file_okay=False)] = None,
    journal: Annotated[Path | None, typer.Option(
        "--journal", help="Journal database to write (default: runs/replay-<time>.sqlite).",
        dir_okay=False)] = None,
    limit: Annotated[int | None, typer.Option(
        "--limit", help="Stop after this many frames.", min=1)] = None,
    as_json: Annotated[bool, typer.Option(
        "--json", help="Print the summary as one JSON object.")] = False,
) -> None:
    """Replay recorded frames through the same codec and engine as a live run, with the
    replay clock, and print a summary. Decisions go to a fresh journal (`hlofi explain`)."""
    err = Console(stderr=True)
    try:
        source = resolve_source(data, catalog, coins, start, end)
    except SourceChoiceError as exc:
        err.print(f"[red]{exc}[/red]")
        raise typer.Exit(1) from None
    try:
        cfg = load_config(config_dir)
    except ConfigError as exc:
        err.print(f"[red]invalid configuration:[/red]\n{exc}")
        raise typer.Exit(1) from None
    journal_path = journal or _default_journal()
    if journal_path.exists():
        err.print(f"[red]journal {journal_path} already exists: choose another --journal[/red]")
        raise typer.Exit(1)
    journal_path.parent.mkdir(parents=True, exist_ok=True)
    try:
        result = _run(cfg_source=(cfg, source, journal_path), limit=limit, quiet=as_json)
    except ReplaySourceError as exc:
        err.print(f"[red]cannot replay {source}: {exc}[/red]")
        raise typer.Exit(1) from None
    data_note = synthetic_label(source) or "recorded market data"
    if as_json:
        typer.echo(orjson.dumps({"data": data_note, **result.as_dict()}, default=str).decode())
    else:
        print_summary(Console(), result, data_note)


def _run(cfg_source: tuple[Any, ReplaySource, Path], limit: int | None,
         quiet: bool) -> ReplayResult:
    cfg, data, journal_path = cfg_source
    if quiet:
        return replay(cfg, data, journal_path, limit=limit, stopwatch=time.perf_counter)
    columns = (TextColumn("replaying"), BarColumn(bar_width=None),
               TextColumn("{task.completed:,} frames"), TimeElapsedColumn())
    with Progress(*columns, transient=True, console=Console(stderr=True)) as progress:
        task = progress.add_task("replay", total=limit)
        return replay(cfg, data, journal_path, limit=limit, stopwatch=time.perf_counter,
                      on_progress=lambda n: progress.update(task, completed=n))


def _default_journal() -> Path:
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S")
    return Path("runs") / f"replay-{stamp}.sqlite"


def print_summary(console: Console, result: ReplayResult, data_note: str = "") -> None:
    d = result.as_dict()
    engine = d["engine"]
    table = Table(title="replay summary", show_header=False, title_justify="left")
    table.add_column(style="bold")
    table.add_column()
    rows: list[tuple[str, Any]] = [
        *([("data", data_note)] if data_note else []),
        ("source", d["source"]), ("journal", d["journal"]),
        ("frames", f"{d['frames']:,} over {d['recorded_span_s']:,.1f} s of recording"),
        ("throughput", f"{d['frames_per_s']:,.0f} frames/s ({d['wall_s']:.2f} s wall)"),
        ("events by type", _kv(engine["events_by_type"])),
        ("codec rejections", _kv(d["codec_rejections"]) or "none"),
        ("damaged input", _kv({k: v for k, v in d["read"].items()
                               if k in ("malformed", "truncated_files", "corrupt_files") and v})
         or "none"),
        ("decisions", f"{engine['decisions']:,}: {_kv(engine['outcomes'])}"),
        ("stage errors", _kv(engine["stage_errors"]) or "none"),
        ("trading state", f"{engine['trading_state']}"
         + (f" ({engine['state_cause']})" if engine["state_cause"] else "")),
    ]
    for coin, lat in engine["latency_ms"].items():
        rows.append((f"feed latency {coin}", f"p50 {lat['p50']:.0f} ms, p99 {lat['p99']:.0f} "
                     f"ms, max {lat['max']:.0f} ms (local receive − exchange time)"))
    for key, value in rows:
        table.add_row(key, str(value))
    console.print(table)


def _kv(mapping: dict[str, Any]) -> str:
    return ", ".join(f"{k} {v:,}" if isinstance(v, int) else f"{k} {v}"
                     for k, v in sorted(mapping.items()))
