"""Who signed an `/exchange` request: public-key recovery of the L1 action signature.

The emulator verifies exactly as the venue does: it rebuilds the action's connection id
(msgpack of the action, nonce, vault flag, optional expiresAfter), recovers the EIP-712
`Agent` signature ("a" mainnet, "b" testnet) and treats the recovered address as the
signer. A wrong hash or format therefore yields a DIFFERENT address, which the venue
reports as an unknown user, not as a bad signature; the emulator does the same.
"""

from __future__ import annotations

from typing import Any

from hyperliquid.utils.signing import recover_agent_or_user_from_l1_action


def recover_signer(action: dict[str, Any], nonce: int, signature: Any, *, mainnet: bool,
                   vault_address: str | None, expires_after: int | None) -> str | None:
    """The lowercase signer address, or None when the signature cannot be decoded at all."""
    if not _signature_shape_ok(signature):
        return None
    try:
        address = recover_agent_or_user_from_l1_action(
            action, signature, vault_address, nonce, expires_after, mainnet)
    except Exception:  # foreign library: any failure at all means "undecodable"
        return None
    return str(address).lower()


def _signature_shape_ok(signature: Any) -> bool:
    if not isinstance(signature, dict):
        return False
    r, s, v = signature.get("r"), signature.get("s"), signature.get("v")
    return isinstance(r, str) and isinstance(s, str) and isinstance(v, int) \
        and not isinstance(v, bool)
