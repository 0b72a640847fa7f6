"""A factory run: ingest (optional), build one partition with dbt, count,
reconcile, and write validated evidence. One evidence file per partition, so
an interrupted range loses at most the partition in flight."""

from __future__ import annotations

import json
import secrets
import sys
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

import duckdb

from .dbt_invocation import DbtProject
from .errors import BuildFailed, FactoryError, WarehouseLocked
from .evidence import asset_nodes, build_evidence, utc_now_iso, write_evidence
from .ingest import ingest_partition
from .paths import FactoryPaths
from .warehouse import count_rows, reconcile

FACT_MODEL = "model.ticket_factory.ticket_fact"
LANDING_SOURCE = "ticket_events"


def new_run_id(label: str) -> str:
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")
    return f"r{stamp}-{label}-{secrets.token_hex(2)}"


@dataclass
class RunOutcome:
    run_id: str
    partition: str
    status: str
    evidence_path: Path
    evidence: dict = field(repr=False)

    @property
    def exit_worthy(self) -> bool:
        return self.status != "success"


def _input_from_report(report) -> dict:
    return {
        "asset": LANDING_SOURCE,
        "partition": report.partition,
        "status": report.status,
        "manifest_path": report.manifest_path,
        "manifest_sha256": report.manifest_sha256,
        "export_version": report.export_version,
        "files": report.files,
        "manifest_lines": report.manifest_lines,
        "landed_rows": report.landed_rows,
        "rejected_rows": report.rejected_rows,
        "rejected_by_reason": report.rejected_by_reason,
        "unknown_fields": report.unknown_fields,
        "ingest_run_id": report.run_id,
        "reason_codes": sorted(set(report.reason_codes)),
        "message": None,
    }


def _failed_input(partition: str, error: FactoryError, run_id: str) -> dict:
    return {
        "asset": LANDING_SOURCE, "partition": partition, "status": "failed",
        "manifest_path": None, "manifest_sha256": None, "export_version": None,
        "files": [], "manifest_lines": None, "landed_rows": None, "rejected_rows": None,
        "rejected_by_reason": {}, "unknown_fields": [], "ingest_run_id": run_id,
        "reason_codes": [error.reason_code], "message": error.message,
    }


def _landed_input(paths: FactoryPaths, partition: str) -> dict | None:
    """What is landed for a partition that this run did not ingest."""
    if not paths.warehouse.exists():
        return None
    connection = duckdb.connect(str(paths.warehouse), read_only=False)
    try:
        row = connection.execute(
            "select manifest_sha256, export_version, total_lines, landed_rows, rejected_rows,"
            " files_json, unknown_fields_json, ingest_run_id from raw.landing_manifests"
            " where partition_date = cast(? as date)",
            [partition],
        ).fetchone()
    except duckdb.CatalogException:
        row = None
    finally:
        connection.close()
    if row is None:
        return None
    sha, version, lines, landed, rejected, files, unknown, ingest_run = row
    return {
        "asset": LANDING_SOURCE, "partition": partition, "status": "not_ingested",
        "manifest_path": str(paths.tickets_partition_dir(partition) / "_manifest.json"),
        "manifest_sha256": sha, "export_version": version, "files": json.loads(files),
        "manifest_lines": lines, "landed_rows": landed, "rejected_rows": rejected,
        "rejected_by_reason": {}, "unknown_fields": json.loads(unknown),
        "ingest_run_id": ingest_run, "reason_codes": [], "message": None,
    }


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def run_partition(
    project: DbtProject,
    partition: str,
    *,
    ingest: bool,
    command: str,
    select: list[str] | None = None,
    exclude: list[str] | None = None,
    extra_vars: dict | None = None,
    on_evidence: Callable[[dict, Path], None] | None = None,
) -> RunOutcome:
    paths = project.paths
    run_id = new_run_id(partition)
    started_at = utc_now_iso()
    inputs: list[dict] = []
    not_attempted = None

    if ingest:
        try:
            report = ingest_partition(paths, partition, run_id)
            inputs.append(_input_from_report(report))
            _say(
                f"  ingest  {report.manifest_lines} lines -> {report.landed_rows} landed, "
                f"{report.rejected_rows} rejected"
                + (f" {report.rejected_by_reason}" if report.rejected_by_reason else "")
            )
            if report.status == "failed":
                not_attempted = "UPSTREAM_FAILED"
                _say(f"  ingest  partition {partition} failed: {', '.join(report.reason_codes)}")
        except WarehouseLocked:
            raise
        except FactoryError as exc:
            inputs.append(_failed_input(partition, exc, run_id))
            not_attempted = "UPSTREAM_FAILED"
            _say(f"  ingest  refused: {exc}")
    else:
        landed = _landed_input(paths, partition)
        if landed:
            inputs.append(landed)

    manifest = project.manifest_dict()
    target_dir = paths.runs / run_id
    vars_ = {"partition": partition, **(extra_vars or {})}
    dbt_args: list[str] = []
    if not_attempted:
        run_results = {"results": [], "args": {"which": "build", "vars": vars_}}
    else:
        invocation = project.invoke("build", target_dir, vars=vars_, select=select, exclude=exclude)
        if not invocation.run_results_path.exists():
            raise BuildFailed(
                "BUILD_ERROR",
                f"dbt build for {partition} stopped before running anything: "
                f"{invocation.error or 'see ' + str(target_dir / 'logs')}",
            )
        run_results = json.loads(invocation.run_results_path.read_text())
        dbt_args = invocation.args
        project.link_manifest(target_dir)

    executed = [r["unique_id"] for r in run_results.get("results", [])
                if r.get("status") in ("success",)]
    row_counts = count_rows(paths, manifest, [partition], executed) if executed else {}
    fact_relation = (asset_nodes(manifest).get(FACT_MODEL) or {}).get("relation_name")
    reconciliation = reconcile(paths, [partition], fact_relation if FACT_MODEL in executed else None)

    evidence = build_evidence(
        run_id=run_id,
        kind="factory_run",
        command=command,
        started_at=started_at,
        run_results=run_results,
        manifest=manifest,
        partitions=[partition],
        inputs=inputs,
        row_counts=row_counts,
        reconciliation=reconciliation,
        selection=select,
        target=project.target or "duckdb",
        not_attempted_reason=not_attempted,
        dbt_args=dbt_args,
    )
    path = write_evidence(evidence, paths.evidence / f"{run_id}.json")
    if on_evidence:
        on_evidence(evidence, path)
    return RunOutcome(run_id=run_id, partition=partition, status=evidence["status"],
                      evidence_path=path, evidence=evidence)
