"""Decode each raw frame once into a catalog row: partition keys plus typed columns.

The row keeps the raw frame JSON exactly as recorded (so a replay from the catalog feeds
the codec the same bytes as a replay of the raw file) beside typed research columns, null
where they do not apply: the exchange time; the top of book of `l2Book` and `bbo` frames;
for `trades` frames the trade count, bought and sold size (taker side) and the VWAP; for
`activeAssetCtx` frames the mark and oracle price, funding and open interest.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import orjson

NO_COIN = "_all"  # frames that belong to no coin (account channels, allMids, pongs)
UNKNOWN_CHANNEL = "_other"


_EMPTY_TOP: tuple[None, None, None, None] = (None, None, None, None)  # no top of book


@dataclass(frozen=True, slots=True)
class FrameRow:
    channel: str
    coin: str
    exchange_ms: int | None
    bid_px: float | None
    bid_sz: float | None
    ask_px: float | None
    ask_sz: float | None
    n_trades: int | None = None
    buy_sz: float | None = None
    sell_sz: float | None = None
    vwap: float | None = None
    mark_px: float | None = None
    oracle_px: float | None = None
    funding: float | None = None
    open_interest: float | None = None

    def typed(self) -> tuple[object, ...]:
        """The typed columns in writer.SCHEMA order (after the time/order columns)."""
        return (self.exchange_ms, self.bid_px, self.bid_sz, self.ask_px, self.ask_sz,
                self.n_trades, self.buy_sz, self.sell_sz, self.vwap, self.mark_px,
                self.oracle_px, self.funding, self.open_interest)


def decode_row(frame: bytes) -> FrameRow:
    """Partition keys and typed columns of one frame; never raises (odd frames land in
    channel `_other` / coin `_all` with the raw JSON kept)."""
    try:
        obj = orjson.loads(frame)
    except orjson.JSONDecodeError:
        return FrameRow(UNKNOWN_CHANNEL, NO_COIN, None, *_EMPTY_TOP)
    if not isinstance(obj, dict):
        return FrameRow(UNKNOWN_CHANNEL, NO_COIN, None, *_EMPTY_TOP)
    channel = obj.get("channel")
    channel = channel if isinstance(channel, str) and channel else UNKNOWN_CHANNEL
    data = obj.get("data")
    head = data[0] if isinstance(data, list) and data and isinstance(data[0], dict) else data
    if not isinstance(head, dict):
        return FrameRow(channel, NO_COIN, None, *_EMPTY_TOP)
    coin = head.get("coin")
    row = FrameRow(channel, coin if isinstance(coin, str) and coin else NO_COIN,
                   _int(head.get("time")), *_top_of_book(channel, head))
    if channel == "trades" and isinstance(data, list):
        return _with_trades(row, data)
    if channel == "activeAssetCtx":
        return _with_ctx(row, head.get("ctx"))
    return row


def _float(value: Any) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _with_trades(row: FrameRow, trades: list[Any]) -> FrameRow:
    buy = sell = notional = 0.0
    n = 0
    for t in trades:
        if not isinstance(t, dict):
            continue
        px, sz = _float(t.get("px")), _float(t.get("sz"))
        if px is None or sz is None:
            continue
        n += 1
        notional += px * sz
        if t.get("side") == "B":
            buy += sz
        else:
            sell += sz
    size = buy + sell
    return dataclasses.replace(row, n_trades=n, buy_sz=buy, sell_sz=sell,
                               vwap=notional / size if size > 0 else None)


def _with_ctx(row: FrameRow, ctx: Any) -> FrameRow:
    if not isinstance(ctx, dict):
        return row
    return dataclasses.replace(row, mark_px=_float(ctx.get("markPx")),
                               oracle_px=_float(ctx.get("oraclePx")),
                               funding=_float(ctx.get("funding")),
                               open_interest=_float(ctx.get("openInterest")))


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _level(level: Any) -> tuple[float | None, float | None]:
    if not isinstance(level, dict):
        return None, None
    try:
        return float(level["px"]), float(level["sz"])
    except (KeyError, TypeError, ValueError):
        return None, None


_Top = tuple[float | None, float | None, float | None, float | None]


def _top_of_book(channel: str, data: dict[str, Any]) -> _Top:
    if channel == "l2Book":
        levels = data.get("levels")
        if not (isinstance(levels, list) and len(levels) == 2):
            return _EMPTY_TOP
        bids, asks = levels
        bid = _level(bids[0]) if isinstance(bids, list) and bids else (None, None)
        ask = _level(asks[0]) if isinstance(asks, list) and asks else (None, None)
        return (*bid, *ask)
    if channel == "bbo":
        bbo = data.get("bbo")
        if not (isinstance(bbo, list) and len(bbo) == 2):
            return _EMPTY_TOP
        return (*_level(bbo[0]), *_level(bbo[1]))
    return _EMPTY_TOP


def partition_dir(channel: str, coin: str, date: str, hour: int) -> str:
    """Hive-style partition folder; values are URL-quoted (`PURR/USDC` → `PURR%2FUSDC`),
    as Arrow does for hive partitions."""
    return (f"channel={quote(channel, safe='')}/coin={quote(coin, safe='')}"
            f"/date={date}/hour={hour}")
