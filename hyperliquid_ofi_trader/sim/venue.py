"""`SimVenue`: the emulated Hyperliquid venue, sans-I/O.

Requests in (`handle_exchange`, `handle_info` with the request's time), JSON answers out
as `(http_status, payload)`; market events in (`on_market`); pushes out (`take_pushes`).
No sockets and no wall clock: time comes from the `now_ns` arguments, the market events
and, for `on_market`, the injected clock. The aiohttp server (sim/server.py) only pumps.

Payload convention for the server: a `str` payload is sent as a plain-text body (the
venue's 422 deserialisation errors and 429 rate-limit answers are text), anything else
as JSON. The official SDK turns a non-JSON 4xx body into `ClientError(status, None, text)`.

Order of checks for an `/exchange` request, as the venue does them: deserialise (422) ->
IP weight (429) -> signature recovery and account lookup -> expiresAfter -> nonce ->
address rate limit -> the action, with per-order errors inside an `ok` response.
A nonce is consumed once it is accepted, even when the action then fails.

Accounts, as on the venue: an address exists only once funded (`fund`, `open_account`,
or an agent approval). A signature that recovers to any other address (a tampered
action, a wrong network byte, a stranger's key) is refused with `User or API Wallet 0x...
does not exist.` and opens nothing; `SimSettings.auto_create_accounts` is the explicit
opt-in that instead opens an account for any signer.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

from hyperliquid_ofi_trader.core.clock import Clock
from hyperliquid_ofi_trader.core.events import AssetCtx, Bbo, BookSnapshot, Trades
from hyperliquid_ofi_trader.errors import OurBugError
from hyperliquid_ofi_trader.sim import requests as rq
from hyperliquid_ofi_trader.sim import texts
from hyperliquid_ofi_trader.sim.accounts import Account, num
from hyperliquid_ofi_trader.sim.auth import recover_signer
from hyperliquid_ofi_trader.sim.candles import CandleBook
from hyperliquid_ofi_trader.sim.info_views import InfoViews
from hyperliquid_ofi_trader.sim.matching import ASK, BID, CoinBook, Match, SimOrder
from hyperliquid_ofi_trader.sim.nonces import NonceBook, NonceVerdict
from hyperliquid_ofi_trader.sim.order_entry import OrderEntry
from hyperliquid_ofi_trader.sim.pushes import MARKET_ADDRESS, Outbox, Push, side_text
from hyperliquid_ofi_trader.sim.rate_limits import (
    AddressLimiter,
    IpLimiter,
    exchange_weight,
    info_weight,
)
from hyperliquid_ofi_trader.sim.settings import DAY_MS, SimInstrument, SimSettings
from hyperliquid_ofi_trader.sim.venue_state import SimOrderRecord
from hyperliquid_ofi_trader.venues.hyperliquid.signing.signer import RecoveryMemo

Response = tuple[int, Any]
DEFAULT_IP = "127.0.0.1"


def ok(kind: str, data: Any | None = None) -> Response:
    response: dict[str, Any] = {"type": kind}
    if data is not None:
        response["data"] = data
    return 200, {"status": "ok", "response": response}


def err(text: str) -> Response:
    return 200, {"status": "err", "response": text}


class SimVenue:
    """The whole emulated venue: instruments, books, accounts, orders, limits, pushes."""

    def __init__(self, settings: SimSettings, clock: Clock) -> None:
        self.settings = settings
        self.clock = clock
        self.instruments: tuple[SimInstrument, ...] = settings.instruments
        self.asset_of = {inst.name: i for i, inst in enumerate(self.instruments)}
        self.books = {inst.name: CoinBook(inst.name, inst.sz_decimals,
                                          settings.cancel_attribution)
                      for inst in self.instruments}
        self.accounts: dict[str, Account] = {}
        self.agents = {a.lower(): u.lower() for a, u in settings.agents}
        self.live: dict[int, SimOrder] = {}
        self.by_cloid: dict[tuple[str, str], SimOrder] = {}
        self._by_user: dict[str, dict[int, SimOrder]] = {}
        self.records: dict[int, SimOrderRecord] = {}
        self.cloid_records: dict[tuple[str, str], int] = {}
        self.ctx: dict[str, AssetCtx] = {}
        self.last_trade_px: dict[str, float] = {}
        self.candles = CandleBook()  # every print, for candleSnapshot
        self.rejected: dict[str, int] = {}
        # Signatures our own in-process signer made (a backtest): recovery known at once.
        self.signatures: RecoveryMemo | None = None
        self._nonces = NonceBook(settings.nonces_kept, settings.nonce_past_ms,
                                 settings.nonce_future_ms)
        self._ip = IpLimiter(settings.ip_weight_per_minute)
        self.addr_limits = AddressLimiter(
            settings.address_initial_requests, settings.address_requests_per_usdc,
            settings.address_exhausted_interval_ms, settings.cancel_extra_requests)
        self._scheduled: dict[str, int] = {}
        self._pushes: list[Push] = []
        self._out = Outbox()
        self._next_oid = 1_000_000
        self._next_tid = 1
        for _, account in settings.agents:  # as approve_agent does: the account exists
            self.open_account(account)
        self.entry = OrderEntry(self)
        self._info = InfoViews(self)
        self._actions: dict[str, Callable[[Account, Any, int, str], Response]] = {
            "order": self._do_order, "cancel": self._do_cancel,
            "cancelByCloid": self._do_cancel_by_cloid, "batchModify": self._do_modify,
            "scheduleCancel": self._do_schedule_cancel,
            "updateLeverage": self._do_update_leverage, "noop": self._do_noop,
        }

    # ------------------------------------------------------------ public API

    def handle_exchange(self, body: Any, now_ns: int, ip: str = DEFAULT_IP) -> Response:
        """Execute one signed `/exchange` request at `now_ns`."""
        now_ms = now_ns // 1_000_000
        self.advance(now_ns)
        try:  # the venue deserialises the whole body before anything else
            env = rq.envelope(body)
            parsed = rq.parse_action(env)
        except rq.BadRequestError:
            return self._reject("bad_exchange_body", (422, texts.DESERIALIZE))
        if not self._ip.charge(ip, exchange_weight(rq.batch_len(env)), now_ms):
            return self._reject("ip_rate_limited", (429, texts.IP_RATE_LIMIT))
        response = self._authorised(env, parsed, now_ms)
        self._out.flush(self._pushes)
        return response

    def handle_info(self, body: Any, now_ns: int, ip: str = DEFAULT_IP) -> Response:
        """Answer one `/info` request at `now_ns`."""
        now_ms = now_ns // 1_000_000
        self.advance(now_ns)
        kind = body.get("type") if isinstance(body, dict) else None
        if not isinstance(kind, str) or not self._info.knows(kind):
            return self._reject("bad_info_body", (422, texts.UNKNOWN_INFO))
        if not self._ip.charge(ip, info_weight(kind), now_ms):
            return self._reject("ip_rate_limited", (429, texts.IP_RATE_LIMIT))
        try:
            return 200, self._info.answer(kind, body, now_ms)
        except rq.BadRequestError:
            return self._reject("bad_info_body", (422, texts.DESERIALIZE))

    def on_market(self, event: BookSnapshot | Bbo | Trades | AssetCtx) -> None:
        """The external market moved; our resting orders it crosses or reaches fill."""
        now_ns = self.clock.now_ns()
        if self._scheduled:  # `advance`'s own test first: none is the usual case (per frame)
            self.advance(now_ns)
        book = self.books.get(event.coin)
        if book is None:
            self.rejected["unknown_coin"] = self.rejected.get("unknown_coin", 0) + 1
            return
        matches, hash_ = self._market_matches(book, event)
        if matches:  # most frames: no order of ours rests, nothing matched
            when_ms = (event.exchange_ns or now_ns) // 1_000_000
            for match in matches:
                self.entry.settle(match, when_ms, hash_ or self._synthetic_hash())
        self._out.flush(self._pushes)

    def has_pushes(self) -> bool:
        """Whether `take_pushes` would return anything (a market event rarely pushes)."""
        return bool(self._pushes)

    def take_pushes(self) -> list[Push]:
        """(channel, key, data) pushes produced since the last call, in order."""
        out, self._pushes = self._pushes, []
        return out

    def advance(self, now_ns: int) -> None:
        """Fire every scheduleCancel whose time has come (the venue's dead man's switch)."""
        if not self._scheduled:  # the usual case, on every market event
            return
        now_ms = now_ns // 1_000_000
        due = [u for u, t in self._scheduled.items() if t <= now_ms]
        for user in due:
            self._fire_schedule(user, self._scheduled.pop(user))
        if due:
            self._out.flush(self._pushes)

    def meta(self) -> dict[str, Any]:
        """`meta` as the venue answers it. Each asset's margin table is a single tier at
        its max leverage, numbered by that leverage (the venue's ids for such tables); the
        collateral is spot token 0, USDC."""
        universe = [{"szDecimals": i.sz_decimals, "name": i.name,
                     "maxLeverage": i.max_leverage, "marginTableId": i.max_leverage}
                    for i in self.instruments]
        tables = [[lev, {"description": "", "marginTiers": [{"lowerBound": "0.0",
                                                             "maxLeverage": lev}]}]
                  for lev in sorted({i.max_leverage for i in self.instruments})]
        return {"universe": universe, "marginTables": tables, "collateralToken": 0}

    def book_levels(self, coin: str, n: int = 20) -> tuple[list[dict[str, Any]],
                                                         list[dict[str, Any]]]:
        """Merged (market + our orders) levels as wire dicts, best first."""
        book = self.books[coin]
        return (_wire_levels(book.levels(BID, n)), _wire_levels(book.levels(ASK, n)))

    def bbo(self, coin: str) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
        bids, asks = self.book_levels(coin, 1)
        return (bids[0] if bids else None, asks[0] if asks else None)

    def mark(self, coin: str) -> float | None:
        """Mark price: the feed's mark, else the merged mid, else the last print."""
        ctx = self.ctx.get(coin)
        if ctx is not None and ctx.mark_px > 0:
            return ctx.mark_px
        return self.mid(coin) or self.last_trade_px.get(coin)

    def mid(self, coin: str) -> float | None:
        book = self.books[coin]
        bid, ask = book.best_px(BID), book.best_px(ASK)
        return (bid + ask) / 2 if bid is not None and ask is not None else None

    def marks(self) -> dict[str, float]:
        out = {}
        for coin in self.books:
            px = self.mark(coin)
            if px is not None:
                out[coin] = px
        return out

    def account(self, address: str) -> Account | None:
        return self.accounts.get(address.lower())

    @property
    def nonces(self) -> NonceBook:
        """Every signer's accepted nonces (read it; only the venue records into it)."""
        return self._nonces

    def open_account(self, address: str) -> Account:
        """The address's account, opened with `initial_usdc` if it has none (a deposit)."""
        address = address.lower()
        acc = self.accounts.get(address)
        if acc is None:
            acc = self.accounts[address] = Account(address, self.settings.initial_usdc,
                                                   self.settings.max_fills_kept)
        return acc

    def fund(self, address: str, usdc: float | None = None) -> float:
        """Deposit `usdc` (default `initial_usdc`) into `address`, opening its account;
        returns the amount deposited.

        The emulator's stand-in for a bridge deposit or the testnet faucet: the only way an
        address comes to exist unless `auto_create_accounts` is on. `FundingError` on a
        malformed address or amount."""
        amount = self.settings.initial_usdc if usdc is None else usdc
        check_funding(address, amount)
        address = address.lower()
        acc = self.accounts.get(address)
        if acc is None:
            acc = self.accounts[address] = Account(address, 0.0, self.settings.max_fills_kept)
        acc.balance += amount
        return amount

    def approve_agent(self, account: str, agent: str) -> None:
        """Let `agent` sign for `account` (the venue's approveAgent, set up out of band).
        An account approves agents only once it exists: one with no funding yet is opened
        with `initial_usdc`. The agent itself never gets an account."""
        self.open_account(account)
        self.agents[agent.lower()] = account.lower()

    # ------------------------------------------------------------ live orders

    def track(self, order: SimOrder) -> None:
        """Index a newly resting order (by oid, by (user, cloid), by user)."""
        self.live[order.oid] = order
        if order.cloid is not None:
            self.by_cloid[(order.user, order.cloid)] = order
        self._by_user.setdefault(order.user, {})[order.oid] = order
        if not order.reduce_only:
            self.accounts[order.user].add_open_notional(order.coin, order.px * order.sz)

    def untrack(self, order: SimOrder) -> None:
        self.live.pop(order.oid, None)
        if order.cloid is not None and self.by_cloid.get((order.user, order.cloid)) is order:
            del self.by_cloid[(order.user, order.cloid)]
        mine = self._by_user.get(order.user)
        if mine is None or mine.pop(order.oid, None) is None:
            return
        if not order.reduce_only:
            acc = self.accounts[order.user]
            acc.add_open_notional(order.coin, -order.px * order.sz)
            if not any(o.coin == order.coin for o in mine.values()):
                acc.open_notional[order.coin] = 0.0  # no float residue once none are left

    def user_orders(self, user: str) -> list[SimOrder]:
        """The user's live orders, oldest first (a copy: safe to cancel while iterating)."""
        return list(self._by_user.get(user, {}).values())

    def user_order_count(self, user: str) -> int:
        return len(self._by_user.get(user, {}))

    # ------------------------------------------------------------ ids and records

    def new_oid(self) -> int:
        self._next_oid += 1
        return self._next_oid

    def new_tid(self) -> int:
        self._next_tid += 1
        return self._next_tid

    @property
    def out(self) -> Outbox:
        return self._out

    def record(self, order: SimOrder, status: str, status_ms: int) -> None:
        rec = self.records.get(order.oid)
        if rec is None:
            self.records[order.oid] = SimOrderRecord(order, status, status_ms)
            if order.cloid is not None:
                self.cloid_records[(order.user, order.cloid)] = order.oid
            self._evict_records()
        else:
            rec.status, rec.status_ms = status, status_ms

    def _evict_records(self) -> None:
        while len(self.records) > self.settings.max_orders_kept:
            oid = next(iter(self.records))
            old = self.records.pop(oid).order
            if old.cloid is not None and self.cloid_records.get((old.user, old.cloid)) == oid:
                del self.cloid_records[(old.user, old.cloid)]

    # ------------------------------------------------------------ request pipeline

    def _reject(self, reason: str, response: Response) -> Response:
        self.rejected[reason] = self.rejected.get(reason, 0) + 1
        return response

    def _authorised(self, env: rq.Envelope, parsed: Any, now_ms: int) -> Response:
        signer = recover_signer(env.action, env.nonce, env.signature,
                                mainnet=self.settings.mainnet, vault_address=env.vault_address,
                                expires_after=env.expires_after, memo=self.signatures)
        if signer is None:
            return self._reject("bad_signature", err(texts.UNABLE_TO_RECOVER_SIGNER))
        user = self._resolve_user(signer)
        if user is None:
            return self._reject("unknown_user", err(texts.unknown_user(signer)))
        if env.vault_address is not None:
            return self._reject("vault", err(texts.vault_unsupported(env.vault_address)))
        if env.expires_after is not None and now_ms > env.expires_after:
            return self._reject("expired", err(texts.expired(env.expires_after)))
        nonce_error = self._check_nonce(signer, env.nonce, now_ms)
        if nonce_error is not None:
            return self._reject("nonce", err(nonce_error))
        self._nonces.accept(signer, env.nonce)
        acc = self.accounts[user]
        if not self.addr_limits.charge(user, rq.batch_len(env), acc.cum_volume, now_ms,
                                       is_cancel=env.kind in ("cancel", "cancelByCloid")):
            text = texts.address_rate_limit(self.addr_limits.used(user) + rq.batch_len(env),
                                            self.addr_limits.cap(acc.cum_volume),
                                            acc.cum_volume)
            return self._reject("address_rate_limited", err(text))
        return self._actions[env.kind](acc, parsed, now_ms, _action_hash(signer, env.nonce))

    def _resolve_user(self, signer: str) -> str | None:
        owner = self.agents.get(signer)
        if owner is not None:
            return owner
        if signer in self.accounts:
            return signer
        if self.settings.auto_create_accounts:
            return self.open_account(signer).address
        return None

    def _check_nonce(self, signer: str, nonce: int, now_ms: int) -> str | None:
        verdict = self._nonces.check(signer, nonce, now_ms)
        if verdict is NonceVerdict.OK:
            return None
        if verdict is NonceVerdict.DUPLICATE:
            return texts.nonce_duplicate(nonce)
        if verdict is NonceVerdict.TOO_LOW:
            return texts.nonce_too_low(nonce, self._nonces.smallest_kept(signer) or 0)
        return texts.nonce_window(nonce, now_ms - self.settings.nonce_past_ms,
                                  now_ms + self.settings.nonce_future_ms)

    # ------------------------------------------------------------ actions

    def _do_order(self, acc: Account, reqs: list[rq.OrderReq], now_ms: int,
                  hash_: str) -> Response:
        return ok("order", {"statuses": [self.entry.place(acc, r, now_ms, hash_)
                                         for r in reqs]})

    def _do_cancel(self, acc: Account, cancels: list[tuple[int, int]], now_ms: int,
                   hash_: str) -> Response:
        statuses = [self.entry.cancel(acc, asset, self.live.get(oid), now_ms)
                    for asset, oid in cancels]
        return ok("cancel", {"statuses": statuses})

    def _do_cancel_by_cloid(self, acc: Account, cancels: list[tuple[int, str]], now_ms: int,
                            hash_: str) -> Response:
        statuses = [self.entry.cancel(acc, asset, self.by_cloid.get((acc.address, c)), now_ms)
                    for asset, c in cancels]
        return ok("cancel", {"statuses": statuses})

    def _do_modify(self, acc: Account, modifies: list[tuple[int | str, rq.OrderReq]],
                   now_ms: int, hash_: str) -> Response:
        statuses = []
        for target, req in modifies:
            order = (self.by_cloid.get((acc.address, target)) if isinstance(target, str)
                     else self.live.get(target))
            statuses.append(self.entry.modify(acc, order, req, now_ms, hash_))
        return ok("order", {"statuses": statuses})

    def _do_schedule_cancel(self, acc: Account, when: int | None, now_ms: int,
                            hash_: str) -> Response:
        s = self.settings
        if when is None:
            self._scheduled.pop(acc.address, None)
            acc.schedule_cancel_ms = None
            return ok("default")
        if acc.cum_volume < s.schedule_cancel_min_volume:
            return err(texts.schedule_volume(s.schedule_cancel_min_volume, acc.cum_volume))
        if when < now_ms + s.schedule_cancel_min_lead_ms:
            return err(texts.SCHEDULE_TOO_EARLY)
        if acc.triggers_by_day.get(now_ms // DAY_MS, 0) >= s.schedule_cancel_max_triggers:
            return err(texts.SCHEDULE_TOO_MANY)
        self._scheduled[acc.address] = when
        acc.schedule_cancel_ms = when
        return ok("default")

    def _fire_schedule(self, user: str, when_ms: int) -> None:
        acc = self.accounts[user]
        acc.schedule_cancel_ms = None
        day = when_ms // DAY_MS
        acc.triggers_by_day[day] = acc.triggers_by_day.get(day, 0) + 1
        for order in self.user_orders(user):
            self.entry.remove(order, "scheduledCancel", when_ms)

    def _do_update_leverage(self, acc: Account, request: tuple[int, bool, int], now_ms: int,
                            hash_: str) -> Response:
        asset, is_cross, leverage = request
        if not 0 <= asset < len(self.instruments):
            return err(texts.unknown_asset(asset))
        inst = self.instruments[asset]
        if not 1 <= leverage <= inst.max_leverage:
            return err(texts.INVALID_LEVERAGE)
        acc.leverage[inst.name] = leverage
        acc.is_cross[inst.name] = is_cross
        return ok("default")

    def _do_noop(self, acc: Account, nothing: None, now_ms: int, hash_: str) -> Response:
        return ok("default")

    # ------------------------------------------------------------ market

    def _market_matches(self, book: CoinBook,
                        event: BookSnapshot | Bbo | Trades | AssetCtx) -> tuple[list[Match], str]:
        if isinstance(event, BookSnapshot):
            return book.on_snapshot(event.bids, event.asks), ""
        if isinstance(event, Bbo):
            return book.on_bbo(event.bid, event.ask), ""
        if isinstance(event, Trades):
            if event.trades:
                self.last_trade_px[event.coin] = event.trades[-1].price
            for t in event.trades:
                self.candles.record(event.coin, t.exchange_ns // 1_000_000, t.price, t.size)
            hash_ = event.trades[-1].hash if event.trades else ""
            return book.on_trades(event.trades), hash_
        self.ctx[event.coin] = event
        return [], ""

    def _synthetic_hash(self) -> str:
        return "0x" + hashlib.sha256(f"sim-market:{self._next_tid}".encode()).hexdigest()

    def leverage_of(self, acc: Account, coin: str) -> int:
        lev = acc.leverage.get(coin)
        if lev is not None:
            return lev
        inst = self.instruments[self.asset_of[coin]]
        return min(self.settings.default_leverage, inst.max_leverage)

    def trade_users(self, match: Match) -> list[str]:
        """[buyer, seller] of a print; the external market's side has the zero address."""
        maker = match.maker.user if match.maker else MARKET_ADDRESS
        taker = match.taker.user if match.taker else MARKET_ADDRESS
        return [taker, maker] if match.taker_is_buy else [maker, taker]

    def side_text(self, is_buy: bool) -> str:
        return side_text(is_buy)


class FundingError(OurBugError, ValueError):
    """A funding request names no valid address or no positive, finite USDC amount."""


_MAX_FUNDING = 1e12  # more than any account could hold: a typo, not a deposit


def check_funding(address: str, usdc: float) -> None:
    if not is_address(address):
        raise FundingError(f"not an address: {address!r} (expected 0x and 40 hex digits)")
    if isinstance(usdc, bool) or not isinstance(usdc, int | float) or not (
            0 < usdc <= _MAX_FUNDING):
        raise FundingError(f"USDC amount must be a number in (0, {_MAX_FUNDING:,.0f}], "
                           f"got {usdc!r}")


def is_address(text: object) -> bool:
    """`0x` and 40 hex digits (any case), as the venue's addresses."""
    if not isinstance(text, str) or len(text) != 42 or not text.startswith("0x"):
        return False
    try:
        int(text[2:], 16)
    except ValueError:
        return False
    return "_" not in text and text[2:].isalnum()


def _action_hash(signer: str, nonce: int) -> str:
    # Deterministic stand-in for the venue's transaction hash: same action -> same hash.
    return "0x" + hashlib.sha256(f"{signer}:{nonce}".encode()).hexdigest()


def _wire_levels(levels: list[tuple[float, float, int]]) -> list[dict[str, Any]]:
    return [{"px": num(px), "sz": num(sz), "n": n} for px, sz, n in levels]
