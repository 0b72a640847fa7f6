"""`factory lineage`: each factory run's evidence as one OpenLineage RunEvent,
read back the way a catalog reads it: the emitted JSON, rebuilt with the
client's own classes, and the fields a consumer looks at."""

from __future__ import annotations

import json
import threading
import uuid
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import ClassVar

import jsonschema
import pytest
from artifacts_fixture import ERROR_CHECK, FACT, SEED, SOURCE, STAGING, WARN_CHECK
from click.testing import CliRunner
from evidence_fixture import Home, asset_entry, kpi_manifest, run_document
from openlineage.client.event_v2 import (
    InputDataset,
    Job,
    OutputDataset,
    Run,
    RunEvent,
    RunState,
)
from openlineage.client.generated.data_quality_assertions_dataset import (
    Assertion,
    DataQualityAssertionsDatasetFacet,
)
from openlineage.client.generated.output_statistics_output_dataset import (
    OutputStatisticsOutputDatasetFacet,
)
from openlineage.client.serde import Serde

from data_factory.cli.main import main
from data_factory.evidence.store import content_sha256
from data_factory.lineage.emit import emit_runs, select_runs
from data_factory.lineage.events import run_event, run_events
from data_factory.lineage.facet import FACET_NAME, FACET_SCHEMA_PATH, FACET_SCHEMA_URL

DAY = "2026-11-02"
MANIFEST_SHA = "ab" * 32
FINGERPRINT = {"algorithm": "md5-sum64/v1", "rows": 42, "hash": "0123456789abcdef"}


def check(uid: str, status: str, severity: str = "error", failures: int = 0) -> dict:
    return {
        "name": uid.split(".")[2],
        "unique_id": uid,
        "kind": "data_test",
        "severity": severity,
        "status": status,
        "failures": failures,
        "message": None,
        "execution_time_s": 0.1,
    }


def manifest() -> dict:
    """The fixture's project, its fact in a schema of a database and its
    error check on a column, as dbt writes them."""
    found = kpi_manifest()
    found["nodes"][FACT].update(database="warehouse", schema="marts", alias="order_fact")
    found["sources"][SOURCE].update(database="warehouse", schema="raw", identifier="orders")
    found["nodes"][ERROR_CHECK]["test_metadata"] = {"kwargs": {"column_name": "order_id"}}
    return found


def document(run_id: str = "run-one", day: str = DAY, status: str = "success", minute: int = 1):
    checks = [check(ERROR_CHECK, "passed"), check(WARN_CHECK, "warned", "warn", failures=3)]
    assets = [
        asset_entry(SOURCE, day),
        asset_entry(SEED, None, rows=5),
        asset_entry(STAGING, day, rows=None),
        asset_entry(FACT, day, rows=42, checks=checks, fingerprint=FINGERPRINT),
        asset_entry("model.shop.order_kpi", day, status="skipped", rows=None),
    ]
    landing = {
        "asset": "orders",
        "partition": day,
        "status": "landed",
        "manifest_path": f"landing/orders/dt={day}/_manifest.json",
        "manifest_sha256": MANIFEST_SHA,
        "export_version": 1,
        "files": [],
        "manifest_lines": 44,
        "landed_rows": 42,
        "rejected_rows": 2,
        "rejected_by_reason": {"MALFORMED_JSON": 2},
        "unknown_fields": [],
        "ingest_run_id": run_id,
        "reason_codes": ["ROWS_REJECTED"],
        "message": None,
    }
    found = run_document(run_id, minute, assets, [landing])
    found["status"] = status
    found["warehouse"] = {"id": "wh-0123456789abcdef", "engine": "duckdb"}
    found["report"]["sha256"] = content_sha256(found)  # as written (write_evidence)
    return found


