"""`hlofi data fetch|ingest|ls|verify`: the data catalog from the command line.

    hlofi data fetch --coins BTC,ETH --from 2024-01-01T00 --to 2024-01-07T23 --catalog DIR
    hlofi data ingest --data RECORDING_OR_FOLDER --catalog DIR
    hlofi data ls --catalog DIR
    hlofi data verify --catalog DIR

Exit codes: 0 done; 1 something the user must fix (no credentials, bad arguments, an
unreadable catalog) or some hours missing/failed (the others are in the catalog).
"""

from __future__ import annotations

import logging
import os
from datetime import datetime, timedelta
from pathlib import Path
from typing import Annotated

import orjson
import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)

from hyperliquid_ofi_trader.catalog.archive import (
    BUCKET,
    ArchiveError,
    ArchiveObject,
    FetchReport,
    ProgressFn,
    fetch_archive,
    plan,
)
from hyperliquid_ofi_trader.catalog.ingest import ingest_path
from hyperliquid_ofi_trader.catalog.listing import (
    format_listing,
    list_catalog,
    listing_dict,
    verify_catalog,
)
from hyperliquid_ofi_trader.catalog.location import (
    CatalogLocation,
    CatalogLocationError,
    open_location,
)
from hyperliquid_ofi_trader.catalog.query import HOUR, HourFormatError, hours_between, parse_hour
from hyperliquid_ofi_trader.cli.catalog_options import SourceChoiceError, parse_coins
from hyperliquid_ofi_trader.data.replay_sources import ReplaySourceError

DAY = timedelta(days=1)
CatalogArg = Annotated[str, typer.Option(
    "--catalog", help="The catalog: a local folder or s3://bucket/prefix.")]


def _fail(message: str) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(code=1)


def _open(uri: str) -> CatalogLocation:
    try:
        return open_location(uri)
    except CatalogLocationError as exc:
        raise _fail(str(exc)) from None


def default_cache(location: CatalogLocation) -> Path:
    """Raw downloads: inside a local catalog (`_raw`, ignored by Parquet readers); for an
    s3:// catalog, the user's cache folder."""
    if not location.is_remote:
        return Path(location.root) / "_raw"
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "hlofi" / "archive"


def fetch_cmd(
    coins: Annotated[str, typer.Option("--coins", help="Comma-separated coins, e.g. BTC,ETH.")],
    start: Annotated[str, typer.Option("--from", help="First UTC hour, e.g. 2024-01-01T00.")],
    end: Annotated[str, typer.Option("--to", help="Last UTC hour (inclusive), e.g. "
                                     "2024-01-07T23.")],
    catalog: CatalogArg,
    workers: Annotated[int, typer.Option(help="Parallel downloads.", min=1, max=64)] = 8,
    asset_ctxs: Annotated[bool, typer.Option(
        help="Also fetch the daily asset-context files (asset_ctxs/YYYYMMDD.csv.lz4).")]
    = True,
    cache: Annotated[Path | None, typer.Option(
        help="Folder for raw downloads (resumable; default: CATALOG/_raw, or "
        "~/.cache/hlofi/archive for an s3:// catalog).", file_okay=False)] = None,
    bucket: Annotated[str, typer.Option(help="Archive bucket.")] = BUCKET,
    quiet: Annotated[bool, typer.Option(help="No progress bar.")] = False,
) -> None:
    """Fetch Hyperliquid's public archive (requester pays: billed to your AWS account,
    credentials from the standard AWS chain; AWS_ENDPOINT_URL honoured) into the catalog.
    Parallel, resumable, checksummed; missing hours are named and the rest still lands."""
    try:
        coin_list = list(parse_coins(coins) or ())
        hours = hours_between(parse_hour(start), parse_hour(end, end=True))
    except (SourceChoiceError, HourFormatError) as exc:
        raise _fail(str(exc)) from None
    location = _open(catalog)
    objects = plan(coin_list, hours, asset_ctxs=asset_ctxs)
    logging.getLogger("botocore").setLevel(logging.WARNING)  # not one line per credential
    try:
        report = _run_fetch(location, objects, cache or default_cache(location), workers,
                            bucket, quiet)
    except ArchiveError as exc:
        raise _fail(str(exc)) from None
    typer.echo(format_fetch(report, len(objects)))
    if not report.ok:
        raise typer.Exit(code=1)


def _run_fetch(location: CatalogLocation, objects: list[ArchiveObject], cache: Path,
               workers: int, bucket: str, quiet: bool) -> FetchReport:
    if quiet:
        return fetch_archive(location, objects, cache, workers=workers, bucket=bucket)
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
               DownloadColumn(), TransferSpeedColumn(), TimeRemainingColumn())
    with Progress(*columns, console=Console(stderr=True), transient=True) as bar:
        objs = bar.add_task("objects", total=len(objects))
        data = bar.add_task("bytes", total=0)
        return fetch_archive(location, objects, cache, workers=workers, bucket=bucket,
                             progress=_progress_fn(bar, objs, data))


