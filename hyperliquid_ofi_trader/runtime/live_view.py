"""The live terminal view of a running system (rich), redrawn on the status timer.

It renders the same snapshot the web dashboard serves (`runtime.dashboard.snapshot`),
read between events (same thread, never during one), so what it shows is a consistent
state: trading state and its cause, elapsed and remaining time, books, signals, alpha,
regime (with what a warm-up is waiting for), position and PnL (gross, fees, net), open
orders and recent fills with the decision that caused each, feed and pipeline latency.

The layout follows the terminal: below `WIDE_COLUMNS` a compact one that fits 80×24, above
it tables. A SYNTHETIC market is announced on the first line in both.
"""

from __future__ import annotations

from collections import deque
from typing import Any

from rich.console import Console, ConsoleOptions, Group, RenderableType, RenderResult
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from hyperliquid_ofi_trader.core.records import FillReport
from hyperliquid_ofi_trader.runtime.dashboard.snapshot import PipelineCache, live_snapshot
from hyperliquid_ofi_trader.runtime.live import LiveRunner

WIDE_COLUMNS = 100
_STATE_STYLE = {"ACTIVE": "bold green", "REDUCING": "bold yellow", "HALTED": "bold red"}
_SHOWN_ORDERS = 3
_SHOWN_FILLS = 3
_SIGNAL_ABBREV = {"ofi": "ofi", "leadlag": "ll", "aggressive_volume": "agg",
                  "microprice": "mp"}
_WARMUP_WHY = {
    "volatility_warmup": "volatility estimate needs {vol_s:g} s of history",
    "liquidity_no_data": "no book yet",
    "liquidity_dwell_hold": "liquidity must hold {dwell_s:g} s before trading",
}


class TerminalView:
    """One run's terminal view; keeps the last fills (with their decisions) it was told of."""

    def __init__(self, runner: LiveRunner, venue_note: str) -> None:
        self.runner, self.venue_note = runner, venue_note
        self.fills: deque[dict[str, Any]] = deque(maxlen=_SHOWN_FILLS)
        self._listening = False
        self._pipeline = PipelineCache()

    def render(self) -> RenderableType:
        stack = self.runner.stack
        if stack is not None and not self._listening:
            stack.orders.add_fill_listener(self._on_fill)
            self._listening = True
        if self.runner.engine is None:
            return Panel("starting…")
        snap = live_snapshot(self.runner, self.venue_note, self._pipeline.get(self.runner))
        snap["fills"] = list(reversed(self.fills))
        snap["warmup"] = _warmup_settings(self.runner)
        return SnapshotView(snap)

    def _on_fill(self, report: FillReport) -> None:
        fill = report.fill  # a few fields per fill: fills are rare next to book events
        self.fills.append({"decision_id": report.decision_id, "coin": fill.coin,
                           "side": "buy" if fill.is_buy else "sell", "price": fill.price,
                           "size": fill.size, "fee": fill.fee,
                           "liquidity": "taker" if fill.crossed else "maker"})


def render(runner: LiveRunner, venue_note: str) -> RenderableType:
    """A one-off rendering (no fill history): the view of `runner` now."""
    return TerminalView(runner, venue_note).render()


def _warmup_settings(runner: LiveRunner) -> dict[str, float]:
    regime = runner.cfg.thresholds.regime
    return {"vol_s": regime.volatility.halflife_ms / 1e3,
            "dwell_s": regime.liquidity.min_dwell_ms / 1e3}


class SnapshotView:
    """A snapshot rendered to fit the console: compact under WIDE_COLUMNS, tables above."""

    def __init__(self, snap: dict[str, Any]) -> None:
        self.snap = snap

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        if options.max_width < WIDE_COLUMNS:
            yield compact(self.snap)
        else:
            yield wide(self.snap)


# ---------------------------------------------------------------- shared lines


def _banner(snap: dict[str, Any]) -> Text | None:
    run = snap.get("run", {})
    if not run.get("synthetic"):
        return None
    return Text(" SYNTHETIC market: emulator prices, not a real venue ",
                style="bold black on yellow")


