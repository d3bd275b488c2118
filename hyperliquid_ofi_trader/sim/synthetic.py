"""A SYNTHETIC BTC/ETH market for the emulator: seeded, deterministic, block by block.

THIS IS NOT MARKET DATA. It is a stochastic model built so that the emulator has a market
that moves like a venue's and so that the strategy's signals have something TRUE (by
construction) to find. Use recorded data (`sim/market_source.py`) to measure anything real.

API: `SyntheticMarket(settings, seed)`; `next_block()` -> the events of one block;
`run_for(duration_ns)` -> all events of that span; `iter_blocks()` -> endless (block ns,
events); `next_batch()` -> (offset ns from `start_ns`, events), the `MarketSource` protocol
of `sim/market_source.py` that the emulator's server pumps. For a live emulator, set
`start_ns` to the wall-clock start (whole ms) so that event times look current.

Time. The market advances in blocks (default every 100 ms, uniform jitter of +/- 30 ms, in
whole milliseconds). Every event of a block carries the block time as `exchange_ns`, and
`local_ns` equals it (the emulator's server stamps real send times). The first block is at
`start_ns` and carries the initial state. No wall clock is read: time is the block counter.

Per block and coin the market emits, as the venue's channels would:
- `Bbo` when Level 1 (price, size or order count of either side) changed;
- `BookSnapshot` (20 levels, 5 when `fast_book`) every `book_interval_ms` (default 500);
- `Trades` when market orders executed;
- `AssetCtx` every `ctx_interval_ms` (default 3 s): mark, oracle near the fair price,
  funding, open interest, premium, impact prices, day volume. Its `exchange_ns` is 0 as the
  venue sends no time for it (events.py), `local_ns` is the block time.

The model, per coin:
1. A latent FAIR log-price. The lead coin (BTC, 95,000, tick 1) is a random walk whose
   volatility depends on the regime, with a very weak pull to its start price (half-life
   hours) and reflection inside the band where its tick is constant. The lag coin (ETH,
   3,500, tick 0.1, szDecimals 4) follows the lead's log-return `lag_delay_ms` later (default
   150 ms) times `beta` (default 1.2), plus its own idiosyncratic walk: lead-lag is real here.
2. ORDER FLOW as a Poisson process per block: uninformed events (limit adds and cancels at
   the touch, small market orders, random side) at `noise_rate`, and informed events at
   `informed_rate` x |fair - mid| in ticks, always pushing the book toward the fair price
   (cancels at and market orders into the side that is in the way). Prices move only when a
   touch queue empties (the next resting tick becomes the best) or when a limit order
   improves a spread of two ticks or more. So order-flow imbalance (OFI) has real price
   impact: the queue depletes, then the price ticks.
3. A far mispricing (more than `sweep_ticks`) is closed by a sweep: an aggressive order
   walking several levels (trades at each).
4. REGIMES calm / active / stressed switch as a Markov chain (per-second rates); they scale
   volatility, flow rates, spread refill and liquidation-burst frequency.
5. LIQUIDATION-LIKE BURSTS: the fair price jumps (`burst_jump_bps`), and for a few blocks
   one-sided market orders hit the book in the jump's direction.
6. DEPTH: sizes grow away from the touch (`depth_growth` per level, flat after 8 levels);
   BTC's five levels hold a few to tens of BTC, ETH's tens to hundreds of ETH. The spread is
   one or two ticks most of the time. Prices are always valid ticks, books never crossed
   (see `sim/synthetic_book.py`).
"""

from __future__ import annotations

import math
import random
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Final

from hyperliquid_ofi_trader.core.events import (
    AssetCtx,
    Bbo,
    BookSnapshot,
    Level,
    MarketEvent,
    Trade,
    Trades,
)
from hyperliquid_ofi_trader.sim.synthetic_book import (
    LadderSide,
    SyntheticCoinBook,
    SyntheticCoinSpec,
    SyntheticConfigError,
    tick_band,
)

__all__ = [
    "BTC",
    "ETH",
    "LeadLagSpec",
    "RegimeSpec",
    "SyntheticCoinSpec",
    "SyntheticConfigError",
    "SyntheticMarket",
    "SyntheticSettings",
]

