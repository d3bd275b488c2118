"""The layering holds (the `lint-imports` contract in pyproject.toml, run here too so a plain
pytest run catches a layer-breaking import), and the cycles it broke stay broken."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import grimp
import pytest

PKG = "hyperliquid_ofi_trader"
PYPROJECT = Path(__file__).resolve().parents[2] / "pyproject.toml"


@pytest.fixture(scope="module")
def graph() -> grimp.ImportGraph:
    return grimp.build_graph(PKG, cache_dir=None)  # no cache files in the tree


@pytest.mark.parametrize(("importer", "imported"), [
    # A Binance capture's reader builds research series; the series never load a capture
    # (research.recordings picks the reader).
    ("research.series", "research.binance_reader"),
    # The venue's helpers see it through sim.venue_state.VenueState.
    ("sim.info_views", "sim.venue"),
    ("sim.order_entry", "sim.venue"),
    # The engine's core builds no concrete data class: the composition root passes them.
    ("core.engine", "data.coin_data"),
])
def test_no_import_path_back(graph: grimp.ImportGraph, importer: str, imported: str) -> None:
    chain = graph.find_shortest_chain(importer=f"{PKG}.{importer}", imported=f"{PKG}.{imported}")
    assert chain is None, " -> ".join(chain or ())


def test_the_layers_contract_is_kept() -> None:
    # In a child process: import-linter configures logging (dictConfig), which would silence
    # this process's loggers for the tests that run after.
    code = ("import sys; from importlinter.cli import lint_imports; "
            f"sys.exit(lint_imports(config_filename={str(PYPROJECT)!r}, no_cache=True, "
            "no_logo=True))")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=120, check=False)
    assert run.returncode == 0, run.stdout[-3000:]
