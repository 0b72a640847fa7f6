"""The failing rows of a check on one day: what a person looks at when a
check failed (runbooks/failed-check.md), without writing SQL.

The rows are those the check's own query returns, so they are exactly what
dbt counted: its compiled SQL, taken from the manifest of the run that last
built the checked asset for the day (the run's target directory, named in its
evidence), where the `partition` var scoped it to that day. The query runs on
the warehouse opened read-only, now: rows fixed since are no longer shown.

Errors, each with its code: an asset with no build of the day
(PARTITION_MISSING), a check without compiled SQL in that run, because it
did not run or the run's target directory is gone (CHECK_SQL_MISSING), SQL
the warehouse no longer runs (CHECK_SQL_FAILED: a table dropped since), a
warehouse that cannot be read (WAREHOUSE_MISSING, WAREHOUSE_LOCKED,
WAREHOUSE_UNREADABLE).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from data_factory.core.errors import FactoryError, warehouse_open_error
from data_factory.core.paths import FactoryPaths
from data_factory.project.manifest import asset_key, asset_nodes, checks_by_asset, partition_column
from data_factory.state.read import read_cells
from data_factory.warehouse.connect import adapter_type


@dataclass
class CheckRun:
    """Where the check last ran for the day, and what its run recorded."""

    unique_id: str
    name: str
    asset: str
    partition: str
    run_id: str
    evidence: str | None
    target_dir: Path
    status: str | None  # the check's status in that run's evidence
    recorded_failures: int | None  # what dbt counted then
    asset_status: str | None = None  # the checked cell's status now
    partitioned: bool = True  # False: a seed, checked whole whatever the day
    scope: dict = field(default_factory=dict)  # the run's partition vars


@dataclass
class FailingRows:
    check: CheckRun
    columns: list[str]
    rows: list[tuple]
    total: int  # rows the query returns now, before --limit
    sql_path: str | None

    def to_dict(self) -> dict:
        check = self.check
        return {
            "check": check.name,
            "unique_id": check.unique_id,
            "asset": check.asset,
            "partition": check.partition,
            "run_id": check.run_id,
            "evidence": check.evidence,
            "status": check.status,
            "recorded_failures": check.recorded_failures,
            "scope": check.scope,
            "asset_status": check.asset_status,
            "partitioned": check.partitioned,
            "sql_path": self.sql_path,
            "total_rows": self.total,
            "shown_rows": len(self.rows),
            "columns": self.columns,
            "rows": [dict(zip(self.columns, row, strict=True)) for row in self.rows],
        }


def find_check(manifest: dict, wanted: str) -> dict | None:
    """The data test named `wanted` (its name or unique_id), or None. More
    than one test of that name: a ValueError naming their unique_ids."""
    tests = [
        node
        for node in (manifest.get("nodes") or {}).values()
        if node.get("resource_type") == "test"
    ]
    exact = [t for t in tests if t.get("unique_id") == wanted]
    named = exact or [t for t in tests if t.get("name") == wanted]
    if len(named) > 1:
        uids = ", ".join(sorted(t["unique_id"] for t in named))
        raise ValueError(f"{len(named)} checks are named {wanted}: give one of {uids}")
    return named[0] if named else None


def check_names(manifest: dict) -> list[str]:
    return sorted(
        node["name"]
        for node in (manifest.get("nodes") or {}).values()
        if node.get("resource_type") == "test" and node.get("name")
    )


def _checked_asset(manifest: dict, check_uid: str) -> tuple[str, dict]:
    assets = asset_nodes(manifest)
    for uid, checks in checks_by_asset(manifest).items():
        if uid in assets and any(c.get("unique_id") == check_uid for c in checks):
            return uid, assets[uid]
    raise FactoryError("CHECK_SQL_MISSING", f"{check_uid} checks no asset of the project")


def _target_dir(paths: FactoryPaths, evidence: dict, run_id: str) -> Path:
    """The run's dbt target directory in this home's runs/: the one its
    evidence names (a chunk of days shares one), by name, since a home that
    was moved or copied keeps its runs but not their absolute paths; without
    one, runs/<run_id>."""
    args = list((evidence.get("invocation") or {}).get("dbt_args") or [])
    if "--target-path" not in args[:-1]:
        return paths.runs / run_id
    return paths.runs / Path(args[args.index("--target-path") + 1]).name


def last_run(paths: FactoryPaths, manifest: dict, check: dict, partition: str) -> CheckRun:
    """The run that last built the checked asset for the day, and what its
    evidence says of the check."""
    asset_uid, node = _checked_asset(manifest, check["unique_id"])
    day = partition if partition_column(node) else None
    cells = [c for c in read_cells(paths, assets=[asset_uid]) if c["partition"] == day]
    if not cells or not cells[0].get("run_id") or not cells[0].get("evidence"):
        raise FactoryError(
            "PARTITION_MISSING",
            f"no evidence records a build of {asset_key(node)} for {partition}, so "
            f"{check['name']} never ran on it; build the day first "
            f"(`factory run --partition {partition}`)",
        )
    cell = cells[0]
    try:
        evidence = json.loads(Path(cell["evidence"]).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise FactoryError(
            "EVIDENCE_INVALID", f"the evidence {cell['evidence']} cannot be read: {exc}"
        ) from None
    recorded = next(
        (
            c
            for a in evidence.get("assets") or []
            for c in a.get("checks") or []
            if c.get("unique_id") == check["unique_id"]
        ),
        {},
    )
    variables = (evidence.get("invocation") or {}).get("vars") or {}
    return CheckRun(
        unique_id=check["unique_id"],
        name=check["name"],
        asset=asset_key(node),
        partition=partition,
        run_id=cell["run_id"],
        evidence=cell["evidence"],
        target_dir=_target_dir(paths, evidence, cell["run_id"]),
        status=recorded.get("status"),
        recorded_failures=recorded.get("failures"),
        asset_status=cell.get("status"),
        partitioned=day is not None,
        scope={k: v for k, v in variables.items() if str(k).startswith("partition")},
    )


def compiled_sql(run: CheckRun) -> tuple[str, str | None]:
    """The check's compiled SQL in its run's manifest, and the compiled file;
    CHECK_SQL_MISSING when that run did not run the check."""
    try:
        manifest = json.loads((run.target_dir / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        manifest = {}
    node = (manifest.get("nodes") or {}).get(run.unique_id) or {}
    sql = node.get("compiled_code")
    # a check the day's last build did not run (its asset blocked or failed)
    # says nothing of the day, even where dbt compiled it: never run it
    if not sql or run.status in (None, "not_run"):
        if run.status in (None, "not_run"):
            why = (
                f"it did not run in the day's last build {run.run_id} "
                f"({run.asset} is {run.asset_status or 'not built'})"
            )
        elif not manifest:
            why = f"its run's target directory {run.target_dir} has no readable manifest.json"
        else:
            why = f"{run.run_id} has no compiled SQL of it"
        fix = (
            f"rebuild the day (`factory build --partition {run.partition}`) to run it again"
            if run.asset_status == "materialized"
            else "`factory plan` says what the day needs first"
        )
        raise FactoryError(
            "CHECK_SQL_MISSING", f"{run.name} has no compiled SQL for {run.partition}: {why}; {fix}"
        )
    recorded = str(node.get("compiled_path") or "")
    if "/compiled/" in recorded:  # dbt records it under the run's target path, as given
        return sql, str(run.target_dir / "compiled" / recorded.split("/compiled/", 1)[1])
    return sql, recorded or None


def failing_rows(
    paths: FactoryPaths, manifest: dict, check: dict, partition: str, limit: int
) -> FailingRows:
    """The rows the check's query returns for the day now, at most `limit`."""
    run = last_run(paths, manifest, check, partition)
    sql, sql_path = compiled_sql(run)
    if adapter_type(manifest) == "spark":
        raise FactoryError(
            "INVALID_OPTION",
            f"failures reads the DuckDB warehouse; on Spark run the check's SQL yourself: "
            f"{sql_path or run.target_dir}",
        )
    if not paths.warehouse.exists() or paths.warehouse.stat().st_size == 0:
        raise FactoryError("WAREHOUSE_MISSING", f"there is no warehouse at {paths.warehouse}")
    import duckdb

    from data_factory.warehouse.duckdb_engine import DuckDBEngine

    try:
        engine = DuckDBEngine(paths, read_only=True)
    except duckdb.Error as exc:
        raise warehouse_open_error(paths.home, paths.warehouse, exc) from None
    query = f"select * from (\n{sql}\n) as failing"
    try:
        with engine:
            cursor = engine.connection.execute(f"{query} limit {int(limit)}")
            columns = [str(d[0]) for d in cursor.description]
            rows = cursor.fetchall()
            total = engine.connection.execute(f"select count(*) from ({query})").fetchone()[0]
    except duckdb.Error as exc:
        raise FactoryError(
            "CHECK_SQL_FAILED",
            f"the compiled SQL of {run.name} ({sql_path}) no longer runs on the warehouse: "
            f"{exc}; rebuild the day (`factory build --partition {partition}`)",
        ) from None
    return FailingRows(run, columns, rows, int(total), sql_path)
