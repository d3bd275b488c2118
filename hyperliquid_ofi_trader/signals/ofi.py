"""Order-flow imbalance (OFI): Level 1, multi-level, integrated, rolling sums, normalisation.

References
- R. Cont, A. Kukanov, S. Stoikov (2014), "The price impact of order book events",
  Journal of Financial Econometrics 12(1): the Level-1 OFI event
      e_n = 1{Pb_n >= Pb_{n-1}}·qb_n − 1{Pb_n <= Pb_{n-1}}·qb_{n-1}
          − 1{Pa_n <= Pa_{n-1}}·qa_n + 1{Pa_n >= Pa_{n-1}}·qa_{n-1}
  and the linear impact law ΔP ≈ β·OFI with β ∝ 1/depth.
- K. Xu, M. D. Gould, S. D. Howison (2018), "Multi-level order-flow imbalance in a limit order
  book", arXiv:1907.06230: the same event computed on each of the first M levels.
- R. Cont, M. Cucuringu, C. Zhang (2023), "Cross-impact of order flow imbalance in equity
  markets", Quantitative Finance 23(10): integrated OFI, the multi-level OFI projected on its
  first principal component, weights normalised to unit L1 norm.

OFI here is driven by changes of the book only; it never mixes in trades (a trade that
consumes the best level already shows up as a size decrease or a price move).
"""

from __future__ import annotations

import math
from collections import deque
from typing import TYPE_CHECKING, Final

import numpy as np
import numpy.typing as npt

from hyperliquid_ofi_trader.core.book_view import BookView
from hyperliquid_ofi_trader.core.events import Side
from hyperliquid_ofi_trader.signals.coin_signal import CoinSignal

if TYPE_CHECKING:
    from hyperliquid_ofi_trader.config.thresholds_schema import OfiThresholds
    from hyperliquid_ofi_trader.signals.microprice import MicropriceModel
    from hyperliquid_ofi_trader.signals.signal_state import SignalState

_INF = math.inf
_NS_PER_MS: Final = 1_000_000
DEPTH_HALFLIFE_NS: Final = 60_000 * _NS_PER_MS
"""Half-life of the depth average OFI is divided by: a minute, long against the OFI window
(the scale must not chase the flow it normalises), short against a session's liquidity
cycle. Not a config key."""
# Module aliases: reading an enum member off its class costs ~100 ns on every event.
_BID: Final = Side.BID
_ASK: Final = Side.ASK


def l1_ofi_event(
    pb: float, qb: float, pa: float, qa: float,
    pb_prev: float, qb_prev: float, pa_prev: float, qa_prev: float,
) -> float:
    """One Cont-Kukanov-Stoikov OFI event from the previous and current best bid/ask.

    Positive means net buying pressure: bid depth added or ask depth removed.
    """
    # Bid and ask contributions are formed separately and subtracted last, so swapping the
    # sides (a mirrored book) negates the result exactly, not just up to rounding.
    bid = (qb if pb >= pb_prev else 0.0) - (qb_prev if pb <= pb_prev else 0.0)
    ask = (qa if pa <= pa_prev else 0.0) - (qa_prev if pa >= pa_prev else 0.0)
    return bid - ask


class OFICalculator:
    """Level-1 OFI over successive states of one book (Cont, Kukanov & Stoikov 2014).

    Call `update()` after every book change; it compares the book's best bid/ask with the
    previous call's. The first call (and the first after `reset()` or after a side went empty)
    only records the state and returns 0, so a resync never produces a jump. When Level 1 is
    unchanged it returns 0 and changes nothing, so calling it after a snapshot whose top is
    unchanged adds nothing.
    """

    __slots__ = ("_book", "_pa", "_pb", "_qa", "_qb", "_ready", "events", "rejected")

    def __init__(self, orderbook: BookView) -> None:
        self._book = orderbook
        self._pb = self._qb = self._pa = self._qa = 0.0
        self._ready = False
        self.events = 0
        """Number of non-trivial OFI events produced."""
        self.rejected = 0
        """Updates refused because a side was empty or a value non-finite."""

    def reset(self) -> None:
        """Forget the previous state (call after a resync): the next update re-initialises."""
        self._ready = False

    def update(self) -> float:
        """The OFI event since the previous call, in coin units; 0 when L1 is unchanged."""
        bid = self._book.best_bid()
        ask = self._book.best_ask()
        if bid is None or ask is None:
            return self._reject()
        pb, qb = bid
        pa, qa = ask
        if self._ready and pb == self._pb and qb == self._qb and pa == self._pa and qa == self._qa:
            return 0.0
        # One call checks all four: any NaN or ±inf (even inf − inf) makes the sum non-finite.
        if not math.isfinite(pb + qb + pa + qa):
            return self._reject()
        e = l1_ofi_event(pb, qb, pa, qa, self._pb, self._qb, self._pa, self._qa) if self._ready \
            else 0.0
        self._pb, self._qb, self._pa, self._qa = pb, qb, pa, qa
        self._ready = True
        if e != 0.0:
            self.events += 1
        return e

    def _reject(self) -> float:
        # Without both sides there is no L1 to difference against; start afresh afterwards.
        self._ready = False
        self.rejected += 1
        return 0.0


