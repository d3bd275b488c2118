"""Private keys: loading, holding and never leaking them.

A `SecretKey` holds the 32 secret bytes of an API (agent) wallet. Its repr and str show the
address only; it refuses to be pickled or copied into another object graph by accident.
The bytes leave it only through `reveal()`, which the signer calls (and the tests that hand
a throwaway key to the official SDK).

Sources, in order of preference for production:
- an encrypted Ethereum keystore file (eth-account's JSON, scrypt or pbkdf2), password in
  the environment variable `HLOFI_KEYSTORE_PASSWORD`;
- the raw hex key in the environment variable `HLOFI_PRIVATE_KEY`.

A keystore file that group or others may read is a key one `cat` away from anyone with
an account on the host: it loads with a logged warning on testnet, and is refused for
mainnet (`mainnet=True`) until it is made owner-only (chmod 600).

Every failure is a `KeyLoadError` (the user's configuration is at fault) whose message
names the source and what is wrong with it, never the value: a mistyped key is still
mostly a key. Foreign exceptions are re-raised `from None` so their text (and any
traceback locals printed with it) cannot carry the secret into a log.
"""

from __future__ import annotations

import hmac
import json
import logging
import os
import secrets
import stat
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final, Literal, NoReturn

import coincurve
from eth_hash.auto import keccak

from hyperliquid_ofi_trader.errors import OurBugError

PRIVATE_KEY_ENV: Final = "HLOFI_PRIVATE_KEY"
KEYSTORE_PASSWORD_ENV: Final = "HLOFI_KEYSTORE_PASSWORD"
_SECRET_LEN: Final = 32
_HEX_LEN: Final = 2 * _SECRET_LEN
# secp256k1 group order: a secret must lie in [1, n).
_CURVE_ORDER: Final = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
_GROUP_OR_OTHERS: Final = stat.S_IRWXG | stat.S_IRWXO
_log = logging.getLogger(__name__)


class KeyLoadError(OurBugError):
    """The configured key could not be loaded (user configuration at fault)."""


class KeyNotConfiguredError(KeyLoadError):
    """Neither a keystore nor `HLOFI_PRIVATE_KEY` was given."""


class KeyFormatError(KeyLoadError):
    """The key text is not a valid secp256k1 private key."""


class KeystoreError(KeyLoadError):
    """The keystore file is missing, unreadable, malformed, or its password is wrong."""


def _address_of(secret: bytes) -> str:
    public = coincurve.PrivateKey(secret).public_key.format(compressed=False)
    return "0x" + bytes(keccak(public[1:])[-20:]).hex()


def _valid_secret(secret: bytes) -> bool:
    return len(secret) == _SECRET_LEN and 0 < int.from_bytes(secret, "big") < _CURVE_ORDER


class SecretKey:
    """A secp256k1 private key that never shows itself in repr, str, logs or pickles."""

    __slots__ = ("_address", "_secret")

    def __init__(self, secret: bytes) -> None:
        if not isinstance(secret, bytes | bytearray) or not _valid_secret(bytes(secret)):
            raise KeyFormatError("a private key must be 32 bytes in [1, secp256k1 order)")
        self._secret = bytes(secret)
        self._address = _address_of(self._secret)

    @classmethod
    def from_hex(cls, text: str, *, source: str = "key text") -> SecretKey:
        """Parse 64 hex digits, optionally 0x-prefixed; the error names `source` only."""
        digits = text.strip()
        digits = digits[2:] if digits[:2] in ("0x", "0X") else digits
        if len(digits) != _HEX_LEN:
            raise KeyFormatError(f"{source} must be {_HEX_LEN} hex digits (optionally 0x-"
                                 f"prefixed), got {len(digits)} characters")
        try:
            raw = bytes.fromhex(digits)
        except ValueError:
            raise KeyFormatError(f"{source} contains characters that are not hex digits"
                                 ) from None
        if not _valid_secret(raw):
            raise KeyFormatError(f"{source} is not a valid secp256k1 private key (zero or "
                                 "not below the curve order)")
        return cls(raw)

    @property
    def address(self) -> str:
        """The wallet address, lowercase 0x-hex (what the venue recovers from signatures)."""
        return self._address

    def reveal(self) -> bytes:
        """The secret bytes. Only the signer (and SDK compatibility tests) may call this."""
        return self._secret

    def __repr__(self) -> str:
        return f"SecretKey(address={self._address}, secret=<redacted>)"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, SecretKey):
            return NotImplemented
        return hmac.compare_digest(self._secret, other._secret)

    def __hash__(self) -> int:
        return hash(self._address)

    def __reduce__(self) -> NoReturn:
        raise TypeError("SecretKey refuses to be pickled: keys must not reach disk in clear")

    def __copy__(self) -> SecretKey:
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> SecretKey:
        return self


