"""A keystore file others can read: a warning on testnet, refused for mainnet."""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path

import pytest

from hyperliquid_ofi_trader.venues.hyperliquid.signing import keys
from hyperliquid_ofi_trader.venues.hyperliquid.signing.keys import KeystoreError, SecretKey

PASSWORD = "correct horse"


@pytest.fixture(scope="module")
def key() -> SecretKey:
    return keys.generate_throwaway_key()


def _keystore(tmp_path: Path, key: SecretKey, mode: int) -> Path:
    path = tmp_path / "key.json"
    path.write_text(json.dumps(keys.encrypt_keystore(key, PASSWORD, kdf="pbkdf2",
                                                     iterations=2)))
    os.chmod(path, mode)
    return path


def _env() -> dict[str, str]:
    return {keys.KEYSTORE_PASSWORD_ENV: PASSWORD}


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604, 0o660])
def test_readable_by_others_warns_on_testnet(tmp_path: Path, key: SecretKey, mode: int,
                                             caplog: pytest.LogCaptureFixture) -> None:
    path = _keystore(tmp_path, key, mode)
    with caplog.at_level(logging.WARNING, logger=keys.__name__):
        loaded = keys.load_private_key(keystore_path=path, environ=_env())
    assert loaded == key
    assert f"chmod 600 {path}" in caplog.text
    assert f"{mode:04o}" in caplog.text


@pytest.mark.parametrize("mode", [0o644, 0o600 | 0o040])
def test_readable_by_others_is_refused_for_mainnet(tmp_path: Path, key: SecretKey,
                                                   mode: int) -> None:
    path = _keystore(tmp_path, key, mode)
    with pytest.raises(KeystoreError, match="refused for mainnet"):
        keys.load_private_key(keystore_path=path, environ=_env(), mainnet=True)


def test_owner_only_loads_silently_everywhere(tmp_path: Path, key: SecretKey,
                                              caplog: pytest.LogCaptureFixture) -> None:
    path = _keystore(tmp_path, key, 0o600)
    with caplog.at_level(logging.WARNING, logger=keys.__name__):
        assert keys.load_private_key(keystore_path=path, environ=_env(), mainnet=True) == key
    assert caplog.text == ""