def _head(snap: dict[str, Any]) -> Text:
    st, run = snap.get("state", {}), snap.get("run", {})
    state = st.get("trading_state", "?")
    text = Text(state, style=_STATE_STYLE.get(state, "bold"))
    if st.get("cause"):
        text.append(f" ({st['cause']})")
    elapsed = run.get("elapsed_s", 0.0)
    text.append(f"  {_duration(elapsed)}")
    if run.get("duration_s"):
        text.append(f", {_duration(run['duration_s'] - elapsed)} left")
    text.append(f"  ev {st.get('events', 0):,}  dec {st.get('decisions', 0):,}", style="dim")
    return text


def _warmup(snap: dict[str, Any]) -> Text | None:
    """What a warm-up is waiting for, in words (only while a traded coin waits)."""
    settings = snap.get("warmup", {"vol_s": 0.0, "dwell_s": 0.0})
    waits: list[str] = []
    for coin, m in snap.get("markets", {}).items():
        regime = m.get("regime")
        if regime is None or regime.get("tradable"):
            continue
        why = [_WARMUP_WHY[r].format(**settings) for r in regime.get("reasons", [])
               if r in _WARMUP_WHY]
        if why:
            waits.append(f"{coin}: {', '.join(why)}")
    if not waits:
        return None
    return Text("warming up, no trading yet: " + "; ".join(waits), style="yellow")


def _pnl_line(snap: dict[str, Any]) -> Text:
    pnl = snap.get("pnl", {})
    text = Text()
    positions = [p for p in snap.get("positions", []) if p["size"]]
    text.append("pos " + (" ".join(f"{p['coin']} {p['size']:+.4g}@{p['entry_px']:,.1f}"
                                   for p in positions) or "flat"))
    for key in ("gross", "fees", "net"):
        value = pnl.get(key, 0.0)
        style = "" if key == "fees" else ("green" if value > 0 else "red" if value < 0 else "")
        text.append(f"  {key} ")
        text.append(f"{value:+,.2f}" if key != "fees" else f"{value:,.2f}", style=style)
    return text


def _latency_line(snap: dict[str, Any]) -> Text:
    feed = snap.get("feed", {})
    parts = [f"{c} {v['p50']:.0f}/{v['p99']:.0f}ms" for c, v in
             feed.get("latency_ms", {}).items()]
    pipe = feed.get("pipeline_us", {})
    if pipe:
        parts.append(f"pipe {pipe['p50']:.0f}/{pipe['p99']:.0f}µs")
    stale = feed.get("unhealthy", [])
    text = Text("feed p50/p99 " + "  ".join(parts), style="dim")
    if stale:
        text.append("  STALE: " + ", ".join(stale), style="bold red")
    return text


def _order_line(o: dict[str, Any]) -> str:
    return (f"#{o['decision_id']} {o['coin']} {o['side']} {o['size']:.4g} @ {o['price']:,.2f} "
            f"{o['tif']} {o['state']}")


def _fill_line(f: dict[str, Any]) -> str:
    decision = "#?" if f.get("decision_id") is None else f"#{f['decision_id']}"
    return (f"{decision} {f['coin']} {f['side']} {f['size']:.4g} @ {f['price']:,.2f} "
            f"fee {f['fee']:.4f} {f['liquidity']}")


# ---------------------------------------------------------------- compact (80×24)


def compact(snap: dict[str, Any]) -> RenderableType:
    lines: list[RenderableType] = [x for x in (_banner(snap), _head(snap), _warmup(snap))
                                   if x is not None]
    for coin, m in snap.get("markets", {}).items():
        lines.append(Text(f"{coin:<5} {_px(m.get('bid'))} | {_px(m.get('ask'))}  "
                          f"mid {_px(m.get('mid'))}  spr {_num(m.get('spread_bps'), 2)}bp"))
        if "signals" in m:
            lines.append(Text("  " + _signals(m) + f"  α {_alpha(snap)}  "
                              + _regime(m, short=True), style="cyan"))
    lines.append(_pnl_line(snap))
    orders = snap.get("open_orders", [])
    lines.append(Text(f"open orders {len(orders)}", style="bold"))
    lines.extend(Text("  " + _order_line(o)) for o in orders[:_SHOWN_ORDERS])
    fills = snap.get("fills", [])
    lines.append(Text("recent fills" + ("" if fills else ": none yet"), style="bold"))
    lines.extend(Text("  " + _fill_line(f)) for f in fills[:_SHOWN_FILLS])
    lines.append(_latency_line(snap))
    return Panel(Group(*lines), title="hlofi", subtitle=_venue(snap), padding=(0, 1))


