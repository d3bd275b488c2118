"""Run report metrics, computed from any journal (live, paper, emulator or backtest).

`summarize(journal_path)` returns a `ReportSummary`: PnL (realised + unrealised marked to
the journal's mids, fees apart, rebates as negative fees), turnover, a Sharpe-like ratio
over a stated interval, max drawdown, hit rate and markouts at fixed horizons, slippage
against the deciding mid, fill rates per TIF and per router tag, order and decision
outcomes, the trading-state timeline, and a content hash so two runs can be compared.
`build_report` also returns the time series the HTML report plots.

Sign conventions, stated once:
- slippage_bps: fill price vs the mid of the decision that caused the order, in bps of
  that mid, positive = cost (bought above / sold below the mid);
- markout_bps at horizon H: mid at fill time + H vs the fill price, in bps of the fill
  price, positive = in our favour (price rose after a buy / fell after a sell). A fill
  whose horizon runs past the last mid of the run has no markout at that horizon;
- a hit is a fill whose markout at `hit_horizon_s` is strictly positive;
- sharpe: mean / standard deviation (ddof 1) of net PnL changes over consecutive whole
  intervals of `interval_s`, not annualised (None with fewer than 2 intervals or no
  variation);
- by order type (TIF): each fill's share of gross PnL is q * (last mark - px) (q signed,
  buy > 0), which sums over all fills to the coin's gross PnL (cash + position x mark);
  net = that - the fill's fee. The edge/cost figures are the means, over fills, of the
  deciding router's expected edge, expected cost and their margin (bps; journaled in edge
  mode, else absent).

`run_figures(journal)` is the one source of the headline figures every run output shows
(`hlofi run`, `hlofi backtest --json`, `hlofi report`): gross, fees, net, turnover, fills.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import msgspec
import numpy as np
import polars as pl

from hyperliquid_ofi_trader.backtest.report_data import JournalFrames, load_frames
from hyperliquid_ofi_trader.backtest.report_pnl import (
    CoinPath,
    coin_path,
    interval_changes,
    max_drawdown,
    position_paths,
    total_path,
)

NS_PER_S: Final = 1_000_000_000
BPS: Final = 1e4
TIME_AXIS: Final = "local_ns"
MAX_TIMELINE: Final = 1000  # state changes listed in the summary (all are in the journal)


class ReportParams(msgspec.Struct, frozen=True, kw_only=True):
    interval_s: float = 60.0
    markout_horizons_s: tuple[float, ...] = (1.0, 5.0, 30.0, 60.0)
    hit_horizon_s: float = 5.0

    def __post_init__(self) -> None:
        horizons = (self.interval_s, self.hit_horizon_s, *self.markout_horizons_s)
        if not all(math.isfinite(h) and h > 0 for h in horizons):
            raise ValueError(f"report intervals and horizons must be positive: {self}")


class DistributionSummary(msgspec.Struct, frozen=True, kw_only=True):
    n: int
    mean: float | None = None
    std: float | None = None
    min: float | None = None
    p5: float | None = None
    p50: float | None = None
    p95: float | None = None
    max: float | None = None


class MarkoutStat(msgspec.Struct, frozen=True, kw_only=True):
    horizon_s: float
    n: int
    mean_bps: float | None
    p50_bps: float | None
    positive_fraction: float | None


class FillRate(msgspec.Struct, frozen=True, kw_only=True):
    by: str  # "tif" or "tag"
    key: str
    placed: int
    filled: int  # orders with any fill
    fully_filled: int
    rate: float  # filled / placed


class StateChangeItem(msgspec.Struct, frozen=True, kw_only=True):
    local_ns: int
    from_state: str
    to_state: str
    trigger: str
    reason: str


class OrderTypeSummary(msgspec.Struct, frozen=True, kw_only=True):
    """The fills of one order type (TIF) and what they earned."""

    tif: str
    fills: int
    maker_fills: int
    taker_fills: int
    turnover_usd: float
    fees_usd: float
    gross_pnl_usd: float
    net_pnl_usd: float
    slippage_bps_mean: float | None
    expected_edge_bps_mean: float | None
    expected_cost_bps_mean: float | None
    margin_bps_mean: float | None
    decisions_with_economics: int  # fills whose deciding router journaled edge and cost


class CoinSummary(msgspec.Struct, frozen=True, kw_only=True):
    coin: str
    fills: int
    volume: float
    turnover_usd: float
    fees_usd: float
    realised_pnl_usd: float
    unrealised_pnl_usd: float
    final_position: float
    last_mark: float | None


class ReportSummary(msgspec.Struct, frozen=True, kw_only=True):
    journal: str
    journal_sha256: str
    time_axis: str
    start_ns: int | None
    end_ns: int | None
    duration_s: float
    coins: tuple[str, ...]
    decisions: int
    decisions_by_outcome: dict[str, int]
    bad_inputs: int
    orders: int
    orders_by_state: dict[str, int]
    fills: int
    maker_fills: int
    taker_fills: int
    turnover_usd: float
    fees_paid_usd: float
    rebates_usd: float
    fees_net_usd: float
    realised_pnl_usd: float
    unrealised_pnl_usd: float
    gross_pnl_usd: float
    net_pnl_usd: float
    max_drawdown_usd: float
    sharpe_interval_s: float
    sharpe: float | None
    sharpe_intervals: int
    hit_rate_horizon_s: float
    hit_rate: float | None
    hit_rate_n: int
    slippage_bps: DistributionSummary
    markouts: tuple[MarkoutStat, ...]
    fill_rates: tuple[FillRate, ...]
    state_changes: tuple[StateChangeItem, ...]
    halts: int
    errors_by_stage: dict[str, int]
    per_coin: tuple[CoinSummary, ...]
    by_order_type: tuple[OrderTypeSummary, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = msgspec.to_builtins(self)
        return out


@dataclass(frozen=True, slots=True)
class Report:
    """The summary plus the series behind it (for plots)."""

    summary: ReportSummary
    frames: JournalFrames
    pnl: pl.DataFrame  # local_ns, gross, fees, realised, net (all coins)
    positions: pl.DataFrame  # local_ns, coin, position
    fills: pl.DataFrame  # fills + tif, tag, decision_mid, slippage_bps, markout_<H>s


def summarize(journal_path: Path | str, params: ReportParams | None = None) -> ReportSummary:
    """Summary metrics of the journal at `journal_path` (a file or a run folder)."""
    return build_report(load_frames(Path(journal_path)), params).summary


def build_report(frames: JournalFrames, params: ReportParams | None = None) -> Report:
    p = params or ReportParams()
    paths = [_coin_path(frames, coin) for coin in frames.coins]
    pnl = total_path(paths)
    fills = enrich_fills(frames, (*p.markout_horizons_s, p.hit_horizon_s))
    summary = _summary(frames, p, paths, pnl, fills)
    return Report(summary, frames, pnl, position_paths(paths), fills)


# ---------------------------------------------------------------- series


def mids(frames: JournalFrames) -> pl.DataFrame:
    """coin, local_ns, mid: every decision that saw a mid, sorted by time."""
    return (frames.decisions.filter(pl.col("mid").is_not_null() & (pl.col("mid") > 0))
            .select("coin", "local_ns", "mid").sort("local_ns", maintain_order=True))


def _coin_path(frames: JournalFrames, coin: str) -> CoinPath:
    fills = frames.fills.filter(pl.col("coin") == coin).sort("local_ns", "tid")
    coin_mids = mids(frames).filter(pl.col("coin") == coin).select("local_ns", "mid")
    return coin_path(coin, fills, coin_mids)


def markout_col(horizon_s: float) -> str:
    return f"markout_{horizon_s:g}s"


def enrich_fills(frames: JournalFrames, horizons_s: tuple[float, ...]) -> pl.DataFrame:
    """Fills with their order's tif/tag, the deciding mid, slippage and markouts."""
    orders = frames.orders.select("cloid", pl.col("tif"), pl.col("tag"),
                                  pl.col("decision_id").alias("order_decision"))
    dmid = frames.decisions.select(pl.col("id").alias("decision"), pl.col("mid")
                                   .alias("decision_mid"), "expected_edge_bps",
                                   "expected_cost_bps", "margin_bps")
    side = pl.when(pl.col("is_buy")).then(1.0).otherwise(-1.0)
    out = (frames.fills.sort("local_ns", "coin", "tid")
           .join(orders, on="cloid", how="left", maintain_order="left")
           .with_columns(pl.coalesce("decision_id", "order_decision").alias("decision"),
                         pl.col("tif").fill_null("?"), pl.col("tag").fill_null("?"))
           .join(dmid, on="decision", how="left", maintain_order="left")
           .with_columns(((pl.col("px") - pl.col("decision_mid")) / pl.col("decision_mid")
                          * BPS * side).alias("slippage_bps"))
           .drop("order_decision"))
    for h in dict.fromkeys(horizons_s):
        out = _with_markout(out, mids(frames), h)
    return out


