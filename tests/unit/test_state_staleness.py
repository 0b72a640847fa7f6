"""The state store from hand-made evidence: which cells a rebuild, a code
change or a seed change makes stale, the facts each staleness records, and
that building the stale cell again clears it. No dbt, no warehouse."""

from __future__ import annotations

import json
import sqlite3

import pytest
from evidence_fixture import (
    DAYS,
    FACT,
    KPI,
    SEED,
    SOURCE,
    STAGING,
    Home,
    asset_entry,
    cells_of,
    refused_input,
    run_document,
    table_names,
)

from data_factory.decisions.reasons import evidence_reason, make_reason
from data_factory.render.explain import explain_detail
from data_factory.state.db import STATE_SCHEMA_VERSION
from data_factory.state.index import rebuild

D1, D2, D3, D4 = DAYS


@pytest.fixture
def week(tmp_path) -> Home:
    """Seed, fact and KPI built for four days by run run-1: everything fresh."""
    home = Home(tmp_path / "home")
    home.build("run-1", cells_of(SEED, FACT, KPI))
    return home


def by_day(*statuses: str) -> dict[str, str]:
    return dict(zip(DAYS, statuses, strict=True))


def stale_details(cell: dict) -> list[dict]:
    return [d for d in cell["reason_details"] if d["code"].startswith("STALE_")]


def test_a_fresh_build_is_materialized_and_consumable(week):
    for (asset, day), cell in week.grid().items():
        assert (cell["status"], cell["consumable"]) == ("materialized", True), (asset, day)
        assert cell["reason_details"] == []


def test_a_rebuilt_fact_day_stales_exactly_the_kpi_days_whose_window_reads_it(week):
    week.build("run-2", [asset_entry(FACT, D2)])
    assert week.statuses("order_kpi") == by_day("materialized", "stale", "stale", "materialized")
    assert set(week.statuses("order_fact").values()) == {"materialized"}
    kpi = week.grid()[("order_kpi", D3)]
    assert kpi["reasons"] == ["STALE_UPSTREAM_REBUILT"] and not kpi["consumable"]
    (detail,) = stale_details(kpi)
    assert detail["cause"] == {
        "upstream": {"asset": "order_fact", "unique_id": FACT, "days": [D2]},
        "run_id": "run-2",
    }
    assert detail["built_by"] == "run-1" and detail["via"] is None
    assert detail["window"] == {"from": D2, "to": D3}
    assert "text" not in detail  # facts only; the words are made at the edge
    assert explain_detail(detail) == (
        f"order_fact {D2} was rebuilt by run run-2 after run run-1 built this partition; "
        f"it reads order_fact over {D2}..{D3}"
    )


def test_a_code_change_stales_the_days_the_model_built_with_the_old_code(week):
    week.build("run-2", [asset_entry(FACT, D4, checksum="sum-order_fact-v2")])
    assert week.statuses("order_fact") == by_day("stale", "stale", "stale", "materialized")
    (detail,) = stale_details(week.grid()[("order_fact", D1)])
    assert detail["code"] == "STALE_CODE_CHANGED"
    assert detail["cause"] == {
        "node": {"asset": "order_fact", "unique_id": FACT},
        "checksum": "sum-order_fact-v2",
    }
    assert (detail["built_with"], detail["seen_in"], detail["built_by"]) == (
        "sum-order_fact",
        "run-2",
        "run-1",
    )


def test_a_seed_change_stales_the_models_that_read_it_and_nothing_else(week):
    week.build("run-2", [asset_entry(SEED, None, checksum="sum-regions-v2")])
    assert set(week.statuses("order_fact").values()) == {"stale"}
    # the KPI reads no seed, so it is not stale; it reads stale fact days, so it is blocked
    assert set(week.statuses("order_kpi").values()) == {"blocked"}
    kpi = week.grid()[("order_kpi", D2)]
    assert kpi["reasons"] == ["UPSTREAM_NOT_CONSUMABLE"]
    (chain,) = kpi["reason_details"]
    assert [(r["asset"], r["partition"], r["reasons"]) for r in chain["cause"]["roots"]] == [
        ("order_fact", D1, ["STALE_UPSTREAM_CHANGED"]),
        ("order_fact", D2, ["STALE_UPSTREAM_CHANGED"]),
    ]
    assert week.statuses("regions") == {None: "materialized"}
    (detail,) = stale_details(week.grid()[("order_fact", D2)])
    assert detail["code"] == "STALE_UPSTREAM_CHANGED"
    assert detail["cause"] == {
        "upstream": {"asset": "regions", "unique_id": SEED},
        "checksum": "sum-regions-v2",
    }
    assert explain_detail(detail) == (  # checksums are shown by their first 12 characters
        "regions changed (checksum sum-regions -> sum-regions-, seen in run run-2) "
        "after run run-1 built this partition"
    )


def test_building_the_stale_cells_again_clears_them(week):
    week.build("run-2", [asset_entry(FACT, D2)])
    week.build("run-3", [asset_entry(KPI, D2)])
    assert week.statuses("order_kpi") == by_day(
        "materialized", "materialized", "stale", "materialized"
    )
    week.build("run-4", [asset_entry(KPI, D3)])
    assert set(week.statuses("order_kpi").values()) == {"materialized"}
    assert week.grid()[("order_kpi", D3)]["run_id"] == "run-4"


