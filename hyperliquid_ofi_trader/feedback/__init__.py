"""What our own orders teach us: slippage, fill rates, markouts, and the trust each
signal earns.
"""

from hyperliquid_ofi_trader.feedback.fill_rate import FillRateTracker
from hyperliquid_ofi_trader.feedback.markouts import MarkoutResult, Markouts
from hyperliquid_ofi_trader.feedback.probe import FeedbackProbe
from hyperliquid_ofi_trader.feedback.slippage import SlippageTracker
from hyperliquid_ofi_trader.feedback.trust_score import SignalTrust, TrustSettings

__all__ = [
    "FeedbackProbe",
    "FillRateTracker",
    "MarkoutResult",
    "Markouts",
    "SignalTrust",
    "SlippageTracker",
    "TrustSettings",
]
