"""One emulated WebSocket connection, sans-I/O: client text in, typed requests out.

`WsSession.receive(text, now_ns)` parses a client message, applies the venue's per-IP
limits (`IpBudget`, shared by every session of one IP) and returns what the server must
do: send an ack / error / pong frame, answer a post, or nothing. The session owns its
subscription set; the server owns sockets, fan-out and the venue.

Venue behaviour reproduced (HYPERLIQUID.md section 2), and choices where it is vague:
- subscribe / unsubscribe acks: `{"channel":"subscriptionResponse","data":{"method":..,
  "subscription":<echo>}}`; the l2Book echo carries `nSigFigs` and `mantissa` as null when
  absent, as the venue's does. A repeated subscribe gets `Already subscribed: <json>`, an
  unsubscribe of nothing `Already unsubscribed: <json>` (error frames).
- limits per IP, error texts as the venue sends them: 1000 subscriptions ("Cannot subscribe
  to more than 1000 channels."), 10 distinct users in user subscriptions ("Cannot track more
  than 10 total users."), 2000 messages a minute ("Cannot send more than 2000 messages per
  minute.": the message is dropped, the connection stays open; the venue's exact reaction is
  not documented), 100 posts in flight ("too many pending post requests id=N": that post is
  not executed). Connection limits (10 open, 30 new a minute) are checked at the handshake
  by `IpBudget.admit` and answered with HTTP 429.
- `allMids` (main dex only) is served; its frames are `{"mids": {coin: mid}}`.
- Error frames for a subscription the emulator refuses echo the request, as the venue's do,
  so a client can match the error to its pending subscribe instead of waiting for a
  timeout: a malformed coin/user is `Invalid subscription <subscription json>`; an unknown
  type is the venue's `Error parsing JSON into valid websocket request: <request json>`;
  a venue type the emulator does not serve, and l2Book aggregation (`nSigFigs` other than
  null/5, `mantissa`), are said so, followed by the request json.
"""

from __future__ import annotations

import enum
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any, Final, TypeAlias

import orjson

from hyperliquid_ofi_trader.errors import OurBugError

GREETING: Final = "Websocket connection established."
_MINUTE_NS: Final = 60_000_000_000
_ADDRESS_LEN: Final = 42
_COIN_TYPES: Final = frozenset({"l2Book", "bbo", "trades", "activeAssetCtx"})
ALL_MIDS_ROUTE: Final = ("allMids", "", 0)
# types the venue serves and the emulator does not (the TypeScript SDK's list)
_VENUE_ONLY_TYPES: Final = frozenset({
    "activeAssetData", "activeSpotAssetCtx", "allDexsAssetCtxs", "allDexsClearinghouseState",
    "assetCtxs", "candle", "clearinghouseState", "fastAssetCtxs", "notification",
    "openOrders", "outcomeMetaUpdates", "spotAssetCtxs", "spotState", "twapStates",
    "userFundings", "userHistoricalOrders", "userNonFundingLedgerUpdates", "userTwapHistory",
    "userTwapSliceFills", "webData2", "webData3",
})
_PARSE_ERROR: Final = "Error parsing JSON into valid websocket request"
# subscription type -> the channel its frames arrive on
_USER_CHANNELS: Final[Mapping[str, str]] = {
    "orderUpdates": "orderUpdates", "userFills": "userFills", "userEvents": "user",
}

# (channel, key, variant): key is the coin or the lowercase user; variant is the l2Book depth
RouteKey: TypeAlias = tuple[str, str, int]


@dataclass(frozen=True, slots=True)
class WsLimits:
    """The venue's per-IP WebSocket limits (tests shrink them)."""

    max_connections: int = 10
    new_connections_per_minute: int = 30
    max_subscriptions: int = 1000
    max_users: int = 10
    messages_per_minute: int = 2000
    max_inflight_posts: int = 100
    l2_levels: int = 20
    fast_levels: int = 5


