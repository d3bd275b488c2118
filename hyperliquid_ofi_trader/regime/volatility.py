"""Volatility regime: EWMA realised volatility of log mid returns, on exchange time.

Estimator (irregular samples, no resampling): keep a time-decayed sum of squared log returns
    S(t) = sum_i r_i^2 * exp(-lam * (t - t_i)),   lam = ln 2 / halflife_ns.
For returns with variance rate sigma^2 per ns, E[S] = sigma^2 * (1 - exp(-lam*T)) / lam after
T ns of history, so
    sigma^2 ~= lam * S / (1 - exp(-lam * T))
is unbiased from the first sample on, and each return weighs by its age, not by how many
book updates happened to arrive (a burst of bbo frames does not inflate the estimate; it only
splits the same move into smaller returns). Reported in bps per sqrt(second).

Why not `utils/ewma.TimeEwmaVar`: it weights SAMPLES (each update adds weight 1), so its
variance is per update, and its meaning shifts with the update rate. A regime threshold in
bps per sqrt(second) needs a variance RATE per unit of exchange time, with the bias correction
above and a warm-up clock; that is this small estimator.

Levels LOW < NORMAL < HIGH < EXTREME with hysteresis: a level is entered when the estimate
reaches its threshold and left downwards only when the estimate falls below
threshold * (1 - hysteresis). Until `warmup_ns` of history exists the level stays NORMAL and
`warm` is False (the detector then refuses to trade: an estimate from a few seconds of data
says little).

Bad input (mid non-finite or <= 0) is counted in `rejected` and ignored. Exchange time that
goes backwards is clamped to the latest time seen (counted in `time_regressions`): the book's
mid is still the newest information, only its timestamp is suspect.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from hyperliquid_ofi_trader.core.book_view import BookView
from hyperliquid_ofi_trader.regime.state import (
    VOL_ORDER,
    RegimeConfigError,
    VolLevel,
    require_non_negative,
    require_positive,
)

if TYPE_CHECKING:  # the section's type only: config sits below the components
    from hyperliquid_ofi_trader.config.thresholds_schema import VolatilityRegimeThresholds

_LN2 = math.log(2.0)
_NS_PER_MS = 1_000_000
_NS_PER_S = 1e9
_BPS = 1e4


def validate_volatility(halflife_ns: int, high_bps_per_s: float, extreme_bps_per_s: float,
                        low_bps_per_s: float, hysteresis: float, warmup_ns: int | None) -> None:
    """`low_bps_per_s` = 0 disables the LOW level (NORMAL then starts at zero);
    `warmup_ns` None means one half-life."""
    if halflife_ns <= 0:
        raise RegimeConfigError(f"halflife_ns must be > 0, got {halflife_ns}")
    require_non_negative("low_bps_per_s", low_bps_per_s)
    require_positive("high_bps_per_s", high_bps_per_s)
    require_positive("extreme_bps_per_s", extreme_bps_per_s)
    if not low_bps_per_s < high_bps_per_s < extreme_bps_per_s:
        raise RegimeConfigError(
            "volatility thresholds must satisfy low < high < extreme, got "
            f"{low_bps_per_s} / {high_bps_per_s} / {extreme_bps_per_s} bps/sqrt(s)"
        )
    require_non_negative("hysteresis", hysteresis)
    if hysteresis >= 1.0:
        raise RegimeConfigError(f"hysteresis is a fraction below 1, got {hysteresis}")
    if warmup_ns is not None and warmup_ns < 0:
        raise RegimeConfigError(f"warmup_ns must be >= 0, got {warmup_ns}")


class VolatilityRegime:
    """Realised-volatility estimate and level for one coin."""

    __slots__ = (
        "_down",
        "_lam",
        "_last_mid",
        "_rank",
        "_start_ns",
        "_sum",
        "_up",
        "_warmup",
        "level",
        "now_ns",
        "rejected",
        "samples",
        "time_regressions",
    )

    def __init__(
        self,
        halflife_ns: int,
        high_bps_per_s: float,
        extreme_bps_per_s: float,
        low_bps_per_s: float = 0.0,
        hysteresis: float = 0.2,
        warmup_ns: int | None = None,
    ) -> None:
        validate_volatility(halflife_ns, high_bps_per_s, extreme_bps_per_s, low_bps_per_s,
                            hysteresis, warmup_ns)
        self._lam = _LN2 / halflife_ns
        # Entry threshold of each level by rank (LOW is entered from zero).
        self._up = (0.0, low_bps_per_s, high_bps_per_s, extreme_bps_per_s)
        self._down = tuple(u * (1.0 - hysteresis) for u in self._up)
        self._warmup = halflife_ns if warmup_ns is None else warmup_ns
        self._sum = 0.0
        self._last_mid = math.nan
        self._start_ns = -1  # no sample yet
        self._rank = 1  # NORMAL until warm
        self.level = VolLevel.NORMAL
        self.now_ns = 0
        self.samples = 0
        self.rejected = 0
        self.time_regressions = 0

    @classmethod
    def from_config(cls, section: VolatilityRegimeThresholds, *, low_bps_per_s: float = 0.0,
                    hysteresis: float = 0.2, warmup_ns: int | None = None) -> VolatilityRegime:
        """The regime of a validated thresholds.yaml `regime.volatility` section (ms -> ns);
        the keywords are the knobs the configuration does not carry (no LOW level, a 20 %
        band, one half-life of warm-up)."""
        return cls(
            halflife_ns=section.halflife_ms * _NS_PER_MS,
            high_bps_per_s=section.high_vol_bps_per_s,
            extreme_bps_per_s=section.extreme_vol_bps_per_s,
            low_bps_per_s=low_bps_per_s,
            hysteresis=hysteresis,
            warmup_ns=warmup_ns,
        )

    @property
    def warm(self) -> bool:
        return self._start_ns >= 0 and self.now_ns - self._start_ns >= self._warmup

    def vol_bps_per_s(self) -> float:
        """Current estimate in bps per sqrt(second); NaN before two distinct sample times."""
        elapsed = self.now_ns - self._start_ns
        if self._start_ns < 0 or elapsed <= 0:
            return math.nan
        var_per_ns = self._lam * self._sum / -math.expm1(-self._lam * elapsed)
        return math.sqrt(var_per_ns * _NS_PER_S) * _BPS

    def update(self, book: BookView) -> VolLevel:
        """Feed the book's current mid at its exchange time."""
        return self.update_at(book.mid(), book.exchange_ns)

    def update_at(self, mid: float | None, exchange_ns: int) -> VolLevel:
        """`update` with the book's mid (None: a side is empty) and time already read."""
        if mid is None:
            self.rejected += 1
            return self.level
        return self.update_mid(mid, exchange_ns)

    def update_mid(self, mid: float, exchange_ns: int) -> VolLevel:
        if not mid > 0.0 or not math.isfinite(mid):
            self.rejected += 1
            return self.level
        self.samples += 1
        if self._start_ns < 0:
            self._start_ns = exchange_ns
            self.now_ns = exchange_ns
            self._last_mid = mid
            return self.level
        self._accumulate(mid, exchange_ns)
        self._relevel()
        return self.level

    # ------------------------------------------------------------ internals

    def _accumulate(self, mid: float, exchange_ns: int) -> None:
        dt = exchange_ns - self.now_ns
        if dt > 0:
            self._sum *= math.exp(-self._lam * dt)
            self.now_ns = exchange_ns
        elif dt < 0:
            self.time_regressions += 1
        if mid != self._last_mid:
            r = math.log(mid / self._last_mid)
            self._sum += r * r
            self._last_mid = mid

    def _relevel(self) -> None:
        # `warm`, written out (every book update)
        if not (self._start_ns >= 0 and self.now_ns - self._start_ns >= self._warmup):
            return
        vol = self.vol_bps_per_s()
        if not math.isfinite(vol):
            return
        rank = self._rank
        while rank < 3 and vol >= self._up[rank + 1]:
            rank += 1
        if rank == self._rank:
            while rank > 0 and vol < self._down[rank]:
                rank -= 1
        if rank != self._rank:
            self._rank = rank
            self.level = VOL_ORDER[rank]
