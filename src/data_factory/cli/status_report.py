"""The asset x day report that `factory status` shows, and that a run's
summary shows for the days it built: the state store's cells (with the
warehouse's own problems), the consumers' decisions, the approvals."""

from __future__ import annotations

import click

from data_factory.core.errors import FactoryError
from data_factory.core.paths import FactoryPaths
from data_factory.decisions.gate import consumer_grid
from data_factory.decisions.recheck import with_warehouse_problems
from data_factory.project.parsed import load_manifest
from data_factory.state.index import sync
from data_factory.state.read import (
    has_pending_intents,
    read_cells,
    read_table,
    recorded_approvals,
    unindexed_files,
)


def _attach_approvals(cells: list[dict], approvals: list[dict], consumer_rows: list[dict]) -> None:
    """Show each approval on the cells whose block it overrides."""
    active = {
        (r["consumer"], r["partition"], r["approval_run_id"])
        for r in consumer_rows
        if r["approval_run_id"]
    }
    by_cell: dict[tuple[str, str | None], list[dict]] = {}
    for approval in approvals:
        summary = {
            "consumer": approval["consumer"],
            "approved_by": approval["approved_by"],
            "approved_at": approval["approved_at"],
            "reason": approval["reason"],
            "overrides": approval["overrides"],
            "run_id": approval["run_id"],
            "active": (approval["consumer"], approval["partition"], approval["run_id"]) in active,
        }
        for blocked in approval["block"]:
            if blocked.get("asset"):
                cell = (blocked["asset"], blocked.get("partition"))
                if summary not in by_cell.setdefault(cell, []):
                    by_cell[cell].append(summary)
    for cell in cells:
        cell["approvals"] = by_cell.get((cell["asset"], cell["partition"]), [])


def collect_status(
    paths: FactoryPaths, assets: tuple[str, ...], since: str | None, verify: bool = False
) -> dict:
    try:
        manifest = load_manifest(paths, parse_if_missing=False)
    except FactoryError:
        manifest = None
        click.echo("note: no parsed dbt manifest yet, so consumers are not shown", err=True)
    if has_pending_intents(paths):
        sync(paths, manifest=manifest)  # a build ended without its evidence (killed): index it
    # the warehouse's id on every call; with --verify, every cell's fingerprint
    everything = with_warehouse_problems(paths, manifest or {}, read_cells(paths), content=verify)
    known = {c["asset"] for c in everything}
    unknown = sorted(set(assets) - known)
    if unknown:
        raise click.UsageError(
            f"no asset named {', '.join(unknown)} in the state store; "
            f"known assets: {', '.join(sorted(known)) or 'none yet'}"
        )
    recent = [c for c in everything if not (since and c["partition"] and c["partition"] < since)]
    cells = [c for c in recent if not assets or c["asset"] in assets]
    unindexed = unindexed_files(paths)
    if unindexed:
        click.echo(
            f"note: {len(unindexed)} evidence file(s) are not in the state store yet "
            "(a run in flight, or run `factory state rebuild`)",
            err=True,
        )
    rejected = read_table(paths, "select file_name from rejected_evidence")
    if rejected:
        click.echo(
            f"note: {len(rejected)} evidence file(s) do not validate and were not applied "
            f"(`factory validate` says why): " + ", ".join(r["file_name"] for r in rejected[:5]),
            err=True,
        )
    partitions = sorted({c["partition"] for c in cells if c["partition"]})
    consumer_rows = consumer_grid(paths, manifest, recent, partitions) if manifest else []
    _attach_approvals(cells, recorded_approvals(paths), consumer_rows)
    return {"cells": cells, "partitions": partitions, "consumers": consumer_rows}


def show_outcomes(paths: FactoryPaths, outcomes, output: str) -> None:
    """A run's summary: JSON rows, or the grid of the days it built."""
    from data_factory.render.run_summary import print_outcomes, run_days

    if output == "json" or not outcomes:
        print_outcomes(outcomes, output)
        return
    days = run_days(outcomes)
    try:
        report = collect_status(paths, (), days[0])
    except FactoryError as exc:  # the run's own outcome (and error) matter more
        click.echo(f"note: the grid of this run's days could not be read: {exc}", err=True)
        return
    built = set(days)
    report = {
        "cells": [c for c in report["cells"] if c["partition"] in built or not c["partition"]],
        "partitions": days,
        "consumers": [r for r in report["consumers"] if r["partition"] in built],
    }
    print_outcomes(outcomes, output, report)
