"""Read frames back from a catalog, in the order a replay of the raw sources gives.

`iter_catalog_frames(query, stats)` yields `(local_ns, raw_frame)` like
`data/replay_sources.iter_frames` (which dispatches here for a `CatalogQuery`). Parts are
merged on `(order_ns, source_id, seq)`: within one source that is exactly the source's own
frame order; across sources it interleaves by receive time.

Parts are read in clusters: parts whose `order_ns` ranges overlap (in practice, the parts
of one hour) are read whole and sorted at once with numpy, which is several times cheaper
per frame than a heap; clusters follow each other in time, so memory holds about one hour
of the selection. A cluster too big to hold (a clock jump that chains hours together) is
merged part by part with a heap instead, opening each part only when the merge reaches it.
"""

from __future__ import annotations

import heapq
from collections.abc import Generator, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np
import pyarrow as pa  # type: ignore[import-untyped]
import pyarrow.parquet as pq  # type: ignore[import-untyped]

from hyperliquid_ofi_trader.catalog.location import (
    CatalogLocation,
    CatalogLocationError,
    open_location,
)
from hyperliquid_ofi_trader.catalog.manifest import (
    ManifestError,
    PartEntry,
    SourceEntry,
    read_sources,
)
from hyperliquid_ofi_trader.catalog.query import CatalogQuery
from hyperliquid_ofi_trader.catalog.rows import NO_COIN
from hyperliquid_ofi_trader.data.replay_sources import (
    Frame,
    NoRecordingsError,
    ReadStats,
    ReplaySourceError,
)

_COLUMNS = ["order_ns", "seq", "local_ns", "frame"]
_BATCH = 8192
_MAX_CLUSTER_ROWS = 1_500_000  # above this a cluster is heap-merged part by part


class CatalogError(ReplaySourceError):
    """The catalog cannot be read (unreachable, unreadable manifest, damaged part)."""


class EmptySelectionError(NoRecordingsError):
    """The catalog holds nothing for the query's coins and hours."""


@dataclass(frozen=True, slots=True)
class SelectedPart:
    part: PartEntry
    source: SourceEntry


def _hour(part: PartEntry) -> datetime:
    return datetime.strptime(f"{part.date}T{part.hour:02d}", "%Y-%m-%dT%H").replace(tzinfo=UTC)


def _wanted(query: CatalogQuery, part: PartEntry) -> bool:
    if query.channels is not None and part.channel not in query.channels:
        return False
    if query.coins is not None and part.coin != NO_COIN and part.coin not in query.coins:
        return False
    return query.wants_hour(_hour(part))


def load_sources(location: CatalogLocation) -> list[SourceEntry]:
    try:
        return read_sources(location)
    except (ManifestError, CatalogLocationError) as exc:
        raise CatalogError(str(exc)) from exc
    except OSError as exc:
        raise CatalogError(f"{location.uri}: cannot read the catalog: {exc}") from exc


def select(query: CatalogQuery) -> tuple[CatalogLocation, list[SelectedPart]]:
    """The parts the query reads, in merge order of their first frame. Raises
    EmptySelectionError when there are none (with what the catalog does hold)."""
    try:
        location = open_location(query.uri)
    except CatalogLocationError as exc:
        raise CatalogError(str(exc)) from exc
    sources = load_sources(location)
    chosen = [SelectedPart(p, s) for s in sources for p in s.parts if _wanted(query, p)]
    if not any(sp.part.coin != NO_COIN for sp in chosen):
        raise EmptySelectionError(_empty_message(query, sources))
    chosen.sort(key=lambda sp: (sp.part.first_order_ns, sp.source.source_id, sp.part.path))
    return location, chosen


def _empty_message(query: CatalogQuery, sources: list[SourceEntry]) -> str:
    if not sources:
        return f"{query.uri}: the catalog is empty (no ingested sources)"
    coins = sorted({p.coin for s in sources for p in s.parts if p.coin != NO_COIN})
    hours = sorted(_hour(p) for s in sources for p in s.parts)
    held = (f"it holds {', '.join(coins) or 'no coin'} from {hours[0]:%Y-%m-%dT%H} to "
            f"{hours[-1]:%Y-%m-%dT%H} UTC") if hours else "it holds no parts"
    return f"{query}: nothing matches; {held}"


