"""What to read from a catalog: `CatalogQuery(uri, coins, start, end)`, and UTC hour parsing.

A query is a small frozen, picklable value (a Ray task can carry it to any worker): the
catalog URI (a local folder or `s3://bucket/prefix`), the coins (None: all), and the first
and last UTC hour, both inclusive (None: unbounded). Every reader that takes a recording
path (`data/replay_sources.iter_frames`, hence backtest, replay, research, sweep) also
takes a `CatalogQuery`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from hyperliquid_ofi_trader.errors import OurBugError

NS_PER_HOUR = 3_600_000_000_000
HOUR = timedelta(hours=1)


class HourFormatError(OurBugError, ValueError):
    """A --from/--to value that is not a UTC hour."""


def parse_hour(text: str, *, end: bool = False) -> datetime:
    """`2024-01-01T05` (or `2024-01-01T05:00[:00][Z]`) → that hour, UTC. A bare date is its
    first hour, or its last hour when `end` (so `--to 2024-01-07` includes all of the 7th)."""
    raw = text.strip().removesuffix("Z").removesuffix("z")
    if len(raw) == 10:
        try:
            day = datetime.strptime(raw, "%Y-%m-%d").replace(tzinfo=UTC)
        except ValueError:
            raise HourFormatError(_hour_message(text)) from None
        return day + timedelta(hours=23) if end else day
    for fmt in ("%Y-%m-%dT%H", "%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"):
        try:
            hour = datetime.strptime(raw, fmt).replace(tzinfo=UTC)
        except ValueError:
            continue
        if hour.minute or hour.second:
            raise HourFormatError(f"{text!r}: give a whole UTC hour such as 2024-01-01T05")
        return hour
    raise HourFormatError(_hour_message(text))


def _hour_message(text: str) -> str:
    return f"{text!r} is not a UTC hour: use YYYY-MM-DDTHH (e.g. 2024-01-01T05) or YYYY-MM-DD"


def hours_between(start: datetime, end: datetime) -> list[datetime]:
    """Every hour from `start` to `end`, both inclusive."""
    if end < start:
        raise HourFormatError(f"--to {end:%Y-%m-%dT%H} is before --from {start:%Y-%m-%dT%H}")
    count = int((end - start) / HOUR) + 1
    return [start + i * HOUR for i in range(count)]


def hour_of_ns(local_ns: int) -> datetime:
    return datetime.fromtimestamp(local_ns // NS_PER_HOUR * 3600, UTC)


@dataclass(frozen=True, slots=True)
class CatalogQuery:
    """A selection of a catalog: coins (None: all) and UTC hours start..end inclusive.

    Frames that belong to no coin (account channels, `allMids`) are always included: they
    are not per coin, and a replay needs them to rebuild the same state.
    """

    uri: str
    coins: tuple[str, ...] | None = None
    start: datetime | None = None
    end: datetime | None = None
    channels: tuple[str, ...] | None = None

    def __post_init__(self) -> None:
        if self.start is not None and self.end is not None and self.end < self.start:
            raise HourFormatError(
                f"--to {self.end:%Y-%m-%dT%H} is before --from {self.start:%Y-%m-%dT%H}")

    def wants_hour(self, hour: datetime) -> bool:
        return ((self.start is None or hour >= self.start)
                and (self.end is None or hour <= self.end))

    def __str__(self) -> str:
        parts = [f"catalog {self.uri}"]
        if self.coins:
            parts.append("coins " + ",".join(self.coins))
        if self.start is not None or self.end is not None:
            lo = f"{self.start:%Y-%m-%dT%H}" if self.start else "start"
            hi = f"{self.end:%Y-%m-%dT%H}" if self.end else "end"
            parts.append(f"{lo}..{hi} UTC")
        if self.channels:
            parts.append("channels " + ",".join(self.channels))
        return " ".join(parts)
