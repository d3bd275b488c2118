"""The Ray backends' pure parts, without a cluster: day splitting, artefact round trips,
worker-path relocation, data URIs staged from a loopback S3 server, and the message when
Ray is not installed."""

from __future__ import annotations

import importlib
from datetime import UTC, date, datetime
from pathlib import Path
from types import ModuleType

import pytest
import typer
from typer.testing import CliRunner

from hyperliquid_ofi_trader.backtest import ray_data, sweep
from hyperliquid_ofi_trader.backtest.ray_backtest import split_by_day
from hyperliquid_ofi_trader.backtest.ray_sweep import read_artefacts, relocated, write_artefacts
from hyperliquid_ofi_trader.backtest.sweep import OK, PointResult
from hyperliquid_ofi_trader.catalog import CatalogQuery
from hyperliquid_ofi_trader.cli import sweep as sweep_cli
from tests.s3_support import LocalS3, s3_server

__all__ = ["s3_server"]


def _h(day: int, hour: int) -> datetime:
    return datetime(2024, 1, day, hour, tzinfo=UTC)


def test_split_by_day_clips_to_the_selection_and_skips_days_without_data() -> None:
    q = CatalogQuery("s3://b/cat", ("BTC",), _h(1, 5), _h(3, 2))
    days = [date(2024, 1, d) for d in (3, 1, 2, 5)]
    assert [(s.start, s.end) for s in split_by_day(q, days)] == [
        (_h(1, 5), _h(1, 23)), (_h(2, 0), _h(2, 23)), (_h(3, 0), _h(3, 2))]
    assert all(s.uri == "s3://b/cat" and s.coins == ("BTC",) for s in split_by_day(q, days))
    whole = split_by_day(CatalogQuery("cat"), [date(2024, 1, 5)])
    assert [(s.start, s.end) for s in whole] == [(_h(5, 0), _h(5, 23))]


def test_artefacts_round_trip_and_never_escape_the_run_dir(tmp_path: Path) -> None:
    src = tmp_path / "worker"
    (src / "sub").mkdir(parents=True)
    (src / "journal.sqlite").write_bytes(b"J")
    (src / "sub" / "report.html").write_bytes(b"<html>")
    files = read_artefacts(src)
    assert files == {"journal.sqlite": b"J", "sub/report.html": b"<html>"}
    write_artefacts({**files, "../outside.txt": b"x"}, tmp_path / "driver")
    assert read_artefacts(tmp_path / "driver") == files
    assert not (tmp_path / "outside.txt").exists()


def test_metrics_naming_the_worker_folder_name_the_driver_copy(tmp_path: Path) -> None:
    result = PointResult(3, OK, "", {"journal": "/scratch/run/journal.sqlite", "n": 1,
                                     "other": "/elsewhere"})
    moved = relocated(result, "/scratch/run", tmp_path / "point_0003")
    assert moved.metrics == {"journal": f"{tmp_path}/point_0003/journal.sqlite", "n": 1,
                             "other": "/elsewhere"}


def test_data_uris(tmp_path: Path) -> None:
    with pytest.raises(ray_data.DataUriError, match="not an s3://bucket/key URI"):
        ray_data.data_uri("s3:///no-bucket")
    assert ray_data.data_uri(str(tmp_path)) == tmp_path.as_uri()
    assert ray_data.stage(tmp_path.as_uri()) == tmp_path
    with pytest.raises(ray_data.DataUriError, match="does not exist on this node"):
        ray_data.stage((tmp_path / "gone").as_uri())


def test_stage_downloads_an_object_or_a_prefix_once(s3_server: LocalS3,
                                                    tmp_path: Path) -> None:
    s3_server.make_bucket("rec")
    for key in ("day/1/BTC.lz4", "day/2/BTC.lz4"):
        s3_server.client.put_object(Bucket="rec", Key=key, Body=key.encode())
    one = ray_data.stage("s3://rec/day/1/BTC.lz4", tmp_path / "cache")
    assert one.name == "BTC.lz4"
    assert one.read_bytes() == b"day/1/BTC.lz4"
    tree = ray_data.stage("s3://rec/day", tmp_path / "cache")
    assert sorted(p.relative_to(tree).as_posix() for p in tree.rglob("*.lz4")) == [
        "1/BTC.lz4", "2/BTC.lz4"]
    s3_server.client.delete_object(Bucket="rec", Key="day/1/BTC.lz4")
    assert ray_data.stage("s3://rec/day/1/BTC.lz4", tmp_path / "cache") == one  # cached
    with pytest.raises(ray_data.DataUriError, match="no objects at s3://rec/none"):
        ray_data.stage("s3://rec/none", tmp_path / "cache")
    with pytest.raises(ray_data.DataUriError, match="cannot read s3://missing-bucket/x"):
        ray_data.stage("s3://missing-bucket/x", tmp_path / "cache")
    assert not [p for p in (tmp_path / "cache").iterdir() if p.name.startswith(".staging")]


