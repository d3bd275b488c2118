"""Load the effective configuration: packaged defaults, overridden per key by a user folder.

`load_config(user_dir)` reads `config/defaults/{symbols,thresholds,risk}.yaml`, deep-merges
each user file over its default (a user file sets only the keys it changes; lists and
scalars replace, mappings merge key by key), validates everything at once and returns a
frozen `AppConfig`, or raises one `ConfigError` listing every problem found. Files written
for an earlier shape of a section are read into today's first (`config/legacy.py`).
"""

from __future__ import annotations

import re
from collections.abc import Hashable, Mapping
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError
from yaml.constructor import ConstructorError, SafeConstructor
from yaml.nodes import MappingNode

from hyperliquid_ofi_trader.config.base import deep_merge as deep_merge  # re-exported
from hyperliquid_ofi_trader.config.errors import (
    SECTION_FILES,
    ConfigError,
    ConfigIssue,
    issues_from_validation,
)
from hyperliquid_ofi_trader.config.legacy import upgrade_overrides
from hyperliquid_ofi_trader.config.models import AppConfig

DEFAULTS_DIR = Path(__file__).resolve().parent / "defaults"
CONFIG_FILES: tuple[str, ...] = tuple(SECTION_FILES.values())
_SECTION_BY_FILE = {file: section for section, file in SECTION_FILES.items()}

RawConfig = dict[str, dict[str, Any]]


class _StrictLoader(yaml.SafeLoader):
    """SafeLoader that refuses duplicate keys, which plain YAML silently lets win, and reads
    exponent floats the YAML 1.2 way: PyYAML's YAML 1.1 rules take `2e6` and `1.0e12` for
    strings, and the user then read "= 2e6: must be a number" about a number."""


# YAML 1.2 core schema floats (PyYAML's 1.1 rule needs a dot and a signed exponent).
_FLOAT_12 = re.compile(
    r"""^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+]?[0-9]+)?
    |[-+]?(?:[0-9][0-9_]*)(?:[eE][-+]?[0-9]+)
    |\.[0-9_]+(?:[eE][-+]?[0-9]+)?
    |[-+]?\.(?:inf|Inf|INF)
    |\.(?:nan|NaN|NAN))$""",
    re.VERBOSE,
)
_StrictLoader.add_implicit_resolver("tag:yaml.org,2002:float", _FLOAT_12,
                                    list("-+0123456789."))


def _construct_mapping(loader: _StrictLoader, node: MappingNode) -> dict[Any, Any]:
    loader.flatten_mapping(node)
    seen: set[Hashable] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=True)
        if isinstance(key, Hashable):
            if key in seen:
                raise ConstructorError(
                    "while reading a mapping",
                    node.start_mark,
                    f"duplicate key {key!r}",
                    key_node.start_mark,
                )
            seen.add(key)
    return SafeConstructor.construct_mapping(loader, node, deep=True)


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def load_config(user_dir: Path | None = None) -> AppConfig:
    """The effective configuration: defaults, overridden by `user_dir`'s files if given."""
    overrides = read_user_dir(user_dir) if user_dir is not None else {}
    return build_config(overrides, source_dir=user_dir)


def build_config(
    overrides: Mapping[str, Mapping[str, Any]], source_dir: Path | None = None
) -> AppConfig:
    """Validate the defaults deep-merged with `overrides` (keyed by file name).

    Also the way for code and tests to derive a variant, e.g.
    `build_config({"symbols.yaml": {"traded": ["BTC"]}})`: it validates, unlike
    `model_copy(update=...)`.
    """
    unknown = [ConfigIssue(name, "", _unknown_file_problem()) for name in overrides
               if name not in CONFIG_FILES]
    if unknown:
        raise ConfigError(unknown)
    defaults = read_defaults()
    overrides = upgrade_overrides(defaults, overrides)
    merged = {
        _SECTION_BY_FILE[name]: deep_merge(defaults[name], overrides.get(name, {}))
        for name in CONFIG_FILES
    }
    return validate(merged, source_dir or DEFAULTS_DIR)


def validate(sections: Mapping[str, Any], source_dir: Path) -> AppConfig:
    """Validate merged sections (`symbols`, `thresholds`, `risk`) into an AppConfig."""
    try:
        return AppConfig.model_validate({**sections, "source_dir": source_dir})
    except ValidationError as exc:
        raise ConfigError(issues_from_validation(exc, AppConfig)) from None


def read_defaults() -> RawConfig:
    """The packaged default files, parsed (they must exist and be valid YAML mappings)."""
    return _read_files({name: DEFAULTS_DIR / name for name in CONFIG_FILES})


def read_user_dir(user_dir: Path) -> RawConfig:
    """The config files present in `user_dir`; any other (non-hidden) entry is an error."""
    if not user_dir.is_dir():
        raise ConfigError([ConfigIssue(str(user_dir), "", "is not a directory")])
    entries = sorted(p for p in user_dir.iterdir() if not p.name.startswith("."))
    unknown = [p for p in entries if p.name not in CONFIG_FILES or not p.is_file()]
    if unknown:
        raise ConfigError([ConfigIssue(str(p), "", _unknown_file_problem()) for p in unknown])
    return _read_files({p.name: p for p in entries})


def _unknown_file_problem() -> str:
    return f"unknown config file (allowed: {', '.join(CONFIG_FILES)})"


def _read_files(paths: Mapping[str, Path]) -> RawConfig:
    # Read every file before failing, so all broken files are reported together.
    parsed: RawConfig = {}
    issues: list[ConfigIssue] = []
    for name, path in paths.items():
        try:
            parsed[name] = read_yaml_mapping(path)
        except ConfigError as exc:
            issues += exc.issues
    if issues:
        raise ConfigError(issues)
    return parsed


def read_yaml_mapping(path: Path) -> dict[str, Any]:
    """One YAML file as a mapping (empty file -> {}); syntax errors name file and line."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError([ConfigIssue(str(path), "", f"cannot read: {exc}")]) from None
    try:
        data = yaml.load(text, Loader=_StrictLoader)  # a SafeLoader subclass: safe
    except yaml.YAMLError as exc:
        raise ConfigError([ConfigIssue(str(path), "", _yaml_problem(exc))]) from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        problem = f"must be a mapping of keys at the top level, not {type(data).__name__}"
        raise ConfigError([ConfigIssue(str(path), "", problem)])
    return data


def _yaml_problem(exc: yaml.YAMLError) -> str:
    if isinstance(exc, yaml.MarkedYAMLError) and exc.problem_mark is not None:
        mark = exc.problem_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}"
        return f"{where}: invalid YAML: {exc.problem or exc.context or 'syntax error'}"
    return f"invalid YAML: {exc}"


def dump_yaml(config: AppConfig) -> str:
    """The effective config as YAML, one document per file, loadable as a user folder."""
    docs = []
    for section, name in SECTION_FILES.items():
        data = getattr(config, section).model_dump(mode="json", by_alias=True)
        body = yaml.safe_dump(data, sort_keys=False, default_flow_style=False)
        docs.append(f"# {name}\n{body}")
    return "---\n".join(docs)
