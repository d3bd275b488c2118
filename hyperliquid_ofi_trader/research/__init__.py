"""Research on recorded data (offline only; nothing on the trading path imports this).

- `series`: book/trade time series replayed through the production codec, book and OFI;
- `stats`: OLS, Spearman, cross-correlation (numpy only);
- `ofi_impact`, `leadlag_xcorr`, `signal_ic`, `microprice_fit`: the analyses behind
  `hlofi research ofi|leadlag|signals|microprice`;
- `plots`: PNG figures (matplotlib, Agg canvas).
"""
