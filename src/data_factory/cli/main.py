"""`factory`: the command line of the ticket data factory.

A thin click layer: every command calls importable functions, turns
FactoryError into a message and a documented exit code, writes results to
stdout and progress to stderr.
"""

from __future__ import annotations

import json
import sys
from datetime import date
from pathlib import Path

import click

from data_factory.cli.state_commands import register
from data_factory.core import errors
from data_factory.core.errors import FactoryError
from data_factory.core.partitions import day_range, parse_partition
from data_factory.core.paths import FactoryPaths

EXIT_CODES_HELP = """
Exit codes: 0 ok; 1 a run finished but something is not consumable (failed
check, blocked asset) or a gate blocked; 2 bad usage; 3 input rejected (bad
landing manifest, unreadable artifacts, invalid evidence); 4 warehouse locked
by another run; 5 dbt failed to run.
"""


class FactoryExit(click.ClickException):
    def __init__(self, message: str, exit_code: int):
        super().__init__(message)
        self.exit_code = exit_code


def fail(error: FactoryError) -> FactoryExit:
    return FactoryExit(str(error), error.exit_code)


def _paths(ctx: click.Context) -> FactoryPaths:
    return ctx.obj["paths"]


def _partition_option(multiple: bool = False):
    return click.option(
        "--partition",
        "partitions" if multiple else "partition",
        multiple=multiple,
        help="A UTC day, YYYY-MM-DD." + (" Repeat for several days." if multiple else ""),
    )


def _resolve_partitions(
    partitions: tuple[str, ...], start: str | None, end: str | None
) -> list[str]:
    chosen: list[str] = []
    try:
        chosen += [parse_partition(p) for p in partitions]
        if start or end:
            if not (start and end):
                raise FactoryError("INVALID_PARTITION", "--start and --end go together")
            chosen += day_range(start, end)
    except FactoryError as exc:
        raise click.UsageError(exc.message) from None
    if not chosen:
        raise click.UsageError("give --partition D (repeatable) or --start D1 --end D2")
    return sorted(set(chosen))


@click.group(epilog=EXIT_CODES_HELP)
@click.option(
    "--home",
    type=click.Path(file_okay=False, path_type=Path),
    envvar="FACTORY_HOME",
    help="Where data/ lives (warehouse, landing, evidence, state). "
    "Default: ./data beside the project, or $FACTORY_HOME.",
)
@click.pass_context
def main(ctx: click.Context, home: Path | None) -> None:
    """The ticket data factory: land daily helpdesk exports, build them day by
    day with dbt, and keep validated evidence of what can be trusted.

    \b
    Daily operation:
      factory generate --start 2026-11-01 --days 7   # or drop real exports in data/landing
      factory run --partition 2026-11-03             # ingest + dbt build + evidence
      factory validate data/evidence/*.json          # re-check schema and hash
    """
    ctx.ensure_object(dict)
    ctx.obj["paths"] = FactoryPaths(home.resolve()) if home else FactoryPaths.from_env()


