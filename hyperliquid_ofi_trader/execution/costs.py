"""What an order costs, in bps of the mid, per order type: the other half of edge - cost.

Fees. The configured tier of the venue's schedule (venues/hyperliquid/common/fees.py);
when live, the account's own rates (`userFees`: userCrossRate / userAddRate) override it
(`set_venue_fees`).

Round trip. A position is entered and, at its horizon, exited (the explicit exit: a
post-only order at our touch, an IOC when that does not fill in time), so every entry is
priced with its expected exit:

    exit             = q x (maker fee - half-spread) + (1 - q) x (taker fee + half-spread
                       + expected slippage)          q = the maker share of our exit fills
    taker round trip = taker fee + half-spread + expected slippage + exit
    maker round trip = maker fee - half-spread (we buy at the bid: below the mid)
                       + expected adverse selection of a post-only fill + exit

Measured or fixed (feedback/fill_costs.py). With `exit_mix_prior_fills` set, q is the maker
share of our own exit fills (most exits end up crossing: a fixed half prices the round trip
too cheap); with `slippage_prior_fills` set, the expected slippage is how far beyond the
touch our IOC orders filled. Each starts from its `costs` value (`exit_post_only_share`,
`expected_slippage_bps`) as a prior worth that many fills; null keeps the value fixed (the
packaged choice: measuring netted less on the tuning seeds, thresholds.yaml says by how
much).

Adverse selection. The mid move against us after our post-only fills (markouts at the trust
horizon, feedback/markouts.py), an exponentially weighted mean with a prior worth
`adverse_prior_fills` fills: fills that get run over raise it, the router then rests less.

Edge at fill. The forecast is measured from `latency_ms` after the decision; when our
measured latency (the decision's own, from its event's exchange time, plus the entry
latency measured on our IOC fills) is longer, the part of the edge the market has already
priced in is lost: edge x 0.5 ** (extra latency / edge_halflife_ms). Until the entry
latency is measured, the configured one stands.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TYPE_CHECKING

import msgspec

from hyperliquid_ofi_trader.core.events import PrivateEvent, UserFills
from hyperliquid_ofi_trader.errors import OurBugError
from hyperliquid_ofi_trader.feedback.markouts import MarkoutResult
from hyperliquid_ofi_trader.venues.hyperliquid.common.fees import fees_bps

if TYPE_CHECKING:  # the section's type only: config sits below the components
    from hyperliquid_ofi_trader.config.models import AppConfig
    from hyperliquid_ofi_trader.config.thresholds_schema import CostThresholds

_MAX_MAKER_TIDS = 10_000


class CostConfigError(OurBugError, ValueError):
    """Cost settings that cannot describe a venue."""


class CostQuote(msgspec.Struct, frozen=True, gc=False, kw_only=True):
    """One decision's economics, in bps of the mid (journaled with the decision)."""

    edge_bps: float  # |forecast| at fill, after latency decay
    edge_lcb_bps: float  # edge_bps - k x uncertainty: what the router trades on
    taker_cost_bps: float  # the IOC round trip (HIGH)
    maker_cost_bps: float  # the post-only round trip (MID)
    margin_ioc_bps: float
    margin_alo_bps: float
    half_spread_bps: float
    adverse_bps: float
    taker_fee_bps: float
    maker_fee_bps: float
    latency_ms: float


