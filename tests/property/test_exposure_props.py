"""The exposure gate's "other coins" sum equals the set-union form it replaced.

The gate used to sum |position| x mark over `set(held) | set(projected)`; it now walks
the held coins, then the batch-only coins, without building sets. With one other coin
(two traded coins, the default universe) the result must be bit-identical; with more,
the order is now fixed (the set's was hash-dependent) and the sums agree to rounding.
Whole-gate decisions are compared on random batches against the same reference.
"""

from __future__ import annotations

import math

from hypothesis import given, settings
from hypothesis import strategies as st

from hyperliquid_ofi_trader.config.risk_schema import RiskLimits
from hyperliquid_ofi_trader.core.stages import OrderIntent, Tif
from hyperliquid_ofi_trader.core.state import TradingState
from hyperliquid_ofi_trader.risk.exposure import ExposureGate

UNIVERSE = ("BTC", "ETH", "SOL", "HYPE")
sizes = st.floats(-5.0, 5.0, allow_nan=False)
marks = st.one_of(st.none(), st.just(math.nan), st.floats(0.01, 1e5))


class Positions:
    def __init__(self, pos: dict[str, float], value: float | None) -> None:
        self.pos = pos
        self.account_value = value

    def position(self, coin: str) -> float:
        return self.pos.get(coin, 0.0)

    def coins(self) -> tuple[str, ...]:
        return tuple(self.pos)


def reference_others(g: ExposureGate, coin: str, projected: dict[str, float]) -> float:
    """The replaced form, verbatim."""
    total = 0.0
    for other in set(g._positions.coins()) | set(projected):
        if other == coin:
            continue
        mark = g._marks(other)
        if mark is not None and math.isfinite(mark):
            total += abs(g._pos(other, projected)) * mark
    return total


def make_gate(held: dict[str, float], mark_of: dict[str, float | None]) -> ExposureGate:
    s = RiskLimits(max_position_usd=dict.fromkeys(UNIVERSE, 5_000.0),
                         max_total_notional_usd=20_000.0, max_leverage=5.0,
                         max_order_usd=2_000.0, max_orders_per_minute=1000)
    return ExposureGate(s, Positions(held, 10_000.0), mark_of.get)


@settings(max_examples=300, deadline=None)
@given(data=st.data(), n_coins=st.integers(1, 4))
def test_others_sum_matches_the_set_union_form(data: st.DataObject, n_coins: int) -> None:
    coins = UNIVERSE[:n_coins]
    held = data.draw(st.dictionaries(st.sampled_from(coins), sizes))
    projected = data.draw(st.dictionaries(st.sampled_from(coins), sizes))
    mark_of = {c: data.draw(marks) for c in coins}
    g = make_gate(held, mark_of)
    coin = data.draw(st.sampled_from(coins))
    got = g._others_usd(coin, projected)
    want = reference_others(g, coin, projected)
    if n_coins <= 2:
        assert got == want  # at most one other coin: the same single product
    else:
        assert math.isclose(got, want, rel_tol=1e-12, abs_tol=1e-9)


@settings(max_examples=200, deadline=None)
@given(data=st.data())
def test_two_coin_gate_decisions_are_unchanged(data: st.DataObject) -> None:
    coins = UNIVERSE[:2]
    held = data.draw(st.dictionaries(st.sampled_from(coins), sizes))
    mark_of: dict[str, float | None] = {"BTC": 50_000.0, "ETH": 2_000.0}
    intents = [OrderIntent(coin=data.draw(st.sampled_from(coins)),
                           is_buy=data.draw(st.booleans()),
                           size=data.draw(st.floats(1e-4, 0.2)),
                           price=data.draw(st.floats(1_000.0, 60_000.0)), tif=Tif.IOC,
                           reduce_only=data.draw(st.booleans()))
               for _ in range(data.draw(st.integers(1, 4)))]
    fast, slow = make_gate(dict(held), mark_of), make_gate(dict(held), mark_of)
    slow._others_usd = (  # type: ignore[method-assign]
        lambda coin, projected: reference_others(slow, coin, projected))
    a = fast.check(intents, TradingState.ACTIVE, 0)
    b = slow.check(intents, TradingState.ACTIVE, 0)
    assert a == b
    assert fast.rejections == slow.rejections
