"""Config that means what it says: every key is read by a component, and the keys that
used to be validated and ignored (feed liveness, OFI levels, the journal's place) act.

The audit (config/consumer_audit.py) is checked twice: on the package (no unread key) and
on small synthetic models and sources (it finds an unread key, and each way of reading a
key it understands counts as a read), so the audit itself cannot pass by accident.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest
from pydantic import Field
from typer.testing import CliRunner

from hyperliquid_ofi_trader.config import build_config
from hyperliquid_ofi_trader.config.base import FrozenModel
from hyperliquid_ofi_trader.config.consumer_audit import unread_keys
from hyperliquid_ofi_trader.core.events import BookSnapshot, Level
from hyperliquid_ofi_trader.data.orderbook import OrderBook
from hyperliquid_ofi_trader.runtime.assembly import build_signals
from hyperliquid_ofi_trader.signals.ofi import IntegratedOFI, OFICalculator, OfiSignal
from hyperliquid_ofi_trader.signals.stage import SignalSuite
from hyperliquid_ofi_trader.venues.hyperliquid.websocket.client import (
    HyperliquidWsClient,
    WsClientConfig,
)

MS = 1_000_000
S = 1_000_000_000


# ---------------------------------------------------------------- the audit on the package


def test_every_config_key_is_read_by_a_component() -> None:
    assert unread_keys() == []


# ---------------------------------------------------------------- the audit finds unread keys


class _Leaf(FrozenModel):
    x: int = Field(default=1)
    y: int = Field(default=2)


class _Coin(FrozenModel):
    x: int = Field(default=1)
    y: int = Field(default=2)


class _Pair(FrozenModel):
    lo: int = Field(default=1)
    hi: int = Field(default=2)

    def span(self) -> int:
        return self.hi - self.lo


class _Root(FrozenModel):
    a: int = Field(default=1)
    unread: int = Field(default=2)
    leaf: _Leaf = Field(default_factory=_Leaf)
    pair: _Pair = Field(default_factory=_Pair)
    coins: Mapping[str, _Coin] = Field(default_factory=dict)


def _unread(*sources: str) -> list[str]:
    return unread_keys([(f"m{i}.py", s) for i, s in enumerate(sources)], root=_Root)


def test_a_key_nothing_reads_is_reported() -> None:
    assert _unread("def f(cfg: _Root) -> int:\n    return cfg.a\n") == [
        "coins.*.x", "coins.*.y", "leaf.x", "leaf.y", "pair.hi", "pair.lo", "unread"]


def test_every_way_of_reading_a_key_counts() -> None:
    sources = (
        # an alias of a sub-model, a tuple assignment, a model method (span reads lo, hi)
        "def f(cfg: _Root) -> int:\n"
        "    leaf, pair = cfg.leaf, cfg.pair\n"
        "    return leaf.x + pair.span() + cfg.a\n",
        # self attribute set from an annotated parameter; a loop over a mapping of models
        "class C:\n"
        "    def __init__(self, config: _Root | None) -> None:\n"
        "        self.cfg = config\n"
        "    def g(self) -> int:\n"
        "        return sum(spec.y for _, spec in self.cfg.coins.items()) + self.cfg.unread\n",
        # the return value of a function annotated as returning a model; .get() on a mapping
        "def load() -> _Root: ...\n"
        "def h() -> int:\n"
        "    spec = load().coins.get('BTC')\n"
        "    return spec.x + load().leaf.y\n",
    )
    assert _unread(*sources) == []


def test_a_section_imported_under_another_name_is_still_read() -> None:
    source = ("from typing import TYPE_CHECKING\n"
              "if TYPE_CHECKING:\n"
              "    from m import _Leaf as LeafSection\n"
              "class C:\n"
              "    def __init__(self, section: LeafSection) -> None:\n"
              "        self.x = section.x\n")
    assert "leaf.x" not in _unread(source)
    assert "leaf.y" in _unread(source)


def test_a_section_read_through_the_component_that_holds_it_is_read() -> None:
    """CostModel keeps its section (`settings: CostThresholds`); the router reads
    `costs.settings.min_margin_bps` off a `costs: CostModel` it was handed."""
    component = ("class Model:\n"
                 "    settings: _Leaf\n")
    user = ("class User:\n"
            "    def __init__(self, model: Model | None) -> None:\n"
            "        self._model = model\n"
            "    def f(self, model: Model) -> int:\n"
            "        return model.settings.x\n"
            "    def g(self) -> int:\n"
            "        return self._model.settings.y\n")
    assert {"leaf.x", "leaf.y"}.isdisjoint(_unread(component, user))
    assert {"leaf.x", "leaf.y"} <= set(_unread(user))  # Model unknown: nothing is read
    assert "leaf.x" in _unread(component, "def f(model: Model) -> int:\n"
                                          "    return model.other.x\n")


def test_a_model_class_used_twice_is_refused() -> None:
    class _Twice(FrozenModel):
        one: _Leaf = Field(default_factory=_Leaf)
        two: _Leaf = Field(default_factory=_Leaf)

    with pytest.raises(ValueError, match="used at two places"):
        unread_keys([], root=_Twice)


def test_a_name_that_only_looks_alike_is_not_a_read() -> None:
    # `x` of some other object is not `leaf.x`: reads are resolved through the model types
    assert "leaf.x" in _unread("def f(other: object, cfg: _Root) -> int:\n"
                               "    return other.x + cfg.a\n")


# ---------------------------------------------------------------- thresholds.feed


def test_feed_keys_reach_the_websocket_watchdog() -> None:
    cfg = build_config({"thresholds.yaml": {"feed": {"stale_factor": 2.5, "ping_interval_s": 20,
                                                     "cadence_ms": {"bbo": 1000,
                                                                    "trades": 4000}}}})
    ws_cfg = WsClientConfig.from_config(cfg)
    client = HyperliquidWsClient("ws://127.0.0.1:1/ws", [], lambda raw, ns: [], lambda e: None,
                                 config=ws_cfg)
    dog = client.watchdog
    assert dog.limit_ns("bbo:ETH") == 2_500 * MS
    assert dog.limit_ns("trades:BTC") == 10 * S  # 2.5 x 4000 ms
    assert dog.limit_ns("l2Book:ETH") == int(2.5 * 5_000 * MS)
    assert dog.limit_ns("activeAssetCtx:ETH") == int(2.5 * 10_000 * MS)
    assert dog.limit_ns("orderUpdates") == 0  # private channels: event-driven, never stale
    assert ws_cfg.ping_interval_s == 20


def test_packaged_feed_defaults_are_the_ones_watched() -> None:
    dog = HyperliquidWsClient("ws://127.0.0.1:1/ws", [], lambda raw, ns: [], lambda e: None,
                              config=WsClientConfig.from_config(build_config({}))).watchdog
    assert dog.limit_ns("bbo:ETH") == 6 * S  # 3 x 2000 ms, not the client's 15 s
    assert dog.limit_ns("trades:ETH") == 90 * S  # not "never"


def test_websocket_keys_reach_the_client() -> None:
    cfg = build_config({"risk.yaml": {"websocket": {
        "tick_s": 0.01, "silence_timeout_s": 3.0, "ack_timeout_s": 4.0, "open_timeout_s": 5.0,
        "close_timeout_s": 0.5, "max_messages": 900, "message_window_s": 30.0,
        "control_reserve": 50, "max_frame_bytes": 2**20,
        "reconnect": {"base_s": 0.1, "max_s": 2.0, "healthy_after_s": 9.0,
                      "max_connects": 12, "window_s": 20.0}}}})
    ws_cfg = WsClientConfig.from_config(cfg)
    assert (ws_cfg.tick_s, ws_cfg.silence_timeout_s, ws_cfg.ack_timeout_s) == (0.01, 3.0, 4.0)
    assert (ws_cfg.open_timeout_s, ws_cfg.close_timeout_s) == (5.0, 0.5)
    assert (ws_cfg.max_messages, ws_cfg.message_window_s, ws_cfg.control_reserve) == (
        900, 30.0, 50)
    assert ws_cfg.max_frame_bytes == 2**20
    assert ws_cfg.backoff == cfg.risk.websocket.reconnect
    assert ws_cfg.stale_factor == 3.0  # the feed section's, untouched
    client = HyperliquidWsClient("ws://127.0.0.1:1/ws", [], lambda raw, ns: [], lambda e: None,
                                 config=ws_cfg)
    assert client.connect_limiter.limit == 12
    assert client.message_limiter.limit == 900


# ---------------------------------------------------------------- thresholds.ofi


def _book_suite(overrides: dict[str, object]) -> tuple[SignalSuite, dict[str, OrderBook]]:
    cfg = build_config({"thresholds.yaml": {"ofi": overrides}})
    books = {c: OrderBook(c) for c in ("BTC", "ETH")}
    return build_signals(cfg, books, None), books


def _snapshot(ns: int, level3_bid: float) -> BookSnapshot:
    bids: tuple[Level, ...] = ((2000.0, 5.0, 1), (1999.9, 5.0, 1), (1999.8, level3_bid, 1),
                               (1999.7, 5.0, 1), (1999.6, 5.0, 1))
    asks: tuple[Level, ...] = tuple((2000.1 + i / 10, 5.0, 1) for i in range(5))
    return BookSnapshot(exchange_ns=ns, local_ns=ns, coin="ETH", bids=bids, asks=asks)


def _ofi_after_level3_change(overrides: dict[str, object]) -> float:
    suite, books = _book_suite(overrides)
    out: Mapping[str, float] = {}
    for i, size in enumerate((5.0, 15.0)):
        snap = _snapshot((i + 1) * MS, size)
        books["ETH"].apply_snapshot(snap)
        out = suite.update("ETH", snap, snap.local_ns)
    return out["ofi"]


def _ofi_of(suite: SignalSuite) -> OFICalculator | IntegratedOFI:
    signal = suite._coins["ETH"].signals["ofi"]
    assert isinstance(signal, OfiSignal)
    return signal.ofi


def test_ofi_levels_and_integrated_reach_the_signal_stage() -> None:
    l1, _ = _book_suite({"levels": 1})
    assert isinstance(_ofi_of(l1), OFICalculator)
    multi, _ = _book_suite({"levels": 5})
    ofi = _ofi_of(multi)
    assert isinstance(ofi, IntegratedOFI)
    assert ofi.weights == (0.2,) * 5
    fitted, _ = _book_suite({"levels": 3, "integrated": True,
                             "integration_weights": [0.6, 0.3, 0.1]})
    ofi = _ofi_of(fitted)
    assert isinstance(ofi, IntegratedOFI)
    assert ofi.weights == pytest.approx((0.6, 0.3, 0.1))


def test_a_change_deeper_than_level_1_moves_multi_level_ofi_only() -> None:
    assert _ofi_after_level3_change({"levels": 1}) == 0.0
    assert _ofi_after_level3_change({"levels": 5}) > 0.0


# ---------------------------------------------------------------- risk.journal.path


def test_journal_path_is_inside_the_run_folder_unless_absolute(tmp_path: Path) -> None:
    cfg = build_config({})
    assert cfg.risk.journal.in_run_dir(tmp_path) == tmp_path / "journal.sqlite"
    shared = tmp_path / "all" / "j.sqlite"
    custom = build_config({"risk.yaml": {"journal": {"path": str(shared)}}})
    assert custom.risk.journal.in_run_dir(tmp_path / "run") == shared


# ---------------------------------------------------------------- logging


@pytest.fixture
def root_logger() -> Iterator[logging.Logger]:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield root
    root.handlers[:] = handlers
    root.setLevel(level)


def test_the_cli_installs_logging_so_info_records_are_kept(
        root_logger: logging.Logger) -> None:
    from hyperliquid_ofi_trader.cli.registry import register_all
    from hyperliquid_ofi_trader.main import app

    register_all(app)
    result = CliRunner().invoke(app, ["--log-format", "json", "config", "show"])
    assert result.exit_code == 0, result.output
    assert root_logger.level == logging.INFO
    assert any(getattr(h, "_hlofi_handler", False) for h in root_logger.handlers)
    quiet = CliRunner().invoke(app, ["--log-level", "error", "config", "show"])
    assert quiet.exit_code == 0, quiet.output
    assert root_logger.level == logging.ERROR
