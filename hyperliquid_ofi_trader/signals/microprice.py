"""Imbalance-weighted mid and Stoikov's micro-price.

References
- S. Stoikov (2018), "The micro-price: a high-frequency estimator of future prices",
  Quantitative Finance 18(12). The micro-price is the limit of expected mids at the next
  mid-price changes given the current state (imbalance bucket, spread):
      P_micro = M + G*(I, S),  G* = Σ_{k≥0} B^k G¹
      G¹ = (1 − Q)⁻¹ R K     expected first mid change from each state
      B  = (1 − Q)⁻¹ T       distribution of the state right after the first mid change
  where, estimated from consecutive observations, Q holds state transitions without a mid
  change, T transitions with a mid change, R the probabilities of each mid change size and K
  those sizes (half-tick grid). The data are symmetrised (each transition is also added
  mirrored: I → 1 − I, ΔM → −ΔM), which makes G* antisymmetric and the series converge.
- The imbalance-weighted mid I·Pa + (1 − I)·Pb, I = qb / (qb + qa), is the paper's
  "weighted mid" baseline, used here when no fitted model is available.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING

import msgspec
import numpy as np
import numpy.typing as npt

from hyperliquid_ofi_trader.errors import OurBugError
from hyperliquid_ofi_trader.signals.coin_signal import CoinSignal

if TYPE_CHECKING:
    from hyperliquid_ofi_trader.config.thresholds_schema import MicropriceThresholds
    from hyperliquid_ofi_trader.core.book_view import BookView
    from hyperliquid_ofi_trader.signals.signal_state import SignalState

MODEL_FORMAT = "hlofi-microprice"
MODEL_VERSION = 1


class MicropriceModelError(OurBugError, ValueError):
    """A model file that cannot be used: missing, unreadable or inconsistent (user's input)."""


def weighted_mid(bid_px: float, bid_sz: float, ask_px: float, ask_sz: float) -> float:
    """Imbalance-weighted mid I·Pa + (1 − I)·Pb with I = qb / (qb + qa); plain mid if no size."""
    total = bid_sz + ask_sz
    if not total > 0.0:
        return 0.5 * (bid_px + ask_px)
    i = bid_sz / total
    return i * ask_px + (1.0 - i) * bid_px


def _lower_bucket(imbalance: float, n: int) -> int:
    b = int(imbalance * n)
    return b if b < n else n - 1


class MicropriceModel(msgspec.Struct, frozen=True, kw_only=True):
    """A fitted G* table: `adjustment_ticks[s - 1][b]` for spread s ticks, imbalance bucket b.

    Imbalance buckets split [0, 1] into `n_imbalance` equal widths. The table is exactly
    antisymmetric in the bucket (`G[s][n-1-b] == -G[s][b]`); lookups use the lower half and
    negate, so a mirrored book gets exactly the negated adjustment. `None` marks a state never
    observed in the fitting data.
    """

    tick: float
    n_imbalance: int
    adjustment_ticks: tuple[tuple[float | None, ...], ...]
    state_counts: tuple[tuple[int, ...], ...]
    n_transitions: int
    iterations: int
    converged: bool
    format: str = MODEL_FORMAT
    version: int = MODEL_VERSION

    @property
    def n_spread(self) -> int:
        return len(self.adjustment_ticks)

    def adjustment(self, imbalance: float, spread_ticks: int) -> float:
        """G*(I, S) in ticks; NaN when the spread or state is outside what was fitted."""
        if not (1 <= spread_ticks <= self.n_spread and 0.0 <= imbalance <= 1.0):
            return math.nan
        if imbalance == 0.5:
            return 0.0
        row = self.adjustment_ticks[spread_ticks - 1]
        if imbalance < 0.5:
            g = row[_lower_bucket(imbalance, self.n_imbalance)]
            return math.nan if g is None else g
        g = row[_lower_bucket(1.0 - imbalance, self.n_imbalance)]
        return math.nan if g is None else -g

    def save(self, path: str | Path) -> None:
        Path(path).write_bytes(msgspec.json.format(msgspec.json.encode(self), indent=2))

    @classmethod
    def load(cls, path: str | Path) -> MicropriceModel:
        """Read and validate a model file; raises MicropriceModelError with the reason."""
        try:
            raw = Path(path).read_bytes()
        except OSError as exc:
            raise MicropriceModelError(f"cannot read micro-price model {path}: {exc}") from exc
        try:
            model = msgspec.json.decode(raw, type=cls)
        except msgspec.DecodeError as exc:
            raise MicropriceModelError(f"invalid micro-price model {path}: {exc}") from exc
        problem = model.problem()
        if problem:
            raise MicropriceModelError(f"invalid micro-price model {path}: {problem}")
        return model

    def problem(self) -> str | None:
        """Why this model is inconsistent, or None when it is usable."""
        if self.format != MODEL_FORMAT or self.version != MODEL_VERSION:
            return f"unsupported format {self.format!r} version {self.version}"
        if not (math.isfinite(self.tick) and self.tick > 0.0):
            return f"tick must be positive, got {self.tick}"
        if self.n_imbalance < 1 or not self.adjustment_ticks:
            return "empty table"
        for row in self.adjustment_ticks:
            if len(row) != self.n_imbalance:
                return f"row of length {len(row)}, expected {self.n_imbalance}"
            if any(g is not None and not math.isfinite(g) for g in row):
                return "non-finite adjustment"
        if [len(r) for r in self.state_counts] != [len(r) for r in self.adjustment_ticks]:
            return "state_counts shape differs from adjustment_ticks"
        return None


# ------------------------------------------------------------------------------ fitting


class _Transitions(msgspec.Struct, frozen=True):
    """Symmetrised transitions as integer arrays: from-state, to-state, half-tick move."""

    src: npt.NDArray[np.int64]
    dst: npt.NDArray[np.int64]
    move: npt.NDArray[np.int64]


def _states(imbalance: npt.NDArray[np.float64], spread_ticks: npt.NDArray[np.int64],
            n_imb: int, n_spread: int) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.bool_]]:
    valid = (np.isfinite(imbalance) & (imbalance >= 0.0) & (imbalance <= 1.0)
             & (spread_ticks >= 1) & (spread_ticks <= n_spread))
    bucket = np.minimum((np.where(valid, imbalance, 0.0) * n_imb).astype(np.int64), n_imb - 1)
    return (spread_ticks.clip(1, n_spread) - 1) * n_imb + bucket, valid


