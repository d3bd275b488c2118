"""FrameRecorder: round trip, hourly rotation, crash tolerance, counters, disk errors."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import zstandard as zstd

from hyperliquid_ofi_trader.data.recording import (
    NS_PER_HOUR,
    FrameRecorder,
    RecorderClosedError,
    RecordingDiskError,
    hour_stamp,
    recording_name,
)
from hyperliquid_ofi_trader.data.replay_sources import ReadStats, iter_frames

# 2026-11-25 04:00:00 UTC
HOUR_04 = 1_795_579_200 * 1_000_000_000


def _frame(i: int) -> bytes:
    return b'{"channel":"bbo","data":{"coin":"BTC","i":%d}}' % i


def _decompress_all(path: Path) -> bytes:
    with path.open("rb") as fh:
        reader = zstd.ZstdDecompressor().stream_reader(fh, read_across_frames=True)
        return reader.read()


def test_hour_stamp_and_names() -> None:
    assert hour_stamp(HOUR_04) == "20261125T04"
    assert hour_stamp(HOUR_04 + NS_PER_HOUR - 1) == "20261125T04"
    assert hour_stamp(HOUR_04 + NS_PER_HOUR) == "20261125T05"
    assert recording_name("frames", HOUR_04) == "frames-20261125T04.ndjson.zst"
    assert recording_name("x", HOUR_04, 2) == "x-20261125T04.2.ndjson.zst"


def test_round_trip_bytes_and_str(tmp_path: Path) -> None:
    sent = [(HOUR_04 + i * 1000, _frame(i)) for i in range(200)]
    with FrameRecorder(tmp_path) as rec:
        for ns, raw in sent:
            rec.write(raw if ns % 2000 else raw.decode(), ns)
        assert rec.frames == 200
    stats = ReadStats()
    assert list(iter_frames(tmp_path / "frames-20261125T04.ndjson.zst", stats)) == sent
    assert stats.truncated_files == 0
    assert stats.malformed == 0


def test_file_format_is_plain_ns_space_frame_lines(tmp_path: Path) -> None:
    with FrameRecorder(tmp_path, prefix="rec") as rec:
        rec.write(b'{"a":1}', HOUR_04 + 5)
        rec.write("Websocket connection established.", HOUR_04 + 6)
    text = _decompress_all(tmp_path / "rec-20261125T04.ndjson.zst")
    assert text == (b'%d {"a":1}\n%d Websocket connection established.\n'
                    % (HOUR_04 + 5, HOUR_04 + 6))


def test_rotation_across_hour_boundary(tmp_path: Path) -> None:
    times = [HOUR_04 + NS_PER_HOUR - 2, HOUR_04 + NS_PER_HOUR - 1,
             HOUR_04 + NS_PER_HOUR, HOUR_04 + NS_PER_HOUR + 7]
    with FrameRecorder(tmp_path) as rec:
        for i, ns in enumerate(times):
            rec.write(_frame(i), ns)
        assert rec.files == 2
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == ["frames-20261125T04.ndjson.zst", "frames-20261125T05.ndjson.zst"]
    first = list(iter_frames(tmp_path / names[0]))
    assert [ns for ns, _ in first] == times[:2]
    # The directory reads back as one stream in time order.
    assert [ns for ns, _ in iter_frames(tmp_path)] == times


def test_backward_jitter_across_boundary_stays_in_current_file(tmp_path: Path) -> None:
    with FrameRecorder(tmp_path) as rec:
        rec.write(_frame(0), HOUR_04 + NS_PER_HOUR + 1)
        rec.write(_frame(1), HOUR_04 + NS_PER_HOUR - 1)  # wall clock stepped back
        assert rec.files == 1
    assert [p.name for p in tmp_path.iterdir()] == ["frames-20261125T05.ndjson.zst"]


def test_restart_in_same_hour_never_appends_to_existing_file(tmp_path: Path) -> None:
    with FrameRecorder(tmp_path) as rec:
        rec.write(_frame(0), HOUR_04 + 1)
    with FrameRecorder(tmp_path) as rec:
        rec.write(_frame(1), HOUR_04 + 2)
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == ["frames-20261125T04.1.ndjson.zst", "frames-20261125T04.ndjson.zst"]
    assert [f for _, f in iter_frames(tmp_path)] == [_frame(0), _frame(1)]


def test_each_frame_is_readable_before_close(tmp_path: Path) -> None:
    """Per-frame FLUSH_BLOCK: what a SIGKILL would leave is already complete on disk."""
    rec = FrameRecorder(tmp_path)
    for i in range(50):
        rec.write(_frame(i), HOUR_04 + i)
        assert rec.path is not None
        stats = ReadStats()
        got = list(iter_frames(rec.path, stats))
        assert len(got) == i + 1
        assert stats.truncated_files == 1  # no frame epilogue yet: counted, not fatal
    rec.close()


def test_flush_every_buffers_until_flush(tmp_path: Path) -> None:
    rec = FrameRecorder(tmp_path, flush_every=10)
    for i in range(15):
        rec.write(_frame(i), HOUR_04 + i)
    assert rec.path is not None
    path = rec.path
    assert len(list(iter_frames(path))) == 10
    rec.flush()
    assert len(list(iter_frames(path))) == 15
    rec.close()
    assert len(list(iter_frames(path))) == 15


def test_newlines_are_neutralised_and_empty_frames_rejected(tmp_path: Path) -> None:
    with FrameRecorder(tmp_path) as rec:
        rec.write(b'{"a":\n1}', HOUR_04)
        rec.write(b"", HOUR_04 + 1)
        rec.write(_frame(2), HOUR_04 + 2)
        assert rec.newlines_replaced == 1
        assert rec.empty_rejected == 1
        assert rec.frames == 2
    frames = [f for _, f in iter_frames(tmp_path)]
    assert frames == [b'{"a": 1}', _frame(2)]


def test_counters_track_bytes(tmp_path: Path) -> None:
    with FrameRecorder(tmp_path) as rec:
        rec.write(b"abc", 7 + HOUR_04)
        line_len = len(b"%d abc\n" % (7 + HOUR_04))
        assert rec.bytes == line_len
    path = tmp_path / "frames-20261125T04.ndjson.zst"
    assert rec.compressed_bytes == path.stat().st_size


def test_write_after_close_raises_and_close_is_idempotent(tmp_path: Path) -> None:
    rec = FrameRecorder(tmp_path)
    rec.close()
    rec.close()
    with pytest.raises(RecorderClosedError):
        rec.write(b"{}", HOUR_04)


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"prefix": ""}, "prefix"),
    ({"prefix": "a/b"}, "prefix"),
    ({"flush_every": 0}, "flush_every"),
    ({"level": 0}, "level"),
])
def test_invalid_settings_rejected(tmp_path: Path, kwargs: dict[str, object], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        FrameRecorder(tmp_path, **kwargs)  # type: ignore[arg-type]


@pytest.mark.skipif(os.geteuid() == 0, reason="root ignores directory permissions")
def test_unwritable_directory_is_a_disk_error(tmp_path: Path) -> None:
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        rec = FrameRecorder(locked)
        with pytest.raises(RecordingDiskError, match="create"):
            rec.write(b"{}", HOUR_04)
    finally:
        locked.chmod(0o700)


def test_out_dir_that_is_a_file_is_a_disk_error(tmp_path: Path) -> None:
    blocker = tmp_path / "blocker"
    blocker.write_text("x")
    with pytest.raises(RecordingDiskError, match="create directory"):
        FrameRecorder(blocker / "sub")


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
def test_disk_full_raises_typed_error_and_recovers_on_next_write(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rec = FrameRecorder(tmp_path)
    rec.write(_frame(0), HOUR_04)
    real_open = os.open
    full = real_open("/dev/full", os.O_WRONLY)
    try:
        # Swap the recorder's descriptor for /dev/full, which fails every write with ENOSPC.
        os.dup2(full, rec._fd)
        with pytest.raises(RecordingDiskError, match="No space left"):
            rec.write(_frame(1), HOUR_04 + 1)
    finally:
        os.close(full)
    assert rec.path is None  # abandoned
    rec.write(_frame(2), HOUR_04 + 2)  # a fresh file
    rec.close()
    assert rec.files == 2
    got = [f for _, f in iter_frames(tmp_path / "frames-20261125T04.1.ndjson.zst")]
    assert got == [_frame(2)]
