"""The fast lead-lag path through the whole engine: a lead-coin (BTC) event reaches the
lagging coin's (ETH) decision by itself (a stale OFI is no veto: test_edge_cost.py)."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from tests.unit.runtime.test_execution_stack import _run


def test_lead_events_place_lagging_coin_orders_without_fresh_ofi(tmp_path: Path) -> None:
    port, _, path = _run(tmp_path, minutes=3)
    assert port.placed
    with sqlite3.connect(path) as conn:
        rows = conn.execute("SELECT coin, inputs FROM decisions WHERE outcome = 'submit'"
                            ).fetchall()
    lead_driven = [json.loads(inputs) for coin, inputs in rows
                   if coin == "ETH" and json.loads(inputs)["source_coin"] == "BTC"]
    # Decided on the BTC event itself, not on a later ETH update.
    assert lead_driven, "no ETH order was decided on a BTC event"
    entries = [d for d in lead_driven
               if any(i.get("tag", "").startswith("edge_") for i in d.get("approved", []))]
    assert entries, "no entry was decided on a BTC event"
    # Tagged for the lead-lag share of the order budget.
    tags = {i["tag"] for d in entries for i in d["approved"]}
    assert any(t.endswith("_lead") for t in tags), tags
    # Each carries its economics: the edge that beat the cost, in bps.
    assert all(d["router"]["economics"]["margin_bps"] >= 0 for d in entries)
