"""Extraction of research series from Hyperliquid recordings (production codec and book)."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from hyperliquid_ofi_trader.data.replay_sources import SourceNotFoundError
from hyperliquid_ofi_trader.research.recordings import load_market
from hyperliquid_ofi_trader.research.series import ResearchError, book_tick, load_hyperliquid

T0 = 1_704_110_400_000  # exchange ms


def lv(px: float, sz: float) -> dict[str, object]:
    return {"px": f"{px:g}", "sz": f"{sz:g}", "n": 1}


def l2(coin: str, ms: int, bids: list[tuple[float, float]],
       asks: list[tuple[float, float]]) -> dict[str, object]:
    return {"channel": "l2Book", "data": {"coin": coin, "time": ms, "levels": [
        [lv(*b) for b in bids], [lv(*a) for a in asks]]}}


def trades(coin: str, ms: int, tid: int, side: str) -> dict[str, object]:
    return {"channel": "trades", "data": [{"coin": coin, "side": side, "px": "100", "sz": "0.5",
                                           "hash": "0xab", "time": ms, "tid": tid,
                                           "users": ["0x1", "0x2"]}]}


def recording(path: Path, frames: list[object]) -> Path:
    path.write_bytes(b"".join(b"%d %s\n" % (T0 * 1_000_000 + i, orjson.dumps(f))
                              for i, f in enumerate(frames)))
    return path


def btc_eth(tmp_path: Path) -> Path:
    return recording(tmp_path / "rec.txt", [
        trades("BTC", T0, 7, "B"),
        l2("BTC", T0, [(100, 1), (99, 2)], [(101, 1), (102, 2)]),
        l2("ETH", T0, [(10, 1)], [(10.1, 1)]),
        l2("BTC", T0 + 500, [(100, 3), (99, 2)], [(101, 1), (102, 2)]),
        trades("BTC", T0 + 600, 8, "A"),
        trades("BTC", T0 + 600, 8, "A"),  # resent after a reconnect
        l2("BTC", T0 + 400, [(100, 9)], [(101, 9)]),  # older than the book: stale, rejected
        l2("BTC", T0 + 1_000, [(101, 1), (100, 3)], [(102, 2), (103, 1)]),
    ])


def test_replays_one_coin_through_codec_book_and_ofi(tmp_path: Path) -> None:
    m = load_hyperliquid(btc_eth(tmp_path), "BTC", levels=2)
    b = m.book
    assert m.source == "hyperliquid"
    assert m.coin == "BTC"
    assert b.ns.tolist() == [T0 * 1_000_000, (T0 + 500) * 1_000_000, (T0 + 1_000) * 1_000_000]
    assert b.mid.tolist() == [100.5, 100.5, 101.5]
    # OFI: first row initialises; bid size 1 -> 3 (+2); bid up a tick (+1) and ask up a tick
    # (the old ask's 1 leaves: +1).
    assert b.ofi.tolist() == [0.0, 2.0, 2.0]
    assert b.multi_ofi is not None
    assert b.multi_ofi.shape == (3, 2)
    assert b.multi_ofi[:, 0].tolist() == b.ofi.tolist()
    assert b.depth_m[0] == pytest.approx((1 + 2 + 1 + 2) / 4)
    assert m.stats.book_rejections == {"stale_snapshot": 1}
    assert m.stats.other_coins == {"ETH": 1}
    assert book_tick(b) == 1.0


def test_trades_are_deduplicated_on_trade_id(tmp_path: Path) -> None:
    m = load_hyperliquid(btc_eth(tmp_path), "BTC")
    assert m.trades.is_buy.tolist() == [True, False]
    assert m.stats.duplicate_trades == 1


def test_several_coins_need_an_explicit_choice(tmp_path: Path) -> None:
    path = btc_eth(tmp_path)
    with pytest.raises(ResearchError, match="ETH"):
        load_market(path)
    assert load_market(path, "ETH").book.mid.tolist() == [pytest.approx(10.05)]
    with pytest.raises(ResearchError, match="no usable book updates for coin SOL"):
        load_market(path, "SOL")


def test_user_errors_are_typed(tmp_path: Path) -> None:
    with pytest.raises(SourceNotFoundError):
        load_market(tmp_path / "nope.lz4")
    with pytest.raises(ResearchError, match="levels"):
        load_hyperliquid(btc_eth(tmp_path), "BTC", levels=0)
