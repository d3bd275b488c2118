"""The clairvoyant bound: the most a lead-lag trader with our latency could have netted.

`hlofi research oracle --data DIR --coin ETH` answers "is there an edge above cost here, at
our latency?" independently of any strategy. It is an upper bound of what a strategy that
reacts to the lead coin could earn, and the yardstick a strategy's backtest is scored
against (a strategy that nets 25 % of it is doing well; one that loses while it is zero is
trading noise).

The clairvoyant, precisely:
- It may act only at DECISION INSTANTS: each time we receive a change of the lead coin's
  mid (the recording's receive time, i.e. after the feed delay), as any strategy that
  reacts to the lead does. Its side is the lead's: the sign of the lead's mid change over
  the lead-lag window (`window_ms`, packaged 250 ms) ending at that instant; a flat lead
  gives no decision.
- ENTRY (taker): an IOC of `notional_usd` (packaged `max_order_usd`) reaches the venue
  `entry latency` later (the backtest's default entry-latency distribution, seeded, or a
  constant `--latency-ms`) and fills at the touch then in force (the ask for a buy).
- EXIT (taker): it knows the future touch path, so it closes at the best touch price
  (the highest bid for a long) within `horizon_ms` after its entry reached the venue.
- MAKER variant: it posts at its own side's touch when the order lands (the bid for a buy)
  and is filled when the market trades through that price (a print beyond it, or the far
  touch reaching it) within the horizon; it exits the same way, posting at the far touch
  at the moment of its choosing and filled when traded through before the horizon ends.
- It takes a round trip only when it nets positive after fees (per leg; by default the
  venue's base tier, venues/hyperliquid/common/fees.py), holds one position at a time, and
  among all such round trips picks the set that maximises the summed net (weighted
  interval scheduling).

Per variant it reports trades, gross, fees and net in USD, net bps per round trip (net /
notional), trades per hour and how many round trips netted at least 3 bps. `opportunities`
answers the scenario question "how many round trips per hour net at least 3 bps": the
same schedule, taken only among round trips netting at least that much. Times: lead
decisions on receive time, the lag coin's touch and prints on exchange (venue) time.
"""

from __future__ import annotations

import bisect
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import numpy as np
import numpy.typing as npt

from hyperliquid_ofi_trader.core.events import Bbo, BookSnapshot, Level, Trades
from hyperliquid_ofi_trader.data.replay_sources import iter_frames
from hyperliquid_ofi_trader.research.series import ResearchError
from hyperliquid_ofi_trader.sim.latency import DEFAULT_ENTRY, Distribution
from hyperliquid_ofi_trader.venues.hyperliquid.common.fees import BASE_MAKER_FEE, BASE_TAKER_FEE
from hyperliquid_ofi_trader.venues.hyperliquid.websocket.codec import HyperliquidCodec

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

_MS: Final = 1_000_000
_NS_PER_HOUR: Final = 3_600_000_000_000
_BPS: Final = 1e-4
GOOD_TRIP_BPS: Final = 3.0  # a round trip "worth taking" nets at least this (issue 12)


@dataclass(frozen=True, slots=True)
class OracleSettings:
    coin: str = "ETH"
    lead: str = "BTC"
    horizon_ms: float = 5_000.0
    window_ms: float = 250.0
    notional_usd: float = 200.0
    taker_fee: float = BASE_TAKER_FEE  # fractions of notional, per leg
    maker_fee: float = BASE_MAKER_FEE
    entry: Distribution = DEFAULT_ENTRY
    seed: int = 0

    def __post_init__(self) -> None:
        if self.coin == self.lead:
            raise ResearchError("the traded coin and the lead coin must differ")
        for name in ("horizon_ms", "window_ms", "notional_usd"):
            value = getattr(self, name)
            if not (math.isfinite(value) and value > 0):
                raise ResearchError(f"{name} must be a positive number, got {value!r}")