class RollingSum:
    """Sum of the values added over the last `window_ns` of exchange time.

    The window is the half-open interval (t − window_ns, t] where t is the latest exchange
    time seen (by `add` or `advance`). Amortised O(1) per add. A value stamped earlier than the
    latest time (e.g. an l2Book push older than the last bbo) is counted at the latest time,
    because that is when its change became visible; `clamped` counts those. Non-finite values
    are rejected and counted, never stored.
    """

    __slots__ = ("_evictions", "_now_ns", "_sum", "_times", "_values", "clamped", "rejected",
                 "window_ns")

    # Recompute the running sum exactly every so many evictions so float drift stays bounded.
    _RESYNC_EVERY = 1024

    def __init__(self, window_ns: int) -> None:
        if window_ns <= 0:
            raise ValueError(f"rolling window must be positive, got {window_ns} ns")
        self.window_ns = window_ns
        self._times: deque[int] = deque()
        self._values: deque[float] = deque()
        self._sum = 0.0
        self._now_ns = -(1 << 62)
        self._evictions = 0
        self.clamped = 0
        self.rejected = 0

    def add(self, value: float, exchange_ns: int) -> bool:
        """Add `value` at `exchange_ns`; False (and counted) when the value is not finite."""
        if not math.isfinite(value):
            self.rejected += 1
            return False
        if exchange_ns < self._now_ns:
            self.clamped += 1
            exchange_ns = self._now_ns
        self.advance(exchange_ns)
        if value != 0.0:
            self._times.append(exchange_ns)
            self._values.append(value)
            self._sum += value
        return True

    def advance(self, now_ns: int) -> float:
        """Move the window's end to `now_ns` (never backwards), evict, and return the total."""
        if now_ns > self._now_ns:
            self._now_ns = now_ns
            cutoff = now_ns - self.window_ns
            times = self._times
            # `_evict` does nothing unless a value left the window or a resync is due (an
            # empty window's sum is already exactly 0.0): most advances skip its call.
            if (times and times[0] <= cutoff) or self._evictions >= self._RESYNC_EVERY:
                self._evict(cutoff)
        return self._sum

    def total(self) -> float:
        """Sum over the window ending at the latest time seen."""
        return self._sum

    def __len__(self) -> int:
        return len(self._values)

    def _evict(self, cutoff_ns: int) -> None:
        times, values = self._times, self._values
        while times and times[0] <= cutoff_ns:
            times.popleft()
            self._sum -= values.popleft()
            self._evictions += 1
        if not values:
            self._sum = 0.0
        elif self._evictions >= self._RESYNC_EVERY:
            self._sum = math.fsum(values)
            self._evictions = 0


def _padded(lv: list[tuple[float, float]], n: int, pad_price: float) -> list[tuple[float, float]]:
    # A missing level is an empty level at an infinitely bad price: it then enters the OFI
    # formula as depth that appeared or vanished, with the right sign and no special case.
    if len(lv) < n:
        lv = lv + [(pad_price, 0.0)] * (n - len(lv))
    return lv