def _with_markout(fills: pl.DataFrame, mid: pl.DataFrame, horizon_s: float) -> pl.DataFrame:
    col = markout_col(horizon_s)
    if fills.is_empty():
        return fills.with_columns(pl.lit(None, pl.Float64).alias(col))
    last = mid.group_by("coin").agg(pl.col("local_ns").max().alias("last_mid_ns"))
    target = (fills.with_row_index("_row")
              .with_columns((pl.col("local_ns") + int(horizon_s * NS_PER_S)).alias("_t"))
              .join(last, on="coin", how="left"))
    # Both sides are sorted by time just above; polars cannot verify it per `by` group.
    at = target.sort("_t").join_asof(
        mid.rename({"local_ns": "_t", "mid": "_mid_h"}).sort("_t"), on="_t", by="coin",
        strategy="backward", check_sortedness=False)
    side = pl.when(pl.col("is_buy")).then(1.0).otherwise(-1.0)
    valid = pl.col("last_mid_ns").is_not_null() & (pl.col("_t") <= pl.col("last_mid_ns"))
    mark = pl.when(valid).then((pl.col("_mid_h") - pl.col("px")) / pl.col("px") * BPS * side)
    return (at.with_columns(mark.alias(col)).sort("_row")
            .drop("_row", "_t", "last_mid_ns", "_mid_h"))


