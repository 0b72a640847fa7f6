"""One factory run's evidence as OpenLineage RunEvents: one for the run,
then one for each model it built, as a child run (ParentRunFacet).

The event is built from the evidence alone (plus the manifest for dataset
names and the columns of checks), so emitting it again gives the same event.

OpenLineage's own dbt processor (`openlineage.common.provider.dbt` of
openlineage-integration-common) is not used: it re-reads run_results.json and
the dbt profile of one dbt invocation, gives every node a random run id (so
re-emitting would add runs to a catalog), takes row counts from
`rows_affected`, which DuckDB does not report, knows nothing of partitions or
fingerprints, refuses dbt-spark's `session` method, and brings the compiled
openlineage-sql. The evidence already holds all it would find, checked. So
the events are built here: the factory run's event has the dbt nodes as its
datasets (sources and seeds in, models out), and each model it built is a job
of its own, whose run is a child of the factory run's, reading its upstream
nodes' tables and writing its own (run ids are UUID v5 again).
"""

from __future__ import annotations

import uuid
from collections import defaultdict

from openlineage.client.event_v2 import InputDataset, Job, OutputDataset, Run, RunEvent, RunState
from openlineage.client.generated.data_quality_assertions_dataset import (
    Assertion,
    DataQualityAssertionsDatasetFacet,
)
from openlineage.client.generated.output_statistics_output_dataset import (
    OutputStatisticsOutputDatasetFacet,
)
from openlineage.client.generated.parent_run import Job as ParentJob
from openlineage.client.generated.parent_run import ParentRunFacet
from openlineage.client.generated.parent_run import Run as ParentRun

from data_factory.core.paths import FactoryPaths
from data_factory.lineage.facet import FACET_NAME, FactoryRunFacet

# run.runId is the UUID v5 of the factory run id in this namespace: the same
# factory run always has the same OpenLineage run.
RUN_ID_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://ticket-factory.example/runs")
PRODUCER = "https://ticket-factory.example/data-factory/{version}"
# resource types a run reads (inputs); the others it builds (outputs)
INPUT_TYPES = ("source", "seed")
# statuses of an asset the run touched; skipped and not_available ones it did not
TOUCHED = ("materialized", "failed")


def openlineage_run_id(run_id: str, unique_id: str | None = None) -> str:
    """The run's id, or with a node's unique_id the id of that node's run."""
    return str(
        uuid.uuid5(RUN_ID_NAMESPACE, run_id if unique_id is None else f"{run_id}/{unique_id}")
    )


def event_type(document: dict) -> RunState:
    """COMPLETE when the run's evidence says success (every attempted asset
    materialized, no error-severity check failed), FAIL otherwise."""
    return RunState.COMPLETE if document["status"] == "success" else RunState.FAIL


def dataset_namespace(document: dict, paths: FactoryPaths) -> str:
    """The warehouse, named as OpenLineage's naming spec and its dbt
    integration name it: `duckdb://<database file>`. A warehouse of another
    engine (Spark's in-process session has no host) is named by its engine
    and the id it holds in factory_meta."""
    warehouse = document.get("warehouse") or {}
    engine = warehouse.get("engine") or document["invocation"].get("adapter") or "duckdb"
    if engine == "duckdb":
        return f"duckdb://{paths.warehouse}"
    return f"{engine}://{warehouse.get('id') or paths.home}"


def dataset_name(asset: dict, manifest: dict) -> str:
    """database.schema.table of the node, as the dbt integration names it;
    the asset's name for a node the manifest no longer has."""
    node = manifest.get("nodes", {}).get(asset["unique_id"]) or manifest.get("sources", {}).get(
        asset["unique_id"]
    )
    if not node:
        return asset["asset"]
    table = node.get("alias") or node.get("identifier") or node.get("name") or asset["asset"]
    return ".".join(part for part in (node.get("database"), node.get("schema"), table) if part)


def check_column(check: dict, manifest: dict) -> str | None:
    node = manifest.get("nodes", {}).get(check["unique_id"]) or {}
    kwargs = (node.get("test_metadata") or {}).get("kwargs") or {}
    return kwargs.get("column_name") or node.get("column_name")


def assertions(entries: list[dict], manifest: dict) -> list[Assertion]:
    """Each check of the dataset's cells: its name, whether it found nothing
    (passed), its column when it has one. A check that did not run is left out."""
    return [
        Assertion(
            assertion=check["name"],
            success=check["status"] == "passed",
            column=check_column(check, manifest),
            severity=check["severity"],
            actual=None if check["failures"] is None else str(check["failures"]),
        )
        for entry in entries
        for check in entry["checks"]
        if check["status"] != "not_run"
    ]


def _cell(name: str, entry: dict) -> dict:
    fingerprint = entry.get("fingerprint")
    return {
        "dataset": name,
        "uniqueId": entry["unique_id"],
        "partition": entry["partition"],
        "status": entry["status"],
        "rows": entry["rows"],
        "fingerprint": fingerprint and {k: fingerprint[k] for k in ("algorithm", "rows", "hash")},
    }


