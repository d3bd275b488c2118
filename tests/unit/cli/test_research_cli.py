"""`hlofi research …` through typer's CliRunner, on small generated recordings."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import numpy as np
import orjson
import pytest
import typer
from typer.testing import CliRunner

from hyperliquid_ofi_trader.cli import research
from hyperliquid_ofi_trader.signals.microprice import MicropriceModel

T0 = 1_704_110_400_000  # exchange ms


@pytest.fixture
def app() -> typer.Typer:
    a = typer.Typer()
    research.register(a)
    return a


def run(app: typer.Typer, *args: str) -> Any:
    return CliRunner().invoke(app, ["research", *args])


def hl_recording(path: Path, n: int = 400, seed: int = 1) -> Path:
    """l2Book snapshots every 500 ms; the bid size and the mid wander at random."""
    rng = np.random.default_rng(seed)
    mid = 40_000 + np.cumsum(rng.choice([-1, 0, 0, 1], size=n))
    lines = []
    for i in range(n):
        qb, qa = rng.uniform(0.1, 3.0, size=2)
        bid, ask = int(mid[i]), int(mid[i]) + 1
        frame = {"channel": "l2Book", "data": {"coin": "BTC", "time": T0 + 500 * i, "levels": [
            [{"px": str(bid - k), "sz": f"{qb + k:.3f}", "n": 1} for k in range(3)],
            [{"px": str(ask + k), "sz": f"{qa + k:.3f}", "n": 1} for k in range(3)]]}}
        lines.append(b"%d %s\n" % ((T0 + 500 * i) * 1_000_000 + 7, orjson.dumps(frame)))
    path.write_bytes(b"".join(lines))
    return path


def binance_pair(tmp_path: Path, n: int = 6_000, delay_ms: int = 20) -> tuple[Path, Path]:
    """BTC and ETH bookTickers every 1 ms; ETH repeats BTC's steps `delay_ms` later."""
    rng = np.random.default_rng(2)
    steps = rng.choice([-1, 0, 0, 0, 0, 1], size=n)
    btc = 600_000 + np.cumsum(steps)  # in 0.1 ticks
    eth = 300_000 + np.cumsum(np.concatenate([np.zeros(delay_ms, int), steps[:-delay_ms]]))
    out = []
    for sym, px, scale in (("btcusdt", btc, 10), ("ethusdt", eth, 100)):
        lines = [b"%d %s\n" % (i, orjson.dumps({"stream": f"{sym}@bookTicker", "data": {
            "u": i, "b": f"{p / scale:.2f}", "B": "1.5", "a": f"{(p + 1) / scale:.2f}",
            "A": "1.0", "T": T0 + i, "E": T0 + i}})) for i, p in enumerate(px)]
        path = tmp_path / f"{sym}.gz"
        path.write_bytes(gzip.compress(b"".join(lines)))
        out.append(path)
    return out[0], out[1]


def test_ofi_json_and_plots(app: typer.Typer, tmp_path: Path) -> None:
    rec = hl_recording(tmp_path / "rec.txt")
    res = run(app, "ofi", "--data", str(rec), "--intervals", "5s,10s", "--levels", "3",
              "--json", "--out", str(tmp_path / "plots"))
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    assert doc["coin"] == "BTC"
    assert doc["tick"] == 1.0
    assert {(r["interval_s"], r["regressor"], r["timing"]) for r in doc["impact"]} >= {
        (10.0, "ofi", "contemporaneous"), (5.0, "ofi/depth", "predictive"),
        (10.0, "integrated", "contemporaneous")}
    assert all(Path(p).stat().st_size > 1_000 for p in doc["plots"])
    assert len(doc["plots"]) == 2


def test_ofi_table_output(app: typer.Typer, tmp_path: Path) -> None:
    res = run(app, "ofi", "--data", str(hl_recording(tmp_path / "r.txt")), "--intervals", "10s")
    assert res.exit_code == 0, res.output
    assert "OFI price impact" in res.stdout
    assert "contemporaneous" in res.stdout


def test_leadlag_json_finds_the_planted_delay(app: typer.Typer, tmp_path: Path) -> None:
    btc, eth = binance_pair(tmp_path)
    res = run(app, "leadlag", "--lead", str(btc), "--lag", str(eth), "--max-lag-ms", "50",
              "--step-ms", "10", "--shifts", "20", "--json")
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    assert doc["lead"] == "BTCUSDT"
    assert doc["lag"] == "ETHUSDT"
    assert doc["xcorr"]["peak_lag_ms"] == 20.0
    assert doc["xcorr"]["lead_significant"] is True
    assert set(doc["hit_rate"]) >= {"fires", "hits", "misses", "flats", "hit_rate"}


def test_signals_json(app: typer.Typer, tmp_path: Path) -> None:
    res = run(app, "signals", "--data", str(hl_recording(tmp_path / "r.txt")),
              "--horizons", "1s,5s", "--json")
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    assert {(r["signal"], r["horizon_ms"]) for r in doc["ic"]} == {
        (s, h) for s in ("ofi", "ofi_norm", "microprice") for h in (1000.0, 5000.0)}
    assert all(r["ic"] is None or -1.0 <= r["ic"] <= 1.0 for r in doc["ic"])


def test_microprice_saves_a_loadable_model(app: typer.Typer, tmp_path: Path) -> None:
    rec = hl_recording(tmp_path / "r.txt")
    model = tmp_path / "model.json"
    res = run(app, "microprice", "--data", str(rec), "--out", str(model), "--n-imbalance", "4")
    assert res.exit_code == 0, res.output
    assert "Micro-price adjustment" in res.stdout
    loaded = MicropriceModel.load(model)
    assert loaded.n_imbalance == 4
    assert loaded.tick == 1.0
    # The saved model feeds the IC command.
    res = run(app, "signals", "--data", str(rec), "--model", str(model), "--json")
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["microprice_model"] is True


@pytest.mark.parametrize("args", [
    ("ofi", "--data", "{missing}"),
    ("signals", "--data", "{missing}"),
    ("signals", "--data", "{rec}", "--model", "{missing}"),
    ("leadlag", "--lead", "{rec}", "--lag", "{rec}"),  # the same coin twice
])
def test_user_errors_exit_1_without_traceback(app: typer.Typer, tmp_path: Path,
                                              args: tuple[str, ...]) -> None:
    rec = hl_recording(tmp_path / "r.txt", n=50)
    filled = [a.format(missing=tmp_path / "absent.lz4", rec=rec) for a in args]
    res = run(app, *filled)
    assert res.exit_code == 1
    assert "error:" in res.output
    assert "Traceback" not in res.output


def test_bad_duration_is_a_usage_error(app: typer.Typer, tmp_path: Path) -> None:
    res = run(app, "ofi", "--data", str(tmp_path), "--intervals", "10 parsecs")
    assert res.exit_code == 2
    assert "not a duration" in res.output


def test_duration_parser() -> None:
    assert research.parse_durations("1s, 100ms,1s,2.5s,1m") == [
        100_000_000, 1_000_000_000, 2_500_000_000, 60_000_000_000]
    with pytest.raises(typer.BadParameter):
        research.parse_duration_ns("0s")
