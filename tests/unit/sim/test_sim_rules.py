"""Emulator building blocks: nonce rules, rate limits, queue model, settings validation."""

from __future__ import annotations

import pytest

from hyperliquid_ofi_trader.sim.nonces import NonceBook, NonceVerdict
from hyperliquid_ofi_trader.sim.queue_model import QueuePosition
from hyperliquid_ofi_trader.sim.rate_limits import (
    UNMETERED_IP,
    AddressLimiter,
    IpLimiter,
    exchange_weight,
    info_weight,
)
from hyperliquid_ofi_trader.sim.settings import (
    CancelAttribution,
    SimInstrument,
    SimSettings,
    SimSettingsError,
)
from hyperliquid_ofi_trader.venues.hyperliquid.common import errors as ve
from tests.unit.sim_support import MS, T0_MS, Trader, make_venue

DAY = 86_400_000


def test_nonce_duplicate_too_low_and_window() -> None:
    book = NonceBook(kept=3)
    now = T0_MS
    for n in (now + 1, now + 2, now + 3):
        assert book.check("s", n, now) is NonceVerdict.OK
        book.accept("s", n)
    assert book.check("s", now + 2, now) is NonceVerdict.DUPLICATE
    assert book.check("s", now, now) is NonceVerdict.TOO_LOW  # below the smallest of 3 kept
    assert book.check("other", now, now) is NonceVerdict.OK  # per signer
    book.accept("s", now + 10)  # evicts now+1
    assert book.smallest_kept("s") == now + 2
    assert book.check("s", now + 1, now) is NonceVerdict.TOO_LOW
    assert book.check("s", now - 2 * DAY, now) is NonceVerdict.TOO_EARLY
    assert book.check("s", now + DAY, now) is NonceVerdict.TOO_LATE
    assert book.check("s", now - 2 * DAY + 1, now) is not NonceVerdict.TOO_EARLY


def test_nonce_rules_through_the_venue() -> None:
    alice = Trader(make_venue(SimSettings(nonces_kept=100)))
    for i in range(100):
        assert alice.send({"type": "noop"}, nonce=T0_MS + 10 + i)[1]["status"] == "ok"
    # out-of-order but above the smallest kept is fine
    assert alice.send({"type": "noop"}, nonce=T0_MS + 5)[1]["response"] == ve.nonce_too_low(
        T0_MS + 5, T0_MS + 10)
    assert alice.send({"type": "noop"}, nonce=T0_MS + 200)[1]["status"] == "ok"
    assert alice.send({"type": "noop"}, nonce=T0_MS + 11)[1]["response"].startswith(
        ve.INVALID_NONCE_PREFIX)  # now evicted: too low
    _, resp = alice.send({"type": "noop"}, nonce=T0_MS + DAY + 1)
    assert ve.classify(resp["response"]) is ve.NonceRejected
    _, resp = alice.send({"type": "noop"}, nonce=T0_MS - 3 * DAY)
    assert ve.classify(resp["response"]) is ve.NonceRejected
    assert alice.venue.rejected["nonce"] == 4


def test_ip_limiter_rolls_over_a_minute() -> None:
    ip = IpLimiter(10)
    assert ip.charge("a", 6, 0)
    assert not ip.charge("a", 6, 1_000)
    assert ip.charge("b", 6, 1_000)
    assert ip.charge("a", 6, 60_000)  # the first charge left the window
    assert ip.used("a", 60_000) == 6
    assert exchange_weight(1) == 1
    assert exchange_weight(40) == 2
    assert info_weight("l2Book") == 2
    assert info_weight("userFills") == 20


def test_ip_limit_answers_429() -> None:
    venue = make_venue(SimSettings(ip_weight_per_minute=40))
    assert venue.handle_info({"type": "meta"}, T0_MS * MS)[0] == 200
    assert venue.handle_info({"type": "meta"}, T0_MS * MS)[0] == 200
    status, text = venue.handle_info({"type": "meta"}, T0_MS * MS)
    assert status == 429
    assert isinstance(text, str)
    assert venue.handle_info({"type": "meta"}, T0_MS * MS, ip="10.0.0.2")[0] == 200


