"""`factory audit` on a freshly built week: clean (exit 0), with the risks the
project accepts listed with the reasons its meta gives; without the
acceptance, the same risks count again (exit 1)."""

from __future__ import annotations

import json

from test_state_support import copy_home, factory

from data_factory.core.errors import EXIT_BLOCKED, EXIT_OK
from data_factory.project.manifest import asset_key, asset_nodes, node_meta


def accepted_in(manifest: dict) -> dict[tuple[str, str], str]:
    """(risk, asset) -> reason, as the project declares them."""
    return {
        (risk, asset_key(node)): " ".join(reason.split())
        for node in asset_nodes(manifest).values()
        for risk, reason in (node_meta(node).get("audit_accepts") or {}).items()
    }


def test_audit_is_clean_on_a_built_week_and_shows_what_is_accepted(clean_home, tmp_path):
    home = copy_home(clean_home, tmp_path / "week")
    manifest_path = home / "runs" / "_parse" / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    accepted = accepted_in(manifest)
    assert accepted, "the project accepts no audit risk: nothing to show"

    report = json.loads(factory(home, "audit", "--format", "json", expect=EXIT_OK).stdout)
    assert report["risks"] == 0
    shown = {(f["risk"], f["subject"]): f["accepted"] for f in report["findings"] if f["accepted"]}
    assert {k: " ".join(v.split()) for k, v in shown.items()} == accepted

    table = factory(home, "audit", expect=EXIT_OK).stdout
    assert "0 found" in table and f"{len(accepted)} accepted by the project" in table
    assert "(accepted)" in table and "why:" in table
    flat = " ".join(table.replace("│", " ").split())
    for (risk, asset), reason in accepted.items():
        assert risk in table and asset in table
        assert " ".join(reason.split()[:6]) in flat, reason

    # the same project without its acceptances: the same risks count again
    for node in asset_nodes(manifest).values():
        for holder in (node.get("meta") or {}, (node.get("config") or {}).get("meta") or {}):
            holder.pop("audit_accepts", None)
    manifest_path.write_text(json.dumps(manifest))
    report = json.loads(factory(home, "audit", "--format", "json", expect=EXIT_BLOCKED).stdout)
    counted = {
        (f["risk"], f["subject"])
        for f in report["findings"]
        if not f["expected"] and not f["accepted"]
    }
    assert counted == set(accepted)
    assert report["risks"] == len(accepted)