@dataclass(frozen=True, slots=True)
class Touches:
    """A coin's top of book over time (after each book or bbo push) and its prints."""

    ex_ns: IntArray  # exchange time of each touch row
    local_ns: IntArray  # receive time of each touch row
    bid: FloatArray
    ask: FloatArray
    trade_ns: IntArray
    trade_px: FloatArray

    @property
    def mid(self) -> FloatArray:
        return (self.bid + self.ask) / 2.0


@dataclass(slots=True)
class Bound:
    """One variant's (taker or maker) clairvoyant round trips."""

    notional_usd: float
    hours: float
    nets: list[float] = field(default_factory=list)
    gross: list[float] = field(default_factory=list)
    fees: list[float] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        trades = len(self.nets)
        net = float(sum(self.nets))
        good = sum(1 for n in self.nets if n >= GOOD_TRIP_BPS * _BPS * self.notional_usd)
        per_hour = self.hours if self.hours > 0 else math.nan
        return {
            "trades": trades,
            "gross_usd": round(float(sum(self.gross)), 6),
            "fees_usd": round(float(sum(self.fees)), 6),
            "net_usd": round(net, 6),
            "net_bps": round(net / (trades * self.notional_usd) / _BPS, 4) if trades else 0.0,
            "trades_per_hour": round(trades / per_hour, 2),
            f"trades_net_ge_{GOOD_TRIP_BPS:g}bps": good,
            f"trades_net_ge_{GOOD_TRIP_BPS:g}bps_per_hour": round(good / per_hour, 2),
        }


# ---------------------------------------------------------------- loading


def load_touches(path: Path, coins: tuple[str, ...]) -> dict[str, Touches]:
    """Top of book (from `bbo` and `l2Book` pushes) and prints per coin, via the codec."""
    codec = HyperliquidCodec(frozenset(coins))
    rows: dict[str, list[tuple[int, int, float, float]]] = {c: [] for c in coins}
    prints: dict[str, list[tuple[int, float]]] = {c: [] for c in coins}
    for local_ns, raw in iter_frames(Path(path)):
        for ev in codec.decode(raw, local_ns):
            if isinstance(ev, Bbo | BookSnapshot) and ev.coin in rows:
                bid, ask = _top(ev)
                if bid is not None and ask is not None and bid[0] < ask[0]:
                    rows[ev.coin].append((ev.exchange_ns, ev.local_ns, bid[0], ask[0]))
            elif isinstance(ev, Trades) and ev.coin in prints:
                prints[ev.coin].extend((t.exchange_ns, t.price) for t in ev.trades)
    return {c: _freeze(c, rows[c], prints[c]) for c in coins}


def _top(ev: Bbo | BookSnapshot) -> tuple[Level | None, Level | None]:
    if isinstance(ev, Bbo):
        return ev.bid, ev.ask
    return (ev.bids[0] if ev.bids else None), (ev.asks[0] if ev.asks else None)


def _freeze(coin: str, rows: list[tuple[int, int, float, float]],
            prints: list[tuple[int, float]]) -> Touches:
    if len(rows) < 2:
        raise ResearchError(f"no book data for {coin} in this recording")
    rows.sort(key=lambda r: r[0])  # stable: same exchange time keeps arrival order
    prints.sort()
    arr = np.asarray(rows, dtype=np.float64)
    parr = np.asarray(prints, dtype=np.float64).reshape(-1, 2)
    return Touches(np.asarray([r[0] for r in rows], dtype=np.int64),
                   np.asarray([r[1] for r in rows], dtype=np.int64), arr[:, 2], arr[:, 3],
                   np.asarray([p[0] for p in prints], dtype=np.int64), parr[:, 1])


# ---------------------------------------------------------------- decisions


@dataclass(frozen=True, slots=True)
class Decisions:
    """When the clairvoyant may act (receive time of a lead mid change) and which way."""

    ns: IntArray
    side: IntArray  # +1 buy the lag coin, -1 sell