def test_sweep_ray_without_ray_says_install_ray(tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    real = importlib.import_module

    def no_ray(name: str, package: str | None = None) -> ModuleType:
        if name == "ray":
            raise ImportError("No module named 'ray'")
        return real(name, package)

    monkeypatch.setattr(importlib, "import_module", no_ray)
    grid = tmp_path / "grid.yaml"
    grid.write_text("params:\n  thresholds.router.ofi_high: [1.5]\n", encoding="utf-8")
    data = tmp_path / "data.bin"
    data.write_bytes(b"abc")
    app = typer.Typer()
    sweep_cli.register(app)
    app.command("noop")(lambda: None)
    res = CliRunner().invoke(app, ["sweep", "--grid", str(grid), "--data", str(data),
                                   "--ray", "auto", "--out", str(tmp_path / "o"),
                                   "--run-one", "tests.unit.sweep_support:score_config"])
    assert res.exit_code == 1
    assert "install ray with `pip install 'ray[default]==2.60.0'`" in res.output


def test_backtest_ray_on_a_selection_without_data_is_one_clear_error(tmp_path: Path) -> None:
    from hyperliquid_ofi_trader.cli import backtest as backtest_cli

    app = typer.Typer()
    backtest_cli.register(app)
    app.command("noop")(lambda: None)
    res = CliRunner().invoke(app, ["backtest", "--catalog", str(tmp_path / "empty"),
                                   "--coins", "BTC", "--ray", "local", "--out",
                                   str(tmp_path / "o")])
    assert res.exit_code == 1
    assert "no data in catalog" in res.output
    assert "hlofi data ls --catalog" in res.output
    assert not (tmp_path / "o").exists()


def test_local_sweep_of_a_recording_uri_stages_it_once(s3_server: LocalS3, tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    from hyperliquid_ofi_trader.backtest.grid import grid_from_mapping
    from hyperliquid_ofi_trader.backtest.sweep import run_sweep
    from tests.unit import sweep_support

    monkeypatch.setenv(ray_data.CACHE_ENV, str(tmp_path / "cache"))
    s3_server.make_bucket("rec")
    s3_server.client.put_object(Bucket="rec", Key="a/data.bin", Body=b"abcd")
    grid = grid_from_mapping({"params": {"thresholds.router.ofi_high": [1.5, 2.0]}})
    table = run_sweep(grid, "s3://rec/a/data.bin", 1, sweep_support.score_config,
                      tmp_path / "out")
    assert table["data_bytes"].to_list() == [4, 4]
    with pytest.raises(sweep.SweepError, match="no objects at s3://rec/b"):
        run_sweep(grid, "s3://rec/b", 1, sweep_support.score_config, tmp_path / "out2")


def test_an_address_nobody_listens_on_fails_at_once(tmp_path: Path) -> None:
    import socket

    from hyperliquid_ofi_trader.backtest.grid import grid_from_mapping
    from hyperliquid_ofi_trader.backtest.ray_sweep import check_reachable
    from tests.unit import sweep_support

    with socket.socket() as sock:  # a port that was free a moment ago: nothing listens
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    grid = grid_from_mapping({"params": {"thresholds.router.ofi_high": [1.5]}})
    with pytest.raises(sweep.SweepError, match=f"no Ray cluster answers at 127.0.0.1:{port}"):
        sweep.run_sweep(grid, tmp_path, 1, sweep_support.score_config, tmp_path / "o",
                        ray_address=f"127.0.0.1:{port}")
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        check_reachable(f"127.0.0.1:{server.getsockname()[1]}")  # something answers
    check_reachable("auto")
    check_reachable("ray://nowhere.invalid:10001")  # the Ray client has its own timeout


class _FakeRay:
    """Just enough of the ray module to interrupt a sweep while tasks are pending."""

    def __init__(self) -> None:
        self.cancelled: list[int] = []
        self.submitted = 0

    def is_initialized(self) -> bool:
        return True

    def remote(self, **_: object) -> object:
        fake = self

        class _Remote:
            def __init__(self, fn: object) -> None:
                self.fn = fn

            def remote(self, *args: object) -> int:
                fake.submitted += 1
                return fake.submitted

        return _Remote

    def wait(self, refs: list[int], num_returns: int) -> tuple[list[int], list[int]]:
        raise KeyboardInterrupt

    def cancel(self, ref: int, force: bool) -> None:
        if ref == 2:
            raise ValueError("already finished")
        self.cancelled.append(ref)


def test_an_interrupted_driver_cancels_the_pending_tasks(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from hyperliquid_ofi_trader.backtest import ray_sweep
    from hyperliquid_ofi_trader.backtest.grid import grid_from_mapping
    from tests.unit import sweep_support

    fake = _FakeRay()
    monkeypatch.setattr(ray_sweep, "import_ray", lambda: fake)
    grid = grid_from_mapping({"params": {"thresholds.router.ofi_high": [1.5, 2.0, 2.5]}})
    with pytest.raises(KeyboardInterrupt):
        sweep.run_sweep(grid, tmp_path, None, sweep_support.score_config, tmp_path / "o",
                        ray_address="auto")
    assert fake.submitted == 3
    assert fake.cancelled == [1, 3]  # the second had finished: its refusal is ignored
