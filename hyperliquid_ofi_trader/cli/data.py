"""`hlofi data describe|convert|fetch|ingest|ls`: inspect recordings, turn them into
Parquet, fetch Hyperliquid's archive into a data catalog, put recordings into it, list it."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from hyperliquid_ofi_trader.cli.data_catalog import register_catalog_commands
from hyperliquid_ofi_trader.data.replay_sources import (
    ReadStats,
    ReplaySourceError,
    SourceDescription,
    describe,
)
from hyperliquid_ofi_trader.data.synthetic_meta import synthetic_label
from hyperliquid_ofi_trader.research.parquet_export import ConvertError, ConvertResult, convert

data_app = typer.Typer(
    name="data",
    help="Inspect recorded raw frames (ours, Hyperliquid archive LZ4, ns-prefixed gzip "
    "captures), convert them to Parquet, fetch Hyperliquid's archive into a data catalog, "
    "ingest recordings into it and list it.",
    no_args_is_help=True,
)
register_catalog_commands(data_app)

DataOption = Annotated[
    Path,
    typer.Option("--data", help="A recording file or a directory of them (searched "
                 "recursively, merged in receive-time order)."),
]


def register(app: typer.Typer) -> None:
    app.add_typer(data_app)


def _iso(ns: int | None) -> str:
    if ns is None:
        return "-"
    return datetime.fromtimestamp(ns / 1e9, UTC).strftime("%Y-%m-%d %H:%M:%S.%f")[:-3] + "Z"


def _damage(stats: ReadStats) -> str:
    parts = [f"{stats.malformed} malformed line(s)"]
    if stats.malformed_reasons:
        parts[0] += " (" + ", ".join(f"{k} {v}" for k, v in
                                     stats.malformed_reasons.most_common()) + ")"
    parts += [f"{stats.truncated_files} truncated file(s)",
              f"{stats.corrupt_files} corrupt file(s)",
              f"{stats.skipped_files} skipped file(s)"]
    return ", ".join(parts)


def format_description(desc: SourceDescription) -> str:
    lines = [
        f"{desc.path}: {desc.stats.files} file(s), {desc.frames:,} frames",
        f"  span:     {_iso(desc.first_ns)} -> {_iso(desc.last_ns)} ({desc.span_s:,.1f} s)",
        f"  order:    {desc.out_of_order} frame(s) earlier than the one before",
        f"  damage:   {_damage(desc.stats)}",
        "  channels:",
    ]
    width = max((len(c) for c in desc.channels), default=0)
    lines += [f"    {c:<{width}}  {n:>10,}" for c, n in desc.channels.most_common()]
    return "\n".join(lines)


def format_conversion(res: ConvertResult, out: Path) -> str:
    lines = [f"converted {res.frames:,} frames ({res.events:,} exported events) into {out}"]
    lines += [f"  {name:<14} {rows:>12,} rows" for name, rows in res.rows.items()]
    if not res.rows:
        lines.append("  (no market or account events: nothing written)")
    if res.rejections:
        lines.append("  codec rejected: " + ", ".join(
            f"{k} {v}" for k, v in res.rejections.most_common()))
    lines.append(f"  input damage: {_damage(res.read)}")
    return "\n".join(lines)


def _fail(message: str) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(code=1)


@data_app.command("describe")
def describe_cmd(data: DataOption) -> None:
    """Count frames per channel, the time span, and any damage in a recording."""
    try:
        desc = describe(data)
    except ReplaySourceError as exc:
        raise _fail(str(exc)) from None
    label = synthetic_label(data)
    if label is not None:
        typer.echo(f"{label}: a seeded model, NOT market data")
    typer.echo(format_description(desc))


@data_app.command("convert")
def convert_cmd(
    data: DataOption,
    out: Annotated[Path, typer.Option(help="Output directory for <table>.parquet files.",
                                      file_okay=False)],
    overwrite: Annotated[bool, typer.Option(help="Replace existing Parquet files in OUT.")]
    = False,
    batch_rows: Annotated[int, typer.Option(help="Rows per Parquet row group.", min=1)]
    = 200_000,
) -> None:
    """Decode a recording with the live codec and write one Parquet file per channel
    (book_levels, bbo, trades, asset_ctx, order_updates, fills), each row with both the
    exchange and the local receive timestamp."""
    try:
        res = convert(data, out, batch_rows=batch_rows, overwrite=overwrite)
    except (ReplaySourceError, ConvertError) as exc:
        raise _fail(str(exc)) from None
    typer.echo(format_conversion(res, out))
