"""The venue's error texts (the one source of truth) and what each one means for us.

The emulator produces its errors with the constants and formatters here, and the gateway
classifies the venue's answers with `classify`, so the two cannot drift apart.

Texts are from the venue's error table and live answers (HYPERLIQUID.md §3). Order-level
errors may end with " asset=<id>" (e.g. "Post only order would have immediately matched,
bbo was 0.56057@0.56086. asset=31"), and some carry numbers, so `classify` matches by
prefix: a longer variant of a known text still lands in the right class. The venue may
prefix any of them with "L1 error: ": classified the same as without it.

WebSocket `post` errors mirror the HTTP status and its description ("429 Too Many
Requests"); `classify_post_error` says what such an answer means for the request's fate:
not acted on (429, a whole-request refusal), acted on or not (5xx, a text we cannot read),
or refused for good (another 4xx).

Classes are split by what the caller must do (and say who is at fault):
- `SkipOrder`        the market or the account refused this order now; log, skip, go on.
- `ResyncState`      our view of orders/positions is stale; query the venue, then decide.
- `RetryWithBackoff` transient (rate limits, nonce collisions); retry later, fresh nonce.
- `OurBug`           we sent something wrong (tick, size, signature); stop that path, alert.
- `AccountAction`    the account must change first (deposit, volume for scheduleCancel);
                     use a fallback (client-side dead man's switch) or tell the operator.
- `UnknownVenueError` a text we do not know: treated as a skip, counted, logged verbatim.
"""

# The classes are named for the venue condition or the remedy (OurBug, PostOnlyWouldMatch);
# an "Error" suffix on each would add noise, the VenueError base already says it.
# ruff: noqa: N818

from __future__ import annotations

import enum
import re
from decimal import Decimal
from typing import ClassVar, Final

from hyperliquid_ofi_trader.errors import (
    OurBugError,
    RiskRejectedError,
    TraderError,
    TransientError,
    VenueGarbageError,
)

# ------------------------------------------------------------------ exact texts

TICK_SIZE: Final = "Price must be divisible by tick size."
MIN_VALUE_PREFIX: Final = "Order must have minimum value of $"
MIN_VALUE: Final = "Order must have minimum value of $10."
INSUFFICIENT_MARGIN: Final = "Insufficient margin to place order."
REDUCE_ONLY_INCREASE: Final = "Reduce only order would increase position."
POST_ONLY_MATCH_PREFIX: Final = "Post only order would have immediately matched"
IOC_NO_MATCH: Final = "Order could not immediately match against any resting orders."
ORDER_NOT_FOUND: Final = "Order was never placed, already canceled, or filled."
CANNOT_MODIFY: Final = "Cannot modify canceled or filled order"
INVALID_PRICE: Final = "Order has invalid price."
INVALID_SIZE: Final = "Order has invalid size."
ZERO_SIZE: Final = "Order has zero size."
PRICE_FAR_FROM_REFERENCE_PREFIX: Final = "Order price cannot be more than"
PRICE_FAR_FROM_ORACLE: Final = "Order price too far from oracle"
PRICE_FAR_FROM_ORACLE_SHORT: Final = "Price too far from oracle"
OPEN_INTEREST_CAPPED_PREFIX: Final = "Order would increase open interest"
OI_CAP_AGGRESSIVE_PREFIX: Final = "Order rejected due to price more aggressive than oracle"
NO_LIQUIDITY: Final = "No liquidity available for market order."
INVALID_LEVERAGE: Final = "Invalid leverage value"
INVALID_NONCE_PREFIX: Final = "Invalid nonce"
DUPLICATE_NONCE_PREFIX: Final = "Invalid nonce: duplicate nonce"
USER_NOT_FOUND_PREFIX: Final = "User or API Wallet "
USER_NOT_FOUND_SUFFIX: Final = " does not exist."
UNABLE_TO_RECOVER_SIGNER: Final = "Unable to recover signer."
MUST_DEPOSIT_PREFIX: Final = "Must deposit before performing actions."
CUMULATIVE_RATE_LIMIT_PREFIX: Final = "Too many cumulative requests sent"
SCHEDULE_CANCEL_VOLUME_PREFIX: Final = (
    "Cannot set scheduled cancel time until enough volume traded")