@dataclass(slots=True)
class IpBudget:
    """What one IP holds across its connections."""

    limits: WsLimits
    connections: int = 0
    connects: deque[int] = field(default_factory=deque)
    messages: deque[int] = field(default_factory=deque)
    subscriptions: int = 0
    users: dict[str, int] = field(default_factory=dict)  # user -> subscriptions naming it
    inflight_posts: int = 0

    def admit(self, now_ns: int) -> str | None:
        """Count a new connection, or return why it is refused (nothing counted then)."""
        _expire(self.connects, now_ns)
        if self.connections >= self.limits.max_connections:
            return f"Cannot open more than {self.limits.max_connections} connections."
        if len(self.connects) >= self.limits.new_connections_per_minute:
            return (f"Cannot open more than {self.limits.new_connections_per_minute} "
                    "new connections per minute.")
        self.connects.append(now_ns)
        self.connections += 1
        return None

    def count_message(self, now_ns: int) -> bool:
        _expire(self.messages, now_ns)
        if len(self.messages) >= self.limits.messages_per_minute:
            return False
        self.messages.append(now_ns)
        return True


def _expire(times: deque[int], now_ns: int) -> None:
    while times and times[0] <= now_ns - _MINUTE_NS:
        times.popleft()


class IpLedger:
    """Budgets per client IP."""

    __slots__ = ("_budgets", "limits")

    def __init__(self, limits: WsLimits) -> None:
        self.limits = limits
        self._budgets: dict[str, IpBudget] = {}

    def budget(self, ip: str) -> IpBudget:
        found = self._budgets.get(ip)
        if found is None:
            found = self._budgets[ip] = IpBudget(self.limits)
        return found


@dataclass(frozen=True, slots=True)
class Subscription:
    """A validated subscription: where its frames are routed and the echo for the ack."""

    type: str
    route: RouteKey
    user: str | None
    echo: dict[str, Any]


class SubscriptionError(OurBugError, ValueError):
    """The client asked for something the emulator does not serve. `str()` is the error
    frame's text when it already echoes the subscription; otherwise (`echo_request`) the
    session appends the whole request."""

    def __init__(self, text: str, *, echo_request: bool = False) -> None:
        super().__init__(text)
        self.echo_request = echo_request

    def frame_text(self, method: str, raw: Any) -> str:
        if not self.echo_request:
            return str(self)
        return f"{self}: {_dump({'method': method, 'subscription': raw})}"


def parse_subscription(raw: Any) -> Subscription:
    if not isinstance(raw, dict) or not isinstance(raw.get("type"), str):
        raise SubscriptionError(_PARSE_ERROR, echo_request=True)
    kind = raw["type"]
    if kind in _COIN_TYPES:
        return _coin_subscription(kind, raw)
    if kind in _USER_CHANNELS:
        return _user_subscription(kind, raw)
    if kind == "allMids":
        return _all_mids_subscription(raw)
    if kind in _VENUE_ONLY_TYPES:
        raise SubscriptionError(f"Subscription type {kind} is not supported by the emulator",
                                echo_request=True)
    raise SubscriptionError(_PARSE_ERROR, echo_request=True)


def _all_mids_subscription(raw: dict[str, Any]) -> Subscription:
    if raw.get("dex") not in (None, ""):
        raise SubscriptionError("Only the main dex is emulated", echo_request=True)
    return Subscription("allMids", ALL_MIDS_ROUTE, None, dict(raw))


def _coin_subscription(kind: str, raw: dict[str, Any]) -> Subscription:
    coin = raw.get("coin")
    if not isinstance(coin, str) or not coin:
        raise SubscriptionError(f"Invalid subscription {_dump(raw)}")
    variant = 0
    echo = dict(raw)
    if kind == "l2Book":
        variant = _l2_variant(raw)
        echo = {"type": "l2Book", "coin": coin, "nSigFigs": raw.get("nSigFigs"),
                "mantissa": raw.get("mantissa"), **{k: v for k, v in raw.items()
                                                    if k not in ("type", "coin")}}
    return Subscription(kind, (kind, coin, variant), None, echo)


