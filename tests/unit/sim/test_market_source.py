"""ReplayMarketSource: recorded frames re-timed as the emulator's market; the common protocol."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from hyperliquid_ofi_trader.core.events import BookSnapshot, MarketEvent, Trades
from hyperliquid_ofi_trader.data.replay_sources import SourceNotFoundError, iter_frames
from hyperliquid_ofi_trader.sim.market_source import ReplayMarketSource
from hyperliquid_ofi_trader.sim.pump import MarketSource
from hyperliquid_ofi_trader.sim.synthetic import SyntheticMarket
from hyperliquid_ofi_trader.sim.wire_encode import encode_market_event
from hyperliquid_ofi_trader.venues.hyperliquid.websocket.codec import HyperliquidCodec

MS = 1_000_000
S = 1_000_000_000


def drain(source: MarketSource, limit: int = 100_000) -> list[tuple[int, list[MarketEvent]]]:
    """What a server's pump does, without the waiting."""
    out: list[tuple[int, list[MarketEvent]]] = []
    while len(out) < limit and (batch := source.next_batch()) is not None:
        out.append((batch[0], list(batch[1])))
    return out


def write_recording(path: Path, frames: list[tuple[int, bytes]]) -> Path:
    with gzip.open(path, "wb") as f:
        for ns, raw in frames:
            f.write(b"%d %s\n" % (ns, raw))
    return path


def synthetic_recording(tmp_path: Path, seconds: int = 5) -> tuple[Path, list[int]]:
    """A small recording of the synthetic market, receive time = block time + 3 ms."""
    m = SyntheticMarket(seed=4)
    frames = [(ev.local_ns + 3 * MS, encode_market_event(ev)) for ev in m.run_for(seconds * S)]
    return write_recording(tmp_path / "synthetic.gz", frames), [ns for ns, _ in frames]


# ---------------------------------------------------------------- on the shared capture


@pytest.mark.realdata
def test_capture_first_frame_at_zero_and_gaps_preserved(hl_ws_capture_btc: Path) -> None:
    recorded = [ns for ns, _ in iter_frames(hl_ws_capture_btc)]
    batches = drain(ReplayMarketSource(hl_ws_capture_btc))
    assert len(batches) == len(recorded) == 55
    assert batches[0][0] == 0
    assert [off for off, _ in batches] == [ns - recorded[0] for ns in recorded]


@pytest.mark.realdata
def test_capture_events_are_the_codec_events(hl_ws_capture_btc: Path) -> None:
    codec = HyperliquidCodec()
    expected = [ev for ns, raw in iter_frames(hl_ws_capture_btc) for ev in codec.decode(raw, ns)]
    got = [ev for _, ev in ReplayMarketSource(hl_ws_capture_btc)]
    assert got == expected
    assert {type(e) for e in got} == {BookSnapshot, Trades}


@pytest.mark.realdata
@pytest.mark.parametrize("speed", [2.0, 0.5, 10.0])
def test_capture_speed_scales_gaps(hl_ws_capture_btc: Path, speed: float) -> None:
    plain = drain(ReplayMarketSource(hl_ws_capture_btc))
    fast = drain(ReplayMarketSource(hl_ws_capture_btc, speed=speed))
    assert [off for off, _ in fast] == [round(off / speed) for off, _ in plain]
    span = plain[-1][0]
    assert span > 25 * S
    assert fast[-1][0] == pytest.approx(span / speed, abs=1)


@pytest.mark.realdata
def test_capture_rebased_times_are_fresh_and_whole_ms(hl_ws_capture_btc: Path) -> None:
    start = 1_800_000_000_000 * MS
    batches = drain(ReplayMarketSource(hl_ws_capture_btc, speed=2.0, rebase_ns=start))
    for offset, events in batches:
        for ev in events:
            assert ev.local_ns == start + offset
            assert ev.exchange_ns % MS == 0
            assert abs(ev.exchange_ns - ev.local_ns) < 60 * S  # recorded latency, halved
            if isinstance(ev, Trades):
                assert all(t.exchange_ns % MS == 0 and t.exchange_ns > start - 60 * S
                           for t in ev.trades)


