"""Parquet export: frames through the real codec into one table per channel."""

from __future__ import annotations

import gzip
from collections.abc import Sequence
from pathlib import Path

import orjson
import polars as pl
import pytest

from hyperliquid_ofi_trader.core.events import AnyEvent, Bbo
from hyperliquid_ofi_trader.research.parquet_export import (
    SCHEMAS,
    ConvertError,
    convert,
    convert_frames,
)

MS = 1_737_918_843_000
T = 1_737_918_843_900_000_000
USER = "0x" + "ab" * 20


def _f(obj: object) -> bytes:
    return orjson.dumps(obj)


def _lv(px: str, sz: str, n: int) -> dict[str, object]:
    return {"px": px, "sz": sz, "n": n}


BOOK = _f({"channel": "l2Book", "data": {"coin": "BTC", "time": MS, "levels": [
    [_lv("100.0", "1.5", 2), _lv("99.0", "2", 1)], [_lv("101.0", "0.5", 3)]]}})
BBO = _f({"channel": "bbo", "data": {"coin": "ETH", "time": MS + 1,
                                     "bbo": [_lv("10.0", "1", 1), None]}})
TRADES = _f({"channel": "trades", "data": [
    {"coin": "BTC", "side": "B", "px": "100.5", "sz": "0.1", "time": MS - 5, "tid": 7,
     "hash": "0xh1", "users": ["a", "b"]},
    {"coin": "BTC", "side": "A", "px": "100.0", "sz": "0.2", "time": MS - 2, "tid": 8,
     "hash": "0xh2", "users": ["a", "b"]}]})
CTX = _f({"channel": "activeAssetCtx", "data": {"coin": "BTC", "ctx": {
    "markPx": "100.1", "midPx": "100.2", "oraclePx": "100.0", "funding": "0.0001",
    "openInterest": "5000", "dayNtlVlm": "1e6", "prevDayPx": "98", "premium": "0.0002",
    "impactPxs": ["100.0", "100.4"]}}})
ORDERS = _f({"channel": "orderUpdates", "data": [{"order": {
    "coin": "BTC", "side": "B", "limitPx": "99.5", "sz": "0.1", "oid": 42,
    "timestamp": MS - 100, "origSz": "0.2", "cloid": "0x" + "0" * 32},
    "status": "open", "statusTimestamp": MS}]})
FILLS = _f({"channel": "userFills", "data": {"user": USER, "isSnapshot": True, "fills": [{
    "coin": "BTC", "px": "100.0", "sz": "0.1", "side": "B", "time": MS - 50,
    "startPosition": "0", "dir": "Open Long", "closedPnl": "0", "hash": "0xf",
    "oid": 42, "crossed": False, "fee": "-0.001", "tid": 99, "feeToken": "USDC"}]}})


def _frames() -> list[tuple[int, bytes | str]]:
    raws: list[bytes | str] = [BOOK, BBO, TRADES, CTX, ORDERS, FILLS,
                               b'{"channel":"nope","data":{}}',
                               "Websocket connection established."]
    return [(T + i, raw) for i, raw in enumerate(raws)]


def test_every_channel_gets_its_table(tmp_path: Path) -> None:
    res = convert_frames(_frames(), tmp_path)
    assert res.frames == 8
    assert res.rows == {"book_levels": 3, "bbo": 1, "trades": 2, "asset_ctx": 1,
                        "order_updates": 1, "fills": 1}
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        f"{n}.parquet" for n in SCHEMAS)
    assert res.rejections["unknown_channel"] == 1
    for name in SCHEMAS:  # every table carries both timestamps
        df = pl.read_parquet(tmp_path / f"{name}.parquet")
        assert {"exchange_ns", "local_ns"} <= set(df.columns)
        assert list(df.columns) == list(SCHEMAS[name])


def test_book_levels_are_flattened_with_side_and_level(tmp_path: Path) -> None:
    convert_frames(_frames(), tmp_path)
    df = pl.read_parquet(tmp_path / "book_levels.parquet")
    assert df.select("side", "level", "price", "size", "n_orders").rows() == [
        ("bid", 0, 100.0, 1.5, 2), ("bid", 1, 99.0, 2.0, 1), ("ask", 0, 101.0, 0.5, 3)]
    assert set(df["exchange_ns"]) == {MS * 1_000_000}
    assert set(df["local_ns"]) == {T}
    assert set(df["snapshot_id"]) == {0}


