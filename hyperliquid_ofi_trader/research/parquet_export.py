"""Convert recorded raw frames to columnar Parquet, one file per channel, for research.

Frames go through the same codec the live engine uses, so research sees exactly the events
the strategy saw (and frames the codec refuses are counted, not exported). Every row keeps
both timestamps: `exchange_ns` (venue time) and `local_ns` (our receive time).

Tables (file `<table>.parquet`):
- `book_levels`: one row per level of each `l2Book` snapshot: `snapshot_id` groups the rows
  of one snapshot, `side` is "bid"/"ask", `level` 0 = best.
- `bbo`: best bid / ask (null when that side was empty).
- `trades`: one row per print; `exchange_ns` is the trade's own time, `batch_exchange_ns`
  the push's.
- `asset_ctx`, `order_updates`, `fills`: one row per event / fill.

Rows are accumulated column-wise (a list per column, no per-row dicts) and written in row
groups of `batch_rows`, so memory stays bounded on long recordings. Files are written under
a temporary name and renamed when complete: an interrupted conversion leaves no file that
looks finished.
"""

from __future__ import annotations

import contextlib
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from itertools import repeat
from pathlib import Path
from typing import Any

import polars as pl
import pyarrow.parquet as pq  # type: ignore[import-untyped]  # no stubs; polars cannot append row groups

from hyperliquid_ofi_trader.core.events import (
    AnyEvent,
    AssetCtx,
    Bbo,
    BookSnapshot,
    Level,
    OrderUpdate,
    Rejection,
    Trades,
    UserFills,
)
from hyperliquid_ofi_trader.data.replay_sources import ReadStats, iter_frames
from hyperliquid_ofi_trader.errors import OurBugError

DecodeFn = Callable[[bytes | str, int], Sequence[AnyEvent]]

_I64, _F64, _STR, _BOOL = pl.Int64, pl.Float64, pl.String, pl.Boolean
_TS = {"exchange_ns": _I64, "local_ns": _I64}

SCHEMAS: dict[str, dict[str, Any]] = {
    "book_levels": {"snapshot_id": _I64, **_TS, "coin": _STR, "side": _STR,
                    "level": pl.Int16, "price": _F64, "size": _F64, "n_orders": pl.Int32},
    "bbo": {**_TS, "coin": _STR, "bid_px": _F64, "bid_sz": _F64, "bid_n": pl.Int32,
            "ask_px": _F64, "ask_sz": _F64, "ask_n": pl.Int32},
    "trades": {**_TS, "batch_exchange_ns": _I64, "coin": _STR, "price": _F64, "size": _F64,
               "is_buy": _BOOL, "tid": _I64, "hash": _STR},
    "asset_ctx": {**_TS, "coin": _STR, "mark_px": _F64, "mid_px": _F64, "oracle_px": _F64,
                  "funding": _F64, "open_interest": _F64, "day_notional_volume": _F64,
                  "prev_day_px": _F64, "premium": _F64, "impact_bid": _F64,
                  "impact_ask": _F64},
    "order_updates": {**_TS, "coin": _STR, "is_buy": _BOOL, "limit_px": _F64, "size": _F64,
                      "orig_size": _F64, "oid": _I64, "cloid": _STR, "status": _STR,
                      "raw_status": _STR, "order_ns": _I64},
    "fills": {**_TS, "batch_exchange_ns": _I64, "user": _STR, "is_snapshot": _BOOL,
              "coin": _STR, "price": _F64, "size": _F64, "is_buy": _BOOL,
              "start_position": _F64, "direction": _STR, "closed_pnl": _F64, "hash": _STR,
              "oid": _I64, "crossed": _BOOL, "fee": _F64, "tid": _I64, "fee_token": _STR,
              "cloid": _STR, "liquidation": _BOOL},
}
_AFTER_ASSET_CTX_COIN = list(SCHEMAS["asset_ctx"])[3:]


class ConvertError(OurBugError):
    """The user asked for something we will not do (e.g. overwrite existing output)."""


