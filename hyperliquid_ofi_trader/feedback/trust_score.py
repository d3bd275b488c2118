"""Signal trust: how often each signal's sign was right after our fills -> a weight in [0, 1].

Estimate. For each signal, after each of our fills whose markout completes, the signal's
sign AT THE DECISION is "right" when the mid then moved in that direction:
    right  <=>  sign(signal) * (side * move_bps) > 0
(`move_bps` is signed by our side, so side * move_bps is the market's direction). Moves
smaller than `min_move_bps` and zero signals carry no information and are skipped.
Hits and trials decay exponentially per update (`decay`; memory ~ 1 / (1 - decay)
updates), and the hit-rate is shrunk toward 0.5 by a Beta(a, a) prior of total strength
`prior_strength` = 2a:
    p_hat = (hits + a) / (trials + 2a)
so a handful of unlucky fills cannot switch a signal off, and old evidence fades.

Weight. w = clamp((p_hat - zero_at) / (0.5 - zero_at), 0, 1). Why this map:
- trust is a veto, never an amplifier: the configured weights are the calibrated belief
  and the combiner clamps trust to [0, 1] anyway; so any p_hat >= 0.5 (including the
  no-evidence prior) keeps the full configured weight, which means a fresh start trades
  as configured rather than muted (max(0, 2p - 1) would start every signal at 0);
- a signal that is measurably wrong more often than right is scaled down linearly and is
  off entirely at p_hat <= zero_at (default 0.35: right only about one time in three
  after shrinkage - clearly anti-predictive, not noise).
`explain()` gives hits, trials, p_hat, weight and the prior/decay for the journal.
`weight(name)` is a dict read (the combiner calls it on every alpha).
"""

from __future__ import annotations

import math
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass

from hyperliquid_ofi_trader.core.events import Fill
from hyperliquid_ofi_trader.feedback.markouts import MarkoutResult

_MAX_DECISIONS = 20_000


@dataclass(frozen=True, slots=True)
class TrustSettings:
    prior_strength: float = 20.0
    decay: float = 0.995
    zero_at: float = 0.35
    min_move_bps: float = 0.0
    horizon_ms: int = 1_000  # which markout horizon updates the trust

    def __post_init__(self) -> None:
        if not self.prior_strength > 0:
            raise ValueError(f"prior_strength must be > 0, got {self.prior_strength}")
        if not 0 < self.decay <= 1:
            raise ValueError(f"decay must be in (0, 1], got {self.decay}")
        if not 0 <= self.zero_at < 0.5:
            raise ValueError(f"zero_at must be in [0, 0.5), got {self.zero_at}")
        if not self.min_move_bps >= 0:
            raise ValueError(f"min_move_bps must be >= 0, got {self.min_move_bps}")


class _Score:
    __slots__ = ("hits", "trials", "updates")

    def __init__(self) -> None:
        self.hits = 0.0
        self.trials = 0.0
        self.updates = 0


class SignalTrust:
    """Implements `alpha.combiner.TrustProvider`."""

    def __init__(self, settings: TrustSettings | None = None) -> None:
        self.settings = settings if settings is not None else TrustSettings()
        self._scores: dict[str, _Score] = {}
        self._weights: dict[str, float] = {}
        self._decisions: OrderedDict[str, Mapping[str, float]] = OrderedDict()
        self.skipped = 0

    # ------------------------------------------------------------ TrustProvider

    def weight(self, name: str) -> float:
        return self._weights.get(name, 1.0)

    # ------------------------------------------------------------ updates

    def update(self, signal_name: str, signal_sign_at_decision: float, fill: Fill,
               markout: float) -> bool:
        """One observation (markout in bps signed by our side); False when it carries no
        information and was skipped."""
        return self.observe(signal_name, signal_sign_at_decision, fill.is_buy, markout)

    def observe(self, signal_name: str, signal_sign: float, is_buy: bool,
                markout: float) -> bool:
        if not (math.isfinite(signal_sign) and math.isfinite(markout)):
            self.skipped += 1
            return False
        market = (1.0 if is_buy else -1.0) * markout
        if signal_sign == 0 or market == 0 or abs(market) <= self.settings.min_move_bps:
            self.skipped += 1
            return False
        score = self._scores.get(signal_name)
        if score is None:
            score = self._scores[signal_name] = _Score()
        d = self.settings.decay
        score.hits = d * score.hits + (1.0 if signal_sign * market > 0 else 0.0)
        score.trials = d * score.trials + 1.0
        score.updates += 1
        self._weights[signal_name] = self._weight_of(score)
        return True

    def record_signals(self, cloid: str, signals: Mapping[str, float]) -> None:
        """The signal values at the decision that sent order `cloid` (kept bounded)."""
        self._decisions[cloid] = dict(signals)
        if len(self._decisions) > _MAX_DECISIONS:
            self._decisions.popitem(last=False)

    def on_markout(self, result: MarkoutResult) -> int:
        """Feed a completed markout at the trust horizon; returns signals updated."""
        if result.horizon_ms != self.settings.horizon_ms or result.move_bps is None:
            return 0
        signals = None if result.cloid is None else self._decisions.get(result.cloid)
        if signals is None:
            return 0
        return sum(self.observe(name, _sign(v), result.is_buy, result.move_bps)
                   for name, v in signals.items())

    # ------------------------------------------------------------ reads

    def p_hat(self, name: str) -> float:
        score = self._scores.get(name)
        a = self.settings.prior_strength / 2
        if score is None:
            return 0.5
        return (score.hits + a) / (score.trials + 2 * a)

    def explain(self) -> dict[str, object]:
        s = self.settings
        return {"prior": {"a": s.prior_strength / 2, "b": s.prior_strength / 2},
                "decay": s.decay, "zero_at": s.zero_at, "horizon_ms": s.horizon_ms,
                "signals": {name: {"hits": sc.hits, "trials": sc.trials,
                                   "updates": sc.updates, "p_hat": self.p_hat(name),
                                   "weight": self.weight(name)}
                            for name, sc in self._scores.items()}}

    def _weight_of(self, score: _Score) -> float:
        a = self.settings.prior_strength / 2
        p = (score.hits + a) / (score.trials + 2 * a)
        z = self.settings.zero_at
        return min(1.0, max(0.0, (p - z) / (0.5 - z)))


def _sign(x: float) -> float:
    if not math.isfinite(x) or x == 0:
        return 0.0
    return 1.0 if x > 0 else -1.0
