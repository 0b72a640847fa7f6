"""`factory generate | faults | ingest | run | build`: the daily work."""

from __future__ import annotations

import json
from datetime import date

import click

from data_factory.cli.options import (
    check_selection,
    dbt_project,
    format_option,
    outcome_exit,
    partition_option,
    resolve_partitions,
    with_build_options,
    writable_home,
)
from data_factory.core import errors
from data_factory.core.errors import FactoryError
from data_factory.core.partitions import parse_partition


@click.command(short_help="Write realistic helpdesk exports (test data, faults).")
@click.option("--start", required=True, help="First day to export, YYYY-MM-DD.")
@click.option(
    "--days",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="How many consecutive days.",
)
@click.option(
    "--tickets-per-day",
    type=click.IntRange(min=0),
    default=2000,
    show_default=True,
    help="Mean tickets created per day (weekends are quieter).",
)
@click.option("--seed", type=int, default=42, show_default=True, help="Same seed, same bytes.")
@click.option(
    "--faults",
    default="",
    metavar="LIST",
    help="Comma-separated faults to inject: NAME (every day) or NAME@YYYY-MM-DD. "
    "See `factory faults`.",
)
@click.option(
    "--export-version",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="Version written in the manifest; bump it for a corrected export.",
)
@click.pass_context
def generate(ctx, start, days, tickets_per_day, seed, faults, export_version):
    """Write realistic helpdesk exports (NDJSON + _manifest.json) under
    data/landing/tickets/dt=YYYY-MM-DD/: a stand-in for the source system,
    with faults to inject on purpose (`factory faults` lists them). A day
    holds the events of that day: escalations, tickets never answered or
    solved without a reply, reopened twice, or open for months; every
    ticket is closed within 180 days of its creation.

    \b
    Example:
      factory generate --start 2026-11-08
      factory generate --start 2026-11-01 --days 7 --faults bad_enum@2026-11-03
    """
    from data_factory.landing.generate.export import generate_range
    from data_factory.landing.generate.faults import parse_faults

    try:
        first = date.fromisoformat(parse_partition(start, "--start"))
        fault_specs = parse_faults(faults)
    except FactoryError as exc:
        raise click.UsageError(exc.message) from None
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None
    paths = writable_home(ctx)

    def progress(day) -> None:
        note = f" faults: {', '.join(day.faults)}" if day.faults else ""
        click.echo(f"  {day.partition}: {day.lines} lines in {day.files} file(s){note}", err=True)

    try:
        exports = generate_range(
            paths.landing,
            first,
            days,
            tickets_per_day=tickets_per_day,
            seed=seed,
            faults=fault_specs,
            export_version=export_version,
            progress=progress,
        )
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None
    click.echo(f"wrote {len(exports)} day(s) of exports under {paths.landing / 'tickets'}")


@click.command("faults", short_help="The faults generate can inject, and their runbooks.")
def list_faults():
    """List the faults `generate --faults` can inject: what each does to the
    export, what the factory then shows, and the runbook it exercises.

    \b
    Example:
      factory faults
    """
    import shutil

    from data_factory.landing.generate.faults import FAULTS

    width = min(shutil.get_terminal_size((100, 24)).columns, 100)
    labels = {"does:": "effect", "shows:": "shows", "runbook:": "runbook"}
    for name, fault in FAULTS.items():
        click.echo(name)
        for label, field in labels.items():
            text = getattr(fault, field)
            if field == "runbook":
                text = f"runbooks/{text}"
            click.echo(
                click.wrap_text(
                    text, width, initial_indent=f"  {label:<9}", subsequent_indent=" " * 11
                )
            )
    usage = (
        "Inject with `factory generate ... --faults NAME` (every generated day) or "
        "NAME@YYYY-MM-DD (that day only); several: comma-separated."
    )
    click.echo("\n" + click.wrap_text(usage, width))


def _run_days(
    ctx,
    partitions,
    *,
    ingest,
    command,
    select,
    exclude,
    enable,
    disable,
    output,
    verbose,
    dbt_target=None,
):
    from data_factory.cli.status_report import show_outcomes
    from data_factory.runs.build import run_partition
    from data_factory.warehouse.locking import warehouse_lock

    paths = writable_home(ctx)
    project = dbt_project(ctx, enable, disable, dbt_target, verbose)
    outcomes = []
    worst = errors.EXIT_OK
    try:
        with warehouse_lock(paths.warehouse, f"{command}-{partitions[0]}", f"factory {command}"):
            check_selection(project, select, exclude)
            for index, partition in enumerate(partitions, start=1):
                click.echo(f"[{index}/{len(partitions)}] {partition}", err=True)
                outcome = run_partition(
                    project,
                    partition,
                    ingest=ingest,
                    command=command,
                    select=list(select) or None,
                    exclude=list(exclude) or None,
                )
                outcomes.append(outcome)
                worst = max(worst, outcome_exit(outcome))
                click.echo(f"  {outcome.status:<8} evidence {outcome.evidence_path}", err=True)
                dbt_log = paths.runs / outcome.run_id / "logs" / "dbt.log"
                if dbt_log.exists():
                    click.echo(f"  {'':<8} dbt log  {dbt_log}", err=True)
    except FactoryError:
        if outcomes:  # what did finish is shown before the error
            show_outcomes(paths, outcomes, output)
        raise
    show_outcomes(paths, outcomes, output)
    ctx.exit(worst)


