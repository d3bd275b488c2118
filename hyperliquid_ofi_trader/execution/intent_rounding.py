"""Intents onto the venue's grid, once, where they become commands (the order manager).

Sizes and prices reach the order manager from several computations (the router's sizing,
a re-quote's remaining size `orig - filled`, a flatten) and binary floats leave residues:
a re-quote of `0.026900000000000004` ETH was refused by the gateway ("not a multiple of
the lot"). Rounding in each producer would round twice or not at all; here every place and
modify is snapped exactly once, just before its record and command exist.

- Size: a float within `RESIDUE` lots of a lot multiple is that multiple (a residue, not an
  intent); anything else rounds DOWN (never more than the risk gate approved).
- Price: a float within `RESIDUE` ticks of a tick is that tick; anything else rounds to the
  passive side (a buy down, a sell up: rounding never pays more).
A size that rounds to nothing is refused (None).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from hyperliquid_ofi_trader.core.events import Side
from hyperliquid_ofi_trader.venues.hyperliquid.common.instruments import (
    InstrumentError,
    RoundMode,
    round_price,
    round_size,
    tick_size,
)

RESIDUE: Final = 1e-6  # of a lot or a tick: far above float error, far below any intent


def snap_size(size: float, sz_decimals: int) -> float:
    """`size` on the lot grid: residues to the nearest lot, the rest down."""
    nearest = round_size(size, sz_decimals, RoundMode.NEAREST)
    lot = 10.0 ** -sz_decimals
    if abs(size - nearest) <= RESIDUE * lot:
        return nearest
    return round_size(size, sz_decimals, RoundMode.DOWN)


def snap_price(price: float, is_buy: bool, sz_decimals: int) -> float:
    """`price` on the tick grid: residues to the nearest tick, the rest to the passive side."""
    nearest = round_price(price, sz_decimals, RoundMode.NEAREST)
    if abs(price - nearest) <= RESIDUE * tick_size(nearest, sz_decimals):
        return nearest
    return round_price(price, sz_decimals, Side.BID if is_buy else Side.ASK)


class IntentGrid:
    """Snaps (price, size) per coin; coins without instrument facts pass unchanged (the
    gateway still checks them against the venue's own meta)."""

    __slots__ = ("_sz_decimals",)

    def __init__(self, sz_decimals: Mapping[str, int]) -> None:
        self._sz_decimals = dict(sz_decimals)

    def snap(self, coin: str, is_buy: bool, price: float,
             size: float) -> tuple[float, float] | None:
        """(price, size) on the venue's grid, or None when the size rounds to nothing or
        the numbers cannot be rounded (counted and refused by the caller)."""
        szd = self._sz_decimals.get(coin)
        if szd is None:
            return price, size
        try:
            snapped_size = snap_size(size, szd)
            snapped_price = snap_price(price, is_buy, szd)
        except InstrumentError:
            return None
        if snapped_size <= 0.0:
            return None
        return snapped_price, snapped_size