def test_address_limiter_budget_volume_and_throttle() -> None:
    lim = AddressLimiter(initial=3, per_usdc=1.0, exhausted_interval_ms=10_000, cancel_extra=5)
    assert lim.charge("u", 3, 0.0, 0)
    assert lim.charge("u", 2, 0.0, 0, is_cancel=True)  # cancels get extra room (min(5, 3))
    assert lim.charge("u", 1, 0.0, 0)  # exhausted: one request per interval gets through
    assert not lim.charge("u", 1, 0.0, 5_000)
    assert lim.charge("u", 1, 0.0, 10_000)
    assert lim.charge("u", 1, 100.0, 10_001)  # traded volume raised the cap


def test_address_rate_limit_text_through_the_venue() -> None:
    venue = make_venue(SimSettings(address_initial_requests=2))
    alice = Trader(venue)
    assert alice.send({"type": "noop"})[1]["status"] == "ok"
    assert alice.send({"type": "noop"})[1]["status"] == "ok"
    assert alice.send({"type": "noop"})[1]["status"] == "ok"  # the throttled one-per-10s
    _, resp = alice.send({"type": "noop"})
    assert ve.classify(resp["response"]) is ve.RateLimited
    used = alice.info("userRateLimit")
    assert (used["nRequestsUsed"], used["nRequestsCap"]) == (3, 2)


def test_queue_trades_consume_ahead_first() -> None:
    q = QueuePosition(5.0)
    assert q.on_trade_at_price(3.0) == 0.0
    assert q.ahead == 2.0
    assert q.on_trade_at_price(3.0) == 1.0
    assert q.ahead == 0.0


def test_queue_cancels_proportional_vs_behind() -> None:
    prop, behind = QueuePosition(4.0), QueuePosition(4.0)
    for q in (prop, behind):
        q.on_level(8.0, CancelAttribution.PROPORTIONAL)  # growth joins behind us
        assert q.ahead == 4.0
    prop.on_level(4.0, CancelAttribution.PROPORTIONAL)
    behind.on_level(4.0, CancelAttribution.BEHIND)
    assert prop.ahead == 2.0  # half the level cancelled: half the queue ahead
    assert behind.ahead == 4.0
    behind.on_level(1.0, CancelAttribution.BEHIND)
    assert behind.ahead == 1.0  # cannot be more ahead than the whole level


def test_queue_trade_then_snapshot_is_not_double_counted() -> None:
    q = QueuePosition(5.0)
    q.on_trade_at_price(2.0)  # ahead 3, level seen 3
    q.on_level(3.0, CancelAttribution.PROPORTIONAL)  # the snapshot reflecting that trade
    assert q.ahead == 3.0


def test_settings_validation() -> None:
    with pytest.raises(SimSettingsError):
        SimSettings(instruments=())
    with pytest.raises(SimSettingsError):
        SimSettings(instruments=(SimInstrument("BTC", 5, 40), SimInstrument("BTC", 4, 20)))
    with pytest.raises(SimSettingsError):
        SimSettings(taker_fee=0.0001, maker_fee=-0.0002)
    with pytest.raises(SimSettingsError):
        SimInstrument("X", 9, 10)
    with pytest.raises(SimSettingsError):
        SimSettings(initial_usdc=0)


def test_the_emulators_own_snapshot_queries_are_never_metered() -> None:
    venue = make_venue(SimSettings(ip_weight_per_minute=100))
    for _ in range(50):  # 50 x weight 20: ten times the budget
        status, _ = venue.handle_info({"type": "metaAndAssetCtxs"}, T0_MS * MS, UNMETERED_IP)
        assert status == 200
    assert venue.handle_info({"type": "meta"}, T0_MS * MS)[0] == 200  # clients untouched
