"""Who signed an `/exchange` request: public-key recovery of the L1 action signature.

The emulator verifies exactly as the venue does, with `execution.signing` (the same code
the gateway signs with): it rebuilds the action's connection id (msgpack of the action,
nonce, vault flag, optional expiresAfter), recovers the EIP-712 `Agent` signature ("a"
mainnet, "b" testnet) and treats the recovered address as the signer. A wrong hash or
format therefore yields a DIFFERENT address, which the venue reports as an unknown user,
not as a bad signature; the emulator does the same. Only a signature that recovers to no
key at all (malformed r/s/v) is "Unable to recover signer."
"""

from __future__ import annotations

from typing import Any

from hyperliquid_ofi_trader.venues.hyperliquid.signing.signer import (
    RecoveryMemo,
    SignatureError,
    recover_action_signer,
)


def recover_signer(action: dict[str, Any], nonce: int, signature: Any, *, mainnet: bool,
                   vault_address: str | None, expires_after: int | None,
                   memo: RecoveryMemo | None = None) -> str | None:
    """The lowercase signer address, or None when the signature cannot be decoded at all.
    `memo`: signatures made in this process (an in-process backtest venue)."""
    try:
        return recover_action_signer(action, nonce, signature, mainnet=mainnet,
                                     vault_address=vault_address,
                                     expires_after=expires_after, memo=memo)
    except (SignatureError, TypeError, ValueError, OverflowError):
        # TypeError/ValueError: an action msgpack cannot pack (e.g. a huge int) is as
        # undecodable as a malformed signature
        return None
