"""`factory ci`: review a change of the project against a base ref."""

from __future__ import annotations

from pathlib import Path

import click

from data_factory.core.errors import FactoryError
from data_factory.core.partitions import parse_partition


@click.command("ci", short_help="Review a change against a base ref: diff, report.")
@click.option("--base", "base_ref", required=True, help="The git ref to compare with.")
@click.option(
    "--days",
    type=click.IntRange(min=1),
    default=7,
    show_default=True,
    help="Sample days to generate and build.",
)
@click.option("--start", default="2026-11-01", show_default=True, help="First sample day.")
@click.option(
    "--tickets-per-day",
    type=click.IntRange(min=1),
    default=100,
    show_default=True,
    help="Mean tickets per sample day.",
)
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("ci-report"),
    show_default=True,
    help="Folder for report.md, junit.xml and the head's evidence.",
)
@click.option(
    "--keep-homes",
    type=click.Path(file_okay=False, path_type=Path),
    help="Keep the sample homes (base/, head/) here instead of a temp folder.",
)
@click.option(
    "--prod-home",
    type=click.Path(file_okay=False, path_type=Path),
    help="A production home: preview the cells merging makes stale, the backfill.",
)
@click.pass_context
def ci(ctx, base_ref, days, start, tickets_per_day, out, keep_homes, prod_home):
    """Review the working tree against --base: dbt's state:modified nodes,
    what kind of change each is, a sample build of base and head, the data
    diff, the checks; with --prod-home, the cells merging makes stale there.
    Writes report.md (also to $GITHUB_STEP_SUMMARY) and junit.xml. Exit 1
    when an error check fails on the head or a breaking change reaches a
    consumer; 2 when the ref or --prod-home is unknown.

    \b
    Example:
      factory ci --base origin/main --days 7 --out ci-report
    """
    from data_factory.review.ci import review
    from data_factory.review.sample import Sample

    try:
        first = parse_partition(start, "--start")
    except FactoryError as exc:
        raise click.UsageError(exc.message) from None
    sample = Sample(first, days, tickets_per_day)
    result = review(base_ref, sample, out, work=keep_homes, prod_home=prod_home)
    click.echo(f"report {result.report_path}")
    click.echo(f"junit  {result.junit_path}")
    for reason in result.reasons:
        click.echo(f"blocking: {reason}", err=True)
    ctx.exit(result.exit_code)


COMMANDS = (ci,)
