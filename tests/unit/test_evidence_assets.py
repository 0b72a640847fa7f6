"""dbt results -> one evidence entry per (asset, partition), from fixture
artifacts: statuses, reasons and checks as a user reads them in `status`."""

from __future__ import annotations

import pytest
from artifacts_fixture import FACT, SEED, SOURCE, STAGING, manifest, run_results

from data_factory.evidence.assets import derive_assets, is_blocking, is_warning
from data_factory.state.facts import check_summary


def entries(results, partitions=("2026-11-02",), **kwargs) -> dict:
    found = derive_assets(manifest(), results, list(partitions), **kwargs)
    return {(e["unique_id"], e["partition"]): e for e in found}


def test_a_clean_build_materializes_every_asset_with_its_counts():
    cells = entries(
        run_results(),
        row_counts={(FACT, "2026-11-02"): 42},
        input_status={"2026-11-02": "materialized"},
    )
    fact = cells[(FACT, "2026-11-02")]
    assert fact["status"] == "materialized"
    assert fact["rows"] == 42
    assert fact["reason_codes"] == []
    assert [c["status"] for c in fact["checks"]] == ["passed", "passed", "passed"]
    assert cells[(SEED, None)]["status"] == "materialized"  # unpartitioned: one cell
    assert cells[(SOURCE, "2026-11-02")]["status"] == "materialized"
    assert fact["depends_on"] == sorted([STAGING, SEED])


def test_one_cell_per_day_of_a_range_for_partitioned_assets_only():
    cells = entries(run_results(), partitions=("2026-11-02", "2026-11-03"))
    assert {p for (uid, p) in cells if uid == FACT} == {"2026-11-02", "2026-11-03"}
    assert {p for (uid, p) in cells if uid == STAGING} == {None}


def test_an_error_check_that_fails_marks_the_asset_and_blocks_nothing_else_built():
    cells = entries(run_results(error_check="fail"))
    fact = cells[(FACT, "2026-11-02")]
    assert fact["status"] == "materialized"  # it was built; the check says it is bad
    assert "CHECK_FAILED" in fact["reason_codes"]
    failed = [c for c in fact["checks"] if c["status"] == "failed"]
    assert [(c["severity"], c["failures"]) for c in failed] == [("error", 3)]


def test_a_warn_check_with_rows_is_advisory():
    fact = entries(run_results(warn_check="warn"))[(FACT, "2026-11-02")]
    assert fact["reason_codes"] == ["CHECK_WARNED"]


def test_a_build_error_fails_the_model_and_blocks_what_reads_it():
    results = run_results(staging="error", fact="skipped")
    cells = entries(results)
    assert cells[(STAGING, None)]["status"] == "failed"
    assert cells[(STAGING, None)]["reason_codes"] == ["BUILD_ERROR"]
    assert cells[(FACT, "2026-11-02")]["status"] == "blocked"
    assert cells[(FACT, "2026-11-02")]["reason_codes"] == ["UPSTREAM_FAILED"]


def test_a_refused_landing_fails_the_source_and_nothing_is_attempted():
    empty = {"results": [], "args": {}}
    cells = entries(
        empty, input_status={"2026-11-02": "failed"}, not_attempted_reason="UPSTREAM_FAILED"
    )
    assert cells[(SOURCE, "2026-11-02")]["status"] == "failed"
    assert cells[(FACT, "2026-11-02")]["status"] == "blocked"
    assert "UPSTREAM_FAILED" in cells[(FACT, "2026-11-02")]["reason_codes"]


def test_what_was_not_selected_is_skipped():
    results = run_results()
    results["results"] = [r for r in results["results"] if r["unique_id"] != FACT]
    fact = entries(results)[(FACT, "2026-11-02")]
    assert fact["status"] == "skipped"
    assert fact["reason_codes"] == ["NOT_SELECTED"]


@pytest.mark.parametrize(
    ("warn_check", "warned"), [("pass", False), ("warn", True), ("fail", True), ("error", True)]
)
def test_the_evidence_and_the_state_agree_on_what_a_warning_is(warn_check, warned):
    fact = entries(run_results(warn_check=warn_check))[(FACT, "2026-11-02")]
    assert ("CHECK_WARNED" in fact["reason_codes"]) is warned
    assert bool(check_summary(fact["checks"])["warnings"]) is warned
    assert "CHECK_FAILED" not in fact["reason_codes"]  # a warn-severity check never blocks


def test_an_error_severity_check_dbt_reports_as_warned_warns_and_does_not_block():
    check = {"name": "c", "severity": "error", "status": "warned"}
    assert is_warning(check) and not is_blocking(check)
    assert not is_warning({**check, "status": "failed"}) and is_blocking(
        {**check, "status": "failed"}
    )
