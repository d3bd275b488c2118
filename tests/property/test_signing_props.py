"""Differential property test: our fast signing path against the official SDK.

Over random order / cancel / cancelByCloid / batchModify / scheduleCancel / updateLeverage /
noop actions, nonces, vault addresses, expiresAfter and both networks:
- our signature is byte-identical to `hyperliquid.utils.signing.sign_l1_action`;
- `recover_action_signer` returns the signer's address, and so does eth-account's own
  typed-data recovery (`recover_agent_or_user_from_l1_action`) on our signature.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from eth_account import Account
from hyperliquid.utils import signing as sdk
from hypothesis import given, settings
from hypothesis import strategies as st

from hyperliquid_ofi_trader.venues.hyperliquid.execution import action_wire as wire
from hyperliquid_ofi_trader.venues.hyperliquid.signing import signer as signing
from hyperliquid_ofi_trader.venues.hyperliquid.signing.keys import SecretKey

KEYS = [SecretKey(bytes([i + 1]) * 32) for i in range(3)]


@cache
def _account(i: int) -> Any:
    return Account.from_key(KEYS[i].reveal())


@cache
def _signer(i: int, mainnet: bool) -> signing.L1Signer:
    return signing.L1Signer(KEYS[i], mainnet=mainnet)


assets = st.integers(min_value=0, max_value=300)
oids = st.integers(min_value=0, max_value=2**64 - 1)
cloids = st.integers(min_value=0, max_value=2**128 - 1).map(wire.make_cloid)
# Prices and sizes as the router produces them: decimal values with at most 8 decimals.
amounts = st.builds(lambda units, places: units / 10**places,
                    st.integers(min_value=1, max_value=10**12),
                    st.integers(min_value=0, max_value=8))
tifs = st.sampled_from(["Alo", "Ioc", "Gtc"])
order_wires = st.builds(wire.order_wire, assets, st.booleans(), amounts, amounts,
                        st.booleans(), tifs, st.none() | cloids)

actions = st.one_of(
    st.lists(order_wires, min_size=1, max_size=4).map(wire.order_action),
    st.lists(st.tuples(assets, oids), min_size=1, max_size=4).map(wire.cancel_action),
    st.lists(st.tuples(assets, cloids), min_size=1, max_size=4).map(
        wire.cancel_by_cloid_action),
    st.lists(st.tuples(oids | cloids, order_wires), min_size=1, max_size=3).map(
        wire.batch_modify_action),
    (st.none() | st.integers(min_value=1, max_value=2**63)).map(wire.schedule_cancel_action),
    st.builds(wire.update_leverage_action, assets, st.booleans(),
              st.integers(min_value=1, max_value=50)),
    st.just(wire.noop_action()),
)
vaults = st.none() | st.binary(min_size=20, max_size=20).map(lambda b: "0x" + b.hex())
nonces = st.integers(min_value=0, max_value=2**64 - 1)
expiries = st.none() | st.integers(min_value=0, max_value=2**64 - 1)


@settings(max_examples=300, deadline=None)
@given(action=actions, nonce=nonces, vault=vaults, expires=expiries, mainnet=st.booleans(),
       who=st.integers(min_value=0, max_value=len(KEYS) - 1))
def test_signature_identical_to_sdk_and_recovers(action: dict[str, Any], nonce: int,
                                                 vault: str | None, expires: int | None,
                                                 mainnet: bool, who: int) -> None:
    ours = _signer(who, mainnet).sign_action(action, nonce, vault, expires)
    theirs = sdk.sign_l1_action(_account(who), action, vault, nonce, expires, mainnet)
    assert ours == theirs

    address = KEYS[who].address
    assert signing.recover_action_signer(action, nonce, ours, mainnet=mainnet,
                                         vault_address=vault, expires_after=expires) == address
    eth_recovered = sdk.recover_agent_or_user_from_l1_action(action, ours, vault, nonce,
                                                             expires, mainnet)
    assert eth_recovered.lower() == address


@settings(max_examples=100, deadline=None)
@given(action=actions, nonce=nonces, vault=vaults, expires=expiries)
def test_connection_id_equals_sdk_action_hash(action: dict[str, Any], nonce: int,
                                              vault: str | None, expires: int | None) -> None:
    ours = signing.action_connection_id(action, nonce, vault, expires)
    assert ours == sdk.action_hash(action, vault, nonce, expires)
