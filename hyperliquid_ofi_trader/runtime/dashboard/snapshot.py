"""What the dashboard shows, as plain JSON-ready dicts.

`live_snapshot` reads the runner's in-memory components on the event-loop thread between
two events (a consistent state, never half an event), a few times a second: it copies a
handful of numbers per coin and never touches the event path. `journal_snapshot` reads
the run's journal (decisions, orders, fills, state changes) and is meant for a worker
thread: it holds the operator's "what did it do, and why" with decision ids.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from hyperliquid_ofi_trader.core import journal_views
from hyperliquid_ofi_trader.core.journal import JournalError, JournalReader
from hyperliquid_ofi_trader.runtime.live import LiveRunner

# Decision-input keys carrying the economic case of a decision (forecast, cost, edge in
# bps): shown whenever the strategy journals them, under whatever nesting it uses.
_ECONOMIC_WORDS = ("forecast", "cost", "edge")
_MAX_ECONOMICS = 4
# Where the edge router journals its case (execution/router.py `explain`), and the names
# the dashboard charts them under.
_KNOWN_ECONOMICS = {"router.forecast.bps": "forecast_bps",
                    "router.economics.expected_edge_bps": "expected_edge_bps",
                    "router.economics.expected_cost_bps": "expected_cost_bps",
                    "router.economics.margin_bps": "margin_bps"}
_RECENT = 25


def live_snapshot(runner: LiveRunner, venue_note: str,
                  pipeline_us: dict[str, float] | None = None) -> dict[str, Any]:
    """The runner's state now: trading state, books, signals, positions, PnL, orders.
    `pipeline_us`: pipeline latency percentiles computed earlier (they sort up to 65k
    samples, ~1.5 ms: callers refresh them less often than the rest)."""
    snap: dict[str, Any] = {"t_ms": runner.clock.now_ns() / 1e6,
                            "run": _run(runner, venue_note)}
    engine = runner.engine
    if engine is None:
        snap["state"] = {"trading_state": "STARTING", "cause": None}
        return snap
    es = engine.snapshot()
    snap["state"] = {"trading_state": es.trading_state.value, "cause": es.state_cause,
                     "events": es.events, "decisions": es.decisions,
                     "outcomes": dict(es.outcomes)}
    snap["markets"] = _markets(runner)
    snap["feed"] = {"unhealthy": list(es.feeds_unhealthy), "latency_ms": es.latency_ms,
                    "pipeline_us": (runner.pipeline.percentiles_us() if pipeline_us is None
                                    else pipeline_us),
                    "connects": runner.connects}
    snap["alpha"] = _alpha(runner)
    stack = runner.stack
    if stack is not None:
        marks = {c: snap["markets"].get(c, {}).get("mid") for c in stack.positions.coins()}
        snap["positions"], snap["pnl"] = _positions(stack.positions.summary(), marks)
        snap["open_orders"] = [_order(o) for o in stack.orders.open_orders()]
        snap["kill_switch"] = {"fired": stack.kill.fired, "fires": dict(stack.kill.fires)}
    return snap


class PipelineCache:
    """Pipeline percentiles recomputed every `every`-th call only (off the loop's back)."""

    __slots__ = ("_calls", "_every", "_value")

    def __init__(self, every: int = 4) -> None:
        self._every, self._calls = every, 0
        self._value: dict[str, float] = {}

    def get(self, runner: LiveRunner) -> dict[str, float]:
        if self._calls % self._every == 0:
            self._value = runner.pipeline.percentiles_us()
        self._calls += 1
        return self._value


def _run(runner: LiveRunner, venue_note: str) -> dict[str, Any]:
    started = runner.started_ns
    elapsed = (runner.clock.now_ns() - started) / 1e9 if started else 0.0
    return {"venue": runner.endpoints.name, "note": venue_note,
            "synthetic": "synthetic" in venue_note.lower(),
            "network": "mainnet" if runner.endpoints.mainnet else "testnet",
            "account": runner.account, "run_dir": str(runner.options.run_dir),
            "elapsed_s": elapsed, "duration_s": runner.options.duration_s,
            "traded": list(runner.cfg.symbols.traded)}


def _markets(runner: LiveRunner) -> dict[str, dict[str, Any]]:
    assert runner.engine is not None
    out: dict[str, dict[str, Any]] = {}
    for coin, market in runner.engine.markets.items():
        book = market.book
        bid, ask, mid = book.best_bid(), book.best_ask(), book.mid()
        row: dict[str, Any] = {"bid": _px(bid), "bid_sz": _sz(bid), "ask": _px(ask),
                               "ask_sz": _sz(ask), "mid": _finite(mid), "spread_bps": None}
        if bid is not None and ask is not None and mid:
            row["spread_bps"] = _finite((ask[0] - bid[0]) / mid * 1e4)
        if runner.strategy is not None and coin in runner.cfg.symbols.traded:
            row["signals"] = {k: _finite(v) for k, v in runner.strategy.signals.fresh(coin)
                              .items()}
            row["regime"] = _regime(runner, coin)
        out[coin] = row
    return out


def _regime(runner: LiveRunner, coin: str) -> dict[str, Any]:
    assert runner.strategy is not None
    r = runner.strategy.regime.detector.state(coin)
    return {"tradable": r.tradable, "liquidity": r.liquidity.value,
            "volatility": r.volatility.value, "liquidation": r.liquidation,
            "reasons": list(r.reasons)}


def _alpha(runner: LiveRunner) -> dict[str, Any]:
    if runner.strategy is None:
        return {}
    b = runner.strategy.alpha.explain()
    return {"alpha": _finite(b.conditioned), "raw": _finite(b.raw),
            "compressed": _finite(b.compressed), "reason": b.reason}


def _positions(summary: Mapping[str, Mapping[str, float]],
               marks: Mapping[str, float | None]) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    rows, gross, fees, exposure = [], 0.0, 0.0, 0.0
    for coin, p in sorted(summary.items()):
        mark = marks.get(coin)
        unrealised = p["size"] * (mark - p["entry_px"]) if mark and p["size"] else 0.0
        coin_gross = p["realised"] + unrealised + p["funding"]
        notional = abs(p["size"]) * mark if mark else 0.0
        rows.append({"coin": coin, "size": p["size"], "entry_px": p["entry_px"],
                     "mark": mark, "notional": notional, "realised": p["realised"],
                     "unrealised": unrealised, "funding": p["funding"], "fees": p["fees"],
                     "gross": coin_gross, "net": coin_gross - p["fees"],
                     "fills": int(p["fills"])})
        gross, fees, exposure = gross + coin_gross, fees + p["fees"], exposure + notional
    return rows, {"gross": gross, "fees": fees, "net": gross - fees, "exposure_usd": exposure}


def _order(o: Any) -> dict[str, Any]:
    return {"cloid": o.cloid, "decision_id": o.decision_id, "coin": o.coin,
            "side": "buy" if o.is_buy else "sell", "price": o.price, "size": o.size,
            "filled": o.filled, "tif": str(o.tif), "state": str(o.state),
            "reduce_only": o.reduce_only, "created_ns": o.created_ns}


# ---------------------------------------------------------------- journal (worker thread)


def journal_snapshot(path: Path) -> dict[str, Any]:
    """Recent decisions (with their economics), orders, fills and state changes."""
    try:
        decisions = journal_views.latest_decisions(path, _RECENT)
        orders = journal_views.recent_orders(path, _RECENT)
        fills = journal_views.recent_fills(path, _RECENT)
        with JournalReader(path) as reader:
            changes = reader.state_changes()[-_RECENT:]
    except JournalError as exc:
        return {"journal_error": str(exc)}
    return {"decisions": [_decision(d) for d in decisions],
            "orders": [_journal_order(o) for o in orders],
            "fills": [_fill(f) for f in fills],
            "state_changes": [{"local_ns": c.local_ns, "from": c.from_state, "to": c.to_state,
                               "trigger": c.trigger, "reason": c.reason}
                              for c in reversed(changes)]}


def _decision(d: Mapping[str, Any]) -> dict[str, Any]:
    inputs = d["inputs"]
    return {"id": d["id"], "local_ns": d["local_ns"], "coin": d["coin"],
            "trigger": d["trigger"], "outcome": d["outcome"], "reason": d["reason"],
            "trading_state": d["trading_state"], "alpha": _finite(inputs.get("alpha")),
            "economics": economics(inputs)}


def economics(inputs: Mapping[str, Any]) -> dict[str, float]:
    """The economic case of a decision, in bps: the router's forecast, expected edge, cost
    and margin where the strategy journals them (`inputs.router`), else any numeric
    forecast / cost / edge field found up to three levels down (at most `_MAX_ECONOMICS`)."""
    leaves = dict(_numeric_leaves(inputs, "", 3))
    known = {name: leaves[path] for path, name in _KNOWN_ECONOMICS.items() if path in leaves}
    if known:
        return known
    found = {path: v for path, v in leaves.items() if _economic(path)}
    return dict(sorted(found.items())[:_MAX_ECONOMICS])


def _economic(name: str) -> bool:
    lowered = name.lower()
    return any(word in lowered for word in _ECONOMIC_WORDS)


def _numeric_leaves(value: Any, path: str, depth: int) -> list[tuple[str, float]]:
    if isinstance(value, Mapping):
        if depth == 0:
            return []
        return [leaf for key, inner in value.items()
                for leaf in _numeric_leaves(inner, f"{path}.{key}" if path else str(key),
                                            depth - 1)]
    number = _finite(value)
    return [] if number is None or not path else [(path, number)]


def _journal_order(o: Mapping[str, Any]) -> dict[str, Any]:
    return {"cloid": o["cloid"], "decision_id": o["decision_id"], "coin": o["coin"],
            "side": "buy" if o["is_buy"] else "sell", "price": o["px"], "size": o["sz"],
            "filled": o["filled"], "avg_px": o["avg_px"], "fee": o["fee"], "tif": o["tif"],
            "state": o["state"], "created_ns": o["created_ns"], "last_error": o["last_error"]}


def _fill(f: Mapping[str, Any]) -> dict[str, Any]:
    return {"coin": f["coin"], "tid": f["tid"], "cloid": f["cloid"],
            "decision_id": f["decision_id"], "side": "buy" if f["is_buy"] else "sell",
            "price": f["px"], "size": f["sz"], "fee": f["fee"],
            "liquidity": "taker" if f["crossed"] else "maker", "local_ns": f["local_ns"]}


def _px(level: tuple[float, float] | None) -> float | None:
    return None if level is None else _finite(level[0])


def _sz(level: tuple[float, float] | None) -> float | None:
    return None if level is None else _finite(level[1])


def _finite(x: Any) -> float | None:
    """JSON has no NaN/inf: an unknown number is null."""
    if isinstance(x, bool) or not isinstance(x, int | float):
        return None
    return float(x) if math.isfinite(x) else None
