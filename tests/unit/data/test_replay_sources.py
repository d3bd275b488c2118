"""Replay readers: format detection, damage tolerance, directory merge, describe."""

from __future__ import annotations

import gzip
import heapq
import tempfile
from pathlib import Path

import lz4.frame
import orjson
import pytest
import zstandard as zstd
from hypothesis import given, settings
from hypothesis import strategies as st

from hyperliquid_ofi_trader.data.recording import FrameRecorder
from hyperliquid_ofi_trader.data.replay_sources import (
    Compression,
    LineFormat,
    NoRecordingsError,
    ReadStats,
    SourceNotFoundError,
    UnknownFormatError,
    channel_of,
    describe,
    detect_format,
    iter_frames,
)

T0 = 1_737_918_843_893_903_000


def _frame(i: int) -> bytes:
    return b'{"channel":"trades","data":[{"tid":%d}]}' % i


def _ns_lines(n: int, start: int = T0) -> bytes:
    return b"".join(b"%d %b\n" % (start + i, _frame(i)) for i in range(n))


def _archive_line(iso: str, raw: object) -> bytes:
    return orjson.dumps({"time": iso, "ver_num": 1, "raw": raw}) + b"\n"


def _recorded(tmp_path: Path, n: int) -> tuple[Path, list[tuple[int, bytes]]]:
    sent = [(T0 + i, _frame(i)) for i in range(n)]
    with FrameRecorder(tmp_path / "rec") as rec:
        for ns, raw in sent:
            rec.write(raw, ns)
        assert rec.path is not None
        path = rec.path
    return path, sent


# ---------------------------------------------------------------- detection


@pytest.mark.parametrize(("writer", "compression"), [
    (lambda b: gzip.compress(b), Compression.GZIP),
    (lambda b: lz4.frame.compress(b), Compression.LZ4),
    (lambda b: zstd.ZstdCompressor().compress(b), Compression.ZSTD),
    (lambda b: b, Compression.NONE),
])
def test_ns_lines_in_every_compression(tmp_path: Path, writer: object,
                                       compression: Compression) -> None:
    path = tmp_path / "no_extension_hint.bin"
    path.write_bytes(writer(_ns_lines(30)))  # type: ignore[operator]
    assert detect_format(path).compression is compression
    assert detect_format(path).lines is LineFormat.NS_FRAME
    assert list(iter_frames(path)) == [(T0 + i, _frame(i)) for i in range(30)]


def test_archive_lines_decode_time_and_reserialise_raw(tmp_path: Path) -> None:
    raw = {"channel": "l2Book", "data": {"coin": "BTC", "time": 1, "levels": [[], []]}}
    spaced = b'{"time": "2024-01-01T12:00:02Z", "raw": {"channel": "l2Book", "data": {"coin": '
    spaced += b'"BTC", "time": 1, "levels": [[], []]}}}\n'
    body = (_archive_line("2024-01-01T12:00:01.138942031", raw)
            + _archive_line("2024-01-01T12:00:01.5", raw) + spaced)
    path = tmp_path / "BTC.lz4"
    path.write_bytes(lz4.frame.compress(body))
    assert detect_format(path).lines is LineFormat.HL_ARCHIVE
    got = list(iter_frames(path))
    base = 1_704_110_401 * 1_000_000_000
    assert [ns for ns, _ in got] == [base + 138_942_031, base + 500_000_000,
                                     base + 1_000_000_000]
    assert [frame for _, frame in got] == [orjson.dumps(raw)] * 3  # compact, whatever the input


def test_unknown_formats_are_clear_errors(tmp_path: Path) -> None:
    binary = tmp_path / "x.zst"
    binary.write_bytes(b"\x00\x01\x02garbage")
    with pytest.raises(UnknownFormatError, match="not zstd, gzip, LZ4"):
        iter_frames(binary)
    wrong_lines = tmp_path / "y.gz"
    wrong_lines.write_bytes(gzip.compress(b'{"not": "a recording"}\n'))
    with pytest.raises(UnknownFormatError, match="first line"):
        iter_frames(wrong_lines)