# ---------------------------------------------------------------- wide


def wide(snap: dict[str, Any]) -> RenderableType:
    parts: list[RenderableType] = [x for x in (_banner(snap), _head(snap), _warmup(snap))
                                   if x is not None]
    parts.append(_markets_table(snap))
    parts.append(_pnl_line(snap))
    parts.append(_orders_table("open orders", snap.get("open_orders", [])))
    parts.append(_orders_table("recent fills", snap.get("fills", []), fills=True))
    parts.append(_latency_line(snap))
    return Panel(Group(*parts), title="hlofi run", subtitle=_venue(snap))


def _markets_table(snap: dict[str, Any]) -> Table:
    table = Table("coin", "bid", "ask", "mid", "spread bp", "signals", "alpha", "regime",
                  expand=True)
    for coin, m in snap.get("markets", {}).items():
        traded = "signals" in m
        table.add_row(coin, f"{_px(m.get('bid'))} × {_num(m.get('bid_sz'), 4)}",
                      f"{_px(m.get('ask'))} × {_num(m.get('ask_sz'), 4)}", _px(m.get("mid")),
                      _num(m.get("spread_bps"), 2), _signals(m) if traded else "-",
                      _alpha(snap) if traded else "-", _regime(m) if traded else "-")
    return table


def _orders_table(title: str, rows: list[dict[str, Any]], fills: bool = False) -> Table:
    table = Table("decision", "coin", "side", "size", "price", "fee" if fills else "tif",
                  "liquidity" if fills else "state", title=title, title_justify="left",
                  expand=True)
    for r in rows[:_SHOWN_FILLS if fills else 6]:
        decision = "-" if r.get("decision_id") is None else f"#{r['decision_id']}"
        table.add_row(decision, r["coin"], r["side"], f"{r['size']:.4g}", _px(r["price"]),
                      f"{r['fee']:.4f}" if fills else str(r["tif"]),
                      r["liquidity"] if fills else str(r["state"]))
    return table


# ---------------------------------------------------------------- formatting


def _venue(snap: dict[str, Any]) -> str:
    run = snap.get("run", {})
    return f"{run.get('venue', '?')} · {run.get('network', '?')} · {run.get('note', '')}"[:200]


def _signals(m: dict[str, Any]) -> str:
    return " ".join(f"{_SIGNAL_ABBREV.get(k, k)} {v:+.2f}" for k, v in
                    m.get("signals", {}).items() if v is not None) or "no fresh signal"


def _regime(m: dict[str, Any], short: bool = False) -> str:
    r = m.get("regime") or {}
    if short and not r.get("tradable"):
        return "NOT TRADABLE"  # the warm-up line, or the wide view, says why
    text = f"{r.get('liquidity', '?')}/{r.get('volatility', '?')}"
    if r.get("liquidation"):
        text += " LIQUIDATION"
    return text if r.get("tradable") else text + " (not tradable)"


def _alpha(snap: dict[str, Any]) -> str:
    return _num(snap.get("alpha", {}).get("alpha"), 3, signed=True)


def _duration(seconds: float) -> str:
    s = max(0, round(seconds))
    return f"{s // 60}m{s % 60:02d}s"


def _px(x: float | None) -> str:
    return "-" if x is None else f"{x:,.2f}"


def _num(x: float | None, digits: int, signed: bool = False) -> str:
    if x is None:
        return "-"
    return f"{x:+.{digits}f}" if signed else f"{x:.{digits}f}"
