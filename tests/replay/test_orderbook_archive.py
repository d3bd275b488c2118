"""Replay of the real Hyperliquid archive hour (BTC, 2024-01-01 12:00 UTC, 5,587 snapshots):
after every snapshot the incrementally maintained book equals a naive rebuild of it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import lz4.frame
import orjson
import pytest

from hyperliquid_ofi_trader.core.events import BookSnapshot, Level, Side
from hyperliquid_ofi_trader.data.market_state import MarketState
from hyperliquid_ofi_trader.data.orderbook import OrderBook
from hyperliquid_ofi_trader.venues.hyperliquid.websocket.codec import HyperliquidCodec

pytestmark = pytest.mark.realdata


def _levels(raw: list[dict[str, Any]]) -> tuple[Level, ...]:
    return tuple((float(lv["px"]), float(lv["sz"]), int(lv["n"])) for lv in raw)


def _local_ns(iso: str) -> int:
    """Capture time 'YYYY-mm-ddTHH:MM:SS.fffffffff' (UTC, no tz) to ns, keeping all 9 digits."""
    whole, _, frac = iso.partition(".")
    base = datetime.fromisoformat(whole + "+00:00")
    return int(base.timestamp()) * 1_000_000_000 + int(frac.ljust(9, "0")[:9])


def read_archive(path: Path) -> Iterator[BookSnapshot]:
    """A deliberately tiny parser of the archive lines (the real codec is
    venues/hyperliquid/websocket/codec.py)."""
    with lz4.frame.open(path, "rb") as fh:
        for line in fh:
            rec = orjson.loads(line)
            data = rec["raw"]["data"]
            bids, asks = data["levels"]
            yield BookSnapshot(
                exchange_ns=int(data["time"]) * 1_000_000,
                local_ns=_local_ns(rec["time"]),
                coin=data["coin"],
                bids=_levels(bids),
                asks=_levels(asks),
            )


def test_book_equals_every_archive_snapshot(hl_archive_btc: Path) -> None:
    book = OrderBook("BTC")
    count = changed_total = full_total = 0
    for snap in read_archive(hl_archive_btc):
        changed_total += book.apply_snapshot(snap)
        full_total += len(snap.bids) + len(snap.asks)
        count += 1
        naive_bids = sorted(((p, s) for p, s, _ in snap.bids), reverse=True)
        naive_asks = sorted((p, s) for p, s, _ in snap.asks)
        assert book.levels(Side.BID, 100) == naive_bids
        assert book.levels(Side.ASK, 100) == naive_asks
        assert book.best_bid() == naive_bids[0]
        assert book.best_ask() == naive_asks[0]
        assert book.depth(5) == pytest.approx(
            sum(s for _, s in naive_bids[:5]) + sum(s for _, s in naive_asks[:5])
        )
        assert all(book.orders_at(Side.BID, p) == n for p, _, n in snap.bids)
        assert book.exchange_ns == snap.exchange_ns
    assert count == 5587
    assert book.rejections == {}
    assert book.crossed_events == 0
    # Incremental: far fewer writes than rebuilding 40 levels on every snapshot.
    assert changed_total < full_total // 2  # measured: about 15%
    assert book.updates == changed_total


def test_market_state_vol_on_archive_is_plausible(hl_archive_btc: Path) -> None:
    """BTC realised vol on 2024-01-01 from ~0.6 s mids: a fraction of a bp to a few bps per
    sqrt(second) (40% a year is 0.7 bp/sqrt(s); quote noise at this sampling adds some)."""
    book = OrderBook("BTC")
    state = MarketState("BTC", vol_halflife_ns=300 * 1_000_000_000)
    for snap in read_archive(hl_archive_btc):
        book.apply_snapshot(snap)
        state.on_book(book, snap.exchange_ns)
        assert state.mid == book.mid()
    vol = state.volatility_bps()
    assert vol is not None
    assert 0.1 < vol < 10.0
    assert state.skipped_samples == 0


def test_codec_snapshots_build_the_same_book(hl_archive_btc: Path) -> None:
    """The production codec and the tiny local parser feed the book identically."""
    codec = HyperliquidCodec()
    via_codec, via_local = OrderBook("BTC"), OrderBook("BTC")
    with lz4.frame.open(hl_archive_btc, "rb") as fh:
        lines = list(fh)
    for line, local in zip(lines, read_archive(hl_archive_btc), strict=True):
        rec = orjson.loads(line)
        events = codec.decode(orjson.dumps(rec["raw"]), local.local_ns)
        snaps = [e for e in events if isinstance(e, BookSnapshot)]
        assert len(snaps) == 1
        assert via_codec.apply_snapshot(snaps[0]) == via_local.apply_snapshot(local)
        assert via_codec.levels(Side.BID, 20) == via_local.levels(Side.BID, 20)
        assert via_codec.levels(Side.ASK, 20) == via_local.levels(Side.ASK, 20)
    assert codec.rejected == 0
