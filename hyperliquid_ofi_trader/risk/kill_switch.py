"""Kill switch: sees every event first and names a reason to halt, or returns None.

Triggers and their stable codes (the reason is "code: detail"):
- `feed_lag`       `feed_lag_sustain_events` market events IN A ROW arrived more than
                   max_feed_lag_ms after their exchange time (one late frame is jitter);
- `order_rtt`      an order/cancel answer came back more than max_order_rtt_ms after it was
                   sent, or no answer at all within that time (checked on timers). Send
                   times come from the order manager's "sent" news (`on_sent`);
- `depth_vanish`   a traded coin's l2Book depth (best `depth_levels` per side, the coin's
                   own liquidity depth_levels) fell below
                   (1 - depth_vanish_fraction) of its average over depth_avg_window_s
                   (event time), once `depth_min_samples` samples are in the window,
                   and stayed below on every snapshot for depth_vanish_sustain_ms (event
                   time; so at least two snapshots in a row). A book swept for one
                   snapshot that refills is a liquidity event, not a vanished market;
- `consecutive_slippage` `consecutive_slippage_fills` of our fills in a row were worse
                   than slippage_bps (signed against our side; vs the decision mid when a
                   slippage source is given, else vs the current mid);
- `stale_feed`     no market event for a traded coin within stale_feed_s (checked on
                   Timer events, so a feed that never starts fires too);
- `daily_loss`     the account lost daily_loss_usd since the UTC day opened (event time).
                   With account snapshots (live): the venue's account value at the day's
                   open (`day_open`, saved by the runner and carried into every later run
                   of the day with `carry_in_open`) against the latest snapshot's value
                   plus our own PnL change since it. Fees, funding and price moves while
                   no process ran are all in the venue's figure, so crashes cannot make
                   it under-count (an incremental save lost the moves between the last
                   save and the crash, and while down). Deposits and withdrawals move
                   it too. Without snapshots (backtests): realised + unrealised PnL minus
                   fees against the first check of the day, counting what earlier runs
                   made that day (`carry_in`), re-baselined once after the first account
                   snapshot so a reconciled position is not counted as today's loss;
- `operator_kill`  a ControlCommand("kill").
Once fired it stays fired (every `check` returns the same reason) until `reset()` or a
ControlCommand("resume"): a trigger that cleared by itself is no reason to trade again
without an operator looking at it. A runner resuming the engine must reset this first.

The seed's `KillSwitch().check(state) -> bool` works as written: built without a section it
takes the packaged config's, and `check` with one argument (the engine's `EngineSnapshot`,
or a mapping of trigger inputs) judges the same triggers on that state
(`risk/kill_state.py`); a trigger that fires latches like one from the event path.

Time: market-event arrival uses the events' own local_ns; timers use `now_ns` from the
engine's injected clock. Nothing here reads the wall clock.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Final, Protocol, overload

from hyperliquid_ofi_trader.core.commands import (
    CancelOrder,
    PlaceOrder,
)
from hyperliquid_ofi_trader.core.events import (
    AccountSnapshot,
    ActionFailed,
    AnyEvent,
    Bbo,
    BookSnapshot,
    CancelAck,
    ControlCommand,
    Fill,
    OrderAck,
    Timer,
    Trades,
    UserFills,
)
from hyperliquid_ofi_trader.risk.kill_state import HALTED_ALREADY, KillState, judge

if TYPE_CHECKING:  # the sections' types only: config sits below the components
    from hyperliquid_ofi_trader.config.models import AppConfig
    from hyperliquid_ofi_trader.config.risk_schema import KillSwitchThresholds

FEED_LAG: Final = "feed_lag"
ORDER_RTT: Final = "order_rtt"
DEPTH_VANISH: Final = "depth_vanish"
SLIPPAGE: Final = "consecutive_slippage"
STALE_FEED: Final = "stale_feed"
DAILY_LOSS: Final = "daily_loss"
OPERATOR: Final = "operator_kill"

_NS_PER_S: Final = 1_000_000_000
_NS_PER_MS: Final = 1_000_000
_NS_PER_DAY: Final = 86_400 * _NS_PER_S
_MAX_PENDING: Final = 10_000  # sent-but-unanswered requests remembered for RTT


class PnlSource(Protocol):
    """`risk.position.PositionBook.total_pnl`."""

    def total_pnl(self, marks: Callable[[str], float | None]) -> float: ...


Marks = Callable[[str], float | None]
SlippageFn = Callable[[Fill], float | None]
# Whether a fill is news (`OrderManager.is_new_fill`: the one place that decides a fill
# was seen); the switch sees events before the manager does, so it asks before counting.
FillIsNew = Callable[[Fill], bool]


class _DepthWindow:
    """Rolling mean of depth samples over a window of event time (O(1) amortised)."""

    __slots__ = ("_samples", "_sum", "_window")

    def __init__(self, window_ns: int) -> None:
        self._samples: deque[tuple[int, float]] = deque()
        self._sum = 0.0
        self._window = window_ns

    def add(self, t_ns: int, depth: float) -> None:
        self._samples.append((t_ns, depth))
        self._sum += depth
        horizon = t_ns - self._window
        while self._samples and self._samples[0][0] < horizon:
            self._sum -= self._samples.popleft()[1]

    def mean(self) -> float:
        return self._sum / len(self._samples) if self._samples else math.nan

    def __len__(self) -> int:
        return len(self._samples)


class KillSwitch:
    """Implements `core.stages.KillSwitch`. See the module docstring."""

    def __init__(self, section: KillSwitchThresholds | None = None, *,
                 coins: Sequence[str] = (), depth_levels: int = 5,
                 depth_levels_by_coin: Mapping[str, int] | None = None,
                 depth_min_samples: int = 5,
                 pnl: PnlSource | None = None, marks: Marks | None = None,
                 slippage: SlippageFn | None = None,
                 fill_is_new: FillIsNew | None = None) -> None:
        """`section`: risk.yaml `kill_switch` (validated there; ms and s become ns here).
        `coins`: the traded coins watched for depth and silence; `depth_levels`: best levels
        per side summed into a coin's depth (its liquidity regime's), `depth_levels_by_coin`
        where a coin's own differs. No section (the seed's `KillSwitch()`): the packaged
        config's, as `from_config` reads it. `fill_is_new`: whether a fill is news (the
        order manager's de-duplication); without it every fill counts."""
        if section is None:
            from hyperliquid_ofi_trader.config.packaged import packaged_config

            section, coins, depth_levels, depth_levels_by_coin = _config_parts(
                packaged_config())
        self.coins = tuple(coins)
        self.max_feed_lag_ns = section.max_feed_lag_ms * _NS_PER_MS
        self.feed_lag_sustain_events = section.feed_lag_sustain_events
        self.max_order_rtt_ns = section.max_order_rtt_ms * _NS_PER_MS
        self.depth_vanish_fraction = section.depth_vanish_fraction
        self.depth_avg_window_ns = int(section.depth_avg_window_s * _NS_PER_S)
        self.consecutive_slippage_fills = section.consecutive_slippage_fills
        self.slippage_bps = section.slippage_bps
        self.stale_feed_ns = int(section.stale_feed_s * _NS_PER_S)
        self.daily_loss_usd = section.daily_loss_usd
        self.depth_vanish_sustain_ns = int(section.depth_vanish_sustain_ms * _NS_PER_MS)
        self.depth_levels = depth_levels
        self.depth_levels_by_coin: Mapping[str, int] = dict(depth_levels_by_coin or {})
        self.depth_min_samples = depth_min_samples
        self._coins = frozenset(self.coins)
        self._pnl = pnl
        self._marks: Marks = marks if marks is not None else _no_marks
        self._slippage: SlippageFn = slippage if slippage is not None else self._vs_mid
        self._fill_is_new: FillIsNew = fill_is_new if fill_is_new is not None else _always
        self._fired: str | None = None
        self.fired_code: str | None = None
        self.fires: dict[str, int] = {}
        self._lag_run = 0
        self._slip_run = 0
        self._sent: dict[str, int] = {}
        self._last_market: dict[str, int] = {}
        self._depth = {c: _DepthWindow(self.depth_avg_window_ns) for c in self.coins}
        self._depth_levels = {c: self.depth_levels_of(c) for c in self.coins}
        self._thin_since: dict[str, int] = {}  # coin -> event time its book first went thin
        self._started_ns: int | None = None
        self._day = -1
        self._day_start_pnl = 0.0
        self._carry: tuple[int, float] | None = None  # (UTC day, PnL earlier runs made)
        self._account_seen = False
        self._open: tuple[int, float] | None = None  # (UTC day, account value at its open)
        self._anchor: tuple[float, float] | None = None  # (account value, our PnL then)
        self._snapshot_value: float | None = None  # anchored at the next check
        self._dispatch: dict[type, Callable[[Any, int], str | None]] = {
            AccountSnapshot: self._on_account,
            BookSnapshot: self._on_book, Bbo: self._on_market, Trades: self._on_market,
            UserFills: self._on_fills, OrderAck: self._on_answer, CancelAck: self._on_answer,
            ActionFailed: self._on_failed, Timer: self._on_timer,
            ControlCommand: self._on_control}

    @classmethod
    def from_config(cls, cfg: AppConfig, *, pnl: PnlSource | None = None,
                    marks: Marks | None = None, slippage: SlippageFn | None = None,
                    fill_is_new: FillIsNew | None = None) -> KillSwitch:
        """risk.yaml `kill_switch` over the traded coins, each coin's depth over its own
        liquidity `depth_levels` (thresholds.yaml `regime` and `per_coin`)."""
        section, coins, levels, by_coin = _config_parts(cfg)
        return cls(section, coins=coins, depth_levels=levels, depth_levels_by_coin=by_coin,
                   pnl=pnl, marks=marks, slippage=slippage, fill_is_new=fill_is_new)

    def depth_levels_of(self, coin: str) -> int:
        """Best levels per side summed into `coin`'s depth (its own, else the global)."""
        return self.depth_levels_by_coin.get(coin, self.depth_levels)

    # ------------------------------------------------------------ KillSwitch

    @overload
    def check(self, event: AnyEvent, now_ns: int) -> str | None: ...

    @overload
    def check(self, state: KillState, /) -> bool: ...

    def check(self, event: Any, now_ns: int | None = None) -> str | bool | None:
        """`check(event, now_ns)`: the reason to halt, or None (the engine's call, on every
        event). `check(state)`: the seed's form, True when the state fires a trigger or
        the switch has fired already (see `risk/kill_state.py`)."""
        if now_ns is None:
            return self._check_state(event)
        etype = type(event)
        handler = self._dispatch.get(etype)
        if self._fired is not None:
            if handler is not None and etype is ControlCommand:
                return handler(event, now_ns)
            return self._fired
        if handler is None:
            return None
        return handler(event, now_ns)

    def _check_state(self, state: KillState) -> bool:
        verdict = judge(state, self)
        if self._fired is not None:
            return True
        if verdict is None:
            return False
        code, detail = verdict
        if code != HALTED_ALREADY:  # an engine halted for its own reasons: nothing to latch
            self._fire(code, detail)
        return True

    @property
    def fired(self) -> str | None:
        return self._fired

    def reset(self, now_ns: int, *, keep_day: bool = False) -> None:
        """Operator resume: clear the trigger and the run counters; windows are kept.
        `keep_day` (an automatic recovery) keeps the day's loss baseline: only an operator
        grants a fresh daily allowance."""
        self._fired = None
        self.fired_code = None
        self._lag_run = 0
        self._slip_run = 0
        self._thin_since.clear()
        self._sent.clear()
        for coin in self._last_market:
            self._last_market[coin] = max(self._last_market[coin], now_ns)
        self._started_ns = now_ns
        if not keep_day:
            self._day = -1  # the operator looked at today's loss: a fresh allowance
            self._carry = None
            self._open = None  # re-opened at the current account value on the next check

    def carry_in(self, day: int, pnl_usd: float) -> None:
        """Start UTC day `day` (ns // 86400 s) with `pnl_usd` that earlier runs made that
        day, as saved through `today_pnl`; any other day starts from zero."""
        if not math.isfinite(pnl_usd):
            raise ValueError(f"carried PnL must be finite, got {pnl_usd!r}")
        self._carry = (day, pnl_usd)
        self._day = -1

    def carry_in_open(self, day: int, account_value: float) -> None:
        """Start UTC day `day` from the account value it opened with, as an earlier run of
        the day saved it through `day_open` (the venue-anchored daily loss)."""
        if not (math.isfinite(account_value) and account_value > 0.0):
            raise ValueError(f"account value at the open must be positive, got "
                             f"{account_value!r}")
        self._open = (day, account_value)

    def day_open(self) -> tuple[int, float] | None:
        """(UTC day, account value at its open), the figure to save for a restart; None
        before an account snapshot anchored it."""
        return self._open

    def today_pnl(self, now_ns: int) -> tuple[int, float] | None:
        """(UTC day, PnL made that day including earlier runs), the figure to save for a
        restart; None before the day's baseline exists or without a PnL source."""
        if self._pnl is None or self._day != now_ns // _NS_PER_DAY:
            return None
        return self._day, self._pnl.total_pnl(self._marks) - self._day_start_pnl

    def on_sent(self, orders: Sequence[PlaceOrder], cancels: Sequence[CancelOrder],
                sent_ns: int) -> None:
        """The order manager's "sent" notification (`OrderManager.add_sent_listener`):
        each new order, replacement and cancel by cloid starts a round trip."""
        for o in orders:
            self.on_order_sent(o.cloid, sent_ns)
        for c in cancels:
            if c.cloid is not None:
                self.on_order_sent(c.cloid, sent_ns)

    def on_order_sent(self, key: str, local_ns: int) -> None:
        """Record when a request keyed by `key` (its cloid) left us."""
        if len(self._sent) >= _MAX_PENDING:
            self._sent.pop(next(iter(self._sent)))
        self._sent[key] = local_ns

    # ------------------------------------------------------------ triggers

    def _fire(self, code: str, detail: str) -> str:
        self._fired = f"{code}: {detail}"
        self.fired_code = code
        self.fires[code] = self.fires.get(code, 0) + 1
        return self._fired

    def _on_market(self, ev: Bbo | Trades | BookSnapshot, now_ns: int) -> str | None:
        if ev.coin in self._coins:
            self._last_market[ev.coin] = ev.local_ns
        if ev.exchange_ns <= 0:
            return None
        lag = ev.local_ns - ev.exchange_ns
        if lag <= self.max_feed_lag_ns:
            self._lag_run = 0
            return None
        self._lag_run += 1
        if self._lag_run < self.feed_lag_sustain_events:
            return None
        return self._fire(FEED_LAG, f"{self._lag_run} events in a row lagged > "
                          f"{self.max_feed_lag_ns / _NS_PER_MS:g} ms "
                          f"(last {lag / _NS_PER_MS:.0f} ms on {ev.coin})")

    def _on_book(self, ev: BookSnapshot, now_ns: int) -> str | None:
        why = self._on_market(ev, now_ns)
        if why is not None:
            return why
        window = self._depth.get(ev.coin)
        if window is None:
            return None
        n = self._depth_levels[ev.coin]
        depth = _side_depth(ev.bids, n) + _side_depth(ev.asks, n)
        t = ev.exchange_ns if ev.exchange_ns > 0 else ev.local_ns
        avg = window.mean()
        enough = len(window) >= self.depth_min_samples
        floor = (1.0 - self.depth_vanish_fraction) * avg
        if not (enough and depth < floor):
            window.add(t, depth)
            self._thin_since.pop(ev.coin, None)  # refilled (or warming up): the run ends
            return None
        # A thin snapshot stays out of the average: a vanishing book must not lower the
        # reference it is judged against while the run lasts.
        since = self._thin_since.setdefault(ev.coin, t)
        thin_ns = t - since
        if thin_ns < self.depth_vanish_sustain_ns:
            return None
        return self._fire(DEPTH_VANISH, f"{ev.coin} depth {depth:.4g} < {floor:.4g} "
                          f"({1 - self.depth_vanish_fraction:.0%} of avg "
                          f"{avg:.4g}) for {thin_ns / _NS_PER_MS:.0f} ms")

    def _on_fills(self, ev: UserFills, now_ns: int) -> str | None:
        if ev.is_snapshot:
            return None
        for fill in ev.fills:
            if not self._fill_is_new(fill):
                continue  # the same fill on the other channel: one fill, one count
            bps = self._slippage(fill)
            if bps is None or not math.isfinite(bps):
                continue
            self._slip_run = self._slip_run + 1 if bps > self.slippage_bps else 0
            if self._slip_run >= self.consecutive_slippage_fills:
                return self._fire(SLIPPAGE, f"{self._slip_run} fills in a row worse than "
                                  f"{self.slippage_bps:g} bps (last {bps:.2f} bps on {fill.coin})")
        return self._daily_loss(now_ns)

    def _on_account(self, ev: AccountSnapshot, now_ns: int) -> str | None:
        # The engine applies the snapshot to the positions after this check: re-baseline
        # at the next check, once, so reconciled start-up positions are in the baseline.
        if not self._account_seen:
            self._account_seen = True
            self._day = -1
        value = ev.account_value
        if math.isfinite(value) and value > 0.0:
            self._snapshot_value = value  # anchored with our PnL once positions applied it
        return None

    def _on_answer(self, ev: OrderAck | CancelAck, now_ns: int) -> str | None:
        if ev.cloid is None:
            return None
        return self._rtt(ev.cloid, ev.local_ns)

    def _on_failed(self, ev: ActionFailed, now_ns: int) -> str | None:
        for cloid in ev.cloids:
            why = self._rtt(cloid, ev.local_ns)
            if why is not None:
                return why
        return None

    def _rtt(self, key: str, local_ns: int) -> str | None:
        sent = self._sent.pop(key, None)
        if sent is None:
            return None
        rtt = local_ns - sent
        if rtt > self.max_order_rtt_ns:
            return self._fire(ORDER_RTT, f"answer for {key} after {rtt / _NS_PER_MS:.0f} ms > "
                              f"{self.max_order_rtt_ns / _NS_PER_MS:g} ms")
        return None

    def _on_timer(self, ev: Timer, now_ns: int) -> str | None:
        if self._started_ns is None:
            self._started_ns = now_ns
        return self._stale(now_ns) or self._unanswered(now_ns) or self._daily_loss(now_ns)

    def _stale(self, now_ns: int) -> str | None:
        limit = self.stale_feed_ns
        start = self._started_ns if self._started_ns is not None else now_ns
        for coin in self.coins:
            last = self._last_market.get(coin, start)
            if now_ns - last > limit:
                return self._fire(STALE_FEED, f"no market event for {coin} in "
                                  f"{(now_ns - last) / _NS_PER_S:.1f} s > "
                                  f"{limit / _NS_PER_S:g} s")
        return None

    def _unanswered(self, now_ns: int) -> str | None:
        limit = self.max_order_rtt_ns
        for key, sent in self._sent.items():
            if now_ns - sent > limit:
                return self._fire(ORDER_RTT, f"no answer for {key} after "
                                  f"{(now_ns - sent) / _NS_PER_MS:.0f} ms")
        return None

    def _daily_loss(self, now_ns: int) -> str | None:
        if self._pnl is None:
            return None
        pnl = self._pnl.total_pnl(self._marks)
        day = now_ns // _NS_PER_DAY
        if day != self._day:
            carry = self._carry
            carried = carry[1] if carry is not None and carry[0] == day else 0.0
            self._day, self._day_start_pnl = day, pnl - carried
        loss = self._venue_loss(day, pnl)
        if loss is None:
            loss = self._day_start_pnl - pnl
        if loss >= self.daily_loss_usd:
            return self._fire(DAILY_LOSS, f"down ${loss:.2f} today >= "
                              f"${self.daily_loss_usd:g}")
        return None

    def _venue_loss(self, day: int, pnl: float) -> float | None:
        """Today's loss against the venue's account value, None before a snapshot."""
        if self._snapshot_value is not None:
            self._anchor = (self._snapshot_value, pnl)
            self._snapshot_value = None
        anchor = self._anchor
        if anchor is None:
            return None
        value = anchor[0] + (pnl - anchor[1])
        if self._open is None or self._open[0] != day:
            self._open = (day, value)  # first look of the day (or after a resume)
        return self._open[1] - value

    def _on_control(self, ev: ControlCommand, now_ns: int) -> str | None:
        if ev.command == "kill":
            if self._fired is not None:
                return self._fired
            return self._fire(OPERATOR, ev.reason or "operator requested a halt")
        if ev.command == "resume":
            self.reset(now_ns)
        return self._fired

    def _vs_mid(self, fill: Fill) -> float | None:
        mid = self._marks(fill.coin)
        if mid is None or not mid > 0:
            return None
        return fill_slippage_bps(fill.is_buy, fill.price, mid)


def fill_slippage_bps(is_buy: bool, price: float, reference: float) -> float:
    """Slippage in bps against our side: positive = we paid more / received less."""
    sign = 1.0 if is_buy else -1.0
    return sign * (price - reference) / reference * 1e4


def _side_depth(levels: Sequence[tuple[float, float, int]], n: int) -> float:
    total = 0.0
    for level in levels[:n]:
        total += level[1]
    return total


def _config_parts(cfg: AppConfig) -> tuple[KillSwitchThresholds, tuple[str, ...], int,
                                            dict[str, int]]:
    """The kill switch's section, traded coins, global and per-coin depth levels."""
    return (cfg.risk.kill_switch, tuple(cfg.symbols.traded),
            cfg.thresholds.regime.liquidity.depth_levels,
            {c: own.regime.liquidity.depth_levels for c, own in cfg.thresholds.per_coin.items()})


def _always(fill: Fill) -> bool:
    return True


def _no_marks(coin: str) -> float | None:
    return None


def marks_from_books(books: Mapping[str, Any]) -> Marks:
    """A marks callable over objects with `mid() -> float | None` (e.g. OrderBook)."""
    def mark(coin: str) -> float | None:
        book = books.get(coin)
        return None if book is None else book.mid()
    return mark