def test_missing_path_and_empty_directory(tmp_path: Path) -> None:
    with pytest.raises(SourceNotFoundError):
        iter_frames(tmp_path / "nope.zst")
    (tmp_path / "notes.txt").write_text("hello")
    with pytest.raises(NoRecordingsError):
        iter_frames(tmp_path)


# ---------------------------------------------------------------- damage


def test_malformed_lines_are_counted_and_skipped(tmp_path: Path) -> None:
    body = (b"%d %b\n" % (T0, _frame(0)) + b"garbage-without-space\n" + b"12x {}\n"
            + b"%d \n" % T0 + b"\n" + b"%d %b\n" % (T0 + 1, _frame(1)))
    path = tmp_path / "cap.gz"
    path.write_bytes(gzip.compress(body))
    stats = ReadStats()
    assert [ns for ns, _ in iter_frames(path, stats)] == [T0, T0 + 1]
    assert stats.malformed == 3
    assert stats.malformed_reasons == {"no_separator": 1, "bad_timestamp": 1, "empty_frame": 1}


def test_malformed_archive_lines_are_counted(tmp_path: Path) -> None:
    good = _archive_line("2024-01-01T12:00:01.1", {"channel": "l2Book"})
    body = (good + b"{broken json\n" + b"[1,2]\n" + b'{"time":"yesterday","raw":{}}\n'
            + b'{"time":"2024-01-01T12:00:01"}\n' + good)
    path = tmp_path / "a.lz4"
    path.write_bytes(lz4.frame.compress(body))
    stats = ReadStats()
    assert len(list(iter_frames(path, stats))) == 2
    assert stats.malformed_reasons == {"bad_json": 1, "bad_record": 2, "bad_time": 1}


def test_corrupt_block_ends_file_without_raising(tmp_path: Path) -> None:
    path, sent = _recorded(tmp_path, 3000)
    data = bytearray(path.read_bytes())
    mid = len(data) // 2
    data[mid:mid + 40] = b"\xff" * 40
    path.write_bytes(bytes(data))
    stats = ReadStats()
    got = list(iter_frames(path, stats))
    assert got == sent[:len(got)]  # a clean prefix, nothing invented
    assert 0 < len(got) < len(sent)
    assert stats.corrupt_files + stats.truncated_files + stats.malformed >= 1


@settings(max_examples=40, deadline=None)
@given(cut_fraction=st.floats(min_value=0.0, max_value=1.0))
def test_truncated_recording_yields_exact_prefix(cut_fraction: float,
                                                 tmp_path_factory: pytest.TempPathFactory) -> None:
    """Whatever byte a crash cuts at, the reader returns a prefix of what was written."""
    path, sent = _recorded(tmp_path_factory.mktemp("cut"), 120)
    data = path.read_bytes()
    cut = int(len(data) * cut_fraction)
    path.write_bytes(data[:cut])
    stats = ReadStats()
    got = list(iter_frames(path, stats)) if cut >= 4 else []
    assert got == sent[:len(got)]
    if cut < len(data):
        assert stats.truncated_files + stats.corrupt_files <= 1
    else:
        assert got == sent
        assert stats.truncated_files == 0


def test_partial_last_line_dropped_but_counted(tmp_path: Path) -> None:
    path = tmp_path / "cap.gz"
    path.write_bytes(gzip.compress(_ns_lines(5) + b'%d {"channel":"tra' % (T0 + 5)))
    stats = ReadStats()
    assert len(list(iter_frames(path, stats))) == 5
    assert stats.truncated_files == 1


def test_last_line_without_newline_kept_when_complete(tmp_path: Path) -> None:
    path = tmp_path / "cap.gz"
    path.write_bytes(gzip.compress(_ns_lines(5).rstrip(b"\n")))
    stats = ReadStats()
    assert len(list(iter_frames(path, stats))) == 5
    assert stats.truncated_files == 0


def test_truncated_gzip_stream_tolerated(tmp_path: Path) -> None:
    data = gzip.compress(_ns_lines(500))
    path = tmp_path / "cap.gz"
    path.write_bytes(data[: len(data) - 30])
    stats = ReadStats()
    got = list(iter_frames(path, stats))
    assert 0 < len(got) < 500
    assert got == [(T0 + i, _frame(i)) for i in range(len(got))]
    assert stats.truncated_files == 1


