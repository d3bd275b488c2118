"""The dashboard server without a browser: open reads, token-guarded control, clear
failures (busy port), and what the snapshot helpers extract."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import cast

import aiohttp
import pytest
import typer
from typer.testing import CliRunner

from hyperliquid_ofi_trader.cli import run as run_cli
from hyperliquid_ofi_trader.runtime.dashboard import Dashboard, DashboardError
from hyperliquid_ofi_trader.runtime.dashboard.history import ChartHistory, chart_point
from hyperliquid_ofi_trader.runtime.dashboard.snapshot import PipelineCache, economics
from hyperliquid_ofi_trader.runtime.live import LiveRunner


@pytest.fixture
async def dashboard() -> AsyncIterator[Dashboard]:
    board = Dashboard(0, token="s3cret-token")
    await board.start()
    try:
        yield board
    finally:
        await board.stop()


@pytest.fixture
def busy_port() -> Iterator[int]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield int(sock.getsockname()[1])


async def test_reads_are_open_and_serve_the_page_and_its_plot_library(
        dashboard: Dashboard) -> None:
    async with aiohttp.ClientSession() as http:
        async with http.get(dashboard.url) as resp:
            assert resp.status == 200
            page = await resp.text()
        assert "/static/uPlot.iife.min.js" in page
        async with http.get(dashboard.url + "static/uPlot.iife.min.js") as resp:
            assert resp.status == 200
            assert len(await resp.read()) > 10_000  # vendored, not fetched from a CDN
        async with http.get(dashboard.url + "static/..%2Fserver.py") as resp:
            assert resp.status == 404
        async with http.get(dashboard.url + "api/snapshot") as resp:
            assert (await resp.json())["state"]["trading_state"] == "STARTING"


async def test_control_needs_the_run_token(dashboard: Dashboard) -> None:
    url = dashboard.url + "api/control"
    body = {"command": "kill", "reason": "test"}
    async with aiohttp.ClientSession() as http:
        async with http.post(url, json=body) as resp:
            assert resp.status == 401
        async with http.post(url, json=body, headers={"Authorization": "Bearer nope"}) as resp:
            assert resp.status == 403
        async with http.post(url, json=body, headers={"Authorization": "Basic s3cret-token"}
                             ) as resp:
            assert resp.status == 401
        good = {"Authorization": "Bearer s3cret-token"}
        async with http.post(url, json={"command": "explode"}, headers=good) as resp:
            assert resp.status in (400, 503)


def test_token_is_random_per_dashboard() -> None:
    a, b = Dashboard(0), Dashboard(0)
    assert a.token != b.token
    assert len(a.token) >= 24
    assert a.url_with_token.endswith(f"#token={a.token}")


async def test_busy_port_is_one_clear_error(busy_port: int) -> None:
    with pytest.raises(DashboardError, match=f"--ui-port {busy_port} is not available"):
        await Dashboard(busy_port).start()


@pytest.mark.parametrize("option", ["--ui-port", "--metrics-port"])
def test_run_with_a_busy_port_says_so_and_leaves_no_run_folder(
        option: str, busy_port: int, tmp_path: Path) -> None:
    app = typer.Typer()
    run_cli.register(app)
    run_dir = tmp_path / "run"
    result = CliRunner().invoke(app, ["run", option, str(busy_port), "--run-dir",
                                      str(run_dir), "--duration", "5", "--json"])
    assert result.exit_code == 1, result.output
    assert f"{option} {busy_port} is not available" in result.output
    assert "Traceback" not in result.output
    assert not run_dir.exists()


def test_a_run_that_ended_halted_exits_with_its_own_code() -> None:
    with pytest.raises(typer.Exit) as exc:
        run_cli._finish({"engine": {"trading_state": "HALTED"}}, as_json=True)
    assert exc.value.exit_code == run_cli.EXIT_HALTED == 3
    run_cli._finish({"engine": {"trading_state": "ACTIVE"}}, as_json=True)  # no exit


def test_economics_finds_forecast_and_cost_fields_at_any_top_nesting() -> None:
    inputs = {"alpha": 0.4, "forecast_bps": 2.5, "edge": {"cost_bps": 1.25, "note": "x"},
              "expected_cost_bps": float("nan"), "book": {"bid": 1.0}}
    assert economics(inputs) == {"forecast_bps": 2.5, "edge.cost_bps": 1.25}


def test_economics_reads_the_edge_routers_case() -> None:
    inputs = {"alpha": 0.4, "router": {
        "router": "ok", "forecast": {"bps": 3.5, "std_bps": 1.0, "horizon_ms": 500},
        "economics": {"expected_edge_bps": 2.0, "expected_cost_bps": 1.5, "margin_bps": 0.5,
                      "maker_cost_bps": 0.1, "taker_cost_bps": 4.5}}}
    assert economics(inputs) == {"forecast_bps": 3.5, "expected_edge_bps": 2.0,
                                 "expected_cost_bps": 1.5, "margin_bps": 0.5}


def test_chart_history_is_bounded_and_plots_pnl_and_economics() -> None:
    history = ChartHistory(maxlen=3)
    for i in range(5):
        history.add(chart_point({
            "t_ms": 1000.0 * i, "markets": {"ETH": {"mid": 3300.0 + i, "spread_bps": 0.3,
                                                    "signals": {"ofi": 0.5 * i}},
                                            "BTC": {"mid": 95000.0, "spread_bps": 0.1}},
            "pnl": {"gross": 1.0, "fees": 0.25, "net": 0.75, "exposure_usd": 10.0},
            "positions": [{"coin": "ETH", "size": 0.1}],
            "decisions": [{"economics": {"forecast_bps": float(i)}}]}))
    points = history.points()
    assert [p["t"] for p in points] == [2.0, 3.0, 4.0]
    assert points[-1]["mid"] == {"ETH": 3304.0, "BTC": 95000.0}
    assert points[-1]["signals"] == {"ofi": 2.0}  # the traded coin's, by signal name
    assert points[-1]["net"] == 0.75
    assert points[-1]["economics"] == {"forecast_bps": 4.0}


def test_pipeline_percentiles_are_recomputed_only_every_few_snapshots() -> None:
    calls: list[int] = []

    class Pipeline:
        def percentiles_us(self) -> dict[str, float]:
            calls.append(1)
            return {"p50": float(len(calls))}

    runner = cast(LiveRunner, SimpleNamespace(pipeline=Pipeline()))
    cache = PipelineCache(every=4)
    seen = [cache.get(runner)["p50"] for _ in range(9)]
    assert len(calls) == 3  # calls 1, 5 and 9
    assert seen == [1.0] * 4 + [2.0] * 4 + [3.0]
