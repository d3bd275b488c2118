"""Helpers for the emulator's tests: a venue on a replay clock and signing traders."""

from __future__ import annotations

from typing import Any

from hyperliquid_ofi_trader.core.clock import ReplayClock
from hyperliquid_ofi_trader.core.events import BookSnapshot, Level, Trade, Trades
from hyperliquid_ofi_trader.sim.settings import SimSettings
from hyperliquid_ofi_trader.sim.venue import SimVenue
from hyperliquid_ofi_trader.venues.hyperliquid.signing.keys import SecretKey
from hyperliquid_ofi_trader.venues.hyperliquid.signing.signer import L1Signer

T0_MS = 1_700_000_000_000
MS = 1_000_000


def make_venue(settings: SimSettings | None = None) -> SimVenue:
    return SimVenue(settings or SimSettings(), ReplayClock(T0_MS * MS))


def book(venue: SimVenue, coin: str, bids: tuple[Level, ...], asks: tuple[Level, ...],
         t_ms: int = T0_MS) -> None:
    venue.on_market(BookSnapshot(exchange_ns=t_ms * MS, local_ns=t_ms * MS, coin=coin,
                                 bids=bids, asks=asks))


def trade(venue: SimVenue, coin: str, px: float, sz: float, is_buy: bool,
          t_ms: int = T0_MS, tid: int = 1) -> None:
    venue.on_market(Trades(exchange_ns=t_ms * MS, local_ns=t_ms * MS, coin=coin, trades=(
        Trade(coin=coin, price=px, size=sz, is_buy=is_buy, exchange_ns=t_ms * MS, tid=tid,
              hash="0xfeed"),)))


def btc_book(venue: SimVenue) -> None:
    """BTC 100,000 / 100,001 with two levels a side."""
    book(venue, "BTC", ((100_000.0, 1.0, 3), (99_999.0, 2.0, 1)),
         ((100_001.0, 0.5, 2), (100_002.0, 1.0, 1)))


def limit(asset: int, is_buy: bool, px: str, sz: str, tif: str = "Gtc",
          reduce_only: bool = False, cloid: str | None = None) -> dict[str, Any]:
    wire: dict[str, Any] = {"a": asset, "b": is_buy, "p": px, "s": sz, "r": reduce_only,
                            "t": {"limit": {"tif": tif}}}
    if cloid is not None:
        wire["c"] = cloid
    return wire


def cloid(n: int) -> str:
    return "0x" + format(n, "032x")


class Trader:
    """One signing key talking to a venue; nonces from a simple counter. Its account is
    funded with the venue's `initial_usdc` unless `funded=False` (agents, strangers)."""

    def __init__(self, venue: SimVenue, seed: int = 1, mainnet: bool = False,
                 funded: bool = True) -> None:
        self.venue = venue
        self.signer = L1Signer(SecretKey.from_hex("0x" + format(seed, "064x")), mainnet=mainnet)
        self.address = self.signer.address
        if funded:
            venue.fund(self.address)
        self.nonce = T0_MS
        self.now_ms = T0_MS

    def body(self, action: dict[str, Any], nonce: int | None = None) -> dict[str, Any]:
        if nonce is None:
            self.nonce += 1
            nonce = self.nonce
        return {"action": action, "nonce": nonce,
                "signature": self.signer.sign_action(action, nonce),
                "vaultAddress": None, "expiresAfter": None}

    def send(self, action: dict[str, Any], nonce: int | None = None,
             now_ms: int | None = None) -> tuple[int, Any]:
        at = self.now_ms if now_ms is None else now_ms
        return self.venue.handle_exchange(self.body(action, nonce), at * MS)

    def order(self, *orders: dict[str, Any]) -> list[Any]:
        status, resp = self.send({"type": "order", "orders": list(orders), "grouping": "na"})
        assert status == 200, resp
        assert resp["status"] == "ok", resp
        return list(resp["response"]["data"]["statuses"])

    def info(self, kind: str, **extra: Any) -> Any:
        status, resp = self.venue.handle_info({"type": kind, "user": self.address, **extra},
                                              self.now_ms * MS)
        assert status == 200, resp
        return resp

    def position(self, coin: str) -> float:
        acc = self.venue.account(self.address)
        return acc.szi(coin) if acc else 0.0