# ---------------------------------------------------------------- directories


def test_directory_merges_files_in_receive_time_order(tmp_path: Path) -> None:
    # Two overlapping recordings (e.g. two recorders) and one later file, mixed formats.
    a = b"".join(b"%d %b\n" % (T0 + 2 * i, _frame(2 * i)) for i in range(10))
    b = b"".join(b"%d %b\n" % (T0 + 2 * i + 1, _frame(2 * i + 1)) for i in range(10))
    (tmp_path / "a.gz").write_bytes(gzip.compress(a))
    sub = tmp_path / "sub"
    sub.mkdir()
    (sub / "b.zst").write_bytes(zstd.ZstdCompressor().compress(b))
    (tmp_path / "z_late.lz4").write_bytes(lz4.frame.compress(_ns_lines(3, T0 + 1000)))
    (tmp_path / "README.md").write_text("# not a recording\n")
    (tmp_path / ".hidden.gz").write_bytes(gzip.compress(_ns_lines(3, 0)))
    stats = ReadStats()
    got = [ns for ns, _ in iter_frames(tmp_path, stats)]
    assert got == [T0 + i for i in range(20)] + [T0 + 1000 + i for i in range(3)]
    assert stats.files == 3
    assert stats.skipped_files == 1


# ---------------------------------------------------------------- describe


def test_describe_counts_channels_and_span(tmp_path: Path) -> None:
    body = (b"%d %b\n" % (T0, b'{"channel":"l2Book","data":{}}')
            + b"%d %b\n" % (T0 + 2_000_000_000, b'{"data":{},"channel":"bbo"}')
            + b"%d Websocket connection established.\n" % (T0 + 1))
    path = tmp_path / "c.gz"
    path.write_bytes(gzip.compress(body))
    desc = describe(path)
    assert desc.frames == 3
    assert desc.channels == {"l2Book": 1, "bbo": 1, "<text>": 1}
    assert desc.first_ns == T0
    assert desc.last_ns == T0 + 2_000_000_000
    assert desc.span_s == 2.0
    assert desc.out_of_order == 1


def test_channel_of_fast_and_slow_paths() -> None:
    assert channel_of(b'{"channel":"bbo","data":1}') == "bbo"
    assert channel_of(b'{ "channel" : "pong" }') == "pong"
    assert channel_of(b"[1]") == "<no channel>"
    assert channel_of(b"hello") == "<text>"


def _reference_merge(files: list[list[int]]) -> list[tuple[int, int]]:
    """The plain k-way heap merge (every frame through the heap), files admitted by their
    first time: what the streaming fast path must reproduce, ties included."""
    planned = sorted((f[0], f"f{i:02d}", i) for i, f in enumerate(files) if f)
    heap: list[tuple[int, int, int, int]] = []  # (ns, seq, file, index)
    seq = nxt = 0
    out: list[tuple[int, int]] = []
    while heap or nxt < len(planned):
        while nxt < len(planned) and (not heap or planned[nxt][0] <= heap[0][0]):
            i = planned[nxt][2]
            nxt += 1
            heapq.heappush(heap, (files[i][0], seq, i, 0))
            seq += 1
        ns, _, i, k = heapq.heappop(heap)
        out.append((ns, i))
        if k + 1 < len(files[i]):
            heapq.heappush(heap, (files[i][k + 1], seq, i, k + 1))
            seq += 1
    return out


@settings(max_examples=40, deadline=None)
@given(st.lists(st.lists(st.integers(0, 30), min_size=1, max_size=12).map(sorted),
                min_size=1, max_size=4))
def test_directory_merge_equals_the_plain_heap_merge(files: list[list[int]]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for i, times in enumerate(files):
            body = b"".join(b"%d %b\n" % (T0 + t, b'{"file":%d}' % i) for t in times)
            (folder / f"f{i:02d}.gz").write_bytes(gzip.compress(body))
        got = [(ns - T0, orjson.loads(raw)["file"]) for ns, raw in iter_frames(folder)]
    assert got == _reference_merge(files)