# ---------------------------------------------------------------- summary


def _summary(frames: JournalFrames, p: ReportParams, paths: list[CoinPath],
             pnl: pl.DataFrame, fills: pl.DataFrame) -> ReportSummary:
    start, end = _span(frames)
    realised = sum(c.realised for c in paths)
    gross = float(pnl["gross"][-1]) if not pnl.is_empty() else 0.0
    fees = fills["fee"]
    sharpe, n_int = _sharpe(pnl, start, end, p.interval_s)
    hits, hit_n = _hit_rate(fills, p.hit_horizon_s)
    return ReportSummary(
        journal=str(frames.path), journal_sha256=frames.sha256, time_axis=TIME_AXIS,
        start_ns=start, end_ns=end,
        duration_s=0.0 if start is None or end is None else (end - start) / NS_PER_S,
        coins=frames.coins, decisions=frames.decisions.height,
        decisions_by_outcome=_counts(frames.decisions, "outcome"),
        bad_inputs=frames.bad_inputs, orders=frames.orders.height,
        orders_by_state=_counts(frames.orders, "state"), fills=fills.height,
        maker_fills=int((~fills["crossed"]).sum()), taker_fills=int(fills["crossed"].sum()),
        turnover_usd=float((fills["px"] * fills["sz"]).sum()),
        fees_paid_usd=float(fees.filter(fees > 0).sum()),
        rebates_usd=float(-fees.filter(fees < 0).sum()), fees_net_usd=float(fees.sum()),
        realised_pnl_usd=realised, unrealised_pnl_usd=gross - realised, gross_pnl_usd=gross,
        net_pnl_usd=gross - float(fees.sum()), max_drawdown_usd=max_drawdown(pnl["net"]),
        sharpe_interval_s=p.interval_s, sharpe=sharpe, sharpe_intervals=n_int,
        hit_rate_horizon_s=p.hit_horizon_s, hit_rate=hits, hit_rate_n=hit_n,
        slippage_bps=distribution(fills["slippage_bps"]),
        markouts=tuple(_markout(fills, h) for h in p.markout_horizons_s),
        fill_rates=fill_rates(frames.orders), state_changes=_timeline(frames),
        halts=int((frames.state_changes["to_state"] == "HALTED").sum()),
        errors_by_stage=_counts(frames.errors, "stage"),
        per_coin=tuple(_coin_summary(c, fills) for c in paths),
        by_order_type=order_types(fills, {c.coin: c.mark for c in paths}))


