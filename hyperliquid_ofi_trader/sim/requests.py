"""Parsing of `/exchange` bodies into typed requests, before anything is executed.

The venue deserialises the whole body first: a body whose shape is wrong (missing keys,
wrong types, unknown tif, malformed cloid) is refused as a whole with HTTP 422 and the
deserialisation text, and nothing in it runs. Value checks that depend on state (tick,
lot, margin, ...) come later, per order, in the venue.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, Final

from hyperliquid_ofi_trader.errors import OurBugError

_CLOID: Final = re.compile(r"0x[0-9a-fA-F]{32}")
_NUMBER: Final = re.compile(r"-?[0-9]+(\.[0-9]+)?")
TIFS: Final = frozenset({"Alo", "Ioc", "Gtc"})


class BadRequestError(OurBugError, ValueError):
    """The body does not deserialise into the venue's types (the caller's bug)."""


@dataclass(frozen=True, slots=True)
class OrderReq:
    asset: int
    is_buy: bool
    px: Decimal
    sz: Decimal
    reduce_only: bool
    tif: str  # "Alo" | "Ioc" | "Gtc", or "trigger" for trigger orders (not emulated)
    cloid: str | None


@dataclass(frozen=True, slots=True)
class Envelope:
    action: dict[str, Any]
    kind: str
    nonce: int
    signature: Any
    vault_address: str | None
    expires_after: int | None


def _int(value: Any, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise BadRequestError(f"{what} must be an integer")
    return value


def _bool(value: Any, what: str) -> bool:
    if not isinstance(value, bool):
        raise BadRequestError(f"{what} must be a boolean")
    return value


def _decimal(value: Any, what: str) -> Decimal:
    if not isinstance(value, str) or not _NUMBER.fullmatch(value):
        raise BadRequestError(f"{what} must be a decimal string")
    try:
        return Decimal(value)
    except InvalidOperation as exc:  # unreachable after the regex, kept for safety
        raise BadRequestError(f"{what} is not a number") from exc


def cloid(value: Any) -> str:
    if not isinstance(value, str) or not _CLOID.fullmatch(value):
        raise BadRequestError("cloid must be 0x followed by 32 hex digits")
    return value.lower()


def envelope(body: Any) -> Envelope:
    if not isinstance(body, dict):
        raise BadRequestError("body must be an object")
    action = body.get("action")
    if not isinstance(action, dict) or not isinstance(action.get("type"), str):
        raise BadRequestError("action must be an object with a type")
    vault = body.get("vaultAddress")
    expires = body.get("expiresAfter")
    if vault is not None and not isinstance(vault, str):
        raise BadRequestError("vaultAddress must be a string or null")
    return Envelope(action, action["type"], _int(body.get("nonce"), "nonce"),
                    body.get("signature"), vault.lower() if vault else None,
                    None if expires is None else _int(expires, "expiresAfter"))


def _tif(order_type: Any) -> str:
    if not isinstance(order_type, dict):
        raise BadRequestError("t must be an object")
    if "trigger" in order_type:
        return "trigger"
    limit = order_type.get("limit")
    tif = limit.get("tif") if isinstance(limit, dict) else None
    if tif not in TIFS:
        raise BadRequestError(f"unknown tif {tif!r}")
    return str(tif)


def order(wire: Any) -> OrderReq:
    if not isinstance(wire, dict):
        raise BadRequestError("order must be an object")
    try:
        c = wire.get("c")
        return OrderReq(
            asset=_int(wire["a"], "a"), is_buy=_bool(wire["b"], "b"),
            px=_decimal(wire["p"], "p"), sz=_decimal(wire["s"], "s"),
            reduce_only=_bool(wire["r"], "r"), tif=_tif(wire["t"]),
            cloid=None if c is None else cloid(c))
    except KeyError as exc:
        raise BadRequestError(f"order is missing {exc.args[0]!r}") from exc


def _list(action: dict[str, Any], key: str) -> list[Any]:
    value = action.get(key)
    if not isinstance(value, list):
        raise BadRequestError(f"{key} must be a list")
    return value


def orders(action: dict[str, Any]) -> list[OrderReq]:
    grouping = action.get("grouping", "na")
    if grouping != "na":
        raise BadRequestError(f"grouping {grouping!r} is not emulated")
    return [order(w) for w in _list(action, "orders")]


def cancels(action: dict[str, Any]) -> list[tuple[int, int]]:
    out = []
    for c in _list(action, "cancels"):
        if not isinstance(c, dict):
            raise BadRequestError("cancel must be an object")
        out.append((_int(c.get("a"), "a"), _int(c.get("o"), "o")))
    return out


def cancels_by_cloid(action: dict[str, Any]) -> list[tuple[int, str]]:
    out = []
    for c in _list(action, "cancels"):
        if not isinstance(c, dict):
            raise BadRequestError("cancel must be an object")
        out.append((_int(c.get("asset"), "asset"), cloid(c.get("cloid"))))
    return out


def modifies(action: dict[str, Any]) -> list[tuple[int | str, OrderReq]]:
    out: list[tuple[int | str, OrderReq]] = []
    for m in _list(action, "modifies"):
        if not isinstance(m, dict):
            raise BadRequestError("modify must be an object")
        target = m.get("oid")
        ident: int | str = cloid(target) if isinstance(target, str) else _int(target, "oid")
        out.append((ident, order(m.get("order"))))
    return out


def schedule_time(action: dict[str, Any]) -> int | None:
    value = action.get("time")
    return None if value is None else _int(value, "time")


def leverage(action: dict[str, Any]) -> tuple[int, bool, int]:
    return (_int(action.get("asset"), "asset"), _bool(action.get("isCross"), "isCross"),
            _int(action.get("leverage"), "leverage"))


_PARSERS: Final[dict[str, Callable[[dict[str, Any]], Any]]] = {
    "order": orders, "cancel": cancels, "cancelByCloid": cancels_by_cloid,
    "batchModify": modifies, "scheduleCancel": schedule_time, "updateLeverage": leverage,
    "noop": lambda action: None,
}


def parse_action(env: Envelope) -> Any:
    """The action's typed content (see each parser), or BadRequestError."""
    parser = _PARSERS.get(env.kind)
    if parser is None:
        raise BadRequestError(f"unknown action type {env.kind!r}")
    return parser(env.action)


def batch_len(env: Envelope) -> int:
    """How many orders/cancels the action carries (for rate-limit weights)."""
    for key in ("orders", "cancels", "modifies"):
        value = env.action.get(key)
        if isinstance(value, list):
            return len(value)
    return 1
