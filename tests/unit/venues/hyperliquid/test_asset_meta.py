"""AssetRegistry from the venue's meta answer: ids by index, validation, round trip."""

from __future__ import annotations

from typing import Any

import pytest

from hyperliquid_ofi_trader.venues.hyperliquid.asset_meta import (
    AssetMeta,
    AssetMetaError,
    AssetRegistry,
    UnknownAssetError,
)

META: dict[str, Any] = {
    "universe": [
        {"szDecimals": 5, "name": "BTC", "maxLeverage": 40, "marginTableId": 56},
        {"szDecimals": 4, "name": "ETH", "maxLeverage": 25, "marginTableId": 55},
        {"szDecimals": 0, "name": "OLD", "maxLeverage": 3, "isDelisted": True,
         "onlyIsolated": True},
    ],
    "marginTables": [],
}


def test_ids_are_universe_indices() -> None:
    reg = AssetRegistry.from_meta(META)
    assert reg.by_name("BTC") == AssetMeta("BTC", 0, 5, 40)
    assert reg.asset_id("ETH") == 1
    assert reg.by_id(1).sz_decimals == 4
    old = reg.by_name("OLD")
    assert old.is_delisted
    assert old.only_isolated
    assert "BTC" in reg
    assert "DOGE" not in reg
    assert len(reg) == 3
    assert reg.names() == ("BTC", "ETH", "OLD")
    assert reg.get("DOGE") is None


def test_meta_and_asset_ctxs_shape_is_accepted() -> None:
    reg = AssetRegistry.from_meta([META, [{"markPx": "1"}, {"markPx": "2"}, {}]])
    assert reg.asset_id("OLD") == 2


def test_unknown_lookups_raise_key_errors() -> None:
    reg = AssetRegistry.from_meta(META)
    with pytest.raises(UnknownAssetError):
        reg.by_name("DOGE")
    for bad in (3, -1, True):
        with pytest.raises(KeyError):
            reg.by_id(bad)


def test_round_trip_through_to_meta() -> None:
    reg = AssetRegistry.from_meta(META)
    again = AssetRegistry.from_meta(reg.to_meta())
    assert list(again) == list(reg)


@pytest.mark.parametrize("meta", [
    None, {}, {"universe": {}}, {"universe": [1]}, {"universe": [{"name": ""}]},
    {"universe": [{"name": "X", "szDecimals": -1, "maxLeverage": 3}]},
    {"universe": [{"name": "X", "szDecimals": 9, "maxLeverage": 3}]},
    {"universe": [{"name": "X", "szDecimals": "5", "maxLeverage": 3}]},
    {"universe": [{"name": "X", "szDecimals": 2, "maxLeverage": 0}]},
    {"universe": [{"name": "X", "szDecimals": 2, "maxLeverage": 3},
                  {"name": "X", "szDecimals": 2, "maxLeverage": 3}]},
])
def test_malformed_meta_is_refused_with_a_reason(meta: Any) -> None:
    with pytest.raises(AssetMetaError):
        AssetRegistry.from_meta(meta)


def test_ids_must_match_positions() -> None:
    with pytest.raises(AssetMetaError):
        AssetRegistry([AssetMeta("BTC", 1, 5, 40)])
