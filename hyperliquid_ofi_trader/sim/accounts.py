"""Emulated accounts: USDC balance, one-way positions, leverage, fills history, margin.

Accounting follows the venue's one-way perp model:
- a fill on the position's side (or from flat) opens / adds at a size-weighted entry price;
- a fill against it closes up to the position size, realising
  `closedPnl = (px - entry) * closed * sign(position)` (gross of fees, as the venue
  reports it); any excess opens the other way at the fill price ("Long > Short");
- fees (negative = rebate) come straight off the USDC balance.
Marks come from the caller (the venue's mark / mid), so these are pure bookkeeping types.
Margin: initial margin of a position = |szi| * mark / leverage; account value =
balance + unrealised PnL. Sizes are rounded to the instrument's szDecimals after every fill
so float drift never leaves a 1e-17 position behind.
"""

from __future__ import annotations

from collections import deque
from decimal import Decimal
from typing import Any

from hyperliquid_ofi_trader.venues.hyperliquid.common.instruments import to_wire


def num(x: float, decimals: int = 8) -> str:
    """A venue-style decimal string: no exponent, no trailing zeros, never "-0"."""
    return to_wire(Decimal(repr(round(x, decimals) + 0.0)))


class Position:
    """One coin's one-way position. `szi` is signed (coin units)."""

    __slots__ = ("cum_closed_pnl", "cum_funding", "entry_px", "szi")

    def __init__(self) -> None:
        self.szi = 0.0
        self.entry_px = 0.0
        self.cum_closed_pnl = 0.0
        self.cum_funding = 0.0

    def unrealized(self, mark: float) -> float:
        return self.szi * (mark - self.entry_px) if self.szi else 0.0


class FillOutcome:
    """What a fill did to a position: the venue's startPosition, dir and closedPnl."""

    __slots__ = ("closed_pnl", "direction", "start_position")

    def __init__(self, start_position: float, direction: str, closed_pnl: float) -> None:
        self.start_position = start_position
        self.direction = direction
        self.closed_pnl = closed_pnl


def _open_dir(is_buy: bool) -> str:
    return "Open Long" if is_buy else "Open Short"


def apply_to_position(pos: Position, is_buy: bool, px: float, sz: float,
                      sz_decimals: int) -> FillOutcome:
    """Update `pos` for a fill and return the venue's description of it."""
    start = pos.szi
    if start == 0.0 or (start > 0) == is_buy:
        held = abs(start)
        pos.entry_px = (held * pos.entry_px + sz * px) / (held + sz)
        pos.szi = round(start + (sz if is_buy else -sz), sz_decimals)
        return FillOutcome(start, _open_dir(is_buy), 0.0)
    closing = min(sz, abs(start))
    sign = 1.0 if start > 0 else -1.0
    closed_pnl = (px - pos.entry_px) * closing * sign
    pos.szi = round(start + (sz if is_buy else -sz), sz_decimals)
    if pos.szi == 0.0:
        pos.entry_px = 0.0
        direction = "Close Long" if start > 0 else "Close Short"
    elif (pos.szi > 0) != (start > 0):
        pos.entry_px = px
        direction = "Long > Short" if start > 0 else "Short > Long"
    else:
        direction = "Close Long" if start > 0 else "Close Short"
    pos.cum_closed_pnl += closed_pnl
    return FillOutcome(start, direction, closed_pnl)


class Account:
    """One trading address: cash, positions, per-asset leverage, fills, dead man's switch."""

    __slots__ = (
        "address",
        "balance",
        "cum_volume",
        "fills",
        "is_cross",
        "leverage",
        "open_notional",
        "positions",
        "schedule_cancel_ms",
        "triggers_by_day",
    )

    def __init__(self, address: str, balance: float, max_fills: int) -> None:
        self.address = address
        self.balance = balance
        self.positions: dict[str, Position] = {}
        self.leverage: dict[str, int] = {}
        self.is_cross: dict[str, bool] = {}
        self.cum_volume = 0.0
        # sum of px * remaining size of resting, non-reduce-only orders per coin: their
        # initial margin without a scan of every open order on each new order
        self.open_notional: dict[str, float] = {}
        self.fills: deque[dict[str, Any]] = deque(maxlen=max_fills)  # wire dicts, oldest first
        self.schedule_cancel_ms: int | None = None
        self.triggers_by_day: dict[int, int] = {}

    def position(self, coin: str) -> Position:
        pos = self.positions.get(coin)
        if pos is None:
            pos = self.positions[coin] = Position()
        return pos

    def szi(self, coin: str) -> float:
        pos = self.positions.get(coin)
        return pos.szi if pos else 0.0

    def add_open_notional(self, coin: str, notional: float) -> None:
        self.open_notional[coin] = max(0.0, self.open_notional.get(coin, 0.0) + notional)

    def apply_fill(self, coin: str, is_buy: bool, px: float, sz: float, fee: float,
                   sz_decimals: int) -> FillOutcome:
        outcome = apply_to_position(self.position(coin), is_buy, px, sz, sz_decimals)
        self.balance += outcome.closed_pnl - fee
        self.cum_volume += px * sz
        return outcome

    def unrealized(self, marks: dict[str, float]) -> float:
        return sum(p.unrealized(marks.get(c, p.entry_px)) for c, p in self.positions.items())

    def account_value(self, marks: dict[str, float]) -> float:
        return self.balance + self.unrealized(marks)

    def notional(self, marks: dict[str, float]) -> float:
        return sum(abs(p.szi) * marks.get(c, p.entry_px) for c, p in self.positions.items())

    def position_margin(self, coin: str, mark: float, leverage: int) -> float:
        pos = self.positions.get(coin)
        return abs(pos.szi) * mark / leverage if pos else 0.0
