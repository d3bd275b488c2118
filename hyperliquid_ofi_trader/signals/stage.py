"""The concrete signal stage: the four signals of each traded coin, kept in a SignalState.

Implements `core.stages.SignalStage` (`update(coin, event, now_ns) -> {name: value}`); the
composition root builds it on the engine's per-coin books. Values it publishes, by name:
- "ofi": rolling OFI over `ofi_window_ns` (Level 1, or integrated over M levels when weights
  are given), divided by the average depth per level (`OFINormalizer`, depth-only: a
  volatility in ticks can be supplied per coin with `volatility_ticks`).
- "leadlag": −1 / 0 / +1 for the lag coin (only when the lag coin is traded).
- "aggressive_volume": taker imbalance in [−1, 1] over its window.
- "microprice": (micro-price − mid) / half-spread, in [−1, 1] for the weighted mid.
- "lead_ret_bps", "lag_ret_bps" (lag coin only): the lead's and the lag coin's own log
  returns over the lead-lag window, in bps: the continuous inputs of the fitted forecast
  (alpha/forecast.py), which the ternary "leadlag" throws away. They live as long as
  "leadlag" does.
- "lead_trend_<T>ms_bps", "lag_trend_<T>ms_bps" (lag coin only), for each T in
  `trend_taus_ms`: each coin's log mid minus its exponential average with time constant T
  (signals/trend.py): the part of the lead's recent move a follower catching up over ~T
  has not absorbed yet, and how far the lag coin already went.
Freshness is judged on exchange time (the latest exchange timestamp this stage has seen), not
on `now_ns`: feed latency is the feed watchdog's business, and mixing the local clock with
venue stamps would make every signal look older by the network delay.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Final

from hyperliquid_ofi_trader.core.book_view import BookView
from hyperliquid_ofi_trader.core.events import Bbo, BookSnapshot, MarketEvent, Side, Trades
from hyperliquid_ofi_trader.signals.aggressive_volume import AggressiveVolume
from hyperliquid_ofi_trader.signals.leadlag import LeadLagSignal
from hyperliquid_ofi_trader.signals.microprice import MicropriceModel, MicropriceSignal
from hyperliquid_ofi_trader.signals.ofi import (
    IntegratedOFI,
    OFICalculator,
    OFINormalizer,
    RollingSum,
)
from hyperliquid_ofi_trader.signals.signal_state import SignalState
from hyperliquid_ofi_trader.signals.trend import Trend

_MS = 1_000_000
_BPS = 1e4
LEADLAG_RETURNS: Final = ("lead_ret_bps", "lag_ret_bps")
"""Signals published next to "leadlag" for the lag coin (the forecast's lead-lag features)."""
DEFAULT_TREND_TAUS_MS: Final = (1_000, 3_000)


def trend_names(taus_ms: tuple[int, ...]) -> tuple[str, ...]:
    """The published names of the lead's and the lag coin's trends, in that order per tau."""
    return tuple(f"{who}_trend_{tau}ms_bps" for tau in taus_ms for who in ("lead", "lag"))
# Module aliases: reading an enum member off its class costs ~100 ns on every event.
_BID: Final = Side.BID
_ASK: Final = Side.ASK


@dataclass(frozen=True, slots=True)
class SignalSettings:
    """Parameters of the signal stage (the config layer maps thresholds.yaml onto these)."""

    traded: tuple[str, ...]
    ticks: Mapping[str, float]  # tick size per traded coin (micro-price units)
    lead: str = "BTC"
    lag: str = "ETH"
    ofi_window_ns: int = 1_000 * _MS
    ofi_weights: tuple[float, ...] | None = None  # None = Level-1 OFI; else integrated OFI
    depth_levels: int = 5
    depth_halflife_ns: int = 60_000 * _MS
    leadlag_window_ns: int = 250 * _MS
    leadlag_threshold_sigma: float = 2.0
    leadlag_vol_halflife_ns: int = 30_000 * _MS
    aggressive_window_ns: int = 5_000 * _MS
    microprice_model: MicropriceModel | None = None
    trend_taus_ms: tuple[int, ...] = DEFAULT_TREND_TAUS_MS
    stale_after_ns: Mapping[str, int] = field(default_factory=lambda: {
        "ofi": 2_000 * _MS, "leadlag": 500 * _MS, "aggressive_volume": 10_000 * _MS,
        "microprice": 2_000 * _MS})


class _DepthEWMA:
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


class _CoinSignals:
    """OFI, aggressive volume and micro-price of one traded coin, and its SignalState."""

    __slots__ = ("_advanced_ns", "_levels_x2", "book", "depth", "depth_levels", "flow", "micro",
                 "normalizer", "ofi", "rolling", "state")

    def __init__(self, book: BookView, tick: float, s: SignalSettings) -> None:
        self.book = book
        self.ofi: OFICalculator | IntegratedOFI = (
            OFICalculator(book) if s.ofi_weights is None else IntegratedOFI(book, s.ofi_weights))
        self.rolling = RollingSum(s.ofi_window_ns)
        self.normalizer = OFINormalizer()
        self.depth = _DepthEWMA(s.depth_halflife_ns)
        self.depth_levels = s.depth_levels
        self._levels_x2 = 2 * s.depth_levels  # both sides' levels, the per-level divisor
        self.flow = AggressiveVolume(s.aggressive_window_ns)
        self.micro = MicropriceSignal(s.microprice_model, tick)
        self.state = SignalState(_with_leadlag_returns(s.stale_after_ns, s.trend_taus_ms))
        self._advanced_ns = -(1 << 62)  # latest time the flow window was advanced to

    def on_book(self, ns: int, volatility_ticks: float) -> None:
        self.rolling.add(self.ofi.update(), ns)
        depth = self.depth.update(self._level_depth(), ns)
        state = self.state
        state.set("ofi", self.normalizer.scale(self.rolling.total(), depth, volatility_ticks), ns)
        book = self.book
        bid, ask = book.best_bid(), book.best_ask()
        if bid is None or ask is None:
            state.invalidate("microprice")
            return
        micro = self.micro
        micro.update(bid[0], bid[1], ask[0], ask[1])
        state.set("microprice", micro.half_spread_units, ns)

    def _level_depth(self) -> float:
        # Plain loops, not sum() over generators: same left-to-right additions per side
        # (sum() of floats adds sequentially from the first item), a third of the time.
        book = self.book
        n = self.depth_levels
        bids = 0.0
        for _, q in book.levels(_BID, n):
            bids += q
        asks = 0.0
        for _, q in book.levels(_ASK, n):
            asks += q
        return (bids + asks) / self._levels_x2

    def on_trades(self, event: Trades) -> None:
        self.flow.on_trades(event)
        self.state.set("aggressive_volume", self.flow.value(), event.exchange_ns)

    def advance(self, ns: int) -> None:
        # Time passes for the windowed signals even when this coin's own data is quiet.
        # Skipping a time not beyond the last one is exact: the flow's windows never move
        # backwards, so advancing them to an earlier or equal time is a no-op.
        if ns > self._advanced_ns:
            self._advanced_ns = ns
            self.flow.expire(ns)


class SignalSuite:
    """`core.stages.SignalStage` over the engine's books (see the module doc).

    `books` maps every coin the signals read (traded coins and the lead coin) to its book.
    `volatility_ticks(coin)` (optional) returns the std of the mid change over the OFI window
    in ticks (NaN while unknown); without it OFI is normalised by depth only.
    """

    __slots__ = ("_coins", "_lag_ns", "_last_event", "_lead_ns", "_leadlag", "_now_ns",
                 "_trend_names", "_trends", "_volatility", "books", "settings")

    def __init__(self, books: Mapping[str, BookView], settings: SignalSettings,
                 volatility_ticks: Callable[[str], float] | None = None) -> None:
        missing = [c for c in (*settings.traded, settings.lead, settings.lag) if c not in books]
        if missing:
            raise ValueError(f"signal stage needs a book for {sorted(set(missing))}")
        no_tick = [c for c in settings.traded if c not in settings.ticks]
        if no_tick:
            raise ValueError(f"signal stage needs a tick size for {no_tick}")
        self.books, self.settings = books, settings
        self._coins = {c: _CoinSignals(books[c], settings.ticks[c], settings)
                       for c in settings.traded}
        self._leadlag = LeadLagSignal(
            settings.leadlag_window_ns, settings.leadlag_threshold_sigma,
            settings.leadlag_vol_halflife_ns, lead_coin=settings.lead, lag_coin=settings.lag)
        self._volatility = volatility_ticks
        # (lead trend, lag trend) per time constant, and their published names.
        self._trends = tuple((Trend(t * _MS), Trend(t * _MS)) for t in settings.trend_taus_ms)
        self._trend_names = trend_names(settings.trend_taus_ms)
        self._lead_ns = self._lag_ns = self._now_ns = -1
        self._last_event: MarketEvent | None = None

    def update(self, coin: str, event: MarketEvent, now_ns: int) -> Mapping[str, float]:
        """Update from `event` (of any coin) and return traded `coin`'s fresh signals.

        The engine asks once per traded coin the event concerns (a lead-coin event decides
        for every traded coin): the event is applied once, or trades would be counted twice
        and OFI would see a zero change for a touch it already took.
        """
        if event is self._last_event:
            return self.fresh(coin)
        self._last_event = event
        ns = event.exchange_ns
        if ns > self._now_ns:
            self._now_ns = ns
        etype = type(event)
        # Exact-type checks first (the events are final in practice); isinstance keeps
        # subclasses working at the usual cost.
        if etype is Bbo or etype is BookSnapshot or (
                etype is not Trades and isinstance(event, BookSnapshot | Bbo)):
            self._on_book(event.coin, ns)
        elif etype is Trades or isinstance(event, Trades):
            signals = self._coins.get(event.coin)
            if signals is not None:
                signals.on_trades(event)  # type: ignore[arg-type]
        return self.fresh(coin)

    @property
    def now_ns(self) -> int:
        """The latest exchange time this stage has seen (-1 before any event)."""
        return self._now_ns

    def fresh(self, coin: str) -> Mapping[str, float]:
        signals = self._coins.get(coin)
        if signals is None:
            return {}
        now = self._now_ns
        signals.advance(now)
        return signals.state.fresh(now)

    def state(self, coin: str) -> SignalState | None:
        """The coin's SignalState (for the journal's `snapshot`)."""
        signals = self._coins.get(coin)
        return None if signals is None else signals.state

    def _on_book(self, coin: str, ns: int) -> None:
        signals = self._coins.get(coin)
        if signals is not None:
            vol = self._volatility(coin) if self._volatility is not None else 1.0
            signals.on_book(ns, vol)
        s = self.settings
        if coin == s.lead:
            self._lead_ns = max(self._lead_ns, ns)
            self._update_trends(0, self.books[coin], ns)
        elif coin == s.lag:
            self._lag_ns = max(self._lag_ns, ns)
            self._update_trends(1, self.books[coin], ns)
        else:
            return
        self._on_leadlag()

    def _update_trends(self, which: int, book: BookView, ns: int) -> None:
        if not self._trends:
            return
        mid = _mid(book)
        if mid is not None:
            for pair in self._trends:
                pair[which].update(mid, ns)

    def _on_leadlag(self) -> None:
        if self._lead_ns < 0 or self._lag_ns < 0:
            return  # (checked first: it costs nothing, the mids cost four book reads)
        s = self.settings
        lead_mid, lag_mid = _mid(self.books[s.lead]), _mid(self.books[s.lag])
        if lead_mid is None or lag_mid is None:
            return
        leadlag = self._leadlag
        value = leadlag.update(lead_mid, lag_mid, self._lead_ns, self._lag_ns)
        target = self._coins.get(s.lag)
        if target is not None:
            state, now = target.state, leadlag.now_ns
            state.set("leadlag", float(value), now)
            lead, lag = leadlag.last_ret_lead, leadlag.last_ret_lag
            if lead - lead == 0.0 and lag - lag == 0.0:  # both finite (not warming up)
                state.set("lead_ret_bps", lead * _BPS, now)
                state.set("lag_ret_bps", lag * _BPS, now)
            names = self._trend_names
            i = 0
            for lead_trend, lag_trend in self._trends:
                a, b = lead_trend.value(now), lag_trend.value(now)
                if a - a == 0.0 and b - b == 0.0:
                    state.set(names[i], a, now)
                    state.set(names[i + 1], b, now)
                i += 2


def _with_leadlag_returns(stale_after_ns: Mapping[str, int],
                          trend_taus_ms: tuple[int, ...] = ()) -> dict[str, int]:
    """The staleness limits plus the lead-lag returns' and trends', which age like
    "leadlag" (the configuration names the four seed signals only)."""
    limits = dict(stale_after_ns)
    leadlag = limits.get("leadlag")
    if leadlag is not None:
        for name in (*LEADLAG_RETURNS, *trend_names(trend_taus_ms)):
            limits.setdefault(name, leadlag)
    return limits


def _mid(book: BookView) -> float | None:
    bid, ask = book.best_bid(), book.best_ask()
    return None if bid is None or ask is None else 0.5 * (bid[0] + ask[0])
