"""`factory backfill | replay | retry | plan`: recovering a broken day."""

from __future__ import annotations

import json
import sys

import click

from data_factory.cli.options import (
    check_selection,
    dbt_project,
    finish,
    format_option,
    home_paths,
    locked,
    max_days_option,
    partition_option,
    resolve_partitions,
    with_switch_options,
)
from data_factory.core import errors
from data_factory.core.errors import FactoryError
from data_factory.core.partitions import day_range, parse_partition


@click.command(short_help="Build a range of days, resumable, with progress and ETA.")
@click.option("--start", required=True, help="First day, YYYY-MM-DD.")
@click.option("--end", required=True, help="Last day, YYYY-MM-DD (inclusive).")
@click.option("--select", "-s", multiple=True, help="dbt selection (repeatable).")
@click.option(
    "--ingest/--no-ingest",
    default=False,
    show_default=True,
    help="Also (re-)ingest each day from its landing manifest first.",
)
@click.option(
    "--restart", is_flag=True, help="Forget the progress of an earlier run of the same backfill."
)
@click.option(
    "--chunk-days",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="Days per dbt invocation. 1: an interruption loses at most one day. "
    "7 or 30: several times faster; a chunk that is not clean is rebuilt day by day.",
)
@max_days_option
@with_switch_options
@click.option("--target", "-t", "dbt_target", default=None, help="dbt target (default duckdb).")
@format_option
@click.pass_context
def backfill(
    ctx,
    start,
    end,
    select,
    ingest,
    restart,
    chunk_days,
    max_days,
    enable,
    disable,
    dbt_target,
    output,
):
    """Build a range of days in one process (one parse), oldest first, with
    one evidence file per day and progress + ETA on stderr.

    Interrupted? Run the same command again: it continues where it stopped.

    \b
    Example:
      factory backfill --start 2026-10-01 --end 2026-10-31 --chunk-days 7
    """
    from data_factory.recovery.actions import backfill as run_backfill

    resolve_partitions((), start, end, max_days)  # a bad, reversed or huge range: usage
    project = dbt_project(ctx, enable, disable, dbt_target)
    with locked(ctx, "backfill", start):
        check_selection(project, select)
        outcomes = run_backfill(
            project,
            start,
            end,
            select=list(select) or None,
            ingest=ingest,
            restart=restart,
            chunk_days=chunk_days,
        )
    finish(ctx, outcomes, output)


@click.command(short_help="Re-ingest a (corrected) day, rebuild it and its readers.")
@partition_option()
@format_option
@click.pass_context
def replay(ctx, partition, output):
    """Re-ingest a day from its landing manifest (for example a corrected
    export), rebuild it, then rebuild every KPI day whose window reads it.

    \b
    Example:
      factory replay --partition 2026-11-03
    """
    from data_factory.recovery.actions import replay as run_replay

    if not partition:
        raise click.UsageError("give --partition YYYY-MM-DD")
    project = dbt_project(ctx)
    with locked(ctx, "replay", partition):
        outcomes = run_replay(project, partition)
    finish(ctx, outcomes, output)


@click.command(short_help="Re-run only what failed in a run (transient errors).")
@click.argument("run_id", required=False)
@format_option
@click.pass_context
def retry(ctx, run_id, output):
    """Re-run only what failed in RUN_ID (default: the latest failed run), for
    the same partitions. For transient errors with unchanged inputs.

    \b
    Example:
      factory retry
    """
    from data_factory.recovery.actions import retry as run_retry

    project = dbt_project(ctx)
    with locked(ctx, "retry", run_id or "latest"):
        outcomes = run_retry(project, home_paths(ctx).evidence, run_id)
    finish(ctx, outcomes, output)


@click.command(short_help="One recovery action per broken cell (dry run, or --apply).")
@click.option("--start", help="Only days from this one, YYYY-MM-DD.")
@click.option("--end", help="Only days up to this one, YYYY-MM-DD.")
@click.option(
    "--apply",
    "apply_plan",
    is_flag=True,
    help="Run the plan (default: dry run). `investigate` items are never run.",
)
@format_option
@click.pass_context
def plan(ctx, start, end, apply_plan, output):
    """Propose exactly one action (retry / replay / backfill / investigate)
    for every asset x day that is not consumable, upstream first, with the
    reasons, what it covers downstream, the command and the runbook.
    Exit 0 when there is nothing to recover, 1 when there is.

    \b
    Example:
      factory plan
      factory plan --apply
    """
    import subprocess

    from data_factory.landing.landed import landing_problems
    from data_factory.project.parsed import load_manifest
    from data_factory.project.windows import history_start
    from data_factory.recovery.plan import make_plan
    from data_factory.render.explain import explain_landing_problem

    paths = home_paths(ctx)
    try:
        for value, name in ((start, "--start"), (end, "--end")):
            if value:
                parse_partition(value, name)
        if start and end:
            day_range(start, end)  # start after end
    except FactoryError as exc:
        raise click.UsageError(exc.message) from None
    from data_factory.state.index import sync
    from data_factory.state.read import has_pending_intents

    if has_pending_intents(paths):
        sync(paths)  # a build ended without its evidence (killed): index it first
    manifest = load_manifest(paths, parse_if_missing=False)
    items = make_plan(paths, start, end, manifest)
    for problem in landing_problems(paths, history_start(manifest)):
        click.echo(f"landing problem (not planned): {explain_landing_problem(problem)}", err=True)
    if output == "json":
        click.echo(json.dumps([i.to_dict() for i in items], indent=2))
    elif not items:
        click.echo("nothing to recover: every built asset x day is consumable")
    else:
        for n, item in enumerate(items, start=1):
            days = item.start if item.start == item.end else f"{item.start}..{item.end}"
            click.echo(f"{n}. {item.action:<11} {item.asset} {days}  [{', '.join(item.reasons)}]")
            if item.covers:
                click.echo(f"   covers: {', '.join(item.covers)}")
            click.echo(f"   run:    {item.command or _no_command(item.action)}")
            click.echo(f"   runbook: {item.runbook}")
    if not apply_plan:
        if items:
            click.echo("dry run: nothing was changed (use --apply to run it)", err=True)
        ctx.exit(errors.EXIT_OK if not items else errors.EXIT_BLOCKED)
    from data_factory.recovery.plan import set_aside_lost_warehouse

    done_aside = set_aside_lost_warehouse(
        paths, items, load_manifest(paths, parse_if_missing=False)
    )
    if done_aside:
        click.echo(done_aside, err=True)
    worst = errors.EXIT_OK
    for item in items:
        if item.action == "investigate" or not item.command:
            click.echo(f"skipped ({item.action}): {item.asset} {item.start}..{item.end}", err=True)
            worst = max(worst, errors.EXIT_BLOCKED)
            continue
        for command in item.command.split(" && "):
            click.echo(f"applying: {command}", err=True)
            words = command.split()[1:]
            done = subprocess.run(
                [sys.executable, "-m", "data_factory.cli", "--home", str(paths.home), *words]
            )
            if done.returncode != 0:
                worst = max(worst, errors.EXIT_BLOCKED)
    ctx.exit(worst)


def _no_command(action: str) -> str:
    if action == "await_export":
        return "(nothing until the source sends the export; see the runbook)"
    return "(a person decides; see the runbook)"


COMMANDS = (backfill, replay, retry, plan)
