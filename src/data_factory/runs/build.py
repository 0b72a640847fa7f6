"""A factory run: ingest (optional), build one partition with dbt, count,
reconcile, and write validated evidence. One evidence file per partition, so
an interrupted range loses at most the partition in flight.

`run_partition` takes an optional `stages` hook that is told how long each
stage of the run took (see `StageHook`); the benchmarks time a day's build
with it."""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from data_factory.core.clock import utc_now_iso
from data_factory.core.console import say
from data_factory.core.errors import BuildFailed, FactoryError, HomeError
from data_factory.decisions.gate import active_approvals
from data_factory.evidence.document import build_evidence
from data_factory.evidence.intents import clear_intent, intent_cells, write_intent
from data_factory.evidence.signing import run_signer
from data_factory.evidence.store import write_evidence
from data_factory.landing import spark_export as spark_landing
from data_factory.landing.ingest import ingest_partition
from data_factory.landing.landed import landed_inputs
from data_factory.landing.manifest import MANIFEST_NAME
from data_factory.project.contracts import landing_source
from data_factory.project.dbt_runner import DbtProject
from data_factory.project.roles import roles_of
from data_factory.runs.inputs import failed_input, input_from_report
from data_factory.runs.stages import StageHook, stage
from data_factory.state.index import record_run_evidence
from data_factory.warehouse.connect import adapter_type, open_engine
from data_factory.warehouse.counts import reconcile, reconciliation_entry
from data_factory.warehouse.fingerprint import fingerprint_assets
from data_factory.warehouse.identity import ensure_identity


def new_run_id(label: str) -> str:
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    return f"r{stamp}-{label}-{secrets.token_hex(2)}"


@dataclass
class RunOutcome:
    run_id: str
    partition: str
    status: str
    evidence_path: Path
    evidence: dict = field(repr=False)


def _count_and_reconcile(
    project: DbtProject, manifest: dict, partitions: list[str], run_results: dict
) -> tuple[dict, list[dict], dict]:
    """Fingerprints (rows and content hash) per built asset and day, the
    day's reconciliation, and the warehouse's identity, from the warehouse
    the manifest's target builds into."""
    results = run_results.get("results", [])
    executed = [r["unique_id"] for r in results if r.get("status") == "success"]
    passed = {r["unique_id"] for r in results if r.get("status") == "pass"}
    roles = roles_of(manifest)
    check = roles.reconciliations[0] if roles.reconciliations else None
    manifests = roles.landing_table("manifests")
    with open_engine(project.paths, manifest, project.target) as engine:
        warehouse = {"id": ensure_identity(engine), "engine": adapter_type(manifest) or "duckdb"}
        fingerprints = (
            fingerprint_assets(engine, manifest, partitions, executed) if executed else {}
        )
        reconciliation = reconcile(
            engine,
            partitions,
            check,
            manifests.relation if manifests else None,
            fact_built=check is not None and check.model in executed,
            check_passed=check is not None and check.check in passed,
        )
    return fingerprints, reconciliation, warehouse


