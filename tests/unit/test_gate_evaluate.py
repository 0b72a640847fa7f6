"""The gate on given cells: release, the block reasons a consumer gets for
each kind of requirement, and approvals that cover exactly the current block
or do not. No state store is read (cells and approvals are passed in)."""

from __future__ import annotations

from pathlib import Path

import pytest
from evidence_fixture import CONSUMER, FACT, KPI, kpi_manifest

from data_factory.core.paths import FactoryPaths
from data_factory.decisions.approval_scope import cells_by_asset, concerned_cells
from data_factory.decisions.gate import evaluate
from data_factory.decisions.reasons import evidence_reason
from data_factory.project.consumers import consumers
from data_factory.render.explain import explain

DAY = "2026-11-02"
CHECK = "not_null_order_fact_order_id"
NO_CHECKS = {"passed": 1, "warned": 0, "failed": 0, "errored": 0, "not_run": 0}


def cell(uid: str, status: str = "materialized", details: list[dict] = (), **extra) -> dict:
    asset = {FACT: "order_fact", KPI: "order_kpi"}[uid]
    consumable = status == "materialized" and not details
    return {
        "unique_id": uid,
        "asset": asset,
        "partition": DAY,
        "status": status,
        "consumable": consumable,
        "checks": {**NO_CHECKS, "blocking": [], "warnings": []},
        "run_id": "run-1",
        "evidence": f"/home/evidence/run-1-{asset}.json",
        "reasons": sorted({d["code"] for d in details}),
        "reason_details": list(details),
        **extra,
    }


def failed_check_fact() -> dict:
    found = cell(
        FACT, details=[{"code": "CHECK_FAILED", "checks": [{"name": CHECK, "failures": 3}]}]
    )
    found["checks"] = {**NO_CHECKS, "failed": 1, "blocking": [CHECK], "warnings": []}
    return found


def stale_kpi(rebuilt_by: str = "run-2") -> dict:
    cause = {
        "upstream": {"asset": "order_fact", "unique_id": FACT, "days": ["2026-11-01"]},
        "run_id": rebuilt_by,
    }
    detail = {
        "code": "STALE_UPSTREAM_REBUILT",
        "cause": cause,
        "via": None,
        "window": {"from": "2026-11-01", "to": DAY},
        "built_by": "run-1",
    }
    return cell(KPI, status="stale", details=[detail])


def decide(cells: list[dict], approvals: list[dict] = (), manifest: dict | None = None):
    manifest = manifest or kpi_manifest()
    consumer = consumers(manifest)[CONSUMER]
    paths = FactoryPaths(Path("/nonexistent"))  # evaluate reads no store when given cells
    return evaluate(paths, consumer, DAY, manifest, cells=cells, approvals=list(approvals))


def approval_of(reasons: list[dict], cells: list[dict], run_id: str = "approve-1") -> dict:
    """An approval as the state store reads it back: the block as the
    evidence holds it (schema fields, cause as JSON text, words of the day),
    and the content of the cells it concerns when it was given."""
    return {
        "consumer": CONSUMER,
        "partition": DAY,
        "approved_by": "ana.lima",
        "approved_at": "2026-11-10T10:00:00Z",
        "reason": "known export bug",
        "overrides": sorted({r["code"] for r in reasons}),
        "run_id": run_id,
        "evidence": f"/home/evidence/{run_id}.json",
        "block": [evidence_reason(r, "words of the day the approval was given") for r in reasons],
        "key_id": "SHA256:" + "A" * 43,
        "cells": concerned_cells(reasons, cells_by_asset(cells)),
    }


def with_content(found: dict, digest: str, run_id: str | None = None) -> dict:
    """A cell with a fingerprint (and the run that built it)."""
    return {
        **found,
        "fingerprint": {"algorithm": "md5-sum64/v1", "rows": 7, "hash": digest},
        "run_id": run_id or found["run_id"],
    }


def test_every_needed_cell_consumable_releases():
    decision = decide([cell(FACT), cell(KPI)])
    assert (decision.decision, decision.reasons, decision.overridden) == ("release", [], [])
    assert decision.evidence == sorted(c["evidence"] for c in (cell(FACT), cell(KPI)))


def test_a_day_with_no_cell_blocks_with_partition_missing():
    decision = decide([cell(FACT)])
    (reason,) = decision.reasons
    assert decision.decision == "block"
    assert (reason["code"], reason["asset"], reason["partition"]) == (
        "PARTITION_MISSING",
        "order_kpi",
        DAY,
    )
    assert explain(reason) == f"order_kpi {DAY}: no evidence records a build of this day"


def test_a_failed_error_check_blocks_naming_the_check():
    decision = decide([failed_check_fact(), cell(KPI)])
    (reason,) = decision.reasons
    assert decision.decision == "block"
    assert (reason["code"], reason["asset"], reason["checks"]) == (
        "CHECK_FAILED",
        "order_fact",
        [CHECK],
    )
    assert reason["run_id"] == "run-1" and reason["evidence"].endswith("run-1-order_fact.json")
    assert explain(reason) == (
        f"order_fact {DAY} is materialized: error-severity check failed: {CHECK} (3 failing rows)"
    )