UNIFIED_ACCOUNT_DISABLED: Final = "Action disabled when unified account is active"
HTTP_TOO_MANY_REQUESTS: Final = 429
L1_ERROR_PREFIX: Final = "L1 error: "

_ASSET_SUFFIX: Final = re.compile(r" asset=(\d+)$")
# "429 Too Many Requests", "502 Bad Gateway", "500" (a post error mirroring an HTTP status).
_HTTP_STATUS_TEXT: Final = re.compile(r"\A\s*(?:HTTP\s*)?([1-5]\d\d)(?:\s|:|\Z)")
_HTTP_SERVER_ERROR: Final = 500
_NONCE_TOO_LOW: Final = re.compile(r"nonce too low \d+ < (\d+)")
_HTTP_CLIENT_ERROR: Final = 400

# ------------------------------------------------------------------ formatters


def _num(value: str | float | int | Decimal) -> str:
    """A number as the venue prints it (wire strings pass through): no exponent."""
    if isinstance(value, str):
        return value
    return f"{Decimal(repr(value)) if isinstance(value, float) else Decimal(value):f}"


def with_asset(text: str, asset: int | None) -> str:
    """Append the venue's " asset=<id>" suffix to an order-level error."""
    return text if asset is None else f"{text} asset={asset}"


def post_only_would_match(bbo_bid: str | float, bbo_ask: str | float,
                          asset: int | None = None) -> str:
    return with_asset(f"{POST_ONLY_MATCH_PREFIX}, bbo was {_num(bbo_bid)}@{_num(bbo_ask)}.",
                      asset)


def minimum_value(min_usd: int = 10, asset: int | None = None) -> str:
    return with_asset(f"{MIN_VALUE_PREFIX}{min_usd}.", asset)


def duplicate_nonce(nonce: int) -> str:
    return f"{DUPLICATE_NONCE_PREFIX} {nonce}"


def nonce_too_low(nonce: int, least: int) -> str:
    return f"{INVALID_NONCE_PREFIX}: nonce too low {nonce} < {least}"


def nonce_floor_in(text: str) -> int | None:
    """The venue's least acceptable nonce from a "nonce too low N < least" text, else None."""
    m = _NONCE_TOO_LOW.search(strip_l1_prefix(text))
    return int(m.group(1)) if m is not None else None


def is_duplicate_nonce(text: str) -> bool:
    return strip_l1_prefix(text).startswith(DUPLICATE_NONCE_PREFIX)


def user_does_not_exist(address: str) -> str:
    """What the venue says when a signature recovers to an address it does not know."""
    return f"{USER_NOT_FOUND_PREFIX}{address.lower()}{USER_NOT_FOUND_SUFFIX}"


def must_deposit(address: str) -> str:
    return f"{MUST_DEPOSIT_PREFIX} User: {address.lower()}"


def too_many_cumulative_requests(sent: int, allowed: int, volume_usd: float) -> str:
    return (f"{CUMULATIVE_RATE_LIMIT_PREFIX} ({sent} > {allowed}) for cumulative volume "
            f"traded ${volume_usd:.2f}. Place taker orders to free up 1 request per USDC "
            "traded.")


def schedule_cancel_needs_volume(required_usd: int = 1_000_000,
                                 traded_usd: float | None = None) -> str:
    text = f"{SCHEDULE_CANCEL_VOLUME_PREFIX}. Required: ${required_usd}."
    return text if traded_usd is None else f"{text} Traded: ${traded_usd:.2f}."


def strip_asset(text: str) -> tuple[str, int | None]:
    """(`text` without a trailing " asset=N", N or None)."""
    m = _ASSET_SUFFIX.search(text)
    return (text, None) if m is None else (text[:m.start()], int(m.group(1)))

# ------------------------------------------------------------------ classes


class Fault(enum.StrEnum):
    OURS = "ours"          # we sent something the venue's rules refuse
    MARKET = "market"      # the book moved / no liquidity / oracle bands
    ACCOUNT = "account"    # margin, deposits, traded volume
    STATE = "state"        # our picture of orders or positions is stale
    VENUE = "venue"        # limits and transient conditions on the venue's side
    UNKNOWN = "unknown"


