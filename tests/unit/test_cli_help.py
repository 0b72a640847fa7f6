"""The help teaches: the daily block in `factory --help` is the README's."""

from __future__ import annotations

import re
import shlex
import textwrap

import click
from click.testing import CliRunner

from data_factory.cli.main import main
from data_factory.core.paths import FACTORY_ROOT


def readme_daily_block() -> list[str]:
    text = (FACTORY_ROOT / "README.md").read_text()
    block = re.search(r"Daily operation.*?```bash\n(.*?)```", text, flags=re.S)
    assert block, "README.md has no ```bash block after 'Daily operation'"
    return block.group(1).rstrip("\n").splitlines()


def help_daily_block() -> list[str]:
    output = CliRunner().invoke(main, ["--help"], terminal_width=200).output
    after = output.split("Daily operation", 1)[1].split("\n", 1)[1]
    return textwrap.dedent(after.split("\n\n", 1)[0]).splitlines()


def test_the_daily_block_of_the_help_is_the_readmes():
    assert help_daily_block() == readme_daily_block()
    assert len(readme_daily_block()) >= 5


def every_command(group: click.Group = main, path: tuple[str, ...] = ()):
    """(path, command) of every command and group below `group`."""
    for name, command in sorted(group.commands.items()):
        yield (*path, name), command
        if isinstance(command, click.Group):
            yield from every_command(command, (*path, name))


def example_lines(command: click.Command) -> list[str]:
    """The lines under the `Example:` heading of a command's help."""
    help_text = command.help or ""
    if "Example:" not in help_text:
        return []
    found = []
    for line in help_text.split("Example:", 1)[1].splitlines()[1:]:
        if not line.strip():
            break
        found.append(line.strip())
    return found


def examples(command: click.Command) -> list[str]:
    """The `factory ...` commands of the example, continuation lines joined."""
    found: list[str] = []
    for line in example_lines(command):
        if found and found[-1].endswith("\\"):  # a shell continuation line
            found[-1] = f"{found[-1][:-1].rstrip()} {line}"
        else:
            found.append(line)
    return found


def parse(args: list[str]) -> click.Context:
    """Parse `factory ARGS` the way click would before it runs anything: every
    group and command checks its options and arguments; no callback runs. A
    usage error fails the test."""
    ctx = main.make_context("factory", list(args))
    while isinstance(ctx.command, click.Group):
        rest = [*ctx._protected_args, *ctx.args]
        name, command, rest = ctx.command.resolve_command(ctx, rest)
        ctx = command.make_context(name, rest, parent=ctx)
    return ctx


def test_every_command_has_a_short_help_click_does_not_cut():
    width = 80
    output = CliRunner().invoke(main, ["--help"], terminal_width=width).output
    listing = output.split("Daily work:", 1)[1]
    assert "..." not in listing
    longest = max(len(name) for name in main.commands)
    for path, command in every_command():
        assert command.short_help, f"factory {' '.join(path)} has no short_help"
        # click keeps this many columns for it beside the names (format_commands)
        assert len(command.short_help) <= width - 2 - 6 - longest, path


def test_every_command_has_an_example_that_click_accepts():
    for path, command in every_command():
        lines = examples(command)
        assert lines, f"factory {' '.join(path)}: no `Example:` in its help"
        help_text = CliRunner().invoke(main, [*path, "--help"], terminal_width=80).output
        for line in example_lines(command):
            assert line in help_text, f"{line!r} is rewrapped: add \\b before `Example:`"
        for line in lines:
            words = shlex.split(line.split("  #")[0])
            assert words[: 1 + len(path)] == ["factory", *path], line
            parse(words[1:])


def test_every_option_says_what_it_does():
    missing = [
        f"factory {' '.join(path)} {param.opts[0]}"
        for path, command in every_command()
        for param in command.params
        if isinstance(param, click.Option) and not param.help
    ]
    assert not missing, "options without help=: " + ", ".join(missing)


def test_commands_are_listed_by_task_and_none_is_left_out():
    output = CliRunner().invoke(main, ["--help"], terminal_width=120).output
    sections = ["Daily work:", "Recovery:", "Inspection:", "Project:"]
    positions = [output.index(title) for title in sections]
    assert positions == sorted(positions)
    assert "Other commands:" not in output and "\nCommands:" not in output
    listed = {}
    for title, start in zip(sections, positions, strict=True):
        end = min([p for p in positions if p > start] + [output.index("Exit codes:")])
        for line in output[start:end].splitlines()[1:]:
            if line.startswith("  ") and line.split():
                listed[line.split()[0]] = title
    assert set(listed) == set(main.commands)
    assert listed["run"] == "Daily work:" and listed["plan"] == "Recovery:"
    assert listed["faults"] == "Inspection:" and listed["state"] == "Project:"


def test_faults_says_what_each_does_and_the_runbook_it_exercises():
    from data_factory.landing.generate.faults import FAULT_NAMES, FAULTS

    output = CliRunner().invoke(main, ["faults"], terminal_width=80).output
    entries: dict[str, str] = {}
    for line in output.split("\n\n", 1)[0].splitlines():
        if not line.startswith(" "):
            name = line
            entries[name] = ""
        else:
            entries[name] += line.strip() + "\n"
    assert list(entries) == list(FAULT_NAMES)
    for name, entry in entries.items():
        fault = FAULTS[name]
        assert (FACTORY_ROOT / "runbooks" / fault.runbook).is_file(), name
        assert entry.startswith("does:") and "\nshows:" in entry, entry
        assert f"runbook: runbooks/{fault.runbook}\n" in entry
    assert "runbook: runbooks/failed-check.md" in entries["bad_enum"]
    assert "--faults NAME" in output


def test_every_help_fits_a_terminal_of_80_columns():
    """Blocks kept as written (click's \\b: the daily block, examples) are not
    wrapped by click, so each must be short enough by itself."""
    wide = []
    for path, _ in [((), main), *every_command()]:
        output = CliRunner().invoke(main, [*path, "--help"], terminal_width=80).output
        wide += [(" ".join(path), line) for line in output.splitlines() if len(line) > 80]
    assert wide == []