def _landing(document: dict, names: dict[str, str]) -> list[dict]:
    return [
        {
            "source": names.get(entry["asset"], entry["asset"]),
            "partition": entry["partition"],
            "status": entry["status"],
            "manifestSha256": entry["manifest_sha256"],
            "manifestLines": entry["manifest_lines"],
            "landedRows": entry["landed_rows"],
            "rejectedRows": entry["rejected_rows"],
        }
        for entry in document["inputs"]
    ]


def _touched(document: dict) -> dict[str, list[dict]]:
    """A dataset is a table: the cells of one node (a day each) the run
    touched are one dataset."""
    by_node: dict[str, list[dict]] = defaultdict(list)
    for entry in document["assets"]:
        if entry["status"] in TOUCHED:
            by_node[entry["unique_id"]].append(entry)
    return by_node


def run_events(document: dict, manifest: dict, paths: FactoryPaths) -> list[RunEvent]:
    """The factory run's event, then one per model it built."""
    parent = run_event(document, manifest, paths)
    return [parent, *node_events(document, manifest, parent)]


def node_events(document: dict, manifest: dict, parent: RunEvent) -> list[RunEvent]:
    """Each model the run built as a job: a child run of the factory run's
    (ParentRunFacet), COMPLETE when its cells materialized and no
    error-severity check failed, reading the tables of the nodes it depends
    on and writing its own (the output dataset of the parent event)."""
    namespace = parent.outputs[0].namespace if parent.outputs else ""
    written = {dataset.name: dataset for dataset in parent.outputs}
    parent_facet = ParentRunFacet(
        run=ParentRun(runId=parent.run.runId),
        job=ParentJob(namespace=parent.job.namespace, name=parent.job.name),
        producer=parent.producer,
    )
    events = []
    for uid, entries in sorted(_touched(document).items()):
        output = written.get(dataset_name(entries[0], manifest))
        if output is None:  # a source or seed: read, not built
            continue
        node = manifest.get("nodes", {}).get(uid) or {}
        reads = [
            dataset_name({"unique_id": upstream, "asset": upstream.split(".")[-1]}, manifest)
            for upstream in (node.get("depends_on") or {}).get("nodes", [])
        ]
        failed = any(entry["status"] != "materialized" for entry in entries) or any(
            check["severity"] == "error" and check["status"] in ("failed", "errored")
            for entry in entries
            for check in entry["checks"]
        )
        events.append(
            RunEvent(
                eventType=RunState.FAIL if failed else RunState.COMPLETE,
                eventTime=parent.eventTime,
                run=Run(
                    runId=openlineage_run_id(document["run_id"], uid),
                    facets={"parent": parent_facet},
                ),
                job=Job(namespace=parent.job.namespace, name=uid.split(".", 1)[-1]),
                producer=parent.producer,
                inputs=[InputDataset(namespace, name) for name in sorted(set(reads))],
                outputs=[output],
            )
        )
    return events


def run_event(document: dict, manifest: dict, paths: FactoryPaths) -> RunEvent:
    """The RunEvent of one factory_run evidence document."""
    namespace = dataset_namespace(document, paths)
    invocation = document["invocation"]
    producer = PRODUCER.format(version=invocation["factory_version"])
    by_node = _touched(document)
    names = {uid: dataset_name(entries[0], manifest) for uid, entries in by_node.items()}
    inputs, outputs, cells = [], [], []
    for uid, entries in sorted(by_node.items(), key=lambda item: names[item[0]]):
        name = names[uid]
        cells += [_cell(name, entry) for entry in entries]
        checked = assertions(entries, manifest)
        facet = DataQualityAssertionsDatasetFacet(checked, producer=producer)
        if entries[0]["resource_type"] in INPUT_TYPES:
            facets = {"dataQualityAssertions": facet} if checked else {}
            inputs.append(InputDataset(namespace, name, inputFacets=facets))
            continue
        rows = [entry["rows"] for entry in entries if entry["rows"] is not None]
        statistics = OutputStatisticsOutputDatasetFacet(rowCount=sum(rows), producer=producer)
        outputs.append(
            OutputDataset(
                namespace,
                name,
                # the dbt integration keeps the assertions of a built model in
                # its dataset facets too: the checks ran on what the run wrote
                facets={"dataQualityAssertions": facet} if checked else {},
                outputFacets={"outputStatistics": statistics} if rows else {},
            )
        )
    source_names = {entries[0]["asset"]: names[uid] for uid, entries in by_node.items()}
    factory_facet = FactoryRunFacet(
        runId=document["run_id"],
        command=invocation["command"],
        status=document["status"],
        partitions=document["partitions"],
        evidence={"file": f"{document['run_id']}.json", "sha256": document["report"]["sha256"]},
        landing=_landing(document, source_names),
        cells=cells,
        warehouseId=(document.get("warehouse") or {}).get("id"),
        producer=producer,
    )
    # the dbt project's name, as the run recorded it or the manifest says
    project = (
        invocation.get("project_name")
        or (manifest.get("metadata") or {}).get("project_name")
        or invocation["tool"]
    )
    return RunEvent(
        eventType=event_type(document),
        eventTime=document["finished_at"],
        run=Run(runId=openlineage_run_id(document["run_id"]), facets={FACET_NAME: factory_facet}),
        job=Job(namespace=project, name=f"factory.{invocation['command']}"),
        producer=producer,
        inputs=inputs,
        outputs=outputs,
    )