def generate_throwaway_key() -> SecretKey:
    """A fresh random key for tests and the local emulator; never for real funds."""
    while True:
        raw = secrets.token_bytes(_SECRET_LEN)
        if _valid_secret(raw):  # fails with probability ~2**-128; loop for correctness
            return SecretKey(raw)


def _keystore_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise KeystoreError(f"keystore file {path} does not exist") from None
    except OSError as exc:
        raise KeystoreError(f"cannot read keystore file {path}: {exc.strerror}") from None
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise KeystoreError(f"keystore file {path} is not JSON") from None
    if not isinstance(data, dict) or ("crypto" not in data and "Crypto" not in data):
        raise KeystoreError(f"keystore file {path} is not an Ethereum keystore (no crypto)")
    return data


def _decrypt_keystore(data: dict[str, Any], password: str, path: Path) -> bytes:
    from eth_account import Account

    try:
        return bytes(Account.decrypt(data, password))
    except ValueError as exc:
        # eth-keyfile says "MAC mismatch" for a wrong password; say it in user terms.
        reason = "wrong password" if "MAC" in str(exc) else "unsupported or corrupt content"
        raise KeystoreError(f"cannot decrypt keystore file {path}: {reason}") from None
    except Exception as exc:  # foreign library: map once, never echo its text
        raise KeystoreError(f"cannot decrypt keystore file {path}: malformed "
                            f"({type(exc).__name__})") from None


def check_keystore_mode(path: Path, *, mainnet: bool) -> None:
    """Warn (testnet) or refuse (mainnet) a keystore file group or others may access."""
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
    except OSError:
        return  # reading it says what is wrong, with the usual message
    if not mode & _GROUP_OR_OTHERS:
        return
    problem = (f"keystore file {path} is accessible by group or others (mode {mode:04o}); "
               f"make it owner-only: chmod 600 {path}")
    if mainnet:
        raise KeystoreError(f"{problem} (refused for mainnet)")
    _log.warning("%s", problem)


def load_keystore(path: str | Path, password: str, *, mainnet: bool = False) -> SecretKey:
    """Decrypt an eth-account keystore JSON file (scrypt or pbkdf2); its file mode is
    checked first (`check_keystore_mode`)."""
    p = Path(path)
    check_keystore_mode(p, mainnet=mainnet)
    secret = _decrypt_keystore(_keystore_json(p), password, p)
    if not _valid_secret(secret):
        raise KeystoreError(f"keystore file {p} does not hold a valid secp256k1 key")
    return SecretKey(secret)


def load_private_key(*, keystore_path: str | Path | None = None,
                     environ: Mapping[str, str] | None = None,
                     mainnet: bool = False) -> SecretKey:
    """The trading key: from `keystore_path` (password in HLOFI_KEYSTORE_PASSWORD) when
    given, else from HLOFI_PRIVATE_KEY. `environ` defaults to `os.environ`. `mainnet`
    refuses a keystore file others can read."""
    env = os.environ if environ is None else environ
    if keystore_path is not None:
        password = env.get(KEYSTORE_PASSWORD_ENV)
        if password is None:
            raise KeystoreError(f"keystore {keystore_path} needs its password in the "
                                f"environment variable {KEYSTORE_PASSWORD_ENV}")
        return load_keystore(keystore_path, password, mainnet=mainnet)
    text = env.get(PRIVATE_KEY_ENV)
    if text is None or not text.strip():
        raise KeyNotConfiguredError(f"no private key configured: set {PRIVATE_KEY_ENV} or "
                                    f"give a keystore file (password in {KEYSTORE_PASSWORD_ENV})")
    return SecretKey.from_hex(text, source=f"environment variable {PRIVATE_KEY_ENV}")


def encrypt_keystore(key: SecretKey, password: str, *,
                     kdf: Literal["scrypt", "pbkdf2"] = "scrypt",
                     iterations: int | None = None) -> dict[str, Any]:
    """An eth-account keystore JSON (dict) for `key`, to write to a file of mode 0600."""
    from eth_account import Account

    result: dict[str, Any] = Account.encrypt(key.reveal(), password, kdf=kdf,
                                             iterations=iterations)
    return result
