"""Hand-made evidence for the state store: the project of artifacts_fixture
plus a KPI model that reads a window of fact days, and factory-run evidence
documents small enough to write by hand (each validates against the schema).

`Home.build(...)` writes one run's evidence into a temporary home and applies
it to that home's state store, as a run does; `Home.grid()` reads the cells."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from artifacts_fixture import FACT, SEED, SOURCE, STAGING, manifest

from data_factory.core.errors import FactoryError
from data_factory.core.paths import FactoryPaths
from data_factory.evidence.store import write_evidence
from data_factory.runs.inputs import failed_input
from data_factory.state.db import connect_writer
from data_factory.state.derive import derive_state
from data_factory.state.index import apply_evidence_file
from data_factory.state.read import read_cells

KPI = "model.shop.order_kpi"
OPEN = "model.shop.open_orders"  # self-dependent: day D carries day D - 1 forward
BACKLOG = "model.shop.backlog_kpi"  # reads OPEN's day (and sorts before it)
WINDOW_VAR = "kpi_window_days"
WINDOW = 1  # a KPI day reads the fact of that day and the day before
CONSUMER = "dashboard"
DAYS = ("2026-11-01", "2026-11-02", "2026-11-03", "2026-11-04")

# unique_id -> (asset, resource_type, depends_on), as derive_assets writes them
NODES = {
    SOURCE: ("orders", "source", []),
    SEED: ("regions", "seed", []),
    STAGING: ("stg_orders", "model", [SOURCE]),
    FACT: ("order_fact", "model", [SEED, STAGING]),
    KPI: ("order_kpi", "model", [FACT]),
    OPEN: ("open_orders", "model", [FACT]),
    BACKLOG: ("backlog_kpi", "model", [OPEN]),
}
PARTITIONED = (FACT, KPI, OPEN, BACKLOG)


def kpi_manifest() -> dict:
    """artifacts_fixture's manifest, a KPI model over a window of fact days,
    a self-dependent model of the open orders (day D reads its day D - 1),
    and one consumer (a dbt exposure) that needs the fact and the KPI."""
    found = manifest()
    found["nodes"][KPI] = {
        "unique_id": KPI,
        "name": "order_kpi",
        "resource_type": "model",
        "depends_on": {"nodes": [FACT]},
        "checksum": {"checksum": "sum-order_kpi"},
        "config": {"meta": {"partition_column": "kpi_date", "reads_window_var": WINDOW_VAR}},
    }
    found["nodes"][OPEN] = {
        "unique_id": OPEN,
        "name": "open_orders",
        "resource_type": "model",
        "depends_on": {"nodes": [FACT]},
        "checksum": {"checksum": "sum-open_orders"},
        "config": {"meta": {"partition_column": "day", "reads_previous_partition": True}},
    }
    found["nodes"][BACKLOG] = {
        "unique_id": BACKLOG,
        "name": "backlog_kpi",
        "resource_type": "model",
        "depends_on": {"nodes": [OPEN]},
        "checksum": {"checksum": "sum-backlog_kpi"},
        "config": {"meta": {"partition_column": "day"}},
    }
    found["exposures"] = {
        f"exposure.shop.{CONSUMER}": {
            "unique_id": f"exposure.shop.{CONSUMER}",
            "name": CONSUMER,
            "resource_type": "exposure",
            "depends_on": {"nodes": [FACT, KPI]},
            "config": {"meta": {"owners": ["ana.lima"]}},
        }
    }
    return found


def asset_entry(uid: str, partition: str | None, checksum: str | None = None, **extra) -> dict:
    asset, resource_type, depends_on = NODES[uid]
    return {
        "asset": asset,
        "unique_id": uid,
        "resource_type": resource_type,
        "partition": partition,
        "status": "materialized",
        "rows": 10,
        "execution_time_s": 0.1,
        "checksum": checksum or f"sum-{asset}",
        "depends_on": depends_on,
        "checks": [],
        "reason_codes": [],
        "message": None,
        **extra,
    }


def run_document(
    run_id: str, minute: int, assets: list[dict], inputs: list[dict] | None = None
) -> dict:
    """A factory_run evidence document; runs are ordered by `minute`."""
    moment = f"2026-11-10T09:{minute:02d}:00Z"
    return {
        "schema_version": "1.0",
        "run_id": run_id,
        "kind": "factory_run",
        "status": "success",
        "started_at": moment,
        "finished_at": moment,
        "invocation": {
            "tool": "factory",
            "command": "build",
            "dbt_command": "build",
            "dbt_args": [],
            "vars": {WINDOW_VAR: WINDOW},
            "selection": None,
            "target": None,
            "adapter": "duckdb",
            "dbt_version": None,
            "dbt_invocation_id": None,
            "project_name": "shop",
            "factory_version": "0.1.0",
        },
        "code": {
            "git_sha": None,
            "git_dirty": None,
            "manifest_schema": None,
            "node_checksums": {a["unique_id"]: a["checksum"] for a in assets},
        },
        "partitions": sorted({a["partition"] for a in assets if a["partition"]}),
        "inputs": inputs or [],
        "assets": assets,
        "reconciliation": [],
        "reason_codes": sorted({r for a in assets for r in a["reason_codes"]}),
        "approvals": [],
        "report": {"path": "", "sha256": ""},
    }


def refused_input(partition: str, code: str) -> dict:
    """The input entry of an export the ingest refused (nothing was written),
    as a run records it (runs.inputs)."""
    refusal = FactoryError(code, "the export was refused")
    return {"asset": "orders", **failed_input(partition, refusal, "run-refused")}


def cells_of(*uids: str, days=DAYS, **entry) -> list[dict]:
    """Entries for every day of each partitioned uid (one entry for the others)."""
    return [
        asset_entry(uid, day, **entry)
        for uid in uids
        for day in (days if uid in PARTITIONED else [None])
    ]


class Home:
    def __init__(self, home: Path):
        self.paths = FactoryPaths(home)
        self.manifest = kpi_manifest()
        self.minute = 0

    def write(self, document: dict) -> Path:
        return write_evidence(document, self.paths.evidence / f"{document['run_id']}.json")

    def build(self, run_id: str, assets: list[dict], inputs: list[dict] | None = None):
        """Write one run's evidence and apply it, as a run does."""
        self.minute += 1
        path = self.write(run_document(run_id, self.minute, assets, inputs))
        report = apply_evidence_file(self.paths, [path], manifest=self.manifest)
        self.assert_matches_a_full_derivation()
        return report

    def grid(self) -> dict[tuple[str, str | None], dict]:
        return {(c["asset"], c["partition"]): c for c in read_cells(self.paths)}

    def statuses(self, asset: str) -> dict[str | None, str]:
        return {day: c["status"] for (name, day), c in self.grid().items() if name == asset}

    def assert_matches_a_full_derivation(self) -> None:
        """Applying a run derives only the cells it can change; that must
        equal deriving every cell again."""
        query = "select * from asset_state order by unique_id, partition"
        connection = connect_writer(self.paths)
        try:
            kept = [tuple(row) for row in connection.execute(query)]
            connection.execute("begin")
            derive_state(connection)
            again = [tuple(row) for row in connection.execute(query)]
            connection.execute("rollback")
        finally:
            connection.close()
        assert again == kept


def table_names(paths: FactoryPaths) -> set[str]:
    connection = sqlite3.connect(str(paths.state))
    try:
        return {row[0] for row in connection.execute("select name from sqlite_master")}
    finally:
        connection.close()
