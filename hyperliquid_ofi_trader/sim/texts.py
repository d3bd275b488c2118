"""The venue's answer texts as the emulator produces them.

Single source of truth for the texts themselves is `execution/venue_errors.py` (the
gateway classifies with the same constants); this module only formats them with the
request's values (asset, nonce, bbo, addresses), so the emulator and the gateway can
never drift apart.
"""

from __future__ import annotations

DESERIALIZE = "Failed to deserialize the JSON body into the target type"


def unknown_user(address: str) -> str:
    return f"User or API Wallet {address} does not exist."


def _asset(text: str, asset: int) -> str:
    return f"{text} asset={asset}"


def tick(asset: int) -> str:
    return _asset("Price must be divisible by tick size.", asset)


def min_value(asset: int) -> str:
    return _asset("Order must have minimum value of $10.", asset)


def margin(asset: int) -> str:
    return _asset("Insufficient margin to place order.", asset)


def reduce_only(asset: int) -> str:
    return _asset("Reduce only order would increase position.", asset)


def post_only(bid: str, ask: str, asset: int) -> str:
    return _asset(f"Post only order would have immediately matched, bbo was {bid}@{ask}.", asset)


def ioc_no_match(asset: int) -> str:
    return _asset("Order could not immediately match against any resting orders.", asset)


def cancel_missing(asset: int) -> str:
    return _asset("Order was never placed, already canceled, or filled.", asset)


def invalid_size(asset: int) -> str:
    return _asset("Order has invalid size.", asset)


def invalid_price(asset: int) -> str:
    return _asset("Order has invalid price.", asset)


def unknown_asset(asset: int) -> str:
    return f"Invalid asset: {asset}"


def too_many_open_orders(asset: int) -> str:
    return _asset("Too many open orders.", asset)


MODIFY_MISSING = "Cannot modify canceled or filled order"


def nonce_duplicate(nonce: int) -> str:
    return f"Invalid nonce: duplicate nonce {nonce}"


def nonce_too_low(nonce: int, smallest: int) -> str:
    return f"Invalid nonce: nonce {nonce} is lower than the smallest kept nonce {smallest}"


def nonce_window(nonce: int) -> str:
    return f"Invalid nonce: nonce {nonce} is not within the allowed time window"


def expired(expires_after: int) -> str:
    return f"Action expired at {expires_after}"


def vault_unsupported(address: str) -> str:
    return f"Vault not registered: {address}"


def schedule_volume(required: float, traded: float) -> str:
    return ("Cannot set scheduled cancel time until enough volume traded. "
            f"Required: ${required:.0f}. Traded: ${traded:.2f}.")


SCHEDULE_TOO_EARLY = "Scheduled cancel time too early, must be at least 5 seconds from now."
SCHEDULE_TOO_MANY = "Too many scheduled cancel triggers today."


def invalid_leverage(asset: int) -> str:
    return _asset("Invalid leverage value.", asset)


def address_rate_limit(used: int, cap: int, volume: float) -> str:
    return (f"Too many cumulative requests sent ({used} > {cap}) for cumulative volume "
            f"traded ${volume:.2f}. Place taker orders to free up rate limits.")


IP_RATE_LIMIT = "Too many requests from this IP. Please slow down."
UNKNOWN_INFO = "Failed to deserialize the JSON body into the target type: unknown info type"


def trigger_unsupported(asset: int) -> str:
    return _asset("Trigger orders are not supported by the emulator.", asset)


def duplicate_cloid(asset: int) -> str:
    return _asset("Order has duplicate cloid.", asset)
