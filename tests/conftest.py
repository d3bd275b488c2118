"""Shared fixtures: where the real recorded data lives, and a skip when it is absent."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent


def _bench_shared_data() -> Path:
    """The benches' finder (bench/shared_data.py: HLOFI_SHARED_DATA, else the nearest
    shared/data above the checkout), so a clone nested deeper than the main checkout still
    runs its replay tests instead of skipping them all."""
    spec = importlib.util.spec_from_file_location("_hlofi_bench_shared_data",
                                                  REPO_ROOT / "bench" / "shared_data.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return Path(module.SHARED_DATA)


SHARED_DATA = _bench_shared_data()
HL_ARCHIVE_BTC = SHARED_DATA / "hyperliquid" / "archive_l2Book_BTC_20240101_12.lz4"
HL_WS_CAPTURE_BTC = SHARED_DATA / "hyperliquid" / "ws_capture_BTC_20250126.gz"
BINANCE_BTC = SHARED_DATA / "binance" / "usdm_btcusdt_20240808.gz"
BINANCE_ETH = SHARED_DATA / "binance" / "usdm_ethusdt_20240808.gz"


def require(path: Path) -> Path:
    """Return `path`, or skip the calling test with the reason when the file is absent."""
    if not path.exists():
        pytest.skip(f"recorded data not available: {path} (see ../shared/data/README.md)")
    return path


@pytest.fixture
def hl_archive_btc() -> Path:
    return require(HL_ARCHIVE_BTC)


@pytest.fixture
def hl_ws_capture_btc() -> Path:
    return require(HL_WS_CAPTURE_BTC)


@pytest.fixture
def binance_btc() -> Path:
    return require(BINANCE_BTC)


@pytest.fixture
def binance_eth() -> Path:
    return require(BINANCE_ETH)


@pytest.fixture(autouse=True)
def _private_hlofi_state_dir(tmp_path_factory: pytest.TempPathFactory,
                             monkeypatch: pytest.MonkeyPatch) -> Path:
    """Each test (and every process it starts) gets its own run registry, durable halts
    and decoded-recording cache, so parallel runs and the user's own running systems never
    see each other."""
    root = tmp_path_factory.mktemp("hlofi-state")
    monkeypatch.setenv("HLOFI_STATE_DIR", str(root))
    monkeypatch.setenv("HLOFI_DECODED_CACHE", str(root / "decoded"))
    return root