def test_bbo_trades_ctx_orders_fills_values(tmp_path: Path) -> None:
    convert_frames(_frames(), tmp_path)
    bbo = pl.read_parquet(tmp_path / "bbo.parquet").row(0, named=True)
    assert (bbo["coin"], bbo["bid_px"], bbo["ask_px"], bbo["ask_n"]) == ("ETH", 10.0, None, None)
    trades = pl.read_parquet(tmp_path / "trades.parquet")
    assert trades["is_buy"].to_list() == [True, False]
    assert trades["exchange_ns"].to_list() == [(MS - 5) * 1_000_000, (MS - 2) * 1_000_000]
    assert trades["batch_exchange_ns"].to_list() == [(MS - 2) * 1_000_000] * 2
    assert trades["tid"].to_list() == [7, 8]
    ctx = pl.read_parquet(tmp_path / "asset_ctx.parquet").row(0, named=True)
    assert (ctx["mark_px"], ctx["impact_ask"], ctx["day_notional_volume"]) == (
        100.1, 100.4, 1e6)
    order = pl.read_parquet(tmp_path / "order_updates.parquet").row(0, named=True)
    assert (order["oid"], order["status"], order["orig_size"]) == (42, "open", 0.2)
    fill = pl.read_parquet(tmp_path / "fills.parquet").row(0, named=True)
    assert (fill["user"], fill["is_snapshot"], fill["fee"], fill["crossed"]) == (
        USER, True, -0.001, False)
    assert fill["exchange_ns"] == (MS - 50) * 1_000_000


def test_small_batches_write_several_row_groups_with_same_content(tmp_path: Path) -> None:
    frames = _frames() * 7
    convert_frames(frames, tmp_path / "big")
    convert_frames(frames, tmp_path / "small", batch_rows=2)
    for name in SCHEMAS:
        big = pl.read_parquet(tmp_path / "big" / f"{name}.parquet")
        small = pl.read_parquet(tmp_path / "small" / f"{name}.parquet")
        assert big.equals(small)
    assert pl.read_parquet(tmp_path / "small" / "book_levels.parquet").height == 21


def test_convert_reads_any_recording(tmp_path: Path) -> None:
    src = tmp_path / "cap.gz"
    src.write_bytes(gzip.compress(b"".join(
        b"%d %b\n" % (ns, raw if isinstance(raw, bytes) else raw.encode())
        for ns, raw in _frames()) + b"garbage\n"))
    res = convert(src, tmp_path / "out")
    assert res.frames == 8
    assert res.read.malformed == 1
    assert res.rows["book_levels"] == 3


def test_refuses_to_overwrite_unless_asked(tmp_path: Path) -> None:
    convert_frames(_frames(), tmp_path)
    with pytest.raises(ConvertError, match="already exists"):
        convert_frames(_frames(), tmp_path)
    res = convert_frames(_frames()[:1], tmp_path, overwrite=True)
    assert res.rows == {"book_levels": 3}


def test_failure_midway_leaves_no_partial_files(tmp_path: Path) -> None:
    calls = 0

    def exploding(raw: bytes | str, local_ns: int) -> Sequence[AnyEvent]:
        nonlocal calls
        calls += 1
        if calls > 3:
            raise RuntimeError("boom")
        return [Bbo(exchange_ns=1, local_ns=local_ns, coin="BTC", bid=(1.0, 1.0, 1),
                    ask=(2.0, 1.0, 1))]

    with pytest.raises(RuntimeError, match="boom"):
        convert_frames(_frames(), tmp_path, decode=exploding, batch_rows=1)
    assert list(tmp_path.iterdir()) == []


def test_out_path_that_is_a_file_is_a_convert_error(tmp_path: Path) -> None:
    target = tmp_path / "file"
    target.write_text("x")
    with pytest.raises(ConvertError, match="not a directory"):
        convert_frames(_frames(), target)