def multi_level_ofi_event(
    bids: list[tuple[float, float]], asks: list[tuple[float, float]],
    prev_bids: list[tuple[float, float]], prev_asks: list[tuple[float, float]],
) -> tuple[float, ...]:
    """Per-level OFI events (Xu, Gould & Howison 2018); all four lists have the same length.

    Each level is `l1_ofi_event` written out (the same expressions, in the same order): it
    runs on every book event, five levels each."""
    out = []
    for (pb, qb), (pa, qa), (pb_prev, qb_prev), (pa_prev, qa_prev) in zip(
            bids, asks, prev_bids, prev_asks, strict=True):
        bid = (qb if pb >= pb_prev else 0.0) - (qb_prev if pb <= pb_prev else 0.0)
        ask = (qa if pa <= pa_prev else 0.0) - (qa_prev if pa >= pa_prev else 0.0)
        out.append(bid - ask)
    return tuple(out)


class MultiLevelOFI:
    """OFI on each of the first `levels` levels of one book (Xu, Gould & Howison 2018).

    `update()` returns a tuple of `levels` floats (level 1 first). Missing levels are treated
    as empty levels at −inf (bids) / +inf (asks). Same initialisation and unchanged-book rules
    as `OFICalculator`; level 1 equals `OFICalculator`'s value.
    """

    __slots__ = ("_asks", "_bids", "_book", "_ready", "_zero", "levels", "rejected")

    def __init__(self, orderbook: BookView, levels: int = 5) -> None:
        if levels < 1:
            raise ValueError(f"multi-level OFI needs at least one level, got {levels}")
        self._book = orderbook
        self.levels = levels
        self._bids: list[tuple[float, float]] = []
        self._asks: list[tuple[float, float]] = []
        self._ready = False
        self._zero = (0.0,) * levels
        self.rejected = 0

    def reset(self) -> None:
        self._ready = False

    def update(self) -> tuple[float, ...]:
        book, n = self._book, self.levels
        return self.update_from(book.levels(_BID, n), book.levels(_ASK, n))

    def update_from(self, bids: list[tuple[float, float]],
                    asks: list[tuple[float, float]]) -> tuple[float, ...]:
        """`update` on the book's `levels(side, self.levels)` already read by the caller
        (`OfiSignal` reads them once for the OFI and its depth)."""
        n = self.levels
        bids = _padded(bids, n, -_INF)
        asks = _padded(asks, n, _INF)
        if bids[0][1] <= 0.0 or asks[0][1] <= 0.0 or not _all_finite_sizes(bids, asks):
            self._ready = False
            self.rejected += 1
            return self._zero
        if self._ready and bids == self._bids and asks == self._asks:
            return self._zero
        out = multi_level_ofi_event(bids, asks, self._bids, self._asks) if self._ready \
            else self._zero
        self._bids, self._asks, self._ready = bids, asks, True
        return out


def _all_finite_sizes(bids: list[tuple[float, float]], asks: list[tuple[float, float]]) -> bool:
    # A finite sum proves every size finite (a NaN or an inf would make it non-finite);
    # only a non-finite sum (which finite sizes can reach by overflow) needs the check
    # of each size.
    total = 0.0
    for _, q in bids:
        total += q
    for _, q in asks:
        total += q
    if math.isfinite(total):
        return True
    return all(math.isfinite(q) for _, q in bids) and all(math.isfinite(q) for _, q in asks)


def fit_integrated_weights(multi_level_ofi: npt.ArrayLike) -> npt.NDArray[np.float64]:
    """Integration weights of Cont, Cucuringu & Zhang (2023) from a sample of multi-level OFIs.

    `multi_level_ofi` is (n_samples, M): typically per-interval sums of the M level OFIs, each
    divided by the average depth (the paper's normalisation). The weights are the first
    principal component of the column covariance, signed so their sum is positive (integrated
    OFI then moves with level-1 OFI) and scaled to unit L1 norm. Rows with a non-finite entry
    are dropped. Raises ValueError when fewer than 2 usable rows remain or the sample has no
    variance (nothing to fit; the caller's input is at fault).
    """
    x = np.asarray(multi_level_ofi, dtype=np.float64)
    if x.ndim != 2 or x.shape[1] < 1:
        raise ValueError(f"expected a 2-D (samples, levels) array, got shape {x.shape}")
    x = x[np.isfinite(x).all(axis=1)]
    if x.shape[0] < 2:
        raise ValueError(f"need at least 2 finite samples to fit weights, got {x.shape[0]}")
    cov = np.atleast_2d(np.cov(x, rowvar=False))
    eigval, eigvec = np.linalg.eigh(cov)
    if not eigval[-1] > 0.0:
        raise ValueError("multi-level OFI sample has no variance: cannot fit weights")
    w = eigvec[:, -1]
    if w.sum() < 0.0:
        w = -w
    return np.asarray(w / np.abs(w).sum(), dtype=np.float64)


