"""What the venue's helpers (`OrderEntry`, `InfoViews`) may read and call on the venue.

`SimVenue` owns the state and builds both helpers with itself; the helpers see it only
through `VenueState`, so neither imports `sim/venue.py` and the venue module sits above
them instead of in a cycle with them.
"""

from __future__ import annotations

from typing import Any, Protocol

from hyperliquid_ofi_trader.core.events import AssetCtx
from hyperliquid_ofi_trader.sim.accounts import Account
from hyperliquid_ofi_trader.sim.candles import CandleBook
from hyperliquid_ofi_trader.sim.matching import CoinBook, Match, SimOrder
from hyperliquid_ofi_trader.sim.pushes import Outbox
from hyperliquid_ofi_trader.sim.rate_limits import AddressLimiter
from hyperliquid_ofi_trader.sim.settings import SimInstrument, SimSettings


class SimOrderRecord:
    """What orderStatus reports about an order, live or finished."""

    __slots__ = ("order", "status", "status_ms")

    def __init__(self, order: SimOrder, status: str, status_ms: int) -> None:
        self.order = order
        self.status = status
        self.status_ms = status_ms


class Margins(Protocol):
    """The margin arithmetic of order entry that the info views report."""

    def free_margin(self, acc: Account, replacing: SimOrder | None = None) -> float: ...

    def position_margin(self, acc: Account, marks: dict[str, float]) -> float: ...


class VenueState(Protocol):
    """The emulated venue's state and bookkeeping, as its helpers use it."""

    settings: SimSettings
    instruments: tuple[SimInstrument, ...]
    asset_of: dict[str, int]
    books: dict[str, CoinBook]
    accounts: dict[str, Account]
    by_cloid: dict[tuple[str, str], SimOrder]
    records: dict[int, SimOrderRecord]
    cloid_records: dict[tuple[str, str], int]
    ctx: dict[str, AssetCtx]
    last_trade_px: dict[str, float]
    candles: CandleBook
    addr_limits: AddressLimiter

    @property
    def entry(self) -> Margins: ...

    @property
    def out(self) -> Outbox: ...

    def meta(self) -> dict[str, Any]: ...

    def book_levels(self, coin: str, n: int = 20) -> tuple[list[dict[str, Any]],
                                                         list[dict[str, Any]]]: ...

    def mark(self, coin: str) -> float | None: ...

    def mid(self, coin: str) -> float | None: ...

    def marks(self) -> dict[str, float]: ...

    def account(self, address: str) -> Account | None: ...

    def leverage_of(self, acc: Account, coin: str) -> int: ...

    def user_orders(self, user: str) -> list[SimOrder]: ...

    def user_order_count(self, user: str) -> int: ...

    def new_oid(self) -> int: ...

    def new_tid(self) -> int: ...

    def track(self, order: SimOrder) -> None: ...

    def untrack(self, order: SimOrder) -> None: ...

    def record(self, order: SimOrder, status: str, status_ms: int) -> None: ...

    def trade_users(self, match: Match) -> list[str]: ...
