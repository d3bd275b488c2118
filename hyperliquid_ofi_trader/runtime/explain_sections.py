"""The alpha and router parts of an explained decision, as tables a trader can read.

A row's `alpha_explain` and `router` inputs hold lists of records (the forecast's
features, the weighted sum's signals, trust changes) and the router's economics. Printed as
one JSON line each they were cut at the console's width, the coefficients and parts
first. Here each becomes its own table; anything of another shape (an older journal, an
explainer that failed) falls back to the plain key/value listing.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from rich.console import RenderableType
from rich.table import Table

Fmt = Callable[[Any], str]
KvTable = Callable[[str, Any], RenderableType]

# (record key, column title) of each list the alpha breakdown may hold.
_FEATURE_COLUMNS = (("name", "feature"), ("status", "read"), ("value", "value"),
                    ("coef_bps", "coef bps"), ("contribution_bps", "part bps"))
_SIGNAL_COLUMNS = (("name", "signal"), ("status", "status"), ("value", "value"),
                   ("config_weight", "weight"), ("trust", "trust"),
                   ("contribution", "part"))
_CHANGE_COLUMNS = (("coin", "coin"), ("signal", "signal"), ("from", "from"), ("to", "to"),
                   ("why", "why"))
_LISTS = ("signals", "features", "trust_changes")


def alpha_sections(explain: Any, fmt: Fmt, kv_table: KvTable) -> list[RenderableType]:
    """`alpha_explain`: its scalars, the forecast, and one table per non-empty list."""
    if not isinstance(explain, Mapping) or not all(
            _records(explain.get(key, [])) for key in _LISTS):
        return [kv_table("alpha explain", explain)]
    scalars = {k: v for k, v in explain.items()
               if k not in (*_LISTS, "forecast") and v not in ([], ())}
    parts = [kv_table("alpha explain", scalars)]
    forecast = explain.get("forecast")
    if isinstance(forecast, Mapping):
        parts.append(kv_table("forecast", forecast))
    features = explain.get("features") or []
    if features:
        total = sum(f.get("contribution_bps", 0.0) for f in features
                    if isinstance(f.get("contribution_bps"), float | int))
        parts.append(_records_table(
            "forecast features (parts sum to the forecast before its bound and the regime)",
            _FEATURE_COLUMNS, features, fmt, footer=("sum", "", "", "", fmt(total))))
    signals = explain.get("signals") or []
    if signals:
        parts.append(_records_table("weighted signals", _SIGNAL_COLUMNS, signals, fmt))
    changes = explain.get("trust_changes") or []
    if changes:
        parts.append(_records_table("trust changes", _CHANGE_COLUMNS, changes, fmt))
    return parts


def router_sections(router: Any, fmt: Fmt, kv_table: KvTable) -> list[RenderableType]:
    """`router`: its verdict and forecast, then the economics it weighed, one per line."""
    if not isinstance(router, Mapping):
        return [kv_table("router", router)]
    head = {k: v for k, v in router.items() if k != "economics"}
    parts = [kv_table("router", head)]
    economics = router.get("economics")
    if economics is not None:  # a mapping is listed one figure per line
        parts.append(kv_table("economics", economics))
    return parts


def _records(value: Any) -> bool:
    return isinstance(value, Sequence) and not isinstance(value, str) and all(
        isinstance(item, Mapping) for item in value)


def _records_table(title: str, columns: tuple[tuple[str, str], ...],
                   records: Sequence[Mapping[str, Any]], fmt: Fmt,
                   footer: tuple[str, ...] | None = None) -> RenderableType:
    t = Table(title=title, title_justify="left", box=None, padding=(0, 2),
              show_footer=footer is not None)
    for i, (_, heading) in enumerate(columns):
        t.add_column(heading, justify="left" if i < 2 else "right",
                     footer=footer[i] if footer is not None else "")
    for record in records:
        t.add_row(*(fmt(record.get(key)) for key, _ in columns))
    return t