def _read_part(location: CatalogLocation, sp: SelectedPart,
               stats: ReadStats) -> Generator[tuple[int, int, int, bytes], None, None]:
    path = location.path(sp.part.path)
    try:
        with location.fs.open_input_file(path) as fh:
            stats.files += 1
            for batch in pq.ParquetFile(fh).iter_batches(batch_size=_BATCH, columns=_COLUMNS):
                frames = batch.column(3).cast(pa.binary()).to_pylist()
                yield from zip(batch.column(0).to_pylist(), batch.column(1).to_pylist(),
                               batch.column(2).to_pylist(), frames, strict=True)
    except (OSError, pa.ArrowInvalid) as exc:
        raise CatalogError(f"{location.uri}: cannot read part {sp.part.path}: {exc}") from exc


def _merge(location: CatalogLocation, parts: list[SelectedPart],
           stats: ReadStats) -> Iterator[Frame]:
    heap: list[tuple[int, str, int, int, bytes, Generator[tuple[int, int, int, bytes],
                                                          None, None]]] = []
    nxt = 0
    while heap or nxt < len(parts):
        while nxt < len(parts) and (not heap or parts[nxt].part.first_order_ns <= heap[0][0]):
            sp = parts[nxt]
            nxt += 1
            it = _read_part(location, sp, stats)
            for order_ns, seq, local_ns, frame in it:
                heapq.heappush(heap, (order_ns, sp.source.source_id, seq, local_ns, frame, it))
                break
        if not heap:
            continue
        _, sid, _, local_ns, frame, it = heap[0]
        stats.frames += 1
        yield local_ns, frame
        for order_ns, seq, local_ns2, frame2 in it:
            heapq.heapreplace(heap, (order_ns, sid, seq, local_ns2, frame2, it))
            break
        else:
            heapq.heappop(heap)


def clusters(parts: list[SelectedPart]) -> list[list[SelectedPart]]:
    """Split parts (sorted by first order_ns) into runs whose order_ns ranges overlap."""
    out: list[list[SelectedPart]] = []
    end = -(1 << 63)
    for sp in parts:
        if out and sp.part.first_order_ns <= end:
            out[-1].append(sp)
            end = max(end, sp.part.last_order_ns)
        else:
            out.append([sp])
            end = sp.part.last_order_ns
    return out


def _read_whole(location: CatalogLocation, sp: SelectedPart, stats: ReadStats) -> pa.Table:
    path = location.path(sp.part.path)
    try:
        with location.fs.open_input_file(path) as fh:
            table = pq.read_table(fh, columns=_COLUMNS)
    except (OSError, pa.ArrowInvalid) as exc:
        raise CatalogError(f"{location.uri}: cannot read part {sp.part.path}: {exc}") from exc
    stats.files += 1
    return table


def _sorted_cluster(location: CatalogLocation, cluster: list[SelectedPart],
                    stats: ReadStats) -> Iterator[Frame]:
    """Read a cluster whole and yield it in (order_ns, source_id, seq) order."""
    tables = [_read_whole(location, sp, stats) for sp in cluster]
    ranks = {sid: i for i, sid in enumerate(sorted({sp.source.source_id for sp in cluster}))}
    rank = np.concatenate([np.full(t.num_rows, ranks[sp.source.source_id], dtype=np.int64)
                           for t, sp in zip(tables, cluster, strict=True)])
    table = pa.concat_tables(tables)
    order = np.lexsort((table.column("seq").to_numpy(), rank,
                        table.column("order_ns").to_numpy()))
    local = table.column("local_ns").take(order).to_pylist()
    frames = table.column("frame").take(order).cast(pa.binary()).to_pylist()
    for item in zip(local, frames, strict=True):
        stats.frames += 1  # counted as yielded, as the raw readers do (a --limit stops early)
        yield item


def _read(location: CatalogLocation, parts: list[SelectedPart],
          stats: ReadStats) -> Iterator[Frame]:
    for cluster in clusters(parts):
        if sum(sp.part.rows for sp in cluster) > _MAX_CLUSTER_ROWS:
            yield from _merge(location, cluster, stats)
        else:
            yield from _sorted_cluster(location, cluster, stats)


def iter_catalog_frames(query: CatalogQuery, stats: ReadStats | None = None) -> Iterator[Frame]:
    """Yield (local_ns, raw frame) for the query. Raises (eagerly, before the first frame)
    CatalogError or EmptySelectionError, both ReplaySourceErrors."""
    st = stats if stats is not None else ReadStats()
    location, parts = select(query)
    return _read(location, parts, st)


def selection_labels(query: CatalogQuery) -> list[str]:
    """What the selected data is, one label per distinct kind: "recorded market data" or
    "SYNTHETIC (scenario X, seed N)"."""
    _, parts = select(query)
    return list(dict.fromkeys(sp.source.label for sp in parts))