@dataclass(slots=True)
class ConvertResult:
    """What a conversion did: counts per table, files written, what was refused."""

    frames: int = 0
    events: int = 0
    rows: dict[str, int] = field(default_factory=dict)
    files: list[Path] = field(default_factory=list)
    rejections: Counter[str] = field(default_factory=Counter)
    read: ReadStats = field(default_factory=ReadStats)


# ---------------------------------------------------------------- column buffers


class _Table:
    """Column lists for one table, flushed to a Parquet row group every `batch_rows`."""

    __slots__ = ("batch_rows", "cols", "name", "path", "rows", "schema", "tmp", "writer")

    def __init__(self, name: str, out_dir: Path, batch_rows: int) -> None:
        self.name = name
        self.schema = SCHEMAS[name]
        self.cols: dict[str, list[Any]] = {c: [] for c in self.schema}
        self.path = out_dir / f"{name}.parquet"
        self.tmp = out_dir / f".{name}.parquet.partial"
        self.writer: pq.ParquetWriter | None = None
        self.batch_rows = batch_rows
        self.rows = 0

    def pending(self) -> int:
        return len(self.cols["local_ns"])

    def maybe_flush(self) -> None:
        if self.pending() >= self.batch_rows:
            self.flush()

    def flush(self) -> None:
        if not self.pending():
            return
        table = pl.DataFrame(self.cols, schema=self.schema).to_arrow()
        if self.writer is None:
            self.writer = pq.ParquetWriter(self.tmp, table.schema, compression="zstd")
        self.writer.write_table(table)
        self.rows += table.num_rows
        for col in self.cols.values():
            col.clear()

    def finish(self) -> Path | None:
        self.flush()
        if self.writer is None:
            return None
        self.writer.close()
        self.tmp.replace(self.path)
        return self.path

    def abort(self) -> None:
        if self.writer is not None:
            with contextlib.suppress(Exception):  # already failing; keep the first error
                self.writer.close()
        self.tmp.unlink(missing_ok=True)


def _extend_same(cols: dict[str, list[Any]], n: int, **values: Any) -> None:
    for name, value in values.items():
        cols[name].extend(repeat(value, n))


def _level(level: Level | None) -> tuple[float | None, float | None, int | None]:
    return (None, None, None) if level is None else level


# ---------------------------------------------------------------- event → rows


class _Exporter:
    __slots__ = ("_dispatch", "snapshots", "tables")

    def __init__(self, out_dir: Path, batch_rows: int) -> None:
        self.tables = {name: _Table(name, out_dir, batch_rows) for name in SCHEMAS}
        self.snapshots = 0
        self._dispatch: dict[type, Callable[[Any], None]] = {
            BookSnapshot: self._book, Bbo: self._bbo, Trades: self._trades,
            AssetCtx: self._ctx, OrderUpdate: self._order, UserFills: self._fills,
        }

    def add(self, event: AnyEvent) -> bool:
        handler = self._dispatch.get(type(event))
        if handler is None:
            return False
        handler(event)
        return True

    def _book(self, e: BookSnapshot) -> None:
        t = self.tables["book_levels"]
        for side, levels in (("bid", e.bids), ("ask", e.asks)):
            n = len(levels)
            if not n:
                continue
            c = t.cols
            _extend_same(c, n, snapshot_id=self.snapshots, exchange_ns=e.exchange_ns,
                         local_ns=e.local_ns, coin=e.coin, side=side)
            c["level"].extend(range(n))
            px, sz, cnt = zip(*levels, strict=True)
            c["price"].extend(px)
            c["size"].extend(sz)
            c["n_orders"].extend(cnt)
        self.snapshots += 1
        t.maybe_flush()

    def _bbo(self, e: Bbo) -> None:
        t = self.tables["bbo"]
        c = t.cols
        bid, ask = _level(e.bid), _level(e.ask)
        for name, value in (("exchange_ns", e.exchange_ns), ("local_ns", e.local_ns),
                            ("coin", e.coin), ("bid_px", bid[0]), ("bid_sz", bid[1]),
                            ("bid_n", bid[2]), ("ask_px", ask[0]), ("ask_sz", ask[1]),
                            ("ask_n", ask[2])):
            c[name].append(value)
        t.maybe_flush()

    def _trades(self, e: Trades) -> None:
        t = self.tables["trades"]
        c = t.cols
        n = len(e.trades)
        _extend_same(c, n, local_ns=e.local_ns, batch_exchange_ns=e.exchange_ns)
        for name in ("exchange_ns", "coin", "price", "size", "is_buy", "tid", "hash"):
            c[name].extend(getattr(tr, name) for tr in e.trades)
        t.maybe_flush()

    def _ctx(self, e: AssetCtx) -> None:
        t = self.tables["asset_ctx"]
        c = t.cols
        c["exchange_ns"].append(e.exchange_ns)
        c["local_ns"].append(e.local_ns)
        c["coin"].append(e.coin)
        for name in _AFTER_ASSET_CTX_COIN:
            c[name].append(getattr(e, name))
        t.maybe_flush()

    def _order(self, e: OrderUpdate) -> None:
        t = self.tables["order_updates"]
        for name in t.schema:
            value = getattr(e, name)
            t.cols[name].append(value.value if name == "status" else value)
        t.maybe_flush()

    def _fills(self, e: UserFills) -> None:
        t = self.tables["fills"]
        c = t.cols
        n = len(e.fills)
        _extend_same(c, n, local_ns=e.local_ns, batch_exchange_ns=e.exchange_ns,
                     user=e.user, is_snapshot=e.is_snapshot)
        for name in list(t.schema)[5:]:
            c[name].extend(getattr(f, name) for f in e.fills)
        c["exchange_ns"].extend(f.exchange_ns for f in e.fills)
        t.maybe_flush()