def test_a_day_no_evidence_built_is_missing_with_the_cell_it_is_about(week):
    week.build("run-2", [asset_entry(FACT, "2026-11-05")])
    kpi = week.grid()[("order_kpi", "2026-11-05")]
    assert kpi["status"] == "missing" and kpi["reasons"] == ["PARTITION_MISSING"]
    assert kpi["reason_details"] == [
        {
            "code": "PARTITION_MISSING",
            "asset": "order_kpi",
            "partition": "2026-11-05",
            "only_skipped": False,
        }
    ]


def test_a_failed_check_and_a_blocked_reader_record_the_checks_and_the_upstream_cell(week):
    check = {
        "name": "not_null_order_fact_order_id",
        "unique_id": "test.shop.not_null_order_fact_order_id.1",
        "kind": "data_test",
        "severity": "error",
        "status": "failed",
        "failures": 3,
        "message": None,
        "execution_time_s": 0.1,
    }
    fact = asset_entry(FACT, D2, checks=[check], reason_codes=["CHECK_FAILED"])
    kpi = asset_entry(KPI, D2, status="blocked", reason_codes=["UPSTREAM_CHECK_FAILED"])
    week.build("run-2", [fact, kpi])
    grid = week.grid()
    assert grid[("order_fact", D2)]["reason_details"] == [
        {"code": "CHECK_FAILED", "checks": [{"name": check["name"], "failures": 3}]}
    ]
    (blocked,) = grid[("order_kpi", D2)]["reason_details"]
    assert blocked["upstream"] == [
        {
            "asset": "order_fact",
            "unique_id": FACT,
            "partition": D2,
            "outcome": "check_failed",
            "checks": [{"name": check["name"], "failures": 3}],
        }
    ]
    assert explain_detail(blocked) == (
        f"not attempted: order_fact {D2} has a failing error-severity check: "
        f"{check['name']} (3 failing rows)"
    )


def test_a_kpi_day_rebuilt_over_a_failed_fact_day_in_its_window_is_blocked(week):
    """Issue 10, finding 1: consumability looked only at the same day, so a KPI
    day rebuilt after its window's fact day failed was consumable."""
    week.build("run-2", [asset_entry(FACT, D2, status="failed", reason_codes=["BUILD_ERROR"])])
    week.build("run-3", [asset_entry(KPI, D3)])  # rebuilt afterwards: not stale
    grid = week.grid()
    kpi = grid[("order_kpi", D3)]
    assert (kpi["status"], kpi["consumable"], kpi["reasons"]) == (
        "blocked",
        False,
        ["UPSTREAM_NOT_CONSUMABLE"],
    )
    (chain,) = kpi["reason_details"]
    assert chain["upstream"] == [{"asset": "order_fact", "unique_id": FACT, "days": [D2]}]
    assert [
        (r["asset"], r["partition"], r["reasons"], r["run_id"]) for r in chain["cause"]["roots"]
    ] == [("order_fact", D2, ["BUILD_ERROR"], "run-2")]
    assert explain_detail(chain) == (
        f"it reads order_fact {D2}, which is not consumable; "
        f"root: order_fact {D2} is failed (BUILD_ERROR)"
    )
    assert grid[("order_kpi", D4)]["status"] == "materialized"  # its window is D3..D4
    assert grid[("order_kpi", D4)]["consumable"]
    # the first day's window reaches before the history: it reads only what exists
    assert grid[("order_kpi", D1)]["consumable"]


def test_rebuild_accepts_decision_evidence_without_a_table_for_it(week):
    reason = make_reason(
        "STALE_UPSTREAM_REBUILT",
        consumer="dashboard",
        asset="order_kpi",
        partition=D3,
        status="stale",
        run_id="run-1",
        cause={
            "upstream": {"asset": "order_fact", "unique_id": FACT, "days": [D2]},
            "run_id": "run-2",
        },
    )
    document = run_document("gate-dashboard-1", 30, [])
    document.update(
        kind="decision",
        status="failed",
        partitions=[D3],
        reason_codes=["STALE_UPSTREAM_REBUILT"],
        decision={
            "consumer": "dashboard",
            "partition": D3,
            "decision": "block",
            "requires": ["order_fact", "order_kpi"],
            "reasons": [evidence_reason(reason, "any words")],
            "overridden": [],
            "warnings": [],
        },
    )
    week.write(document)  # validates against the schema, cause as JSON text
    report = rebuild(week.paths, manifest=week.manifest, warn=lambda _: None)
    assert "gate-dashboard-1.json" in report.applied
    assert report.rejected == [] and report.ignored == []
    assert "decisions" not in table_names(week.paths)