def rebuilt(payload: dict) -> RunEvent:
    """The emitted JSON as the client's own classes: they check the run id
    (a UUID), the event type and the facets' fields as they are built."""

    def input_dataset(data: dict) -> InputDataset:
        facets = {}
        if "dataQualityAssertions" in data.get("inputFacets", {}):
            facets["dataQualityAssertions"] = assertions_facet(
                data["inputFacets"]["dataQualityAssertions"]
            )
        return InputDataset(data["namespace"], data["name"], inputFacets=facets)

    def output_dataset(data: dict) -> OutputDataset:
        facets, output_facets = {}, {}
        if "dataQualityAssertions" in data.get("facets", {}):
            facets["dataQualityAssertions"] = assertions_facet(
                data["facets"]["dataQualityAssertions"]
            )
        if "outputStatistics" in data.get("outputFacets", {}):
            statistics = data["outputFacets"]["outputStatistics"]
            output_facets["outputStatistics"] = OutputStatisticsOutputDatasetFacet(
                **fields(statistics), producer=statistics["_producer"]
            )
        return OutputDataset(
            data["namespace"], data["name"], facets=facets, outputFacets=output_facets
        )

    def assertions_facet(data: dict) -> DataQualityAssertionsDatasetFacet:
        return DataQualityAssertionsDatasetFacet(
            [Assertion(**item) for item in data["assertions"]], producer=data["_producer"]
        )

    event = RunEvent(
        eventType=RunState(payload["eventType"]),
        eventTime=payload["eventTime"],
        run=Run(runId=payload["run"]["runId"]),
        job=Job(payload["job"]["namespace"], payload["job"]["name"]),
        producer=payload["producer"],
        inputs=[input_dataset(item) for item in payload["inputs"]],
        outputs=[output_dataset(item) for item in payload["outputs"]],
    )
    # every field of the emitted event is one the client's classes know
    again = Serde.to_dict(event)
    again["run"]["facets"] = payload["run"]["facets"]
    assert again == payload
    return event


def fields(facet: dict) -> dict:
    return {k: v for k, v in facet.items() if not k.startswith("_")}


def emitted(document_: dict, home: Home, manifest_: dict | None = None) -> dict:
    return json.loads(Serde.to_json(run_event(document_, manifest_ or manifest(), home.paths)))


def test_a_run_is_one_event_a_catalog_reads(tmp_path):
    home = Home(tmp_path)
    payload = emitted(document(), home)
    event = rebuilt(payload)

    assert event.eventType == RunState.COMPLETE
    assert payload["eventTime"] == "2026-11-10T09:01:00Z"  # the run's finish
    assert uuid.UUID(event.run.runId).version == 5
    assert event.run.runId == emitted(document(), home)["run"]["runId"]  # stable
    assert event.run.runId != emitted(document("run-two"), home)["run"]["runId"]
    assert (event.job.namespace, event.job.name) == ("shop", "factory.build")

    namespace = f"duckdb://{home.paths.warehouse}"
    assert {d.namespace for d in event.inputs + event.outputs} == {namespace}
    assert [d.name for d in event.inputs] == ["regions", "warehouse.raw.orders"]
    # the skipped model was not touched by the run: it is no dataset of it
    assert [d.name for d in event.outputs] == ["stg_orders", "warehouse.marts.order_fact"]
    staging, fact = event.outputs
    assert fact.outputFacets["outputStatistics"].rowCount == 42
    assert "outputStatistics" not in staging.outputFacets  # a view: no row count
    assertions = fact.facets["dataQualityAssertions"].assertions
    assert [(a.assertion, a.success, a.column, a.severity) for a in assertions] == [
        ("not_null_order_fact_order_id", True, "order_id", "error"),
        ("accepted_values_order_fact_channel", False, None, "warn"),
    ]
    assert assertions[1].actual == "3"


