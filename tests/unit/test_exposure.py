"""ExposureGate: each limit rejects with its reason; batches are projected in sequence."""

from __future__ import annotations

from hyperliquid_ofi_trader.core.stages import OrderIntent, Tif
from hyperliquid_ofi_trader.core.state import TradingState
from hyperliquid_ofi_trader.risk.exposure import ExposureGate, ExposureSettings


class Positions:
    def __init__(self, pos: dict[str, float], value: float | None = 1000.0) -> None:
        self.pos = pos
        self.account_value = value

    def position(self, coin: str) -> float:
        return self.pos.get(coin, 0.0)

    def coins(self) -> tuple[str, ...]:
        return tuple(self.pos)


MARKS = {"ETH": 2000.0, "BTC": 50000.0}
S = ExposureSettings(max_position_usd={"ETH": 1000.0, "BTC": 1000.0},
                     max_total_notional_usd=1500.0, max_leverage=3.0, max_order_usd=200.0,
                     max_orders_per_minute=3)


def gate(pos: dict[str, float] | None = None, value: float | None = 1000.0,
         s: ExposureSettings = S) -> ExposureGate:
    return ExposureGate(s, Positions(pos or {}, value), MARKS.get)


def intent(size: float, is_buy: bool = True, coin: str = "ETH", reduce_only: bool = False,
           price: float = 2000.0) -> OrderIntent:
    return OrderIntent(coin=coin, is_buy=is_buy, size=size, price=price, tif=Tif.ALO,
                       reduce_only=reduce_only)


def reasons(g: ExposureGate, *intents: OrderIntent,
            state: TradingState = TradingState.ACTIVE, now: int = 0) -> list[str]:
    res = g.check(intents, state, now)
    return ["ok"] * len(res.approved) + [r.split(":")[0] for _, r in res.rejected]


def test_a_small_order_passes() -> None:
    assert reasons(gate(), intent(0.05)) == ["ok"]


def test_max_order_usd() -> None:
    assert reasons(gate(), intent(0.2)) == ["max_order_usd"]


def test_max_position_per_coin() -> None:
    assert reasons(gate({"ETH": 0.45}), intent(0.05)) == ["ok"]
    assert reasons(gate({"ETH": 0.46}), intent(0.05)) == ["max_position_usd"]


def test_max_total_notional() -> None:
    g = gate({"ETH": 0.45, "BTC": 0.012})  # $900 + $600
    assert reasons(g, intent(0.01)) == ["max_total_notional_usd"]


def test_leverage_against_account_value() -> None:
    assert reasons(gate({"ETH": 0.4}, value=250.0), intent(0.05)) == ["max_leverage"]
    assert reasons(gate({}, value=None), intent(0.05)) == ["account_value_unknown"]


def test_reducing_orders_pass_exposure_limits() -> None:
    g = gate({"ETH": 0.6}, value=None)  # over the cap, value unknown: reducing still passes
    assert reasons(g, intent(0.05, is_buy=False, reduce_only=True)) == ["ok"]


def test_reduce_only_must_reduce() -> None:
    assert reasons(gate({"ETH": 0.1}), intent(0.05, reduce_only=True)) == ["reduce_only"]
    assert reasons(gate({}), intent(0.05, reduce_only=True)) == ["reduce_only"]
    assert reasons(gate({"ETH": 0.01}), intent(0.05, False, reduce_only=True)) == [
        "reduce_only"]


def test_trading_state() -> None:
    assert reasons(gate(), intent(0.05), state=TradingState.HALTED) == ["trading_state"]
    assert reasons(gate(), intent(0.05), state=TradingState.REDUCING) == ["trading_state"]
    g = gate({"ETH": 0.1})
    assert reasons(g, intent(0.05, False, reduce_only=True),
                   state=TradingState.REDUCING) == ["ok"]


def test_invalid_intent() -> None:
    assert reasons(gate(), intent(float("nan"))) == ["invalid_intent"]
    assert reasons(gate(), intent(0.0)) == ["invalid_intent"]


def test_a_batch_cannot_pass_by_splitting() -> None:
    g = gate({"ETH": 0.4})
    assert reasons(g, intent(0.05), intent(0.05), intent(0.05)) == [
        "ok", "ok", "max_position_usd"]


def test_rate_limit_over_a_sliding_minute_of_event_time() -> None:
    g = gate()
    minute = 60_000_000_000
    assert reasons(g, intent(0.01), now=0) == ["ok"]
    assert reasons(g, intent(0.01), intent(0.01), now=10) == ["ok", "ok"]
    assert reasons(g, intent(0.01), now=minute - 1) == ["rate_limit"]
    assert reasons(g, intent(0.01), now=minute) == ["ok"]
    assert g.rejections == {"rate_limit": 1}


def test_reasons_are_specific() -> None:
    res = gate({"ETH": 0.46}).check([intent(0.05)], TradingState.ACTIVE, 0)
    assert res.rejected[0][1] == "max_position_usd: ETH $1020.00 > $1000.00"


def test_lead_lag_entries_keep_a_reserved_share_of_the_order_budget() -> None:
    s = ExposureSettings(max_position_usd={"ETH": 1000.0}, max_total_notional_usd=1500.0,
                         max_leverage=3.0, max_order_usd=200.0, max_orders_per_minute=4,
                         lead_reserved_per_minute=2)
    g = gate(s=s)
    plain = OrderIntent(coin="ETH", is_buy=True, size=0.01, price=2000.0, tif=Tif.IOC,
                        tag="edge_ioc")
    lead = OrderIntent(coin="ETH", is_buy=True, size=0.01, price=2000.0, tif=Tif.IOC,
                       tag="edge_ioc_lead")
    assert reasons(g, plain, plain, plain) == ["ok", "ok", "rate_limit"]  # 4 - 2 reserved
    assert reasons(g, lead, lead, lead) == ["ok", "ok", "rate_limit"]  # the whole budget
