"""Per-coin thresholds (thresholds.yaml `per_coin`) and several lead-lag pairs.

The done-when of issue 15 item 7: trading a coin of another scale beside the default one
is a YAML change only; lead-lag is a list of pairs; files written for the earlier shape
(one lead-lag mapping) still load.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from hyperliquid_ofi_trader.backtest.runner import record_synthetic, run_backtest
from hyperliquid_ofi_trader.config.errors import ConfigError
from hyperliquid_ofi_trader.config.loader import build_config, load_config
from hyperliquid_ofi_trader.core.engine import EngineSettings
from hyperliquid_ofi_trader.core.events import BookSnapshot
from hyperliquid_ofi_trader.data.orderbook import OrderBook
from hyperliquid_ofi_trader.regime.build import build_coin_detector
from hyperliquid_ofi_trader.risk.kill_switch import KillSwitch
from hyperliquid_ofi_trader.runtime.assembly import build_signals
from hyperliquid_ofi_trader.signals.stage import SignalSuite
from tests.plumbing import EAGER_COSTS_YAML

MS = 1_000_000
BTC_DEPTH: dict[str, Any] = {"per_coin": {"BTC": {"regime": {"liquidity": {"enter_depth": 6.0,
                                                            "exit_depth": 3.0}}}}}
BOTH_TRADED: dict[str, dict[str, Any]] = {"symbols.yaml": {"traded": ["BTC", "ETH"]},
               "risk.yaml": {"limits": {"max_position_usd": {"BTC": 1000.0, "ETH": 1000.0}}}}


def _error(overrides: dict[str, dict[str, object]]) -> str:
    with pytest.raises(ConfigError) as info:
        build_config(overrides)
    return str(info.value)


# ------------------------------------------------------------------ per_coin


def test_a_coin_entry_sets_only_its_keys_over_the_global_regime() -> None:
    cfg = build_config({**BOTH_TRADED, "thresholds.yaml": BTC_DEPTH})
    btc, eth = cfg.thresholds.regime_for("BTC"), cfg.thresholds.regime_for("ETH")
    assert (btc.liquidity.enter_depth, btc.liquidity.exit_depth) == (6.0, 3.0)
    assert btc.liquidity.enter_spread_bps == eth.liquidity.enter_spread_bps  # not set: global
    assert btc.volatility == eth.volatility == cfg.thresholds.regime.volatility
    assert eth is cfg.thresholds.regime  # no entry: the global section itself
    assert load_config().thresholds.per_coin == {}  # the packaged default has none


def test_each_traded_coin_gets_its_own_liquidity_and_volatility_levels() -> None:
    per_coin = {"per_coin": {"BTC": {"regime": {
        "liquidity": {"enter_depth": 6.0, "exit_depth": 3.0},
        "volatility": {"high_vol_bps_per_s": 5.0, "extreme_vol_bps_per_s": 12.0}}}}}
    cfg = build_config({**BOTH_TRADED, "thresholds.yaml": per_coin})
    det = build_coin_detector(cfg.thresholds, cfg.symbols.traded)
    book = OrderBook("BTC")  # 2 x 4 BTC over 5 levels: thin for ETH's 60, liquid for 6
    book.apply_snapshot(BookSnapshot(
        exchange_ns=1, local_ns=1, coin="BTC", bids=((95_000.0, 4.0, 1),),
        asks=((95_000.5, 4.0, 1),)))
    det.on_book(book)
    assert det.coin("BTC").liquidity is not None
    assert det.coin("BTC").liquidity.level.value == "liquid"  # type: ignore[union-attr]
    # HIGH from 5 bps/sqrt(s) for BTC, 3 for ETH (the global level).
    assert det.coin("BTC").volatility._up[2] == 5.0
    assert det.coin("ETH").volatility._up[2] == 3.0


def test_per_coin_mistakes_are_named() -> None:
    message = _error({"thresholds.yaml": {"per_coin": {"BTC": {"regime": {"liquidity": {
        "enter_depth": 10.0}}}, "ETH": {"router": {"ofi_high": 3.0}}}}})
    assert ("thresholds.yaml: per_coin.BTC.regime.liquidity.enter_depth = 10.0, "
            "per_coin.BTC.regime.liquidity.exit_depth = 30.0: enter_depth must be > "
            "exit_depth") in message
    assert "thresholds.yaml: per_coin.ETH.router = {\"ofi_high\": 3.0}: unknown key" in message
    message = _error({"thresholds.yaml": {"per_coin": {"SOL": {}}}})
    assert "per_coin.SOL = SOL: not listed in symbols.yaml coins (BTC, ETH)" in message


def test_the_kill_switch_sums_each_coins_own_depth_levels() -> None:
    per_coin = {"per_coin": {"BTC": {"regime": {"liquidity": {"depth_levels": 2}}}}}
    cfg = build_config({**BOTH_TRADED, "thresholds.yaml": per_coin})
    levels = KillSwitch.from_config(cfg)
    assert (levels.depth_levels_of("BTC"), levels.depth_levels_of("ETH")) == (2, 5)
    # Deep beyond level 2 only: BTC's 2-level depth vanishes, ETH's 5-level depth does not.
    deep = tuple((100.0 - i, 10.0 if i < 2 else 100.0, 1) for i in range(5))
    shallow = tuple((100.0 - i, 0.1 if i < 2 else 100.0, 1) for i in range(5))
    asks_deep = tuple((101.0 + i, q, n) for i, (_, q, n) in enumerate(deep))
    asks_shallow = tuple((101.0 + i, q, n) for i, (_, q, n) in enumerate(shallow))
    fired: dict[str, str | None] = {}
    for coin in ("BTC", "ETH"):
        kill, why = KillSwitch.from_config(cfg), None  # one each: a fired switch stays fired
        for i in range(12):
            thin = i >= 6
            ev = BookSnapshot(exchange_ns=(i + 1) * 1_000 * MS, local_ns=(i + 1) * 1_000 * MS,
                              coin=coin, bids=shallow if thin else deep,
                              asks=asks_shallow if thin else asks_deep)
            why = why or kill.check(ev, ev.local_ns)
        fired[coin] = why
    assert fired["BTC"] is not None
    assert fired["BTC"].startswith("depth_vanish")
    assert fired["ETH"] is None


# ------------------------------------------------------------------ a coin of another scale


@pytest.fixture(scope="module")
def recording(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("synthetic") / "data"
    assert record_synthetic(path, 60.0, seed=5) > 500
    return path


def _config_dir(root: Path, per_coin: bool) -> Path:
    """BTC traded beside ETH, written as a user would: YAML files only."""
    root.mkdir()
    (root / "symbols.yaml").write_text("traded: [BTC, ETH]\n")
    (root / "risk.yaml").write_text("limits:\n  max_position_usd:\n    BTC: 1000.0\n"
                                    "    ETH: 1000.0\n")
    btc = ("per_coin:\n  BTC:\n    regime:\n      liquidity:\n        enter_depth: 6.0\n"
           "        exit_depth: 3.0\n")
    (root / "thresholds.yaml").write_text((btc if per_coin else "") + EAGER_COSTS_YAML)
    return root


def _decisions(journal: Path) -> list[tuple[str, str, str, dict[str, object]]]:
    with sqlite3.connect(journal) as db:
        rows = db.execute("SELECT coin, outcome, reason, inputs FROM decisions").fetchall()
    return [(coin, outcome, reason, json.loads(inputs)) for coin, outcome, reason, inputs in rows]


def test_btc_beside_eth_is_a_yaml_change(recording: Path, tmp_path: Path) -> None:
    cfg = load_config(_config_dir(tmp_path / "cfg", per_coin=True))
    result = run_backtest(cfg, recording, tmp_path / "run", seed=1)
    rows = _decisions(Path(result.journal))
    routed = {coin for coin, _, _, inputs in rows if "router" in inputs}
    assert routed == {"BTC", "ETH"}  # both coins reach the router
    # BTC is routed at depths below ETH's exit_depth (30): on its own thresholds.
    btc_tradable = [inputs["regime"]["depth"] for coin, _, _, inputs in rows  # type: ignore[index]
                    if coin == "BTC" and "router" in inputs]
    assert btc_tradable
    assert min(btc_tradable) < 30.0
    eth_depths = [inputs["regime"]["depth"] for coin, _, _, inputs in rows  # type: ignore[index]
                  if coin == "ETH" and "router" in inputs]
    assert min(eth_depths) > 30.0  # ETH trades on the global (ETH-sized) thresholds
    with sqlite3.connect(result.journal) as db:
        assert db.execute("SELECT count(*) FROM orders WHERE coin = 'ETH'").fetchone()[0] > 0

    thin_own = _thin_btc(rows)

    # The same run on the global (ETH-sized) thresholds: BTC is mostly too thin to trade.
    plain = load_config(_config_dir(tmp_path / "plain", per_coin=False))
    rows = _decisions(Path(run_backtest(plain, recording, tmp_path / "run2", seed=1).journal))
    btc_plain = [inputs["regime"]["depth"] for coin, _, _, inputs in rows  # type: ignore[index]
                 if coin == "BTC" and "router" in inputs]
    thin_plain = _thin_btc(rows)
    assert len(btc_plain) < len(btc_tradable) / 3
    assert thin_plain > len([r for r in rows if r[0] == "BTC"]) / 2
    assert thin_own < thin_plain / 10


def _thin_btc(rows: list[tuple[str, str, str, dict[str, object]]]) -> int:
    return sum(1 for coin, _, reason, _ in rows
               if coin == "BTC" and "liquidity_thin_depth" in reason)


def test_the_btc_eth_example_gives_btc_its_own_depths() -> None:
    cfg = load_config(Path(__file__).resolve().parents[3] / "configs" / "btc-eth")
    assert cfg.symbols.traded == ("BTC", "ETH")
    assert cfg.thresholds.regime_for("BTC").liquidity.enter_depth == 12.0
    assert cfg.thresholds.regime_for("ETH") == load_config().thresholds.regime


# ------------------------------------------------------------------ lead-lag pairs


def test_the_one_pair_mapping_of_earlier_files_still_loads(tmp_path: Path) -> None:
    (tmp_path / "symbols.yaml").write_text(
        "lead_lag:\n  lead: BTC\n  lag: ETH\n  window_ms: 200\n")
    pairs = load_config(tmp_path).symbols.lead_lag
    assert [(p.lead, p.lag, p.window_ms) for p in pairs] == [("BTC", "ETH", 200)]
    # A partial mapping merges over the default pair, as it did over the default mapping.
    (tmp_path / "symbols.yaml").write_text("lead_lag:\n  window_ms: 120\n")
    pairs = load_config(tmp_path).symbols.lead_lag
    assert [(p.lead, p.lag, p.window_ms) for p in pairs] == [("BTC", "ETH", 120)]


def _two_pairs() -> dict[str, dict[str, object]]:
    return {"symbols.yaml": {
        "coins": {"SOL": {"sz_decimals": 2, "max_leverage": 20}},
        "traded": ["ETH", "SOL"],
        "lead_lag": [{"lead": "BTC", "lag": "ETH", "window_ms": 250},
                     {"lead": "ETH", "lag": "SOL", "window_ms": 150}]},
        "risk.yaml": {"limits": {"max_position_usd": {"ETH": 1000.0, "SOL": 500.0}}}}


def test_several_pairs_each_publish_for_their_lag_coin() -> None:
    cfg = build_config(_two_pairs())
    assert cfg.symbols.lead_coins == ("BTC", "ETH")
    engine = EngineSettings.from_config(cfg)
    assert engine.needed_coins() == {"BTC", "ETH", "SOL"}
    assert engine.decision_targets()["BTC"] == ("ETH", "SOL")
    assert engine.lead_of == {"ETH": "BTC", "SOL": "ETH"}  # each decision journals its lead
    books = {c: OrderBook(c) for c in ("BTC", "ETH", "SOL")}
    suite = build_signals(cfg, books, None)
    mids = {"BTC": 95_000.0, "ETH": 3_500.0, "SOL": 200.0}
    t = 0
    for i in range(400):  # quiet co-movement, then each lead jumps: +1 for its lag coin
        for coin, mid in mids.items():
            up = (0.0005 if i % 2 else 0.0) * mid
            jump = 0.01 * mid if i == 399 and coin != "SOL" else 0.0
            _snapshot(books, suite, coin, t, mid + up + jump)
            t += 1 * MS
        t += 20 * MS
    eth, sol = suite.state("ETH"), suite.state("SOL")
    assert eth is not None
    assert sol is not None
    assert "leadlag" in eth.fresh(t)
    assert "leadlag" in sol.fresh(t)


def _snapshot(books: dict[str, OrderBook], suite: SignalSuite, coin: str, t: int,
              mid: float) -> None:
    step = mid * 1e-5
    ev = BookSnapshot(exchange_ns=t, local_ns=t, coin=coin, bids=((mid - step, 5.0, 1),),
                      asks=((mid + step, 5.0, 1),))
    books[coin].apply_snapshot(ev)
    suite.update(coin, ev, t)


def test_a_lag_coin_follows_one_lead() -> None:
    overrides = _two_pairs()
    overrides["symbols.yaml"]["lead_lag"] = [
        {"lead": "BTC", "lag": "ETH", "window_ms": 250},
        {"lead": "SOL", "lag": "ETH", "window_ms": 250}]
    message = _error(overrides)
    assert ("symbols.yaml: lead_lag[1].lag = ETH: a lag coin follows one lead: it is "
            "already the lag of an earlier pair") in message


def test_no_pairs_means_no_leadlag_signal() -> None:
    cfg = build_config({"symbols.yaml": {"lead_lag": []}})
    assert cfg.symbols.lead_coins == ()
    assert EngineSettings.from_config(cfg).needed_coins() == {"ETH"}
    suite = build_signals(cfg, {"ETH": OrderBook("ETH")}, None)
    assert suite.update("ETH", BookSnapshot(
        exchange_ns=1, local_ns=1, coin="ETH", bids=((3_500.0, 1.0, 1),),
        asks=((3_500.1, 1.0, 1),)), 1).get("leadlag") is None


def test_each_lag_coins_decision_journals_its_own_lead(tmp_path: Path) -> None:
    from hyperliquid_ofi_trader.core.clock import ReplayClock
    from hyperliquid_ofi_trader.core.journal import Journal
    from hyperliquid_ofi_trader.runtime.assembly import build_engine

    cfg = build_config(_two_pairs())
    path = tmp_path / "journal.sqlite"
    with Journal(path) as journal:
        engine, _ = build_engine(cfg, ReplayClock(0), journal)
        for i, (coin, mid) in enumerate((("BTC", 95_000.0), ("ETH", 3_500.0),
                                         ("SOL", 200.0))):
            ns = (i + 1) * MS
            engine.on_event(BookSnapshot(exchange_ns=ns, local_ns=ns, coin=coin,
                                         bids=((mid - 0.01, 5.0, 1),),
                                         asks=((mid + 0.01, 5.0, 1),)))
        engine.flush()
    leads = {coin: inputs.get("lead_book") for coin, _, _, inputs in _decisions(path)}
    assert leads["SOL"]["mid"] == pytest.approx(3_500.0)  # type: ignore[index]  # ETH
    assert leads["ETH"]["mid"] == pytest.approx(95_000.0)  # type: ignore[index]  # BTC
