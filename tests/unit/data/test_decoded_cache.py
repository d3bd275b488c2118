"""The decoded-recording cache: a replay from the cache is the replay from the raw frames
(same events, counters and backtest result); a changed recording, a damaged entry and an
interrupted build never serve stale or partial events."""

from __future__ import annotations

import logging
import os
import shutil
from pathlib import Path
from typing import Any

import pytest

from hyperliquid_ofi_trader.backtest.decoded_frames import open_decoded
from hyperliquid_ofi_trader.backtest.runner import record_synthetic, run_backtest
from hyperliquid_ofi_trader.config import load_config
from hyperliquid_ofi_trader.data.coin_scan import MissingCoinError
from hyperliquid_ofi_trader.data.decoded_cache import CACHE_ENV, default_cache_dir
from hyperliquid_ofi_trader.data.replay_sources import ReadStats, iter_frames
from hyperliquid_ofi_trader.venues.hyperliquid.websocket.codec import HyperliquidCodec

COINS = frozenset({"BTC", "ETH"})


@pytest.fixture(scope="module")
def recording(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("synthetic") / "data"
    assert record_synthetic(path, 30.0, seed=9) > 300
    return path


def _entries(cache: Path) -> list[Path]:
    return sorted(cache.glob("*.hlofi-decoded"))


def _replay(data: Path, cache: Path | None, traded: tuple[str, ...] = ("BTC",),
            ) -> tuple[list[Any], HyperliquidCodec, ReadStats]:
    codec, stats = HyperliquidCodec(COINS), ReadStats()
    _, frames = open_decoded(data, stats, codec, traded, cache)
    return list(frames), codec, stats


def _direct(data: Path) -> tuple[list[Any], HyperliquidCodec, ReadStats]:
    codec, stats = HyperliquidCodec(COINS), ReadStats()
    frames = [(ns, codec.decode(raw, ns)) for ns, raw in iter_frames(data, stats)]
    return frames, codec, stats


def _same(a: tuple[list[Any], HyperliquidCodec, ReadStats],
          b: tuple[list[Any], HyperliquidCodec, ReadStats]) -> None:
    assert a[0] == b[0]
    assert (a[1].frames, a[1].events_by_type, a[1].rejections) == (
        b[1].frames, b[1].events_by_type, b[1].rejections)
    assert a[2] == b[2]


def test_cached_replay_equals_decoding_the_frames(recording: Path, tmp_path: Path) -> None:
    direct = _direct(recording)
    built = _replay(recording, tmp_path)
    assert len(_entries(tmp_path)) == 1
    _same(built, direct)
    _same(_replay(recording, tmp_path), direct)  # read back from the entry


def test_rejections_and_damage_counts_come_back(tmp_path: Path) -> None:
    data = tmp_path / "rec.ndjson"
    good = (b'{"channel":"trades","data":[{"coin":"BTC","side":"B","px":"100.0","sz":"1",'
            b'"time":1700000000000,"hash":"0x1","tid":1}]}')
    data.write_bytes(b"1700000000000000000 " + good + b"\n"
                     b"1700000000100000000 {\"channel\":\"nope\",\"data\":{}}\n"
                     b"this line is not a frame\n"
                     b"1700000000200000000 " + good.replace(b"BTC", b"DOGE") + b"\n")
    cache = tmp_path / "cache"
    direct = _direct(data)
    assert direct[1].rejections
    assert direct[2].malformed == 1
    _same(_replay(data, cache), direct)
    _same(_replay(data, cache), direct)


def test_a_changed_recording_is_decoded_again(recording: Path, tmp_path: Path) -> None:
    data = tmp_path / "copy"
    shutil.copytree(recording, data)
    cache = tmp_path / "cache"
    _replay(data, cache)
    first = _entries(cache)
    other = tmp_path / "other"
    record_synthetic(other, 30.0, seed=10)
    (target,) = data.glob("*.ndjson.zst")
    (source,) = other.glob("*.ndjson.zst")
    before = target.stat()
    target.write_bytes(source.read_bytes())
    # Same name and modification time, other bytes: only a content key tells them apart.
    os.utime(target, ns=(before.st_atime_ns, before.st_mtime_ns))
    changed = _replay(data, cache)
    _same(changed, _direct(data))
    assert len(_entries(cache)) == 2
    assert first[0] in _entries(cache)


@pytest.mark.parametrize("damage", ["flip", "truncate", "garbage"])
def test_a_damaged_entry_is_rebuilt_with_a_logged_message(
        recording: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture, damage: str) -> None:
    _replay(recording, tmp_path)
    (entry,) = _entries(tmp_path)
    raw = bytearray(entry.read_bytes())
    if damage == "flip":
        raw[len(raw) // 2] ^= 0x40
    elif damage == "truncate":
        del raw[-1000:]
    else:
        raw[:] = b"not a cache file at all"
    entry.write_bytes(bytes(raw))
    with caplog.at_level(logging.WARNING):
        again = _replay(recording, tmp_path)
    assert "unusable" in caplog.text
    assert str(entry) in caplog.text
    _same(again, _direct(recording))
    assert _entries(tmp_path) == [entry]
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        _same(_replay(recording, tmp_path), _direct(recording))  # the rebuilt entry serves
    assert "unusable" not in caplog.text


def test_an_interrupted_replay_leaves_no_entry(recording: Path, tmp_path: Path) -> None:
    codec, stats = HyperliquidCodec(COINS), ReadStats()
    _, frames = open_decoded(recording, stats, codec, ("BTC",), tmp_path)
    next(frames)
    frames.close()
    assert list(tmp_path.iterdir()) == []


def test_missing_coin_is_refused_from_the_cache_too(recording: Path, tmp_path: Path) -> None:
    _replay(recording, tmp_path)
    with pytest.raises(MissingCoinError, match="SOL"):
        _replay(recording, tmp_path, traded=("SOL",))


def test_backtest_result_is_the_same_from_the_cache(recording: Path, tmp_path: Path) -> None:
    cfg = load_config(None)
    cache = tmp_path / "cache"

    def run(name: str, decoded_cache: Path | bool) -> dict[str, Any]:
        result = run_backtest(cfg, recording, tmp_path / name, seed=2,
                              decoded_cache=decoded_cache)  # type: ignore[arg-type]
        out = result.as_dict()
        for key in ("wall_s", "out_dir", "journal", "events_per_s"):
            out.pop(key)
        return out

    off = run("off", False)
    assert run("build", cache) == off
    assert len(_entries(cache)) == 1
    assert run("hit", cache) == off
    limited = run_backtest(cfg, recording, tmp_path / "limited", seed=2, limit=50,
                           decoded_cache=tmp_path / "limited-cache")
    assert limited.frames == 50
    assert not (tmp_path / "limited-cache").exists()


def test_cache_folder_from_the_environment(monkeypatch: pytest.MonkeyPatch,
                                           tmp_path: Path) -> None:
    monkeypatch.setenv(CACHE_ENV, str(tmp_path / "here"))
    assert default_cache_dir() == tmp_path / "here"
    monkeypatch.setenv(CACHE_ENV, "off")
    assert default_cache_dir() is None
    monkeypatch.delenv(CACHE_ENV)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert default_cache_dir() == tmp_path / "xdg" / "hyperliquid_ofi_trader" / "decoded"
