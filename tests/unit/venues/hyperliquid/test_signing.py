"""L1 signing: the official SDK's published test vectors, recovery, malformed input.

Vectors are the expected values from hyperliquid-python-sdk's tests/signing_test.py
(private key 0x0123...0123, nonce 0): known-good signatures the venue accepts.
"""

from __future__ import annotations

import pickle
import threading
from typing import Any

import coincurve
import pytest
from eth_account import Account
from eth_account.messages import encode_typed_data
from eth_hash.auto import keccak
from hyperliquid.utils import signing as sdk

from hyperliquid_ofi_trader.venues.hyperliquid.execution import action_wire as wire
from hyperliquid_ofi_trader.venues.hyperliquid.signing import signer as signing
from hyperliquid_ofi_trader.venues.hyperliquid.signing.keys import SecretKey, generate_throwaway_key
from hyperliquid_ofi_trader.venues.hyperliquid.signing.signer import L1Signer, SignatureError

VECTOR_KEY = "0x0123456789012345678901234567890123456789012345678901234567890123"
VAULT = "0x1719884eb866cb12b2287399b15f7db5e7d775ea"
DUMMY: dict[str, Any] = {"type": "dummy", "num": 100000000000}  # float_to_int_for_hashing(1000)

# (action, vault, mainnet, r, s, v)
VECTORS: list[tuple[dict[str, Any], str | None, bool, str, str, int]] = [
    (DUMMY, None, True, "0x53749d5b30552aeb2fca34b530185976545bb22d0b3ce6f62e31be961a59298",
     "0x755c40ba9bf05223521753995abb2f73ab3229be8ec921f350cb447e384d8ed8", 27),
    (DUMMY, None, False, "0x542af61ef1f429707e3c76c5293c80d01f74ef853e34b76efffcb57e574f9510",
     "0x17b8b32f086e8cdede991f1e2c529f5dd5297cbe8128500e00cbaf766204a613", 28),
    (DUMMY, VAULT, True, "0x3c548db75e479f8012acf3000ca3a6b05606bc2ec0c29c50c515066a326239",
     "0x4d402be7396ce74fbba3795769cda45aec00dc3125a984f2a9f23177b190da2c", 28),
    (DUMMY, VAULT, False, "0xe281d2fb5c6e25ca01601f878e4d69c965bb598b88fac58e475dd1f5e56c362b",
     "0x7ddad27e9a238d045c035bc606349d075d5c5cd00a6cd1da23ab5c39d4ef0f60", 27),
    (wire.order_action([wire.order_wire(1, True, 100.0, 100.0, False, "Gtc", None)]), None,
     True, "0xd65369825a9df5d80099e513cce430311d7d26ddf477f5b3a33d2806b100d78e",
     "0x2b54116ff64054968aa237c20ca9ff68000f977c93289157748a3162b6ea940e", 28),
    (wire.order_action([wire.order_wire(1, True, 100.0, 100.0, False, "Gtc", None)]), None,
     False, "0x82b2ba28e76b3d761093aaded1b1cdad4960b3af30212b343fb2e6cdfa4e3d54",
     "0x6b53878fc99d26047f4d7e8c90eb98955a109f44209163f52d8dc4278cbbd9f5", 27),
    (wire.order_action([wire.order_wire(1, True, 100.0, 100.0, False, "Gtc",
                                        wire.make_cloid(1))]), None,
     True, "0x41ae18e8239a56cacbc5dad94d45d0b747e5da11ad564077fcac71277a946e3",
     "0x3c61f667e747404fe7eea8f90ab0e76cc12ce60270438b2058324681a00116da", 27),
    (wire.order_action([wire.order_wire(1, True, 100.0, 100.0, False, "Gtc",
                                        wire.make_cloid(1))]), None,
     False, "0xeba0664bed2676fc4e5a743bf89e5c7501aa6d870bdb9446e122c9466c5cd16d",
     "0x7f3e74825c9114bc59086f1eebea2928c190fdfbfde144827cb02b85bbe90988", 28),
    (wire.schedule_cancel_action(None), None, True,
     "0x6cdfb286702f5917e76cd9b3b8bf678fcc49aec194c02a73e6d4f16891195df9",
     "0x6557ac307fa05d25b8d61f21fb8a938e703b3d9bf575f6717ba21ec61261b2a0", 27),
    (wire.schedule_cancel_action(None), None, False,
     "0xc75bb195c3f6a4e06b7d395acc20bbb224f6d23ccff7c6a26d327304e6efaeed",
     "0x342f8ede109a29f2c0723bd5efb9e9100e3bbb493f8fb5164ee3d385908233df", 28),
    (wire.schedule_cancel_action(123456789), None, True,
     "0x609cb20c737945d070716dcc696ba030e9976fcf5edad87afa7d877493109d55",
     "0x16c685d63b5c7a04512d73f183b3d7a00da5406ff1f8aad33f8ae2163bab758b", 28),
    (wire.schedule_cancel_action(123456789), None, False,
     "0x4e4f2dbd4107c69783e251b7e1057d9f2b9d11cee213441ccfa2be63516dc5bc",
     "0x706c656b23428c8ba356d68db207e11139ede1670481a9e01ae2dfcdb0e1a678", 27),
]


