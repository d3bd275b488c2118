"""Every class in the package has its own name: a reader (or a traceback, a log line, a
type checker's message) that says `KillSwitch` means one thing."""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

import hyperliquid_ofi_trader

PACKAGE = Path(hyperliquid_ofi_trader.__file__).parent


def class_sites(root: Path) -> dict[str, list[str]]:
    sites: dict[str, list[str]] = defaultdict(list)
    for path in sorted(root.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ClassDef):
                sites[node.name].append(f"{path.relative_to(root)}:{node.lineno}")
    return sites


def test_no_two_classes_share_a_name() -> None:
    shared = {name: where for name, where in class_sites(PACKAGE).items() if len(where) > 1}
    assert shared == {}


def test_the_scan_sees_a_repeated_name(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text("class Book:\n    pass\n")
    (tmp_path / "b.py").write_text("def f() -> None:\n    class Book:\n        pass\n")
    assert class_sites(tmp_path)["Book"] == ["a.py:1", "b.py:2"]
