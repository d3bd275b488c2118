"""The research-only Binance USD-M capture reader, on small hand-made captures."""

from __future__ import annotations

import gzip
from pathlib import Path

import orjson
import pytest

from hyperliquid_ofi_trader.data.replay_sources import SourceNotFoundError
from hyperliquid_ofi_trader.research.binance_reader import is_binance_capture, load_binance
from hyperliquid_ofi_trader.research.recordings import load_market
from hyperliquid_ofi_trader.research.series import ResearchError

T0 = 1_723_161_256_000  # exchange ms


def ticker(ms: int, u: int, bid: str, qb: str, ask: str, qa: str,
           sym: str = "btcusdt") -> dict[str, object]:
    return {"stream": f"{sym}@bookTicker",
            "data": {"e": "bookTicker", "u": u, "s": sym.upper(), "b": bid, "B": qb, "a": ask,
                     "A": qa, "T": ms, "E": ms + 1}}


def trade(ms: int, tid: int, px: str, qty: str, maker_is_buyer: bool,
          kind: str = "MARKET") -> dict[str, object]:
    return {"stream": "btcusdt@trade",
            "data": {"e": "trade", "E": ms + 2, "T": ms, "s": "BTCUSDT", "t": tid, "p": px,
                     "q": qty, "X": kind, "m": maker_is_buyer}}


def write(path: Path, frames: list[object], *, compress: bool = True) -> Path:
    lines = b"".join(b"%d %s\n" % (1_000 + i, f if isinstance(f, bytes) else orjson.dumps(f))
                     for i, f in enumerate(frames))
    path.write_bytes(gzip.compress(lines) if compress else lines)
    return path


def sample(tmp_path: Path) -> Path:
    return write(tmp_path / "cap.gz", [
        {"stream": "btcusdt@depth@0ms", "data": {"e": "depthUpdate", "b": [["1", "2"]]}},
        {"lastUpdateId": 1, "E": T0, "T": T0, "bids": [], "asks": []},
        ticker(T0 + 5, 3, "100.0", "2.0", "100.1", "1.0"),
        ticker(T0 + 1, 1, "99.9", "1.0", "100.0", "1.0"),  # pushed late: sorted by T first
        ticker(T0 + 5, 2, "100.0", "1.0", "100.1", "1.0"),  # same ms: update id decides
        trade(T0 + 2, 10, "100.0", "0.5", maker_is_buyer=False),  # taker bought
        trade(T0 + 3, 11, "99.9", "0.2", maker_is_buyer=True),  # taker sold
        trade(T0 + 3, 11, "99.9", "0.2", maker_is_buyer=True),  # duplicate id
        trade(T0 + 4, 12, "99.9", "0.2", maker_is_buyer=True, kind="INSURANCE_FUND"),
        ticker(T0 + 6, 4, "100.2", "1.0", "100.1", "1.0"),  # crossed: rejected
        ticker(T0 + 6, 5, "nan", "1.0", "100.1", "1.0"),  # not a number: rejected
        b'{"stream":"btcusdt@bookTicker","data":{"b":"1"}}',  # fields missing
        ticker(T0 + 7, 6, "50.0", "1.0", "50.1", "1.0", sym="ethusdt"),  # other symbol
    ])


def test_reads_book_ticker_rows_in_exchange_order_with_ofi(tmp_path: Path) -> None:
    m = load_binance(sample(tmp_path))
    b = m.book
    assert m.source == "binance"
    assert m.coin == "BTCUSDT"
    assert b.ns.tolist() == [(T0 + 1) * 1_000_000, (T0 + 5) * 1_000_000, (T0 + 5) * 1_000_000]
    assert b.bid_px.tolist() == [99.9, 100.0, 100.0]
    assert b.bid_sz.tolist() == [1.0, 1.0, 2.0]  # u=2 before u=3
    # OFI (Cont et al.): bid up a tick adds its size (1), ask up removes the old ask (−(−1));
    # then the bid grows by 1.
    assert b.ofi.tolist() == [0.0, 2.0, 1.0]


def test_trades_take_the_aggressor_side_and_skip_duplicates(tmp_path: Path) -> None:
    m = load_binance(sample(tmp_path))
    t = m.trades
    assert t.is_buy.tolist() == [True, False]
    assert t.size.tolist() == [0.5, 0.2]
    assert m.stats.duplicate_trades == 1


def test_bad_rows_are_counted_not_raised(tmp_path: Path) -> None:
    st = load_binance(sample(tmp_path)).stats
    assert st.book_rejections == {"bad_top": 2, "bad_bookTicker": 1, "non_market_trade": 1}
    assert st.other_coins == {"ETHUSDT": 1}


def test_symbol_can_be_chosen(tmp_path: Path) -> None:
    m = load_binance(sample(tmp_path), symbol="ethusdt")
    assert m.coin == "ETHUSDT"
    assert len(m.book) == 1


def test_detection_and_dispatch(tmp_path: Path) -> None:
    cap = sample(tmp_path)
    assert is_binance_capture(cap)
    assert load_market(cap).source == "binance"
    hl = write(tmp_path / "hl.txt", [{"channel": "pong"}], compress=False)
    assert not is_binance_capture(hl)
    assert not is_binance_capture(tmp_path / "missing.gz")


def test_capture_without_book_ticker_is_a_user_error(tmp_path: Path) -> None:
    path = write(tmp_path / "t.gz", [trade(T0, 1, "1.0", "1.0", maker_is_buyer=False)])
    with pytest.raises(ResearchError, match="no bookTicker"):
        load_binance(path)
    with pytest.raises(SourceNotFoundError):
        load_binance(tmp_path / "absent.gz")
