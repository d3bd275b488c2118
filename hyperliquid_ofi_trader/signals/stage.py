"""The concrete signal stage: the registered signals of each traded coin, in a SignalState.

Implements `core.stages.SignalStage` (`update(coin, event, now_ns) -> {name: value}`); the
composition root builds it on the engine's per-coin books. Values it publishes, by name:
- "ofi": rolling OFI over the ofi section's window (Level 1, multi-level or integrated, as
  the section says), divided by the average depth per level (`OFINormalizer`, depth-only: a
  volatility in ticks can be supplied per coin with `volatility_ticks`).
- "leadlag": −1 / 0 / +1 for a lag coin of a lead-lag pair (only when it is traded); one
  detector per pair (symbols.yaml `lead_lag`), a lag coin follows one lead.
- "aggressive_volume": taker imbalance in [−1, 1] over its window.
- "microprice": (micro-price − mid) / half-spread, in [−1, 1] for the weighted mid.
- "lead_ret_bps", "lag_ret_bps" (lag coin only): the lead's and the lag coin's own log
  returns over the lead-lag window, in bps: the continuous inputs of the fitted forecast
  (alpha/forecast.py), which the ternary "leadlag" throws away. They live as long as
  "leadlag" does.
- "lead_trend_<T>ms_bps", "lag_trend_<T>ms_bps" (lag coin only), for each T in
  `DEFAULT_TREND_TAUS_MS`: each coin's log mid minus its exponential average with time constant T
  (signals/trend.py): the part of the lead's recent move a follower catching up over ~T
  has not absorbed yet, and how far the lag coin already went.
Freshness is judged on exchange time (the latest exchange timestamp this stage has seen), not
on `now_ns`: feed latency is the feed watchdog's business, and mixing the local clock with
venue stamps would make every signal look older by the network delay.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Final

from hyperliquid_ofi_trader.core.book_view import BookView
from hyperliquid_ofi_trader.core.events import Bbo, BookSnapshot, MarketEvent, Trades
from hyperliquid_ofi_trader.signals.coin_signal import CoinSignal, overrides
from hyperliquid_ofi_trader.signals.leadlag import LeadLagSignal
from hyperliquid_ofi_trader.signals.registry import COIN_SIGNALS
from hyperliquid_ofi_trader.signals.settings import (
    DEFAULT_TREND_TAUS_MS,
    LeadLagPairSpec,
    lead_lag_specs,
)
from hyperliquid_ofi_trader.signals.signal_state import SignalState
from hyperliquid_ofi_trader.signals.trend import Trend

if TYPE_CHECKING:
    from hyperliquid_ofi_trader.config.symbols_schema import SymbolsConfig
    from hyperliquid_ofi_trader.config.thresholds_schema import (
        LeadLagThresholds,
        ThresholdsConfig,
    )
    from hyperliquid_ofi_trader.signals.microprice import MicropriceModel

__all__ = ["DEFAULT_TREND_TAUS_MS", "LEADLAG_RETURNS", "LeadLagPairSpec", "SignalSuite",
           "trend_names"]

_MS = 1_000_000
_BPS = 1e4
LEADLAG_RETURNS: Final = ("lead_ret_bps", "lag_ret_bps")
"""Signals published next to "leadlag" for the lag coin (the forecast's lead-lag features)."""


def trend_names(taus_ms: tuple[int, ...]) -> tuple[str, ...]:
    """The published names of the lead's and the lag coin's trends, in that order per tau."""
    return tuple(f"{who}_trend_{tau}ms_bps" for tau in taus_ms for who in ("lead", "lag"))


class _CoinSignals:
    """Every registered per-coin signal of one traded coin (signals/registry.py), and the
    coin's SignalState they publish into."""

    __slots__ = ("_book_hooks", "_time_hooks", "_trade_hooks", "book", "signals", "state")

    def __init__(self, book: BookView, tick: float, sections: Mapping[str, Any],
                 stale_after_ns: Mapping[str, int], model: MicropriceModel | None) -> None:
        self.book = book
        self.state = SignalState(_with_leadlag_returns(stale_after_ns, DEFAULT_TREND_TAUS_MS))
        self.signals: dict[str, CoinSignal] = {
            name: build(book, tick, sections[name], model)
            for name, build in COIN_SIGNALS.items() if build is not None}
        found = self.signals.values()
        # Bound hooks of the signals that use them: no call per event for a no-op hook.
        self._book_hooks = tuple(x.on_book for x in found if overrides(x, "on_book"))
        self._trade_hooks = tuple(x.on_trades for x in found if overrides(x, "on_trades"))
        self._time_hooks = tuple(x.advance for x in found if overrides(x, "advance"))

    def on_book(self, ns: int, volatility_ticks: float) -> None:
        state = self.state
        for hook in self._book_hooks:
            hook(state, ns, volatility_ticks)

    def on_trades(self, event: Trades) -> None:
        state = self.state
        for hook in self._trade_hooks:
            hook(state, event)

    def advance(self, ns: int) -> None:
        for hook in self._time_hooks:
            hook(ns)


class _PairSignals:
    """One lead-lag pair: its detector and both coins' trends, publishing into the lag
    coin's SignalState (None when the lag coin is not traded: nothing is published)."""

    __slots__ = ("_trend_names", "_trends", "lag", "lag_book", "lag_ns", "lead", "lead_book",
                 "lead_ns", "leadlag", "target")

    def __init__(self, spec: LeadLagPairSpec, books: Mapping[str, BookView],
                 section: LeadLagThresholds, target: SignalState | None) -> None:
        self.lead, self.lag = spec.lead, spec.lag
        self.lead_book, self.lag_book = books[spec.lead], books[spec.lag]
        self.leadlag = LeadLagSignal(
            spec.window_ns, section.threshold_sigma, section.vol_halflife_ms * _MS,
            lead_coin=spec.lead, lag_coin=spec.lag)
        self.target = target
        # (lead trend, lag trend) per time constant, and their published names.
        self._trends = tuple((Trend(t * _MS), Trend(t * _MS)) for t in DEFAULT_TREND_TAUS_MS)
        self._trend_names = trend_names(DEFAULT_TREND_TAUS_MS)
        self.lead_ns = self.lag_ns = -1

    def on_book(self, which: int, ns: int) -> None:
        """A book update of the lead (`which` 0) or the lag coin (1) at exchange `ns`."""
        # Each book's mid is read once per event, for the trends and the detector (the
        # books do not change in between).
        if which == 0:
            if ns > self.lead_ns:
                self.lead_ns = ns
            mid = self.lead_book.mid()
        else:
            if ns > self.lag_ns:
                self.lag_ns = ns
            mid = self.lag_book.mid()
        if mid is not None:
            for pair in self._trends:
                pair[which].update(mid, ns)
        if self.lead_ns < 0 or self.lag_ns < 0:
            return  # (checked before the other coin's mid is read)
        if which == 0:
            self._on_leadlag(mid, self.lag_book.mid())
        else:
            self._on_leadlag(self.lead_book.mid(), mid)

    def _on_leadlag(self, lead_mid: float | None, lag_mid: float | None) -> None:
        if lead_mid is None or lag_mid is None:
            return
        leadlag = self.leadlag
        value = leadlag.update(lead_mid, lag_mid, self.lead_ns, self.lag_ns)
        state = self.target
        if state is None:
            return
        now = leadlag.now_ns
        put = state.set  # bound once: up to 7 values per book event
        put("leadlag", float(value), now)
        lead, lag = leadlag.last_ret_lead, leadlag.last_ret_lag
        if lead - lead == 0.0 and lag - lag == 0.0:  # both finite (not warming up)
            put("lead_ret_bps", lead * _BPS, now)
            put("lag_ret_bps", lag * _BPS, now)
        names = self._trend_names
        i = 0
        for lead_trend, lag_trend in self._trends:
            a, b = lead_trend.value(now), lag_trend.value(now)
            if a - a == 0.0 and b - b == 0.0:
                put(names[i], a, now)
                put(names[i + 1], b, now)
            i += 2


class SignalSuite:
    """`core.stages.SignalStage` over the engine's books (see the module doc).

    Its parameters are the config's sections, read here and nowhere else: each signal's own
    thresholds.yaml section (by its published name), `signals.stale_after_ms`, and
    symbols.yaml's traded coins and lead-lag pairs. `books` maps every coin the signals
    read (traded coins and the pairs' coins) to its book; `ticks` gives each traded coin's
    tick (micro-price units); `model` is the fitted micro-price model (None: weighted mid).
    `volatility_ticks(coin)` (optional) returns the std of the mid change over the OFI
    window in ticks (NaN while unknown); without it OFI is normalised by depth only.
    """

    __slots__ = ("_coins", "_last_event", "_now_ns", "_pair_roles", "_pairs", "_volatility",
                 "books", "traded")

    def __init__(self, books: Mapping[str, BookView], thresholds: ThresholdsConfig,
                 symbols: SymbolsConfig, ticks: Mapping[str, float],
                 model: MicropriceModel | None = None,
                 volatility_ticks: Callable[[str], float] | None = None) -> None:
        traded: tuple[str, ...] = tuple(symbols.traded)
        specs = lead_lag_specs(symbols)
        missing = [c for c in (*traded, *(c for p in specs for c in p[:2])) if c not in books]
        if missing:
            raise ValueError(f"signal stage needs a book for {sorted(set(missing))}")
        no_tick = [c for c in traded if c not in ticks]
        if no_tick:
            raise ValueError(f"signal stage needs a tick size for {no_tick}")
        self.books, self.traded = books, traded
        sections = {name: getattr(thresholds, name) for name, build in COIN_SIGNALS.items()
                    if build is not None}
        stale_after_ns = thresholds.signals.stale_after_ms.as_ns_mapping()
        self._coins = {c: _CoinSignals(books[c], ticks[c], sections, stale_after_ns, model)
                       for c in traded}
        self._pairs = tuple(
            _PairSignals(spec, books, thresholds.leadlag, _state_of(self._coins.get(spec.lag)))
            for spec in specs)
        # Coin -> the pairs its book moves, with its role in each (0 lead, 1 lag).
        roles: dict[str, list[tuple[_PairSignals, int]]] = {}
        for pair in self._pairs:
            roles.setdefault(pair.lead, []).append((pair, 0))
            roles.setdefault(pair.lag, []).append((pair, 1))
        self._pair_roles = {coin: tuple(r) for coin, r in roles.items()}
        self._volatility = volatility_ticks
        self._now_ns = -1
        self._last_event: MarketEvent | None = None

    def update(self, coin: str, event: MarketEvent, now_ns: int) -> Mapping[str, float]:
        """`on_event(event)` then `values(coin)`, for callers that decide per coin."""
        self.on_event(event)
        return self.fresh(coin)

    def on_event(self, event: MarketEvent) -> None:
        """Update from `event` (of any coin). An event already applied is not applied
        again (trades would be counted twice, OFI would see a zero change for a touch it
        already took), so `update` may be called once per traded coin the event concerns."""
        if event is self._last_event:
            return
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

    # Traded `coin`'s fresh signals by name: the engine's per-decision read
    # (`core.stages.SignalStage.values`), `fresh` itself rather than a call through.
    values = fresh

    def state(self, coin: str) -> SignalState | None:
        """The coin's SignalState (for the journal's `snapshot`)."""
        signals = self._coins.get(coin)
        return None if signals is None else signals.state

    def _on_book(self, coin: str, ns: int) -> None:
        signals = self._coins.get(coin)
        if signals is not None:
            vol = self._volatility(coin) if self._volatility is not None else 1.0
            signals.on_book(ns, vol)
        roles = self._pair_roles.get(coin)
        if roles is not None:
            for pair, which in roles:
                pair.on_book(which, ns)


def _state_of(signals: _CoinSignals | None) -> SignalState | None:
    return None if signals is None else signals.state


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
