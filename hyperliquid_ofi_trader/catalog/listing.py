"""What a catalog holds, for `hlofi data ls`: one line per channel / coin / day, plus the
sources (with their SYNTHETIC flag) and the asset-context days; and `verify_catalog`, the
full SHA-256 check of every part for `hlofi data verify`."""

from __future__ import annotations

import hashlib
from collections import defaultdict
from dataclasses import dataclass, field

from hyperliquid_ofi_trader.catalog.asset_ctxs import ASSET_CTX_DIR
from hyperliquid_ofi_trader.catalog.location import CatalogLocation
from hyperliquid_ofi_trader.catalog.manifest import MANIFEST_DIR, SourceEntry
from hyperliquid_ofi_trader.catalog.reader import load_sources


@dataclass(slots=True)
class DayRow:
    channel: str
    coin: str
    date: str
    hours: set[int] = field(default_factory=set)
    rows: int = 0
    bytes: int = 0
    labels: set[str] = field(default_factory=set)

    def hours_text(self) -> str:
        """`0-23`, or the hours held when some are absent (`0-4,7,9-11`)."""
        runs: list[list[int]] = []
        for h in sorted(self.hours):
            if runs and runs[-1][1] == h - 1:
                runs[-1][1] = h
            else:
                runs.append([h, h])
        return ",".join(f"{a}" if a == b else f"{a}-{b}" for a, b in runs)


@dataclass(slots=True)
class Listing:
    uri: str
    sources: list[SourceEntry]
    days: list[DayRow]
    asset_ctx_days: list[str]
    # "channel coin YYYY-MM-DDTHH" partitions fed by more than one source: a replay of
    # such an hour sees every source's frames (e.g. a live recording and the archive).
    overlaps: list[str] = field(default_factory=list)

    @property
    def rows(self) -> int:
        return sum(d.rows for d in self.days)


def list_catalog(location: CatalogLocation) -> Listing:
    sources = load_sources(location)
    days: dict[tuple[str, str, str], DayRow] = {}
    feeders: dict[tuple[str, str, str, int], set[str]] = {}
    for src in sources:
        for part in src.parts:
            feeders.setdefault((part.channel, part.coin, part.date, part.hour),
                               set()).add(src.source_id)
            key = (part.channel, part.coin, part.date)
            row = days.get(key) or days.setdefault(key, DayRow(*key))
            row.hours.add(part.hour)
            row.rows += part.rows
            row.bytes += part.bytes
            row.labels.add(src.label)
    ctx = [p.rsplit("/", 1)[-1].removesuffix(".json")
           for p in location.list_files(location.path(MANIFEST_DIR, ASSET_CTX_DIR))]
    overlaps = sorted(f"{ch} {coin} {date}T{hour:02d}"
                      for (ch, coin, date, hour), ids in feeders.items() if len(ids) > 1)
    return Listing(location.uri, sources, sorted(days.values(), key=_day_key), sorted(ctx),
                   overlaps)


def _day_key(row: DayRow) -> tuple[str, str, str]:
    return row.channel, row.coin, row.date


def listing_dict(listing: Listing) -> dict[str, object]:
    """The listing as plain data (`hlofi data ls --json`): days and sources."""
    return {
        "uri": listing.uri, "frames": listing.rows,
        "days": [{"channel": d.channel, "coin": d.coin, "date": d.date,
                  "hours": sorted(d.hours), "frames": d.rows, "bytes": d.bytes,
                  "data": sorted(d.labels)} for d in listing.days],
        "sources": [{"source_id": s.source_id, "kind": s.kind, "origin": s.origin,
                     "frames": s.frames, "parts": len(s.parts), "synthetic": s.synthetic,
                     "scenario": s.scenario, "seed": s.seed, "sha256": s.origin_sha256,
                     "damage": s.damage} for s in listing.sources],
        "asset_ctx_days": listing.asset_ctx_days,
        "overlaps": listing.overlaps,
    }


def format_listing(listing: Listing) -> str:
    if not listing.sources and not listing.asset_ctx_days:
        return f"{listing.uri}: empty catalog"
    kinds: dict[str, int] = defaultdict(int)
    for src in listing.sources:
        kinds["synthetic" if src.synthetic else src.kind] += 1
    head = (f"{listing.uri}: {len(listing.sources)} source(s) "
            f"({', '.join(f'{n} {k}' for k, n in sorted(kinds.items()))}), "
            f"{listing.rows:,} frames")
    lines = [head, f"  {'channel':<14} {'coin':<10} {'date':<10}  {'hours':<12} "
                   f"{'frames':>10} {'MiB':>8}  data"]
    for d in listing.days:
        lines.append(f"  {d.channel:<14} {d.coin:<10} {d.date:<10}  {d.hours_text():<12} "
                     f"{d.rows:>10,} {d.bytes / 2**20:>8.2f}  {'; '.join(sorted(d.labels))}")
    if listing.overlaps:
        shown = ", ".join(listing.overlaps[:5]) + (", ..." if len(listing.overlaps) > 5 else "")
        lines.append(f"  note: {len(listing.overlaps)} hour(s) hold more than one source, and "
                     f"a replay sees all of them: {shown}")
    if listing.asset_ctx_days:
        lines.append(f"  asset contexts: {len(listing.asset_ctx_days)} day(s), "
                     f"{listing.asset_ctx_days[0]}..{listing.asset_ctx_days[-1]}")
    return "\n".join(lines)


@dataclass(frozen=True, slots=True)
class PartProblem:
    path: str
    source_id: str
    problem: str  # "missing" (or unreadable) | "sha256 mismatch"


def verify_catalog(location: CatalogLocation) -> tuple[int, list[PartProblem]]:
    """Read every part of every source and check it against the manifest's SHA-256.
    Returns (parts checked, problems)."""
    checked, problems = 0, []
    for src in load_sources(location):
        for part in src.parts:
            checked += 1
            path = location.path(part.path)
            try:
                data = location.read_bytes(path)
            except OSError:  # local: FileNotFoundError; S3: an OSError naming NoSuchKey
                problems.append(PartProblem(part.path, src.source_id, "missing"))
                continue
            if hashlib.sha256(data).hexdigest() != part.sha256:
                problems.append(PartProblem(part.path, src.source_id, "sha256 mismatch"))
    return checked, problems
