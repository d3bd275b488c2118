"""Codec on real recorded Hyperliquid frames: every frame decodes, zero rejections, and
the decoded numbers equal an independent parse of the same JSON (json + float)."""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import lz4.frame
import pytest

from hyperliquid_ofi_trader.core.events import BookSnapshot, Level, Trades
from hyperliquid_ofi_trader.venues.hyperliquid.websocket.codec import HyperliquidCodec

pytestmark = pytest.mark.realdata


def capture_lines(path: Path) -> Iterator[tuple[int, bytes]]:
    """`<local ns> <frame JSON>` lines of the WebSocket capture."""
    with gzip.open(path, "rb") as fh:
        for line in fh:
            ns, raw = line.rstrip(b"\n").split(b" ", 1)
            yield int(ns), raw


def expected_levels(side: list[dict[str, Any]]) -> tuple[Level, ...]:
    return tuple((float(lv["px"]), float(lv["sz"]), int(lv["n"])) for lv in side)


def check_book(ev: BookSnapshot, data: dict[str, Any]) -> None:
    assert ev.coin == data["coin"]
    assert ev.exchange_ns == data["time"] * 1_000_000
    assert ev.bids == expected_levels(data["levels"][0])
    assert ev.asks == expected_levels(data["levels"][1])


def check_trades(ev: Trades, data: list[dict[str, Any]]) -> None:
    assert [(t.price, t.size, t.is_buy, t.tid, t.exchange_ns) for t in ev.trades] == [
        (float(t["px"]), float(t["sz"]), t["side"] == "B", t["tid"], t["time"] * 1_000_000)
        for t in data]
    assert ev.exchange_ns == max(t["time"] for t in data) * 1_000_000


def test_ws_capture_decodes_without_rejection(hl_ws_capture_btc: Path) -> None:
    codec = HyperliquidCodec(frozenset({"BTC"}))
    books = trades = 0
    for local_ns, raw in capture_lines(hl_ws_capture_btc):
        (ev,) = codec.decode(raw, local_ns)
        frame = json.loads(raw)
        assert ev.local_ns == local_ns
        if isinstance(ev, BookSnapshot):
            check_book(ev, frame["data"])
            books += 1
        else:
            assert isinstance(ev, Trades), ev
            check_trades(ev, frame["data"])
            trades += 1
    assert codec.rejections == {}
    assert (books, trades) == (46, 9)  # the counts data/README.md documents
    assert codec.frames == 55


def test_archive_hour_decodes_without_rejection(hl_archive_btc: Path) -> None:
    codec = HyperliquidCodec(frozenset({"BTC"}))
    count = 0
    with lz4.frame.open(hl_archive_btc, "rb") as fh:
        for i, line in enumerate(fh):
            raw = json.loads(line)["raw"]
            (ev,) = codec.decode(json.dumps(raw), i)
            assert isinstance(ev, BookSnapshot), ev
            if i % 50 == 0:  # a full independent re-parse of every 50th is plenty
                check_book(ev, raw["data"])
            count += 1
    assert codec.rejections == {}
    assert count == codec.frames == 5587
