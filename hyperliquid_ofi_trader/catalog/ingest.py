"""Put a recording into the catalog: our recordings, Hyperliquid archive files, captures,
and synthetic sessions (`hlofi sim record` folders, flagged SYNTHETIC with scenario/seed).

Sources are content-addressed: the SHA-256 of the source's bytes names it, so ingesting
the same data again is a no-op (`IngestResult.skipped`), whatever path it comes from.
"""

from __future__ import annotations

import dataclasses
import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from hyperliquid_ofi_trader.catalog.location import CatalogLocation
from hyperliquid_ofi_trader.catalog.manifest import (
    SourceEntry,
    parts_present,
    read_source,
    write_source,
)
from hyperliquid_ofi_trader.catalog.writer import PartWriter
from hyperliquid_ofi_trader.data.replay_sources import (
    ReadStats,
    SourceNotFoundError,
    iter_frames,
)
from hyperliquid_ofi_trader.data.synthetic_meta import read_metadata

_HASH_CHUNK = 1 << 20


@dataclass(frozen=True, slots=True)
class IngestResult:
    entry: SourceEntry
    skipped: bool  # already in the catalog, verified present


def _files_of(path: Path) -> list[Path]:
    if path.is_file():
        return [path]
    if not path.is_dir():
        raise SourceNotFoundError(f"{path}: no such file or directory")
    return sorted(p for p in path.rglob("*") if p.is_file()
                  and not any(part.startswith(".") for part in p.relative_to(path).parts))


def content_sha256(path: Path) -> str:
    """SHA-256 of a file, or of a folder's files (relative names and bytes, sorted)."""
    digest = hashlib.sha256()
    base = path if path.is_dir() else path.parent
    for file in _files_of(path):
        if path.is_dir():
            digest.update(str(file.relative_to(base)).encode() + b"\0")
        with file.open("rb") as fh:
            while block := fh.read(_HASH_CHUNK):
                digest.update(block)
    return digest.hexdigest()


def _now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def ingest_recording(location: CatalogLocation, path: Path, *, kind: str | None = None,
                     origin: str | None = None, etag: str | None = None,
                     sha256: str | None = None) -> IngestResult:
    """Ingest the recording at `path` (file or folder) unless the catalog already holds it."""
    path = Path(path)
    digest = sha256 or content_sha256(path)
    source_id = digest[:16]
    existing = read_source(location, source_id)
    if existing is not None and parts_present(location, existing):
        return IngestResult(existing, skipped=True)
    stats = ReadStats()
    writer = PartWriter(location, source_id)
    parts = writer.write_all(iter_frames(path, stats))
    meta = read_metadata(path) or {}
    synthetic = bool(meta.get("synthetic"))
    entry = SourceEntry(
        source_id=source_id, kind=kind or ("synthetic" if synthetic else "recording"),
        origin=origin or str(path.absolute()), origin_sha256=digest,
        frames=writer.stats.frames, first_local_ns=writer.stats.first_local_ns,
        last_local_ns=writer.stats.last_local_ns, ingested_at=_now_iso(),
        parts=tuple(parts), synthetic=synthetic,
        scenario=str(meta["scenario"]) if synthetic and "scenario" in meta else None,
        seed=int(meta["seed"]) if synthetic and "seed" in meta else None,
        etag=etag, damage=_damage(stats))
    write_source(location, entry)
    return IngestResult(entry, skipped=False)


def _damage(stats: ReadStats) -> dict[str, int]:
    counts = dataclasses.asdict(stats)
    counts.pop("malformed_reasons", None)
    return {k: int(v) for k, v in counts.items() if k not in ("files", "frames") and v}