def run_partition(
    project: DbtProject,
    partition: str,
    *,
    ingest: bool,
    command: str,
    select: list[str] | None = None,
    exclude: list[str] | None = None,
    extra_vars: dict | None = None,
    stages: StageHook | None = None,
) -> RunOutcome:
    paths = project.paths
    run_id = new_run_id(partition)
    started_at = utc_now_iso()
    inputs: list[dict] = []
    not_attempted = None
    # On Spark the sources are Parquet copies of the landed day: with the
    # Spark landing enabled, the ingest writes them after it commits.
    on_spark = project.target is not None and adapter_type(project.manifest_dict()) == "spark"
    if on_spark:
        spark_landing.enable(paths)
    vars_ = {"partition": partition, **(extra_vars or {})}
    # before the warehouse changes: what this run may change (evidence.intents)
    write_intent(
        paths,
        run_id=run_id,
        command=command,
        started_at=started_at,
        partitions=[partition],
        vars_=vars_,
        cells=intent_cells(project.manifest_dict(), select, ingest),
    )

    if ingest:
        try:
            report = ingest_partition(
                paths, partition, run_id, source=landing_source(project.manifest_dict())
            )
            inputs.append(input_from_report(report))
            by_reason = ", ".join(
                f"{count:,} {reason}" for reason, count in sorted(report.rejected_by_reason.items())
            )
            say(
                f"  ingest  {report.manifest_lines:,} lines -> {report.landed_rows:,} landed, "
                f"{report.rejected_rows:,} rejected" + (f" ({by_reason})" if by_reason else "")
            )
            if report.status == "failed":
                not_attempted = "UPSTREAM_FAILED"
                say(f"  ingest  partition {partition} failed: {', '.join(report.reason_codes)}")
        except HomeError:  # the home, not the day's input: the command stops
            raise
        except FactoryError as exc:
            inputs.append(failed_input(partition, exc, run_id, _manifest_file(paths, partition)))
            not_attempted = "UPSTREAM_FAILED"
            say(f"  ingest  refused: {exc}")
    else:
        landed = landed_inputs(paths, [partition]).get(partition)
        if landed:
            if on_spark:
                spark_landing.export_from_warehouse(paths, partition)
            inputs.append(landed)
        else:
            # a day built without a landing would be an empty day that looks
            # complete: nothing is built, and the landing cells say why
            missing = FactoryError(
                "LANDING_MISSING",
                f"nothing is landed for {partition}: ingest its export first "
                f"(`factory ingest --partition {partition}`, or `factory run`)",
            )
            inputs.append(failed_input(partition, missing, run_id))
            not_attempted = "UPSTREAM_FAILED"
            say(f"  build   refused: {missing}")

    target_dir = paths.runs / run_id
    if not_attempted:
        run_results = {"results": [], "args": {"which": "build", "vars": vars_}}
        dbt_args: list[str] = []
    else:
        run_results, dbt_args = invoke_build(
            project, target_dir, vars_, select, exclude, label=partition, stages=stages
        )
    (outcome,) = record_days(
        project,
        [partition],
        run_results,
        dbt_args,
        {partition: inputs},
        started_at,
        command=command,
        select=select,
        not_attempted=not_attempted,
        run_ids=[run_id],
        stages=stages,
        intent=run_id,
    )
    return outcome


def _manifest_file(paths, partition: str) -> Path:
    return paths.tickets_partition_dir(partition) / MANIFEST_NAME


def record_ingest(
    project: DbtProject,
    partition: str,
    *,
    report=None,
    error: FactoryError | None = None,
    run_id: str,
) -> RunOutcome:
    """Evidence for an ingest without a build: the landing assets are
    materialized (or failed), the models are recorded as not selected."""
    started_at = utc_now_iso()
    inputs = [
        input_from_report(report)
        if report
        else failed_input(partition, error, run_id, _manifest_file(project.paths, partition))
    ]
    run_results = {"results": [], "args": {"which": "ingest", "vars": {"partition": partition}}}
    # the ingest has just reconciled its day; a refused day shows what was landed before
    reconciliation = (
        [
            reconciliation_entry(
                partition,
                report.manifest_lines,
                report.landed_rows,
                report.rejected_rows,
                report.distinct_event_ids,
                None,
            )
        ]
        if report
        else None
    )
    (outcome,) = record_days(
        project,
        [partition],
        run_results,
        [],
        {partition: inputs},
        started_at,
        command="ingest",
        select=None,
        not_attempted=None,
        run_ids=[run_id],
        reuse_last_parse=True,
        reconciliation=reconciliation,
    )
    return outcome