_MS: Final = 1_000_000
_BPS: Final = 1e-4
_LN2: Final = math.log(2.0)
_MAX_INFORMED_PER_BLOCK: Final = 40
_SWEEP_LEVELS: Final = 15
_RELAX_DRAWS: Final = 2
_BAND_MARGIN: Final = 0.05  # keep fair prices 5% inside the constant-tick band

def _check(ok: bool, what: str) -> None:
    if not ok:
        raise SyntheticConfigError(what)


def _positive(x: float) -> bool:
    return math.isfinite(x) and x > 0.0


BTC: Final = SyntheticCoinSpec(
    name="BTC", start_px=95_000.0, sz_decimals=5, touch_size=1.2, depth_growth=1.25,
    order_size=0.25, limit_size=0.3, market_size=0.08, vol_bps=0.35, noise_rate=40.0,
    informed_rate=40.0, gap_prob=0.25, open_interest=30_000.0, day_volume_usd=2e9,
)
ETH: Final = SyntheticCoinSpec(
    name="ETH", start_px=3_500.0, sz_decimals=4, touch_size=15.0, depth_growth=1.25,
    order_size=3.0, limit_size=4.0, market_size=1.0, vol_bps=0.2, noise_rate=30.0,
    informed_rate=40.0, gap_prob=0.15, open_interest=500_000.0, day_volume_usd=8e8,
)


@dataclass(frozen=True, slots=True)
class RegimeSpec:
    """Multipliers of one volatility regime, and its liquidation-burst rate."""

    name: str
    vol_mult: float
    rate_mult: float  # scales noise and informed flow
    refill_prob: float  # chance per try that a spread of >= 2 ticks gets an improving order
    bursts_per_s: float

    def __post_init__(self) -> None:
        _check(_positive(self.vol_mult) and _positive(self.rate_mult),
               f"regime {self.name}: multipliers must be positive")
        _check(0.0 < self.refill_prob <= 1.0, f"regime {self.name}: refill_prob in (0, 1]")
        _check(math.isfinite(self.bursts_per_s) and self.bursts_per_s >= 0.0,
               f"regime {self.name}: bursts_per_s must be >= 0")


CALM: Final = RegimeSpec("calm", 1.0, 1.0, 0.85, 0.002)
ACTIVE: Final = RegimeSpec("active", 2.0, 1.8, 0.7, 0.01)
STRESSED: Final = RegimeSpec("stressed", 4.0, 3.0, 0.45, 0.04)
# Per-second switching rates between calm, active and stressed (row: from, column: to).
SWITCH_RATES: Final = ((0.0, 1 / 120, 1 / 1800), (1 / 60, 0.0, 1 / 300), (0.0, 1 / 30, 0.0))


@dataclass(frozen=True, slots=True)
class LeadLagSpec:
    """The lag coin's fair log-return is `beta` times the lead's, `delay_ms` later.

    With `catchup_ms` > 0 the response is spread over time, as real catch-up is: from
    `delay_ms` on, the lag's lead-driven component closes the gap to `beta` times the
    delayed lead return exponentially with that time constant (63 % after `catchup_ms`),
    instead of all at once. 0 (the default) is the immediate response.
    """

    lead: str = "BTC"
    lag: str = "ETH"
    delay_ms: int = 150
    beta: float = 1.2
    catchup_ms: float = 0.0

    def __post_init__(self) -> None:
        _check(self.lead != self.lag, "lead and lag coins must differ")
        _check(0 <= self.delay_ms <= 10_000, "lead-lag delay must be in 0..10000 ms")
        _check(math.isfinite(self.beta), "beta must be finite")
        _check(math.isfinite(self.catchup_ms) and 0.0 <= self.catchup_ms <= 60_000.0,
               "lead-lag catchup_ms must be in 0..60000 ms")


