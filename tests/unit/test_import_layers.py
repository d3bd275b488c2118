"""The import cycles the layering broke stay broken (`lint-imports` checks the layers)."""

from __future__ import annotations

import grimp
import pytest

PKG = "hyperliquid_ofi_trader"


@pytest.fixture(scope="module")
def graph() -> grimp.ImportGraph:
    return grimp.build_graph(PKG)


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