class Remedy(enum.StrEnum):
    SKIP = "skip"
    RESYNC = "resync"
    RETRY_BACKOFF = "retry_backoff"
    FAIL_FAST = "fail_fast"
    FALLBACK = "fallback"


class VenueError(TraderError):
    """A refusal from the venue. `text` is the venue's words, verbatim."""

    fault: ClassVar[Fault] = Fault.UNKNOWN
    remedy: ClassVar[Remedy] = Remedy.SKIP
    transient: ClassVar[bool] = False

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.text = text

    @classmethod
    def from_text(cls, text: str) -> VenueError:
        """An instance of the class `text` classifies to."""
        return classify(text)(text)


class SkipOrder(VenueError, RiskRejectedError):
    fault = Fault.MARKET
    remedy = Remedy.SKIP


class PostOnlyWouldMatch(SkipOrder):
    pass


class IocCouldNotMatch(SkipOrder):
    pass


class NoLiquidity(SkipOrder):
    pass


class PriceOutsideBand(SkipOrder):
    """Too far from the oracle or reference price."""


class OpenInterestCapped(SkipOrder):
    pass


class InsufficientMargin(SkipOrder):
    fault = Fault.ACCOUNT


class ResyncState(VenueError, VenueGarbageError):
    fault = Fault.STATE
    remedy = Remedy.RESYNC


class OrderNotFound(ResyncState):
    """Never placed, already canceled, or filled: ask the venue which."""


class CannotModify(ResyncState):
    pass


class ReduceOnlyWouldIncrease(ResyncState):
    """Our position view says this reduces; the venue's says it grows: refetch positions."""


class RetryWithBackoff(VenueError, TransientError):
    fault = Fault.VENUE
    remedy = Remedy.RETRY_BACKOFF
    transient = True


class RateLimited(RetryWithBackoff):
    """The address's cumulative request budget is spent (1 request per USDC traded)."""


class IpRateLimited(RetryWithBackoff):
    """HTTP 429: the IP's weight budget (1200/min) is spent."""


class NonceRejected(RetryWithBackoff):
    """Duplicate or out-of-window nonce: re-sign with a fresh nonce. Repeated ones are a
    bug (two counters for one signer, or a badly wrong host clock)."""


class OurBug(VenueError, OurBugError):
    fault = Fault.OURS
    remedy = Remedy.FAIL_FAST


class TickSizeViolation(OurBug):
    pass


class InvalidPrice(OurBug):
    pass


class InvalidSize(OurBug):
    pass


class BelowMinimumValue(OurBug):
    """The router must size every order to at least $10 at its limit price."""


class InvalidLeverage(OurBug):
    pass


class SignerMismatch(OurBug):
    """The signature recovered to an unknown address: a hashing/formatting bug, or an API
    wallet that is not (or no longer) approved for the account."""


class AccountAction(VenueError, OurBugError):
    fault = Fault.ACCOUNT
    remedy = Remedy.FALLBACK


class MustDeposit(AccountAction):
    pass


class ScheduleCancelRefused(AccountAction):
    """Not enough traded volume for scheduleCancel: use the client-side dead man's switch."""


class ActionDisabled(AccountAction):
    pass


class UnknownVenueError(VenueError, VenueGarbageError):
    """A text not in this table: skip, count, and log it verbatim so it can be added."""

# ------------------------------------------------------------------ classification


