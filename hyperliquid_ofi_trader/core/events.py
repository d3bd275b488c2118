"""Domain events: the only types that cross from the data layer into the engine.

Wire types (Hyperliquid JSON) stop at the codec; everything after it sees these.
They are immutable, slotted `msgspec.Struct`s with `gc=False` (they never form
reference cycles), which makes them cheap to allocate on the hot path.

Every event carries two timestamps, both integer nanoseconds since the Unix epoch:
- `exchange_ns`: the venue's own time for the event (Hyperliquid sends milliseconds;
  the codec multiplies by 1_000_000). 0 when the venue sent no time (e.g. asset contexts).
- `local_ns`: when our process received the raw frame (from the injected clock).

Prices and sizes are floats parsed once by the codec. Exact decimal wire formatting
for orders is the gateway's job, not the events'.
"""

from __future__ import annotations

import enum
from typing import Any, TypeAlias

import msgspec

# (price, size, number_of_orders): a tuple, not a struct, because snapshots carry 40 of them.
Level: TypeAlias = tuple[float, float, int]


class Side(enum.IntEnum):
    """A side of the book. IntEnum so it can index two-element arrays on the hot path."""

    BID = 0
    ASK = 1


class Event(msgspec.Struct, frozen=True, gc=False, kw_only=True):
    """Base of every event: venue time and local receive time, in ns."""

    exchange_ns: int
    local_ns: int


# ---------------------------------------------------------------- market data


class BookSnapshot(Event, frozen=True, gc=False, kw_only=True):
    """A full `l2Book` push: bids best-first (descending), asks best-first (ascending)."""

    coin: str
    bids: tuple[Level, ...]
    asks: tuple[Level, ...]


class Bbo(Event, frozen=True, gc=False, kw_only=True):
    """A `bbo` push: Level 1 only. A side is None when that side of the book is empty."""

    coin: str
    bid: Level | None
    ask: Level | None


class Trade(msgspec.Struct, frozen=True, gc=False, kw_only=True):
    """One print. `is_buy` is the aggressor's side (wire "B" -> True, "A" -> False)."""

    coin: str
    price: float
    size: float
    is_buy: bool
    exchange_ns: int
    tid: int
    hash: str


class Trades(Event, frozen=True, gc=False, kw_only=True):
    """A `trades` push. `exchange_ns` is the latest trade time in the batch."""

    coin: str
    trades: tuple[Trade, ...]


class AssetCtx(Event, frozen=True, gc=False, kw_only=True):
    """An `activeAssetCtx` push (perps). The venue sends no time: exchange_ns is 0."""

    coin: str
    mark_px: float
    mid_px: float | None
    oracle_px: float
    funding: float
    open_interest: float
    day_notional_volume: float
    prev_day_px: float
    premium: float | None
    impact_bid: float | None
    impact_ask: float | None


# ---------------------------------------------------------------- private (our account)


class OrderStatus(enum.StrEnum):
    """Statuses the venue reports in `orderUpdates` (unknown texts map to UNKNOWN)."""

    OPEN = "open"
    FILLED = "filled"
    CANCELED = "canceled"
    TRIGGERED = "triggered"
    REJECTED = "rejected"
    MARGIN_CANCELED = "marginCanceled"
    UNKNOWN = "unknown"


class OrderUpdate(Event, frozen=True, gc=False, kw_only=True):
    """One entry of an `orderUpdates` push. `exchange_ns` is the status timestamp."""

    coin: str
    is_buy: bool
    limit_px: float
    size: float
    orig_size: float
    oid: int
    cloid: str | None
    status: OrderStatus
    raw_status: str
    order_ns: int


class Fill(msgspec.Struct, frozen=True, gc=False, kw_only=True):
    """One of our fills. `crossed` True means we were the taker. Negative fee = rebate.

    Identity for de-duplication is (coin, tid).
    """

    coin: str
    price: float
    size: float
    is_buy: bool
    exchange_ns: int
    start_position: float
    direction: str
    closed_pnl: float
    hash: str
    oid: int
    crossed: bool
    fee: float
    tid: int
    fee_token: str
    cloid: str | None
    liquidation: bool


class UserFills(Event, frozen=True, gc=False, kw_only=True):
    """A `userFills` push (or the `fills` variant of `user` events)."""

    user: str
    is_snapshot: bool
    fills: tuple[Fill, ...]


class Funding(Event, frozen=True, gc=False, kw_only=True):
    """A funding payment from the `user` channel."""

    coin: str
    usdc: float
    size: float
    funding_rate: float


class Liquidation(Event, frozen=True, gc=False, kw_only=True):
    """A liquidation of our account from the `user` channel (payload kept for the journal)."""

    detail: dict[str, Any]


class NonUserCancel(Event, frozen=True, gc=False, kw_only=True):
    """Orders the venue cancelled without us asking (e.g. margin, self-trade)."""

    cancels: tuple[tuple[str, int], ...]  # (coin, oid)


# ---------------------------------------------------------------- gateway results
# The async gateway turns the venue's answers to OUR requests (posted over the WebSocket or
# REST) into these events, so the order manager learns about acks, rejects, timeouts and
# reconciliation results on the same single-threaded event path as market data.
# The venue gives no time for these answers: exchange_ns is 0 unless stated.


class OrderAck(Event, frozen=True, gc=False, kw_only=True):
    """The venue's per-order status for one order of an `order` or `batchModify` action.

    `outcome` is "resting", "filled" or "error"; `error` holds the venue's exact text.
    """

    cloid: str
    oid: int | None
    outcome: str
    filled_size: float
    avg_px: float
    error: str


