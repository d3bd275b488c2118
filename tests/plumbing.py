"""Config overrides for tests of the plumbing (order path, operator commands, faults,
restarts), not of the economics.

The packaged strategy trades only when its expected edge beats the full cost of the order,
so on a short synthetic run it may rightly send nothing. Tests that need orders to flow put
the cost model at the cheapest fee tier with no safety margins; whether the packaged
defaults earn money is measured by `bench/bench_edge_scenarios.py`, not here.
"""

from __future__ import annotations

from typing import Any, Final

EAGER_COSTS: Final[dict[str, Any]] = {
    "costs": {"fee_tier": 6, "maker_rebate_tier": 3, "adverse_prior_bps": 0.0,
              "expected_slippage_bps": 0.0, "min_margin_bps": 0.0, "uncertainty_k": 0.0},
    "forecast": {"min_evidence": 0.0},
}

EAGER_COSTS_YAML: Final = """
costs:
  fee_tier: 6
  maker_rebate_tier: 3
  adverse_prior_bps: 0.0
  expected_slippage_bps: 0.0
  min_margin_bps: 0.0
  uncertainty_k: 0.0
forecast:
  min_evidence: 0.0
"""

# The fee tier the emulators of integration tests charge (HLOFI_SIM_FEE_TIER): the live path
# reads the venue's own rates (userFees), so an eager config alone would still price orders
# at the base tier.
PLUMBING_FEE_TIER: Final = 6
