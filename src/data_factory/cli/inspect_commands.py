"""`factory failures`: the failing rows of a check on one day."""

from __future__ import annotations

import csv
import difflib
import json
import sys

import click
from rich.console import Console
from rich.table import Table

from data_factory.cli.options import home_paths
from data_factory.core.errors import FactoryError
from data_factory.core.partitions import parse_partition


@click.command(short_help="The failing rows of a check on one day.")
@click.argument("check")
@click.option("--partition", required=True, help="The day the check ran on, YYYY-MM-DD.")
@click.option(
    "--limit",
    type=click.IntRange(min=1),
    default=50,
    show_default=True,
    help="Show at most this many rows (the total is always printed).",
)
@click.option(
    "--format",
    "output",
    type=click.Choice(["table", "json", "csv"]),
    default="table",
    show_default=True,
    help="table: for people; json: the rows and where they come from; csv: the rows only.",
)
@click.pass_context
def failures(ctx, check, partition, limit, output):
    """The rows CHECK (a data test's name, as `factory gate` and `factory
    status` print it, or its unique_id) finds on one day: its own compiled
    SQL from the day's last build, run now on the warehouse, read-only. For
    most checks a row is an offending record; accepted_values returns one row
    per bad value with its count. Exit 0 whether or not there are rows.

    \b
    Example:
      factory failures not_null_ticket_fact_event_id --partition 2026-11-03
    """
    from data_factory.decisions.failures import check_names, failing_rows, find_check
    from data_factory.project.parsed import load_manifest

    try:
        day = parse_partition(partition, "--partition")
    except FactoryError as exc:
        raise click.UsageError(exc.message) from None
    paths = home_paths(ctx)
    manifest = load_manifest(paths, parse_if_missing=False)
    try:
        node = find_check(manifest, check)
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None
    if node is None:
        close = difflib.get_close_matches(check, check_names(manifest), n=3, cutoff=0.5)
        hint = f"; did you mean {' or '.join(close)}?" if close else ""
        raise click.BadParameter(
            f"no data test of the dbt project is named {check}{hint} "
            "(`factory status --format json` lists each cell's checks)",
            param_hint="'CHECK'",
        )
    found = failing_rows(paths, manifest, node, day, limit)
    if output == "json":
        click.echo(json.dumps(found.to_dict(), indent=2, sort_keys=True, default=str))
    elif output == "csv":
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(found.columns)
        writer.writerows(found.rows)
    else:
        _print_table(found)


def _print_table(found) -> None:
    run = found.check
    recorded = (
        f"; its run recorded {run.status} ({run.recorded_failures} failing)" if run.status else ""
    )
    where = f"on {run.partition}" if run.partitioned else "(unpartitioned: the whole table)"
    click.echo(f"{run.name} {where}, {run.asset}{recorded}")
    click.echo(f"  sql: {found.sql_path or run.target_dir}")
    click.echo(f"  evidence: {run.evidence}")
    if run.partitioned and run.scope and run.scope.get("partition") != run.partition:
        days = f"{run.scope.get('partition_start')}..{run.scope.get('partition_end')}"
        click.echo(f"  note: that run built the days {days} at once: the rows may span them")
    if not found.total:
        click.echo(
            "no failing rows: the check finds nothing "
            + ("on this day now" if run.partitioned else "now")
        )
        return
    table = Table(show_edge=False, highlight=False)
    for column in found.columns:
        table.add_column(column)
    for row in found.rows:
        table.add_row(*("null" if value is None else str(value) for value in row))
    Console(width=160, highlight=False, soft_wrap=False).print(table)
    shown = len(found.rows)
    more = f", showing the first {shown} (--limit)" if shown < found.total else ""
    click.echo(f"{found.total} failing row(s){more}")


COMMANDS = (failures,)
