from __future__ import annotations

from prometheus_client import generate_latest

from hyperliquid_ofi_trader.runtime.metrics import RunMetrics


def _sample(metrics: RunMetrics, name: str, labels: dict[str, str]) -> float | None:
    return metrics.registry.get_sample_value(name, labels)


def test_counters_follow_absolute_totals_monotonically() -> None:
    m = RunMetrics()
    m.set_counts(m.decisions, {"skip": 3, "submit": 1})
    m.set_counts(m.decisions, {"skip": 5, "submit": 1})
    m.set_counts(m.decisions, {"skip": 4})  # a lower total never decrements a counter
    assert _sample(m, "hlofi_decisions_total", {"outcome": "skip"}) == 5.0
    assert _sample(m, "hlofi_decisions_total", {"outcome": "submit"}) == 1.0


def test_tuple_labels_and_state_gauge() -> None:
    m = RunMetrics()
    m.set_counts(m.orders, {("Alo", "filled"): 2, ("Ioc", "rejected"): 1})
    m.set_state("REDUCING")
    assert _sample(m, "hlofi_orders_total", {"tif": "Alo", "outcome": "filled"}) == 2.0
    assert _sample(m, "hlofi_trading_state", {"state": "REDUCING"}) == 1.0
    assert _sample(m, "hlofi_trading_state", {"state": "ACTIVE"}) == 0.0


def test_two_runs_do_not_share_state_and_export_text() -> None:
    a, b = RunMetrics(), RunMetrics()
    a.set_latency({"BTC": {"p50": 12.0, "p99": 40.0}})
    a.pipeline.observe(50e-6)
    assert _sample(b, "hlofi_feed_latency_ms", {"coin": "BTC", "quantile": "p50"}) is None
    text = generate_latest(a.registry).decode()
    assert 'hlofi_feed_latency_ms{coin="BTC",quantile="p50"} 12.0' in text
    assert "hlofi_pipeline_seconds_count 1.0" in text
