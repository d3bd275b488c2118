"""Prometheus metrics of a running system (`hlofi run --metrics-port N`).

The engine keeps plain integer counters on its hot path; this module copies them into
Prometheus objects on the status timer (a few times per second), so scraping costs the
event path nothing. Only the pipeline-latency histogram is observed per event, by the
async runner, outside `Engine.on_event`.

Each run gets its own `CollectorRegistry` (no global state, so tests can run several).
"""

from __future__ import annotations

from collections.abc import Mapping

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, start_http_server

_PIPELINE_BUCKETS_S = (10e-6, 25e-6, 50e-6, 100e-6, 200e-6, 500e-6, 1e-3, 2e-3, 5e-3, 10e-3,
                       50e-3)
_STATES = ("ACTIVE", "REDUCING", "HALTED")


class RunMetrics:
    """The counters, gauges and histograms one run exposes."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        r = self.registry
        self.events = Counter("hlofi_events", "Events processed by type", ["type"], registry=r)
        self.decisions = Counter("hlofi_decisions", "Decisions by outcome", ["outcome"],
                                 registry=r)
        self.rejections = Counter("hlofi_rejections", "Rejected inputs by reason", ["reason"],
                                  registry=r)
        self.stage_errors = Counter("hlofi_stage_errors", "Stage exceptions by stage",
                                    ["stage"], registry=r)
        self.orders = Counter("hlofi_orders", "Orders by time in force and outcome",
                              ["tif", "outcome"], registry=r)
        self.fills = Counter("hlofi_fills", "Fills by liquidity (maker/taker)", ["liquidity"],
                             registry=r)
        self.trading_state = Gauge("hlofi_trading_state", "1 for the current trading state",
                                   ["state"], registry=r)
        self.position = Gauge("hlofi_position", "Signed position in coin units", ["coin"],
                              registry=r)
        self.pnl = Gauge("hlofi_pnl_usd", "PnL in USD (realised, unrealised, fees)", ["kind"],
                         registry=r)
        self.alpha = Gauge("hlofi_alpha", "Last alpha per traded coin", ["coin"], registry=r)
        self.feed_latency = Gauge("hlofi_feed_latency_ms",
                                  "Feed latency percentiles (local receive - exchange time)",
                                  ["coin", "quantile"], registry=r)
        self.pipeline = Histogram("hlofi_pipeline_seconds",
                                  "Engine.on_event wall time per market event",
                                  buckets=_PIPELINE_BUCKETS_S, registry=r)
        self._seen: dict[tuple[int, tuple[str, ...]], float] = {}

    def serve(self, port: int, host: str = "127.0.0.1") -> None:
        """Expose /metrics over HTTP (a daemon thread owned by prometheus_client)."""
        start_http_server(port, addr=host, registry=self.registry)

    def set_counts(self, counter: Counter,
                   counts: Mapping[str, int] | Mapping[tuple[str, str], int]) -> None:
        """Advance a labelled counter to absolute totals kept elsewhere (monotonic)."""
        for key, total in counts.items():
            labels = key if isinstance(key, tuple) else (key,)
            seen_key = (id(counter), labels)
            delta = float(total) - self._seen.get(seen_key, 0.0)
            if delta > 0:
                counter.labels(*labels).inc(delta)
                self._seen[seen_key] = float(total)

    def set_state(self, state: str) -> None:
        for name in _STATES:
            self.trading_state.labels(name).set(1.0 if name == state else 0.0)

    def set_latency(self, latency_ms: Mapping[str, Mapping[str, float]]) -> None:
        for coin, summary in latency_ms.items():
            for quantile in ("p50", "p90", "p99", "max"):
                if quantile in summary:
                    self.feed_latency.labels(coin, quantile).set(summary[quantile])
