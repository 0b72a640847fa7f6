"""`factory ci`'s pure parts on hand-made manifests and run results: how a
change is classified, which consumers it reaches, the JUnit XML."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ElementTree
from types import SimpleNamespace

from data_factory.review.changes import classify, reaching_consumers
from data_factory.review.checks import CheckResult, head_checks, junit_xml
from data_factory.review.data_diff import key_column, keyed_diff
from data_factory.review.var_changes import var_readers


def model(checksum="a", columns=None, description="", **config) -> dict:
    return {
        "unique_id": "model.p.orders",
        "name": "orders",
        "resource_type": "model",
        "checksum": {"name": "sha256", "checksum": checksum},
        "config": {"materialized": "table", **config},
        "description": description,
        "columns": columns if columns is not None else {"id": {"name": "id", "data_type": ""}},
    }


def test_a_changed_body_is_sql_logic_and_not_breaking():
    change = classify("model.p.orders", model("a"), model("b"))
    assert change.kinds == ["SQL logic"] and not change.breaking and change.data_change


def test_a_column_gone_or_retyped_is_breaking():
    base = model(columns={"id": {"data_type": "int"}, "total": {"data_type": "double"}})
    gone = classify("model.p.orders", base, model(columns={"total": {"data_type": "double"}}))
    assert gone.kinds == ["columns/contract"] and gone.removed_columns == ["id"] and gone.breaking
    retyped = model(columns={"id": {"data_type": "int"}, "total": {"data_type": "varchar"}})
    change = classify("model.p.orders", base, retyped)
    assert change.retyped_columns == ["total"] and change.breaking
    added = model(columns={**base["columns"], "note": {"data_type": "varchar"}})
    change = classify("model.p.orders", base, added)
    assert change.added_columns == ["note"] and not change.breaking


def test_a_config_change_and_a_description_change():
    assert classify("model.p.orders", model(), model(materialized="view")).kinds == ["config"]
    docs = classify("model.p.orders", model(), model(description="Orders, one per row."))
    assert docs.kinds == ["docs only"] and not docs.data_change


def test_new_and_removed_nodes_and_a_check_selected_with_its_parent():
    test = {"unique_id": "test.p.t", "name": "t", "resource_type": "test", "checksum": "x"}
    assert classify("test.p.t", None, test).kinds == ["new", "tests"]
    assert classify("model.p.orders", model(), None).breaking
    follower = classify("test.p.t", test, dict(test))
    assert not follower.own and not follower.data_change


def test_a_change_reaches_the_exposures_reading_it_or_what_reads_it():
    manifest = {
        "nodes": {
            "model.p.orders": {**model(), "depends_on": {"nodes": []}},
            "model.p.daily": {
                **model(),
                "unique_id": "model.p.daily",
                "name": "daily",
                "depends_on": {"nodes": ["model.p.orders"]},
            },
        },
        "exposures": {
            "exposure.p.board": {
                "unique_id": "exposure.p.board",
                "name": "board",
                "depends_on": {"nodes": ["model.p.daily"]},
            }
        },
    }
    assert reaching_consumers("model.p.orders", [manifest]) == ["board"]
    assert reaching_consumers("model.p.daily", [manifest]) == ["board"]
    manifest["exposures"]["exposure.p.board"]["depends_on"]["nodes"] = []
    assert reaching_consumers("model.p.orders", [manifest]) == []


def test_junit_has_a_case_per_check_and_a_failure_for_an_error_check(tmp_path):
    run = tmp_path / "r1"
    run.mkdir()
    results = [
        {
            "unique_id": "test.p.not_null_id",
            "status": "fail",
            "failures": 2,
            "message": "\x1b[31mGot 2\x1b[0m",
        },
        {"unique_id": "test.p.window", "status": "warn", "failures": 1, "message": "Got 1"},
        {"unique_id": "test.p.unique_id", "status": "pass", "failures": 0, "message": None},
        {"unique_id": "model.p.orders", "status": "success", "message": None},
        {"unique_id": "model.p.daily", "status": "error", "message": "no column x"},
    ]
    (run / "run_results.json").write_text(json.dumps({"results": results}))
    nodes = {
        "test.p.not_null_id": {"name": "not_null_id", "config": {"severity": "ERROR"}},
        "test.p.window": {"name": "window", "config": {"severity": "warn"}},
        "test.p.unique_id": {"name": "unique_id", "config": {"severity": "error"}},
        "model.p.daily": {"name": "daily", "config": {"materialized": "table"}},
    }
    outcome = SimpleNamespace(run_id="r1", partition="2026-11-01")
    checks = head_checks([outcome], {"nodes": nodes}, tmp_path)
    assert [(c.name, c.blocks) for c in checks] == [
        ("not_null_id", True),
        ("window", False),
        ("unique_id", False),
        ("daily", True),  # a model that fails to build blocks; one that builds is no check
    ]
    suite = ElementTree.fromstring(junit_xml(checks).encode()).find("testsuite")
    assert suite.get("tests") == "4" and suite.get("failures") == "1"
    assert suite.get("errors") == "1"
    failure = suite.find("testcase/failure")
    assert failure is not None and failure.get("message") == "Got 2"  # no ANSI escapes
    assert [c.get("name") for c in suite.iter("testcase")] == [
        "not_null_id [2026-11-01]",
        "window [2026-11-01]",
        "unique_id [2026-11-01]",
        "daily [2026-11-01]",
    ]


def test_a_runtime_error_is_an_error_case():
    check = CheckResult("2026-11-01", "test.p.x", "x", "warn", "error", None, "boom", 0.0)
    assert check.blocks
    root = ElementTree.fromstring(junit_xml([check]).encode())
    assert root.find("testsuite/testcase/error").get("message") == "boom"


def test_rows_matched_by_key_count_changed_values_per_column_with_examples():
    was = [{"id": i, "status": "open", "n": i} for i in range(5)]
    now = [{"id": i, "status": "open" if i < 2 else "closed", "n": i} for i in range(1, 6)]
    diff = keyed_diff(was, now, "id", ["n", "status"], "2026-11-01")
    assert (diff.matched, diff.only_base, diff.only_head) == (4, 1, 1)
    assert diff.changed == {"status": 3}
    assert diff.examples["status"] == [
        (2, "open", "closed"),
        (3, "open", "closed"),
        (4, "open", "closed"),
    ]


def test_the_key_is_the_column_dbts_unique_test_guards():
    manifest = {
        "nodes": {
            "test.p.not_null_orders_id": {
                "attached_node": "model.p.orders",
                "column_name": "id",
                "test_metadata": {"name": "not_null"},
            },
            "test.p.unique_orders_id": {
                "attached_node": "model.p.orders",
                "column_name": "id",
                "test_metadata": {"name": "unique"},
            },
        }
    }
    assert key_column(manifest, "model.p.orders") == "id"
    assert key_column(manifest, "model.p.daily") is None


def test_the_models_reading_a_var_call_it_in_their_sql_or_name_it_in_meta():
    nodes = {
        "model.p.daily": {**model(), "raw_code": "select {{ var( 'lookback' ) }} as n"},
        "model.p.rolling": {**model(), "raw_code": "select 1", "meta": {"reads_window_var": "w"}},
        "model.p.orders": {**model(), "raw_code": "select {{ var('other') }}"},
    }
    manifest = {"nodes": nodes}
    assert var_readers(manifest, ["lookback"]) == ["model.p.daily"]
    assert var_readers(manifest, ["w", "lookback"]) == ["model.p.daily", "model.p.rolling"]
    assert var_readers(manifest, []) == []
