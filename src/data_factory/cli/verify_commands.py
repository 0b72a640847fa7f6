"""`factory verify`: walk each cell's chain from the export's bytes to the
decisions that released it, and name the first broken link."""

from __future__ import annotations

import json

import click
from rich.console import Console

from data_factory.cli.options import home_paths, optional_day
from data_factory.core.console import say
from data_factory.core.errors import EXIT_BLOCKED, EXIT_OK


@click.command(short_help="Walk each cell's chain; name its first broken link.")
@click.option("--asset", "assets", multiple=True, help="Only this asset (repeatable).")
@click.option("--partition", help="Only this day, YYYY-MM-DD.")
@click.option("--since", help="Only the days from this one on, YYYY-MM-DD.")
@click.option(
    "--format",
    "output",
    type=click.Choice(["table", "json"]),
    default="table",
    show_default=True,
    help="table: a line per broken cell; json: schemas/verify_report.schema.json.",
)
@click.pass_context
def verify(ctx, assets, partition, since, output):
    """For each asset x day, walk the chain in the order a person checks it
    by hand: landing file bytes -> manifest -> ingest evidence -> build
    evidence (inputs, model checksum vs the project now, fingerprint vs the
    warehouse now) -> decisions and approvals; name the first broken link of
    each cell with a reason code (runbooks/evidence-changed.md). It writes no
    evidence or state (a changed project is parsed once, as by any command).
    Exit 0 when every link holds, 1 otherwise.

    \b
    Example:
      factory verify --since 2026-11-01
    """
    from data_factory.project.dbt_runner import DbtProject
    from data_factory.render.verify_text import render_verify
    from data_factory.verify.walk import verify as walk

    if partition and since:
        raise click.UsageError("give --partition D or --since D, not both")
    partition, since = optional_day(partition, "--partition"), optional_day(since, "--since")
    paths = home_paths(ctx)
    # the project as it is now (a parse only when it changed since the last one)
    manifest = DbtProject(paths).manifest_dict(reuse_last_parse=True)
    report = walk(
        paths, manifest, assets=assets, partition=partition, since=since, progress=say
    ).to_dict()
    if output == "json":
        click.echo(json.dumps(report, indent=2, sort_keys=True))
    else:
        render_verify(report, Console(soft_wrap=False, highlight=False))
    ctx.exit(EXIT_OK if report["holds"] else EXIT_BLOCKED)


COMMANDS = [verify]