def _span(frames: JournalFrames) -> tuple[int | None, int | None]:
    times = pl.concat([frames.decisions["local_ns"], frames.fills["local_ns"],
                       frames.state_changes["local_ns"]])
    if times.is_empty():
        return None, None
    return int(times.min()), int(times.max())  # type: ignore[arg-type]


def _counts(frame: pl.DataFrame, col: str) -> dict[str, int]:
    counts = frame.group_by(col).len().sort(col)
    return {str(k): int(n) for k, n in counts.iter_rows()}


def _sharpe(pnl: pl.DataFrame, start: int | None, end: int | None,
            interval_s: float) -> tuple[float | None, int]:
    if start is None or end is None:
        return None, 0
    changes = interval_changes(pnl, start, end, max(int(interval_s * NS_PER_S), 1))
    if changes.len() < 2:
        return None, changes.len()
    std = float(changes.std(ddof=1) or 0.0)  # type: ignore[arg-type]
    if not std > 0.0:
        return None, changes.len()
    return float(changes.mean()) / std, changes.len()  # type: ignore[arg-type]


def _hit_rate(fills: pl.DataFrame, horizon_s: float) -> tuple[float | None, int]:
    marks = fills[markout_col(horizon_s)].drop_nulls()
    if marks.is_empty():
        return None, 0
    return float((marks > 0).sum()) / marks.len(), marks.len()


def _markout(fills: pl.DataFrame, horizon_s: float) -> MarkoutStat:
    marks = fills[markout_col(horizon_s)].drop_nulls()
    d = distribution(marks)
    pos = float((marks > 0).sum()) / marks.len() if marks.len() else None
    return MarkoutStat(horizon_s=horizon_s, n=d.n, mean_bps=d.mean, p50_bps=d.p50,
                       positive_fraction=pos)


def distribution(values: pl.Series) -> DistributionSummary:
    arr = values.drop_nulls().cast(pl.Float64).to_numpy()
    arr = arr[np.isfinite(arr)]
    if arr.size == 0:
        return DistributionSummary(n=0)
    p5, p50, p95 = (float(q) for q in np.percentile(arr, [5, 50, 95]))
    std = float(arr.std(ddof=1)) if arr.size > 1 else None
    return DistributionSummary(n=int(arr.size), mean=float(arr.mean()), std=std,
                        min=float(arr.min()), p5=p5, p50=p50, p95=p95, max=float(arr.max()))


def fill_rates(orders: pl.DataFrame) -> tuple[FillRate, ...]:
    """Per TIF, then per router tag: orders placed, with any fill, fully filled."""
    out: list[FillRate] = []
    for by in ("tif", "tag"):
        grouped = orders.group_by(by).agg(
            pl.len().alias("placed"), (pl.col("filled") > 0).sum().alias("filled"),
            (pl.col("state") == "filled").sum().alias("fully")).sort(by)
        out += [FillRate(by=by, key=str(key), placed=int(n), filled=int(f),
                         fully_filled=int(full), rate=f / n)
                for key, n, f, full in grouped.iter_rows()]
    return tuple(out)


