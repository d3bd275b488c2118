"""SIGKILL a process that is recording as fast as it can: every reported frame survives.

The child writes frames through FrameRecorder in a tight loop and, every few frames,
reports on stdout how many `write` calls have returned. Once a `write` returns, its frame
has been handed to the OS (per-frame FLUSH_BLOCK), so a SIGKILL must not lose it.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from hyperliquid_ofi_trader.data.replay_sources import ReadStats, iter_frames

CHILD = r"""
import sys
from pathlib import Path
from hyperliquid_ofi_trader.data.recording import FrameRecorder

rec = FrameRecorder(Path(sys.argv[1]))
base = 1_795_579_200_000_000_000
pad = "x" * 400
i = 0
while True:
    rec.write('{"channel":"trades","data":[{"tid":%d,"pad":"%s"}]}' % (i, pad), base + i)
    i += 1
    if i % 50 == 0:
        sys.stdout.write(f"{i}\n")
        sys.stdout.flush()
"""

REPORTS_BEFORE_KILL = 40  # 2,000 frames: enough that the kill lands mid-stream


def test_sigkill_mid_stream_loses_no_reported_frame(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    child = subprocess.Popen([sys.executable, "-c", CHILD, str(tmp_path)],
                             stdout=subprocess.PIPE, text=True, env=env)
    assert child.stdout is not None
    reported = 0
    try:
        for _ in range(REPORTS_BEFORE_KILL):
            line = child.stdout.readline()
            assert line, f"child died early with code {child.poll()}"
            reported = int(line)
        child.send_signal(signal.SIGKILL)
        rest = child.stdout.read()  # whatever it reported before the signal landed
        reported = max([reported, *(int(x) for x in rest.split())])
    finally:
        child.kill()
        child.wait()
    assert child.returncode == -signal.SIGKILL

    stats = ReadStats()
    frames = list(iter_frames(tmp_path, stats))
    assert len(frames) >= reported
    # Exactly the frames written, in order, none invented or garbled.
    base = 1_795_579_200_000_000_000
    for i, (ns, raw) in enumerate(frames):
        assert ns == base + i
        assert raw.startswith(b'{"channel":"trades","data":[{"tid":%d,' % i)
    # The file was never closed: the reader saw a stream without its zstd epilogue.
    assert stats.truncated_files == 1
    assert stats.malformed == 0