@click.command(short_help="Ingest, dbt build and write evidence, day by day.")
@with_build_options
@click.pass_context
def run(ctx, partitions, start, end, max_days, **options):
    """Ingest each day from its landing manifest, build it with dbt, and write
    one validated evidence file per day to data/evidence/.

    \b
    Example:
      factory run --partition 2026-11-08
      factory run --start 2026-11-01 --end 2026-11-07
    """
    days = resolve_partitions(partitions, start, end, max_days)
    _run_days(ctx, days, ingest=True, command="run", **options)


@click.command(short_help="dbt build days already landed (no ingest), with evidence.")
@with_build_options
@click.pass_context
def build(ctx, partitions, start, end, max_days, **options):
    """Build days already landed (no ingest) and write evidence for each.

    \b
    Example:
      factory build --partition 2026-11-08
    """
    days = resolve_partitions(partitions, start, end, max_days)
    _run_days(ctx, days, ingest=False, command="build", **options)


@click.command(short_help="Verify and land days' exports, without building them.")
@partition_option(multiple=True)
@click.option("--start", help="First day of a range, YYYY-MM-DD.")
@click.option("--end", help="Last day of a range, YYYY-MM-DD (inclusive).")
@click.option(
    "--source",
    "folder",
    metavar="FOLDER",
    help="The landing source, by its folder under landing/ (default: the main one, "
    "which the fact reads).",
)
@format_option
@click.pass_context
def ingest(ctx, partitions, start, end, folder, output):
    """Verify each day's landing manifest and land its lines, by the source's
    landing contract, into its raw table (rejected lines, with their reason,
    into its rejected table). Re-ingesting a day replaces it.

    \b
    Example:
      factory ingest --partition 2026-11-08
    """
    from data_factory.landing.ingest import ingest_partitions
    from data_factory.project.contracts import landing_source
    from data_factory.project.dbt_runner import DbtProject
    from data_factory.runs.build import new_run_id, record_ingest
    from data_factory.warehouse.locking import warehouse_lock

    days = resolve_partitions(partitions, start, end)
    paths = writable_home(ctx)
    project = DbtProject(paths)
    source = landing_source(project.manifest_dict(reuse_last_parse=True), folder)
    reports, refused = [], []
    with warehouse_lock(paths.warehouse, f"ingest-{days[0]}", "factory ingest"):
        run_ids = [new_run_id(partition) for partition in days]
        results = ingest_partitions(
            paths,
            list(zip(days, run_ids, strict=True)),
            progress=lambda line: click.echo(line, err=True),
            source=source,
        )
        for partition, run_id, result in zip(days, run_ids, results, strict=True):
            if isinstance(result, FactoryError):
                refused.append(
                    {
                        "partition": partition,
                        "reason_code": result.reason_code,
                        "message": result.message,
                    }
                )
                click.echo(f"{partition}: refused: {result}", err=True)
                if source.main:  # the evidence's inputs are the main landing's
                    record_ingest(project, partition, error=result, run_id=run_id)
            else:
                reports.append(result.to_dict())
                if source.main:
                    record_ingest(project, partition, report=result, run_id=run_id)
    if output == "json":
        click.echo(json.dumps({"ingested": reports, "refused": refused}, indent=2))
    else:
        for r in reports:
            click.echo(
                f"{r['partition']}  {r['status']:<7} lines={r['manifest_lines']} "
                f"landed={r['landed_rows']} rejected={r['rejected_rows']} "
                f"reconciled={r['manifest_lines'] == r['landed_rows'] + r['rejected_rows']}"
                + (f" reasons={','.join(r['reason_codes'])}" if r["reason_codes"] else "")
            )
    if refused:
        ctx.exit(errors.EXIT_INPUT_REJECTED)
    if any(r["status"] == "failed" for r in reports):
        ctx.exit(errors.EXIT_BLOCKED)


COMMANDS = (generate, list_faults, ingest, run, build)
