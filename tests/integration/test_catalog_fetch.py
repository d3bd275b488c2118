"""`hlofi data fetch` against a local S3 server (moto on loopback) holding objects built
from the shared archive hour: parallel, resumable, checksummed, missing hours named."""

from __future__ import annotations

import hashlib
import socket
from datetime import UTC, datetime
from pathlib import Path

import lz4.frame
import polars as pl
import pytest
import typer
from typer.testing import CliRunner

from hyperliquid_ofi_trader.catalog import CatalogQuery, iter_catalog_frames, open_location
from hyperliquid_ofi_trader.catalog.archive import fetch_archive, l2book_key, plan
from hyperliquid_ofi_trader.catalog.manifest import read_sources
from hyperliquid_ofi_trader.cli import data as data_cli
from hyperliquid_ofi_trader.data.replay_sources import iter_frames
from tests.s3_support import LocalS3, s3_server, seed_archive

__all__ = ["s3_server"]


def _app() -> typer.Typer:
    app = typer.Typer()
    data_cli.register(app)
    app.command("noop")(lambda: None)  # keep typer in multi-command mode
    return app

H11 = datetime(2024, 1, 1, 11, tzinfo=UTC)
H12 = datetime(2024, 1, 1, 12, tzinfo=UTC)
LIMIT = 400  # lines per object: enough for several row groups of work, fast to build


@pytest.fixture
def archive(s3_server: LocalS3, hl_archive_btc: Path) -> dict[str, bytes]:
    objects = seed_archive(s3_server, hl_archive_btc, ["BTC", "ETH"], [H11, H12], limit=LIMIT)
    # ETH 12:00 is missing from the archive.
    s3_server.client.delete_object(Bucket="hyperliquid-archive", Key=l2book_key("ETH", H12))
    del objects[l2book_key("ETH", H12)]
    return objects


def _fetch(catalog: str, *extra: str, quiet: bool = True) -> tuple[int, str]:
    res = CliRunner().invoke(_app(), ["data", "fetch", "--coins", "BTC,ETH", "--from",
                                      "2024-01-01T11", "--to", "2024-01-01T12", "--catalog",
                                      catalog, "--no-asset-ctxs",
                                      "--quiet" if quiet else "--no-quiet", *extra])
    return res.exit_code, res.output


def test_fetch_names_missing_hours_and_lands_the_rest(archive: dict[str, bytes],
                                                      tmp_path: Path) -> None:
    code, out = _fetch(str(tmp_path / "cat"))
    assert code == 1, out
    assert "missing from the archive (1): ETH 2024-01-01T12" in out
    assert "3 fetched" in out
    sources = read_sources(open_location(tmp_path / "cat"))
    assert sorted(s.origin for s in sources) == sorted(
        f"s3://hyperliquid-archive/{k}" for k in archive)
    # The catalog replays exactly what the raw object replays.
    raw = tmp_path / "btc12.lz4"
    raw.write_bytes(archive[l2book_key("BTC", H12)])
    got = list(iter_catalog_frames(CatalogQuery(str(tmp_path / "cat"), coins=("BTC",),
                                                start=H12, end=H12)))
    assert got == list(iter_frames(raw))
    assert len(got) == LIMIT
    # A second run verifies what is there and downloads nothing.
    code, out = _fetch(str(tmp_path / "cat"))
    assert code == 1
    assert "0 fetched (0.0 MiB, 0 rows), 3 already in the catalog (verified)" in out
    ls = CliRunner().invoke(_app(), ["data", "ls", "--catalog", str(tmp_path / "cat")])
    assert ls.exit_code == 0, ls.output
    assert "3 source(s) (3 archive)" in ls.output
    assert "l2Book" in ls.output
    assert "11-12" in ls.output


