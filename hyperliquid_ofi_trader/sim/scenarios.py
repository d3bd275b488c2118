"""Named SYNTHETIC market scenarios: a name -> the `SyntheticSettings` of that market.

None of these is market data. Each is a planted truth the strategy can be judged against:
- `realistic`: today's calibration (`SyntheticSettings()` unchanged). ETH follows BTC
  150 ms later, all at once; at our latency (feed + entry ~180 ms median) the catch-up is
  over before an order lands, so the edge is below cost.
- `no-edge`: ETH is independent of BTC (no lead-lag; its own volatility raised so that its
  total volatility matches `realistic`), and the book tracks the fair price within a block
  (faster informed flow, sweeps from 2 ticks), so order-flow imbalance moves the price in
  the same block and forecasts nothing after it.
- `exploitable`: `realistic` except ETH's response to BTC: stronger (beta 10 instead of 1.2)
  and spread over time (onset still 150 ms after the lead, then an exponential catch-up
  with a 1 s time constant). Chosen by the clairvoyant bound (`research/oracle.py`), not
  by tuning the strategy: at the backtest's default latency a clairvoyant taker nets at
  least 3 bps per round trip on at least 50 opportunities per hour ON EVERY SEED, not on
  average. Measured by `bench/bench_scenario_bound.py` over seeds 1-30, 15 minutes each
  (taker round trips >= 3 bps per hour): beta 6 gave min 36, p10 60, mean 109 (2 of 30
  seeds short); beta 8: min 60, p10 72, mean 182; beta 10: min 156, p10 176, mean 244;
  a slower catch-up (beta 8, 1.5 s) lowers it (min 68, mean 129). See
  `tests/unit/sim/test_scenarios.py` and `bench/bench_edge_scenarios.py`.

`settings_for(name, start_ns)` builds the settings; `SCENARIOS` lists what exists.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from hyperliquid_ofi_trader.sim.synthetic import (
    BTC,
    ETH,
    LeadLagSpec,
    SyntheticConfigError,
    SyntheticSettings,
)

__all__ = ["DEFAULT_SCENARIO", "SCENARIOS", "Scenario", "describe", "settings_for"]

_REALISTIC_BETA: Final = LeadLagSpec().beta
# The exploitable market's planted edge: stronger, slower catch-up of ETH to BTC.
EXPLOITABLE_BETA: Final = 10.0
EXPLOITABLE_CATCHUP_MS: Final = 1_000.0
# no-edge: informed flow this many times faster, sweeps from this gap (ticks).
_NO_EDGE_INFORMED_MULT: Final = 5.0
_NO_EDGE_SWEEP_TICKS: Final = 2.0


@dataclass(frozen=True, slots=True)
class Scenario:
    name: str
    summary: str
    build: Callable[[int], SyntheticSettings]  # start_ns -> settings


def _realistic(start_ns: int) -> SyntheticSettings:
    return SyntheticSettings(start_ns=start_ns)


def _no_edge(start_ns: int) -> SyntheticSettings:
    # ETH's own volatility takes over the part BTC's moves gave it in `realistic`.
    eth_vol = math.hypot(ETH.vol_bps, _REALISTIC_BETA * BTC.vol_bps)
    coins = tuple(
        dataclasses.replace(c, informed_rate=c.informed_rate * _NO_EDGE_INFORMED_MULT,
                            vol_bps=eth_vol if c is ETH else c.vol_bps)
        for c in (BTC, ETH))
    return SyntheticSettings(coins=coins, lead_lag=None, start_ns=start_ns,
                             sweep_ticks=_NO_EDGE_SWEEP_TICKS)


def _exploitable(start_ns: int) -> SyntheticSettings:
    lead_lag = LeadLagSpec(beta=EXPLOITABLE_BETA, catchup_ms=EXPLOITABLE_CATCHUP_MS)
    return SyntheticSettings(lead_lag=lead_lag, start_ns=start_ns)


SCENARIOS: Final[dict[str, Scenario]] = {
    s.name: s for s in (
        Scenario("realistic", "today's calibration: ETH follows BTC 150 ms later at once "
                 "(edge below cost at our latency)", _realistic),
        Scenario("no-edge", "ETH independent of BTC; OFI impact only contemporaneous",
                 _no_edge),
        Scenario("exploitable", f"as realistic, but ETH catches up to {EXPLOITABLE_BETA:g}x "
                 f"BTC's move from 150 ms on over ~{EXPLOITABLE_CATCHUP_MS / 1000:g} s "
                 "(a planted edge above cost)", _exploitable),
    )
}
DEFAULT_SCENARIO: Final = "exploitable"


def settings_for(name: str, start_ns: int = SyntheticSettings().start_ns) -> SyntheticSettings:
    """The settings of scenario `name`; an unknown name is a `SyntheticConfigError`."""
    scenario = SCENARIOS.get(name)
    if scenario is None:
        raise SyntheticConfigError(f"unknown scenario {name!r}; choose one of "
                                   f"{', '.join(SCENARIOS)}")
    return scenario.build(start_ns)


def describe(name: str, seed: int) -> str:
    """The label every output on this market carries."""
    return f"SYNTHETIC (scenario {name}, seed {seed})"
