"""Clock purity: outside a few I/O edges, nothing in the package reads the wall clock or an
unseeded random source, so a replay is bit-for-bit repeatable.

The scan parses every module (AST, not grep: aliases such as `import time as t` or
`from datetime import datetime as dt` are resolved, comments and strings are ignored) and
reports each forbidden use with file and line.

Allowed modules (explicit, each for a reason):
- core/clock.py            the LiveClock is the one sanctioned reader of the system clock
- venues/hyperliquid/websocket/client.py
                           async edge: stamps frames with their receive time, heartbeats
- execution/gateway*.py,
  execution/gateways/,
  venues/hyperliquid/execution/gateway.py
                           async edges to the venue: nonces, request timeouts
- runtime/live.py          async edge: the live runner's timer task and pipeline timing
- sim/                     the emulator is its own world with its own time
- cli/, main.py            user-facing entry points (wall-clock run names, progress)
bench/ and scripts/ live outside the package and are not scanned (they measure time).
Seeded randomness (`random.Random(seed)`, `numpy.random.default_rng(seed)`) is allowed
everywhere; the module-level `random.*` functions share hidden global state and are not.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "hyperliquid_ofi_trader"

# The async edges: they pump sockets and wait on real time, the engine never does.
# catalog/ingest.py stamps a manifest with when a source was ingested (metadata, never an
# event time).
ALLOWED_FILES = frozenset({"core/clock.py", "main.py", "runtime/live.py", "runtime/paper.py",
                           "catalog/ingest.py", "venues/hyperliquid/websocket/client.py",
                           "venues/hyperliquid/execution/gateway.py"})
ALLOWED_DIRS = ("sim/", "cli/", "execution/gateways/", "runtime/dashboard/")
ALLOWED_PREFIXES = ("execution/gateway",)

WALL_CLOCK = frozenset({
    "time.time", "time.time_ns", "time.monotonic", "time.monotonic_ns", "time.perf_counter",
    "time.perf_counter_ns", "datetime.datetime.now", "datetime.datetime.utcnow",
    "datetime.datetime.today", "datetime.date.today",
})
SEEDABLE = frozenset({"random.Random", "numpy.random.default_rng", "numpy.random.Generator",
                      "numpy.random.RandomState", "numpy.random.SeedSequence"})


def is_allowed(rel: str) -> bool:
    return (rel in ALLOWED_FILES or rel.startswith(ALLOWED_DIRS)
            or rel.startswith(ALLOWED_PREFIXES))


class _Scanner(ast.NodeVisitor):
    """Collects (line, what) for each forbidden use in one module."""

    def __init__(self) -> None:
        self.aliases: dict[str, str] = {}
        self.found: list[tuple[int, str]] = []

    def visit_Import(self, node: ast.Import) -> None:
        for a in node.names:
            if a.asname:
                self.aliases[a.asname] = a.name
            else:
                top = a.name.split(".")[0]
                self.aliases[top] = top

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        if node.module and node.level == 0:
            for a in node.names:
                self.aliases[a.asname or a.name] = f"{node.module}.{a.name}"

    def qualified(self, node: ast.expr) -> str | None:
        parts: list[str] = []
        while isinstance(node, ast.Attribute):
            parts.append(node.attr)
            node = node.value
        if not isinstance(node, ast.Name) or node.id not in self.aliases:
            return None
        return ".".join([self.aliases[node.id], *reversed(parts)])

    def _check_ref(self, node: ast.expr) -> None:
        name = self.qualified(node)
        if name in WALL_CLOCK:
            self.found.append((node.lineno, name))

    def visit_Attribute(self, node: ast.Attribute) -> None:
        self._check_ref(node)
        self.generic_visit(node)

    def visit_Name(self, node: ast.Name) -> None:
        self._check_ref(node)

    def visit_Call(self, node: ast.Call) -> None:
        name = self.qualified(node.func)
        if name is not None and _unseeded_random(name, node):
            self.found.append((node.lineno, f"{name}() (unseeded random)"))
        self.generic_visit(node)


def _unseeded_random(name: str, call: ast.Call) -> bool:
    if not (name.startswith(("random.", "numpy.random."))):
        return False
    if name in SEEDABLE:
        return not (call.args or call.keywords)
    return True


def scan_source(source: str, filename: str = "<src>") -> list[tuple[int, str]]:
    scanner = _Scanner()
    tree = ast.parse(source, filename)
    # Imports first, wherever they are in the file, so aliases resolve on every line.
    for node in ast.walk(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            scanner.visit(node)
    scanner.visit(tree)
    return sorted(set(scanner.found))


# ---------------------------------------------------------------- the scanner itself


@pytest.mark.parametrize("source", [
    "import time\nx = time.time()",
    "import time as t\nx = t.time_ns()",
    "from time import monotonic\nx = monotonic()",
    "from time import perf_counter as pc\nx = pc()",
    "import time\nf = time.time_ns  # a reference is as bad as a call",
    "import datetime\nx = datetime.datetime.now()",
    "import datetime as dt\nx = dt.datetime.utcnow()",
    "from datetime import datetime\nx = datetime.now(tz=None)",
    "from datetime import date\nx = date.today()",
    "import random\nx = random.random()",
    "import random\nr = random.Random()",
    "from random import choice\nx = choice([1, 2])",
    "import numpy as np\nx = np.random.rand(3)",
    "import numpy as np\ng = np.random.default_rng()",
    "def f():\n    import time\n    return time.monotonic_ns()",
])
def test_scanner_flags(source: str) -> None:
    assert scan_source(source), source


@pytest.mark.parametrize("source", [
    "import random\nr = random.Random(42)",
    "import numpy as np\ng = np.random.default_rng(seed=7)",
    "import time\ns = 'time.time()'  # in a string: fine\n# time.time() in a comment",
    "from hyperliquid_ofi_trader.core.clock import Clock\ndef f(c: Clock) -> int:\n"
    "    return c.now_ns()",
    "import datetime as dt\nx = dt.datetime.fromtimestamp(0, tz=dt.UTC)",
    "import time\nx = time.sleep  # not a clock read (sleeping is checked elsewhere)",
])
def test_scanner_allows(source: str) -> None:
    assert scan_source(source) == []


def test_allow_list_is_explicit() -> None:
    assert is_allowed("core/clock.py")
    assert is_allowed("venues/hyperliquid/websocket/client.py")
    assert is_allowed("sim/server.py")
    assert is_allowed("cli/explain.py")
    assert is_allowed("execution/gateway_hl.py")
    assert not is_allowed("core/engine.py")
    assert not is_allowed("data/orderbook.py")
    assert not is_allowed("execution/router.py")


# ---------------------------------------------------------------- the package


def _modules() -> list[tuple[str, Path]]:
    return sorted((p.relative_to(PACKAGE).as_posix(), p) for p in PACKAGE.rglob("*.py"))


def test_package_is_found() -> None:
    rels = [rel for rel, _ in _modules()]
    assert "core/engine.py" in rels
    assert "core/clock.py" in rels
    assert scan_source((PACKAGE / "core/clock.py").read_text()) != []  # LiveClock reads it


def test_no_wall_clock_or_unseeded_random_outside_allowed_modules() -> None:
    offenders = [f"{rel}:{line}: {what}"
                 for rel, path in _modules() if not is_allowed(rel)
                 for line, what in scan_source(path.read_text(encoding="utf-8"), rel)]
    assert offenders == [], "wall clock / unseeded random outside the allowed modules:\n" + \
        "\n".join(offenders)
