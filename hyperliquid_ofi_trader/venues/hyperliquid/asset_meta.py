"""Perpetual asset metadata from the venue's `{"type": "meta"}` answer.

A perp's asset id is its index in `universe` (HYPERLIQUID.md §5); `szDecimals` fixes the
size step and the price decimals (`venues/hyperliquid/common/instruments.py`), `maxLeverage` caps
`updateLeverage`. Delisted entries keep their index (ids never shift), flagged so nothing
trades them.

A malformed answer is the venue's fault: `AssetMetaError` tells the caller to refetch, and
names the offending entry. An unknown coin asked of the registry is `UnknownAssetError`
(a KeyError): a configuration that names a coin the venue does not list.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Final

from hyperliquid_ofi_trader.errors import OurBugError, VenueGarbageError

MAX_SZ_DECIMALS: Final = 8


class AssetMetaError(VenueGarbageError, ValueError):
    """The venue's meta answer is malformed (refetch it; do not trade on a guess)."""


class UnknownAssetError(OurBugError, KeyError):
    """A coin name or asset id the venue does not list."""


@dataclass(frozen=True, slots=True)
class AssetMeta:
    name: str
    asset_id: int
    sz_decimals: int
    max_leverage: int
    only_isolated: bool = False
    is_delisted: bool = False

    def to_wire(self) -> dict[str, Any]:
        """The `universe` entry as the venue writes it (the emulator serves this)."""
        entry: dict[str, Any] = {"szDecimals": self.sz_decimals, "name": self.name,
                                 "maxLeverage": self.max_leverage}
        if self.only_isolated:
            entry["onlyIsolated"] = True
        if self.is_delisted:
            entry["isDelisted"] = True
        return entry


def _int_field(entry: Mapping[str, Any], key: str, index: int, lo: int, hi: int) -> int:
    value = entry.get(key)
    if type(value) is not int or not lo <= value <= hi:
        raise AssetMetaError(f"universe[{index}].{key} must be an int in [{lo}, {hi}], "
                             f"got {value!r}")
    return value


def _parse_entry(entry: object, index: int) -> AssetMeta:
    if not isinstance(entry, Mapping):
        raise AssetMetaError(f"universe[{index}] is not an object")
    name = entry.get("name")
    if not isinstance(name, str) or not name:
        raise AssetMetaError(f"universe[{index}].name must be a non-empty string")
    return AssetMeta(
        name=name, asset_id=index,
        sz_decimals=_int_field(entry, "szDecimals", index, 0, MAX_SZ_DECIMALS),
        max_leverage=_int_field(entry, "maxLeverage", index, 1, 1_000),
        only_isolated=entry.get("onlyIsolated") is True,
        is_delisted=entry.get("isDelisted") is True,
    )


class AssetRegistry:
    """Lookups by coin name and by asset id. Immutable once built."""

    __slots__ = ("_by_id", "_by_name")

    def __init__(self, assets: Iterable[AssetMeta]) -> None:
        self._by_id: tuple[AssetMeta, ...] = tuple(assets)
        self._by_name: dict[str, AssetMeta] = {}
        for i, meta in enumerate(self._by_id):
            if meta.asset_id != i:
                raise AssetMetaError(f"asset {meta.name} has id {meta.asset_id} at index {i}")
            if meta.name in self._by_name:
                raise AssetMetaError(f"coin {meta.name} is listed twice")
            self._by_name[meta.name] = meta

    @classmethod
    def from_meta(cls, meta_json: Any) -> AssetRegistry:
        """From the `meta` answer `{"universe": [...], ...}` (or `metaAndAssetCtxs`'s
        `[meta, ctxs]`)."""
        if isinstance(meta_json, list | tuple) and meta_json:
            meta_json = meta_json[0]
        universe = meta_json.get("universe") if isinstance(meta_json, Mapping) else None
        if not isinstance(universe, list):
            raise AssetMetaError("meta answer has no 'universe' list")
        return cls(_parse_entry(entry, i) for i, entry in enumerate(universe))

    def by_name(self, name: str) -> AssetMeta:
        try:
            return self._by_name[name]
        except KeyError:
            raise UnknownAssetError(f"the venue lists no perp named {name!r}") from None

    def by_id(self, asset_id: int) -> AssetMeta:
        if type(asset_id) is not int or not 0 <= asset_id < len(self._by_id):
            raise UnknownAssetError(f"the venue lists no perp with asset id {asset_id!r}")
        return self._by_id[asset_id]

    def get(self, name: str) -> AssetMeta | None:
        return self._by_name.get(name)

    def asset_id(self, name: str) -> int:
        return self.by_name(name).asset_id

    def names(self) -> tuple[str, ...]:
        return tuple(m.name for m in self._by_id)

    def to_meta(self) -> dict[str, Any]:
        """The `meta` answer for these assets (the emulator's `{"type": "meta"}`)."""
        return {"universe": [m.to_wire() for m in self._by_id]}

    def __contains__(self, name: object) -> bool:
        return name in self._by_name

    def __iter__(self) -> Iterator[AssetMeta]:
        return iter(self._by_id)

    def __len__(self) -> int:
        return len(self._by_id)

    def __repr__(self) -> str:
        return f"AssetRegistry({len(self._by_id)} perps)"
