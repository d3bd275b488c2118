"""RegimeDetector: the three regimes of every coin, combined into one `RegimeState`.

The engine feeds it market data as it arrives (`on_book` after each book update, `on_trades`,
`on_asset_ctx`) and asks `state(coin)` when a decision is due. Per-coin components are created
on first sight of the coin. Liquidity thresholds are per coin (depth is in coin units), and
volatility and liquidation levels may be (a coin of another scale); a coin
with no liquidity thresholds is never tradable (`Reason.UNKNOWN_COIN`), because no data is no
permission.

A LAG coin (`lead_of` maps it to its lead, from symbols.yaml `lead_lag`) has its
liquidation bursts checked against its lead: a burst in the direction the lead ran, within
the trailing `catchup_window_ms`, by at least `catchup_sigma` of the lead's own volatility
over that window, is the lag catching up with its lead, not a cascade, and raises no flag
(counted in the detector's `catchups`), unless the lead is flagged itself (a market-wide
cascade stays one). Without it, a lag coin that follows its lead strongly is "in a
liquidation" after every large lead move, and entries are blocked for the whole cool-down
exactly when the lead-lag edge is there. Pairs are taken to move together (positive beta).

Verdict rules (the only place they are combined):
- tradable  = liquidity LIQUID and volatility warm and not EXTREME and no liquidation flag;
- reasons   = every blocking or damping code, in the order liquidity, volatility, liquidation;
  HIGH volatility adds `volatility_high` but keeps the coin tradable (alpha is damped).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Final

from hyperliquid_ofi_trader.core.book_view import BookView
from hyperliquid_ofi_trader.core.events import AssetCtx, Trades
from hyperliquid_ofi_trader.regime.lead_path import LeadPath
from hyperliquid_ofi_trader.regime.liquidation import LiquidationDetector
from hyperliquid_ofi_trader.regime.liquidity import LiquidityRegime
from hyperliquid_ofi_trader.regime.state import (
    LiquidityLevel,
    Reason,
    RegimeState,
    VolLevel,
)
from hyperliquid_ofi_trader.regime.volatility import VolatilityRegime

if TYPE_CHECKING:  # the section's type only: config sits below the components
    from hyperliquid_ofi_trader.config.thresholds_schema import RegimeThresholds

# Enum members as module constants: Python 3.11 takes ~100 ns to read a member off its
# class (VolLevel.HIGH), a module global ~20 ns, and `state()` runs on every decision.
_THIN: Final = LiquidityLevel.THIN
_HIGH: Final = VolLevel.HIGH
_EXTREME: Final = VolLevel.EXTREME
_UNKNOWN_COIN: Final = Reason.UNKNOWN_COIN
_VOL_WARMUP: Final = Reason.VOL_WARMUP
_VOL_EXTREME: Final = Reason.VOL_EXTREME
_VOL_HIGH: Final = Reason.VOL_HIGH
_NS_PER_MS: Final = 1_000_000
_NS_PER_S: Final = 1_000_000_000


class CoinRegime:
    """The three regime components of one coin.

    `state()` is kept until `changed()` (the detector calls it whenever it feeds a
    component): a decision on a coin whose own data did not move since the last one (a lead
    coin's book changed) reuses the verdict instead of building an equal one. Whoever feeds
    the components directly must call `changed()` too."""

    __slots__ = ("_state", "coin", "liquidation", "liquidity", "path", "volatility")

    def __init__(
        self,
        coin: str,
        liquidity: LiquidityRegime | None,
        volatility: VolatilityRegime,
        liquidation: LiquidationDetector,
        path: LeadPath | None = None,
    ) -> None:
        self.coin = coin
        self.liquidity = liquidity
        self.volatility = volatility
        self.liquidation = liquidation
        self.path = path  # a lead coin's recent mids (its lags' catch-up test); else None
        self._state: RegimeState | None = None

    def changed(self) -> None:
        """A component was fed: the next `state()` is computed afresh."""
        self._state = None

    def state(self) -> RegimeState:
        state = self._state
        if state is None:
            state = self._state = self._build()
        return state

    def _build(self) -> RegimeState:
        reasons: list[str] = []
        liquid = self._liquidity_ok(reasons)
        vol_ok = self._volatility_ok(reasons)
        liquidation = self.liquidation
        liq_flag = liquidation.active()
        if liq_flag and liquidation.reason is not None:
            reasons.append(liquidation.reason)
        liq = self.liquidity
        vol = self.volatility
        return RegimeState(
            tradable=liquid and vol_ok and not liq_flag,
            liquidity=_THIN if liq is None else liq.level,
            volatility=vol.level,
            liquidation=liq_flag,
            reasons=tuple(reasons),
            coin=self.coin,
            exchange_ns=max(liquidation.now_ns, vol.now_ns, 0 if liq is None else liq.now_ns),
            depth=math.nan if liq is None else liq.depth,
            spread_bps=math.nan if liq is None else liq.spread_bps,
            vol_bps_per_s=vol.vol_bps_per_s(),
        )

    def _liquidity_ok(self, reasons: list[str]) -> bool:
        liq = self.liquidity
        if liq is None:
            reasons.append(_UNKNOWN_COIN)
            return False
        if liq.reason is not None:
            reasons.append(liq.reason)
        return liq.tradable()

    def _volatility_ok(self, reasons: list[str]) -> bool:
        vol = self.volatility
        if not vol.warm:
            reasons.append(_VOL_WARMUP)
            return False
        level = vol.level
        if level is _EXTREME:
            reasons.append(_VOL_EXTREME)
            return False
        if level is _HIGH:
            reasons.append(_VOL_HIGH)
        return True


class RegimeDetector:
    """Per-coin regimes from market data; `state(coin)` gives the combined verdict."""

    __slots__ = ("_coins", "_lead_of", "_lead_span_ns", "_per_coin", "_regime", "_traded",
                 "_warmup_ns")

    def __init__(
        self,
        regime: RegimeThresholds,
        traded: Iterable[str] | None,
        per_coin: Mapping[str, RegimeThresholds] | None = None,
        *,
        volatility_warmup_ns: int | None = None,
        lead_of: Mapping[str, str] | None = None,
    ) -> None:
        """thresholds.yaml `regime` sections, validated: a coin in `per_coin` runs on its own,
        every other on `regime`. Only the `traded` coins (None: every coin) get a liquidity
        switch; any other coin (e.g. a lead coin) reports `regime_unknown_coin` and is never
        tradable.
        `volatility_warmup_ns` None is one volatility half-life (the config carries none).
        `lead_of`: lag coin -> its lead (symbols.yaml `lead_lag`), for the catch-up test."""
        self._regime = regime
        self._traded = None if traded is None else frozenset(traded)
        self._per_coin = dict(per_coin or {})
        self._warmup_ns = volatility_warmup_ns
        self._lead_of = {lag: lead for lag, lead in (lead_of or {}).items() if lag != lead}
        # Each lead keeps its mids over the longest catch-up window of its lags.
        self._lead_span_ns: dict[str, int] = {}
        for lag, lead in self._lead_of.items():
            span = self._section(lag).liquidation.catchup_window_ms * _NS_PER_MS
            self._lead_span_ns[lead] = max(span, self._lead_span_ns.get(lead, 0))
        self._coins: dict[str, CoinRegime] = {}

    def coin(self, coin: str) -> CoinRegime:
        """The components of `coin`, created on first use."""
        regime = self._coins.get(coin)
        if regime is None:
            regime = self._coins[coin] = self._create(coin)
        return regime

    def on_book(self, book: BookView) -> None:
        """After every applied book update (snapshot or bbo) of `book.coin`."""
        self.on_book_for(book.coin, book)

    def on_book_for(self, coin: str, book: BookView) -> None:
        """Same as `on_book`, for a book view that does not carry its coin."""
        regime = self._coins.get(coin) or self.coin(coin)
        regime._state = None  # `changed()`, inlined (every book update); first: a feed may raise
        if regime.liquidity is not None:
            regime.liquidity.update(book)
        # The mid and time are read once for the volatility and the lead path (the book
        # does not change in between): `volatility.update(book)` would read them again.
        mid = book.mid()
        exchange_ns = book.exchange_ns
        regime.volatility.update_at(mid, exchange_ns)
        regime.liquidation.observe(exchange_ns)
        path = regime.path
        if path is not None and mid is not None:
            path.update(mid, exchange_ns)

    def on_trades(self, ev: Trades) -> None:
        regime = self.coin(ev.coin)
        regime.changed()
        regime.liquidation.on_trades(ev)

    def on_asset_ctx(self, ctx: AssetCtx) -> None:
        regime = self.coin(ctx.coin)
        regime.changed()
        regime.liquidation.on_asset_ctx(ctx)

    def state(self, coin: str) -> RegimeState:
        return (self._coins.get(coin) or self.coin(coin)).state()

    def coins(self) -> tuple[str, ...]:
        return tuple(self._coins)

    def catchups(self, coin: str) -> int:
        """Bursts of `coin` its lead explained (no flag raised): see the module doc."""
        regime = self._coins.get(coin)
        return 0 if regime is None else regime.liquidation.catchups

    def _section(self, coin: str) -> RegimeThresholds:
        return self._per_coin.get(coin, self._regime)

    def _create(self, coin: str) -> CoinRegime:
        t = self._section(coin)
        traded = self._traded is None or coin in self._traded
        liquidity = LiquidityRegime.from_config(t.liquidity) if traded else None
        span = self._lead_span_ns.get(coin)
        regime = CoinRegime(coin, liquidity,
                            VolatilityRegime.from_config(t.volatility,
                                                         warmup_ns=self._warmup_ns),
                            LiquidationDetector.from_config(t.liquidation),
                            None if span is None else LeadPath(span))
        lead = self._lead_of.get(coin)
        sigma = t.liquidation.catchup_sigma
        if lead is not None and sigma is not None:
            regime.liquidation.excuse = self._catchup_test(
                regime, lead, sigma, t.liquidation.catchup_window_ms * _NS_PER_MS)
        return regime

    def _catchup_test(self, lag: CoinRegime, lead_coin: str, sigma: float,
                      span_ns: int) -> Callable[[bool], bool]:
        """`excuse` of `lag`'s liquidation detector: did the lead run the burst's way first?"""
        root_span_s = math.sqrt(span_ns / _NS_PER_S)

        def explained(is_buy: bool) -> bool:
            lead = self._coins.get(lead_coin)
            if lead is None or lead.path is None or lead.liquidation.active():
                return False  # no lead data, or the lead cascades too: a real cascade
            vol = lead.volatility
            lead_vol = vol.vol_bps_per_s() if vol.warm else math.nan
            if not lead_vol > 0.0:  # NaN (not warm) or a lead that never moved
                return False
            run = lead.path.run_bps(is_buy, lag.liquidation.now_ns, span_ns)
            return run >= sigma * lead_vol * root_span_s

        return explained
