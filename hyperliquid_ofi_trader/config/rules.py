"""Cross-field rule violations raised by the config models' validators.

Pydantic reports a validator's failure at the location of the model that owns the
validator, with no way to point at the keys involved. A rule that spans several keys
(lead vs lag, enter vs exit) therefore raises `ConfigRuleError`, which carries the exact
keys and values; `config.errors` turns it into `file: key = value: rule` lines.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from hyperliquid_ofi_trader.errors import OurBugError

KeyPath = tuple[str | int, ...]


def render_key(path: KeyPath) -> str:
    """`("limits", "max_position_usd", "ETH")` -> `limits.max_position_usd.ETH`; ints -> `[i]`."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else part
    return out


@dataclass(frozen=True, slots=True)
class Violation:
    """One broken rule: the keys involved (relative to the validating model) and why."""

    fields: tuple[tuple[KeyPath, object], ...]
    rule: str

    def describe(self) -> str:
        keys = ", ".join(f"{render_key(path)} = {value}" for path, value in self.fields)
        return f"{keys}: {self.rule}"


class ConfigRuleError(OurBugError, ValueError):
    """A model validator found one or more broken cross-field rules (all listed)."""

    def __init__(self, violations: Iterable[Violation]) -> None:
        self.violations: tuple[Violation, ...] = tuple(violations)
        super().__init__("; ".join(v.describe() for v in self.violations))


def raise_if_any(violations: list[Violation]) -> None:
    """Raise every collected violation at once, so a user fixes them in one pass."""
    if violations:
        raise ConfigRuleError(violations)
