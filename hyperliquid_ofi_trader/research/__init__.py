"""Research on recorded data (offline only; nothing on the trading path imports this).

- `recordings.load_market`: any supported recording as research series (a Hyperliquid
  recording through `series`, a Binance USDⓈ-M capture through `binance_reader`);
- `series`: book/trade time series replayed through the production codec, book and OFI;
- `stats`: OLS, Spearman, cross-correlation (numpy only);
- `ofi_impact`, `leadlag_xcorr`, `signal_ic`, `microprice_fit`: the analyses behind
  `hlofi research ofi|leadlag|signals|microprice`;
- `oracle`: the clairvoyant lead-lag bound (`hlofi research oracle`);
- `plots`: PNG figures (matplotlib, Agg canvas).
"""

from hyperliquid_ofi_trader.research.recordings import load_market
from hyperliquid_ofi_trader.research.series import MarketSeries, ResearchError, load_hyperliquid

__all__ = ["MarketSeries", "ResearchError", "load_hyperliquid", "load_market"]
