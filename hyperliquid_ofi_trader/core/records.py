"""What the order path hands to risk and feedback, as plain records: a new fill with the
order that caused it (`FillReport`), and the position row the position book persists
(`PositionRow`). They live in core so that risk and feedback read them without importing the
order path.
"""

from __future__ import annotations

import msgspec

from hyperliquid_ofi_trader.core.events import Fill
from hyperliquid_ofi_trader.core.order_state import OrderState
from hyperliquid_ofi_trader.core.stages import Tif


class FillReport(msgspec.Struct, frozen=True, gc=False, kw_only=True):
    """A NEW fill (never repeated) with the order that caused it, for risk and feedback.

    The order fields are None for a fill of an order we have no record of (placed by
    something else on the account)."""

    fill: Fill
    local_ns: int
    is_snapshot: bool
    cloid: str | None
    decision_id: int | None
    tif: Tif | None
    limit_px: float | None
    intent_ns: int | None
    order_state: OrderState | None


class PositionRow(msgspec.Struct, frozen=True, kw_only=True):
    coin: str
    size: float
    entry_px: float
    updated_ns: int