def normalise_weights(weights: npt.ArrayLike) -> tuple[float, ...]:
    """Validate integration weights and scale them to unit L1 norm."""
    w = np.asarray(weights, dtype=np.float64).ravel()
    norm = float(np.abs(w).sum())
    if w.size == 0 or not np.isfinite(w).all() or norm <= 0.0:
        raise ValueError(f"integration weights must be finite and not all zero, got {w.tolist()}")
    return tuple(float(v) for v in w / norm)


class IntegratedOFI:
    """Integrated OFI (Cont, Cucuringu & Zhang 2023): weights · multi-level OFI event."""

    __slots__ = ("_multi", "_zero_total", "weights")

    def __init__(self, orderbook: BookView, weights: npt.ArrayLike) -> None:
        self.weights = normalise_weights(weights)
        self._multi = MultiLevelOFI(orderbook, len(self.weights))
        # What `_total` gives for the multi-level zero event (an unchanged or refused
        # book): computed once, by the same expression.
        self._zero_total = self._total(self._multi._zero)

    @property
    def levels(self) -> int:
        return self._multi.levels

    def reset(self) -> None:
        self._multi.reset()

    def update(self) -> float:
        return self._integrate(self._multi.update())

    def update_from(self, bids: list[tuple[float, float]],
                    asks: list[tuple[float, float]]) -> float:
        """`update` on the book's `levels(side, self.levels)` already read by the caller."""
        return self._integrate(self._multi.update_from(bids, asks))

    def _integrate(self, e: tuple[float, ...]) -> float:
        if e is self._multi._zero:
            return self._zero_total
        return self._total(e)

    def _total(self, e: tuple[float, ...]) -> float:
        return math.fsum([w * v for w, v in zip(self.weights, e, strict=True)])


def vol_in_ticks(sigma_per_sqrt_s: float, mid: float, tick: float, horizon_s: float) -> float:
    """Convert a log-return volatility per sqrt(second) into ticks of mid over `horizon_s`.

    Returns NaN when an input is not usable (non-positive tick or mid, negative horizon);
    `OFINormalizer.scale` then rejects it.
    """
    if not (tick > 0.0 and mid > 0.0 and horizon_s >= 0.0):
        return math.nan
    return sigma_per_sqrt_s * math.sqrt(horizon_s) * mid / tick


class OFINormalizer:
    """Makes OFI comparable across regimes and coins.

    Cont, Kukanov & Stoikov (2014) find ΔP ≈ β·OFI with β ≈ c / AD, AD the average depth at
    the best levels (coin units), so OFI / AD is the implied mid move in ticks up to the
    constant c. Dividing that by the typical mid move over the same horizon, in ticks, gives a
    dimensionless figure in "sigmas of move", comparable across coins and volatility regimes:

        scaled = ofi / (depth · max(volatility, vol_floor))

    - `ofi`: OFI summed over a horizon (coin units).
    - `depth`: average best-level depth over a comparable window (coin units, > 0). Pass the
      mean of (best bid size + best ask size) / 2, or the per-level average over M levels for
      multi-level/integrated OFI.
    - `volatility`: standard deviation of the mid change over the OFI horizon, in ticks (see
      `vol_in_ticks`). Use 1.0 to get the depth-only normalisation ofi / depth.

    Guards: depth <= 0 or non-finite, volatility < 0 or non-finite, non-finite OFI, or an
    argument that is not a number at all return 0.0
    (no signal) and increment `rejected`; volatility in [0, vol_floor) is raised to vol_floor
    so a flat market cannot blow the signal up.
    """

    __slots__ = ("rejected", "vol_floor")

    def __init__(self, vol_floor: float = 0.5) -> None:
        if not (math.isfinite(vol_floor) and vol_floor > 0.0):
            raise ValueError(f"vol_floor must be a positive number of ticks, got {vol_floor}")
        self.vol_floor = vol_floor
        self.rejected = 0

    def scale(self, ofi: float, depth: float, volatility: float = 1.0) -> float:
        try:
            ok = depth > 0.0 and volatility >= 0.0 and math.isfinite(ofi + depth + volatility)
        except TypeError:  # not numbers at all: rejected like any other bad input
            ok = False
        if not ok:
            self.rejected += 1
            return 0.0
        return ofi / (depth * max(volatility, self.vol_floor))