def invoke_build(
    project: DbtProject,
    target_dir: Path,
    vars_: dict,
    select,
    exclude,
    label: str,
    stages: StageHook | None = None,
) -> tuple[dict, list[str]]:
    exclusions = [*(exclude or []), *project.once_per_process_exclusions()]
    with stage(stages, "dbt"):
        invocation = project.invoke(
            "build", target_dir, vars=vars_, select=select, exclude=exclusions
        )
    if not invocation.run_results_path.exists():
        raise BuildFailed(
            "BUILD_ERROR",
            f"dbt build for {label} stopped before running anything: "
            f"{invocation.error or 'see ' + str(target_dir / 'logs')}",
        )
    run_results = json.loads(invocation.run_results_path.read_text())
    project.note_build(run_results)
    project.link_manifest(target_dir)
    return run_results, invocation.args


def record_days(
    project: DbtProject,
    partitions: list[str],
    run_results: dict,
    dbt_args: list[str],
    inputs_by_day: dict[str, list[dict]],
    started_at: str,
    *,
    command: str,
    select: list[str] | None,
    not_attempted: str | None,
    run_ids: list[str],
    reuse_last_parse: bool = False,
    reconciliation: list[dict] | None = None,
    stages: StageHook | None = None,
    intent: str | None = None,
    results_by_day: dict[str, dict] | None = None,
) -> list[RunOutcome]:
    """Count, reconcile and write one validated evidence file per day, then
    update the state from it. A day's state changes only once its evidence
    is on disk. The run's intent (evidence.intents) is cleared once every
    day's evidence is written; if one cannot be, the state is told at once
    (its cells: failed, EVIDENCE_NOT_WRITTEN) and the error goes on.
    `stages` is told the seconds of counts, evidence and state;
    `results_by_day` replaces the run results in a day's evidence (the
    chunk's warnings pinned to their days, runs.attribution)."""
    paths = project.paths
    manifest = project.manifest_dict(reuse_last_parse)
    executed = [
        r["unique_id"] for r in run_results.get("results", []) if r.get("status") in ("success",)
    ]
    if executed or reconciliation is None:
        with stage(stages, "counts"):
            fingerprints, counted, warehouse = _count_and_reconcile(
                project, manifest, partitions, run_results
            )
        reconciliation = counted if reconciliation is None else reconciliation
    else:
        fingerprints, warehouse = {}, None
    # the landed rows' asset, as the project names it, on every input
    landing_asset = roles_of(manifest).landing_rows_asset
    inputs_by_day = {
        day: [{**item, "asset": landing_asset} for item in items]
        for day, items in inputs_by_day.items()
    }
    outcomes: list[RunOutcome] = []
    signer = run_signer(paths.home)
    try:
        for partition, run_id in zip(partitions, run_ids, strict=True):
            approvals = active_approvals(paths, partition, manifest)
            with stage(stages, "evidence"):
                evidence = build_evidence(
                    run_id=run_id,
                    kind="factory_run",
                    command=command,
                    started_at=started_at,
                    run_results=(results_by_day or {}).get(partition, run_results),
                    manifest=manifest,
                    partitions=[partition],
                    inputs=inputs_by_day.get(partition, []),
                    fingerprints={
                        key: value
                        for key, value in fingerprints.items()
                        if key[1] in (partition, None)
                    },
                    reconciliation=[r for r in reconciliation if r["partition"] == partition],
                    selection=select,
                    target=project.target or "duckdb",
                    not_attempted_reason=not_attempted,
                    dbt_args=dbt_args,
                    approvals=approvals,
                    warehouse=warehouse,
                )
                path = write_evidence(evidence, paths.evidence / f"{run_id}.json", signer=signer)
            outcomes.append(RunOutcome(run_id, partition, evidence["status"], path, evidence))
    except BaseException:
        # the intent stays: the state marks its cells failed, EVIDENCE_NOT_WRITTEN, now
        record_run_evidence(paths, [outcome.evidence_path for outcome in outcomes], manifest)
        raise
    if intent:
        clear_intent(paths, intent)
    # only now, with every day's evidence validated and on disk, does the state
    # change, in one transaction (a crash before it: the next apply indexes them)
    with stage(stages, "state"):
        record_run_evidence(paths, [outcome.evidence_path for outcome in outcomes], manifest)
    return outcomes
