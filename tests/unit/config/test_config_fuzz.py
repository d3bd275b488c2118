"""Any YAML-shaped override is either a valid config or one ConfigError: nothing else escapes."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from hyperliquid_ofi_trader.config.errors import ConfigError, ConfigIssue
from hyperliquid_ofi_trader.config.loader import (
    CONFIG_FILES,
    build_config,
    load_config,
    read_defaults,
)

_DEFAULTS = read_defaults()

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**12), max_value=10**12),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=8),
)
yaml_values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=6,
)


def _key_paths(tree: dict[str, Any], prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    paths = []
    for key, value in tree.items():
        paths.append((*prefix, key))
        if isinstance(value, dict):
            paths += _key_paths(value, (*prefix, key))
    return paths


_PATHS = [(name, path) for name in CONFIG_FILES for path in _key_paths(_DEFAULTS[name])]


def _nest(path: tuple[str, ...], value: object) -> dict[str, Any]:
    nested: Any = value
    for key in reversed(path):
        nested = {key: nested}
    return dict(nested)


@settings(max_examples=150, deadline=None)
@given(edits=st.lists(st.tuples(st.sampled_from(_PATHS), yaml_values), min_size=1, max_size=3))
def test_any_override_is_valid_or_a_config_error(
    edits: list[tuple[tuple[str, tuple[str, ...]], object]],
) -> None:
    overrides: dict[str, dict[str, Any]] = {}
    for (name, path), value in edits:
        overrides.setdefault(name, {}).update(_nest(path, value))
    issues: tuple[ConfigIssue, ...] = ()
    try:
        build_config(overrides)
    except ConfigError as exc:
        issues = exc.issues
        assert issues, "a ConfigError must carry at least one issue"
    for issue in issues:
        assert issue.file in CONFIG_FILES
        assert issue.problem


yaml_like_text = st.lists(
    st.sampled_from(
        ["limits:", "  max_order_usd: 50", "network: mainnet", "  - a", "on: 1", "{", "]",
         ": x", "? [a]", "kill_switch: {max_feed_lag_ms: -1}", "\t", "&a 1", "*a", "!!python/int 1",
         "---", "traded: [BTC]", "~: ~", "'", "coins:", "  XRP: {sz_decimals: 9}"]
    ),
    max_size=6,
).map("\n".join)


@settings(max_examples=100, deadline=None)
@given(
    name=st.sampled_from(CONFIG_FILES),
    text=st.one_of(yaml_like_text, st.text(max_size=40)),
)
def test_any_user_file_text_is_valid_or_a_config_error(name: str, text: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        Path(folder, name).write_text(text, encoding="utf-8")
        issues: tuple[ConfigIssue, ...] = ()
        try:
            load_config(Path(folder))
        except ConfigError as exc:
            issues = exc.issues or (ConfigIssue("?", "", ""),)
        assert all(issue.problem for issue in issues)
