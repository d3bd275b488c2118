"""Cross-asset lead-lag signal: the lead coin moved, the lag coin has not followed yet.

Background: large-cap crypto perpetuals co-move, and the most liquid one (BTC) tends to
incorporate information first; the lag is short (tens of milliseconds on recorded Binance
data, where lag-0 co-movement dominates). See e.g. T. Hayashi, N. Yoshida (2005), "On
covariance estimation of non-synchronously observed diffusion processes", Bernoulli 11(2),
and M. Hoffmann, M. Rosenbaum, N. Yoshida (2013), "Estimation of the lead-lag parameter from
non-synchronous data", Bernoulli 19(2), for lead-lag on asynchronous ticks. This detector is
deliberately simple and conservative: a threshold in volatility units over one short window.

Definition, at exchange time t = the latest exchange timestamp seen for either coin, with W
the window and each coin's price taken "as of" a time (its last observation at or before it):

    r_c     = log mid_c(t) − log mid_c(t − W)            (c = lead, lag)
    σ_c     = sqrt(v_c · W)       v_c: EWMA realised variance rate of log mid, per ns, as
                                  known at t − W (so the move being judged does not
                                  inflate its own yardstick)
    z_c     = r_c / σ_c
    +1  if z_lead >  threshold_sigma and z_lag < follow_fraction · z_lead
    −1  if z_lead < −threshold_sigma and z_lag > follow_fraction · z_lead
     0  otherwise (also while either coin has no price at or before t − W, i.e. warming up)

Windows are decided on exchange timestamps only, never on arrival order: a move the lead
made more than W before the latest exchange time is outside the window however late its
frame arrived.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable

MAX_WINDOW_NS = 300_000_000
"""Lead-lag on Hyperliquid is only meaningful well inside one block cadence: < 300 ms."""


SEED_STEP_NS = 100_000_000
"""Spacing of the seed's time-less observations: about one block plus its bbo push."""


class StepClock:
    """A clock that moves `step_ns` forward on every read: observation n is at n * step."""

    __slots__ = ("now_ns", "step_ns")

    def __init__(self, step_ns: int) -> None:
        if step_ns <= 0:
            raise ValueError(f"step_ns must be positive, got {step_ns}")
        self.step_ns = step_ns
        self.now_ns = 0

    def __call__(self) -> int:
        self.now_ns += self.step_ns
        return self.now_ns


class _Series:
    """Log mids of one coin over the last window, plus its EWMA variance rate."""

    __slots__ = ("_decay_time", "_decay_var", "halflife_ns", "last_log", "last_mid", "last_ns",
                 "logs", "rates", "samples", "times")

    def __init__(self, halflife_ns: int) -> None:
        self.halflife_ns = halflife_ns
        self.times: deque[int] = deque()
        self.logs: deque[float] = deque()
        self.rates: deque[float] = deque()  # variance rate after each observation
        self.last_ns = -1
        self.last_log = math.nan
        self.last_mid = math.nan  # the mid whose log is last_log (skips a log() on repeats)
        self._decay_var = 0.0  # exponentially weighted sum of squared log returns
        self._decay_time = 0.0  # exponentially weighted sum of elapsed ns
        self.samples = 0

    def push(self, log_mid: float, ns: int, mid: float = math.nan) -> None:
        # Realised variance per unit time with time-based exponential forgetting: the ratio
        # of decayed sums is robust to irregular sampling (returns with dt = 0 add variance
        # without adding time, as two changes inside one block should). Inlined, as is
        # `variance_rate`: this runs on every mid change of either coin of a pair.
        if self.last_ns >= 0:
            r = log_mid - self.last_log
            dt = ns - self.last_ns
            decay = 0.5 ** (dt / self.halflife_ns) if dt > 0 else 1.0
            self._decay_var = self._decay_var * decay + r * r
            self._decay_time = self._decay_time * decay + dt
            self.samples += 1
        self.times.append(ns)
        self.logs.append(log_mid)
        decay_time = self._decay_time
        self.rates.append(self._decay_var / decay_time if decay_time > 0.0 else math.nan)
        self.last_ns, self.last_log, self.last_mid = ns, log_mid, mid

    def variance_rate(self) -> float:
        return self._decay_var / self._decay_time if self._decay_time > 0.0 else math.nan

    def as_of(self, t_ns: int) -> int:
        """Index of the last observation at or before t_ns; −1 if none is kept."""
        times = self.times
        if not times or times[0] > t_ns:
            return -1
        for i in range(len(times) - 1, -1, -1):  # windows are short: a back-scan is cheap
            if times[i] <= t_ns:
                return i
        return -1  # unreachable: times[0] <= t_ns

    def first_as_of(self, start_ns: int) -> int:
        """`as_of(start_ns)` right after `trim(start_ns)`, in O(1).

        After the trim every kept observation but the first is later than `start_ns`, so
        the last one at or before it can only be the first.
        """
        times = self.times
        return 0 if times and times[0] <= start_ns else -1

    def trim(self, start_ns: int) -> None:
        """Drop observations not needed to know the price as of `start_ns` or later."""
        times = self.times
        while len(times) > 1 and times[1] <= start_ns:
            times.popleft()
            self.logs.popleft()
            self.rates.popleft()