class CostModel:
    """Fees, spread, adverse selection and latency decay -> a `CostQuote` per decision."""

    __slots__ = ("_adverse", "_adverse_weight", "_exit_maker_share", "_latency_ms", "_maker",
                 "_maker_tids", "_slippage_bps", "_taker", "adverse_fills", "settings")
    settings: CostThresholds  # thresholds.yaml `costs`, as validated

    def __init__(self, settings: CostThresholds | None = None,
                 latency_ms: Callable[[], float | None] | None = None,
                 exit_maker_share: Callable[[], float] | None = None,
                 slippage_bps: Callable[[], float] | None = None) -> None:
        """`settings`: a validated thresholds.yaml `costs` section (None: the packaged one).
        `latency_ms`, `exit_maker_share`, `slippage_bps`: the measured entry latency, maker
        share of exit fills and IOC slippage (None: the section's configured values)."""
        self.settings = settings if settings is not None else _packaged_costs()
        self._taker, self._maker = fees_bps(self.settings.fee_tier,
                                            self.settings.maker_rebate_tier)
        self._adverse = self.settings.adverse_prior_bps
        self._adverse_weight = self.settings.adverse_prior_fills
        self._latency_ms = latency_ms
        self._exit_maker_share = exit_maker_share
        self._slippage_bps = slippage_bps
        self._maker_tids: dict[tuple[str, int], None] = {}  # insertion-ordered, bounded
        self.adverse_fills = 0

    # ------------------------------------------------------------ inputs

    def set_venue_fees(self, taker_rate: float, maker_rate: float) -> None:
        """The account's own rates from `userFees` (fractions, e.g. 0.00045)."""
        if not (math.isfinite(taker_rate) and math.isfinite(maker_rate)):
            raise CostConfigError(f"venue fees must be finite, got {taker_rate}, {maker_rate}")
        self._taker, self._maker = taker_rate * 1e4, maker_rate * 1e4

    def on_private(self, event: PrivateEvent) -> None:
        """Remembers which of our fills were maker fills (their markouts price adverse
        selection; a taker fill's markout says nothing about resting orders)."""
        if not isinstance(event, UserFills):
            return
        tids = self._maker_tids
        for fill in event.fills:
            if not fill.crossed:
                tids[(fill.coin, fill.tid)] = None
        while len(tids) > _MAX_MAKER_TIDS:
            del tids[next(iter(tids))]

    def on_markout(self, result: MarkoutResult) -> None:
        """A post-only fill's markout at the adverse-selection horizon updates the mean."""
        if (result.horizon_ms != self.settings.adverse_horizon_ms or result.move_bps is None
                or not math.isfinite(result.move_bps)
                or self._maker_tids.pop((result.coin, result.tid), 0) is not None):
            return
        # move_bps is signed by our side: a negative markout is a move against us.
        n = self._adverse_weight + 1.0
        self._adverse += (-result.move_bps - self._adverse) / n
        self._adverse_weight = min(n, self.settings.adverse_prior_fills * 5)
        self.adverse_fills += 1

    # ------------------------------------------------------------ the quote

    def quote(self, edge_bps: float, std_bps: float, half_spread_bps: float,
              model_latency_ms: float, toxic_flow: bool = False,
              decision_ms: float | None = None) -> CostQuote:
        """Economics of trading on a forecast of |edge_bps| (the forecast's mean uncertainty
        `std_bps`) with the current half-spread. `toxic_flow`: strong flow runs against a
        resting order's side, so a post-only fill would be adverse (one extra half-spread).
        `decision_ms`: this decision's own latency (its event's exchange time to now)."""
        s = self.settings
        latency = self._measured_latency(model_latency_ms, decision_ms)
        decay = 0.5 ** (max(0.0, latency - model_latency_ms) / s.edge_halflife_ms)
        edge = abs(edge_bps) * decay
        lcb = edge - s.uncertainty_k * std_bps * decay
        hs = max(half_spread_bps, 0.0)
        ioc = self._taker + hs + self._slippage()
        exit_ = self._exit_bps(hs, ioc)
        taker = ioc + exit_
        adverse = max(self._adverse, 0.0) + (hs if toxic_flow else 0.0)
        maker = self._maker - hs + adverse + exit_
        return CostQuote(edge_bps=edge, edge_lcb_bps=lcb, taker_cost_bps=taker,
                         maker_cost_bps=maker, margin_ioc_bps=lcb - taker,
                         margin_alo_bps=lcb - maker, half_spread_bps=hs, adverse_bps=adverse,
                         taker_fee_bps=self._taker, maker_fee_bps=self._maker,
                         latency_ms=latency)

    def exit_quote(self, exit_edge_bps: float, std_bps: float, half_spread_bps: float,
                   latency_ms: float) -> CostQuote:
        """An exit's economics for the journal: `exit_edge_bps` is what closing now is
        expected to save against holding (the forecast against the position); the costs
        are one leg, by IOC (taker) or resting at our touch (maker)."""
        s = self.settings
        hs = max(half_spread_bps, 0.0)
        taker = self._taker + hs + self._slippage()
        maker = self._maker - hs
        lcb = exit_edge_bps - s.uncertainty_k * std_bps
        return CostQuote(edge_bps=exit_edge_bps, edge_lcb_bps=lcb, taker_cost_bps=taker,
                         maker_cost_bps=maker, margin_ioc_bps=lcb - taker,
                         margin_alo_bps=lcb - maker, half_spread_bps=hs, adverse_bps=0.0,
                         taker_fee_bps=self._taker, maker_fee_bps=self._maker,
                         latency_ms=latency_ms)

    def resting_exit_saving_bps(self, half_spread_bps: float) -> float:
        """What closing by a post-only order at our touch saves over an IOC, in bps: the
        taker leg (fee, half-spread, slippage) minus the maker leg (fee, less the
        half-spread earned) and the adverse selection a resting fill carries."""
        hs = max(half_spread_bps, 0.0)
        ioc = self._taker + hs + self._slippage()
        return ioc - (self._maker - hs + max(self._adverse, 0.0))

    def _exit_bps(self, hs: float, ioc: float) -> float:
        """The expected exit: post-only at our touch (maker fee, earns the half-spread) for
        the measured maker share of our exit fills, an IOC (`ioc`: taker fee, half-spread,
        slippage) for the rest."""
        q = self.exit_maker_share()
        return q * (self._maker - hs) + (1.0 - q) * ioc

    def exit_maker_share(self) -> float:
        """The maker share of our exit fills: measured, else the configured prior."""
        if self._exit_maker_share is None:
            return self.settings.exit_post_only_share
        return min(max(self._exit_maker_share(), 0.0), 1.0)

    def _slippage(self) -> float:
        """Expected IOC slippage beyond the touch: measured, else the configured one."""
        if self._slippage_bps is None:
            return self.settings.expected_slippage_bps
        return self._slippage_bps()

    def _measured_latency(self, default_ms: float, decision_ms: float | None) -> float:
        """The decision's latency plus our measured entry latency (`latency_ms`: the send
        to the venue's match, feedback/entry_latency.py); the model's configured latency
        until both are known."""
        if self._latency_ms is None or decision_ms is None or not math.isfinite(decision_ms):
            return default_ms
        entry = self._latency_ms()
        if entry is None or not math.isfinite(entry):
            return default_ms
        return max(decision_ms, 0.0) + entry

    def explain(self) -> dict[str, float | int]:
        out: dict[str, float | int] = {
            "taker_fee_bps": self._taker, "maker_fee_bps": self._maker,
            "adverse_bps": self._adverse, "adverse_fills": self.adverse_fills,
            "exit_maker_share": self.exit_maker_share(),
            "ioc_slippage_bps": self._slippage()}
        entry = self._latency_ms() if self._latency_ms is not None else None
        if entry is not None:  # measured (feedback/entry_latency.py)
            out["entry_latency_ms"] = entry
        return out


def _packaged_costs() -> CostThresholds:
    from hyperliquid_ofi_trader.config.packaged import packaged_config

    return packaged_config().thresholds.costs


def cost_settings(cfg: AppConfig) -> CostThresholds:
    """The cost model's settings in `cfg`: its thresholds.yaml `costs` section."""
    return cfg.thresholds.costs
