"""How the alpha stage reads a published signal value: a finite number or nothing.

One rule for the combiner's weighted sum, its config weights and the forecast's features
(and the journal's account of how each was read): a finite float as is; ints and numpy
scalars converted; NaN, inf, non-numbers and text refused, even text that parses (a
producer sending it has a bug that must show up, not be read silently).
"""

from __future__ import annotations

import math


def finite_number(value: object) -> float | None:
    """`value` as a finite float, or None when it is NaN/inf, text or not a number."""
    if type(value) is float:
        return value if math.isfinite(value) else None
    if isinstance(value, str | bytes):
        return None
    try:
        x = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError, OverflowError):
        return None
    return x if math.isfinite(x) else None
