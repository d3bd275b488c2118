"""Keys: env var and keystore loading, and proof the secret never shows up in text."""

from __future__ import annotations

import copy
import json
import logging
import pickle
import traceback
from pathlib import Path

import pytest
from eth_account import Account

from hyperliquid_ofi_trader.venues.hyperliquid.signing import keys
from hyperliquid_ofi_trader.venues.hyperliquid.signing.keys import (
    KeyFormatError,
    KeyNotConfiguredError,
    KeystoreError,
    SecretKey,
    generate_throwaway_key,
    load_private_key,
)

PASSWORD = "correct horse battery staple"


def _leaks(text: str, key: SecretKey) -> bool:
    hexkey = key.reveal().hex()
    return hexkey in text.lower() or hexkey[:16] in text.lower()


@pytest.fixture
def key() -> SecretKey:
    return generate_throwaway_key()


def test_throwaway_keys_are_fresh_and_address_matches_eth_account(key: SecretKey) -> None:
    other = generate_throwaway_key()
    assert other != key
    assert key.address == Account.from_key(key.reveal()).address.lower()
    assert key.address.startswith("0x")
    assert len(key.address) == 42


def test_env_var_with_and_without_prefix(key: SecretKey) -> None:
    for text in ("0x" + key.reveal().hex(), key.reveal().hex(), f"  {key.reveal().hex()}\n"):
        loaded = load_private_key(environ={keys.PRIVATE_KEY_ENV: text})
        assert loaded == key


def test_nothing_configured_is_a_clear_error() -> None:
    with pytest.raises(KeyNotConfiguredError, match=keys.PRIVATE_KEY_ENV):
        load_private_key(environ={})


@pytest.mark.parametrize("mangle", [
    lambda h: h[:-1],                 # one digit short
    lambda h: h[:-1] + "g",           # not hex
    lambda h: h + "00",               # too long
    lambda h: "0" * 64,               # zero
    lambda h: "f" * 64,               # above the curve order
])
def test_bad_env_key_errors_never_echo_it(key: SecretKey, mangle: object) -> None:
    text = mangle(key.reveal().hex())  # type: ignore[operator]
    with pytest.raises(KeyFormatError) as info:
        load_private_key(environ={keys.PRIVATE_KEY_ENV: text})
    rendered = "".join(traceback.format_exception(info.value))
    assert text[:16] not in rendered
    assert not _leaks(rendered, key)
    # No chained foreign exception may carry the text along in a traceback.
    assert info.value.__cause__ is None
    assert info.value.__context__ is None or info.value.__suppress_context__


@pytest.mark.parametrize("kdf", ["scrypt", "pbkdf2"])
def test_keystore_round_trip(tmp_path: Path, key: SecretKey, kdf: str) -> None:
    path = tmp_path / "agent.json"
    path.write_text(json.dumps(keys.encrypt_keystore(key, PASSWORD, kdf=kdf,  # type: ignore[arg-type]
                                                     iterations=2 if kdf == "scrypt" else 1000)))
    loaded = load_private_key(keystore_path=path,
                              environ={keys.KEYSTORE_PASSWORD_ENV: PASSWORD})
    assert loaded == key
    assert loaded.address == key.address


def test_keystore_wrong_password(tmp_path: Path, key: SecretKey) -> None:
    path = tmp_path / "agent.json"
    path.write_text(json.dumps(keys.encrypt_keystore(key, PASSWORD, kdf="pbkdf2",
                                                     iterations=1000)))
    with pytest.raises(KeystoreError, match="wrong password") as info:
        load_private_key(keystore_path=path, environ={keys.KEYSTORE_PASSWORD_ENV: "nope"})
    assert "nope" not in str(info.value)


def test_keystore_missing_password_or_file_or_garbage(tmp_path: Path) -> None:
    with pytest.raises(KeystoreError, match=keys.KEYSTORE_PASSWORD_ENV):
        load_private_key(keystore_path=tmp_path / "x.json", environ={})
    env = {keys.KEYSTORE_PASSWORD_ENV: PASSWORD}
    with pytest.raises(KeystoreError, match="does not exist"):
        load_private_key(keystore_path=tmp_path / "x.json", environ=env)
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(KeystoreError, match="not JSON"):
        load_private_key(keystore_path=bad, environ=env)
    bad.write_text(json.dumps({"address": "00"}))
    with pytest.raises(KeystoreError, match="not an Ethereum keystore"):
        load_private_key(keystore_path=bad, environ=env)
    bad.write_text(json.dumps({"crypto": {"kdf": "bogus"}, "version": 3}))
    with pytest.raises(KeystoreError):
        load_private_key(keystore_path=bad, environ=env)


def test_repr_str_format_never_show_the_secret(key: SecretKey) -> None:
    percent = "%s" % (key,)  # noqa: UP031  (what logging does with its arguments)
    for text in (repr(key), str(key), f"{key}", f"{key!r}", percent, repr([key]),
                 repr({"k": key})):
        assert not _leaks(text, key)
        assert key.address in text


def test_logging_never_shows_the_secret(key: SecretKey, caplog: pytest.LogCaptureFixture
                                        ) -> None:
    log = logging.getLogger("hlofi.test.keys")
    with caplog.at_level(logging.DEBUG, logger="hlofi.test.keys"):
        log.info("loaded %s", key)
        log.debug("config %r", {"key": key})
        try:
            raise RuntimeError(f"signing failed with {key}")
        except RuntimeError:
            log.exception("boom")
    assert caplog.text
    assert not _leaks(caplog.text, key)


def test_key_cannot_be_pickled_and_copies_are_itself(key: SecretKey) -> None:
    with pytest.raises(TypeError, match="pickled"):
        pickle.dumps(key)
    assert copy.copy(key) is key
    assert copy.deepcopy({"k": key})["k"] is key
    assert not hasattr(key, "__dict__")


def test_secret_key_constructor_validates() -> None:
    with pytest.raises(KeyFormatError):
        SecretKey(b"\x00" * 32)
    with pytest.raises(KeyFormatError):
        SecretKey(b"\x01" * 31)
    with pytest.raises(KeyFormatError):
        SecretKey("01" * 32)  # type: ignore[arg-type]
