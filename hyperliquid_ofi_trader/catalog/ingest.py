"""Put recordings into the catalog: our recordings, Hyperliquid archive files, captures,
and synthetic sessions (`hlofi sim record` folders, flagged SYNTHETIC with scenario/seed).

Each recording file is one source, content-addressed: the SHA-256 of its bytes names it,
so ingesting the same file again is a no-op (`IngestResult.skipped`) and a folder of hourly
recordings can be re-ingested as it grows (only new files are read). A file whose content
changed since it was ingested from the same origin (a recording that was still being
written) replaces its earlier version.
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
    manifest_path,
    parts_present,
    read_source,
    write_source,
)
from hyperliquid_ofi_trader.catalog.reader import load_sources
from hyperliquid_ofi_trader.catalog.writer import PartWriter
from hyperliquid_ofi_trader.data.replay_sources import (
    NoRecordingsError,
    ReadStats,
    ReplaySourceError,
    SourceNotFoundError,
    detect_format,
    iter_frames,
)
from hyperliquid_ofi_trader.data.synthetic_meta import METADATA_NAME, read_metadata

_HASH_CHUNK = 1 << 20


@dataclass(frozen=True, slots=True)
class IngestResult:
    entry: SourceEntry
    skipped: bool  # already in the catalog, verified present


def recording_files(path: Path) -> list[Path]:
    """The recordings at `path`: the file itself, or a folder's recognised recording files
    (hidden files, the synthetic metadata and unknown formats left out)."""
    if path.is_file():
        return [path]
    if not path.is_dir():
        raise SourceNotFoundError(f"{path}: no such file or directory")
    files = []
    for file in sorted(p for p in path.rglob("*") if p.is_file()):
        rel = file.relative_to(path).parts
        if file.name == METADATA_NAME or any(part.startswith(".") for part in rel):
            continue
        try:
            detect_format(file)
        except ReplaySourceError:
            continue
        files.append(file)
    if not files:
        raise NoRecordingsError(f"{path}: no recognised recording files")
    return files


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while block := fh.read(_HASH_CHUNK):
            digest.update(block)
    return digest.hexdigest()


def _now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def ingest_path(location: CatalogLocation, path: Path) -> list[IngestResult]:
    """Ingest a recording file, or every recording file of a folder."""
    files = recording_files(Path(path))
    by_origin = {s.origin: s for s in load_sources(location)}
    return [ingest_recording(location, f, previous=by_origin.get(str(f.absolute())))
            for f in files]


def ingest_recording(location: CatalogLocation, path: Path, *, kind: str | None = None,
                     origin: str | None = None, etag: str | None = None,
                     sha256: str | None = None,
                     previous: SourceEntry | None = None) -> IngestResult:
    """Ingest one recording file unless the catalog already holds it. `previous`: the
    source ingested earlier from the same origin, retired once this one is written."""
    path = Path(path)
    digest = sha256 or file_sha256(path)
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
        etag=etag, damage=_damage(stats, writer.stats.invalid_utf8))
    write_source(location, entry)
    if previous is not None and previous.source_id != source_id:
        retire(location, previous)
    return IngestResult(entry, skipped=False)


def retire(location: CatalogLocation, entry: SourceEntry) -> None:
    """Remove a source: its manifest first (readers stop seeing it), then its parts."""
    for path in (manifest_path(location, entry.source_id),
                 *(location.path(p.path) for p in entry.parts)):
        try:
            location.fs.delete_file(path)
        except FileNotFoundError:
            continue


def _damage(stats: ReadStats, invalid_utf8: int) -> dict[str, int]:
    counts = dataclasses.asdict(stats)
    counts.pop("malformed_reasons", None)
    counts["invalid_utf8"] = invalid_utf8
    return {k: int(v) for k, v in counts.items() if k not in ("files", "frames") and v}

