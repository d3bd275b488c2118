"""`--catalog DIR|s3://... --coins A,B --from HOUR --to HOUR`: the options every command that
reads recorded data accepts besides `--data PATH`, and their resolution into one source
(a `Path` or a `CatalogQuery`; `data.replay_sources.iter_frames` reads both)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from hyperliquid_ofi_trader.catalog.query import CatalogQuery, HourFormatError, parse_hour
from hyperliquid_ofi_trader.data.replay_sources import ReplaySource
from hyperliquid_ofi_trader.errors import OurBugError

CatalogOption = Annotated[str | None, typer.Option(
    "--catalog", help="Read from a data catalog (local folder or s3://bucket/prefix) "
    "instead of --data; select with --coins, --from, --to.")]
CoinsOption = Annotated[str | None, typer.Option(
    "--coins", help="With --catalog: comma-separated coins (default: all).")]
FromOption = Annotated[str | None, typer.Option(
    "--from", help="With --catalog: first UTC hour, e.g. 2024-01-01T00 (inclusive).")]
ToOption = Annotated[str | None, typer.Option(
    "--to", help="With --catalog: last UTC hour, e.g. 2024-01-07T23 (inclusive).")]


class SourceChoiceError(OurBugError, ValueError):
    """The data options contradict each other or do not parse."""


def parse_coins(text: str | None) -> tuple[str, ...] | None:
    if text is None:
        return None
    coins = tuple(dict.fromkeys(c.strip() for c in text.split(",") if c.strip()))
    if not coins:
        raise SourceChoiceError("--coins is empty: give e.g. BTC,ETH")
    return coins


def resolve_source(data: Path | None, catalog: str | None, coins: str | None = None,
                   start: str | None = None, end: str | None = None) -> ReplaySource:
    """`--data PATH` or `--catalog URI [--coins] [--from] [--to]`, exactly one of them."""
    if catalog is None:
        if data is None:
            raise SourceChoiceError("give --data PATH or --catalog DIR|s3://...")
        if coins is not None or start is not None or end is not None:
            raise SourceChoiceError("--coins, --from and --to select from a --catalog")
        return data
    if data is not None:
        raise SourceChoiceError("give either --data or --catalog, not both")
    if "://" not in catalog:
        # Absolute, so a worker process started elsewhere reads the same folder.
        catalog = str(Path(catalog).absolute())
    try:
        return CatalogQuery(catalog, parse_coins(coins),
                            parse_hour(start) if start is not None else None,
                            parse_hour(end, end=True) if end is not None else None)
    except HourFormatError as exc:
        raise SourceChoiceError(str(exc)) from None

