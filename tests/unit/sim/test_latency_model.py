"""Latency model: distributions, seeding, independent streams, specs and sample files."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from hyperliquid_ofi_trader.sim.latency import (
    Constant,
    Empirical,
    LatencyConfig,
    LatencyConfigError,
    LatencyModel,
    LogNormal,
    Uniform,
    load_samples_ms,
    parse_distribution,
)

MS = 1_000_000


def _draws(model: LatencyModel, n: int = 200) -> list[int]:
    return [model.entry_ns() for _ in range(n)]


def test_constant_is_exact() -> None:
    m = LatencyModel(LatencyConfig(entry=Constant(12.5), ack=Constant(0), feed=Constant(3)))
    assert {m.entry_ns() for _ in range(10)} == {12_500_000}
    assert m.ack_ns() == 0
    assert m.feed_ns() == 3 * MS


def test_same_seed_same_sequence_other_seed_differs() -> None:
    assert _draws(LatencyModel(seed=7)) == _draws(LatencyModel(seed=7))
    assert _draws(LatencyModel(seed=7)) != _draws(LatencyModel(seed=8))


def test_streams_are_independent() -> None:
    a, b = LatencyModel(seed=3), LatencyModel(seed=3)
    for _ in range(5000):  # more than one block of feed draws on one model only
        a.feed_ns()
    assert _draws(a) == _draws(b)


def test_lognormal_hits_its_median_and_p99() -> None:
    dist = LogNormal(100.0, 450.0)
    x = dist.draw(np.random.default_rng(1), 200_000) / MS
    assert np.median(x) == pytest.approx(100.0, rel=0.02)
    assert np.percentile(x, 99) == pytest.approx(450.0, rel=0.05)
    assert x.min() >= 0


def test_uniform_stays_in_range() -> None:
    x = Uniform(50, 60).draw(np.random.default_rng(0), 10_000) / MS
    assert x.min() >= 50
    assert x.max() <= 60
    assert x.std() > 1


def test_empirical_resamples_the_given_values() -> None:
    x = Empirical((1.0, 2.0, 3.0)).draw(np.random.default_rng(0), 3000)
    assert set(x.tolist()) == {1 * MS, 2 * MS, 3 * MS}


def test_recorded_feed_uses_receive_time_modelled_uses_exchange_plus_sample() -> None:
    rec = LatencyModel(LatencyConfig(feed=Constant(5)))
    assert rec.market_receive_ns(1_000 * MS, 1_250 * MS) == 1_250 * MS
    mod = LatencyModel(LatencyConfig(feed_mode="modelled", feed=Constant(5)))
    assert mod.market_receive_ns(1_000 * MS, 1_250 * MS) == 1_005 * MS
    assert mod.market_receive_ns(0, 1_250 * MS) == 1_250 * MS  # no venue time: as received


@pytest.mark.parametrize(("spec", "expected"), [
    ("const:80", Constant(80.0)), ("uniform:50,150", Uniform(50.0, 150.0)),
    ("lognormal:100,450", LogNormal(100.0, 450.0)),
])
def test_parse_specs(spec: str, expected: object) -> None:
    assert parse_distribution(spec) == expected


@pytest.mark.parametrize("spec", ["", "const:", "const:-1", "uniform:5", "uniform:9,1",
                                  "lognormal:100,50", "gauss:1", "const:nan",
                                  "file:/nonexistent/x.json"])
def test_bad_specs_are_the_users_error(spec: str) -> None:
    with pytest.raises(LatencyConfigError):
        parse_distribution(spec)


def test_json_and_parquet_sample_files(tmp_path: Path) -> None:
    (tmp_path / "list.json").write_text(json.dumps([10, 20, 30]))
    (tmp_path / "obj.json").write_text(json.dumps({"host": "x", "rtt_ms": [100, 200]}))
    pl.DataFrame({"name": ["a", "b"], "rtt": [40.0, 80.0]}).write_parquet(tmp_path / "r.parquet")
    assert load_samples_ms(tmp_path / "list.json").samples_ms == (10.0, 20.0, 30.0)
    assert parse_distribution(f"rtt-file:{tmp_path / 'obj.json'}:rtt_ms") == \
        Empirical((50.0, 100.0), source="obj.json")
    assert load_samples_ms(tmp_path / "r.parquet").samples_ms == (40.0, 80.0)
    assert load_samples_ms(tmp_path / "r.parquet", "rtt", rtt=True).samples_ms == (20.0, 40.0)


@pytest.mark.parametrize("content", [b"not json", b"[]", b'["a"]', b'{"x": 1}', b"[true]"])
def test_bad_sample_files(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "bad.json"
    path.write_bytes(content)
    with pytest.raises(LatencyConfigError):
        load_samples_ms(path)


def test_parquet_without_numeric_column(tmp_path: Path) -> None:
    pl.DataFrame({"name": ["a"]}).write_parquet(tmp_path / "s.parquet")
    with pytest.raises(LatencyConfigError):
        load_samples_ms(tmp_path / "s.parquet")


def test_config_rejects_unknown_feed_mode() -> None:
    with pytest.raises(LatencyConfigError):
        LatencyConfig(feed_mode="sometimes")  # type: ignore[arg-type]
    assert math.isclose(LogNormal(100, 450).sigma, math.log(4.5) / 2.3263478740408408)
