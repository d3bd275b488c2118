"""The catalog manifest: one JSON document per ingested source, `_manifest/<source_id>.json`.

One file per source (not one shared file) so parallel ingests, and ingests into S3, never
race on a read-modify-write. The document is written last, after every Parquet part of
the source: a crashed ingest leaves parts without a manifest, which readers ignore and the
next ingest of the same source overwrites (part names are deterministic).

`source_id` is the first 16 hex digits of the SHA-256 of the source's bytes, so the same
data ingested twice (from another path, or fetched again) is recognised and skipped.
"""

from __future__ import annotations

import msgspec

from hyperliquid_ofi_trader.catalog.location import CatalogLocation
from hyperliquid_ofi_trader.errors import OurBugError

MANIFEST_DIR = "_manifest"
LAYOUT_VERSION = 1


class PartEntry(msgspec.Struct, frozen=True, kw_only=True):
    """One Parquet file: its partition, row count, time span and checksum."""

    path: str  # relative to the catalog root
    channel: str
    coin: str  # "_all" for frames that belong to no coin
    date: str  # YYYY-MM-DD (UTC, of the receive time)
    hour: int  # 0..23
    rows: int
    bytes: int
    sha256: str
    first_local_ns: int
    last_local_ns: int
    first_order_ns: int  # the merge key's range: order_ns never decreases inside a part
    last_order_ns: int


class SourceEntry(msgspec.Struct, frozen=True, kw_only=True):
    """One ingested source (a recording, an archive object, a synthetic session)."""

    source_id: str
    kind: str  # "recording" | "archive" | "synthetic"
    origin: str  # the path or s3 key it came from
    origin_sha256: str
    frames: int
    first_local_ns: int | None
    last_local_ns: int | None
    ingested_at: str
    parts: tuple[PartEntry, ...]
    synthetic: bool = False
    scenario: str | None = None
    seed: int | None = None
    etag: str | None = None
    damage: dict[str, int] = msgspec.field(default_factory=dict)
    layout_version: int = LAYOUT_VERSION

    @property
    def label(self) -> str:
        if self.synthetic:
            return f"SYNTHETIC (scenario {self.scenario or '?'}, seed {self.seed})"
        return "recorded market data"


_decoder = msgspec.json.Decoder(SourceEntry)


class ManifestError(OurBugError):
    """A manifest document that cannot be read."""


def manifest_path(location: CatalogLocation, source_id: str) -> str:
    return location.path(MANIFEST_DIR, f"{source_id}.json")


def write_source(location: CatalogLocation, entry: SourceEntry) -> None:
    data = msgspec.json.format(msgspec.json.encode(entry), indent=1)
    location.write_bytes(manifest_path(location, entry.source_id), data)


def read_source(location: CatalogLocation, source_id: str) -> SourceEntry | None:
    path = manifest_path(location, source_id)
    if not location.exists(path):
        return None
    return _decode(location, path)


def _decode(location: CatalogLocation, path: str) -> SourceEntry:
    try:
        return _decoder.decode(location.read_bytes(path))
    except msgspec.DecodeError as exc:  # ValidationError is a DecodeError
        raise ManifestError(f"{location.uri}: unreadable manifest {path}: {exc}") from exc


def read_sources(location: CatalogLocation) -> list[SourceEntry]:
    """Every source of the catalog, oldest ingest first."""
    paths = [p for p in location.list_files(location.path(MANIFEST_DIR))
             if p.endswith(".json")]
    entries = [_decode(location, p) for p in paths]
    entries.sort(key=lambda e: (e.ingested_at, e.source_id))
    return entries


def parts_present(location: CatalogLocation, entry: SourceEntry) -> bool:
    """Every part of the source exists with its recorded size (a cheap check on S3)."""
    for part in entry.parts:
        info = location.fs.get_file_info(location.path(part.path))
        if info.size != part.bytes:
            return False
    return True