@pytest.fixture(scope="module")
def key() -> SecretKey:
    return SecretKey.from_hex(VECTOR_KEY)


@pytest.mark.parametrize(("action", "vault", "mainnet", "r", "s", "v"), VECTORS)
def test_sdk_vectors(key: SecretKey, action: dict[str, Any], vault: str | None,
                     mainnet: bool, r: str, s: str, v: int) -> None:
    sig = L1Signer(key, mainnet=mainnet).sign_action(action, 0, vault)
    assert sig == {"r": r, "s": s, "v": v}
    assert signing.recover_action_signer(action, 0, sig, mainnet=mainnet,
                                         vault_address=vault) == key.address


def test_connection_id_vector_matches_production() -> None:
    action = wire.order_action([wire.order_wire(4, True, 1670.1, 0.0147, False, "Ioc", None)])
    conn = signing.action_connection_id(action, 1677777606040)
    assert conn.hex() == "0fcbeda5ae3c4950a548021552a4fea2226858c4453571bf3f24ba017eac2908"


def test_digest_equals_eth_account_typed_data_hash() -> None:
    conn = signing.action_connection_id(DUMMY, 7, VAULT, 1_700_000_000_000)
    for mainnet in (True, False):
        payload = sdk.l1_payload(sdk.construct_phantom_agent(conn, mainnet))
        msg = encode_typed_data(full_message=payload)  # EIP-191 v1: 0x19 ‖ 0x01 ‖ dom ‖ struct
        expected = keccak(b"\x19" + msg.version + msg.header + msg.body)
        assert signing.agent_digest(conn, mainnet=mainnet) == expected


def test_expires_after_changes_the_hash_and_matches_sdk(key: SecretKey) -> None:
    a = wire.noop_action()
    plain = signing.action_connection_id(a, 5)
    with_exp = signing.action_connection_id(a, 5, None, 1_700_000_000_000)
    assert plain != with_exp
    assert with_exp == sdk.action_hash(a, None, 5, 1_700_000_000_000)
    sig = L1Signer(key, mainnet=True).sign_action(a, 5, None, 1_700_000_000_000)
    acct = Account.from_key(key.reveal())
    assert sig == sdk.sign_l1_action(acct, a, None, 5, 1_700_000_000_000, True)


def test_wrong_network_or_nonce_recovers_a_different_address(key: SecretKey) -> None:
    a = wire.cancel_action([(0, 1)])
    sig = L1Signer(key, mainnet=True).sign_action(a, 100)
    assert signing.recover_action_signer(a, 100, sig, mainnet=False) != key.address
    assert signing.recover_action_signer(a, 101, sig, mainnet=True) != key.address
    assert signing.recover_action_signer(a, 100, sig, mainnet=True) == key.address


def test_signer_requires_explicit_network(key: SecretKey) -> None:
    with pytest.raises(TypeError):
        L1Signer(key, mainnet="https://api.hyperliquid.xyz")  # type: ignore[arg-type]
    signer = L1Signer(key, mainnet=False)
    assert signer.address == key.address == key.address.lower()
    assert "testnet" in repr(signer)
    assert VECTOR_KEY[2:] not in repr(signer)


@pytest.mark.parametrize("sig", [
    {"r": "0x1", "s": "0x1"}, {"r": "0x1", "s": "0x1", "v": 29}, {"r": "1", "s": "0x1", "v": 27},
    {"r": "0x" + "f" * 65, "s": "0x1", "v": 27}, {"r": "0xzz", "s": "0x1", "v": 27},
    {"r": "0x0", "s": "0x0", "v": 27}, "not a mapping",
])
def test_malformed_signatures_raise_signature_error(sig: Any) -> None:
    with pytest.raises(SignatureError):
        signing.recover_action_signer(DUMMY, 0, sig, mainnet=True)


