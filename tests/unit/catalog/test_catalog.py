"""The data catalog: ingest, partitioned layout, manifest, exact read-back, selections,
local and s3:// (a moto server on loopback)."""

from __future__ import annotations

import dataclasses
import gzip
from datetime import UTC, datetime
from pathlib import Path

import orjson
import polars as pl
import pytest
import typer
from typer.testing import CliRunner

from hyperliquid_ofi_trader.catalog import (
    CatalogError,
    CatalogQuery,
    EmptySelectionError,
    HourFormatError,
    iter_catalog_frames,
    open_location,
    parse_hour,
    reader,
    selection_labels,
)
from hyperliquid_ofi_trader.catalog.archive import ArchiveObject, l2book_key
from hyperliquid_ofi_trader.catalog.ingest import ingest_path
from hyperliquid_ofi_trader.catalog.listing import format_listing, list_catalog
from hyperliquid_ofi_trader.catalog.manifest import read_sources
from hyperliquid_ofi_trader.catalog.query import HOUR
from hyperliquid_ofi_trader.catalog.reader import clusters, select
from hyperliquid_ofi_trader.catalog.rows import decode_row
from hyperliquid_ofi_trader.cli import data as data_cli
from hyperliquid_ofi_trader.cli.catalog_options import SourceChoiceError, resolve_source
from hyperliquid_ofi_trader.cli.data_catalog import hour_runs
from hyperliquid_ofi_trader.data.replay_sources import ReadStats, iter_frames
from hyperliquid_ofi_trader.data.synthetic_meta import write_metadata
from tests.s3_support import LocalS3, s3_server

__all__ = ["s3_server"]

H = 3_600_000_000_000
T0 = int(datetime(2024, 3, 5, 10, tzinfo=UTC).timestamp()) * 1_000_000_000


def _book(coin: str, ms: int, bid: str, ask: str) -> bytes:
    return orjson.dumps({"channel": "l2Book", "data": {"coin": coin, "time": ms, "levels": [
        [{"px": bid, "sz": "1.5", "n": 1}], [{"px": ask, "sz": "2", "n": 3}]]}})


def _trades(coin: str, ms: int) -> bytes:
    return orjson.dumps({"channel": "trades", "data": [
        {"coin": coin, "side": "B", "px": "10", "sz": "1", "time": ms, "tid": 1,
         "hash": "0x", "users": ["a", "b"]}]})


def _write_ns_file(path: Path, frames: list[tuple[int, bytes]]) -> Path:
    with gzip.open(path, "wb") as fh:
        for ns, frame in frames:
            fh.write(str(ns).encode() + b" " + frame + b"\n")
    return path