# ---------------------------------------------------------------- public API


def _default_decoder() -> DecodeFn:
    from hyperliquid_ofi_trader.venues.hyperliquid.websocket.codec import HyperliquidCodec

    return HyperliquidCodec().decode


def _check_out_dir(out_dir: Path, overwrite: bool) -> None:
    if out_dir.exists() and not out_dir.is_dir():
        raise ConvertError(f"{out_dir} exists and is not a directory")
    taken = [out_dir / f"{n}.parquet" for n in SCHEMAS if (out_dir / f"{n}.parquet").exists()]
    if taken and not overwrite:
        raise ConvertError(f"{taken[0]} already exists (pass overwrite to replace)")
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConvertError(f"cannot create {out_dir}: {exc.strerror}") from exc


def convert_frames(frames: Iterable[tuple[int, bytes | str]], out_dir: Path, *,
                   decode: DecodeFn | None = None, batch_rows: int = 200_000,
                   overwrite: bool = False) -> ConvertResult:
    """Decode `frames` and write one Parquet file per non-empty table into `out_dir`."""
    if batch_rows < 1:
        raise ValueError(f"batch_rows must be >= 1, got {batch_rows}")
    _check_out_dir(out_dir, overwrite)
    dec = decode if decode is not None else _default_decoder()
    exporter = _Exporter(out_dir, batch_rows)
    result = ConvertResult()
    try:
        for local_ns, raw in frames:
            result.frames += 1
            for event in dec(raw, local_ns):
                if exporter.add(event):
                    result.events += 1
                elif isinstance(event, Rejection):
                    result.rejections[event.reason] += 1
        for name, table in exporter.tables.items():
            path = table.finish()
            if path is not None:
                result.files.append(path)
                result.rows[name] = table.rows
    except BaseException:
        for table in exporter.tables.values():
            table.abort()
        raise
    return result


def convert(source: Path, out_dir: Path, *, decode: DecodeFn | None = None,
            batch_rows: int = 200_000, overwrite: bool = False) -> ConvertResult:
    """Convert a recording (file or directory, any format `iter_frames` reads) to Parquet.

    Raises replay_sources errors for a bad source and ConvertError for a bad destination.
    """
    stats = ReadStats()
    frames = iter_frames(source, stats)
    result = convert_frames(frames, out_dir, decode=decode, batch_rows=batch_rows,
                            overwrite=overwrite)
    result.read = stats
    return result