@pytest.mark.parametrize(("nonce", "vault", "expires"), [
    (-1, None, None), (2**64, None, None), (1, "0x1234", None), (1, "0x" + "g" * 40, None),
    (1, None, -2),
])
def test_malformed_nonce_or_vault_raise_signature_error(nonce: int, vault: str | None,
                                                        expires: int | None) -> None:
    with pytest.raises(SignatureError):
        signing.action_connection_id(DUMMY, nonce, vault, expires)


def test_unpackable_action_is_a_signature_error() -> None:
    with pytest.raises(SignatureError):
        signing.action_connection_id({"type": "order", "x": object()}, 1)


def test_exchange_body_shape(key: SecretKey) -> None:
    a = wire.noop_action()
    sig = L1Signer(key, mainnet=True).sign_action(a, 9)
    body = signing.exchange_body(a, 9, sig)
    assert list(body) == ["action", "nonce", "signature", "vaultAddress", "expiresAfter"]
    assert body["vaultAddress"] is None
    assert body["expiresAfter"] is None


def test_keccak_fast_path_agrees_with_reference() -> None:
    assert signing.keccak256 is not signing._eth_hash_keccak  # the C extension is in use
    for n in (0, 1, 135, 136, 137, 272, 1000):
        data = bytes(range(256)) * 4
        assert signing.keccak256(data[:n]) == bytes(keccak(data[:n]))
        assert signing._eth_hash_keccak(data[:n]) == bytes(keccak(data[:n]))


def test_signer_holds_no_picklable_key() -> None:
    key = generate_throwaway_key()
    with pytest.raises(TypeError):
        pickle.dumps(key)


def test_concurrent_signing_from_threads_matches_serial(key: SecretKey) -> None:
    # The signer is shared by the gateway's threads in tests: interleaving must not matter.
    signer = L1Signer(key, mainnet=True)
    actions = [wire.cancel_action([(i % 7, i)]) for i in range(200)]
    expected = [signer.sign_action(a, 1_000 + i) for i, a in enumerate(actions)]
    got: list[list[Any]] = [[] for _ in range(4)]

    def work(out: list[Any]) -> None:
        out.extend(signer.sign_action(a, 1_000 + i) for i, a in enumerate(actions))

    threads = [threading.Thread(target=work, args=(g,)) for g in got]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(g == expected for g in got)


def _no_curve_work(*_: object, **__: object) -> None:
    raise AssertionError("recovered on the curve")


def test_memo_knows_its_own_signatures_without_curve_work(
        key: SecretKey, monkeypatch: pytest.MonkeyPatch) -> None:
    memo = signing.RecoveryMemo()
    a = wire.cancel_action([(0, 1)])
    sig = L1Signer(key, mainnet=True, memo=memo).sign_action(a, 100)
    assert len(memo) == 1
    with monkeypatch.context() as m:
        m.setattr(coincurve.PublicKey, "from_signature_and_message", _no_curve_work)
        assert signing.recover_action_signer(a, 100, sig, mainnet=True,
                                             memo=memo) == key.address
    assert memo.hits == 1
    assert len(memo) == 0  # used once: a replay of the same body is recovered for real
    assert signing.recover_action_signer(a, 100, sig, mainnet=True, memo=memo) == key.address
    assert memo.hits == 1


def test_memo_never_answers_for_another_digest_or_signature(key: SecretKey) -> None:
    memo = signing.RecoveryMemo()
    a = wire.cancel_action([(0, 1)])
    signer = L1Signer(key, mainnet=True, memo=memo)
    sig = signer.sign_action(a, 100)
    # Another nonce or network is another digest: recovered for real, another address.
    assert signing.recover_action_signer(a, 101, sig, mainnet=True, memo=memo) != key.address
    assert signing.recover_action_signer(a, 100, sig, mainnet=False, memo=memo) != key.address
    other = dict(sig, v=55 - sig["v"])  # the other recovery id: another public key
    assert signing.recover_action_signer(a, 100, other, mainnet=True,
                                         memo=memo) != key.address
    assert memo.hits == 0


def test_memo_is_bounded_oldest_first(key: SecretKey) -> None:
    memo = signing.RecoveryMemo(capacity=2)
    signer = L1Signer(key, mainnet=True, memo=memo)
    a = wire.noop_action()
    sigs = [signer.sign_action(a, n) for n in (1, 2, 3)]
    assert len(memo) == 2
    for n, sig in zip((1, 2, 3), sigs, strict=True):
        assert signing.recover_action_signer(a, n, sig, mainnet=True, memo=memo) == key.address
    assert memo.hits == 2  # nonce 1 was forgotten and recovered on the curve
