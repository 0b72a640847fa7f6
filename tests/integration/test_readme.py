"""The README's "Daily operation" block, run top to bottom right after the
demo: the `factory` lines of the Makefile's `demo` recipe (a week of default
exports from 2026-11-01, run), then each README line, in a temporary home;
each must exit as its `# exits N` comment says.

The session's clean week (`clean_home`) is not reused: it is generated with
100 tickets a day, and a next day generated with the demo's default volume
does not continue it (its ticket ids collide with the week's), so the
README's `generate` line only holds after the demo's own defaults."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

from click.testing import CliRunner

from data_factory.cli.main import main
from data_factory.core.paths import FACTORY_ROOT


def daily_block() -> list[tuple[str, int]]:
    """(command, expected exit) of every line of the README's daily block."""
    text = (FACTORY_ROOT / "README.md").read_text()
    block = re.search(r"Daily operation.*?```bash\n(.*?)```", text, flags=re.S)
    assert block, "README.md has no ```bash block after 'Daily operation'"
    lines = []
    for line in block.group(1).splitlines():
        expected = re.search(r"#\s*exits\s+(\d+)\b", line)
        assert expected, f"README daily line without an `# exits N` comment: {line!r}"
        lines.append((line[: line.index("#")].strip(), int(expected.group(1))))
    return lines


def demo_commands() -> list[str]:
    """The `factory ...` lines of the Makefile's demo recipe, variables filled in."""
    makefile = (FACTORY_ROOT / "Makefile").read_text()
    variables = dict(re.findall(r"^(DEMO_\w+)\s*\?=\s*(\S+)", makefile, flags=re.M))
    recipe = re.search(r"^demo:.*?\n((?:\t.*\n)+)", makefile, flags=re.M)
    assert recipe, "the Makefile has no demo recipe"
    commands = []
    for line in recipe.group(1).splitlines():
        line = line.strip()
        if line.startswith("$(BIN)/factory "):
            for name, value in variables.items():
                line = line.replace(f"$({name})", value)
            commands.append("factory " + line.removeprefix("$(BIN)/factory "))
    return commands


def factory(home: Path, command: str):
    words = shlex.split(command)
    assert words[0] == "factory"
    result = CliRunner().invoke(main, words[1:], env={"FACTORY_HOME": str(home)})
    assert "Traceback" not in result.output
    return result


def test_the_readme_daily_block_runs_after_the_demo(tmp_path):
    home = tmp_path / "demoed"
    demo = demo_commands()
    assert [command.split()[1] for command in demo][:2] == ["generate", "run"]
    for command in demo:
        result = factory(home, command)
        assert result.exit_code == 0, f"demo: `{command}` exited {result.exit_code}"
    lines = daily_block()
    assert [command.split()[:2] for command, _ in lines][:2] == [
        ["factory", "generate"],
        ["factory", "run"],
    ]
    for command, expected in lines:
        result = factory(home, command)
        assert result.exit_code == expected, (
            f"README: `{command}` exited {result.exit_code}, expected {expected}\n"
            f"stdout:\n{result.stdout[-3000:]}\nstderr:\n{result.stderr[-3000:]}"
        )
        if command.split()[1] == "gate":
            assert "RELEASE" in result.stdout
        if command.split()[1] == "plan":
            assert "nothing to recover" in result.stdout
