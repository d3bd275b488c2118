"""The end-of-run summary of a live or emulator run: one plain dict (for `--json`), and a
rich rendering of it. Built after the run has stopped.

The headline figures (gross PnL before fees, fees, net, turnover, fills, by order type)
come from the run's journal through `backtest.report.run_figures`, the same source as
`hlofi report` and `hlofi backtest --json`, so the three never disagree. The live
trackers (slippage, markouts, fill rates) are shown beside them for diagnosis; they see
each fill once (the order manager's fill news)."""

from __future__ import annotations

from typing import Any

import msgspec
from rich.console import Console
from rich.table import Table

from hyperliquid_ofi_trader.backtest.report import run_figures
from hyperliquid_ofi_trader.backtest.report_data import ReportDataError
from hyperliquid_ofi_trader.core.journal import JournalReader
from hyperliquid_ofi_trader.runtime.live import LiveRunner


def build_summary(runner: LiveRunner, venue_note: str) -> dict[str, Any]:
    engine, stack = runner.engine, runner.stack
    summary: dict[str, Any] = {
        "venue": runner.endpoints.name, "venue_note": venue_note,
        "network": "mainnet" if runner.endpoints.mainnet else "testnet",
        "account": runner.account, "journal": str(runner.journal_path),
        "wall_s": (runner.clock.now_ns() - runner.started_ns) / 1e9,
        "connects": runner.connects,
        "pipeline_latency_us": runner.pipeline.percentiles_us(),
    }
    if engine is not None:
        summary["engine"] = msgspec.to_builtins(engine.snapshot())
    summary.update(_journal_figures(runner))
    if stack is not None:
        summary["execution"] = stack.summary()
        summary["fill_stats"] = _fill_stats(stack.positions.summary(), stack.summary())
        marks = {coin: data.book.mid() for coin, data in engine.markets.items()} \
            if engine is not None else {}
        summary["pnl_usd"] = {
            "total_incl_fees": stack.positions.total_pnl(lambda c: marks.get(c)),
            "by_coin": stack.positions.summary()}
    if runner.gateway is not None:
        summary["gateway"] = {**msgspec.to_builtins(runner.gateway.stats),
                              "ack_latency_us": runner.gateway.ack_latency_us()}
    summary["state_changes"] = _state_changes(runner)
    if runner.shutdown is not None:
        summary["shutdown"] = msgspec.to_builtins(runner.shutdown)
    return summary


def _journal_figures(runner: LiveRunner) -> dict[str, Any]:
    """`gross_pnl_usd`, `fees_usd`, `net_pnl_usd`, `turnover_usd`, `fills`, ... from the
    journal; empty (and said so) when it cannot be read."""
    try:
        return run_figures(runner.journal_path)
    except ReportDataError as exc:
        return {"figures_error": str(exc)}


def _fill_stats(positions: dict[str, Any], execution: dict[str, Any]) -> dict[str, Any]:
    outcomes: dict[str, int] = execution["orders"].get("outcomes", {})
    by_tif: dict[str, dict[str, int]] = {}
    for key, count in outcomes.items():
        tif, _, outcome = key.partition(":")
        by_tif.setdefault(tif, {})[outcome] = count
    return {"orders_by_tif_and_outcome": by_tif, "fill_rate": execution["fill_rate"],
            "positions": positions}


def _state_changes(runner: LiveRunner) -> list[dict[str, Any]]:
    reader = JournalReader(runner.journal_path)
    try:
        return [{"local_ns": c.local_ns, "from": c.from_state, "to": c.to_state,
                 "trigger": c.trigger, "reason": c.reason} for c in reader.state_changes()]
    finally:
        reader.close()


