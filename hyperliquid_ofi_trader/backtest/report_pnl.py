"""Position and PnL paths from fills and mids (the arithmetic behind the run report).

Conventions (USD, per coin, then summed):
- A fill of signed size q (buy > 0) at px moves cash by -q*px and the position by q.
- Gross PnL at any instant = cash + position * mark, where mark is the latest journal mid
  (the latest fill price before any mid is known). Fees are kept apart: net = gross - fees,
  with Hyperliquid's sign convention (a maker rebate is a negative fee, so it adds to net).
- Realised PnL uses the average-cost method: closing size c against an average entry e
  realises c * (px - e) for a long (the opposite for a short); a fill that flips the
  position opens the remainder at its own price. Unrealised = gross - realised.
Every path is a step function on `local_ns`; totals over coins are built from per-coin
increments so that each coin's last value is carried forward between its own events.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import polars as pl

# A position smaller than this (in coin units) is flat: repeated float adds leave residues
# like 1e-17 that would otherwise keep an "open" position with a meaningless average entry.
FLAT_EPS: Final = 1e-9
PATH_COLS: Final = ("gross", "fees", "realised", "net")


@dataclass(frozen=True, slots=True)
class CoinPath:
    """One coin's state after every fill and mid (rows sorted by local_ns)."""

    coin: str
    frame: pl.DataFrame  # local_ns, position, cash, fees, realised, mark, gross, net
    realised: float
    fees: float
    position: float
    mark: float | None


def realised_path(signed_sizes: list[float], prices: list[float]) -> list[float]:
    """Cumulative realised PnL after each fill (average-cost method)."""
    pos = avg = realised = 0.0
    out: list[float] = []
    for q, px in zip(signed_sizes, prices, strict=True):
        if abs(pos) <= FLAT_EPS or (q > 0) == (pos > 0):
            avg = (avg * abs(pos) + px * abs(q)) / (abs(pos) + abs(q))
        else:
            closed = min(abs(q), abs(pos))
            realised += closed * (px - avg) * (1.0 if pos > 0 else -1.0)
            if abs(q) > abs(pos) + FLAT_EPS:
                avg = px  # flipped: the remainder is a new position opened at px
        pos += q
        if abs(pos) <= FLAT_EPS:
            pos = avg = 0.0
        out.append(realised)
    return out


def coin_path(coin: str, fills: pl.DataFrame, mids: pl.DataFrame) -> CoinPath:
    """`fills`: this coin's fills sorted by (local_ns, tid); `mids`: local_ns, mid."""
    signed = fills.select(pl.when(pl.col("is_buy")).then(pl.col("sz"))
                          .otherwise(-pl.col("sz")).alias("q"))["q"].to_list()
    f = fills.select(
        "local_ns", pl.lit(1, pl.Int8).alias("kind"), pl.col("px").alias("fill_px"),
        pl.Series("q", signed, pl.Float64).cum_sum().alias("position"),
        (-pl.Series("q", signed, pl.Float64) * pl.col("px")).cum_sum().alias("cash"),
        pl.col("fee").cum_sum().alias("fees"),
        pl.Series("realised", realised_path(signed, fills["px"].to_list()), pl.Float64))
    m = mids.select("local_ns", pl.lit(0, pl.Int8).alias("kind"), "mid")
    # A mid and a fill at the same instant: the mid first (the fill is marked at it).
    both = pl.concat([m, f], how="diagonal").sort("local_ns", "kind", maintain_order=True)
    filled = both.with_columns(
        pl.col("fill_px", "mid", "position", "cash", "fees", "realised").forward_fill()
    ).with_columns(pl.col("position", "cash", "fees", "realised").fill_null(0.0))
    frame = filled.with_columns(pl.coalesce("mid", "fill_px").alias("mark")).with_columns(
        pl.when(pl.col("position").abs() <= FLAT_EPS).then(pl.col("cash"))
        .otherwise(pl.col("cash") + pl.col("position") * pl.col("mark")).alias("gross")
    ).with_columns((pl.col("gross") - pl.col("fees")).alias("net")).select(
        "local_ns", "position", "cash", "fees", "realised", "mark", "gross", "net")
    return _finish(coin, frame)


def _finish(coin: str, frame: pl.DataFrame) -> CoinPath:
    if frame.is_empty():
        return CoinPath(coin, frame, 0.0, 0.0, 0.0, None)
    last = frame.row(-1, named=True)
    mark = last["mark"]
    return CoinPath(coin, frame, float(last["realised"]), float(last["fees"]),
                    float(last["position"]), None if mark is None else float(mark))


def total_path(paths: list[CoinPath]) -> pl.DataFrame:
    """Sum of coin paths on the union of their instants: local_ns + PATH_COLS, one row per
    instant (the last state at that instant)."""
    parts = [p.frame.select(
        "local_ns",
        *(pl.col(c).diff().fill_null(pl.col(c).first()).alias(c) for c in PATH_COLS))
        for p in paths if not p.frame.is_empty()]
    if not parts:
        return pl.DataFrame(schema={"local_ns": pl.Int64, **dict.fromkeys(PATH_COLS,
                                                                           pl.Float64)})
    steps = pl.concat(parts).sort("local_ns", maintain_order=True)
    summed = steps.with_columns(pl.col(c).cum_sum() for c in PATH_COLS)
    return summed.group_by("local_ns", maintain_order=True).last()


def position_paths(paths: list[CoinPath]) -> pl.DataFrame:
    """local_ns, coin, position: each coin's position after every one of its events."""
    parts = [p.frame.select("local_ns", pl.lit(p.coin).alias("coin"), "position")
             for p in paths if not p.frame.is_empty()]
    if not parts:
        return pl.DataFrame(schema={"local_ns": pl.Int64, "coin": pl.Utf8,
                                    "position": pl.Float64})
    return pl.concat(parts).sort("local_ns", maintain_order=True)


def max_drawdown(net: pl.Series) -> float:
    """Largest fall of `net` from its running peak (the peak starts at 0: the run's
    starting equity)."""
    if net.is_empty():
        return 0.0
    peak = net.cum_max().clip(lower_bound=0.0)
    return float(max((peak - net).max() or 0.0, 0.0))  # type: ignore[arg-type]


def interval_changes(path: pl.DataFrame, start_ns: int, end_ns: int,
                     interval_ns: int) -> pl.Series:
    """Net PnL change over each whole interval [start + k*I, start + (k+1)*I]."""
    n = (end_ns - start_ns) // interval_ns
    if n < 1:
        return pl.Series("dpnl", [], pl.Float64)
    grid = pl.DataFrame({"local_ns": [start_ns + k * interval_ns for k in range(n + 1)]},
                        schema={"local_ns": pl.Int64})
    at = grid.join_asof(path.select("local_ns", "net"), on="local_ns", strategy="backward")
    return at["net"].fill_null(0.0).diff().drop_nulls().alias("dpnl")
