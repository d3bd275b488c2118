"""Latency model of a backtest: when things reach the venue and when they reach us.

Three delays, each its own distribution with its own seeded random stream:
- feed: venue time of a market event -> our receive time. With `feed_mode="recorded"`
  (the default) the data's own receive time is used as is (recorded local - exchange
  time is the feed latency the live run really saw); `"modelled"` puts market events at
  exchange time + a sample instead (for recordings without meaningful receive times).
  Our private pushes (orderUpdates, userFills) always take a feed sample: no recording
  holds the latency of pushes that never happened.
- entry: our command -> its arrival at the venue.
- ack: the venue's answer -> its arrival at our engine.

Distributions: constant, uniform, log-normal (given as median and p99, the way latency is
reported) and empirical (samples from our own live runs, e.g. a JSON or Parquet file of
measured round trips). Samples are drawn from `numpy.random.Generator`s spawned from one
seed, one stream per delay, so adding a draw to one delay never shifts another's; draws are
taken in blocks (one numpy call per 4096 samples, not per event).

A spec string is how users name a distribution on the command line:
    "const:80"  "uniform:50,150"  "lognormal:100,450"  "file:rtts.json"  "file:rtt.parquet:rtt_ms"
(milliseconds; a file holding round trips is halved into one-way delays with `rtt=True`).
Bad specs and unreadable files raise `LatencyConfigError`: the user's mistake, found at start.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final, Literal, Protocol

import numpy as np
import orjson

from hyperliquid_ofi_trader.errors import OurBugError

_NS_PER_MS: Final = 1_000_000
_BLOCK: Final = 4096
_Z99: Final = 2.3263478740408408  # standard normal 99th percentile
_MAX_MS: Final = 3_600_000.0  # one hour: anything longer is a unit mistake

FeedMode = Literal["recorded", "modelled"]


class LatencyConfigError(OurBugError, ValueError):
    """A latency specification or sample file the user gave cannot be used."""


class Distribution(Protocol):
    """Draws `n` delays in integer nanoseconds (never negative)."""

    def draw(self, rng: np.random.Generator, n: int) -> np.ndarray: ...

    def describe(self) -> str: ...


def _check_ms(value: float, what: str) -> float:
    if not math.isfinite(value) or value < 0 or value > _MAX_MS:
        raise LatencyConfigError(f"{what} must be a number of ms in [0, {_MAX_MS:g}], "
                                 f"got {value!r}")
    return value


@dataclass(frozen=True, slots=True)
class Constant:
    ms: float

    def __post_init__(self) -> None:
        _check_ms(self.ms, "constant latency")

    def draw(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return np.full(n, round(self.ms * _NS_PER_MS), dtype=np.int64)

    def describe(self) -> str:
        return f"const {self.ms:g} ms"


@dataclass(frozen=True, slots=True)
class Uniform:
    low_ms: float
    high_ms: float

    def __post_init__(self) -> None:
        _check_ms(self.low_ms, "uniform low")
        _check_ms(self.high_ms, "uniform high")
        if self.high_ms < self.low_ms:
            raise LatencyConfigError("uniform latency: high must be >= low")

    def draw(self, rng: np.random.Generator, n: int) -> np.ndarray:
        ms = rng.uniform(self.low_ms, self.high_ms, n)
        return (ms * _NS_PER_MS).astype(np.int64)

    def describe(self) -> str:
        return f"uniform {self.low_ms:g}-{self.high_ms:g} ms"


@dataclass(frozen=True, slots=True)
class LogNormal:
    """Right-skewed like real network delays; parametrised by its median and p99."""

    median_ms: float
    p99_ms: float

    def __post_init__(self) -> None:
        _check_ms(self.median_ms, "log-normal median")
        _check_ms(self.p99_ms, "log-normal p99")
        if not 0 < self.median_ms <= self.p99_ms:
            raise LatencyConfigError("log-normal latency needs 0 < median <= p99")

    @property
    def sigma(self) -> float:
        return math.log(self.p99_ms / self.median_ms) / _Z99

    def draw(self, rng: np.random.Generator, n: int) -> np.ndarray:
        ms = rng.lognormal(math.log(self.median_ms), self.sigma, n)
        return (np.minimum(ms, _MAX_MS) * _NS_PER_MS).astype(np.int64)

    def describe(self) -> str:
        return f"lognormal median {self.median_ms:g} ms, p99 {self.p99_ms:g} ms"


@dataclass(frozen=True, slots=True)
class Empirical:
    """Resampling (with replacement) of measured one-way delays."""

    samples_ms: tuple[float, ...]
    source: str = "samples"

    def __post_init__(self) -> None:
        if not self.samples_ms:
            raise LatencyConfigError(f"{self.source}: no latency samples")
        for x in self.samples_ms:
            _check_ms(x, f"{self.source}: sample")

    def draw(self, rng: np.random.Generator, n: int) -> np.ndarray:
        arr = np.asarray(self.samples_ms, dtype=np.float64)
        return (arr[rng.integers(0, arr.size, n)] * _NS_PER_MS).astype(np.int64)

    def describe(self) -> str:
        arr = np.asarray(self.samples_ms)
        return (f"empirical {self.source} (n={arr.size}, median {np.median(arr):g} ms, "
                f"p99 {np.percentile(arr, 99):g} ms)")


# ---------------------------------------------------------------- sample files


def load_samples_ms(path: Path, column: str | None = None, *, rtt: bool = False) -> Empirical:
    """Delays in ms from a JSON file (a list of numbers, or an object holding one list) or
    a Parquet file (`column`, else its first numeric column). `rtt` halves round trips."""
    try:
        values = _parquet_values(path, column) if path.suffix == ".parquet" else \
            _json_values(path, column)
    except OSError as exc:
        raise LatencyConfigError(f"cannot read latency samples {path}: {exc}") from None
    scale = 0.5 if rtt else 1.0
    return Empirical(tuple(float(v) * scale for v in values), source=path.name)


def _json_values(path: Path, column: str | None) -> Sequence[float]:
    try:
        data = orjson.loads(path.read_bytes())
    except orjson.JSONDecodeError as exc:
        raise LatencyConfigError(f"{path}: not JSON ({exc})") from None
    if isinstance(data, dict):
        key = column or next((k for k, v in data.items() if isinstance(v, list)), None)
        data = data.get(key) if key is not None else None
    if not isinstance(data, list) or not all(_is_number(v) for v in data):
        raise LatencyConfigError(f"{path}: expected a list of numbers (ms)"
                                 + (f" under {column!r}" if column else ""))
    return data


def _is_number(v: object) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


def _parquet_values(path: Path, column: str | None) -> Sequence[float]:
    import polars as pl  # only when a Parquet file is used: polars is slow to import

    try:
        frame = pl.read_parquet(path)
    except Exception as exc:  # polars raises several unrelated types for bad files
        raise LatencyConfigError(f"{path}: not a readable Parquet file ({exc})") from None
    numeric = [c for c, t in frame.schema.items() if t.is_numeric()]
    name = column or (numeric[0] if numeric else None)
    if name is None or name not in numeric:
        raise LatencyConfigError(f"{path}: no numeric column {column or ''} (has {numeric})")
    return [float(x) for x in frame[name].drop_nulls().to_list()]


# ---------------------------------------------------------------- specs


def parse_distribution(spec: str) -> Distribution:
    """A distribution from its command-line text (see the module docstring)."""
    kind, _, rest = spec.strip().partition(":")
    try:
        if kind == "const":
            return Constant(float(rest))
        if kind == "uniform":
            lo, hi = (float(x) for x in rest.split(","))
            return Uniform(lo, hi)
        if kind == "lognormal":
            median, p99 = (float(x) for x in rest.split(","))
            return LogNormal(median, p99)
    except ValueError as exc:
        if isinstance(exc, LatencyConfigError):
            raise
        raise LatencyConfigError(f"bad latency spec {spec!r}: {exc}") from None
    if kind in ("file", "rtt-file"):
        path, _, column = rest.partition(":")
        return load_samples_ms(Path(path), column or None, rtt=kind == "rtt-file")
    raise LatencyConfigError(f"unknown latency spec {spec!r}: use const:MS, uniform:LO,HI, "
                             "lognormal:MEDIAN,P99, file:PATH[:COLUMN] or rtt-file:PATH[:COLUMN]")


# Reported for a co-located client: order round trip median 0.2 s, p99 0.9 s
# (HYPERLIQUID.md section 5): each leg about half of that.
DEFAULT_ENTRY: Final = LogNormal(100.0, 450.0)
DEFAULT_ACK: Final = LogNormal(100.0, 450.0)
DEFAULT_FEED: Final = LogNormal(80.0, 300.0)


@dataclass(frozen=True, slots=True)
class LatencyConfig:
    feed_mode: FeedMode = "recorded"
    feed: Distribution = field(default=DEFAULT_FEED)
    entry: Distribution = field(default=DEFAULT_ENTRY)
    ack: Distribution = field(default=DEFAULT_ACK)

    def __post_init__(self) -> None:
        if self.feed_mode not in ("recorded", "modelled"):
            raise LatencyConfigError(f"feed_mode must be recorded or modelled, "
                                     f"got {self.feed_mode!r}")

    def describe(self) -> dict[str, str]:
        return {"feed_mode": self.feed_mode, "feed": self.feed.describe(),
                "entry": self.entry.describe(), "ack": self.ack.describe()}


class _Stream:
    """Block-sampled delays of one distribution from its own generator."""

    __slots__ = ("_buf", "_dist", "_i", "_rng")

    def __init__(self, dist: Distribution, rng: np.random.Generator) -> None:
        self._dist, self._rng = dist, rng
        self._buf: list[int] = []
        self._i = 0

    def next(self) -> int:
        if self._i >= len(self._buf):
            self._buf = self._dist.draw(self._rng, _BLOCK).tolist()
            self._i = 0
        value: int = self._buf[self._i]
        self._i += 1
        return value


class LatencyModel:
    """Seeded delays in ns. Same config and seed -> the same sequence of delays."""

    __slots__ = ("_ack", "_entry", "_feed", "config", "seed")

    def __init__(self, config: LatencyConfig | None = None, seed: int = 0) -> None:
        self.config = config or LatencyConfig()
        self.seed = seed
        feed_rng, entry_rng, ack_rng = (np.random.default_rng(s) for s in
                                        np.random.SeedSequence(seed).spawn(3))
        self._feed = _Stream(self.config.feed, feed_rng)
        self._entry = _Stream(self.config.entry, entry_rng)
        self._ack = _Stream(self.config.ack, ack_rng)

    def market_receive_ns(self, exchange_ns: int, local_ns: int) -> int:
        """When our engine receives a market event the venue published at `exchange_ns`
        and the recording received at `local_ns`."""
        if self.config.feed_mode == "recorded" or exchange_ns <= 0:
            return local_ns
        return exchange_ns + self._feed.next()

    def feed_ns(self) -> int:
        return self._feed.next()

    def entry_ns(self) -> int:
        return self._entry.next()

    def ack_ns(self) -> int:
        return self._ack.next()