def lead_decisions(lead: Touches, window_ms: float) -> Decisions:
    order = np.argsort(lead.local_ns, kind="stable")
    t, mid = lead.local_ns[order], lead.mid[order]
    changed = np.flatnonzero(np.diff(mid) != 0.0) + 1
    before = np.searchsorted(t, t[changed] - round(window_ms * _MS), side="right") - 1
    ref = mid[np.maximum(before, 0)]
    side = np.sign(mid[changed] - ref).astype(np.int64)
    keep = (before >= 0) & (side != 0)
    return Decisions(t[changed][keep], side[keep])


# ---------------------------------------------------------------- round trips


@dataclass(frozen=True, slots=True)
class _Book:
    """The lag coin in a "buyer's frame": a sell is a buy on negated prices."""

    t: IntArray
    bid: FloatArray
    ask: FloatArray
    low: FloatArray  # lowest print since the previous row (inf: none)
    high: FloatArray  # highest print since the previous row (-inf: none)


def _frames(lag: Touches) -> tuple[_Book, _Book]:
    n = lag.ex_ns.size
    row = np.searchsorted(lag.ex_ns, lag.trade_ns, side="left")
    ok = row < n
    low = np.full(n, np.inf)
    high = np.full(n, -np.inf)
    np.minimum.at(low, row[ok], lag.trade_px[ok])
    np.maximum.at(high, row[ok], lag.trade_px[ok])
    buy = _Book(lag.ex_ns, lag.bid, lag.ask, low, high)
    sell = _Book(lag.ex_ns, -lag.ask, -lag.bid, -high, -low)
    return buy, sell


@dataclass(frozen=True, slots=True)
class _Trip:
    start_ns: int
    end_ns: int
    entry_px: float  # buyer's frame: |px| is the real price
    exit_px: float
    maker: bool


def _taker_trip(b: _Book, k0: int, k_end: int) -> tuple[float, float, int] | None:
    """Buy at the ask of row k0, sell at the best bid of rows (k0, k_end)."""
    if k_end <= k0 + 1:
        return None
    window = b.bid[k0 + 1:k_end]
    j = int(np.argmax(window))
    return float(b.ask[k0]), float(window[j]), int(b.t[k0 + 1 + j])


def _maker_trip(b: _Book, k0: int, k_end: int) -> tuple[float, float, int] | None:
    """Post a bid at row k0's bid, filled when traded through; then post at the ask of a
    later row, filled when traded through before k_end."""
    px = b.bid[k0]
    through = (b.low[k0 + 1:k_end] < px) | (b.ask[k0 + 1:k_end] <= px)
    if not through.any():
        return None
    jf = k0 + 1 + int(np.argmax(through))
    asks, bids, highs = b.ask[jf:k_end], b.bid[jf:k_end], b.high[jf:k_end]
    if asks.size < 2:
        return None
    # Best later fill for a sell posted at row k: the highest print or bid after k.
    later_high = np.maximum.accumulate(highs[::-1])[::-1]
    later_bid = np.maximum.accumulate(bids[::-1])[::-1]
    fillable = (later_high[1:] > asks[:-1]) | (later_bid[1:] >= asks[:-1])
    if not fillable.any():
        return None
    candidates = np.where(fillable, asks[:-1], -np.inf)
    k = int(np.argmax(candidates))
    exit_px = float(candidates[k])
    after = (highs[k + 1:] > exit_px) | (bids[k + 1:] >= exit_px)
    end = jf + k + 1 + int(np.argmax(after))
    return float(px), exit_px, int(b.t[end])


def _economics(trip: _Trip, s: OracleSettings) -> tuple[float, float, float]:
    """(gross, fees, net) in USD of one round trip of `notional_usd`."""
    entry, exit_ = abs(trip.entry_px), abs(trip.exit_px)
    ratio = exit_ / entry
    gross = s.notional_usd * (trip.exit_px - trip.entry_px) / entry
    fee = s.maker_fee if trip.maker else s.taker_fee
    fees = s.notional_usd * fee * (1.0 + ratio)
    return gross, fees, gross - fees