def _mirror(state: npt.NDArray[np.int64], n_imb: int) -> npt.NDArray[np.int64]:
    b = state % n_imb
    return np.asarray(state - b + (n_imb - 1 - b), dtype=np.int64)


def _transitions(imbalance: npt.NDArray[np.float64], spread: npt.NDArray[np.float64],
                 mid: npt.NDArray[np.float64], tick: float, n_imb: int, n_spread: int,
                 max_move_ticks: float) -> _Transitions:
    with np.errstate(invalid="ignore"):
        st = np.rint(np.where(np.isfinite(spread), spread / tick, 0.0)).astype(np.int64)
        state, valid = _states(imbalance, st, n_imb, n_spread)
        valid &= np.isfinite(mid)
        half_ticks = np.rint(np.where(valid, 2.0 * mid / tick, 0.0))
    move_all = np.diff(half_ticks).astype(np.int64)
    keep = valid[:-1] & valid[1:] & (np.abs(move_all) <= round(2 * max_move_ticks))
    src, dst, move = state[:-1][keep], state[1:][keep], move_all[keep]
    return _Transitions(
        np.concatenate([src, _mirror(src, n_imb)]),
        np.concatenate([dst, _mirror(dst, n_imb)]),
        np.concatenate([move, -move]),
    )