@dataclass(frozen=True, slots=True)
class SyntheticSettings:
    """Everything the synthetic market needs besides its seed. Frozen; validated at build."""

    coins: tuple[SyntheticCoinSpec, ...] = (BTC, ETH)
    lead_lag: LeadLagSpec | None = field(default_factory=LeadLagSpec)
    start_ns: int = 1_735_689_600_000 * _MS  # 2025-01-01 00:00 UTC, a whole millisecond
    block_ms: int = 100
    block_jitter_ms: int = 30
    book_interval_ms: int = 500
    fast_book: bool = False
    ctx_interval_ms: int = 3_000
    regimes: tuple[RegimeSpec, RegimeSpec, RegimeSpec] = (CALM, ACTIVE, STRESSED)
    switch_rates: tuple[tuple[float, float, float], ...] = SWITCH_RATES
    initial_regime: int = 0
    reversion_halflife_s: float = 4 * 3600.0
    sweep_ticks: float = 6.0
    burst_jump_bps: float = 4.0
    burst_blocks: int = 3
    oracle_noise_bps: float = 0.5
    impact_notional_usd: float = 20_000.0

    def __post_init__(self) -> None:
        names = [c.name for c in self.coins]
        _check(bool(names) and len(set(names)) == len(names), "coin names must be unique")
        ll = self.lead_lag
        _check(ll is None or (ll.lead in names and ll.lag in names),
               "lead_lag names coins that are not configured")
        _check(self.start_ns >= 0 and self.start_ns % _MS == 0,
               "start_ns must be a non-negative whole millisecond (the venue sends ms)")
        _check(self.block_ms >= 1 and 0 <= self.block_jitter_ms < self.block_ms,
               "block_ms must be >= 1 and block_jitter_ms in [0, block_ms)")
        _check(self.book_interval_ms >= 1 and self.ctx_interval_ms >= 1,
               "book and context intervals must be >= 1 ms")
        _check(len(self.switch_rates) == 3 and all(
            len(row) == 3 and all(math.isfinite(r) and r >= 0.0 for r in row)
            for row in self.switch_rates), "switch_rates must be 3x3 non-negative")
        _check(0 <= self.initial_regime < 3, "initial_regime must be 0, 1 or 2")
        for name in ("reversion_halflife_s", "sweep_ticks", "impact_notional_usd"):
            _check(_positive(getattr(self, name)), f"{name} must be positive")
        for name in ("burst_jump_bps", "oracle_noise_bps"):
            _check(math.isfinite(getattr(self, name)) and getattr(self, name) >= 0.0,
                   f"{name} must be >= 0")
        _check(self.burst_blocks >= 1, "burst_blocks must be >= 1")

    @property
    def book_levels(self) -> int:
        """20 levels per side, 5 with `fast` (the venue's l2Book)."""
        return 5 if self.fast_book else 20


def _poisson(rng: random.Random, lam: float) -> int:
    """A Poisson draw (Knuth's product method; a rounded normal for large means)."""
    if lam <= 0.0:
        return 0
    if lam > 30.0:
        return max(0, round(rng.gauss(lam, math.sqrt(lam))))
    limit, k, p = math.exp(-lam), 0, rng.random()
    while p > limit:
        k += 1
        p *= rng.random()
    return k


# ---------------------------------------------------------------- fair prices