def _l2_variant(raw: dict[str, Any]) -> int:
    sig, mantissa, fast = raw.get("nSigFigs"), raw.get("mantissa"), raw.get("fast", False)
    if sig not in (None, 5) or mantissa is not None:
        raise SubscriptionError("l2Book aggregation (nSigFigs < 5, mantissa) is not emulated",
                                echo_request=True)
    if not isinstance(fast, bool):
        raise SubscriptionError(f"Invalid subscription {_dump(raw)}")
    return 1 if fast else 0


def _user_subscription(kind: str, raw: dict[str, Any]) -> Subscription:
    user = raw.get("user")
    if not isinstance(user, str) or len(user) != _ADDRESS_LEN or not user.startswith("0x"):
        raise SubscriptionError(f"Invalid subscription {_dump(raw)}")
    lowered = user.lower()
    return Subscription(kind, (_USER_CHANNELS[kind], lowered, 0), lowered, dict(raw))


def _dump(obj: Any) -> str:
    try:
        return orjson.dumps(obj).decode()
    except TypeError:
        return repr(obj)


# ---------------------------------------------------------------- what the server must do


class ReplyKind(enum.Enum):
    SEND = "send"  # send `frame` (a dict) to this client
    SUBSCRIBED = "subscribed"  # ack in `frame`; then send the subscription's first data
    UNSUBSCRIBED = "unsubscribed"  # ack in `frame`; stop routing `subscription` here
    POST = "post"  # execute `post_kind` with `payload`, answer request `post_id`
    NOTHING = "nothing"


@dataclass(frozen=True, slots=True)
class Reply:
    kind: ReplyKind
    frame: dict[str, Any] | None = None
    subscription: Subscription | None = None
    post_id: int = 0
    post_kind: str = ""
    payload: Any = None


NOTHING: Final = Reply(ReplyKind.NOTHING)
PONG: Final = Reply(ReplyKind.SEND, {"channel": "pong"})


def error_frame(text: str) -> dict[str, Any]:
    return {"channel": "error", "data": text}


def _error(text: str) -> Reply:
    return Reply(ReplyKind.SEND, error_frame(text))