def _frames() -> list[tuple[int, bytes]]:
    """Two coins, three hours, a trade channel, an account frame, and a clock step back."""
    out: list[tuple[int, bytes]] = []
    for i in range(60):
        ns = T0 + i * (H // 20)
        out.append((ns, _book("BTC", ns // 1_000_000, f"{100 + i}", f"{101 + i}")))
        out.append((ns + 5, _book("ETH", ns // 1_000_000, "10", "11")))
        if i % 7 == 0:
            out.append((ns + 9, _trades("ETH", ns // 1_000_000)))
    out.append((T0 + 2 * H + 1, orjson.dumps({"channel": "orderUpdates", "data": []})))
    out.append((T0 + 2 * H - 7, _book("BTC", 1, "1", "2")))  # receive clock stepped back
    out.append((T0 + 2 * H + 2, _book("PURR/USDC", 2, "1", "2")))
    return out


@pytest.fixture
def recording(tmp_path: Path) -> tuple[Path, list[tuple[int, bytes]]]:
    frames = _frames()
    return _write_ns_file(tmp_path / "rec.gz", frames), frames


def test_read_back_is_exactly_the_raw_order(recording: tuple[Path, list[tuple[int, bytes]]],
                                            tmp_path: Path) -> None:
    path, frames = recording
    loc = open_location(tmp_path / "cat")
    (res,) = ingest_path(loc, path)
    assert not res.skipped
    assert res.entry.frames == len(frames)
    stats = ReadStats()
    got = list(iter_frames(CatalogQuery(str(tmp_path / "cat")), stats))
    assert got == frames == list(iter_frames(path))
    assert stats.frames == len(frames)
    assert stats.files == len(res.entry.parts)


def test_layout_is_hive_partitioned_and_polars_reads_it(
        recording: tuple[Path, list[tuple[int, bytes]]], tmp_path: Path) -> None:
    path, frames = recording
    ingest_path(open_location(tmp_path / "cat"), path)
    parts = sorted(str(p.relative_to(tmp_path / "cat"))
                   for p in (tmp_path / "cat").rglob("*.parquet"))
    assert any(p.startswith("channel=l2Book/coin=BTC/date=2024-03-05/hour=10/part-")
               for p in parts)
    assert any(p.startswith("channel=l2Book/coin=PURR%2FUSDC/date=2024-03-05/hour=12/")
               for p in parts)
    assert any(p.startswith("channel=orderUpdates/coin=_all/") for p in parts)
    df = pl.scan_parquet(str(tmp_path / "cat" / "**" / "*.parquet"),
                         hive_partitioning=True).collect()
    assert df.height == len(frames)
    btc = df.filter((pl.col("channel") == "l2Book") & (pl.col("coin") == "BTC")
                    & (pl.col("hour") == 10)).sort("seq")
    assert btc["bid_px"][0] == 100.0
    assert btc["ask_sz"][0] == 2.0
    assert btc["exchange_ms"][0] == T0 // 1_000_000
    assert orjson.loads(btc["frame"][0])["data"]["coin"] == "BTC"
    eth_trades = df.filter(pl.col("channel") == "trades")
    assert eth_trades["n_trades"].to_list() == [1] * eth_trades.height
    assert eth_trades["vwap"].to_list() == [10.0] * eth_trades.height


def test_selection_by_coin_and_hour(recording: tuple[Path, list[tuple[int, bytes]]],
                                    tmp_path: Path) -> None:
    path, frames = recording
    ingest_path(open_location(tmp_path / "cat"), path)
    q = CatalogQuery(str(tmp_path / "cat"), coins=("ETH",), start=parse_hour("2024-03-05T11"),
                     end=parse_hour("2024-03-05T11"))
    got = list(iter_catalog_frames(q))
    want = [(ns, f) for ns, f in frames
            if T0 + H <= ns < T0 + 2 * H and (b'"ETH"' in f or b"orderUpdates" in f)]
    assert got == want
    assert got


def test_empty_selection_says_what_the_catalog_holds(
        recording: tuple[Path, list[tuple[int, bytes]]], tmp_path: Path) -> None:
    path, _ = recording
    ingest_path(open_location(tmp_path / "cat"), path)
    with pytest.raises(EmptySelectionError, match="holds BTC, ETH, PURR/USDC from "
                       "2024-03-05T10 to 2024-03-05T12"):
        iter_frames(CatalogQuery(str(tmp_path / "cat"), coins=("SOL",)))
    with pytest.raises(EmptySelectionError, match="empty"):
        iter_frames(CatalogQuery(str(tmp_path / "nothing")))


def test_reingest_is_skipped_and_a_broken_part_is_rewritten(
        recording: tuple[Path, list[tuple[int, bytes]]], tmp_path: Path) -> None:
    path, frames = recording
    loc = open_location(tmp_path / "cat")
    (first,) = ingest_path(loc, path)
    assert ingest_path(loc, path)[0].skipped
    victim = tmp_path / "cat" / first.entry.parts[0].path
    victim.write_bytes(b"garbage")
    (again,) = ingest_path(loc, path)
    assert not again.skipped
    assert list(iter_frames(CatalogQuery(str(tmp_path / "cat")))) == frames
    assert len(read_sources(loc)) == 1


def test_synthetic_sessions_are_flagged(tmp_path: Path) -> None:
    session = tmp_path / "session"
    session.mkdir()
    _write_ns_file(session / "frames.gz", [(T0, _book("BTC", 1, "1", "2"))])
    write_metadata(session, {"synthetic": True, "scenario": "trend", "seed": 7})
    ingest_path(open_location(tmp_path / "cat"), session)
    (entry,) = read_sources(open_location(tmp_path / "cat"))
    assert (entry.kind, entry.synthetic, entry.scenario, entry.seed) == (
        "synthetic", True, "trend", 7)
    assert selection_labels(CatalogQuery(str(tmp_path / "cat"))) == [
        "SYNTHETIC (scenario trend, seed 7)"]


def test_two_sources_interleave_by_receive_time(tmp_path: Path) -> None:
    a = [(T0 + i * 10, _book("BTC", i, "1", "2")) for i in range(50)]
    b = [(T0 + i * 10 + 5, _book("ETH", i, "1", "2")) for i in range(50)]
    loc = open_location(tmp_path / "cat")
    ingest_path(loc, _write_ns_file(tmp_path / "a.gz", a))
    ingest_path(loc, _write_ns_file(tmp_path / "b.gz", b))
    assert list(iter_frames(CatalogQuery(str(tmp_path / "cat")))) == sorted(a + b)
    assert list_catalog(loc).overlaps == []
    # A second source of the same coin and hour (say the archive beside a recording).
    ingest_path(loc, _write_ns_file(tmp_path / "c.gz", [(T0 + 3, _book("BTC", 1, "1", "2"))]))
    listing = list_catalog(loc)
    assert listing.overlaps == ["l2Book BTC 2024-03-05T10"]
    assert "1 hour(s) hold more than one source" in format_listing(listing)


def test_hours_parse_strictly() -> None:
    assert parse_hour("2024-01-07T23") == datetime(2024, 1, 7, 23, tzinfo=UTC)
    assert parse_hour("2024-01-07", end=True) == datetime(2024, 1, 7, 23, tzinfo=UTC)
    assert parse_hour("2024-01-07T05:00:00Z") == datetime(2024, 1, 7, 5, tzinfo=UTC)
    with pytest.raises(HourFormatError, match="whole UTC hour"):
        parse_hour("2024-01-07T05:30")
    with pytest.raises(HourFormatError, match="not a UTC hour"):
        parse_hour("yesterday")
    with pytest.raises(HourFormatError, match="before"):
        CatalogQuery("x", start=parse_hour("2024-01-02"), end=parse_hour("2024-01-01"))


def test_query_is_a_picklable_value() -> None:
    import pickle

    q = CatalogQuery("s3://b/c", coins=("BTC",), start=parse_hour("2024-01-01T00"))
    assert pickle.loads(pickle.dumps(q)) == q
    assert dataclasses.replace(q, coins=None) != q
    assert str(q) == "catalog s3://b/c coins BTC 2024-01-01T00..end UTC"


def test_s3_catalog_on_a_local_server(recording: tuple[Path, list[tuple[int, bytes]]],
                                      s3_server: LocalS3) -> None:
    path, frames = recording
    bucket = s3_server.make_bucket("research")
    uri = f"s3://{bucket}/catalog"
    (res,) = ingest_path(open_location(uri), path)
    keys = [o["Key"] for o in s3_server.client.list_objects_v2(Bucket=bucket)["Contents"]]
    assert any(k.startswith("catalog/channel=l2Book/coin=BTC/date=2024-03-05/hour=10/")
               for k in keys)
    assert f"catalog/_manifest/{res.entry.source_id}.json" in keys
    assert list(iter_frames(CatalogQuery(uri))) == frames
    assert ingest_path(open_location(uri), path)[0].skipped
    with pytest.raises(CatalogError, match="bucket 'nobucket' does not exist"):
        iter_frames(CatalogQuery("s3://nobucket/cat"))


def test_a_growing_recording_folder_is_ingested_again_without_duplicates(
        tmp_path: Path) -> None:
    rec = tmp_path / "rec"
    rec.mkdir()
    hour1 = [(T0 + i, _book("BTC", i, "1", "2")) for i in range(10)]
    hour2 = [(T0 + H + i, _book("BTC", i, "1", "2")) for i in range(10)]
    _write_ns_file(rec / "frames-1.gz", hour1)
    _write_ns_file(rec / "frames-2.gz", hour2[:4])  # still being written
    loc = open_location(tmp_path / "cat")
    assert [r.skipped for r in ingest_path(loc, rec)] == [False, False]
    _write_ns_file(rec / "frames-2.gz", hour2)  # the recorder finished the hour
    hour3 = [(T0 + 2 * H, _book("BTC", 1, "1", "2"))]
    _write_ns_file(rec / "frames-3.gz", hour3)
    assert [r.skipped for r in ingest_path(loc, rec)] == [True, False, False]
    assert list(iter_frames(CatalogQuery(str(tmp_path / "cat")))) == hour1 + hour2 + hour3
    assert len(read_sources(loc)) == 3  # the short version of frames-2 was retired
    assert len(list((tmp_path / "cat").rglob("*.parquet"))) == 3


def test_frames_that_are_not_utf8_are_dropped_and_counted(tmp_path: Path) -> None:
    bad = b'{"channel":"l2Book","data":{"coin":"BTC\xff"}}'
    good = [(T0, _book("BTC", 1, "1", "2"))]
    path = _write_ns_file(tmp_path / "r.gz", [(T0 - 1, bad), *good])
    (res,) = ingest_path(open_location(tmp_path / "cat"), path)
    assert res.entry.damage == {"invalid_utf8": 1}
    assert list(iter_frames(CatalogQuery(str(tmp_path / "cat")))) == good


def test_cli_ingest_and_ls_show_what_is_synthetic(tmp_path: Path) -> None:
    session = tmp_path / "session"
    session.mkdir()
    _write_ns_file(session / "frames.gz", [(T0 + i, _book("ETH", i, "1", "2"))
                                           for i in range(5)])
    write_metadata(session, {"synthetic": True, "scenario": "no-edge", "seed": 3})
    real = _write_ns_file(tmp_path / "real.gz", [(T0 + H, _book("BTC", 1, "1", "2"))])
    app = typer.Typer()
    data_cli.register(app)
    app.command("noop")(lambda: None)
    cat = str(tmp_path / "cat")
    res = CliRunner().invoke(app, ["data", "ingest", "--data", str(session), "--data",
                                   str(real), "--catalog", cat])
    assert res.exit_code == 0, res.output
    assert "ingested as source" in res.output
    assert "(SYNTHETIC (scenario no-edge, seed 3)): 5 frames in 1 part(s)" in res.output
    ls = CliRunner().invoke(app, ["data", "ls", "--catalog", cat])
    assert ls.exit_code == 0, ls.output
    assert "2 source(s) (1 recording, 1 synthetic), 6 frames" in ls.output
    eth = next(line for line in ls.output.splitlines() if " ETH " in line)
    assert "SYNTHETIC (scenario no-edge, seed 3)" in eth
    btc = next(line for line in ls.output.splitlines() if " BTC " in line)
    assert btc.rstrip().endswith("recorded market data")
    doc = orjson.loads(CliRunner().invoke(app, ["data", "ls", "--catalog", cat, "--json"])
                       .stdout)
    assert doc["frames"] == 6
    assert {(d["coin"], d["hours"][0], d["data"][0]) for d in doc["days"]} == {
        ("ETH", 10, "SYNTHETIC (scenario no-edge, seed 3)"),
        ("BTC", 11, "recorded market data")}
    assert sorted(s["kind"] for s in doc["sources"]) == ["recording", "synthetic"]
    ok = CliRunner().invoke(app, ["data", "verify", "--catalog", cat])
    assert ok.exit_code == 0, ok.output
    assert "2 part(s) checked, 0 problem(s)" in ok.output
    part = next((tmp_path / "cat").rglob("*.parquet"))
    part.write_bytes(part.read_bytes()[:-1] + b"X")  # same size: only the hash can tell
    bad = CliRunner().invoke(app, ["data", "verify", "--catalog", cat])
    assert bad.exit_code == 1
    assert f"sha256 mismatch: {part.relative_to(tmp_path / 'cat')}" in bad.output
    missing = CliRunner().invoke(app, ["data", "ingest", "--data", str(tmp_path / "nope"),
                                       "--catalog", cat])
    assert missing.exit_code == 1
    assert "no such file or directory" in missing.output


def test_heap_merge_and_sorted_clusters_agree(recording: tuple[Path, list[tuple[int, bytes]]],
                                              tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    path, frames = recording
    ingest_path(open_location(tmp_path / "cat"), path)
    a = _write_ns_file(tmp_path / "a.gz", [(T0 + i * 10, _book("SOL", i, "1", "2"))
                                           for i in range(30)])
    ingest_path(open_location(tmp_path / "cat"), a)  # a second source, interleaved
    q = CatalogQuery(str(tmp_path / "cat"))
    _, parts = select(q)
    # Hour 10 (two sources) is one cluster; the clock step back stretches the hour-11 BTC
    # part's order_ns range into hour 12, which chains hours 11 and 12 into the other.
    assert [len({sp.part.hour for sp in c}) for c in clusters(parts)] == [1, 2]
    sorted_read = list(iter_frames(q))
    monkeypatch.setattr(reader, "_MAX_CLUSTER_ROWS", 0)
    stats = ReadStats()
    heap_read = list(iter_frames(q, stats))
    assert heap_read == sorted_read
    assert len(heap_read) == len(frames) + 30 == stats.frames


def test_missing_hours_are_folded_into_ranges() -> None:
    day = datetime(2024, 1, 3, tzinfo=UTC)
    objs = [ArchiveObject(l2book_key("ETH", day + i * HOUR), "ETH", day + i * HOUR)
            for i in range(24)]
    objs.append(ArchiveObject(l2book_key("BTC", day), "BTC", day + 5 * HOUR))
    objs.append(ArchiveObject(l2book_key("BTC", day), "BTC", day + 7 * HOUR))
    objs.append(ArchiveObject("asset_ctxs/20240103.csv.lz4", None, day))
    assert hour_runs(objs) == ("ETH 2024-01-03T00..2024-01-03T23 (24 h), "
                               "BTC 2024-01-03T05, BTC 2024-01-03T07, asset contexts 2024-01-03")


def test_typed_columns_of_trades_and_asset_contexts() -> None:
    trades = orjson.dumps({"channel": "trades", "data": [
        {"coin": "ETH", "side": "B", "px": "10", "sz": "1", "time": 5, "tid": 1},
        {"coin": "ETH", "side": "A", "px": "13", "sz": "2", "time": 6, "tid": 2}]})
    row = decode_row(trades)
    assert (row.channel, row.coin, row.exchange_ms) == ("trades", "ETH", 5)
    assert (row.n_trades, row.buy_sz, row.sell_sz, row.vwap) == (2, 1.0, 2.0, 12.0)
    ctx = orjson.dumps({"channel": "activeAssetCtx", "data": {"coin": "BTC", "ctx": {
        "funding": "0.0000125", "openInterest": "100.5", "oraclePx": "42001.0",
        "markPx": "42000.5"}}})
    row = decode_row(ctx)
    assert (row.mark_px, row.oracle_px, row.funding, row.open_interest) == (
        42000.5, 42001.0, 0.0000125, 100.5)
    assert decode_row(b"not json").channel == "_other"
    assert decode_row(b'{"channel":"pong"}').coin == "_all"


def test_cli_source_resolution(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    q = resolve_source(None, "cat", "BTC, ETH,BTC", "2024-01-01T00", "2024-01-02")
    assert q == CatalogQuery(str(tmp_path / "cat"), ("BTC", "ETH"),
                             parse_hour("2024-01-01T00"), parse_hour("2024-01-02T23"))
    assert resolve_source(None, "s3://b/c") == CatalogQuery("s3://b/c")
    assert resolve_source(tmp_path, None) == tmp_path
    with pytest.raises(SourceChoiceError, match="give --data PATH or --catalog"):
        resolve_source(None, None)
    with pytest.raises(SourceChoiceError, match="select from a --catalog"):
        resolve_source(tmp_path, None, "BTC")
    with pytest.raises(SourceChoiceError, match="--coins is empty"):
        resolve_source(None, "cat", " , ")


def test_duckdb_reads_the_layout_directly(recording: tuple[Path, list[tuple[int, bytes]]],
                                          tmp_path: Path) -> None:
    duckdb = pytest.importorskip("duckdb")
    path, frames = recording
    ingest_path(open_location(tmp_path / "cat"), path)
    glob = str(tmp_path / "cat" / "*" / "*" / "*" / "*" / "*.parquet")
    rows = duckdb.connect().sql(
        f"SELECT channel, coin, hour, count(*), min(bid_px) FROM read_parquet('{glob}', "
        "hive_partitioning = true) WHERE channel = 'l2Book' AND coin = 'BTC' "
        "GROUP BY ALL ORDER BY ALL").fetchall()
    assert rows == [("l2Book", "BTC", 10, 20, 100.0), ("l2Book", "BTC", 11, 21, 1.0),
                    ("l2Book", "BTC", 12, 20, 140.0)]
    total = duckdb.connect().sql(f"SELECT count(*) FROM read_parquet('{glob}')").fetchall()
    assert total == [(len(frames),)]
