"""Write a stream of raw frames into the catalog's partitioned Parquet layout.

    channel=<ch>/coin=<coin>/date=<YYYY-MM-DD>/hour=<H>/part-<source_id>-<k>.parquet

Partitions are by the frame's local receive time (UTC). Columns of every part:
`local_ns` (receive time), `order_ns` (the running maximum of receive times within the
source: the replay merge key, which keeps the source's own frame order exactly even where
its clock stepped back), `seq` (frame index within the source), `exchange_ms`, top of book
(`bid_px bid_sz ask_px ask_sz`, for l2Book and bbo), trade aggregates (`n_trades buy_sz
sell_sz vwap`), asset context (`mark_px oracle_px funding open_interest`) and `frame`
(the raw JSON, exact).

Memory stays bounded: an hour's buffers are written out once the stream is two hours past
it (recordings arrive in time order), and everything is written when the buffered rows
exceed `max_buffered_rows`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import pyarrow as pa  # type: ignore[import-untyped]
import pyarrow.parquet as pq  # type: ignore[import-untyped]

from hyperliquid_ofi_trader.catalog.location import CatalogLocation
from hyperliquid_ofi_trader.catalog.manifest import PartEntry
from hyperliquid_ofi_trader.catalog.query import NS_PER_HOUR, hour_of_ns
from hyperliquid_ofi_trader.catalog.rows import decode_row, partition_dir

SCHEMA = pa.schema([
    ("local_ns", pa.int64()),
    ("order_ns", pa.int64()),
    ("seq", pa.int64()),
    ("exchange_ms", pa.int64()),
    ("bid_px", pa.float64()),
    ("bid_sz", pa.float64()),
    ("ask_px", pa.float64()),
    ("ask_sz", pa.float64()),
    ("n_trades", pa.int32()),
    ("buy_sz", pa.float64()),
    ("sell_sz", pa.float64()),
    ("vwap", pa.float64()),
    ("mark_px", pa.float64()),
    ("oracle_px", pa.float64()),
    ("funding", pa.float64()),
    ("open_interest", pa.float64()),
    ("frame", pa.string()),
])
_ROW_GROUP = 65_536

PartKey = tuple[str, str, int]  # channel, coin, hour start (epoch hours)


@dataclass(slots=True)
class _Buffer:
    columns: list[list[Any]] = field(default_factory=lambda: [[] for _ in SCHEMA])

    def __len__(self) -> int:
        return len(self.columns[0])


@dataclass(slots=True)
class WriteStats:
    frames: int = 0
    invalid_utf8: int = 0  # dropped: no JSON decoder accepts them, so no replay sees them
    first_local_ns: int | None = None
    last_local_ns: int | None = None


class PartWriter:
    """Buffers decoded rows per partition and writes Parquet parts for one source."""

    def __init__(self, location: CatalogLocation, source_id: str, *,
                 max_buffered_rows: int = 1_000_000) -> None:
        self._location = location
        self._source_id = source_id
        self._max_rows = max_buffered_rows
        self._buffers: dict[PartKey, _Buffer] = {}
        self._written: dict[PartKey, int] = {}
        self._rows = 0
        self._order_ns = -(1 << 62)
        self.parts: list[PartEntry] = []
        self.stats = WriteStats()

    def write_all(self, frames: Iterable[tuple[int, bytes]]) -> list[PartEntry]:
        for local_ns, frame in frames:
            self.add(local_ns, frame)
        self.close()
        return self.parts

    def add(self, local_ns: int, frame: bytes) -> None:
        try:
            text = frame.decode("utf-8")
        except UnicodeDecodeError:
            self.stats.invalid_utf8 += 1
            return
        row = decode_row(frame)
        epoch_hour = local_ns // NS_PER_HOUR
        key = (row.channel, row.coin, epoch_hour)
        buf = self._buffers.get(key)
        if buf is None:
            self._flush_older_than(epoch_hour - 1)
            buf = self._buffers[key] = _Buffer()
        self._order_ns = max(self._order_ns, local_ns)
        values = (local_ns, self._order_ns, self.stats.frames, *row.typed(), text)
        for column, value in zip(buf.columns, values, strict=True):
            column.append(value)
        self._note(local_ns)
        self._rows += 1
        if self._rows >= self._max_rows:
            self._flush_older_than(epoch_hour + 1)

    def _note(self, local_ns: int) -> None:
        st = self.stats
        st.frames += 1
        st.first_local_ns = local_ns if st.first_local_ns is None else min(st.first_local_ns,
                                                                           local_ns)
        st.last_local_ns = local_ns if st.last_local_ns is None else max(st.last_local_ns,
                                                                         local_ns)

    def close(self) -> None:
        self._flush_older_than(1 << 62)

    def _flush_older_than(self, epoch_hour: int) -> None:
        for key in [k for k in self._buffers if k[2] < epoch_hour]:
            self._write_part(key, self._buffers.pop(key))

    def _write_part(self, key: PartKey, buf: _Buffer) -> None:
        channel, coin, epoch_hour = key
        hour: datetime = hour_of_ns(epoch_hour * NS_PER_HOUR)
        k = self._written.get(key, 0)
        self._written[key] = k + 1
        rel = (f"{partition_dir(channel, coin, f'{hour:%Y-%m-%d}', hour.hour)}"
               f"/part-{self._source_id}-{k:03d}.parquet")
        data = _parquet_bytes(pa.table(buf.columns, schema=SCHEMA))
        self._location.write_bytes(self._location.path(rel), data)
        local = buf.columns[0]
        self.parts.append(PartEntry(
            path=rel, channel=channel, coin=coin, date=f"{hour:%Y-%m-%d}", hour=hour.hour,
            rows=len(buf), bytes=len(data), sha256=hashlib.sha256(data).hexdigest(),
            first_local_ns=min(local), last_local_ns=max(local),
            first_order_ns=buf.columns[1][0], last_order_ns=buf.columns[1][-1]))
        self._rows -= len(buf)


def _parquet_bytes(table: pa.Table) -> bytes:
    sink = pa.BufferOutputStream()
    pq.write_table(table, sink, compression="zstd", row_group_size=_ROW_GROUP)
    return bytes(sink.getvalue().to_pybytes())
