"""Venue error texts: exact wording, formatters the emulator uses, classification."""

from __future__ import annotations

import pytest

from hyperliquid_ofi_trader.venues.hyperliquid.common import errors as ve


@pytest.mark.parametrize(("text", "cls"), [
    ("Price must be divisible by tick size.", ve.TickSizeViolation),
    ("Price must be divisible by tick size. asset=0", ve.TickSizeViolation),
    ("Order must have minimum value of $10.", ve.BelowMinimumValue),
    ("Order must have minimum value of $10. asset=4", ve.BelowMinimumValue),
    ("Insufficient margin to place order.", ve.InsufficientMargin),
    ("Reduce only order would increase position.", ve.ReduceOnlyWouldIncrease),
    ("Post only order would have immediately matched, bbo was 0.56057@0.56086. asset=31",
     ve.PostOnlyWouldMatch),
    ("Order could not immediately match against any resting orders.", ve.IocCouldNotMatch),
    ("Order was never placed, already canceled, or filled.", ve.OrderNotFound),
    ("Order was never placed, already canceled, or filled. asset=1", ve.OrderNotFound),
    ("Invalid nonce: duplicate nonce 1700000000000", ve.NonceRejected),
    ("Invalid nonce: nonce too low 5 < 9", ve.NonceRejected),
    ("User or API Wallet 0x1234567890abcdef1234567890abcdef12345678 does not exist.",
     ve.SignerMismatch),
    ("Unable to recover signer.", ve.SignerMismatch),
    ("Too many cumulative requests sent (14295 > 14294) for cumulative volume traded "
     "$4295.52. Place taker orders to free up 1 request per USDC traded.", ve.RateLimited),
    ("Cannot set scheduled cancel time until enough volume traded. Required: $1000000.",
     ve.ScheduleCancelRefused),
    ("Must deposit before performing actions. User: 0xabc", ve.MustDeposit),
    ("Order has invalid size.", ve.InvalidSize),
    ("Order has zero size. asset=2", ve.InvalidSize),
    ("Order price cannot be more than 80% away from the reference price", ve.PriceOutsideBand),
    ("Price too far from oracle asset=4", ve.PriceOutsideBand),
    ("Cannot modify canceled or filled order", ve.CannotModify),
    ("Invalid leverage value", ve.InvalidLeverage),
    ("Something brand new", ve.UnknownVenueError),
    ("", ve.UnknownVenueError),
])
def test_classify(text: str, cls: type[ve.VenueError]) -> None:
    assert ve.classify(text) is cls


def test_classify_non_text_is_unknown() -> None:
    assert ve.classify(None) is ve.UnknownVenueError  # type: ignore[arg-type]


@pytest.mark.parametrize(("cls", "remedy", "fault", "transient"), [
    (ve.PostOnlyWouldMatch, ve.Remedy.SKIP, ve.Fault.MARKET, False),
    (ve.InsufficientMargin, ve.Remedy.SKIP, ve.Fault.ACCOUNT, False),
    (ve.OrderNotFound, ve.Remedy.RESYNC, ve.Fault.STATE, False),
    (ve.ReduceOnlyWouldIncrease, ve.Remedy.RESYNC, ve.Fault.STATE, False),
    (ve.RateLimited, ve.Remedy.RETRY_BACKOFF, ve.Fault.VENUE, True),
    (ve.NonceRejected, ve.Remedy.RETRY_BACKOFF, ve.Fault.VENUE, True),
    (ve.TickSizeViolation, ve.Remedy.FAIL_FAST, ve.Fault.OURS, False),
    (ve.SignerMismatch, ve.Remedy.FAIL_FAST, ve.Fault.OURS, False),
    (ve.ScheduleCancelRefused, ve.Remedy.FALLBACK, ve.Fault.ACCOUNT, False),
    (ve.UnknownVenueError, ve.Remedy.SKIP, ve.Fault.UNKNOWN, False),
])
def test_each_class_says_who_is_at_fault_and_what_to_do(
        cls: type[ve.VenueError], remedy: ve.Remedy, fault: ve.Fault, transient: bool) -> None:
    assert (cls.remedy, cls.fault, cls.transient) == (remedy, fault, transient)


def test_formatters_produce_the_venue_texts() -> None:
    assert (ve.post_only_would_match("0.56057", "0.56086", 31)
            == "Post only order would have immediately matched, bbo was 0.56057@0.56086. "
               "asset=31")
    assert (ve.post_only_would_match(105000.0, 105001.0)
            == "Post only order would have immediately matched, bbo was 105000.0@105001.0.")
    assert ve.minimum_value() == ve.MIN_VALUE
    assert ve.duplicate_nonce(1700000000000) == "Invalid nonce: duplicate nonce 1700000000000"
    addr = "0xABCDEF0000000000000000000000000000000001"
    assert ve.user_does_not_exist(addr) == f"User or API Wallet {addr.lower()} does not exist."
    assert ve.too_many_cumulative_requests(14295, 14294, 4295.52) == (
        "Too many cumulative requests sent (14295 > 14294) for cumulative volume traded "
        "$4295.52. Place taker orders to free up 1 request per USDC traded.")
    assert ve.schedule_cancel_needs_volume() == (
        "Cannot set scheduled cancel time until enough volume traded. Required: $1000000.")


def test_every_formatter_classifies_back_to_its_class() -> None:
    pairs = [
        (ve.post_only_would_match(1.5, 1.6, 3), ve.PostOnlyWouldMatch),
        (ve.minimum_value(asset=2), ve.BelowMinimumValue),
        (ve.duplicate_nonce(5), ve.NonceRejected),
        (ve.nonce_too_low(5, 7), ve.NonceRejected),
        (ve.user_does_not_exist("0x" + "1" * 40), ve.SignerMismatch),
        (ve.must_deposit("0x" + "2" * 40), ve.MustDeposit),
        (ve.too_many_cumulative_requests(2, 1, 0.0), ve.RateLimited),
        (ve.schedule_cancel_needs_volume(traded_usd=12.5), ve.ScheduleCancelRefused),
        (ve.with_asset(ve.IOC_NO_MATCH, 0), ve.IocCouldNotMatch),
        (ve.with_asset(ve.TICK_SIZE, 1), ve.TickSizeViolation),
        (ve.with_asset(ve.REDUCE_ONLY_INCREASE, 1), ve.ReduceOnlyWouldIncrease),
        (ve.with_asset(ve.INSUFFICIENT_MARGIN, 1), ve.InsufficientMargin),
        (ve.with_asset(ve.ORDER_NOT_FOUND, 1), ve.OrderNotFound),
    ]
    for text, cls in pairs:
        assert ve.classify(text) is cls, text


def test_strip_asset_and_from_text() -> None:
    assert ve.strip_asset("Order has invalid size. asset=12") == ("Order has invalid size.", 12)
    assert ve.strip_asset(ve.TICK_SIZE) == (ve.TICK_SIZE, None)
    err = ve.VenueError.from_text(ve.duplicate_nonce(3))
    assert isinstance(err, ve.NonceRejected)
    assert isinstance(err, ve.RetryWithBackoff)
    assert err.text == "Invalid nonce: duplicate nonce 3"
    assert str(err) == err.text


def test_http_429_is_ip_rate_limit() -> None:
    assert ve.classify_http(429) is ve.IpRateLimited
    assert ve.classify_http(500) is None
