"""The venue's fee schedule, and every default fee in the package read from it."""

from __future__ import annotations

import inspect

import pytest

from hyperliquid_ofi_trader.backtest.runner import BacktestSettings
from hyperliquid_ofi_trader.cli.backtest import backtest_command
from hyperliquid_ofi_trader.cli.fee_options import resolve_fees
from hyperliquid_ofi_trader.cli.research_oracle import oracle_cmd
from hyperliquid_ofi_trader.cli.sim_exchange import (
    SimExchangeError,
    SimExchangeOptions,
    fee_settings,
)
from hyperliquid_ofi_trader.config import ConfigError, build_config
from hyperliquid_ofi_trader.execution.costs import CostModel
from hyperliquid_ofi_trader.research.oracle import OracleSettings
from hyperliquid_ofi_trader.sim.settings import SimSettings
from hyperliquid_ofi_trader.venues.hyperliquid.common.fees import (
    BASE_MAKER_FEE,
    BASE_TAKER_FEE,
    FEE_TIERS,
    MAKER_REBATE_TIERS,
    FeeTierError,
    fee_fractions,
    fees_bps,
)


def test_tiers_and_maker_rebates() -> None:
    assert fees_bps(0) == (4.5, 1.5)  # HYPERLIQUID.md section 5: 0.045% / 0.015%
    assert fees_bps(3) == (3.0, 0.4)
    assert fees_bps(6, 3) == (2.4, -0.3)
    assert fees_bps(0, 1) == (4.5, -0.1)  # a rebate tier replaces a higher maker fee
    with pytest.raises(FeeTierError, match="fee_tier"):
        fees_bps(len(FEE_TIERS))
    with pytest.raises(FeeTierError, match="maker_rebate_tier"):
        fees_bps(0, 0)


def test_fractions_are_bps_over_ten_thousand() -> None:
    assert (BASE_TAKER_FEE, BASE_MAKER_FEE) == (0.00045, 0.00015)
    assert fee_fractions(6, 3) == (2.4 / 1e4, -0.3 / 1e4)


def test_every_default_fee_is_the_base_tier() -> None:
    base = fee_fractions(0)
    assert (BacktestSettings().taker_fee, BacktestSettings().maker_fee) == base
    assert (SimSettings().taker_fee, SimSettings().maker_fee) == base
    assert (OracleSettings().taker_fee, OracleSettings().maker_fee) == base
    quote = CostModel().quote(0.0, 0.0, 0.0, 200)
    assert (quote.taker_fee_bps, quote.maker_fee_bps) == fees_bps(0)
    assert fee_settings(SimExchangeOptions(fee_tier=0)) == base


def test_cli_fees_default_to_the_tier_and_explicit_bps_override_it() -> None:
    assert resolve_fees(0, None, None) == fee_fractions(0)
    assert resolve_fees(2, None, None) == fee_fractions(2)
    assert resolve_fees(2, 5.0, None) == (5.0 / 1e4, fee_fractions(2)[1])
    assert resolve_fees(0, None, -0.2) == (fee_fractions(0)[0], -0.2 / 1e4)
    for command in (backtest_command, oracle_cmd):  # no fee literal of their own
        params = inspect.signature(command).parameters
        assert params["fee_tier"].default == 0
        assert params["taker_fee_bps"].default is None
        assert params["maker_fee_bps"].default is None


def test_sim_exchange_refuses_a_tier_the_schedule_lacks() -> None:
    with pytest.raises(SimExchangeError, match="fee_tier"):
        fee_settings(SimExchangeOptions(fee_tier=len(FEE_TIERS)))


@pytest.mark.parametrize(("key", "top"), [("fee_tier", len(FEE_TIERS) - 1),
                                          ("maker_rebate_tier", len(MAKER_REBATE_TIERS))])
def test_thresholds_schema_bounds_are_the_schedules(key: str, top: int) -> None:
    # config sits below the venue and cannot import the table: its bounds are pinned here.
    build_config({"thresholds.yaml": {"costs": {key: top}}})
    with pytest.raises(ConfigError):
        build_config({"thresholds.yaml": {"costs": {key: top + 1}}})
