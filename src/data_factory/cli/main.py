"""`factory`: the command line of the ticket data factory.

A thin click layer: every command calls importable functions, writes results
to stdout and progress to stderr. One error boundary (FactoryGroup) turns a
FactoryError raised anywhere below a command into its message on stderr and
its documented exit code, so no command repeats that `except`.
"""

from __future__ import annotations

from importlib import metadata
from pathlib import Path

import click

from data_factory.cli import (
    daily_commands,
    evidence_commands,
    inspect_commands,
    recovery_commands,
    review_commands,
    state_commands,
    verify_commands,
)
from data_factory.core.errors import (
    NOT_WRITABLE_ERRNOS,
    FactoryError,
    home_not_writable,
    is_inside,
)
from data_factory.core.paths import FactoryPaths

EXIT_CODES_HELP = """
Exit codes: 0 ok; 1 a run finished but something is not consumable (failed
check, blocked asset), a gate blocked or verify found a broken link; 2 bad
usage (a malformed or reversed range of days, a --select that matches no
node); 3 input rejected (bad landing manifest, unreadable artifacts, invalid
evidence); 4 warehouse locked by another run; 5 dbt failed to run; 6 the home
cannot be used: it is not writable (HOME_NOT_WRITABLE) or its warehouse file
is damaged (WAREHOUSE_UNREADABLE); 7 `factory lineage --url` could not
deliver the events (LINEAGE_NOT_DELIVERED).
"""


class FactoryExit(click.ClickException):
    """A FactoryError as click reports it: `Error: CODE: message`, exit code."""

    def __init__(self, error: FactoryError):
        super().__init__(str(error))
        self.exit_code = error.exit_code


# `factory --help` lists the commands by task, in the order the work happens.
COMMAND_SECTIONS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Daily work", ("generate", "ingest", "run", "build", "status", "gate")),
    ("Recovery", ("plan", "retry", "replay", "backfill", "approve")),
    (
        "Inspection",
        ("failures", "audit", "validate", "verify", "evidence", "docs", "lineage", "faults"),
    ),
    ("Project", ("state", "ci")),
)


class FactoryGroup(click.Group):
    """The error boundary of every command, nested groups included; with
    `sections`, its help lists the commands by task."""

    def __init__(self, *args, sections: tuple[tuple[str, tuple[str, ...]], ...] = (), **kwargs):
        super().__init__(*args, **kwargs)
        self.sections = sections

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        # click writes every command, alphabetically, under one "Commands"
        # heading, and has no notion of sections; a newcomer needs them by task
        # and in the order the work happens. So this writes the same rows
        # (each command's short help, click's definition list) once per
        # section. A command no section names is still listed, under "Other
        # commands" (a unit test keeps that empty); a group without sections
        # (`factory state`) keeps click's own listing.
        if not self.sections:
            return super().format_commands(ctx, formatter)
        visible = {
            name: command
            for name in self.list_commands(ctx)
            if (command := self.get_command(ctx, name)) is not None and not command.hidden
        }
        if not visible:
            return None
        longest = max(len(name) for name in visible)
        limit = formatter.width - 6 - longest
        named = {name for _, names in self.sections for name in names}
        sections = [*self.sections, ("Other commands", tuple(sorted(set(visible) - named)))]
        for title, names in sections:
            rows = [
                (name.ljust(longest), visible[name].get_short_help_str(limit))  # one column
                for name in names
                if name in visible
            ]
            if rows:
                with formatter.section(title):
                    formatter.write_dl(rows)
        return None

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except FactoryError as error:
            raise FactoryExit(error) from None
        except OSError as error:
            # a write the home refused after the command began (a full disk, a
            # file of it made read-only): its message, not a traceback
            paths = (ctx.obj or {}).get("paths")
            if (
                paths is None
                or error.errno not in NOT_WRITABLE_ERRNOS
                or not is_inside(paths.home, error.filename)
            ):
                raise
            raise FactoryExit(home_not_writable(paths.home, error)) from None


@click.group(
    cls=FactoryGroup,
    sections=COMMAND_SECTIONS,
    epilog=EXIT_CODES_HELP,
    context_settings={"help_option_names": ["-h", "--help"]},
)
@click.version_option(metadata.version("data-factory"), "--version", prog_name="factory")
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
    Daily operation, right after `make demo` (as in the README):
      factory generate --start 2026-11-08   # exits 0: the next day's export
      factory run --partition 2026-11-08    # exits 0: land, build, evidence
      factory status --since 2026-11-01     # exits 0: the asset x day grid
      factory gate retrieval_index --partition 2026-11-08  # exits 0 (1: block)
      factory plan                          # exits 0: nothing to do (1: actions)
      factory plan --apply                  # exits 0: run the plan (runbooks/)
      factory audit                         # exits 0: no risk (CI gate)

    `factory COMMAND -h` explains a command, with an example.
    """
    ctx.ensure_object(dict)
    ctx.obj["paths"] = FactoryPaths(home.resolve()) if home else FactoryPaths.from_env()


for area in (
    daily_commands,
    recovery_commands,
    state_commands,
    inspect_commands,
    evidence_commands,
    review_commands,
    verify_commands,
):
    for command in area.COMMANDS:
        main.add_command(command)
