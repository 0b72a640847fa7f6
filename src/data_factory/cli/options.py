"""Options and helpers the commands share: days, formats, the dbt project of a
call, the writer lock."""

from __future__ import annotations

import click

from data_factory.core import errors
from data_factory.core.errors import FactoryError
from data_factory.core.partitions import MAX_DAYS, check_range_size, day_range, parse_partition
from data_factory.core.paths import FactoryPaths


def home_paths(ctx: click.Context) -> FactoryPaths:
    return ctx.obj["paths"]


def writable_home(ctx: click.Context) -> FactoryPaths:
    """The home of a command that writes to it, once it is known to be
    writable (HOME_NOT_WRITABLE otherwise, before anything changes)."""
    paths = home_paths(ctx)
    paths.check_writable()
    return paths


def optional_day(value: str | None, name: str) -> str | None:
    """An optional day option's value, checked: a usage error (exit 2) for a
    malformed day."""
    if value is None:
        return None
    try:
        return parse_partition(value, name)
    except FactoryError as exc:
        raise click.UsageError(exc.message) from None


def partition_option(multiple: bool = False):
    return click.option(
        "--partition",
        "partitions" if multiple else "partition",
        multiple=multiple,
        help="A UTC day, YYYY-MM-DD." + (" Repeat for several days." if multiple else ""),
    )


def resolve_partitions(
    partitions: tuple[str, ...],
    start: str | None,
    end: str | None,
    max_days: int | None = None,
) -> list[str]:
    """The days a command was given, sorted; a usage error (exit 2) for a
    malformed day, a reversed range, or a range over --max-days."""
    chosen: list[str] = []
    try:
        chosen += [parse_partition(p) for p in partitions]
        if start or end:
            if not (start and end):
                raise FactoryError("INVALID_OPTION", "--start and --end go together")
            chosen += day_range(start, end)
            check_range_size(sorted(set(chosen)), max_days)
    except FactoryError as exc:
        prefix = f"{exc.reason_code}: " if exc.reason_code == "RANGE_OVER_LIMIT" else ""
        raise click.UsageError(prefix + exc.message) from None
    if not chosen:
        raise click.UsageError("give --partition D (repeatable) or --start D1 --end D2")
    return sorted(set(chosen))


format_option = click.option(
    "--format",
    "output",
    type=click.Choice(["table", "json"]),
    default="table",
    show_default=True,
    help="How to print the result on stdout.",
)

SWITCH_OPTIONS = [
    click.option(
        "--enable",
        multiple=True,
        metavar="ASSET",
        help="Switch an optional asset on for this call (repeatable); "
        "the asset's meta.enabled_by_var names the dbt var.",
    ),
    click.option(
        "--disable",
        multiple=True,
        metavar="ASSET",
        help="Switch an optional asset off for this call (repeatable): its days are "
        "not_available and consumers that need it are blocked.",
    ),
]

max_days_option = click.option(
    "--max-days",
    type=click.IntRange(min=1),
    default=None,
    help=f"Allow a range of more than {MAX_DAYS} days (a guard against a mistyped year).",
)

BUILD_OPTIONS = [
    click.option("--start", help="First day of a range, YYYY-MM-DD."),
    click.option("--end", help="Last day of a range, YYYY-MM-DD (inclusive)."),
    max_days_option,
    click.option(
        "--select",
        "-s",
        multiple=True,
        help="dbt selection (repeatable); the rest is recorded as skipped. A selection "
        "that matches no node is a usage error.",
    ),
    click.option("--exclude", multiple=True, help="dbt exclusion (repeatable)."),
    *SWITCH_OPTIONS,
    format_option,
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


def with_switch_options(function):
    for option in reversed(SWITCH_OPTIONS):
        function = option(function)
    return function


def with_build_options(function):
    for option in reversed(BUILD_OPTIONS):
        function = option(function)
    return partition_option(multiple=True)(function)


def dbt_project(ctx, enable=(), disable=(), dbt_target=None, verbose=False):
    """The dbt project of this call, with the optional assets switched as asked."""
    from data_factory.project.dbt_runner import DbtProject

    both = sorted(set(enable) & set(disable))
    if both:
        raise click.UsageError(f"--enable and --disable both name {', '.join(both)}")
    switches = {**dict.fromkeys(enable, True), **dict.fromkeys(disable, False)}
    return DbtProject(home_paths(ctx), target=dbt_target, switches=switches, verbose=verbose)


def check_selection(project, select, exclude=()) -> None:
    """A usage error, before anything is built or recorded, when a --select
    matches no node of the dbt project, or what --exclude leaves of the
    selection is nothing. dbt's own selection decides (`dbt ls`); without
    this, every model would be recorded as skipped and the run exit 0."""
    if not select:
        return
    target_dir = project.paths.runs / "_select"

    def nodes(select, exclude=None) -> list[str]:
        try:
            return project.list_nodes(target_dir, select=list(select), exclude=exclude)
        except FactoryError as exc:
            raise click.UsageError(exc.message) from None

    for value in dict.fromkeys(select):
        if not nodes([value]):
            raise click.UsageError(
                f"--select {value} matches no node of the dbt project, so nothing would be "
                f"built; check the name (`dbt ls --select {value}` lists what it matches)"
            )
    if exclude and not nodes(select, list(exclude)):
        raise click.UsageError(
            f"--select {' '.join(select)} --exclude {' '.join(exclude)} selects no node, "
            "so nothing would be built"
        )


def outcome_exit(outcome) -> int:
    """A day's exit code: 3 when its export was refused or nothing was
    landed (no line landed at all), 1 when something else is not
    consumable, 0 otherwise."""
    refused = any(
        i["status"] == "failed" and i["landed_rows"] is None for i in outcome.evidence["inputs"]
    )
    if refused:
        return errors.EXIT_INPUT_REJECTED
    return errors.EXIT_OK if outcome.status == "success" else errors.EXIT_BLOCKED


def finish(ctx, outcomes, output):
    from data_factory.cli.status_report import show_outcomes

    show_outcomes(home_paths(ctx), outcomes, output)
    ctx.exit(max((outcome_exit(o) for o in outcomes), default=errors.EXIT_OK))


def locked(ctx, command: str, subject: str):
    """Hold the warehouse for one writing command, named in the lock."""
    from data_factory.warehouse.locking import warehouse_lock

    return warehouse_lock(
        writable_home(ctx).warehouse, f"{command}-{subject}", f"factory {command}"
    )