class CancelAck(Event, frozen=True, gc=False, kw_only=True):
    """Per-cancel status of a `cancel` / `cancelByCloid` action ("success" or an error)."""

    coin: str
    cloid: str | None
    oid: int | None
    ok: bool
    error: str


class ActionFailed(Event, frozen=True, gc=False, kw_only=True):
    """A whole request failed: `{"status":"err"}`, transport error or timeout.

    `kind` is the action type ("order", "cancel", ...); `cloids` lists the client ids the
    action carried (so the order manager can query them); `transient` says whether a retry
    may succeed (timeouts, disconnects, rate limits) or not (signature, nonce, validation).
    `not_acted` says the venue provably did not act on it (never sent, refused before
    processing: a rate limit, a whole-request `status: err`): an order in it was never
    placed and a cancel never took effect, so there is nothing to ask the venue about.
    False means the outcome is unknown (lost answer, 5xx, unreadable).
    """

    kind: str
    cloids: tuple[str, ...]
    error: str
    transient: bool
    not_acted: bool = False


class OrderStatusReport(Event, frozen=True, gc=False, kw_only=True):
    """Answer to an `orderStatus` info query (by oid or cloid).

    `status` is the venue's order status text, or "unknownOid" when the venue has never
    seen the order (then the order fields are zero / empty).
    """

    cloid: str | None
    oid: int | None
    status: str
    coin: str
    is_buy: bool
    limit_px: float
    size: float
    orig_size: float


class OpenOrder(msgspec.Struct, frozen=True, gc=False, kw_only=True):
    coin: str
    is_buy: bool
    limit_px: float
    size: float
    orig_size: float
    oid: int
    cloid: str | None
    timestamp_ns: int


class PositionSnapshot(msgspec.Struct, frozen=True, gc=False, kw_only=True):
    coin: str
    size: float  # signed, coin units (venue `szi`)
    entry_px: float
    unrealized_pnl: float
    margin_used: float


class AccountSnapshot(Event, frozen=True, gc=False, kw_only=True):
    """Reconciliation result: what the venue says we have after a (re)connect or restart.

    Built from `openOrders`/`frontendOpenOrders`, `clearinghouseState` and `userFills`
    queried with the ACCOUNT address (never the API wallet's). Trading waits for it.
    """

    user: str
    open_orders: tuple[OpenOrder, ...]
    positions: tuple[PositionSnapshot, ...]
    recent_fills: tuple[Fill, ...]
    account_value: float
    withdrawable: float


class ScheduleCancelAck(Event, frozen=True, gc=False, kw_only=True):
    """Answer to `scheduleCancel` (the venue-side dead man's switch)."""

    time_ms: int | None
    ok: bool
    error: str


class ControlCommand(Event, frozen=True, gc=False, kw_only=True):
    """An operator command from outside the engine (`hlofi kill`, `hlofi resume`)."""

    command: str
    reason: str


# ---------------------------------------------------------------- protocol


class PostResponse(Event, frozen=True, gc=False, kw_only=True):
    """Answer to a WebSocket `post` request, correlated by `request_id`.

    `kind` is "info", "action" or "error"; `payload` is the venue's JSON, untouched,
    because the gateway (not the codec) owns the meaning of exchange responses.
    """

    request_id: int
    kind: str
    payload: Any


class Pong(Event, frozen=True, gc=False, kw_only=True):
    """Answer to our `{"method": "ping"}`."""


class SubscriptionAck(Event, frozen=True, gc=False, kw_only=True):
    """`subscriptionResponse`: the venue confirmed a subscribe or unsubscribe."""

    method: str
    subscription: dict[str, Any]


class Greeting(Event, frozen=True, gc=False, kw_only=True):
    """The plain-text `Websocket connection established.` the server may send first."""


# ---------------------------------------------------------------- engine-internal


class Timer(Event, frozen=True, gc=False, kw_only=True):
    """A scheduled tick. Timers are events too: nothing on the hot path sleeps."""

    name: str


class FeedStatus(enum.StrEnum):
    UP = "up"
    DOWN = "down"
    STALE = "stale"
    RECOVERED = "recovered"


class FeedState(Event, frozen=True, gc=False, kw_only=True):
    """Connection or channel health. `channel` is "" for the whole connection (a venue's
    name for the stream, for people); `coin` is the coin the channel carries, "" for the
    connection and account channels, so consumers never parse a venue's channel names."""

    status: FeedStatus
    channel: str
    detail: str
    coin: str = ""


class Rejection(Event, frozen=True, gc=False, kw_only=True):
    """A frame the codec refused: counted, logged by the caller, never raised.

    `reason` is a short stable code (for metrics), `detail` a human sentence,
    `channel` the frame's channel when it could be read ("" otherwise).
    """

    reason: str
    detail: str
    channel: str


MarketEvent: TypeAlias = BookSnapshot | Bbo | Trades | AssetCtx
PrivateEvent: TypeAlias = OrderUpdate | UserFills | Funding | Liquidation | NonUserCancel
GatewayEvent: TypeAlias = (
    OrderAck | CancelAck | ActionFailed | OrderStatusReport | AccountSnapshot | ScheduleCancelAck
)
ProtocolEvent: TypeAlias = PostResponse | Pong | SubscriptionAck | Greeting
AnyEvent: TypeAlias = (
    MarketEvent | PrivateEvent | GatewayEvent | ProtocolEvent | Timer | FeedState | Rejection
    | ControlCommand
)