def print_summary(console: Console, s: dict[str, Any]) -> None:
    table = Table(title="run summary", show_header=False, title_justify="left")
    table.add_column(style="bold")
    table.add_column(overflow="fold")
    engine = s.get("engine", {})
    table.add_row("venue", f"{s['venue']} ({s['network']}): {s['venue_note']}")
    table.add_row("account", s["account"])
    table.add_row("duration", f"{s['wall_s']:.1f} s, {s['connects']} connect(s)")
    table.add_row("journal", s["journal"])
    table.add_row("trading state", str(engine.get("trading_state")))
    table.add_row("decisions", f"{engine.get('decisions', 0):,}: "
                  + _kv(engine.get("outcomes", {})))
    _add_pnl_rows(table, s)
    fills = s.get("fill_stats", {})
    for tif, outcomes in sorted(fills.get("orders_by_tif_and_outcome", {}).items()):
        table.add_row(f"orders {tif}", _kv(outcomes))
    ex = s.get("execution", {})
    if ex:
        for tif, fr in sorted(ex.get("fill_rate", {}).items()):
            table.add_row(f"fill rate {tif}", _stats(fr, ("placed", "fill_ratio",
                                                          "cancel_ratio",
                                                          "time_to_fill_ms_p50")))
        for ref, by_tif in sorted(ex.get("slippage_bps", {}).items()):
            for tif, st in sorted(by_tif.items()):
                table.add_row(f"slippage {ref} {tif} (bps)", _stats(st, ("count", "mean",
                                                                          "p50", "p90")))
        for horizon, st in sorted(ex.get("markouts_bps", {}).get("pnl_bps", {}).items(),
                                  key=lambda kv: int(kv[0])):
            table.add_row(f"markout {horizon} ms (bps)", _stats(st, ("count", "mean", "p50")))
        table.add_row("router skips", _kv(ex.get("router_skips", {})) or "none")
        table.add_row("gate rejections", _kv(ex.get("gate_rejections", {})) or "none")
    pnl = s.get("pnl_usd", {})
    if pnl:
        for coin, pos in sorted(pnl.get("by_coin", {}).items()):
            table.add_row(f"position {coin}", f"{pos['size']:+g} @ {pos['entry_px']:,.2f}, "
                          f"realised {pos['realised']:+,.2f}, fees {pos['fees']:,.2f}, "
                          f"{int(pos['fills'])} fills")
    events = s.get("state_changes", [])
    table.add_row("state changes", "; ".join(f"{e['from']}->{e['to']} ({e['trigger']}: "
                                             f"{e['reason']})" for e in events) or "none")
    lat = s.get("pipeline_latency_us", {})
    if lat:
        table.add_row("pipeline latency", f"p50 {lat['p50']:.0f} µs, p99 {lat['p99']:.0f} µs "
                      f"over {int(lat['count']):,} market events")
    for coin, feed in engine.get("latency_ms", {}).items():
        table.add_row(f"feed latency {coin}", f"p50 {feed['p50']:.1f} ms, p99 "
                      f"{feed['p99']:.1f} ms")
    gw = s.get("gateway", {})
    if gw:
        table.add_row("order acks", _kv(_round(gw.get("ack_latency_us", {}))) + " µs")
    _shutdown_rows(table, s.get("shutdown"))
    console.print(table)


def _add_pnl_rows(table: Table, s: dict[str, Any]) -> None:
    """Gross before fees, fees, net, turnover and fills, in total and by order type."""
    if "net_pnl_usd" not in s:
        if "figures_error" in s:
            table.add_row("PnL", f"unavailable: {s['figures_error']}")
        return
    table.add_row("PnL (USD)", f"gross {s['gross_pnl_usd']:+,.2f} - fees "
                  f"{s['fees_usd']:,.2f} = net {s['net_pnl_usd']:+,.2f}")
    table.add_row("turnover, fills", f"{s['turnover_usd']:,.0f} USD, {s['fills']:,} fills "
                  f"(maker {s['maker_fills']:,}, taker {s['taker_fills']:,})")
    for tif, o in sorted(s.get("by_order_type", {}).items()):
        line = (f"{o['fills']:,} fills, gross {o['gross_pnl_usd']:+,.2f}, fees "
                f"{o['fees_usd']:,.2f}, net {o['net_pnl_usd']:+,.2f}, turnover "
                f"{o['turnover_usd']:,.0f}")
        if o.get("expected_edge_bps_mean") is not None:
            line += (f"; expected edge {o['expected_edge_bps_mean']:.2f} bps, cost "
                     f"{o['expected_cost_bps_mean'] or 0.0:.2f} bps")
        table.add_row(f"  {tif}", line)


def _shutdown_rows(table: Table, shutdown: dict[str, Any] | None) -> None:
    if not shutdown:
        return
    how = "forced (second stop request)" if shutdown["forced"] else "graceful"
    left = shutdown["open_orders"]
    table.add_row("shutdown", f"{how}, {shutdown['duration_s']:.1f} s, "
                  f"{len(left)} order(s) left open")
    for o in left:
        table.add_row("  left open", f"{o['coin']} {o['side']} {o['size']:g} @ {o['price']:g} "
                      f"cloid {o['cloid']} ({o['state']})")


def _stats(values: dict[str, Any], keys: tuple[str, ...]) -> str:
    return ", ".join(f"{k} {_round(values[k])}" for k in keys if k in values)


def _kv(mapping: dict[str, Any]) -> str:
    return ", ".join(f"{k} {v}" for k, v in sorted(mapping.items()))


def _round(value: Any) -> Any:
    if isinstance(value, float):
        return round(value, 3)
    if isinstance(value, dict):
        return {k: _round(v) for k, v in value.items()}
    return value
