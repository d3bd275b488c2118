"""Lead-lag: fires on a lead move the lag has not followed, inside the exchange-time window."""

from __future__ import annotations

import math

import pytest

from hyperliquid_ofi_trader.signals.leadlag import LeadLagSignal

MS = 1_000_000
STEP = 10 * MS
WINDOW = 100 * MS


def warmed(**kw: float) -> tuple[LeadLagSignal, int]:
    """A signal fed 300 steps of a ±1 bp zigzag on both coins; returns it and the next time."""
    sig = LeadLagSignal(WINDOW, 3.0, 2_000 * MS, **kw)  # type: ignore[arg-type]
    t = 0
    for i in range(300):
        up = 1e-4 if i % 2 else 0.0
        assert sig.update(100.0 * (1 + up), 50.0 * (1 + up), t, t) == 0
        t += STEP
    return sig, t


def test_fires_up_when_lead_jumps_and_lag_is_flat() -> None:
    sig, t = warmed()
    assert sig.update(101.0, 50.0, t, t) == 1
    assert sig.last_z_lead > 3.0
    assert sig.last_z_lag == pytest.approx(0.0, abs=0.5)


def test_fires_down_symmetrically() -> None:
    sig, t = warmed()
    assert sig.update(99.0, 50.0, t, t) == -1


def test_silent_when_lag_already_followed() -> None:
    sig, t = warmed()
    assert sig.update(101.0, 50.5, t, t) == 0  # lag moved as much as the lead (in sigmas)


def test_silent_for_small_lead_moves() -> None:
    sig, t = warmed()
    assert sig.update(100.0 * (1 + 2e-4), 50.0, t, t) == 0


def test_move_leaves_the_window_by_exchange_time() -> None:
    sig, t = warmed()
    assert sig.update(101.0, 50.0, t, t) == 1
    assert sig.update(101.0, 50.0, t, t + 50 * MS) == 1       # still inside the window
    assert sig.update(101.0, 50.0, t, t + WINDOW + STEP) == 0  # jump now older than W


def test_uses_exchange_time_not_arrival_order() -> None:
    # The lag frame stamped 250 ms after the lead's jump arrives first; the jump frame then
    # arrives: by exchange time it is 250 ms old, outside the 100 ms window, so no signal.
    sig, t = warmed()
    assert sig.update(100.0, 50.0, t - STEP, t + 250 * MS) == 0
    assert sig.update(101.0, 50.0, t, t + 250 * MS) == 0
    # Same arrival order, but the lag frame is only 50 ms later: the jump is in the window.
    sig, t = warmed()
    assert sig.update(100.0, 50.0, t - STEP, t + 50 * MS) == 0
    assert sig.update(101.0, 50.0, t, t + 50 * MS) == 1


def test_out_of_order_and_invalid_inputs_are_counted() -> None:
    sig, t = warmed()
    assert sig.update(101.0, 50.0, t - 5 * STEP, t) == 0  # lead older than its last
    assert sig.out_of_order == 1
    assert sig.update(math.nan, -1.0, t, t) == 0
    assert sig.rejected == 2


def test_warm_up_returns_zero() -> None:
    sig = LeadLagSignal(WINDOW, 2.0, 1_000 * MS)
    assert sig.update(100.0, 50.0, 0, 0) == 0
    assert sig.update(200.0, 50.0, STEP, STEP) == 0  # too few samples for a volatility


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"window_ns": 300 * MS}, "300 ms"),
        ({"window_ns": 450 * MS}, "300 ms"),
        ({"window_ns": 0}, "300 ms"),
        ({"lead_coin": "ETH", "lag_coin": "ETH"}, "must differ"),
        ({"threshold_sigma": 0.0}, "threshold_sigma"),
        ({"threshold_sigma": math.nan}, "threshold_sigma"),
        ({"vol_halflife_ns": 0}, "vol_halflife_ns"),
        ({"follow_fraction": 1.0}, "follow_fraction"),
        ({"min_sigma": 0.0}, "min_sigma"),
    ],
)
def test_constructor_rejects_bad_config(kwargs: dict[str, object], message: str) -> None:
    args: dict[str, object] = {"window_ns": WINDOW, "threshold_sigma": 2.0,
                               "vol_halflife_ns": 1_000 * MS, **kwargs}
    with pytest.raises(ValueError, match=message):
        LeadLagSignal(**args)  # type: ignore[arg-type]
