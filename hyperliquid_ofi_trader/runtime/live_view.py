"""The live terminal view of a running system (rich), redrawn on the status timer.

It reads the runner's components between events (same thread, never during one), so what
it shows is always a consistent state: books, signals, alpha, regime, position and PnL,
orders, trading state, feed and pipeline latency.
"""

from __future__ import annotations

from typing import Any

from rich.console import Group, RenderableType
from rich.panel import Panel
from rich.table import Table

from hyperliquid_ofi_trader.runtime.live import LiveRunner

_STATE_STYLE = {"ACTIVE": "bold green", "REDUCING": "bold yellow", "HALTED": "bold red"}


def render(runner: LiveRunner, venue_note: str) -> RenderableType:
    engine = runner.engine
    if engine is None:
        return Panel("starting…")
    snap = engine.snapshot()
    state = snap.trading_state.value
    head = (f"[{_STATE_STYLE.get(state, 'bold')}]{state}[/]"
            + (f" ({snap.state_cause})" if snap.state_cause else "")
            + f"   venue {runner.endpoints.name}   account {runner.account[:10]}…"
            f"   events {snap.events:,}   decisions {snap.decisions:,}")
    return Panel(Group(head, _markets(runner), _strategy(runner), _execution(runner),
                       _latency(runner, snap.latency_ms)),
                 title="hlofi run", subtitle=venue_note)


def _markets(runner: LiveRunner) -> Table:
    table = Table("coin", "bid", "ask", "mid", "depth5", "signals", expand=True)
    assert runner.engine is not None
    for coin, market in runner.engine.markets.items():
        book = market.book
        bid, ask = book.best_bid(), book.best_ask()
        signals = runner.strategy.signals.fresh(coin) if runner.strategy else {}
        table.add_row(coin, _level(bid), _level(ask), _num(book.mid()),
                      f"{book.depth(5):,.2f}",
                      " ".join(f"{k}={v:+.2f}" for k, v in signals.items()) or "-")
    return table


def _strategy(runner: LiveRunner) -> Table:
    table = Table("alpha", "regime", "why", expand=True)
    if runner.strategy is None:
        return table
    breakdown: Any = runner.strategy.alpha.explain()
    regime = runner.strategy.regime.detector
    for coin in runner.cfg.symbols.traded:
        r = regime.state(coin)
        table.add_row(f"{getattr(breakdown, 'conditioned', float('nan')):+.3f}",
                      f"{coin}: {r.liquidity.value}/{r.volatility.value}"
                      + (" LIQUIDATION" if r.liquidation else ""),
                      ", ".join(r.reasons) or "tradable")
    return table


def _execution(runner: LiveRunner) -> Table:
    table = Table("position", "PnL (USD)", "open orders", "orders", "fills",
                  expand=True)
    stack = runner.stack
    if stack is None or runner.engine is None:
        return table
    marks = {c: m.book.mid() for c, m in runner.engine.markets.items()}
    positions = stack.positions.summary()
    pos = " ".join(f"{c} {p['size']:+.4f}" for c, p in positions.items()) or "flat"
    fills = int(sum(p["fills"] for p in positions.values()))
    summary = stack.orders.summary()
    table.add_row(pos, f"{stack.positions.total_pnl(lambda c: marks.get(c)):+,.2f}",
                  str(summary["live"]),
                  " ".join(f"{k} {v}" for k, v in sorted(summary["outcomes"].items())) or "-",
                  str(fills))
    return table


def _latency(runner: LiveRunner, feed: dict[str, dict[str, float]]) -> str:
    pipe = runner.pipeline.percentiles_us()
    parts = [f"feed {coin} p50 {v['p50']:.0f} ms p99 {v['p99']:.0f} ms"
             for coin, v in feed.items()]
    if pipe:
        parts.append(f"pipeline p50 {pipe['p50']:.0f} µs p99 {pipe['p99']:.0f} µs")
    return "   ".join(parts)


def _level(level: tuple[float, float] | None) -> str:
    return "-" if level is None else f"{level[0]:,.1f} × {level[1]:.4f}"


def _num(x: float | None) -> str:
    return "-" if x is None else f"{x:,.2f}"
