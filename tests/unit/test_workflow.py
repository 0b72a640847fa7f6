"""The GitHub Actions workflow parses, and every `make` target and
`factory` command it runs exists, with options the command accepts."""

from __future__ import annotations

import re
import shlex

import yaml

from data_factory.cli.main import main
from data_factory.core.paths import FACTORY_ROOT

WORKFLOW = FACTORY_ROOT / ".github" / "workflows" / "ci.yml"


def steps() -> list[dict]:
    document = yaml.safe_load(WORKFLOW.read_text())
    # PyYAML reads the bare key `on` as True (YAML 1.1)
    triggers = document.get("on", document.get(True))
    assert {"pull_request", "push"} <= set(triggers)
    return [step for job in document["jobs"].values() for step in job["steps"]]


def commands() -> list[list[str]]:
    found = []
    for step in steps():
        for line in str(step.get("run") or "").splitlines():
            # a GitHub expression stands for one word
            line = re.sub(r"\$\{\{[^}]*\}\}", "X", line).strip()
            if line:
                found.append(shlex.split(line))
    return found


def test_the_pull_request_job_reviews_the_change_with_full_history():
    checkout = next(s for s in steps() if str(s.get("uses", "")).startswith("actions/checkout"))
    assert checkout["with"]["fetch-depth"] == 0
    runs = [" ".join(words) for words in commands()]
    assert any(line.startswith(".venv/bin/factory ci --base origin/") for line in runs)
    assert any("--format github-annotation-native" in line for line in runs)
    assert any("--output-format github" in line for line in runs)


def test_every_make_target_and_factory_command_it_runs_exists():
    makefile = (FACTORY_ROOT / "Makefile").read_text()
    targets = set(re.findall(r"^([a-z][\w-]*):", makefile, flags=re.MULTILINE))
    checked = 0
    for words in commands():
        program = words[0].rsplit("/", 1)[-1]
        if program == "make":
            assert set(words[1:]) <= targets, f"{words}: no such make target"
            checked += 1
        elif program == "factory":
            command = main.get_command(None, words[1])
            assert command is not None, f"{words}: no such factory command"
            command.make_context(words[1], words[2:])  # a bad option raises
            checked += 1
    assert checked >= 3