def _timeline(frames: JournalFrames) -> tuple[StateChangeItem, ...]:
    rows = frames.state_changes.head(MAX_TIMELINE).iter_rows(named=True)
    return tuple(StateChangeItem(local_ns=r["local_ns"], from_state=r["from_state"],
                                 to_state=r["to_state"], trigger=r["trigger"],
                                 reason=r["reason"]) for r in rows)


def order_types(fills: pl.DataFrame, marks: dict[str, float | None]
                ) -> tuple[OrderTypeSummary, ...]:
    """Per TIF: fills, turnover, fees, the gross PnL share of its fills (see module doc)."""
    if fills.is_empty():
        return ()
    mark = pl.col("coin").replace_strict(
        {c: m for c, m in marks.items() if m is not None}, default=None,
        return_dtype=pl.Float64)
    q = pl.when(pl.col("is_buy")).then(pl.col("sz")).otherwise(-pl.col("sz"))
    share = fills.with_columns((q * (pl.coalesce(mark, pl.col("px")) - pl.col("px")))
                               .alias("_gross"))
    out: list[OrderTypeSummary] = []
    for (tif,), g in share.group_by("tif", maintain_order=True):
        gross, fees = float(g["_gross"].sum()), float(g["fee"].sum())
        econ = g.filter(pl.col("expected_edge_bps").is_not_null())
        out.append(OrderTypeSummary(
            tif=str(tif), fills=g.height, maker_fills=int((~g["crossed"]).sum()),
            taker_fills=int(g["crossed"].sum()),
            turnover_usd=float((g["px"] * g["sz"]).sum()), fees_usd=fees,
            gross_pnl_usd=gross, net_pnl_usd=gross - fees,
            slippage_bps_mean=_mean(g["slippage_bps"]),
            expected_edge_bps_mean=_mean(g["expected_edge_bps"]),
            expected_cost_bps_mean=_mean(g["expected_cost_bps"]),
            margin_bps_mean=_mean(g["margin_bps"]), decisions_with_economics=econ.height))
    return tuple(sorted(out, key=lambda o: o.tif))


def _mean(values: pl.Series) -> float | None:
    arr = values.drop_nulls().cast(pl.Float64).to_numpy()
    arr = arr[np.isfinite(arr)]
    return float(arr.mean()) if arr.size else None


def run_figures(journal_path: Path | str) -> dict[str, Any]:
    """The headline figures of a run, from its journal: the keys every run output shares
    (`gross_pnl_usd`, `fees_usd`, `net_pnl_usd`, `turnover_usd`, `fills`), maker/taker
    fills, and the same by order type."""
    return headline(summarize(journal_path))


def headline(s: ReportSummary) -> dict[str, Any]:
    return {"gross_pnl_usd": s.gross_pnl_usd, "fees_usd": s.fees_net_usd,
            "net_pnl_usd": s.net_pnl_usd, "turnover_usd": s.turnover_usd, "fills": s.fills,
            "maker_fills": s.maker_fills, "taker_fills": s.taker_fills,
            "by_order_type": {o.tif: msgspec.to_builtins(o) for o in s.by_order_type}}


def _coin_summary(path: CoinPath, fills: pl.DataFrame) -> CoinSummary:
    mine = fills.filter(pl.col("coin") == path.coin)
    gross = float(path.frame["gross"][-1]) if not path.frame.is_empty() else 0.0
    return CoinSummary(coin=path.coin, fills=mine.height, volume=float(mine["sz"].sum()),
                       turnover_usd=float((mine["px"] * mine["sz"]).sum()),
                       fees_usd=path.fees, realised_pnl_usd=path.realised,
                       unrealised_pnl_usd=gross - path.realised,
                       final_position=path.position, last_mark=path.mark)