def test_the_factory_run_facet_carries_partitions_landing_and_fingerprints(tmp_path):
    payload = emitted(document(), Home(tmp_path))
    facet = payload["run"]["facets"][FACET_NAME]

    jsonschema.Draft202012Validator(json.loads(FACET_SCHEMA_PATH.read_text())).validate(facet)
    assert facet["_schemaURL"] == FACET_SCHEMA_URL
    assert json.loads(FACET_SCHEMA_PATH.read_text())["$id"] == FACET_SCHEMA_URL
    assert facet["runId"] == "run-one"
    assert facet["partitions"] == [DAY]
    assert facet["evidence"] == {"file": "run-one.json", "sha256": content_sha256(document())}
    assert facet["landing"] == [
        {
            "source": "warehouse.raw.orders",
            "partition": DAY,
            "status": "landed",
            "manifestSha256": MANIFEST_SHA,
            "manifestLines": 44,
            "landedRows": 42,
            "rejectedRows": 2,
        }
    ]
    cells = {(c["dataset"], c.get("partition")): c for c in facet["cells"]}
    assert cells[("warehouse.marts.order_fact", DAY)]["fingerprint"] == FINGERPRINT
    assert cells[("warehouse.marts.order_fact", DAY)]["rows"] == 42
    assert "fingerprint" not in cells[("stg_orders", DAY)]
    assert ("regions", None) in cells


def test_a_failed_run_is_a_fail_event(tmp_path):
    payload = emitted(document(status="failed"), Home(tmp_path))
    assert rebuilt(payload).eventType == RunState.FAIL


def test_runs_are_chosen_by_their_days(tmp_path):
    home = Home(tmp_path)
    for minute, day in enumerate(["2026-11-01", "2026-11-02", "2026-11-03"], start=1):
        home.write(document(f"run-{day}", day, minute=minute))
    chosen = select_runs(home.paths, "2026-11-02", None).documents
    assert [d["run_id"] for d in chosen] == ["run-2026-11-02", "run-2026-11-03"]
    chosen = select_runs(home.paths, "2026-11-02", "2026-11-02").documents
    assert [d["run_id"] for d in chosen] == ["run-2026-11-02"]


def test_the_file_transport_writes_one_file_per_run_and_again_the_same(tmp_path):
    home = Home(tmp_path)
    runs = [document("run-one"), document("run-two", "2026-11-03", minute=2)]
    places = [(where, count) for _, where, count in emit_runs(home.paths, runs, manifest())]
    folder = tmp_path / "lineage"
    # the run's event, then its two models' (the skipped one is not built)
    assert places == [(str(folder / "run-one.json"), 3), (str(folder / "run-two.json"), 3)]
    first = {p.name: p.read_text() for p in folder.iterdir()}
    list(emit_runs(home.paths, runs, manifest()))
    assert {p.name: p.read_text() for p in folder.iterdir()} == first
    lines = first["run-one.json"].splitlines()
    assert len(lines) == 3
    assert rebuilt(json.loads(lines[0])).run.runId == emitted(runs[0], home)["run"]["runId"]


def test_each_model_the_run_built_is_a_child_job_of_the_run(tmp_path):
    home = Home(tmp_path)
    parent, *children = [
        json.loads(Serde.to_json(event)) for event in run_events(document(), manifest(), home.paths)
    ]
    assert [c["job"]["name"] for c in children] == ["shop.order_fact", "shop.stg_orders"]
    assert {c["job"]["namespace"] for c in children} == {"shop"}
    for child in children:
        facet = child["run"]["facets"]["parent"]
        assert facet["run"]["runId"] == parent["run"]["runId"]
        assert (facet["job"]["namespace"], facet["job"]["name"]) == ("shop", "factory.build")
        assert uuid.UUID(child["run"]["runId"]).version == 5
    fact, staging = children
    # it reads its upstream nodes' tables and writes its own, as the run's event says
    assert [d["name"] for d in fact["inputs"]] == ["regions", "stg_orders"]
    assert fact["outputs"] == [o for o in parent["outputs"] if o["name"].endswith("order_fact")]
    assert fact["outputs"][0]["outputFacets"]["outputStatistics"]["rowCount"] == 42
    assert [d["name"] for d in staging["inputs"]] == ["warehouse.raw.orders"]
    assert (
        fact["run"]["runId"]
        == json.loads(Serde.to_json(run_events(document(), manifest(), home.paths)[1]))["run"][
            "runId"
        ]
    )  # stable
    assert fact["eventType"] == "COMPLETE"  # only the warn check found rows
    broken = document()
    (entry,) = [a for a in broken["assets"] if a["unique_id"] == FACT]
    entry["checks"][0]["status"] = "failed"
    assert run_events(broken, manifest(), home.paths)[1].eventType == RunState.FAIL