def _g_star(tr: _Transitions, n_states: int, max_iter: int,
            tol: float) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.int64], int, bool]:
    counts = np.bincount(tr.src, minlength=n_states).astype(np.float64)
    denom = np.where(counts > 0, counts, 1.0)
    still = tr.move == 0
    q = np.zeros((n_states, n_states))
    np.add.at(q, (tr.src[still], tr.dst[still]), 1.0)
    t = np.zeros((n_states, n_states))
    np.add.at(t, (tr.src[~still], tr.dst[~still]), 1.0)
    # R·K collapsed: the expected mid change (ticks) over transitions that change the mid.
    rk = np.bincount(tr.src[~still], weights=tr.move[~still] / 2.0,
                     minlength=n_states).astype(np.float64) / denom
    q, t = q / denom[:, None], t / denom[:, None]
    # pinv, not inv: a state seen only with unchanged mid and no exit makes 1 − Q singular;
    # the least-norm solution then gives it no adjustment rather than an error.
    inv = np.linalg.pinv(np.eye(n_states) - q)
    g1 = inv @ rk
    b = inv @ t
    g, term = g1.copy(), g1
    for it in range(1, max_iter + 1):
        term = b @ term
        g += term
        if float(np.max(np.abs(term), initial=0.0)) < tol:
            return g, counts.astype(np.int64), it, True
    return g, counts.astype(np.int64), max_iter, False