# Ordered: more specific prefixes before the general ones they start with.
_PREFIXES: Final[tuple[tuple[str, type[VenueError]], ...]] = (
    (POST_ONLY_MATCH_PREFIX, PostOnlyWouldMatch),
    (IOC_NO_MATCH, IocCouldNotMatch),
    (NO_LIQUIDITY, NoLiquidity),
    (INSUFFICIENT_MARGIN, InsufficientMargin),
    (PRICE_FAR_FROM_REFERENCE_PREFIX, PriceOutsideBand),
    (PRICE_FAR_FROM_ORACLE, PriceOutsideBand),
    (PRICE_FAR_FROM_ORACLE_SHORT, PriceOutsideBand),
    (OPEN_INTEREST_CAPPED_PREFIX, OpenInterestCapped),
    (OI_CAP_AGGRESSIVE_PREFIX, OpenInterestCapped),
    (ORDER_NOT_FOUND, OrderNotFound),
    (CANNOT_MODIFY, CannotModify),
    (REDUCE_ONLY_INCREASE, ReduceOnlyWouldIncrease),
    (CUMULATIVE_RATE_LIMIT_PREFIX, RateLimited),
    (INVALID_NONCE_PREFIX, NonceRejected),
    (TICK_SIZE, TickSizeViolation),
    (INVALID_PRICE, InvalidPrice),
    (INVALID_SIZE, InvalidSize),
    (ZERO_SIZE, InvalidSize),
    (MIN_VALUE_PREFIX, BelowMinimumValue),
    (INVALID_LEVERAGE, InvalidLeverage),
    (USER_NOT_FOUND_PREFIX, SignerMismatch),
    (UNABLE_TO_RECOVER_SIGNER, SignerMismatch),
    (MUST_DEPOSIT_PREFIX, MustDeposit),
    (SCHEDULE_CANCEL_VOLUME_PREFIX, ScheduleCancelRefused),
    (UNIFIED_ACCOUNT_DISABLED, ActionDisabled),
)


def strip_l1_prefix(text: str) -> str:
    """`text` without the venue's "L1 error: " prefix (repeated ones included)."""
    while text.startswith(L1_ERROR_PREFIX):
        text = text[len(L1_ERROR_PREFIX):]
    return text


def classify(text: str) -> type[VenueError]:
    """The class for a venue error text (order-level or whole-request), with or without
    the "L1 error: " prefix."""
    if isinstance(text, str):
        text = strip_l1_prefix(text.lstrip())
        for prefix, cls in _PREFIXES:
            if text.startswith(prefix):
                return cls
        if http_status_of(text) == HTTP_TOO_MANY_REQUESTS:  # "429 Too Many Requests"
            return IpRateLimited
    return UnknownVenueError


def classify_http(status: int) -> type[VenueError] | None:
    """The class for an HTTP status with no usable body (429), else None."""
    return IpRateLimited if status == HTTP_TOO_MANY_REQUESTS else None


class PostFate(enum.StrEnum):
    """What a WebSocket `post` error answer says about the request it answers."""

    NOT_ACTED = "not_acted"  # refused before processing (429, rate limits): never placed
    UNKNOWN = "unknown"      # 5xx or unreadable: the venue may have acted; ask by cloid
    REFUSED = "refused"      # a final refusal of the request (4xx, a known venue text)


def http_status_of(text: str) -> int | None:
    """The HTTP status a post error text mirrors ("429 Too Many Requests" -> 429)."""
    m = _HTTP_STATUS_TEXT.match(text)
    return int(m.group(1)) if m is not None else None


def classify_post_error(payload: object) -> tuple[PostFate, type[VenueError]]:
    """The fate of a request the venue answered with a post `error`, and the error class.

    - "429 ..." or a rate-limit text: not acted on, retry later on the backed-off budget;
    - "5xx ...", a non-text payload or a text we do not know: the outcome is unknown;
    - another status ("400 Bad Request") or a known venue text: refused, not acted on.
    """
    if not isinstance(payload, str):
        return PostFate.UNKNOWN, UnknownVenueError
    status = http_status_of(payload)
    if status is not None:
        if status == HTTP_TOO_MANY_REQUESTS:
            return PostFate.NOT_ACTED, IpRateLimited
        if status >= _HTTP_SERVER_ERROR or status < _HTTP_CLIENT_ERROR:
            return PostFate.UNKNOWN, UnknownVenueError
        return PostFate.REFUSED, UnknownVenueError
    cls = classify(payload)
    if cls is UnknownVenueError:
        return PostFate.UNKNOWN, cls
    if issubclass(cls, RetryWithBackoff):
        return PostFate.NOT_ACTED, cls
    return PostFate.REFUSED, cls