class DepthEWMA:
    """Time-decayed mean of the per-level depth, the OFI normaliser's "average depth"."""

    __slots__ = ("_halflife_ns", "_last_ns", "value")

    def __init__(self, halflife_ns: int) -> None:
        self._halflife_ns = halflife_ns
        self._last_ns = -1
        self.value = math.nan

    def update(self, depth: float, ns: int) -> float:
        if not (depth > 0.0 and math.isfinite(depth)):
            return self.value
        if self._last_ns < 0 or not math.isfinite(self.value):
            self.value = depth
        elif ns > self._last_ns:
            w = 0.5 ** ((ns - self._last_ns) / self._halflife_ns)
            self.value = w * self.value + (1.0 - w) * depth
        self._last_ns = max(ns, self._last_ns)
        return self.value


class OfiSignal(CoinSignal):
    """The published "ofi" of one coin: rolling OFI over the window (Level 1, or integrated
    over M levels when weights are given), divided by the average depth per level."""

    __slots__ = ("_levels_x2", "_shared", "book", "depth", "depth_levels", "normalizer",
                 "ofi", "rolling")

    def __init__(self, book: BookView, section: OfiThresholds) -> None:
        self.book = book
        weights = section.signal_weights()
        self.ofi: OFICalculator | IntegratedOFI = (
            OFICalculator(book) if weights is None else IntegratedOFI(book, weights))
        self.rolling = RollingSum(section.window_ms * _NS_PER_MS)
        self.normalizer = OFINormalizer()
        self.depth = DepthEWMA(DEPTH_HALFLIFE_NS)
        self.depth_levels = section.depth_levels
        self._levels_x2 = 2 * section.depth_levels  # both sides' levels, the per-level divisor
        # Multi-level OFI over the depth's own levels: each book event reads them once.
        self._shared: IntegratedOFI | None = (
            self.ofi if type(self.ofi) is IntegratedOFI
            and self.ofi.levels == section.depth_levels else None)

    @classmethod
    def build(cls, book: BookView, tick: float, section: OfiThresholds,
              model: MicropriceModel | None) -> OfiSignal:
        return cls(book, section)

    def on_book(self, state: SignalState, ns: int, volatility_ticks: float) -> None:
        shared = self._shared
        if shared is not None:
            # The same reads as `ofi.update()` then `level_depth()`, the book unchanged
            # in between: each side's levels are read once instead of twice.
            book, n = self.book, self.depth_levels
            bids, asks = book.levels(_BID, n), book.levels(_ASK, n)
            self.rolling.add(shared.update_from(bids, asks), ns)
            level_depth = self._per_level(bids, asks)
        else:
            self.rolling.add(self.ofi.update(), ns)
            level_depth = self.level_depth()
        depth = self.depth.update(level_depth, ns)
        state.set("ofi", self.normalizer.scale(self.rolling.total(), depth, volatility_ticks), ns)

    def level_depth(self) -> float:
        """Mean size per level over the best `depth_levels` levels of both sides."""
        book = self.book
        n = self.depth_levels
        return self._per_level(book.levels(_BID, n), book.levels(_ASK, n))

    def _per_level(self, bid_levels: list[tuple[float, float]],
                   ask_levels: list[tuple[float, float]]) -> float:
        # Plain loops, not sum() over generators: same left-to-right additions per side
        # (sum() of floats adds sequentially from the first item), a third of the time.
        bids = 0.0
        for _, q in bid_levels:
            bids += q
        asks = 0.0
        for _, q in ask_levels:
            asks += q
        return (bids + asks) / self._levels_x2
