"""Decode each raw frame once into a catalog row: partition keys plus typed columns.

The row keeps the raw frame JSON exactly as recorded (so a replay from the catalog feeds
the codec the same bytes as a replay of the raw file) beside typed research columns: the
exchange time and the top of book of `l2Book` and `bbo` frames.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import orjson

NO_COIN = "_all"  # frames that belong to no coin (account channels, allMids, pongs)
UNKNOWN_CHANNEL = "_other"


@dataclass(frozen=True, slots=True)
class FrameRow:
    channel: str
    coin: str
    exchange_ms: int | None
    bid_px: float | None
    bid_sz: float | None
    ask_px: float | None
    ask_sz: float | None


_EMPTY_TOP: tuple[None, None, None, None] = (None, None, None, None)


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
    return FrameRow(channel, coin if isinstance(coin, str) and coin else NO_COIN,
                    _int(head.get("time")), *_top_of_book(channel, head))


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _level(level: Any) -> tuple[float | None, float | None]:
    if not isinstance(level, dict):
        return None, None
    try:
        return float(level["px"]), float(level["sz"])
    except (KeyError, TypeError, ValueError):
        return None, None


def _top_of_book(channel: str, data: dict[str, Any]) -> tuple[float | None, ...]:
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