def test_a_store_of_an_older_layout_is_emptied_and_rebuilt(week):
    connection = sqlite3.connect(str(week.paths.state))
    connection.execute("update state_meta set value = '1' where key = 'schema_version'")
    connection.execute("create table decisions (run_id text primary key)")
    connection.execute("update asset_state set details_json = ?", [json.dumps([{"text": "old"}])])
    connection.commit()
    connection.close()
    week.build("run-2", [asset_entry(FACT, D2)])
    assert "decisions" not in table_names(week.paths)
    assert week.statuses("order_kpi")[D3] == "stale"
    assert all("text" not in d for c in week.grid().values() for d in c["reason_details"])
    connection = sqlite3.connect(str(week.paths.state))
    version = connection.execute("select value from state_meta").fetchone()[0]
    connection.close()
    assert version == STATE_SCHEMA_VERSION


# --------------------------------------------------------------------------
# staleness from content (fingerprints), not from attempts


def _print(content: str) -> dict:
    return {"algorithm": "md5-sum64/v1", "rows": 10, "hash": content.rjust(16, "0")}


@pytest.fixture
def printed_week(tmp_path) -> Home:
    """As `week`, with a fingerprint recorded for every table cell."""
    home = Home(tmp_path / "home")
    entries = cells_of(SEED, FACT, KPI)
    for entry in entries:
        entry["fingerprint"] = _print(f"{entry['asset']}{entry['partition']}".encode().hex()[:16])
    home.build("run-1", entries)
    return home


def _fact_print(home: Home, day: str) -> dict:
    cell = home.grid()[("order_fact", day)]
    assert cell["fingerprint"] is not None
    return cell["fingerprint"]


def test_a_rebuild_with_the_same_fingerprint_stales_nothing(printed_week):
    same = _fact_print(printed_week, D2)
    printed_week.build("run-2", [asset_entry(FACT, D2, fingerprint=same)])
    assert set(printed_week.statuses("order_kpi").values()) == {"materialized"}
    assert all(c["consumable"] for c in printed_week.grid().values())


def test_a_rebuild_that_changed_the_content_stales_exactly_its_readers(printed_week):
    printed_week.build("run-2", [asset_entry(FACT, D2, fingerprint=_print("beef"))])
    assert printed_week.statuses("order_kpi") == by_day(
        "materialized", "stale", "stale", "materialized"
    )
    (detail,) = stale_details(printed_week.grid()[("order_kpi", D3)])
    assert detail["cause"]["run_id"] == "run-2"
    # the same new content once more: the change is still run-2's
    printed_week.build("run-3", [asset_entry(FACT, D2, fingerprint=_print("beef"))])
    (detail,) = stale_details(printed_week.grid()[("order_kpi", D3)])
    assert detail["cause"]["run_id"] == "run-2"


def test_a_refused_run_changes_nothing_downstream(printed_week):
    """The day's export was refused: its landing cell failed (nothing was
    committed), the models after it were blocked."""
    landed = [asset_entry(uid, day, rows=None) for uid in (SOURCE, STAGING) for day in DAYS]
    printed_week.build("run-2", landed)
    facts = [asset_entry(FACT, day, fingerprint=_fact_print(printed_week, day)) for day in DAYS]
    printed_week.build("run-3", facts)  # the same content: the KPI days stay fresh
    assert set(printed_week.statuses("order_kpi").values()) == {"materialized"}
    refused = [
        asset_entry(SOURCE, D2, status="failed", rows=None, reason_codes=["MANIFEST_INVALID"]),
        asset_entry(STAGING, D2, status="blocked", rows=None, reason_codes=["UPSTREAM_FAILED"]),
        asset_entry(FACT, D2, status="blocked", rows=None, reason_codes=["UPSTREAM_FAILED"]),
    ]
    printed_week.build("run-4", refused, inputs=[refused_input(D2, "MANIFEST_INVALID")])
    assert set(printed_week.statuses("order_kpi").values()) == {"materialized"}
    kpi = printed_week.grid()[("order_kpi", D3)]
    assert kpi["consumable"] and not stale_details(kpi)
    # the day keeps what it holds, and its landing cell says a later export was refused
    fact = printed_week.grid()[("order_fact", D2)]
    assert (fact["status"], fact["run_id"], fact["consumable"]) == ("materialized", "run-3", True)
    source = [
        c for (a, d), c in printed_week.grid().items() if d == D2 and c["unique_id"] == SOURCE
    ]
    (landing,) = source
    assert landing["consumable"] and "EXPORT_REFUSED" in landing["reasons"]
    (detail,) = [d for d in landing["reason_details"] if d["code"] == "EXPORT_REFUSED"]
    assert (detail["run_id"], detail["refused_for"]) == ("run-4", ["MANIFEST_INVALID"])


def test_a_failed_build_that_wrote_nothing_stales_nothing(printed_week):
    errored = asset_entry(FACT, D2, status="failed", rows=None, reason_codes=["BUILD_ERROR"])
    printed_week.build("run-2", [errored])
    # not stale (nothing was written), but blocked while the day they read is failed
    grid = printed_week.grid()
    for day in (D2, D3):
        kpi = grid[("order_kpi", day)]
        assert not stale_details(kpi) and kpi["reasons"] == ["UPSTREAM_NOT_CONSUMABLE"], day
    assert grid[("order_kpi", D4)]["consumable"]
