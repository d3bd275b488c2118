"""The venue's answer texts as the emulator produces them.

The texts themselves come from `venues/hyperliquid/common/errors.py`, the one source of truth the
gateway classifies with, so the emulator and the gateway cannot drift apart. This module
only formats them with the request's values (asset, nonce, bbo, addresses). The few
answers that table does not list (marked EMULATOR below) are the emulator's own words for
conditions the venue also refuses; `venue_errors.classify` sees them as unknown texts.
"""

from __future__ import annotations

from typing import Final

from hyperliquid_ofi_trader.venues.hyperliquid.common import errors as ve

DESERIALIZE: Final = "Failed to deserialize the JSON body into the target type"
UNKNOWN_INFO: Final = f"{DESERIALIZE}: unknown info type"
IP_RATE_LIMIT: Final = "Too many requests from this IP: over 1200 weight per minute."
UNABLE_TO_RECOVER_SIGNER: Final = ve.UNABLE_TO_RECOVER_SIGNER
MODIFY_MISSING: Final = ve.CANNOT_MODIFY
INVALID_LEVERAGE: Final = ve.INVALID_LEVERAGE
# EMULATOR: the table has no exact text for these two scheduleCancel refusals.
SCHEDULE_TOO_EARLY: Final = "Scheduled cancel time must be at least 5 seconds in the future."
SCHEDULE_TOO_MANY: Final = "Too many scheduled cancel triggers today."


def unknown_user(address: str) -> str:
    return ve.user_does_not_exist(address)


def tick(asset: int) -> str:
    return ve.with_asset(ve.TICK_SIZE, asset)


def min_value(min_usd: float, asset: int) -> str:
    return ve.minimum_value(int(min_usd), asset)  # the venue prints whole dollars


def margin(asset: int) -> str:
    return ve.with_asset(ve.INSUFFICIENT_MARGIN, asset)


def reduce_only(asset: int) -> str:
    return ve.with_asset(ve.REDUCE_ONLY_INCREASE, asset)


def post_only(bid: str, ask: str, asset: int) -> str:
    return ve.post_only_would_match(bid, ask, asset)


def ioc_no_match(asset: int) -> str:
    return ve.with_asset(ve.IOC_NO_MATCH, asset)


def cancel_missing(asset: int) -> str:
    return ve.with_asset(ve.ORDER_NOT_FOUND, asset)


def invalid_size(asset: int) -> str:
    return ve.with_asset(ve.INVALID_SIZE, asset)


def zero_size(asset: int) -> str:
    return ve.with_asset(ve.ZERO_SIZE, asset)


def invalid_price(asset: int) -> str:
    return ve.with_asset(ve.INVALID_PRICE, asset)


def nonce_duplicate(nonce: int) -> str:
    return ve.duplicate_nonce(nonce)


def nonce_too_low(nonce: int, smallest: int) -> str:
    return ve.nonce_too_low(nonce, smallest)


def nonce_window(nonce: int, low_ms: int, high_ms: int) -> str:
    # EMULATOR wording after the venue's "Invalid nonce" prefix (classified as a nonce error)
    return (f"{ve.INVALID_NONCE_PREFIX}: nonce {nonce} outside the allowed window "
            f"({low_ms}, {high_ms})")


def schedule_volume(required: float, traded: float) -> str:
    return ve.schedule_cancel_needs_volume(int(required), traded)


def address_rate_limit(used: int, cap: int, volume: float) -> str:
    return ve.too_many_cumulative_requests(used, cap, volume)


# ---------------------------------------------------------------- EMULATOR-only wording

def _asset(text: str, asset: int) -> str:
    return ve.with_asset(text, asset)


def unknown_asset(asset: int) -> str:
    return f"Invalid asset: {asset}"


def too_many_open_orders(asset: int) -> str:
    return _asset("Too many open orders.", asset)


def expired(expires_after: int) -> str:
    return f"Action expired: expiresAfter {expires_after} has passed."


def vault_unsupported(address: str) -> str:
    return f"Vault {address.lower()} is not supported by the emulator."


def trigger_unsupported(asset: int) -> str:
    return _asset("Trigger orders are not supported by the emulator.", asset)


def duplicate_cloid(asset: int) -> str:
    return _asset("Order has duplicate cloid.", asset)
