"""Several landed days in one dbt invocation, with one evidence file per
day: the fast path of a backfill (`--chunk-days N`)."""

from __future__ import annotations

from data_factory.core.clock import utc_now_iso
from data_factory.core.console import say
from data_factory.evidence.intents import clear_intent, intent_cells, write_intent
from data_factory.landing import spark_export as spark_landing
from data_factory.landing.landed import landed_inputs
from data_factory.project.dbt_runner import DbtProject
from data_factory.runs.attribution import results_by_day, warned_checks
from data_factory.runs.build import (
    RunOutcome,
    invoke_build,
    new_run_id,
    record_days,
    run_partition,
)
from data_factory.warehouse.connect import adapter_type, open_engine


def _all_clean(run_results: dict) -> bool:
    """No node errored, failed, warned or was skipped (exposures are no-ops)."""
    return not any(
        str(r.get("status")).lower() in ("error", "fail", "warn", "skipped", "runtime error")
        for r in run_results.get("results", [])
    )


def run_chunk(
    project: DbtProject,
    partitions: list[str],
    *,
    command: str,
    select: list[str] | None = None,
    exclude: list[str] | None = None,
) -> list[RunOutcome]:
    """Build several landed days in ONE dbt invocation (vars partition_start
    and partition_end), then write one evidence file per day.

    A check that passes over the range passes for each of its days, so a
    clean chunk attributes exactly. Warnings of checks whose failing rows
    name their day are pinned to their days from those rows
    (runs.attribution). If anything else in the chunk fails, errors or
    warns, every day is rebuilt alone (replacement by predicate makes that
    idempotent) so each failure is pinned to its own day.
    """
    if len(partitions) == 1:
        return [
            run_partition(
                project,
                partitions[0],
                ingest=False,
                command=command,
                select=select,
                exclude=exclude,
            )
        ]
    paths = project.paths
    started_at = utc_now_iso()
    label = f"{partitions[0]}..{partitions[-1]}"
    chunk_dir = paths.runs / new_run_id(f"{partitions[0]}_{partitions[-1]}")
    if project.target is not None and adapter_type(project.manifest_dict()) == "spark":
        spark_landing.enable(paths)
        for partition in partitions:
            spark_landing.export_from_warehouse(paths, partition)
    vars_ = {"partition_start": partitions[0], "partition_end": partitions[-1]}
    write_intent(
        paths,
        run_id=chunk_dir.name,
        command=command,
        started_at=started_at,
        partitions=partitions,
        vars_=vars_,
        cells=intent_cells(project.manifest_dict(), select, ingest=False),
    )
    run_results, dbt_args = invoke_build(project, chunk_dir, vars_, select, exclude, label=label)
    per_day = None
    if not _all_clean(run_results):
        warned = warned_checks(run_results, project.manifest_dict())
        if not warned:
            say(f"  chunk {label} was not clean; rebuilding its days one by one to attribute it")
            outcomes = [
                run_partition(
                    project,
                    partition,
                    ingest=False,
                    command=command,
                    select=select,
                    exclude=exclude,
                )
                for partition in partitions
            ]
            clear_intent(paths, chunk_dir.name)  # each day has its own evidence now
            return outcomes
        # only warnings, of checks whose failing rows name their day: pinned from those rows
        with open_engine(paths, project.manifest_dict(), project.target) as engine:
            per_day = results_by_day(engine, run_results, warned, partitions)
        say(f"  chunk {label}: {len(warned)} warning check(s) pinned to their days")
    inputs = {p: [i] for p, i in landed_inputs(paths, partitions).items()}
    return record_days(
        project,
        partitions,
        run_results,
        dbt_args,
        inputs,
        started_at,
        command=command,
        select=select,
        not_attempted=None,
        run_ids=[new_run_id(p) for p in partitions],
        intent=chunk_dir.name,
        results_by_day=per_day,
    )