def test_a_cell_switched_off_when_built_blocks_with_upstream_not_available():
    kpi = cell(KPI, status="not_available")
    kpi["consumable"] = False
    (reason,) = decide([cell(FACT), kpi]).reasons
    assert (reason["code"], reason["asset"], reason["status"]) == (
        "UPSTREAM_NOT_AVAILABLE",
        "order_kpi",
        "not_available",
    )
    assert f"switched off when run run-1 built the day; {CONSUMER} needs it" in explain(reason)


def test_an_asset_switched_off_in_the_project_blocks_with_upstream_not_available():
    manifest = kpi_manifest()
    manifest["disabled"] = {KPI: [manifest["nodes"].pop(KPI)]}
    (reason,) = decide([cell(FACT)], manifest=manifest).reasons
    assert (reason["code"], reason["status"]) == ("UPSTREAM_NOT_AVAILABLE", "switched_off")
    assert explain(reason).startswith("order_kpi is switched off in the project")


def test_an_approval_of_exactly_the_current_block_releases_with_approval_override():
    cells = [failed_check_fact(), stale_kpi()]
    blocked = decide(cells)
    assert [r["code"] for r in blocked.reasons] == ["CHECK_FAILED", "STALE_UPSTREAM_REBUILT"]
    approval = approval_of(blocked.reasons, cells)
    decision = decide(cells, [approval])
    assert decision.decision == "release"
    (override,) = decision.reasons
    assert override["code"] == "APPROVAL_OVERRIDE" and override["run_id"] == "approve-1"
    assert decision.overridden == blocked.reasons and decision.approval is approval
    assert approval["evidence"] in decision.evidence
    assert explain(override) == (
        "released by the approval of ana.lima at 2026-11-10T10:00:00Z: known export bug "
        "(overrides CHECK_FAILED, STALE_UPSTREAM_REBUILT)"
    )


@pytest.mark.parametrize(
    ("approved", "current"),
    [
        pytest.param(
            lambda: [failed_check_fact(), cell(KPI)],
            lambda: [failed_check_fact(), stale_kpi()],
            id="a reason the approval did not see",
        ),
        pytest.param(
            lambda: [failed_check_fact(), stale_kpi("run-2")],
            lambda: [failed_check_fact(), stale_kpi("run-3")],
            id="the upstream rebuilt again by another run",
        ),
        pytest.param(
            lambda: [failed_check_fact(), stale_kpi()],
            lambda: [failed_check_fact(), {**stale_kpi(), "run_id": "run-4"}],
            id="a cell without content rebuilt by a new run",
        ),
    ],
)
def test_an_approval_that_does_not_cover_every_current_reason_leaves_the_block(approved, current):
    cells = approved()
    approval = approval_of(decide(cells).reasons, cells)
    decision = decide(current(), [approval])
    assert decision.decision == "block" and decision.approval is None
    assert decision.overridden == []
    assert "APPROVAL_OVERRIDE" not in {r["code"] for r in decision.reasons}


def test_an_identical_rebuild_keeps_the_approval_and_a_changed_one_voids_it():
    approved = [with_content(failed_check_fact(), "aaaaaaaaaaaaaaaa"), cell(KPI)]
    approval = approval_of(decide(approved).reasons, approved)
    assert approval["cells"] == [
        {"asset": "order_fact", "partition": DAY, "content": "aaaaaaaaaaaaaaaa (7 rows)"}
    ]
    same = [with_content(failed_check_fact(), "aaaaaaaaaaaaaaaa", "run-5"), cell(KPI)]
    kept = decide(same, [approval])
    assert kept.decision == "release" and kept.approval is approval and kept.lapsed == []

    changed = [with_content(failed_check_fact(), "bbbbbbbbbbbbbbbb", "run-6"), cell(KPI)]
    voided = decide(changed, [approval])
    assert voided.decision == "block" and voided.approval is None
    (lapse,) = voided.lapsed
    assert lapse["approval"]["run_id"] == "approve-1"
    assert lapse["cells"] == [
        {
            "asset": "order_fact",
            "partition": DAY,
            "approved": "aaaaaaaaaaaaaaaa (7 rows)",
            "now": "bbbbbbbbbbbbbbbb (7 rows)",
        }
    ]


def test_an_approval_of_some_reasons_leaves_the_others_blocking():
    cells = [failed_check_fact(), stale_kpi()]
    blocked = decide(cells)
    only_check = [r for r in blocked.reasons if r["code"] == "CHECK_FAILED"]
    approval = {**approval_of(only_check, cells), "overrides": ["CHECK_FAILED"]}
    decision = decide(cells, [approval])
    assert decision.decision == "block" and decision.lapsed == []
    assert [r["code"] for r in decision.reasons] == ["CHECK_FAILED", "STALE_UPSTREAM_REBUILT"]
    # once the stale reason clears by itself, the approval of the check releases
    released = decide([failed_check_fact(), cell(KPI)], [approval])
    assert released.decision == "release" and released.approval is approval
