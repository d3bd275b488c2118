"""Every public exception of the package sits in the tree drawn in `errors.py`."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import pytest

import hyperliquid_ofi_trader
from hyperliquid_ofi_trader.data.recording import RecordingError
from hyperliquid_ofi_trader.errors import (
    OurBugError,
    RiskRejectedError,
    TraderError,
    TransientError,
    VenueGarbageError,
)
from hyperliquid_ofi_trader.venues.hyperliquid.common.errors import VenueError
from hyperliquid_ofi_trader.venues.hyperliquid.http.info import InfoError
from hyperliquid_ofi_trader.venues.hyperliquid.websocket.client import WsError
from hyperliquid_ofi_trader.venues.hyperliquid.websocket.post import PostError

FAULTS = (OurBugError, VenueGarbageError, TransientError, RiskRejectedError)
# Families whose members differ in fault: the base only groups them.
FAMILIES = (VenueError, WsError, InfoError, PostError, RecordingError)


def public_exceptions() -> list[type[BaseException]]:
    found: list[type[BaseException]] = []
    for info in pkgutil.walk_packages(hyperliquid_ofi_trader.__path__, "hyperliquid_ofi_trader."):
        module = importlib.import_module(info.name)
        for name, obj in vars(module).items():
            if (inspect.isclass(obj) and issubclass(obj, BaseException)
                    and obj.__module__ == info.name and not name.startswith("_")):
                found.append(obj)
    return found


EXCEPTIONS = public_exceptions()


def test_the_scan_finds_the_package_exceptions() -> None:
    assert len(EXCEPTIONS) > 100


@pytest.mark.parametrize("exc", EXCEPTIONS, ids=lambda e: e.__qualname__)
def test_each_exception_has_exactly_one_fault(exc: type[BaseException]) -> None:
    assert issubclass(exc, TraderError)
    if exc in (TraderError, *FAULTS, *FAMILIES):
        return
    assert [f.__name__ for f in FAULTS if issubclass(exc, f)] != []
    assert sum(issubclass(exc, f) for f in FAULTS) == 1


def test_builtin_bases_are_kept() -> None:
    # Callers that catch ValueError / KeyError keep catching what they caught before.
    from hyperliquid_ofi_trader.config.rules import ConfigRuleError
    from hyperliquid_ofi_trader.venues.hyperliquid.asset_meta import UnknownAssetError

    assert issubclass(ConfigRuleError, ValueError)
    assert issubclass(UnknownAssetError, KeyError)
    assert str(UnknownAssetError("DOGE")) == "'DOGE'"
