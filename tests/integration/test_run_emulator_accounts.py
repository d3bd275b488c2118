"""`hlofi run --venue sim` starts the emulator strict, as the venue is, and funds the run's
own throwaway key: that key trades; any other signer (a tampered or mis-signed action, a
stranger's key) gets the venue's "User or API Wallet 0x... does not exist."."""

from __future__ import annotations

import time

import aiohttp
import pytest

from hyperliquid_ofi_trader.cli.run import Venue, _venue
from hyperliquid_ofi_trader.config import Network, load_config
from hyperliquid_ofi_trader.venues.hyperliquid.signing.keys import SecretKey, generate_throwaway_key
from hyperliquid_ofi_trader.venues.hyperliquid.signing.signer import L1Signer

pytestmark = pytest.mark.timeout(20)


def _noop(key: SecretKey) -> dict[str, object]:
    action = {"type": "noop"}
    nonce = int(time.time() * 1000)
    return {"action": action, "nonce": nonce,
            "signature": L1Signer(key, mainnet=False).sign_action(action, nonce),
            "vaultAddress": None, "expiresAfter": None}


async def test_run_funds_its_own_key_and_refuses_strangers() -> None:
    async with _venue(Venue.SIM, Network.TESTNET, 3, load_config(None), None) as (
            endpoints, _, key):
        assert key is not None
        stranger = generate_throwaway_key()
        async with aiohttp.ClientSession() as http:
            async with http.post(f"{endpoints.rest_url}/exchange", json=_noop(key)) as r:
                assert await r.json() == {"status": "ok", "response": {"type": "default"}}
            async with http.post(f"{endpoints.rest_url}/exchange",
                                 json=_noop(stranger)) as r:
                assert await r.json() == {
                    "status": "err",
                    "response": f"User or API Wallet {stranger.address.lower()} "
                                "does not exist."}
            async with http.post(f"{endpoints.rest_url}/info",
                                 json={"type": "clearinghouseState",
                                       "user": key.address}) as r:
                state = await r.json()
        assert float(state["marginSummary"]["accountValue"]) == 100_000.0
