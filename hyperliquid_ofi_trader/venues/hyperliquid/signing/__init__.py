"""Keys, nonces and L1 action signing."""

from hyperliquid_ofi_trader.venues.hyperliquid.signing.keys import (
    KeyLoadError,
    SecretKey,
    generate_throwaway_key,
    load_private_key,
)
from hyperliquid_ofi_trader.venues.hyperliquid.signing.nonce import NonceCounter
from hyperliquid_ofi_trader.venues.hyperliquid.signing.signer import L1Signer, SignatureError

__all__ = [
    "KeyLoadError",
    "L1Signer",
    "NonceCounter",
    "SecretKey",
    "SignatureError",
    "generate_throwaway_key",
    "load_private_key",
]