def test_partial_download_resumes_with_a_range_request(archive: dict[str, bytes],
                                                       tmp_path: Path) -> None:
    loc = open_location(tmp_path / "cat")
    cache = tmp_path / "cache"
    key = l2book_key("BTC", H11)
    body = archive[key]
    partial = cache / "hyperliquid-archive" / (key + ".part")
    partial.parent.mkdir(parents=True)
    partial.write_bytes(body[: len(body) // 2])
    objects = plan(["BTC"], [H11], asset_ctxs=False)
    report = fetch_archive(loc, objects, cache, workers=2)
    assert report.ok
    assert report.bytes_downloaded == len(body) - len(body) // 2
    assert (cache / "hyperliquid-archive" / key).read_bytes() == body
    assert not partial.exists()


def test_corrupt_partial_is_caught_by_the_checksum_and_refetched(
        archive: dict[str, bytes], tmp_path: Path) -> None:
    loc = open_location(tmp_path / "cat")
    cache = tmp_path / "cache"
    key = l2book_key("BTC", H11)
    partial = cache / "hyperliquid-archive" / (key + ".part")
    partial.parent.mkdir(parents=True)
    partial.write_bytes(b"\0" * 100)  # not the object's first bytes
    objects = plan(["BTC"], [H11], asset_ctxs=False)
    first = fetch_archive(loc, objects, cache, workers=1)
    ((_, reason),) = first.failed
    assert reason.startswith(f"ValueError: checksum mismatch for {key} (ETag "
                             f"{_md5(archive[key])}, MD5 ")
    assert not partial.exists()
    second = fetch_archive(loc, objects, cache, workers=1)
    assert second.ok
    assert len(second.fetched) == 1


def _md5(data: bytes) -> str:
    return hashlib.md5(data, usedforsecurity=False).hexdigest()


def test_missing_credentials_is_one_clear_error(archive: dict[str, bytes], tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    code, out = _fetch(str(tmp_path / "cat"))
    assert code == 1
    assert "error: no AWS credentials found" in out
    assert "Traceback" not in out


def test_asset_contexts_land_as_parquet(s3_server: LocalS3, tmp_path: Path) -> None:
    csv = (b"time,coin,funding,open_interest,mark_px\n"
           b"2024-01-01T00:00:00Z,BTC,0.0000125,100.5,42000.5\n"
           b"2024-01-01T00:00:00Z,ETH,0.00001,2000,2300.1\n")
    s3_server.make_bucket("hyperliquid-archive")
    s3_server.client.put_object(Bucket="hyperliquid-archive", Key="asset_ctxs/20240101.csv.lz4",
                                Body=lz4.frame.compress(csv))
    loc = open_location(tmp_path / "cat")
    report = fetch_archive(loc, plan([], [H11], asset_ctxs=True),
                           tmp_path / "cache")
    assert report.ok, report
    df = pl.read_parquet(next((tmp_path / "cat" / "asset_ctxs").rglob("*.parquet")))
    assert df["coin"].to_list() == ["BTC", "ETH"]
    assert df["mark_px"].to_list() == [42000.5, 2300.1]
    again = fetch_archive(loc, plan([], [H11], asset_ctxs=True), tmp_path / "cache")
    assert (len(again.skipped), len(again.fetched)) == (1, 0)


def test_fetch_into_an_s3_catalog(archive: dict[str, bytes], s3_server: LocalS3,
                                  tmp_path: Path) -> None:
    s3_server.make_bucket("research")
    code, out = _fetch("s3://research/cat", "--cache", str(tmp_path / "cache"), quiet=False)
    assert code == 1, out
    assert "3 fetched" in out
    got = list(iter_catalog_frames(CatalogQuery("s3://research/cat", coins=("ETH",))))
    assert len(got) == LIMIT


def test_unreachable_endpoint_is_one_clear_error(tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    with socket.socket() as sock:  # a loopback port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    for key, value in {"AWS_ACCESS_KEY_ID": "k", "AWS_SECRET_ACCESS_KEY": "s",
                       "AWS_REGION": "us-east-1", "AWS_MAX_ATTEMPTS": "1",
                       "AWS_ENDPOINT_URL": f"http://127.0.0.1:{port}"}.items():
        monkeypatch.setenv(key, value)
    code, out = _fetch(str(tmp_path / "cat"), "--workers", "2")
    assert code == 1
    assert "error: cannot reach S3" in out
    assert "Traceback" not in out
