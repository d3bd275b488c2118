"""The readers on the real recorded files in ../shared/data (skipped when absent)."""

from __future__ import annotations

from pathlib import Path

import orjson
import polars as pl
import pytest

from hyperliquid_ofi_trader.data.recording import FrameRecorder
from hyperliquid_ofi_trader.data.replay_sources import (
    Compression,
    LineFormat,
    ReadStats,
    describe,
    detect_format,
    iter_frames,
)
from hyperliquid_ofi_trader.research.parquet_export import convert

pytestmark = pytest.mark.realdata


def test_archive_hour_yields_every_snapshot(hl_archive_btc: Path) -> None:
    fmt = detect_format(hl_archive_btc)
    assert (fmt.compression, fmt.lines) == (Compression.LZ4, LineFormat.HL_ARCHIVE)
    stats = ReadStats()
    frames = list(iter_frames(hl_archive_btc, stats))
    assert len(frames) == 5587
    assert stats.malformed == stats.truncated_files == stats.corrupt_files == 0
    first_ns, first = frames[0]
    assert first_ns == 1_704_110_401_138_942_031  # 2024-01-01T12:00:01.138942031 UTC
    msg = orjson.loads(first)
    assert msg["channel"] == "l2Book"
    assert msg["data"]["coin"] == "BTC"
    assert len(msg["data"]["levels"][0]) == 20
    # Receive times are within the hour and never go backwards in this file.
    times = [ns for ns, _ in frames]
    assert times == sorted(times)
    assert (times[-1] - times[0]) / 1e9 < 3600


def test_ws_capture_yields_books_and_trades(hl_ws_capture_btc: Path) -> None:
    fmt = detect_format(hl_ws_capture_btc)
    assert (fmt.compression, fmt.lines) == (Compression.GZIP, LineFormat.NS_FRAME)
    desc = describe(hl_ws_capture_btc)
    assert desc.channels == {"l2Book": 46, "trades": 9}
    assert desc.frames == 55
    assert desc.first_ns == 1_737_918_843_893_903_000
    assert 25 < desc.span_s < 27


def test_real_frames_survive_a_record_replay_round_trip(hl_ws_capture_btc: Path,
                                                         tmp_path: Path) -> None:
    original = list(iter_frames(hl_ws_capture_btc))
    with FrameRecorder(tmp_path) as rec:
        for ns, raw in original:
            rec.write(raw, ns)
    assert list(iter_frames(tmp_path)) == original


def test_archive_hour_converts_to_flat_book_levels(hl_archive_btc: Path,
                                                   tmp_path: Path) -> None:
    res = convert(hl_archive_btc, tmp_path)
    assert res.frames == 5587
    assert not res.rejections
    df = pl.read_parquet(tmp_path / "book_levels.parquet")
    assert res.rows == {"book_levels": df.height}
    assert df["snapshot_id"].n_unique() == 5587
    assert df.height == 5587 * 40  # 20 levels a side in every snapshot of this hour
    top = (df.filter(pl.col("level") == 0)
             .pivot(on="side", index="snapshot_id", values="price"))
    assert (top["bid"] < top["ask"]).all()  # never crossed at the top
    # Both timestamps on every row; the archive captured each snapshot after its block time.
    assert (df["local_ns"] >= df["exchange_ns"]).all()