@pytest.mark.realdata
def test_capture_loops_with_increasing_times_and_fresh_tids(hl_ws_capture_btc: Path) -> None:
    source = ReplayMarketSource(hl_ws_capture_btc, loop=True)
    batches = drain(source, limit=55 * 3)
    assert source.passes == 2  # a third pass has started
    offsets = [off for off, _ in batches]
    assert offsets == sorted(offsets)
    books = [ev.exchange_ns for _, evs in batches for ev in evs if isinstance(ev, BookSnapshot)]
    assert books == sorted(books)  # (the recording itself repeats a snapshot time: no set)
    def book_times(part: list[tuple[int, list[MarketEvent]]]) -> list[int]:
        return [ev.exchange_ns for _, evs in part for ev in evs if isinstance(ev, BookSnapshot)]

    assert min(book_times(batches[55:110])) > max(book_times(batches[:55]))
    tids = [t.tid for _, evs in batches for ev in evs if isinstance(ev, Trades) for t in ev.trades]
    assert len(set(tids)) == len(tids)
    # the second pass is the first one shifted: same gaps, same contents otherwise
    first, second = batches[:55], batches[55:110]
    assert [b[0] - first[0][0] for b in first] == [b[0] - second[0][0] for b in second]
    assert second[0][0] > first[-1][0]


# ---------------------------------------------------------------- on small recordings


def test_backward_receive_jitter_never_moves_offsets_back(tmp_path: Path) -> None:
    path, recorded = synthetic_recording(tmp_path)
    jittered = [(ns - (7 * MS if i % 5 == 0 else 0), raw) for i, (ns, raw) in
                enumerate(iter_frames(path))]
    batches = drain(ReplayMarketSource(write_recording(tmp_path / "jitter.gz", jittered)))
    offsets = [off for off, _ in batches]
    assert offsets == sorted(offsets)
    assert len(batches) == len(recorded)


def test_synthetic_recording_replays_the_synthetic_events(tmp_path: Path) -> None:
    path, _ = synthetic_recording(tmp_path, seconds=3)
    expected = SyntheticMarket(seed=4).run_for(3 * S)
    got = [ev for _, ev in ReplayMarketSource(path)]
    assert [(type(e), e.exchange_ns, e.coin) for e in got] == \
        [(type(e), e.exchange_ns, e.coin) for e in expected]
    assert all(g.local_ns == e.local_ns + 3 * MS for g, e in zip(got, expected, strict=True))


def test_refused_frames_are_counted_not_raised(tmp_path: Path) -> None:
    frames = [(1 * S, b"not json"), (2 * S, b'{"channel":"bbo","data":{"coin":"BTC",'
                                             b'"time":1,"bbo":[{"px":"2","sz":"1","n":1},'
                                             b'{"px":"1","sz":"1","n":1}]}}'),
              (3 * S, b"Websocket connection established.")]
    source = ReplayMarketSource(write_recording(tmp_path / "bad.gz", frames), loop=True)
    assert drain(source) == []  # and, with nothing to replay, looping stops
    assert source.codec.rejections == {"malformed_json": 1, "crossed_bbo": 1}
    assert source.frames == 3


def test_missing_file_and_bad_speed_are_refused(tmp_path: Path) -> None:
    with pytest.raises(SourceNotFoundError):
        ReplayMarketSource(tmp_path / "absent.gz")
    path, _ = synthetic_recording(tmp_path, seconds=1)
    for speed in (0.0, -1.0, float("nan"), float("inf")):
        with pytest.raises(ValueError, match="speed"):
            ReplayMarketSource(path, speed=speed)


def test_both_sources_satisfy_the_protocol(tmp_path: Path) -> None:
    path, _ = synthetic_recording(tmp_path, seconds=1)
    sources: list[MarketSource] = [SyntheticMarket(seed=1), ReplayMarketSource(path)]
    for source in sources:
        batches = drain(source, limit=5)
        assert batches[0][0] == 0
        assert all(b[1] for b in batches)


def test_synthetic_offsets_follow_block_times() -> None:
    m = SyntheticMarket(seed=2)
    batches = drain(m, limit=50)
    offsets = [off for off, _ in batches]
    assert offsets[0] == 0
    assert offsets == sorted(offsets)
    assert offsets[-1] == m.now_ns - m.settings.start_ns
