"""The run report's figures (matplotlib Figure + explicit Agg canvas, no pyplot state).

Every function takes a built `Report` and returns a Figure; with nothing to draw (no
fills, no decisions) the figure says so in words instead of failing, so an empty run
still gets a complete report. Time is seconds since the run's first row (local clock).
Long series are thinned to at most `MAX_POINTS` per line: a plot cannot show more, and
matplotlib's cost grows with the points.
"""

from __future__ import annotations

from typing import Final

import polars as pl
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from hyperliquid_ofi_trader.backtest.report import NS_PER_S, Report, markout_col

MAX_POINTS: Final = 20_000
MAX_COINS: Final = 4
TIF_COLOURS: Final = {"Alo": "C0", "Ioc": "C3", "Gtc": "C2"}
STATE_LEVEL: Final = {"ACTIVE": 0, "REDUCING": 1, "HALTED": 2}


def new_figure(width: float, height: float) -> Figure:
    fig = Figure(figsize=(width, height))
    FigureCanvasAgg(fig)
    return fig


def _secs(report: Report, ns: pl.Series) -> list[float]:
    start = report.summary.start_ns or 0
    return ((ns - start) / NS_PER_S).to_list()


def _thin(frame: pl.DataFrame) -> pl.DataFrame:
    step = -(-frame.height // MAX_POINTS)
    return frame if step <= 1 else frame.gather_every(step)


def _empty(ax: Axes, text: str) -> None:
    ax.text(0.5, 0.5, text, ha="center", va="center", transform=ax.transAxes, fontsize=12)
    ax.set_xticks([])
    ax.set_yticks([])


def pnl_figure(report: Report) -> Figure:
    """Net, gross and cumulative fees (top); position per coin (bottom)."""
    fig = new_figure(10.0, 6.0)
    top, bottom = fig.subplots(2, 1, sharex=True)
    pnl = _thin(report.pnl)
    if pnl.is_empty():
        _empty(top, "no PnL: the run has no fills and no mids")
        _empty(bottom, "no position")
        return fig
    t = _secs(report, pnl["local_ns"])
    for col, style in (("net", "-"), ("gross", "--"), ("fees", ":")):
        top.step(t, pnl[col].to_list(), style, where="post", label=col)
    top.axhline(0.0, color="0.6", lw=0.6)
    top.set_ylabel("USD")
    top.set_title("PnL (net = gross - fees; marked to the journal mid)")
    top.legend(loc="best")
    _positions(report, bottom)
    fig.tight_layout()
    return fig


def _positions(report: Report, ax: Axes) -> None:
    pos = report.positions
    if pos.is_empty():
        _empty(ax, "no fills: position stayed flat")
        return
    for coin in sorted(set(pos["coin"].to_list()))[:MAX_COINS]:
        mine = _thin(pos.filter(pl.col("coin") == coin))
        ax.step(_secs(report, mine["local_ns"]), mine["position"].to_list(), where="post",
                label=coin)
    ax.axhline(0.0, color="0.6", lw=0.6)
    ax.set_ylabel("position (coin)")
    ax.set_xlabel("seconds since start")
    ax.legend(loc="best")


def signals_figure(report: Report) -> Figure:
    """Alpha and OFI per coin; spans where the regime said not tradable are shaded."""
    coins = report.summary.coins[:MAX_COINS]
    fig = new_figure(10.0, 3.0 * max(len(coins), 1))
    if not coins:
        _empty(fig.add_subplot(1, 1, 1), "no decisions in this run")
        return fig
    axes = fig.subplots(len(coins), 1, squeeze=False)[:, 0]
    for ax, coin in zip(axes, coins, strict=True):
        _signals_panel(report, ax, coin)
    axes[-1].set_xlabel("seconds since start")
    fig.tight_layout()
    return fig


def _signals_panel(report: Report, ax: Axes, coin: str) -> None:
    d = report.frames.decisions.filter(pl.col("coin") == coin).sort("local_ns")
    for start, end in not_tradable_spans(d):
        ax.axvspan(*_secs(report, pl.Series([start, end])), color="0.85", lw=0)
    thin = _thin(d)
    t = _secs(report, thin["local_ns"])
    ax.plot(t, thin["alpha"].to_list(), lw=0.8, label="alpha", color="C0")
    ax.set_ylabel(f"{coin} alpha")
    ax.set_ylim(-1.05, 1.05)
    twin = ax.twinx()
    twin.plot(t, thin["ofi"].to_list(), lw=0.6, color="C1", alpha=0.7, label="OFI")
    twin.set_ylabel("OFI (normalised)")
    lines = ax.get_legend_handles_labels()
    more = twin.get_legend_handles_labels()
    ax.legend(lines[0] + more[0], lines[1] + more[1], loc="upper left", fontsize=8)
    ax.set_title(f"{coin}: alpha and OFI (grey: not tradable)")


def not_tradable_spans(decisions: pl.DataFrame) -> list[tuple[int, int]]:
    """(start_ns, end_ns) of each run of decisions whose regime said not tradable; a span
    ends at the next decision (the first one seen tradable again) or at the last row."""
    if decisions.is_empty():
        return []
    d = decisions.select("local_ns", pl.col("tradable").fill_null(True)).with_columns(
        pl.col("tradable").rle_id().alias("run"),
        pl.col("local_ns").shift(-1).fill_null(pl.col("local_ns").last()).alias("next"))
    spans = d.filter(~pl.col("tradable")).group_by("run", maintain_order=True).agg(
        pl.col("local_ns").first().alias("start"), pl.col("next").last().alias("end"))
    return [(int(s), int(e)) for _, s, e in spans.iter_rows()]


def fills_figure(report: Report) -> Figure:
    """Mid per coin with our fills: colour = TIF (ALO blue, IOC red), ^ buy, v sell."""
    coins = report.summary.coins[:MAX_COINS]
    fig = new_figure(10.0, 3.2 * max(len(coins), 1))
    if not coins:
        _empty(fig.add_subplot(1, 1, 1), "no prices and no fills in this run")
        return fig
    axes = fig.subplots(len(coins), 1, squeeze=False)[:, 0]
    for ax, coin in zip(axes, coins, strict=True):
        _fills_panel(report, ax, coin)
    axes[-1].set_xlabel("seconds since start")
    fig.tight_layout()
    return fig


def _fills_panel(report: Report, ax: Axes, coin: str) -> None:
    mids = _thin(report.frames.decisions.filter(
        (pl.col("coin") == coin) & pl.col("mid").is_not_null()).sort("local_ns"))
    ax.plot(_secs(report, mids["local_ns"]), mids["mid"].to_list(), lw=0.7, color="0.4",
            label="mid")
    fills = report.fills.filter(pl.col("coin") == coin)
    for (tif, is_buy), group in sorted(fills.group_by("tif", "is_buy"), key=str):
        ax.scatter(_secs(report, group["local_ns"]), group["px"].to_list(), s=22,
                   marker="^" if is_buy else "v", color=TIF_COLOURS.get(str(tif), "C7"),
                   label=f"{tif} {'buy' if is_buy else 'sell'}", zorder=3)
    if fills.is_empty():
        ax.set_title(f"{coin}: mid (no fills in this run)")
    else:
        ax.set_title(f"{coin}: mid and fills ({fills.height})")
    ax.set_ylabel("price")
    ax.legend(loc="best", fontsize=8)


def distributions_figure(report: Report) -> Figure:
    """Histograms of slippage vs the deciding mid, and of markouts per horizon."""
    panels = [("slippage (bps, + = cost)", report.fills["slippage_bps"])]
    panels += [(f"markout {m.horizon_s:g} s (bps, + = favourable)",
                report.fills[markout_col(m.horizon_s)]) for m in report.summary.markouts]
    cols = min(3, len(panels))
    rows = -(-len(panels) // cols)
    fig = new_figure(4.0 * cols, 3.2 * rows)
    axes = fig.subplots(rows, cols, squeeze=False).ravel()
    for ax, (title, values) in zip(axes, panels, strict=False):
        _histogram(ax, values, title)
    for ax in axes[len(panels):]:
        ax.set_axis_off()
    fig.tight_layout()
    return fig


def _histogram(ax: Axes, values: pl.Series, title: str) -> None:
    clean = values.drop_nulls().drop_nans()
    ax.set_title(title, fontsize=9)
    if clean.is_empty():
        _empty(ax, "no fills" if values.is_empty() else "no data at this horizon")
        return
    ax.hist(clean.to_list(), bins=min(40, max(5, clean.len() // 3)), color="C0")
    ax.axvline(0.0, color="C3", lw=0.8)
    ax.set_ylabel("fills")


def fill_rate_figure(report: Report) -> Figure:
    """Share of placed orders that got any fill, per TIF and per router tag."""
    rates = report.summary.fill_rates
    fig = new_figure(10.0, 3.5)
    ax = fig.add_subplot(1, 1, 1)
    if not rates:
        _empty(ax, "no orders in this run")
        return fig
    labels = [f"{r.by}: {r.key}\n({r.filled}/{r.placed})" for r in rates]
    colours = [TIF_COLOURS.get(r.key, "C7") if r.by == "tif" else "C4" for r in rates]
    ax.bar(range(len(rates)), [r.rate for r in rates], color=colours)
    ax.set_xticks(range(len(rates)), labels, fontsize=8)
    ax.set_ylim(0.0, 1.0)
    ax.set_ylabel("filled / placed")
    ax.set_title("fill rate by tactic")
    fig.tight_layout()
    return fig


def state_figure(report: Report) -> Figure:
    """Trading state over time; kill-switch transitions marked in red."""
    fig = new_figure(10.0, 2.8)
    ax = fig.add_subplot(1, 1, 1)
    changes = report.frames.state_changes
    s = report.summary
    if s.start_ns is None or s.end_ns is None:
        _empty(ax, "no activity in this run")
        return fig
    times = [s.start_ns, *changes["local_ns"].to_list(), s.end_ns]
    first = changes["from_state"][0] if changes.height else "ACTIVE"
    states = [first, *changes["to_state"].to_list()]
    levels = [STATE_LEVEL.get(st, 3) for st in states]
    ax.step(_secs(report, pl.Series(times)), [*levels, levels[-1]], where="post")
    kills = changes.filter(pl.col("trigger") == "kill_switch")
    ax.scatter(_secs(report, kills["local_ns"]), [STATE_LEVEL.get(st, 3) for st in
               kills["to_state"].to_list()], color="C3", zorder=3, label="kill switch")
    ax.set_yticks(list(STATE_LEVEL.values()), list(STATE_LEVEL))
    ax.set_ylim(-0.5, 2.5)
    ax.set_xlabel("seconds since start")
    ax.set_title(f"trading state ({changes.height} changes)")
    if kills.height:
        ax.legend(loc="best")
    fig.tight_layout()
    return fig


FIGURES: Final = (
    ("pnl_position.png", pnl_figure),
    ("alpha_ofi_regimes.png", signals_figure),
    ("fills_price.png", fills_figure),
    ("slippage_markouts.png", distributions_figure),
    ("fill_rates.png", fill_rate_figure),
    ("trading_state.png", state_figure),
)