def _best_schedule(trips: list[tuple[_Trip, float, float, float]]
                   ) -> list[tuple[_Trip, float, float, float]]:
    """Non-overlapping round trips with the largest summed net (weighted interval
    scheduling: sort by end, dp[i] = max(dp[i-1], net_i + dp[last ending before i])."""
    trips = sorted(trips, key=lambda x: x[0].end_ns)
    ends = [x[0].end_ns for x in trips]
    dp = [0.0] * (len(trips) + 1)
    prev = [0] * len(trips)
    for i, (trip, _, _, net) in enumerate(trips):
        prev[i] = bisect.bisect_left(ends, trip.start_ns, 0, i)  # ends strictly before start
        dp[i + 1] = max(dp[i], net + dp[prev[i]])
    chosen: list[tuple[_Trip, float, float, float]] = []
    i = len(trips)
    while i > 0:
        if dp[i] == dp[i - 1]:
            i -= 1
        else:
            chosen.append(trips[i - 1])
            i = prev[i - 1]
    return chosen[::-1]


def clairvoyant_bound(touches: dict[str, Touches], s: OracleSettings) -> dict[str, Any]:
    """The taker and maker bounds (see the module docstring) of `s.coin` led by `s.lead`."""
    lag, lead = touches[s.coin], touches[s.lead]
    decisions = lead_decisions(lead, s.window_ms)
    rng = np.random.default_rng(s.seed)
    arrivals = decisions.ns + s.entry.draw(rng, decisions.ns.size)
    horizon = round(s.horizon_ms * _MS)
    books = _frames(lag)
    hours = (int(lag.ex_ns[-1]) - int(lag.ex_ns[0])) / _NS_PER_HOUR
    out: dict[str, Any] = {}
    good_usd = GOOD_TRIP_BPS * _BPS * s.notional_usd
    opportunities: dict[str, Any] = {"min_net_bps": GOOD_TRIP_BPS}
    for maker in (False, True):
        name = "maker" if maker else "taker"
        trips: list[tuple[_Trip, float, float, float]] = []
        for arrival, side in zip(arrivals.tolist(), decisions.side.tolist(), strict=True):
            trip = _trip(books[0] if side > 0 else books[1], arrival, horizon, maker)
            if trip is None:
                continue
            gross, fees, net = _economics(trip, s)
            if net > 0.0:
                trips.append((trip, gross, fees, net))
        bound = Bound(s.notional_usd, hours)
        for _, gross, fees, net in _best_schedule(trips):
            bound.gross.append(gross)
            bound.fees.append(fees)
            bound.nets.append(net)
        out[name] = bound.as_dict()
        good = _best_schedule([t for t in trips if t[3] >= good_usd])
        opportunities[f"{name}_per_hour"] = round(len(good) / hours, 2) if hours > 0 else 0.0
    out["opportunities"] = opportunities
    out["decisions"] = int(decisions.ns.size)
    out["hours"] = round(hours, 4)
    return out


def _trip(b: _Book, arrival: int, horizon: int, maker: bool) -> _Trip | None:
    k0 = int(np.searchsorted(b.t, arrival, side="right")) - 1
    if k0 < 0:
        return None
    k_end = int(np.searchsorted(b.t, arrival + horizon, side="right"))
    found = _maker_trip(b, k0, k_end) if maker else _taker_trip(b, k0, k_end)
    if found is None:
        return None
    entry, exit_, end = found
    return _Trip(arrival, end, entry, exit_, maker)


def oracle(path: Path, s: OracleSettings) -> dict[str, Any]:
    """Load `path` and compute the bound; the settings used are echoed in the result."""
    touches = load_touches(path, (s.coin, s.lead))
    result = clairvoyant_bound(touches, s)
    result["settings"] = {
        "coin": s.coin, "lead": s.lead, "horizon_ms": s.horizon_ms,
        "window_ms": s.window_ms, "notional_usd": s.notional_usd,
        "taker_fee_bps": s.taker_fee / _BPS, "maker_fee_bps": s.maker_fee / _BPS,
        "entry_latency": s.entry.describe(), "feed_latency": "the recording's receive times",
        "seed": s.seed}
    return result