class _Fair:
    """Latent fair log-prices of all coins, advanced to each block time."""

    __slots__ = ("_bands", "_beta", "_catchup_s", "_delay_ms", "_history", "_idio", "_lag",
                 "_lead", "_led", "_rng", "_theta", "_vol", "x", "x0")

    def __init__(self, settings: SyntheticSettings, rng: random.Random, t_ms: int) -> None:
        self._rng = rng
        self.x0 = {c.name: math.log(c.start_px) for c in settings.coins}
        self.x = dict(self.x0)
        self._vol = {c.name: c.vol_bps * _BPS for c in settings.coins}
        self._bands = {c.name: _log_band(c) for c in settings.coins}
        self._theta = _LN2 / settings.reversion_halflife_s
        ll = settings.lead_lag
        self._lead = ll.lead if ll else ""
        self._lag = ll.lag if ll else ""
        self._beta = ll.beta if ll else 0.0
        self._delay_ms = ll.delay_ms if ll else 0
        self._catchup_s = ll.catchup_ms / 1000.0 if ll else 0.0
        self._idio = 0.0  # the lag coin's own component (log)
        self._led = 0.0  # the lag coin's lead-driven component (log)
        self._history: deque[tuple[int, float]] = deque([(t_ms, self.x0.get(self._lead, 0.0))])

    def advance(self, t_ms: int, dt: float, vol_mult: float) -> None:
        sq = math.sqrt(dt) * vol_mult
        for name in self.x:
            if name != self._lag:
                self.x[name] = self._walk(name, self.x[name], sq, dt)
        if self._lead:
            self._history.append((t_ms, self.x[self._lead]))
            self._follow(t_ms, sq, dt)

    def jump(self, name: str, log_move: float) -> None:
        if name == self._lag:
            self._idio += log_move
            self.x[name] += log_move
        else:
            self.x[name] = self._reflect(name, self.x[name] + log_move)
            if name == self._lead:  # the lag coin must see the jump `delay` after it
                self._history[-1] = (self._history[-1][0], self.x[name])

    def _walk(self, name: str, x: float, sq: float, dt: float) -> float:
        x0 = self.x0[name]
        x += self._vol[name] * sq * self._rng.gauss(0.0, 1.0) - self._theta * (x - x0) * dt
        return self._reflect(name, x)

    def _reflect(self, name: str, x: float) -> float:
        lo, hi = self._bands[name]
        if x > hi:
            return max(lo, 2.0 * hi - x)
        if x < lo:
            return min(hi, 2.0 * lo - x)
        return x

    def _follow(self, t_ms: int, sq: float, dt: float) -> None:
        lag = self._lag
        self._idio += (self._vol[lag] * sq * self._rng.gauss(0.0, 1.0)
                       - self._theta * self._idio * dt)
        lead_then = self._lead_at(t_ms - self._delay_ms)
        target = self._beta * (lead_then - self.x0[self._lead])
        if self._catchup_s > 0.0:
            self._led += (target - self._led) * -math.expm1(-dt / self._catchup_s)
        else:
            self._led = target
        x = self.x0[lag] + self._led + self._idio
        reflected = self._reflect(lag, x)
        self._idio += reflected - x  # keep the band by moving the idiosyncratic part only
        self.x[lag] = reflected

    def _lead_at(self, t_ms: int) -> float:
        """The lead's fair log-price at `t_ms`, linear between block times."""
        hist = self._history
        while len(hist) > 2 and hist[1][0] <= t_ms:
            hist.popleft()
        (t0, x0), (t1, x1) = hist[0], hist[1] if len(hist) > 1 else hist[0]
        if t_ms <= t0 or t1 == t0:
            return x0
        if t_ms >= t1:
            return x1
        return x0 + (x1 - x0) * (t_ms - t0) / (t1 - t0)


def _log_band(spec: SyntheticCoinSpec) -> tuple[float, float]:
    """Where the fair log-price may go: inside the constant-tick band, with a margin that
    shrinks for a coin starting near an edge (half-way to the edge, not past its start)."""
    lo, hi = tick_band(spec.start_px, spec.sz_decimals)
    x0 = math.log(spec.start_px)
    log_lo = min(math.log(lo * (1 + _BAND_MARGIN)), (x0 + math.log(lo)) / 2) if lo > 0 \
        else -math.inf
    log_hi = max(math.log(hi * (1 - _BAND_MARGIN)), (x0 + math.log(hi)) / 2) \
        if math.isfinite(hi) else math.inf
    return log_lo, log_hi


# ---------------------------------------------------------------- per-coin state


class _Coin:
    """One coin's book and the bookkeeping behind its channels."""

    __slots__ = ("book", "burst_dir", "burst_left", "day_volume", "last_l1", "last_trade_px",
                 "next_book_ms", "next_ctx_ms", "open_interest", "spec")

    def __init__(self, spec: SyntheticCoinSpec, rng: random.Random, t_ms: int) -> None:
        self.spec = spec
        self.book = SyntheticCoinBook(spec, rng)
        self.burst_dir = 0
        self.burst_left = 0
        self.day_volume = spec.day_volume_usd
        self.open_interest = spec.open_interest
        self.last_l1: tuple[Level, Level] | None = None
        self.last_trade_px = spec.start_px
        self.next_book_ms = t_ms
        self.next_ctx_ms = t_ms


# ---------------------------------------------------------------- the market