class LeadLagSignal:
    """Lead-lag detector between two different coins on exchange time (see module doc).

    `update(lead_mid, lag_mid, lead_ns, lag_ns)` takes each coin's latest mid with the exchange
    time of the book state it comes from (pass the unchanged coin's previous values again when
    only one moved). Invalid input (non-positive or non-finite mid, or not a number) is
    counted in `rejected` and ignored; an observation older than that coin's latest is
    counted in `out_of_order` and ignored (its window position is already in the past).

    The seed's form works too: `LeadLagSignal()` takes the window, threshold, volatility
    half-life and the coin pair from the packaged config, and `update(lead_mid, lag_mid)`
    without times stamps both mids with `clock()`. By default that clock is a step clock:
    each such call is one observation `SEED_STEP_NS` after the previous one (a block's
    cadence), so a sequence of seed calls is judged the same way however fast it is made,
    deterministically, with no wall clock in a signal. Pass `clock=time.monotonic_ns` to
    stamp live observations with their real spacing instead. The engine and replays always
    pass exchange times.
    """

    __slots__ = ("_clock", "_lag", "_lead", "follow_fraction", "lag_coin", "last_ret_lag",
                 "last_ret_lead", "last_z_lag", "last_z_lead", "lead_coin", "min_samples",
                 "min_sigma", "now_ns", "out_of_order", "rejected", "threshold_sigma",
                 "window_ns")

    def __init__(
        self,
        window_ns: int | None = None,
        threshold_sigma: float | None = None,
        vol_halflife_ns: int | None = None,
        *,
        follow_fraction: float = 0.5,
        lead_coin: str | None = None,
        lag_coin: str | None = None,
        min_sigma: float = 1e-5,
        min_samples: int = 20,
        clock: Callable[[], int] | None = None,
    ) -> None:
        """Arguments left out (None) are the packaged config's values."""
        if (window_ns is None or threshold_sigma is None or vol_halflife_ns is None
                or lead_coin is None or lag_coin is None):
            d = _packaged()
            window_ns = d.window_ns if window_ns is None else window_ns
            threshold_sigma = d.threshold_sigma if threshold_sigma is None else threshold_sigma
            vol_halflife_ns = d.vol_halflife_ns if vol_halflife_ns is None else vol_halflife_ns
            lead_coin = d.lead_coin if lead_coin is None else lead_coin
            lag_coin = d.lag_coin if lag_coin is None else lag_coin
        self._clock = clock if clock is not None else StepClock(SEED_STEP_NS)
        _validate(window_ns, threshold_sigma, vol_halflife_ns, follow_fraction, lead_coin,
                  lag_coin, min_sigma, min_samples)
        self.window_ns = window_ns
        self.threshold_sigma = threshold_sigma
        self.follow_fraction = follow_fraction
        self.lead_coin, self.lag_coin = lead_coin, lag_coin
        self.min_sigma = min_sigma
        self.min_samples = min_samples
        self._lead = _Series(vol_halflife_ns)
        self._lag = _Series(vol_halflife_ns)
        self.now_ns = -1
        self.last_z_lead = math.nan
        self.last_z_lag = math.nan
        # Raw window log returns (the forecast's continuous lead-lag features): NaN until
        # both coins have a price at the window start.
        self.last_ret_lead = math.nan
        self.last_ret_lag = math.nan
        self.rejected = 0
        self.out_of_order = 0

    def update(self, lead_mid: float, lag_mid: float, lead_ns: int | None = None,
               lag_ns: int | None = None) -> int:
        """Feed the latest mids; returns +1, −1 or 0 for the window ending now. Without
        times (the seed's call) both mids are stamped with `clock()`."""
        if lead_ns is None or lag_ns is None:
            now = self._clock()
            lead_ns = now if lead_ns is None else lead_ns
            lag_ns = now if lag_ns is None else lag_ns
        lead, lag = self._lead, self._lag
        self._observe(lead, lead_mid, lead_ns)
        self._observe(lag, lag_mid, lag_ns)
        t = max(lead.last_ns, lag.last_ns)
        if t < 0:
            return 0
        self.now_ns = t
        start = t - self.window_ns
        lead.trim(start)
        lag.trim(start)
        return self._decide(start)

    def _observe(self, series: _Series, mid: float, ns: int) -> None:
        try:
            valid = mid > 0.0 and math.isfinite(mid)
        except TypeError:  # not a number at all: bad input, counted like a bad mid
            valid = False
        if not valid:
            self.rejected += 1
            return
        if ns < series.last_ns:
            self.out_of_order += 1
            return
        if ns == series.last_ns and mid == series.last_mid:
            return  # the same observation passed again (the unchanged coin, every update)
        log_mid = math.log(mid)
        if ns == series.last_ns and log_mid == series.last_log:
            return  # a different mid with the same log is the same observation too
        series.push(log_mid, ns, mid)

    def _decide(self, start_ns: int) -> int:
        # Each series' window start is looked up once, for its return and its z.
        lead, lag = self._lead, self._lag
        i_lead = lead.first_as_of(start_ns)  # `update` trimmed both series to start_ns
        i_lag = lag.first_as_of(start_ns)
        self.last_ret_lead = ret_lead = lead.last_log - lead.logs[i_lead] if i_lead >= 0 \
            else math.nan
        self.last_ret_lag = ret_lag = lag.last_log - lag.logs[i_lag] if i_lag >= 0 \
            else math.nan
        z_lead = self._z(lead, i_lead, ret_lead)
        z_lag = self._z(lag, i_lag, ret_lag)
        self.last_z_lead, self.last_z_lag = z_lead, z_lag
        if not (math.isfinite(z_lead) and math.isfinite(z_lag)):
            return 0
        k = self.threshold_sigma
        if z_lead > k and z_lag < self.follow_fraction * z_lead:
            return 1
        if z_lead < -k and z_lag > self.follow_fraction * z_lead:
            return -1
        return 0

    def _z(self, series: _Series, i: int, ret: float) -> float:
        """Window log return `ret` of `series` in units of its expected move over the
        window; `i`: the window start (`first_as_of`)."""
        if series.samples < self.min_samples:
            return math.nan
        if i < 0:
            return math.nan  # no price known at the window start yet
        rate = series.rates[i]
        if not rate >= 0.0:
            return math.nan  # no volatility known at the window start yet
        sigma = max(math.sqrt(rate * self.window_ns), self.min_sigma)
        return ret / sigma


