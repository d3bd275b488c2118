"""Integration tests exercise the plumbing (see tests/plumbing.py): every emulator they
start, in this process or in an `hlofi` process, charges the cheapest fee tier unless the
test says otherwise (test_main_job checks the base tier's answer wins over the config)."""

from __future__ import annotations

import pytest

from hyperliquid_ofi_trader.cli.sim_exchange import ENV_FEE_TIER
from tests.plumbing import PLUMBING_FEE_TIER


@pytest.fixture(autouse=True)
def _plumbing_fee_tier(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENV_FEE_TIER, str(PLUMBING_FEE_TIER))
