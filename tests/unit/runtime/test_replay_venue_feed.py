"""The replay driver reads frames through the inbound seam (`VenueFeed`), never a codec:
any venue's feed drives the same engine."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from hyperliquid_ofi_trader.config.loader import load_config
from hyperliquid_ofi_trader.core.clock import ReplayClock
from hyperliquid_ofi_trader.core.events import AnyEvent, Bbo, Rejection
from hyperliquid_ofi_trader.core.journal import Journal
from hyperliquid_ofi_trader.core.venue_feed import VenueFeed
from hyperliquid_ofi_trader.runtime.assembly import build_engine
from hyperliquid_ofi_trader.runtime.replay import ReplayDriver

MS = 1_000_000
T0 = 1_737_918_843_000 * MS


class TextFeed:
    """A made-up venue whose frames read `COIN BID ASK`: nothing Hyperliquid about it."""

    def __init__(self) -> None:
        self.refused: dict[str, int] = {}

    @property
    def rejections(self) -> Mapping[str, int]:
        return self.refused

    def decode(self, frame: bytes | str, local_ns: int) -> Sequence[AnyEvent]:
        text = frame.decode() if isinstance(frame, bytes) else frame
        parts = text.split()
        if len(parts) != 3:
            self.refused["bad_line"] = self.refused.get("bad_line", 0) + 1
            return [Rejection(exchange_ns=0, local_ns=local_ns, reason="bad_line",
                              detail=text[:80], channel="")]
        coin, bid, ask = parts
        return [Bbo(exchange_ns=local_ns - MS, local_ns=local_ns, coin=coin,
                    bid=(float(bid), 1.0, 1), ask=(float(ask), 1.0, 1))]

    def channel_of(self, event: AnyEvent) -> str | None:
        return "quotes" if isinstance(event, Bbo) else None


def test_replay_driver_runs_any_venue_feed(tmp_path: Path) -> None:
    cfg = load_config()
    coin = next(iter(cfg.symbols.coins))
    feed: VenueFeed = TextFeed()
    clock = ReplayClock()
    with Journal(tmp_path / "journal.sqlite") as journal:
        engine, _ = build_engine(cfg, clock, journal)
        driver = ReplayDriver(engine, clock, feed)
        driver.run([(T0, f"{coin} 100.0 100.5".encode()), (T0 + MS, b"garbage"),
                    (T0 + 2 * MS, f"{coin} 100.1 100.6".encode())])
        engine.flush()
    snap = engine.snapshot()
    assert snap.events_by_type.get("Bbo") == 2
    assert snap.rejections == {"bad_line": 1}
    assert (driver.frames, driver.events) == (3, 3)
    assert clock.now_ns() == T0 + 2 * MS
