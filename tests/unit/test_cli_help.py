"""The help teaches: the daily block in `factory --help` is the README's."""

from __future__ import annotations

import re
import textwrap

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