def fit_microprice(
    imbalance: npt.ArrayLike,
    spread: npt.ArrayLike,
    mid: npt.ArrayLike,
    tick: float,
    *,
    n_imbalance: int = 10,
    n_spread: int = 2,
    max_move_ticks: float = 1.0,
    max_iter: int = 200,
    tol: float = 1e-10,
) -> MicropriceModel:
    """Fit Stoikov's (2018) G* table from consecutive observations of one coin's book.

    `imbalance` (qb / (qb + qa), in [0, 1]), `spread` and `mid` (price units) are equal-length
    arrays in time order, sampled on book changes or a fixed clock. Observations with a
    non-finite value, an imbalance outside [0, 1] or a spread outside 1..n_spread ticks are
    skipped, as are transitions whose mid change exceeds `max_move_ticks` (the paper keeps
    moves up to one tick; bigger jumps are gaps or resyncs). Raises ValueError for unusable
    arguments or when no transition survives (the caller's data is at fault).
    """
    arrays = [np.asarray(a, dtype=np.float64).ravel() for a in (imbalance, spread, mid)]
    _check_fit_args(arrays, tick, n_imbalance, n_spread, max_move_ticks, max_iter)
    imb, spr, mids = arrays
    tr = _transitions(imb, spr, mids, tick, n_imbalance, n_spread, max_move_ticks)
    if tr.src.size == 0:
        raise ValueError("no usable transitions in the data (check tick, spread range, NaNs)")
    n_states = n_imbalance * n_spread
    g, counts, iterations, converged = _g_star(tr, n_states, max_iter, tol)
    table = g.reshape(n_spread, n_imbalance)
    table = (table - table[:, ::-1]) / 2.0  # exact antisymmetry, removes float residue
    seen = counts.reshape(n_spread, n_imbalance) > 0
    return MicropriceModel(
        tick=float(tick),
        n_imbalance=n_imbalance,
        adjustment_ticks=tuple(
            tuple(float(v) if ok else None for v, ok in zip(row, ok_row, strict=True))
            for row, ok_row in zip(table, seen, strict=True)
        ),
        state_counts=tuple(tuple(int(c) for c in row)
                           for row in counts.reshape(n_spread, n_imbalance)),
        n_transitions=int(tr.src.size // 2),
        iterations=iterations,
        converged=converged,
    )


def _check_fit_args(arrays: list[npt.NDArray[np.float64]], tick: float, n_imbalance: int,
                    n_spread: int, max_move_ticks: float, max_iter: int) -> None:
    if len({a.size for a in arrays}) != 1:
        raise ValueError(f"imbalance, spread and mid differ in length: {[a.size for a in arrays]}")
    if not (math.isfinite(tick) and tick > 0.0):
        raise ValueError(f"tick must be positive, got {tick}")
    if n_imbalance < 2 or n_spread < 1:
        raise ValueError(f"need n_imbalance >= 2 and n_spread >= 1, got {n_imbalance}, {n_spread}")
    if not max_move_ticks >= 0.5 or max_iter < 1:
        raise ValueError("max_move_ticks must be >= 0.5 and max_iter >= 1")


# ------------------------------------------------------------------------------ signal


class MicropriceSignal:
    """Micro-price adjustment for the current top of book.

    `update(bid_px, bid_sz, ask_px, ask_sz)` returns the adjustment (micro-price − mid) in
    ticks and sets `price`, `adjustment_ticks`, `adjustment_bps` (relative to mid) and
    `half_spread_units` ((micro − mid) / (spread / 2): in [−1, 1] for the weighted mid, the
    normalised deviation the alpha combiner expects). With a model it uses G*(I, S); with no
    model, or for a spread/state the model never saw (counted in `fallbacks`), the weighted mid.
    An invalid top (non-finite, non-positive size or price, bid >= ask) returns NaN, counted in
    `rejected`: the signal is unknown then, not zero.
    """

    __slots__ = ("adjustment_bps", "adjustment_ticks", "fallbacks", "half_spread_units",
                 "model", "price", "rejected", "tick")

    def __init__(self, model: MicropriceModel | None, tick: float | None = None) -> None:
        use_tick = tick if tick is not None else (model.tick if model is not None else None)
        if use_tick is None or not (math.isfinite(use_tick) and use_tick > 0.0):
            raise ValueError(f"a positive tick is required (got {use_tick})")
        self.model = model
        self.tick = use_tick
        self.price = self.adjustment_ticks = self.adjustment_bps = math.nan
        self.half_spread_units = math.nan
        self.fallbacks = 0
        self.rejected = 0

    def update(self, bid_px: float, bid_sz: float, ask_px: float, ask_sz: float) -> float:
        if not (0.0 < bid_px < ask_px and bid_sz > 0.0 and ask_sz > 0.0
                and math.isfinite(ask_px + bid_sz + ask_sz)):
            self.rejected += 1
            self.price = self.adjustment_ticks = self.adjustment_bps = math.nan
            self.half_spread_units = math.nan
            return math.nan
        mid = 0.5 * (bid_px + ask_px)
        half = 0.5 * (ask_px - bid_px)
        dev = self._deviation(bid_px, bid_sz, ask_px, ask_sz, half)
        self.price = mid + dev
        self.adjustment_ticks = dev / self.tick
        self.adjustment_bps = 1e4 * dev / mid
        self.half_spread_units = dev / half
        return self.adjustment_ticks

    def _deviation(self, bid_px: float, bid_sz: float, ask_px: float, ask_sz: float,
                   half: float) -> float:
        """micro − mid in price units, computed from the smaller side so mirroring negates it."""
        total = bid_sz + ask_sz
        if bid_sz == ask_sz:
            return 0.0
        low, sign = (bid_sz, 1.0) if bid_sz < ask_sz else (ask_sz, -1.0)
        i_low = low / total  # imbalance of the lighter side, < 0.5
        if self.model is not None:
            g = self.model.adjustment(i_low, round(2.0 * half / self.tick))
            if math.isfinite(g):
                return sign * g * self.tick
            self.fallbacks += 1
        # Weighted mid − mid = (I − 1/2)·spread, written with the lighter side's imbalance.
        return sign * (i_low - 0.5) * 2.0 * half


class MicropriceCoinSignal(CoinSignal):
    """The published "microprice" of one coin: (micro-price − mid) / half-spread."""

    __slots__ = ("book", "micro")

    def __init__(self, book: BookView, tick: float, model: MicropriceModel | None) -> None:
        self.book = book
        self.micro = MicropriceSignal(model, tick)

    @classmethod
    def build(cls, book: BookView, tick: float, section: MicropriceThresholds,
              model: MicropriceModel | None) -> MicropriceCoinSignal:
        # The section names the model file; the caller loads it once for every coin.
        return cls(book, tick, model)

    def on_book(self, state: SignalState, ns: int, volatility_ticks: float) -> None:
        book = self.book
        bid, ask = book.best_bid(), book.best_ask()
        if bid is None or ask is None:
            state.invalidate("microprice")
            return
        micro = self.micro
        micro.update(bid[0], bid[1], ask[0], ask[1])
        state.set("microprice", micro.half_spread_units, ns)
