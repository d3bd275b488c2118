"""L1 action signing (orders, cancels, modifies, leverage, scheduleCancel, noop).

The venue's scheme (HYPERLIQUID.md §4), which the official SDK's `sign_l1_action`
implements through eth-account's generic EIP-712 encoder:

    connectionId = keccak(msgpack(action) ‖ nonce u64 BE ‖ 0x00 | 0x01 ‖ vault[20]
                          ‖ [0x00 ‖ expiresAfter u64 BE])
    digest       = keccak(0x1901 ‖ domainSeparator ‖ keccak(AGENT_TYPEHASH ‖ keccak(source)
                                                           ‖ connectionId))
    signature    = secp256k1 recoverable signature of digest (RFC 6979, low s), v = 27 + recid

with domain {name "Exchange", version "1", chainId 1337, verifyingContract 0x0} and source
"a" on mainnet, "b" on testnet. Everything constant is hashed once at import, so a signature
costs one msgpack, three keccaks and one libsecp256k1 call. The network is an explicit flag:
never inferred from a URL (the SDK's trap: any non-mainnet URL signs as testnet).

`r` and `s` are rendered like the SDK (`eth_utils.to_hex(int)`): 0x-hex without leading
zeros. Tests prove byte identity with the SDK and recovery with eth-account.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Final

import coincurve
import msgpack
from eth_hash.auto import keccak as _eth_keccak

from hyperliquid_ofi_trader.errors import OurBugError
from hyperliquid_ofi_trader.venues.hyperliquid.signing.keys import SecretKey

Signature = dict[str, Any]  # {"r": "0x..", "s": "0x..", "v": 27 | 28}

_U64_LIMIT: Final = 1 << 64
_ADDRESS_HEX_LEN: Final = 40
_SCALAR_HEX_MAX: Final = 64


class SignatureError(OurBugError, ValueError):
    """A signature, nonce or address that is malformed (the sender's fault)."""


# ------------------------------------------------------------------ keccak-256

def _pysha3_keccak() -> Callable[[bytes], bytes] | None:
    """keccak-256 from safe-pysha3's C extension: one call into C per hash (~1.7 µs).

    `eth_hash` (what eth-account uses) builds a hash object through several Python layers
    per call (~8 µs), and a signature needs three hashes. Returns None (use eth_hash) when
    the extension is missing or disagrees with the reference.
    """
    try:
        from _pysha3 import keccak_256  # type: ignore[import-not-found,unused-ignore]
    except ImportError:
        return None

    def keccak256(data: bytes) -> bytes:
        return keccak_256(data).digest()  # type: ignore[no-any-return,unused-ignore]

    # Keccak, not SHA3 (different padding): check against the reference before trusting it.
    for probe in (b"", b"abc" * 100):
        if keccak256(probe) != bytes(_eth_keccak(probe)):
            return None
    return keccak256


def _eth_hash_keccak(data: bytes) -> bytes:
    return bytes(_eth_keccak(data))


keccak256: Callable[[bytes], bytes] = _pysha3_keccak() or _eth_hash_keccak

# ------------------------------------------------------------------ EIP-712 constants

def _domain_separator() -> bytes:
    type_hash = keccak256(b"EIP712Domain(string name,string version,uint256 chainId,"
                          b"address verifyingContract)")
    return keccak256(type_hash + keccak256(b"Exchange") + keccak256(b"1")
                     + (1337).to_bytes(32, "big") + bytes(32))


_DIGEST_PREFIX: Final = b"\x19\x01" + _domain_separator()
_AGENT_TYPEHASH: Final = keccak256(b"Agent(string source,bytes32 connectionId)")
_STRUCT_PREFIX: Final = {True: _AGENT_TYPEHASH + keccak256(b"a"),
                         False: _AGENT_TYPEHASH + keccak256(b"b")}
_NO_VAULT: Final = b"\x00"

# ------------------------------------------------------------------ hashing


def _u64(value: int, what: str) -> bytes:
    if type(value) is not int or not 0 <= value < _U64_LIMIT:
        raise SignatureError(f"{what} must be an int in [0, 2**64), got {value!r}")
    return value.to_bytes(8, "big")


def _address_bytes(address: str) -> bytes:
    digits = address[2:] if address[:2] in ("0x", "0X") else address
    if len(digits) != _ADDRESS_HEX_LEN:
        raise SignatureError(f"address must be 20 bytes of hex, got {address!r}")
    try:
        return bytes.fromhex(digits)
    except ValueError:
        raise SignatureError(f"address is not hex: {address!r}") from None


def _hash_suffix(nonce: int, vault_address: str | None, expires_after: int | None) -> bytes:
    tail = _u64(nonce, "nonce")
    tail += _NO_VAULT if vault_address is None else b"\x01" + _address_bytes(vault_address)
    if expires_after is not None:
        tail += b"\x00" + _u64(expires_after, "expiresAfter")
    return tail


def _pack(action: Any) -> bytes:
    try:
        return msgpack.packb(action)  # type: ignore[no-any-return]
    except (TypeError, ValueError, OverflowError) as exc:
        raise SignatureError(f"action cannot be msgpack-encoded: {exc}") from None


def action_connection_id(action: Mapping[str, Any] | Any, nonce: int,
                         vault_address: str | None = None,
                         expires_after: int | None = None) -> bytes:
    """The 32-byte `connectionId` the venue signs over (SDK `action_hash`)."""
    return keccak256(_pack(action) + _hash_suffix(nonce, vault_address, expires_after))


def agent_digest(connection_id: bytes, *, mainnet: bool) -> bytes:
    """EIP-712 digest of `Agent{source, connectionId}` in the Exchange domain."""
    struct_hash = keccak256(_STRUCT_PREFIX[bool(mainnet)] + connection_id)
    return keccak256(_DIGEST_PREFIX + struct_hash)


def action_digest(action: Mapping[str, Any] | Any, nonce: int, *, mainnet: bool,
                  vault_address: str | None = None,
                  expires_after: int | None = None) -> bytes:
    """The 32 bytes actually signed for `action`."""
    return agent_digest(action_connection_id(action, nonce, vault_address, expires_after),
                        mainnet=mainnet)

# ------------------------------------------------------------------ sign / recover


def _render(sig65: bytes) -> Signature:
    return {"r": hex(int.from_bytes(sig65[:32], "big")),
            "s": hex(int.from_bytes(sig65[32:64], "big")),
            "v": 27 + sig65[64]}


class RecoveryMemo:
    """Signatures made in this process, so that recovering one of them needs no elliptic-
    curve work. A recoverable signature libsecp256k1 made over `digest` recovers to the
    signing key by construction: the answer is known when it is made. Only the backtest
    opts in (its in-process venue recovers every action the gateway signed, ~45 µs each);
    the venue still rebuilds the digest from the wire body, and a digest or r/s/v that
    differs in any byte from what was signed is recovered for real. Bounded (oldest
    forgotten first); an entry is used once."""

    __slots__ = ("_known", "capacity", "hits")

    def __init__(self, capacity: int = 4096) -> None:
        self._known: dict[bytes, str] = {}
        self.capacity = capacity
        self.hits = 0

    def __len__(self) -> int:
        return len(self._known)

    def note(self, digest: bytes, sig65: bytes, address: str) -> None:
        known = self._known
        if len(known) >= self.capacity:
            del known[next(iter(known))]
        known[digest + sig65] = address.lower()

    def take(self, digest: bytes, sig65: bytes) -> str | None:
        address = self._known.pop(digest + sig65, None)
        if address is not None:
            self.hits += 1
        return address


class L1Signer:
    """Signs L1 actions with one key on one network. Thread-safe; no mutable state of its
    own (a `memo`, when given, is the caller's)."""

    __slots__ = ("_key", "_memo", "_prefix", "address", "mainnet")

    def __init__(self, key: SecretKey, *, mainnet: bool,
                 memo: RecoveryMemo | None = None) -> None:
        if not isinstance(mainnet, bool):
            raise TypeError("mainnet must be given explicitly as True or False")
        self._key = coincurve.PrivateKey(key.reveal())
        self.address: str = key.address
        self.mainnet: bool = mainnet
        self._prefix = _STRUCT_PREFIX[mainnet]
        self._memo = memo

    def sign_action(self, action: Mapping[str, Any] | Any, nonce: int,
                    vault_address: str | None = None,
                    expires_after: int | None = None) -> Signature:
        """`{"r", "s", "v"}` for `action`, identical to the SDK's `sign_l1_action`."""
        conn = keccak256(_pack(action) + _hash_suffix(nonce, vault_address, expires_after))
        digest = keccak256(_DIGEST_PREFIX + keccak256(self._prefix + conn))
        sig65 = self._key.sign_recoverable(digest, hasher=None)
        if self._memo is not None:
            self._memo.note(digest, sig65, self.address)
        return _render(sig65)

    def __repr__(self) -> str:
        net = "mainnet" if self.mainnet else "testnet"
        return f"L1Signer(address={self.address}, {net})"


def _scalar(value: object, what: str) -> bytes:
    if not isinstance(value, str) or value[:2] not in ("0x", "0X"):
        raise SignatureError(f"signature {what} must be a 0x-hex string")
    digits = value[2:]
    if not 0 < len(digits) <= _SCALAR_HEX_MAX:
        raise SignatureError(f"signature {what} must be 1..64 hex digits")
    try:
        return int(digits, 16).to_bytes(32, "big")
    except ValueError:
        raise SignatureError(f"signature {what} is not hex") from None


def _recid(v: object) -> int:
    # 27/28 is what the SDK sends; 0/1 is the raw recovery id some clients send.
    if type(v) is int and v in (27, 28, 0, 1):
        return v - 27 if v >= 27 else v
    raise SignatureError(f"signature v must be 27 or 28, got {v!r}")


def _signature_bytes(signature: Mapping[str, Any]) -> bytes:
    if not isinstance(signature, Mapping):
        raise SignatureError("signature must be an object with r, s and v")
    r, s = _scalar(signature.get("r"), "r"), _scalar(signature.get("s"), "s")
    return r + s + bytes((_recid(signature.get("v")),))


def recover_digest_signer(digest: bytes, signature: Mapping[str, Any],
                          memo: RecoveryMemo | None = None) -> str:
    """The lowercase address whose key produced `signature` over `digest` (known at once
    when `memo` holds this exact digest and signature)."""
    sig65 = _signature_bytes(signature)
    if memo is not None:
        known = memo.take(digest, sig65)
        if known is not None:
            return known
    try:
        public = coincurve.PublicKey.from_signature_and_message(sig65, digest, hasher=None)
    except Exception:  # libsecp256k1 refuses r/s out of range or off-curve points
        raise SignatureError("signature does not recover to any public key") from None
    raw = public.format(compressed=False)[1:]
    return "0x" + keccak256(raw)[-20:].hex()


def recover_action_signer(action: Mapping[str, Any] | Any, nonce: int,
                          signature: Mapping[str, Any], *, mainnet: bool,
                          vault_address: str | None = None,
                          expires_after: int | None = None,
                          memo: RecoveryMemo | None = None) -> str:
    """Lowercase address that signed `action` (what the venue checks; the emulator uses
    it). Raises `SignatureError` for a malformed signature, nonce or address."""
    digest = action_digest(action, nonce, mainnet=mainnet, vault_address=vault_address,
                           expires_after=expires_after)
    return recover_digest_signer(digest, signature, memo)


def exchange_body(action: Mapping[str, Any] | Any, nonce: int, signature: Signature,
                  vault_address: str | None = None,
                  expires_after: int | None = None) -> dict[str, Any]:
    """The `/exchange` JSON body (also the payload of a WS `post` action request)."""
    return {"action": action, "nonce": nonce, "signature": signature,
            "vaultAddress": vault_address, "expiresAfter": expires_after}