@main.command()
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
    data/landing/tickets/dt=YYYY-MM-DD/."""
    from data_factory.landing.generate import generate_range, parse_faults

    try:
        first = date.fromisoformat(parse_partition(start, "--start"))
        fault_specs = parse_faults(faults)
    except FactoryError as exc:
        raise click.UsageError(exc.message) from None
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None
    paths = _paths(ctx)

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


@main.command("faults")
def list_faults():
    """List the faults `generate --faults` can inject."""
    from data_factory.landing.generate import FAULT_NAMES

    for name in FAULT_NAMES:
        click.echo(name)


def _run_days(
    ctx,
    partitions,
    *,
    ingest,
    command,
    select,
    exclude,
    enable_kpi_mart,
    output,
    verbose,
    dbt_target=None,
):
    from data_factory.project.dbt_runner import DbtProject
    from data_factory.render.run_summary import print_outcomes
    from data_factory.runs.build import run_partition
    from data_factory.warehouse.locking import warehouse_lock

    paths = _paths(ctx)
    parse_vars = {} if enable_kpi_mart is None else {"enable_kpi_mart": enable_kpi_mart}
    project = DbtProject(paths, target=dbt_target, parse_vars=parse_vars, verbose=verbose)
    outcomes = []
    worst = errors.EXIT_OK
    try:
        with warehouse_lock(paths.warehouse, f"{command}-{partitions[0]}", f"factory {command}"):
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
                refused = any(
                    i["status"] == "failed" and i["manifest_sha256"] is None
                    for i in outcome.evidence["inputs"]
                )
                if refused:
                    worst = max(worst, errors.EXIT_INPUT_REJECTED)
                elif outcome.status != "success":
                    worst = max(worst, errors.EXIT_BLOCKED)
                click.echo(f"  {outcome.status:<8} evidence {outcome.evidence_path}", err=True)
    except FactoryError as exc:
        if outcomes:
            print_outcomes(outcomes, output)
        raise fail(exc) from None
    print_outcomes(outcomes, output)
    ctx.exit(worst)


_build_options = [
    click.option("--start", help="First day of a range, YYYY-MM-DD."),
    click.option("--end", help="Last day of a range, YYYY-MM-DD (inclusive)."),
    click.option(
        "--select",
        "-s",
        multiple=True,
        help="dbt selection (repeatable); the rest is recorded as skipped.",
    ),
    click.option("--exclude", multiple=True, help="dbt exclusion (repeatable)."),
    click.option(
        "--enable-kpi-mart/--disable-kpi-mart",
        default=None,
        help="Switch the optional KPI mart on or off (dbt var enable_kpi_mart).",
    ),
    click.option(
        "--format",
        "output",
        type=click.Choice(["table", "json"]),
        default="table",
        show_default=True,
        help="How to print the result on stdout.",
    ),
    click.option(
        "--verbose", "-v", is_flag=True, help="Show every dbt node as it finishes (stderr)."
    ),
    click.option(
        "--target",
        "-t",
        "dbt_target",
        default=None,
        help="dbt target from profiles/profiles.yml (default: duckdb; `spark` to scale out).",
    ),
]


def _with_build_options(function):
    for option in reversed(_build_options):
        function = option(function)
    return _partition_option(multiple=True)(function)


@main.command()
@_with_build_options
@click.pass_context
def run(ctx, partitions, start, end, select, exclude, enable_kpi_mart, output, verbose, dbt_target):
    """Ingest each day from its landing manifest, build it with dbt, and write
    one validated evidence file per day to data/evidence/."""
    days = _resolve_partitions(partitions, start, end)
    _run_days(
        ctx,
        days,
        ingest=True,
        command="run",
        select=select,
        exclude=exclude,
        enable_kpi_mart=enable_kpi_mart,
        output=output,
        verbose=verbose,
        dbt_target=dbt_target,
    )


@main.command()
@_with_build_options
@click.pass_context
def build(
    ctx, partitions, start, end, select, exclude, enable_kpi_mart, output, verbose, dbt_target
):
    """Build days already landed (no ingest) and write evidence for each."""
    days = _resolve_partitions(partitions, start, end)
    _run_days(
        ctx,
        days,
        ingest=False,
        command="build",
        select=select,
        exclude=exclude,
        enable_kpi_mart=enable_kpi_mart,
        output=output,
        verbose=verbose,
        dbt_target=dbt_target,
    )


@main.command()
@_partition_option(multiple=True)
@click.option("--start", help="First day of a range.")
@click.option("--end", help="Last day of a range (inclusive).")
@click.option(
    "--format", "output", type=click.Choice(["table", "json"]), default="table", show_default=True
)
@click.pass_context
def ingest(ctx, partitions, start, end, output):
    """Verify each day's landing manifest and land its lines into
    raw.ticket_events (rejected lines, with their reason, into
    raw.ticket_events_rejected). Re-ingesting a day replaces it."""
    from data_factory.landing.ingest import ingest_partitions
    from data_factory.project.dbt_runner import DbtProject
    from data_factory.runs.build import new_run_id, record_ingest
    from data_factory.warehouse.locking import warehouse_lock

    paths = _paths(ctx)
    days = _resolve_partitions(partitions, start, end)
    project = DbtProject(paths)
    reports, refused = [], []
    try:
        with warehouse_lock(paths.warehouse, f"ingest-{days[0]}", "factory ingest"):
            run_ids = [new_run_id(partition) for partition in days]
            results = ingest_partitions(
                paths,
                list(zip(days, run_ids, strict=True)),
                progress=lambda line: click.echo(line, err=True),
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
                    record_ingest(project, partition, error=result, run_id=run_id)
                else:
                    reports.append(result.to_dict())
                    record_ingest(project, partition, report=result, run_id=run_id)
    except FactoryError as exc:
        raise fail(exc) from None
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


@main.command()
@click.option(
    "--target-dir",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="A dbt target/ directory holding run_results.json and manifest.json.",
)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Where to write the evidence (default: data/evidence/<run_id>.json).",
)
@click.option("--run-id", help="Run id to record (default: derived from dbt's invocation id).")
@click.pass_context
def evidence(ctx, target_dir, out, run_id):
    """Turn any dbt project's run_results.json + manifest.json into validated
    run evidence."""
    from data_factory.evidence.document import evidence_from_target_dir
    from data_factory.evidence.store import write_evidence

    try:
        document = evidence_from_target_dir(target_dir, run_id)
        path = write_evidence(document, out or _paths(ctx).evidence / f"{document['run_id']}.json")
    except FactoryError as exc:
        raise fail(exc) from None
    click.echo(str(path))
    ctx.exit(errors.EXIT_OK if document["status"] == "success" else errors.EXIT_BLOCKED)


@main.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
def validate(files):
    """Re-check evidence files against the JSON Schema and their own sha256."""
    from data_factory.evidence.store import validate_evidence_file

    bad = 0
    for path in files:
        problems = validate_evidence_file(path)
        if problems:
            bad += 1
            click.echo(f"INVALID {path}")
            for problem in problems[:20]:
                click.echo(f"  - {problem}")
        else:
            click.echo(f"ok      {path}")
    if bad:
        raise FactoryExit(
            f"{bad} of {len(files)} evidence file(s) are invalid", errors.EXIT_INPUT_REJECTED
        )


def _recovery_project(ctx, enable_kpi_mart=None, dbt_target=None, verbose=False):
    from data_factory.project.dbt_runner import DbtProject

    parse_vars = {} if enable_kpi_mart is None else {"enable_kpi_mart": enable_kpi_mart}
    return DbtProject(_paths(ctx), target=dbt_target, parse_vars=parse_vars, verbose=verbose)


def _finish(ctx, outcomes, output):
    from data_factory.render.run_summary import print_outcomes

    print_outcomes(outcomes, output)
    ctx.exit(
        errors.EXIT_OK if all(o.status == "success" for o in outcomes) else errors.EXIT_BLOCKED
    )


def _locked(ctx, command: str, subject: str):
    """Hold the warehouse for one writing command, named in the lock."""
    from data_factory.warehouse.locking import warehouse_lock

    return warehouse_lock(_paths(ctx).warehouse, f"{command}-{subject}", f"factory {command}")


_format_option = click.option(
    "--format",
    "output",
    type=click.Choice(["table", "json"]),
    default="table",
    show_default=True,
    help="How to print the result on stdout.",
)


@main.command()
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
@click.option("--enable-kpi-mart/--disable-kpi-mart", default=None)
@click.option("--target", "-t", "dbt_target", default=None, help="dbt target (default duckdb).")
@_format_option
@click.pass_context
def backfill(
    ctx, start, end, select, ingest, restart, chunk_days, enable_kpi_mart, dbt_target, output
):
    """Build a range of days in one process (one parse), oldest first, with
    one evidence file per day and progress + ETA on stderr.

    Interrupted? Run the same command again: it continues where it stopped.
    """
    from data_factory.recovery.actions import backfill as run_backfill

    project = _recovery_project(ctx, enable_kpi_mart, dbt_target)
    try:
        with _locked(ctx, "backfill", start):
            outcomes = run_backfill(
                project,
                start,
                end,
                select=list(select) or None,
                ingest=ingest,
                restart=restart,
                chunk_days=chunk_days,
            )
    except FactoryError as exc:
        raise fail(exc) from None
    _finish(ctx, outcomes, output)


@main.command()
@_partition_option()
@_format_option
@click.pass_context
def replay(ctx, partition, output):
    """Re-ingest a day from its landing manifest (for example a corrected
    export), rebuild it, then rebuild every KPI day whose window reads it."""
    from data_factory.recovery.actions import replay as run_replay

    if not partition:
        raise click.UsageError("give --partition YYYY-MM-DD")
    project = _recovery_project(ctx)
    try:
        with _locked(ctx, "replay", partition):
            outcomes = run_replay(project, partition)
    except FactoryError as exc:
        raise fail(exc) from None
    _finish(ctx, outcomes, output)


@main.command()
@click.argument("run_id", required=False)
@_format_option
@click.pass_context
def retry(ctx, run_id, output):
    """Re-run only what failed in RUN_ID (default: the latest failed run), for
    the same partitions. For transient errors with unchanged inputs."""
    from data_factory.recovery.actions import retry as run_retry

    project = _recovery_project(ctx)
    try:
        with _locked(ctx, "retry", run_id or "latest"):
            outcomes = run_retry(project, _paths(ctx).evidence, run_id)
    except FactoryError as exc:
        raise fail(exc) from None
    _finish(ctx, outcomes, output)


@main.command()
@click.option("--start", help="Only days from this one, YYYY-MM-DD.")
@click.option("--end", help="Only days up to this one, YYYY-MM-DD.")
@click.option(
    "--apply",
    "apply_plan",
    is_flag=True,
    help="Run the plan (default: dry run). `investigate` items are never run.",
)
@_format_option
@click.pass_context
def plan(ctx, start, end, apply_plan, output):
    """Propose exactly one action (retry / replay / backfill / investigate)
    for every asset x day that is not consumable, upstream first, with the
    reasons, what it covers downstream, the command and the runbook."""
    import subprocess

    from data_factory.recovery.plan import make_plan

    paths = _paths(ctx)
    try:
        for value, name in ((start, "--start"), (end, "--end")):
            if value:
                parse_partition(value, name)
        items = make_plan(paths, start, end)
    except FactoryError as exc:
        raise fail(exc) from None
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
            click.echo(f"   run:    {item.command or '(a person decides; see the runbook)'}")
            click.echo(f"   runbook: {item.runbook}")
    if not apply_plan:
        if items:
            click.echo("dry run: nothing was changed (use --apply to run it)", err=True)
        ctx.exit(errors.EXIT_OK if not items else errors.EXIT_BLOCKED)
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


@main.command()
@click.pass_context
def docs(ctx):
    """Generate the dbt docs lineage site as one self-contained HTML file
    (data/docs/static_index.html): every asset, check and exposure."""
    from data_factory.project.dbt_runner import DbtProject

    paths = _paths(ctx)
    target_dir = paths.home / "docs"
    project = DbtProject(paths)
    # docs generate parses for itself so the site gets a manifest and catalog
    invocation = project.invoke(["docs", "generate", "--static"], target_dir, reuse_manifest=False)
    if not invocation.success:
        raise FactoryExit(f"dbt docs generate failed: {invocation.error}", errors.EXIT_BUILD_FAILED)
    click.echo(str(target_dir / "static_index.html"))


register(main)


if __name__ == "__main__":  # pragma: no cover
    main()
