"""The report's fills and orders tables: every row names the decision that caused it, so
a reader can go from a fill to `hlofi explain DECISION` in one step. Long runs show the
newest rows (the count of all rows is said); every journal text is HTML-escaped."""

from __future__ import annotations

import datetime as dt
import html
from typing import Any, Final

import polars as pl

MAX_ROWS: Final = 300


def fills_table(fills: pl.DataFrame, orders: pl.DataFrame, max_rows: int = MAX_ROWS) -> str:
    """A fill journaled without its decision (an order it was not matched to at the time)
    gets it through its order's cloid."""
    placed_by = dict(zip(orders["cloid"].to_list(), orders["decision_id"].to_list(),
                         strict=True)) if not orders.is_empty() else {}
    rows = [[_decision(_fill_decision(f, placed_by)), _time(f["local_ns"]), f["coin"],
             _side(f["is_buy"]), _num(f["px"]), _num(f["sz"]), _num(f["fee"]),
             "taker" if f["crossed"] else "maker", f["cloid"] or "-"]
            for f in _newest(fills, "local_ns", max_rows)]
    head = ["decision", "time (UTC)", "coin", "side", "price", "size", "fee USD", "liquidity",
            "cloid"]
    return _count(fills.height, max_rows, "fills") + _table(head, rows)


def orders_table(orders: pl.DataFrame, max_rows: int = MAX_ROWS) -> str:
    rows = [[_decision(o["decision_id"]), _time(o["created_ns"]), o["coin"], _side(o["is_buy"]),
             _num(o["px"]), _num(o["sz"]), _num(o["filled"]), o["tif"], o["state"],
             o["last_error"] or "", o["cloid"]]
            for o in _newest(orders, "created_ns", max_rows)]
    head = ["decision", "created (UTC)", "coin", "side", "price", "size", "filled", "tif",
            "state", "last error", "cloid"]
    return _count(orders.height, max_rows, "orders") + _table(head, rows)


def _fill_decision(fill: dict[str, Any], placed_by: dict[str, Any]) -> Any:
    own = fill["decision_id"]
    return own if own is not None else placed_by.get(fill["cloid"])


def _newest(frame: pl.DataFrame, by: str, n: int) -> list[dict[str, Any]]:
    if frame.is_empty():
        return []
    return frame.sort(by, descending=True).head(n).to_dicts()


def _count(total: int, shown: int, what: str) -> str:
    if total <= shown:
        return ""
    return f"<p class='note'>the newest {shown:,} of {total:,} {what}</p>"


def _table(head: list[str], rows: list[list[Any]]) -> str:
    if not rows:
        return "<p class='note'>none</p>"
    th = "".join(f"<th class='l'>{_e(h)}</th>" for h in head)
    body = "".join("<tr>" + "".join(f"<td class='l'>{_e(v)}</td>" for v in r) + "</tr>"
                   for r in rows)
    return f"<table><tr>{th}</tr>{body}</table>"


def _decision(value: Any) -> str:
    return "-" if value is None else f"#{value}"


def _side(is_buy: Any) -> str:
    return "buy" if is_buy else "sell"


def _num(value: Any) -> str:
    return "-" if value is None else f"{value:,.6g}"


def _time(ns: Any) -> str:
    if not ns:
        return "-"
    stamp = dt.datetime.fromtimestamp(ns / 1e9, tz=dt.UTC)
    return stamp.strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]


def _e(value: Any) -> str:
    return html.escape(str(value), quote=True)
