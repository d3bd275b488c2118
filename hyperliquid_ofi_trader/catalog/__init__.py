"""The data catalog: recordings, Hyperliquid archive hours and synthetic sessions in one
partitioned Parquet layout, readable from a local folder or an `s3://` URI.

Layout (hive style; partitions by UTC receive time):

    <root>/channel=l2Book/coin=BTC/date=2024-01-01/hour=12/part-<source_id>-000.parquet
    <root>/_manifest/<source_id>.json     one per ingested source (files, rows, spans,
                                          sha256, origin, SYNTHETIC flag + scenario/seed)

Read API (what backtests, replays, research and Ray workers use):

    from hyperliquid_ofi_trader.catalog import CatalogQuery, iter_catalog_frames, parse_hour
    q = CatalogQuery("s3://bucket/catalog", coins=("BTC", "ETH"),
                     start=parse_hour("2024-01-01T00"), end=parse_hour("2024-01-07T23"))
    for local_ns, frame in iter_catalog_frames(q): ...

`data.replay_sources.iter_frames(q)` accepts the same query, so every reader of a
recording path reads a catalog selection too. A `CatalogQuery` is a frozen, picklable value:
hand it (not a local path) to remote workers; each opens the URI itself. S3 access uses the
standard AWS credential chain and honours `AWS_ENDPOINT_URL`.

Write API: `catalog.ingest.ingest_path(open_location(uri), path)` (a recording file or a
folder, one source per file, content-addressed: re-ingesting is a no-op), and
`catalog.archive.fetch_archive` for Hyperliquid's public S3 archive. Tests get a local S3
server from `tests/s3_support.py` (`s3_server` fixture, `seed_archive`).
"""

from hyperliquid_ofi_trader.catalog.location import (
    CatalogLocation,
    CatalogLocationError,
    open_location,
)
from hyperliquid_ofi_trader.catalog.query import (
    CatalogQuery,
    HourFormatError,
    hours_between,
    parse_hour,
)
from hyperliquid_ofi_trader.catalog.reader import (
    CatalogError,
    EmptySelectionError,
    iter_catalog_frames,
    selection_labels,
)

__all__ = [
    "CatalogError",
    "CatalogLocation",
    "CatalogLocationError",
    "CatalogQuery",
    "EmptySelectionError",
    "HourFormatError",
    "hours_between",
    "iter_catalog_frames",
    "open_location",
    "parse_hour",
    "selection_labels",
]

