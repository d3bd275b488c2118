"""RegimeDetector: the three regimes of every coin, combined into one `RegimeState`.

The engine feeds it market data as it arrives (`on_book` after each book update, `on_trades`,
`on_asset_ctx`) and asks `state(coin)` when a decision is due. Per-coin components are created
on first sight of the coin. Liquidity thresholds are per coin (depth is in coin units), and
volatility and liquidation levels may be (a coin of another scale); a coin
with no liquidity thresholds is never tradable (`Reason.UNKNOWN_COIN`), because no data is no
permission.

Verdict rules (the only place they are combined):
- tradable  = liquidity LIQUID and volatility warm and not EXTREME and no liquidation flag;
- reasons   = every blocking or damping code, in the order liquidity, volatility, liquidation;
  HIGH volatility adds `volatility_high` but keeps the coin tradable (alpha is damped).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Final

from hyperliquid_ofi_trader.core.book_view import BookView
from hyperliquid_ofi_trader.core.events import AssetCtx, Trades
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


class CoinRegime:
    """The three regime components of one coin."""

    __slots__ = ("coin", "liquidation", "liquidity", "volatility")

    def __init__(
        self,
        coin: str,
        liquidity: LiquidityRegime | None,
        volatility: VolatilityRegime,
        liquidation: LiquidationDetector,
    ) -> None:
        self.coin = coin
        self.liquidity = liquidity
        self.volatility = volatility
        self.liquidation = liquidation

    def state(self) -> RegimeState:
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

    __slots__ = ("_coins", "_per_coin", "_regime", "_traded", "_warmup_ns")

    def __init__(
        self,
        regime: RegimeThresholds,
        traded: Iterable[str] | None,
        per_coin: Mapping[str, RegimeThresholds] | None = None,
        *,
        volatility_warmup_ns: int | None = None,
    ) -> None:
        """thresholds.yaml `regime` sections, validated: a coin in `per_coin` runs on its own,
        every other on `regime`. Only the `traded` coins (None: every coin) get a liquidity
        switch; any other coin (e.g. a lead coin) reports `regime_unknown_coin` and is never
        tradable.
        `volatility_warmup_ns` None is one volatility half-life (the config carries none)."""
        self._regime = regime
        self._traded = None if traded is None else frozenset(traded)
        self._per_coin = dict(per_coin or {})
        self._warmup_ns = volatility_warmup_ns
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
        if regime.liquidity is not None:
            regime.liquidity.update(book)
        regime.volatility.update(book)
        regime.liquidation.observe(book.exchange_ns)

    def on_trades(self, ev: Trades) -> None:
        self.coin(ev.coin).liquidation.on_trades(ev)

    def on_asset_ctx(self, ctx: AssetCtx) -> None:
        self.coin(ctx.coin).liquidation.on_asset_ctx(ctx)

    def state(self, coin: str) -> RegimeState:
        return (self._coins.get(coin) or self.coin(coin)).state()

    def coins(self) -> tuple[str, ...]:
        return tuple(self._coins)

    def _create(self, coin: str) -> CoinRegime:
        t = self._per_coin.get(coin, self._regime)
        traded = self._traded is None or coin in self._traded
        liquidity = LiquidityRegime.from_config(t.liquidity) if traded else None
        return CoinRegime(coin, liquidity,
                          VolatilityRegime.from_config(t.volatility, warmup_ns=self._warmup_ns),
                          LiquidationDetector.from_config(t.liquidation))
