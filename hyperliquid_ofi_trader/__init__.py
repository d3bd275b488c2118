"""The OFI trader for Hyperliquid perpetuals. Each subpackage exports its public names in
`__all__`; the package root exports the exception tree (`errors.py`).
"""

from hyperliquid_ofi_trader.errors import (
    OurBugError,
    RiskRejectedError,
    TraderError,
    TransientError,
    VenueGarbageError,
)

__all__ = [
    "OurBugError",
    "RiskRejectedError",
    "TraderError",
    "TransientError",
    "VenueGarbageError",
]