def _progress_fn(bar: Progress, objs: TaskID, data: TaskID) -> ProgressFn:
    def on(event: str, amount: int) -> None:
        if event == "object":
            bar.advance(objs, amount)
        elif event == "bytes":
            bar.advance(data, amount)
        else:
            total = bar.tasks[data].total or 0
            bar.update(data, total=total + amount)

    return on


def hour_runs(objects: list[ArchiveObject]) -> str:
    """Missing objects, consecutive hours of a coin folded into one range:
    `ETH 2024-01-03T00..2024-01-03T23 (24 h), BTC 2024-01-05T07`."""
    by_coin: dict[str, list[datetime]] = {}
    for obj in objects:
        by_coin.setdefault(obj.coin or "asset contexts", []).append(obj.hour)
    parts = []
    for coin, hours in by_coin.items():
        daily = coin == "asset contexts"
        step, fmt, unit = (DAY, "%Y-%m-%d", "days") if daily else (HOUR, "%Y-%m-%dT%H", "h")
        for first, last, n in _runs(sorted(hours), step):
            span = (first.strftime(fmt) if n == 1
                    else f"{first.strftime(fmt)}..{last.strftime(fmt)} ({n} {unit})")
            parts.append(f"{coin} {span}")
    return ", ".join(parts)


def _runs(hours: list[datetime], step: timedelta) -> list[tuple[datetime, datetime, int]]:
    runs: list[tuple[datetime, datetime, int]] = []
    for h in hours:
        if runs and h - runs[-1][1] == step:
            runs[-1] = (runs[-1][0], h, runs[-1][2] + 1)
        else:
            runs.append((h, h, 1))
    return runs


def format_fetch(report: FetchReport, planned: int) -> str:
    lines = [f"{planned} object(s): {len(report.fetched)} fetched "
             f"({report.bytes_downloaded / 2**20:,.1f} MiB, {report.frames:,} rows), "
             f"{len(report.skipped)} already in the catalog (verified)"]
    if report.missing:
        lines.append(f"missing from the archive ({len(report.missing)}): "
                     + hour_runs(report.missing))
    if report.denied:
        lines.append(f"access denied (missing, or not permitted) ({len(report.denied)}): "
                     + hour_runs(report.denied))
    lines += [f"failed: {o.label}: {reason}" for o, reason in report.failed]
    return "\n".join(lines)


def ingest_cmd(
    data: Annotated[list[Path], typer.Option(
        "--data", help="A recording file or folder (repeatable): our recordings, archive "
        "files, captures, `hlofi sim record` folders (flagged SYNTHETIC).")],
    catalog: CatalogArg,
) -> None:
    """Put recordings into the catalog, one source per file (content-addressed: files
    already there are skipped, so a growing recording folder can be ingested again)."""
    location = _open(catalog)
    for path in data:
        try:
            results = ingest_path(location, path)
        except ReplaySourceError as exc:
            raise _fail(str(exc)) from None
        for res in results:
            entry = res.entry
            verb = "already in the catalog" if res.skipped else "ingested"
            typer.echo(f"{entry.origin}: {verb} as source {entry.source_id} ({entry.label}): "
                       f"{entry.frames:,} frames in {len(entry.parts)} part(s)")


def ls_cmd(catalog: CatalogArg,
           as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
           ) -> None:
    """List what the catalog holds: channel / coin / day, hours, frames, size, data kind."""
    location = _open(catalog)
    try:
        listing = list_catalog(location)
    except (ReplaySourceError, CatalogLocationError) as exc:
        raise _fail(str(exc)) from None
    if as_json:
        typer.echo(orjson.dumps(listing_dict(listing), option=orjson.OPT_INDENT_2).decode())
    else:
        typer.echo(format_listing(listing))


def verify_cmd(catalog: CatalogArg) -> None:
    """Read every Parquet part and check it against the manifest's SHA-256 (exit 1 on any
    missing or altered part; re-ingest or re-fetch its source to repair it)."""
    location = _open(catalog)
    try:
        checked, problems = verify_catalog(location)
    except (ReplaySourceError, CatalogLocationError) as exc:
        raise _fail(str(exc)) from None
    for p in problems:
        typer.echo(f"{p.problem}: {p.path} (source {p.source_id})")
    typer.echo(f"{checked} part(s) checked, {len(problems)} problem(s)")
    if problems:
        raise typer.Exit(code=1)


def register_catalog_commands(app: typer.Typer) -> None:
    app.command("fetch")(fetch_cmd)
    app.command("ingest")(ingest_cmd)
    app.command("ls")(ls_cmd)
    app.command("verify")(verify_cmd)