class _Defaults:
    """The packaged config's lead-lag settings, in the units this module speaks."""

    __slots__ = ("lag_coin", "lead_coin", "threshold_sigma", "vol_halflife_ns", "window_ns")

    def __init__(self, window_ns: int, threshold_sigma: float, vol_halflife_ns: int,
                 lead_coin: str, lag_coin: str) -> None:
        self.window_ns, self.threshold_sigma = window_ns, threshold_sigma
        self.vol_halflife_ns, self.lead_coin, self.lag_coin = vol_halflife_ns, lead_coin, lag_coin


def _packaged() -> _Defaults:
    # Imported here: the hot-path module stays free of the config (pydantic) machinery.
    from hyperliquid_ofi_trader.config.packaged import packaged_config

    cfg = packaged_config()
    pair = cfg.symbols.lead_lag[0]  # the packaged config has one pair (the seed's)
    return _Defaults(pair.window_ms * 1_000_000, cfg.thresholds.leadlag.threshold_sigma,
                     cfg.thresholds.leadlag.vol_halflife_ms * 1_000_000, pair.lead, pair.lag)


def _validate(window_ns: int, threshold_sigma: float, vol_halflife_ns: int,
              follow_fraction: float, lead_coin: str, lag_coin: str, min_sigma: float,
              min_samples: int) -> None:
    if not 0 < window_ns < MAX_WINDOW_NS:
        raise ValueError(f"lead-lag window must be in (0, 300 ms), got {window_ns / 1e6:g} ms")
    if lead_coin == lag_coin:
        raise ValueError(f"lead and lag coins must differ, both are {lead_coin!r}")
    if not (math.isfinite(threshold_sigma) and threshold_sigma > 0.0):
        raise ValueError(f"threshold_sigma must be positive, got {threshold_sigma}")
    if vol_halflife_ns <= 0:
        raise ValueError(f"vol_halflife_ns must be positive, got {vol_halflife_ns}")
    if not 0.0 <= follow_fraction < 1.0:
        raise ValueError(f"follow_fraction must be in [0, 1), got {follow_fraction}")
    if not (math.isfinite(min_sigma) and min_sigma > 0.0):
        raise ValueError(f"min_sigma must be positive, got {min_sigma}")
    if min_samples < 1:
        raise ValueError(f"min_samples must be at least 1, got {min_samples}")
