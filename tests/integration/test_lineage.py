"""`factory lineage` on really built days: the events a catalog would get
from the clean week's evidence, through the CLI and the file transport."""

from __future__ import annotations

import json
import uuid

from openlineage.client.event_v2 import Run, RunState
from test_state_support import WEEK, copy_home, evidence_documents, factory

from data_factory.lineage.facet import FACET_NAME


def test_lineage_emits_the_built_days_as_the_evidence_says(clean_home, tmp_path):
    home = copy_home(clean_home, tmp_path / "lineage-home")
    since = WEEK[-2]
    result = factory(home, "lineage", "--since", since)
    runs = [doc for _, doc in evidence_documents(home) if doc["partitions"][0] >= since]
    assert len(runs) == 2
    models = {
        a["unique_id"]
        for doc in runs
        for a in doc["assets"]
        if a["resource_type"] == "model" and a["status"] in ("materialized", "failed")
    }
    # each run's event, and one per model it built (every model, each day)
    assert f"{2 + 2 * len(models)} event(s) to {home / 'lineage'}" in result.stdout

    for document in runs:
        path = home / "lineage" / f"{document['run_id']}.json"
        assert str(path) in result.stdout
        line, *model_lines = path.read_text().splitlines()
        event = json.loads(line)
        children = [json.loads(child) for child in model_lines]
        assert sorted(c["job"]["name"] for c in children) == sorted(
            uid.split(".", 1)[1] for uid in models
        )
        assert {c["run"]["facets"]["parent"]["run"]["runId"] for c in children} == {
            event["run"]["runId"]
        }
        run = Run(runId=event["run"]["runId"])  # the client's own check: a UUID
        assert uuid.UUID(run.runId).version == 5
        assert RunState(event["eventType"]) == RunState.COMPLETE
        assert event["eventTime"] == document["finished_at"]
        assert event["job"] == {
            "namespace": document["invocation"]["project_name"],
            "name": "factory.run",
            "facets": {},
        }
        facet = event["run"]["facets"][FACET_NAME]
        assert facet["runId"] == document["run_id"]
        assert facet["partitions"] == document["partitions"]
        (landed,) = document["inputs"]
        assert [(e["manifestSha256"], e["manifestLines"]) for e in facet["landing"]] == [
            (landed["manifest_sha256"], landed["manifest_lines"])
        ]

        assets = {a["unique_id"]: a for a in document["assets"]}
        node_of = {cell["dataset"]: cell["uniqueId"] for cell in facet["cells"]}
        namespace = f"duckdb://{home / 'warehouse.duckdb'}"
        assert {d["namespace"] for d in event["inputs"] + event["outputs"]} == {namespace}
        assert {assets[node_of[d["name"]]]["resource_type"] for d in event["inputs"]} == {
            "source",
            "seed",
        }
        assert {assets[node_of[d["name"]]]["resource_type"] for d in event["outputs"]} == {"model"}
        assert landed_source(facet) in {d["name"] for d in event["inputs"]}
        counted = warned = 0
        for output in event["outputs"]:
            asset = assets[node_of[output["name"]]]
            if asset["rows"] is not None:
                counted += 1
                assert output["outputFacets"]["outputStatistics"]["rowCount"] == asset["rows"]
                cell = next(c for c in facet["cells"] if c["dataset"] == output["name"])
                assert cell["fingerprint"]["hash"] == asset["fingerprint"]["hash"]
            got = output["facets"]["dataQualityAssertions"]["assertions"]
            ran = [c for c in asset["checks"] if c["status"] != "not_run"]  # no result to send
            assert [(a["assertion"], a["success"]) for a in got] == [
                (c["name"], c["status"] == "passed") for c in ran
            ]
            warned += sum(not a["success"] for a in got)
        assert counted >= 3  # the fact, the KPI and the open tickets have rows
        assert warned >= 1  # the KPI's window check warns on the week's first days

    # emitting again gives the same events, in the same files
    before = {p.name: p.read_text() for p in (home / "lineage").iterdir()}
    factory(home, "lineage", "--since", since)
    assert {p.name: p.read_text() for p in (home / "lineage").iterdir()} == before


def landed_source(facet: dict) -> str:
    (entry,) = facet["landing"]
    return entry["source"]
