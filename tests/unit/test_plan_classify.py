"""The planner's classification of one cell, on its own: which action a
person would take, with the roles of a hand-made project."""

from __future__ import annotations

import hashlib
import json

import pytest

from data_factory.core.paths import FactoryPaths
from data_factory.landing.manifest import MANIFEST_NAME
from data_factory.project.roles import LandingTable, ProjectRoles
from data_factory.recovery.plan import classify

ROLES = ProjectRoles(
    landing_tables=(LandingTable("source.p.l.orders", "orders", '"raw"."orders"', "shop", "rows"),),
    reconciliation_check_names=frozenset({"reconciles_order_fact"}),
)


def cell(asset="order_fact", status="materialized", reasons=(), blocking=(), consumable=False):
    return {
        "asset": asset,
        "partition": "2026-11-02",
        "status": status,
        "reasons": list(reasons),
        "checks": {"blocking": list(blocking)},
        "consumable": consumable,
        "evidence": None,
    }


@pytest.mark.parametrize(
    ("given", "action"),
    [
        (cell("orders", "failed"), "replay"),  # a refused landing: replay it
        (cell(reasons=["MANIFEST_CHECKSUM_MISMATCH"]), "replay"),
        (cell(reasons=["CHECK_FAILED"], blocking=["reconciles_order_fact"]), "replay"),
        (cell("order_fact", "failed", ["BUILD_ERROR"]), "retry"),
        (cell(reasons=["CHECK_FAILED"], blocking=["not_null_order_fact_id"]), "investigate"),
        (cell(status="stale", reasons=["STALE_UPSTREAM_REBUILT"]), "backfill"),
        (cell(status="missing", reasons=["PARTITION_MISSING"]), "backfill"),
    ],
)
def test_each_kind_of_broken_cell_gets_its_action(given, action):
    decided = classify(given, ROLES)
    assert decided is not None and decided[0] == action


def test_a_cell_blocked_by_its_upstream_is_covered_by_the_upstream_action():
    assert classify(cell(status="blocked", reasons=["UPSTREAM_FAILED"]), ROLES) is None


def test_a_check_is_a_reconciliation_only_when_the_project_says_so():
    named_alike = cell(reasons=["CHECK_FAILED"], blocking=["reconciles_something_else"])
    assert classify(named_alike, ROLES)[0] == "investigate"


def _over(*roots: list[str]) -> list[dict]:
    """The chain detail of a cell that reads broken cells with these codes."""
    return [
        {
            "code": "UPSTREAM_NOT_CONSUMABLE",
            "cause": {"roots": [{"asset": "open_orders", "reasons": r} for r in roots]},
        }
    ]


def test_a_stale_day_over_stale_days_is_backfilled_with_them():
    """A self-dependent model's day 4 reads day 3, stale since day 2 changed:
    one backfill of days 3..4, in order, clears both, so day 4 is not left
    'covered' by day 3's action (which would rebuild day 3 alone)."""
    stale_over_stale = {
        **cell("open_orders", "stale", ["STALE_UPSTREAM_REBUILT", "UPSTREAM_NOT_CONSUMABLE"]),
        "reason_details": _over(["STALE_UPSTREAM_REBUILT"]),
    }
    assert classify(stale_over_stale, ROLES)[0] == "backfill"
    over_a_failure = {**stale_over_stale, "reason_details": _over(["BUILD_ERROR"])}
    assert classify(over_a_failure, ROLES) is None


def _landed_day(tmp_path, manifest: bytes, recorded: bytes) -> tuple[FactoryPaths, dict]:
    """A day whose landing manifest is `manifest`, and a cell with a failing
    check whose run recorded the manifest `recorded`."""
    paths = FactoryPaths(tmp_path / "home")
    day = paths.tickets_partition_dir("2026-11-02")
    day.mkdir(parents=True)
    (day / MANIFEST_NAME).write_bytes(manifest)
    evidence = tmp_path / "run.json"
    inputs = [{"partition": "2026-11-02", "manifest_sha256": hashlib.sha256(recorded).hexdigest()}]
    evidence.write_text(json.dumps({"inputs": inputs}))
    failed = cell(reasons=["CHECK_FAILED"], blocking=["not_null_order_fact_id"])
    return paths, {**failed, "evidence": str(evidence)}


def test_a_failed_check_is_investigated_while_the_export_is_the_one_built(tmp_path):
    paths, failed = _landed_day(tmp_path, b'{"v": 1}', recorded=b'{"v": 1}')
    assert classify(failed, ROLES, paths) == ("investigate", ["CHECK_FAILED"])


def test_a_failed_check_is_replayed_once_a_new_export_has_landed(tmp_path):
    paths, failed = _landed_day(tmp_path, b'{"v": 2}', recorded=b'{"v": 1}')
    assert classify(failed, ROLES, paths) == ("replay", ["CHECK_FAILED", "EXPORT_CHANGED"])