class Catalog(BaseHTTPRequestHandler):
    """An OpenLineage endpoint that records what is POSTed to it."""

    bodies: ClassVar[list[tuple[str, dict]]] = []
    status = 201

    def do_POST(self):  # http.server's name for it
        length = int(self.headers["Content-Length"])
        Catalog.bodies.append((self.path, json.loads(self.rfile.read(length))))
        self.send_response(Catalog.status)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def catalog():
    Catalog.bodies, Catalog.status = [], 201
    server = HTTPServer(("127.0.0.1", 0), Catalog)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


def lineage(home: Home, *args: str):
    (home.paths.runs / "_parse").mkdir(parents=True, exist_ok=True)
    (home.paths.runs / "_parse" / "manifest.json").write_text(json.dumps(manifest()))
    return CliRunner().invoke(main, ["--home", str(home.paths.home), "lineage", *args])


def test_the_http_transport_posts_each_event_to_the_endpoint(tmp_path, catalog):
    home = Home(tmp_path)
    home.write(document("run-one"))
    home.write(document("run-two", "2026-11-03", status="failed", minute=2))
    result = lineage(home, "--since", DAY, "--url", catalog)
    assert result.exit_code == 0, result.output
    assert "6 event(s) to " + catalog in result.output
    assert [path for path, _ in Catalog.bodies] == ["/api/v1/lineage"] * 6
    runs = [body for _, body in Catalog.bodies if FACET_NAME in body["run"]["facets"]]
    assert [rebuilt(body).eventType for body in runs] == [RunState.COMPLETE, RunState.FAIL]
    assert [body["run"]["facets"][FACET_NAME]["runId"] for body in runs] == ["run-one", "run-two"]
    assert not (tmp_path / "lineage").exists()


def test_an_endpoint_that_refuses_or_cannot_be_reached_exits_7(tmp_path, catalog):
    home = Home(tmp_path)
    home.write(document("run-one"))
    Catalog.status = 400
    refused = lineage(home, "--url", catalog)
    assert refused.exit_code == 7
    assert "LINEAGE_NOT_DELIVERED" in refused.output and "run-one" in refused.output
    unreachable = lineage(home, "--url", "http://127.0.0.1:9")
    assert unreachable.exit_code == 7
    assert "LINEAGE_NOT_DELIVERED" in unreachable.output
    assert "Traceback" not in unreachable.output + refused.output


def test_bad_days_are_usage_errors_and_no_evidence_is_zero_events(tmp_path):
    home = Home(tmp_path)
    malformed = lineage(home, "--since", "2026-13-01")
    assert malformed.exit_code == 2
    assert "--since" in malformed.output
    assert lineage(home, "--since", "2026-11-03", "--until", DAY).exit_code == 2
    assert lineage(home, "--url", "localhost:5000").exit_code == 2
    empty = lineage(home, "--since", DAY)
    assert empty.exit_code == 0
    assert "0 event(s)" in empty.output


def test_evidence_that_does_not_validate_is_not_sent(tmp_path):
    home = Home(tmp_path)
    home.write(document("run-one"))
    tampered = home.write(document("run-two", "2026-11-03", minute=2))
    changed = json.loads(tampered.read_text())
    changed["status"] = "failed"  # after it was signed
    tampered.write_text(json.dumps(changed))
    result = lineage(home)
    assert result.exit_code == 3
    assert "EVIDENCE_INVALID" in result.output and "1 evidence file(s)" in result.output
    assert [p.name for p in (tmp_path / "lineage").iterdir()] == ["run-one.json"]