class WsSession:
    """Subscription state and request parsing for one connection."""

    __slots__ = ("budget", "counters", "ip", "last_receive_ns", "subscriptions")

    def __init__(self, ip: str, budget: IpBudget, now_ns: int) -> None:
        self.ip = ip
        self.budget = budget
        self.last_receive_ns = now_ns
        self.subscriptions: dict[RouteKey, Subscription] = {}
        self.counters: dict[str, int] = {"messages": 0, "errors": 0, "posts": 0}

    def receive(self, text: str, now_ns: int) -> Reply:
        """One client text message → what to do. Never raises on client input."""
        self.last_receive_ns = now_ns
        self.counters["messages"] += 1
        if not self.budget.count_message(now_ns):
            return self._err(f"Cannot send more than {self.budget.limits.messages_per_minute}"
                             " messages per minute.")
        try:
            msg = orjson.loads(text)
        except orjson.JSONDecodeError:
            return self._err(f"Error parsing JSON into valid websocket request: {text[:200]}")
        method = msg.get("method") if isinstance(msg, dict) else None
        if method == "ping":
            return PONG
        if method == "subscribe":
            return self._subscribe(msg.get("subscription"))
        if method == "unsubscribe":
            return self._unsubscribe(msg.get("subscription"))
        if method == "post":
            return self._post(msg)
        return self._err(f"Error parsing JSON into valid websocket request: {text[:200]}")

    def _err(self, text: str) -> Reply:
        self.counters["errors"] += 1
        return _error(text)

    def _subscribe(self, raw: Any) -> Reply:
        try:
            sub = parse_subscription(raw)
        except SubscriptionError as exc:
            return self._err(exc.frame_text("subscribe", raw))
        if sub.route in self.subscriptions:
            return self._err(f"Already subscribed: {_dump(raw)}")
        refused = self._take_room(sub)
        if refused:
            return self._err(refused)
        self.subscriptions[sub.route] = sub
        return Reply(ReplyKind.SUBSCRIBED, _ack("subscribe", sub), sub)

    def _take_room(self, sub: Subscription) -> str | None:
        budget, limits = self.budget, self.budget.limits
        if budget.subscriptions >= limits.max_subscriptions:
            return f"Cannot subscribe to more than {limits.max_subscriptions} channels."
        if sub.user is not None:
            if sub.user not in budget.users and len(budget.users) >= limits.max_users:
                return f"Cannot track more than {limits.max_users} total users."
            budget.users[sub.user] = budget.users.get(sub.user, 0) + 1
        budget.subscriptions += 1
        return None

    def _unsubscribe(self, raw: Any) -> Reply:
        try:
            sub = parse_subscription(raw)
        except SubscriptionError as exc:
            return self._err(exc.frame_text("unsubscribe", raw))
        if self.subscriptions.pop(sub.route, None) is None:
            return self._err(f"Already unsubscribed: {_dump(raw)}")
        self._give_back(sub)
        return Reply(ReplyKind.UNSUBSCRIBED, _ack("unsubscribe", sub), sub)

    def _give_back(self, sub: Subscription) -> None:
        budget = self.budget
        budget.subscriptions -= 1
        if sub.user is not None:
            left = budget.users.get(sub.user, 1) - 1
            if left > 0:
                budget.users[sub.user] = left
            else:
                budget.users.pop(sub.user, None)

    def _post(self, msg: dict[str, Any]) -> Reply:
        post_id, request = msg.get("id"), msg.get("request")
        if not isinstance(post_id, int) or isinstance(post_id, bool) or not isinstance(
                request, dict) or request.get("type") not in ("info", "action"):
            return self._err(f"Invalid post request: {_dump(msg)[:200]}")
        if self.budget.inflight_posts >= self.budget.limits.max_inflight_posts:
            return self._err(f"too many pending post requests id={post_id}")
        self.budget.inflight_posts += 1
        self.counters["posts"] += 1
        return Reply(ReplyKind.POST, post_id=post_id, post_kind=str(request["type"]),
                     payload=request.get("payload"))

    def post_done(self) -> None:
        """The answer to one post left (or was dropped by a fault): free its slot."""
        self.budget.inflight_posts = max(0, self.budget.inflight_posts - 1)

    def close(self) -> None:
        """Give the IP budget back everything this connection held."""
        for sub in self.subscriptions.values():
            self._give_back(sub)
        self.subscriptions.clear()
        self.budget.connections = max(0, self.budget.connections - 1)


def _ack(method: str, sub: Subscription) -> dict[str, Any]:
    return {"channel": "subscriptionResponse",
            "data": {"method": method, "subscription": sub.echo}}


def post_error_payload(status: int, answer: Any) -> Any:
    """A post error mirrors the HTTP status and its description ("429 Too Many Requests",
    "502 Bad Gateway") for rate limits and server errors; other refusals keep the venue's
    text. A non-text `answer` to a server error is sent as it is (a garbled payload)."""
    if status == HTTPStatus.TOO_MANY_REQUESTS or status >= HTTPStatus.INTERNAL_SERVER_ERROR:
        if not isinstance(answer, str) and status >= HTTPStatus.INTERNAL_SERVER_ERROR:
            return answer
        try:
            return f"{status} {HTTPStatus(status).phrase}"
        except ValueError:
            return f"{status} Server Error"
    return answer if isinstance(answer, str) else _dump(answer)


def post_frame(post_id: int, kind: str, payload: Any) -> dict[str, Any]:
    return {"channel": "post", "data": {"id": post_id,
                                        "response": {"type": kind, "payload": payload}}}
