"""The archive's daily asset contexts (`asset_ctxs/YYYYMMDD.csv.lz4`: funding, open
interest, mark/oracle/mid prices per coin) as a Parquet table beside the frame layout:

    CATALOG/asset_ctxs/date=YYYY-MM-DD/part-<sha16>.parquet    the CSV's own columns
    CATALOG/_manifest/asset_ctxs/YYYYMMDD.json                 origin, ETag, sha256, rows

They are not frames (no replay reads them), so they stay out of the channel partitions.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from pathlib import Path

import lz4.frame
import orjson
import pyarrow as pa  # type: ignore[import-untyped]
import pyarrow.csv as pacsv  # type: ignore[import-untyped]
import pyarrow.parquet as pq  # type: ignore[import-untyped]

from hyperliquid_ofi_trader.catalog.location import CatalogLocation
from hyperliquid_ofi_trader.catalog.manifest import MANIFEST_DIR

ASSET_CTX_DIR = "asset_ctxs"


def record_path(location: CatalogLocation, day: datetime) -> str:
    return location.path(MANIFEST_DIR, ASSET_CTX_DIR, f"{day:%Y%m%d}.json")


def write_asset_ctxs(location: CatalogLocation, day: datetime, path: Path, origin: str,
                     etag: str, sha: str) -> int:
    """Convert one downloaded day into the catalog; returns its row count."""
    try:
        table = pacsv.read_csv(pa.BufferReader(lz4.frame.decompress(path.read_bytes())))
    except (RuntimeError, pa.ArrowInvalid) as exc:
        raise ValueError(f"{origin}: not an LZ4 CSV of asset contexts: {exc}") from exc
    sink = pa.BufferOutputStream()
    pq.write_table(table, sink, compression="zstd")
    data = bytes(sink.getvalue().to_pybytes())
    rel = f"{ASSET_CTX_DIR}/date={day:%Y-%m-%d}/part-{sha[:16]}.parquet"
    location.write_bytes(location.path(rel), data)
    record = {"origin": origin, "etag": etag, "origin_sha256": sha, "path": rel,
              "rows": table.num_rows, "bytes": len(data),
              "sha256": hashlib.sha256(data).hexdigest(), "columns": table.column_names}
    location.write_bytes(record_path(location, day),
                         orjson.dumps(record, option=orjson.OPT_INDENT_2))
    return int(table.num_rows)


def asset_ctxs_present(location: CatalogLocation, day: datetime, etag: str) -> bool:
    """The day is in the catalog from an object with this ETag, its Parquet file intact
    in size."""
    path = record_path(location, day)
    if not location.exists(path):
        return False
    try:
        record = orjson.loads(location.read_bytes(path))
    except (OSError, orjson.JSONDecodeError):
        return False
    info = location.fs.get_file_info(location.path(str(record.get("path", ""))))
    return bool(record.get("etag") == etag and info.size == record.get("bytes"))
