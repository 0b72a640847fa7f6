"""Run evidence: what a factory run records, and how it is checked."""

from __future__ import annotations

import json
import re
import shutil

import pytest
from conftest import event, write_export

from data_factory.core.errors import EXIT_INPUT_REJECTED
from data_factory.core.reasons import REASON_CODES
from data_factory.evidence.store import SCHEMA_PATH, content_sha256

DAY = "2026-11-01"


@pytest.fixture(scope="module")
def built_day(tmp_path_factory):
    """One real factory run of a small hand-made day (module-scoped: ~3 s)."""
    from click.testing import CliRunner
    from conftest import VALID_EVENT

    from data_factory.cli.main import main
    from data_factory.core.paths import FactoryPaths

    home = tmp_path_factory.mktemp("evidence-home")
    paths = FactoryPaths(home)
    lines = [
        event(event_id=f"c{n}", ticket_id=f"t{n}", event_at=f"{DAY}T0{n % 10}:00:00Z")
        for n in range(30)
    ] + [event(event_id="c1", ticket_id="t1", event_at=f"{DAY}T01:00:00Z"), "broken"]
    assert VALID_EVENT["event_at"].startswith(DAY)
    write_export(paths, DAY, lines)
    result = CliRunner().invoke(
        main,
        ["--home", str(home), "run", "--partition", DAY, "--format", "json"],
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.stderr
    evidence_path = next((home / "evidence").glob("*.json"))
    return home, json.loads(evidence_path.read_text()), evidence_path


def _asset(evidence, name, partition=DAY):
    return next(a for a in evidence["assets"] if a["asset"] == name and a["partition"] == partition)


def test_evidence_answers_what_was_built_from_what(built_day):
    _, evidence, path = built_day
    assert evidence["schema_version"] == "1.0"
    assert evidence["status"] == "success"
    assert evidence["partitions"] == [DAY]
    assert evidence["invocation"]["vars"] == {"partition": DAY}
    assert evidence["invocation"]["adapter"] == "duckdb"
    assert evidence["invocation"]["dbt_version"].startswith("1.11")
    assert evidence["report"]["path"] == str(path)
    assert re.fullmatch(r"[0-9a-f]{64}", evidence["report"]["sha256"])

    landing = evidence["inputs"][0]
    assert landing["status"] == "landed"
    assert landing["manifest_lines"] == 32
    assert (landing["landed_rows"], landing["rejected_rows"]) == (31, 1)
    assert landing["rejected_by_reason"] == {"MALFORMED_JSON": 1}
    assert len(landing["manifest_sha256"]) == 64

    fact = _asset(evidence, "ticket_fact")
    assert fact["status"] == "materialized"
    assert fact["rows"] == 30  # the re-sent c1 is counted once
    assert fact["checksum"] and fact["unique_id"] == "model.ticket_factory.ticket_fact"
    assert evidence["code"]["node_checksums"][fact["unique_id"]] == fact["checksum"]
    names = {c["name"] for c in fact["checks"]}
    assert "unique_ticket_fact_event_id" in names
    assert all(c["status"] == "passed" for c in fact["checks"] if c["severity"] == "error")
    assert _asset(evidence, "ticket_kpi_daily")["rows"] == 1

    (recorded,) = evidence["reconciliation"]
    reconciliation = dict(recorded)  # the evidence fixture is shared: not changed here
    check = reconciliation.pop("distinct_landed_event_ids_from")
    assert reconciliation == {
        "partition": DAY,
        "manifest_lines": 32,
        "landed_rows": 31,
        "rejected_rows": 1,
        "distinct_landed_event_ids": 30,
        "fact_rows": 30,
        "duplicates_dropped": 1,
        "balanced": True,
    }
    # the distinct ids were not counted again: the passed reconciliation check
    # says they equal the fact rows; the evidence names it
    assert check["method"] == "check_passed"
    assert check["check"].startswith("test.ticket_factory.reconciles_with_landing_ticket_fact")
    assert any(c["unique_id"] == check["check"] and c["status"] == "passed" for c in fact["checks"])


def _distinct_landed_ids(home, day: str) -> int:
    import duckdb

    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as connection:
        (found,) = connection.execute(
            "select count(distinct event_id) from raw.ticket_events where partition_date = ?",
            [day],
        ).fetchone()
    return found


def test_each_source_of_the_landed_id_count_agrees_with_a_real_count(built_day, cli):
    home, evidence, _ = built_day
    real = _distinct_landed_ids(home, DAY)
    assert real == 30
    (taken,) = evidence["reconciliation"]
    assert taken["distinct_landed_event_ids_from"]["method"] == "check_passed"
    assert taken["distinct_landed_event_ids"] == real
    # an ingest alone builds nothing, so it counts the landed ids itself
    cli("--home", str(home), "ingest", "--partition", DAY)
    newest = max((home / "evidence").glob("*.json"), key=lambda p: p.stat().st_mtime_ns)
    (counted,) = json.loads(newest.read_text())["reconciliation"]
    assert counted["distinct_landed_event_ids_from"] == {"method": "counted", "check": None}
    assert counted["distinct_landed_event_ids"] == real


def test_validate_accepts_the_file_and_catches_tampering(built_day, cli, tmp_path):
    _, _, path = built_day
    result = cli("validate", str(path))
    assert result.stdout.startswith("ok")

    tampered = tmp_path / "tampered.json"
    document = json.loads(path.read_text())
    document["assets"][0]["rows"] = 999999
    tampered.write_text(json.dumps(document))
    result = cli("validate", str(tampered), expect=EXIT_INPUT_REJECTED)
    assert "EVIDENCE_HASH_MISMATCH" in result.stdout

    broken = tmp_path / "broken.json"
    document["status"] = "fine"
    broken.write_text(json.dumps(document))
    result = cli("validate", str(broken), expect=EXIT_INPUT_REJECTED)
    assert "status" in result.stdout and "INVALID" in result.stdout


def test_the_reference_validator_agrees_with_the_fast_one(built_day, tmp_path):
    """The factory validates with jsonschema-rs (fast); the reference
    implementation, jsonschema, must accept the same documents and refuse
    the same faults, or the fast path is not checking the schema we wrote."""
    import jsonschema

    from data_factory.evidence.store import schema_problems

    _, evidence, _ = built_day
    schema = json.loads(SCHEMA_PATH.read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    reference = jsonschema.Draft202012Validator(
        schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )
    assert list(reference.iter_errors(evidence)) == []
    assert schema_problems(evidence) == []
    broken = json.loads(json.dumps(evidence))
    broken["assets"][0]["status"] = "done"  # not a status of the vocabulary
    broken["reconciliation"][0]["manifest_lines"] = -1
    assert len(list(reference.iter_errors(broken))) == len(schema_problems(broken)) == 2


def test_schema_lists_exactly_the_reason_codes():
    schema = json.loads(SCHEMA_PATH.read_text())
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert sorted(schema["$defs"]["reason_code"]["enum"]) == sorted(REASON_CODES)


def test_evidence_from_any_target_dir_matches_the_run(built_day, cli, tmp_path):
    home, evidence, _ = built_day
    run_dir = home / "runs" / evidence["run_id"]
    out = tmp_path / "from-target.json"
    cli("evidence", "--target-dir", str(run_dir), "--out", str(out))
    derived = json.loads(out.read_text())
    assert derived["kind"] == "dbt_artifacts"
    assert derived["partitions"] == [DAY]
    statuses = {(a["asset"], a["partition"]): a["status"] for a in derived["assets"]}
    assert statuses[("ticket_fact", DAY)] == "materialized"
    assert statuses[("ticket_kpi_daily", DAY)] == "materialized"
    cli("validate", str(out))


def test_unreadable_artifact_versions_get_a_clear_error(built_day, cli, tmp_path):
    home, evidence, _ = built_day
    target = tmp_path / "target"
    shutil.copytree(home / "runs" / evidence["run_id"], target)
    run_results = json.loads((target / "run_results.json").read_text())
    run_results["metadata"]["dbt_schema_version"] = (
        "https://schemas.getdbt.com/dbt/run-results/v99.json"
    )
    (target / "run_results.json").write_text(json.dumps(run_results))
    result = cli("evidence", "--target-dir", str(target), expect=EXIT_INPUT_REJECTED)
    assert "ARTIFACT_VERSION_UNSUPPORTED" in result.stderr and "v99" in result.stderr
    assert "Traceback" not in result.stderr

    result = cli("evidence", "--target-dir", str(tmp_path / "nowhere"), expect=EXIT_INPUT_REJECTED)
    assert "does not exist" in result.stderr


def test_evidence_of_a_project_without_partitions(cli, tmp_path):
    """Another dbt project's target/: no partition vars, so no partition fields."""
    target = tmp_path / "other-target"
    target.mkdir()
    manifest = {
        "metadata": {
            "dbt_schema_version": "https://schemas.getdbt.com/dbt/manifest/v12.json",
            "dbt_version": "1.11.0",
            "adapter_type": "postgres",
            "project_name": "shop",
        },
        "nodes": {
            "model.shop.orders": {
                "unique_id": "model.shop.orders",
                "resource_type": "model",
                "name": "orders",
                "checksum": {"checksum": "abc"},
                "depends_on": {"nodes": []},
                "config": {},
            },
            "test.shop.not_null_orders_id": {
                "unique_id": "test.shop.not_null_orders_id",
                "resource_type": "test",
                "name": "not_null_orders_id",
                "attached_node": "model.shop.orders",
                "config": {"severity": "ERROR"},
                "depends_on": {"nodes": ["model.shop.orders"]},
            },
        },
        "sources": {},
        "exposures": {},
        "disabled": {},
        "unit_tests": {},
    }
    run_results = {
        "metadata": {
            "dbt_schema_version": "https://schemas.getdbt.com/dbt/run-results/v6.json",
            "dbt_version": "1.11.0",
            "invocation_id": "abc-123",
            "generated_at": "2026-11-01T00:00:00Z",
        },
        "args": {"which": "build"},
        "results": [
            {"unique_id": "model.shop.orders", "status": "success", "execution_time": 0.5},
            {
                "unique_id": "test.shop.not_null_orders_id",
                "status": "fail",
                "failures": 3,
                "execution_time": 0.1,
                "message": "Got 3 results",
            },
        ],
    }
    (target / "manifest.json").write_text(json.dumps(manifest))
    (target / "run_results.json").write_text(json.dumps(run_results))
    out = tmp_path / "shop.json"
    cli("evidence", "--target-dir", str(target), "--out", str(out), expect=1)
    evidence = json.loads(out.read_text())
    (orders,) = evidence["assets"]
    assert orders["partition"] is None and evidence["partitions"] == []
    assert orders["status"] == "materialized"
    assert orders["checks"][0]["status"] == "failed" and orders["checks"][0]["failures"] == 3
    assert orders["reason_codes"] == ["CHECK_FAILED"]
    assert evidence["status"] == "failed"
    assert content_sha256(evidence) == evidence["report"]["sha256"]