class SyntheticMarket:
    """The seeded synthetic market. Same settings and seed: the same events, bit for bit."""

    __slots__ = ("_coins", "_fair", "_regime", "_rng", "_t_ms", "_tid", "_trades", "blocks",
                 "settings")

    def __init__(self, settings: SyntheticSettings | None = None, seed: int = 0) -> None:
        self.settings = settings if settings is not None else SyntheticSettings()
        self._rng = random.Random(seed)
        self._t_ms = self.settings.start_ns // _MS
        self._fair = _Fair(self.settings, self._rng, self._t_ms)
        self._coins = [_Coin(c, self._rng, self._t_ms) for c in self.settings.coins]
        self._regime = self.settings.initial_regime
        self._tid = 10**14 + self._rng.randrange(10**13)
        self._trades: dict[str, list[Trade]] = {}
        self.blocks = 0

    # ------------------------------------------------------------ public

    @property
    def now_ns(self) -> int:
        """Time of the latest block (start_ns before the first)."""
        return self._t_ms * _MS

    @property
    def regime(self) -> str:
        return self.settings.regimes[self._regime].name

    def fair_px(self, coin: str) -> float:
        """The latent fair price (for tests and diagnostics; the strategy never sees it)."""
        return math.exp(self._fair.x[coin])

    def next_block(self) -> list[MarketEvent]:
        """Advance one block and return its events (the first block: the initial state)."""
        if self.blocks:
            s = self.settings
            step = s.block_ms + self._rng.randint(-s.block_jitter_ms, s.block_jitter_ms)
            self._t_ms += step
            self._simulate(step / 1000.0)
        self.blocks += 1
        out: list[MarketEvent] = []
        for coin in self._coins:
            self._emit(coin, self._trades.get(coin.spec.name), out)
        self._trades = {}
        return out

    def next_batch(self) -> tuple[int, list[MarketEvent]]:
        """`MarketSource`: the next block and its offset in ns from `start_ns`. Endless."""
        events = self.next_block()
        return self.now_ns - self.settings.start_ns, events

    def iter_blocks(self) -> Iterator[tuple[int, list[MarketEvent]]]:
        """Endless (block time in ns, events) pairs."""
        while True:
            events = self.next_block()
            yield self.now_ns, events

    def run_for(self, duration_ns: int) -> list[MarketEvent]:
        """All events of the blocks in the next `duration_ns` (from the latest block)."""
        end_ns = (self.now_ns if self.blocks else self.settings.start_ns - 1) + duration_ns
        out: list[MarketEvent] = []
        while self._next_block_ns() <= end_ns:
            out.extend(self.next_block())
        return out

    # ------------------------------------------------------------ simulation

    def _next_block_ns(self) -> int:
        # The jittered step is drawn when the block is made; the earliest it can be is known.
        if not self.blocks:
            return self.now_ns
        s = self.settings
        return (self._t_ms + s.block_ms - s.block_jitter_ms) * _MS

    def _simulate(self, dt: float) -> None:
        self._switch_regime(dt)
        regime = self.settings.regimes[self._regime]
        self._fair.advance(self._t_ms, dt, regime.vol_mult)
        for coin in self._coins:
            self._maybe_burst(coin, dt, regime)
        for coin in self._coins:
            self._flow(coin, dt, regime)

    def _switch_regime(self, dt: float) -> None:
        rates = self.settings.switch_rates[self._regime]
        u = self._rng.random()
        for to, rate in enumerate(rates):
            u -= rate * dt
            if u < 0.0:
                self._regime = to
                return

    def _maybe_burst(self, coin: _Coin, dt: float, regime: RegimeSpec) -> None:
        if coin.burst_left or self._rng.random() >= regime.bursts_per_s * dt:
            return
        rng = self._rng
        coin.burst_dir = 1 if rng.random() < 0.5 else -1
        coin.burst_left = self.settings.burst_blocks
        size = self.settings.burst_jump_bps * _BPS * math.exp(0.5 * rng.gauss(0.0, 1.0))
        self._fair.jump(coin.spec.name, coin.burst_dir * size)

    def _gap(self, coin: _Coin, fair_ticks: float) -> float:
        return fair_ticks - coin.book.mid_ticks()

    def _flow(self, coin: _Coin, dt: float, regime: RegimeSpec) -> None:
        """One block of order flow on one coin: Poisson events, sweep, refill, churn."""
        rng, book, spec = self._rng, coin.book, coin.spec
        fair_ticks = book.to_ticks(math.exp(self._fair.x[spec.name]))
        fills: list[tuple[bool, list[tuple[int, int]]]] = []
        n_noise = _poisson(rng, spec.noise_rate * regime.rate_mult * dt)
        lam_inf = spec.informed_rate * regime.rate_mult * abs(self._gap(coin, fair_ticks)) * dt
        n_inf = min(_MAX_INFORMED_PER_BLOCK, _poisson(rng, lam_inf))
        total = n_noise + n_inf
        for _ in range(total):
            # Each event is informed with the share the two rates give it; an informed
            # event re-reads the gap, so flow stops pushing once the book reached fair.
            if rng.random() * total < n_inf:
                self._informed(coin, fair_ticks, fills)
            else:
                self._noise(coin, fills)
        if coin.burst_left:
            self._burst_orders(coin, fills)
        self._sweep(coin, fair_ticks, fills)
        self._refill_spread(coin, self._gap(coin, fair_ticks), regime)
        book.relax(_RELAX_DRAWS)
        self._record_trades(coin, fills)

    def _informed(self, coin: _Coin, fair_ticks: float,
                  fills: list[tuple[bool, list[tuple[int, int]]]]) -> None:
        """One event pushing the book toward fair: if the far touch is in the way it is
        cancelled or hit; if fair lies inside the spread the side behind steps up."""
        book = coin.book
        gap = fair_ticks - book.mid_ticks()
        if abs(gap) < 0.5:
            return
        up = gap > 0.0
        ahead, behind = (book.asks, book.bids) if up else (book.bids, book.asks)
        lots = book.draw_lots(coin.spec.touch_size * 0.5)
        if (fair_ticks > ahead.best - 0.5) if up else (fair_ticks < ahead.best + 0.5):
            if self._rng.random() < coin.spec.aggressive_share:
                fills.append((up, book.market(up, lots, 2)))
            else:
                book.cancel(ahead, lots)
        elif not book.improve(behind, lots):
            book.add(behind, lots)

    def _noise(self, coin: _Coin, fills: list[tuple[bool, list[tuple[int, int]]]]) -> None:
        rng, book, spec = self._rng, coin.book, coin.spec
        u = rng.random()
        side: LadderSide = book.bids if rng.random() < 0.5 else book.asks
        if u < 0.45:
            book.add(side, book.draw_lots(spec.limit_size))
        elif u < 0.8:
            book.cancel(side, book.draw_lots(spec.limit_size))
        else:
            is_buy = side is book.asks
            fills.append((is_buy, book.market(is_buy, book.draw_lots(spec.market_size), 3)))

    def _burst_orders(self, coin: _Coin, fills: list[tuple[bool, list[tuple[int, int]]]]) -> None:
        """Liquidation-like: several one-sided market orders in the burst's direction."""
        coin.burst_left -= 1
        up = coin.burst_dir > 0
        for _ in range(1 + _poisson(self._rng, 4.0)):
            lots = coin.book.draw_lots(coin.spec.touch_size)
            fills.append((up, coin.book.market(up, lots, 4)))

    def _sweep(self, coin: _Coin, fair_ticks: float,
               fills: list[tuple[bool, list[tuple[int, int]]]]) -> None:
        """A far mispricing is taken out at once: walk the book to within 2 ticks of fair."""
        book = coin.book
        gap = self._gap(coin, fair_ticks)
        if abs(gap) <= self.settings.sweep_ticks:
            return
        up = gap > 0.0
        side = book.asks if up else book.bids
        target = fair_ticks - 2.0 if up else fair_ticks + 2.0
        lots = 0
        for t, q in side.levels(_SWEEP_LEVELS):
            if (t > target) if up else (t < target):
                break
            lots += q
        if lots:
            fills.append((up, book.market(up, lots, _SWEEP_LEVELS)))

    def _refill_spread(self, coin: _Coin, gap: float, regime: RegimeSpec) -> None:
        """Market makers step into a wide spread; the side behind fair steps in first."""
        rng, book = self._rng, coin.book
        p_bid = 1.0 / (1.0 + math.exp(-max(-20.0, min(20.0, gap))))
        while book.spread_ticks() >= 2 and rng.random() < regime.refill_prob:
            side = book.bids if rng.random() < p_bid else book.asks
            book.improve(side, book.draw_lots(coin.spec.limit_size))

    def _record_trades(self, coin: _Coin,
                       fills: list[tuple[bool, list[tuple[int, int]]]]) -> None:
        if not fills:
            return
        rng, book, ns = self._rng, coin.book, self._t_ms * _MS
        out = self._trades.setdefault(coin.spec.name, [])
        for is_buy, levels in fills:
            for tick, lots in levels:
                self._tid += 1 + rng.randrange(64)
                px, sz = book.px(tick), book.sz(lots)
                out.append(Trade(coin=coin.spec.name, price=px, size=sz, is_buy=is_buy,
                                 exchange_ns=ns, tid=self._tid,
                                 hash=f"0x{rng.getrandbits(256):064x}"))
                coin.day_volume += px * sz
                coin.last_trade_px = px

    # ------------------------------------------------------------ emission

    def _emit(self, coin: _Coin, trades: list[Trade] | None, out: list[MarketEvent]) -> None:
        ns, name, book = self._t_ms * _MS, coin.spec.name, coin.book
        l1 = book.l1()
        if l1 != coin.last_l1:
            coin.last_l1 = l1
            out.append(Bbo(exchange_ns=ns, local_ns=ns, coin=name, bid=l1[0], ask=l1[1]))
        if self._t_ms >= coin.next_book_ms:
            coin.next_book_ms = self._t_ms + self.settings.book_interval_ms
            bids, asks = book.snapshot(self.settings.book_levels)
            out.append(BookSnapshot(exchange_ns=ns, local_ns=ns, coin=name, bids=bids,
                                    asks=asks))
        if trades:
            out.append(Trades(exchange_ns=ns, local_ns=ns, coin=name, trades=tuple(trades)))
        if self._t_ms >= coin.next_ctx_ms:
            coin.next_ctx_ms = self._t_ms + self.settings.ctx_interval_ms
            out.append(self._asset_ctx(coin, ns))

    def _asset_ctx(self, coin: _Coin, ns: int) -> AssetCtx:
        """The venue's context: oracle near fair, mark a median, premium from impact prices."""
        rng, book, spec = self._rng, coin.book, coin.spec
        noise = 1.0 + self.settings.oracle_noise_bps * _BPS * rng.gauss(0.0, 1.0)
        oracle = book.px(round(book.to_ticks(math.exp(self._fair.x[spec.name]) * noise)))
        mid = book.mid_ticks() / book.to_ticks(1.0)
        mark = book.px(round(book.to_ticks(sorted((oracle, mid, coin.last_trade_px))[1])))
        notional = self.settings.impact_notional_usd
        impact_bid, impact_ask = book.impact_px(False, notional), book.impact_px(True, notional)
        premium = _premium(oracle, impact_bid, impact_ask)
        coin.open_interest = max(0.0, coin.open_interest * (1.0 + 0.001 * rng.gauss(0.0, 1.0)))
        return AssetCtx(
            exchange_ns=0, local_ns=ns, coin=spec.name, mark_px=mark, mid_px=mid,
            oracle_px=oracle, funding=round(spec.funding + 0.1 * premium, 8),
            open_interest=round(coin.open_interest, spec.sz_decimals),
            day_notional_volume=round(coin.day_volume, 2),
            prev_day_px=book.px(round(book.to_ticks(spec.start_px))), premium=premium,
            impact_bid=impact_bid, impact_ask=impact_ask,
        )


def _premium(oracle: float, impact_bid: float, impact_ask: float) -> float:
    """The venue's premium: how far the impact prices sit outside the oracle."""
    if impact_bid > oracle:
        return round((impact_bid - oracle) / oracle, 8)
    if impact_ask < oracle:
        return round((impact_ask - oracle) / oracle, 8)
    return 0.0
