"""`factory ci --base REF` on branches of a temporary git repository holding
the project's tracked files: a KPI's SQL changed, a description only, a
column a consumer reads dropped, a failing test added, and an unknown ref.
Each review builds a tiny sample (3 days, 50 tickets a day)."""

from __future__ import annotations

import os
import subprocess
import sys
import xml.etree.ElementTree as ElementTree
from pathlib import Path

import pytest

from data_factory.core.paths import FACTORY_ROOT

KPI_SQL = Path("models/marts/ticket_kpi_daily.sql")
MODELS_YAML = Path("models/marts/_marts__models.yml")
FACT_SQL = Path("models/marts/ticket_fact.sql")
SAMPLE = ("--days", "3", "--tickets-per-day", "50")


IDENTITY = ("-c", "user.name=ci", "-c", "user.email=ci@example.com")


def git(repository: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-C", str(repository), *IDENTITY, *args],
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout


def edit(repository: Path, path: Path, old: str, new: str) -> None:
    text = (repository / path).read_text()
    assert old in text, f"{path} no longer holds {old!r}: update the test's edit"
    (repository / path).write_text(text.replace(old, new, 1))


def branch(repository: Path, name: str, change) -> None:
    git(repository, "checkout", "-q", "-b", name, "main")
    change(repository)
    git(repository, "add", "-A")
    git(repository, "commit", "-q", "-m", name)


def drop_category(repository: Path) -> None:
    edit(repository, FACT_SQL, "        ticket_events.category,\n", "")
    text = (repository / MODELS_YAML).read_text()
    start = text.index("      - name: category\n")
    end = text.index("      - name: status\n", start)
    (repository / MODELS_YAML).write_text(text[:start] + text[end:])


@pytest.fixture(scope="module")
def repository(tmp_path_factory) -> Path:
    """The project's tracked files in a new repository: main, and one branch
    per change under review."""
    root = tmp_path_factory.mktemp("ci-repo")
    tracked = git(FACTORY_ROOT, "ls-files", "-z").split("\0")
    for name in filter(None, tracked):
        source = FACTORY_ROOT / name
        if source.is_file():
            (root / name).parent.mkdir(parents=True, exist_ok=True)
            (root / name).write_bytes(source.read_bytes())
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "base")
    branch(
        root,
        "kpi-p75",  # a KPI the unit test does not pin: the 90th percentile becomes the 75th
        lambda repo: edit(
            repo, KPI_SQL, "first_response_minutes', 0.9)", "first_response_minutes', 0.75)"
        ),
    )
    branch(
        root,
        "docs-only",
        lambda repo: edit(
            repo,
            MODELS_YAML,
            "Agent handling the ticket; null before assignment.",
            "The agent handling the ticket (null until one is assigned).",
        ),
    )
    branch(root, "drop-category", drop_category)
    branch(
        root,
        "failing-test",
        lambda repo: (repo / "tests" / "dbt" / "every_event_has_no_id.sql").write_text(
            "select event_id from {{ ref('ticket_fact') }} where event_id is not null\n"
        ),
    )
    branch(
        root,
        "broken-model",  # SQL the warehouse rejects: the model errors on every day
        lambda repo: edit(
            repo,
            Path("models/marts/ticket_open_daily.sql"),
            "event_at as created_at,",
            "no_such_column as created_at,",
        ),
    )
    branch(
        root,
        "shorter-window",  # a var's default: dbt's state:modified alone does not see it
        lambda repo: edit(
            repo, Path("dbt_project.yml"), "kpi_lookback_days: 30", "kpi_lookback_days: 14"
        ),
    )
    return root


def factory(repository: Path, home: Path, *args: str, summary: Path | None = None):
    environment = {**os.environ, "FACTORY_PROJECT_DIR": str(repository), "FACTORY_HOME": str(home)}
    if summary is not None:
        environment["GITHUB_STEP_SUMMARY"] = str(summary)
    return subprocess.run(
        [sys.executable, "-m", "data_factory.cli", *args],
        env=environment,
        capture_output=True,
        text=True,
        timeout=900,
    )


def ci(repository: Path, ref: str, out: Path, *args: str) -> subprocess.CompletedProcess:
    git(repository, "checkout", "-q", ref)
    home = out / "home-unused"
    return factory(repository, home, "ci", "--out", str(out), *args, summary=out / "summary.md")


@pytest.fixture(scope="module")
def production(repository, tmp_path_factory) -> Path:
    """A home that main built: two of the sample's days and the day before."""
    git(repository, "checkout", "-q", "main")
    home = tmp_path_factory.mktemp("ci-production")
    for args in (
        ("generate", "--start", "2026-10-31", "--days", "3", "--tickets-per-day", "50"),
        ("run", "--start", "2026-10-31", "--end", "2026-11-02"),
    ):
        done = factory(repository, home, *args)
        assert done.returncode == 0, done.stderr
    return home


def junit_cases(out: Path) -> list[ElementTree.Element]:
    return list(ElementTree.parse(out / "junit.xml").getroot().iter("testcase"))


def test_a_kpi_sql_change_names_the_model_its_consumer_and_the_kpi_delta(
    repository, production, tmp_path
):
    done = ci(
        repository, "kpi-p75", tmp_path, "--base", "main", *SAMPLE, "--prod-home", str(production)
    )
    assert done.returncode == 0, done.stderr
    report = (tmp_path / "report.md").read_text()
    assert "| `ticket_kpi_daily` | model | SQL logic | `retrieval_index` | no |" in report
    deltas = [line for line in report.splitlines() if "`first_response_p90_minutes`" in line]
    assert len(deltas) == 3, report  # one per sample day
    assert all(not line.endswith("| 0 |") for line in deltas), deltas
    assert "**changed**" in report
    assert (tmp_path / "summary.md").read_text().strip() == report.strip()
    cases = junit_cases(tmp_path)
    assert any(case.get("name").startswith("kpi_window_complete [") for case in cases)
    assert not [case for case in cases if case.find("failure") is not None]
    assert list((tmp_path / "evidence").glob("*.json")), "the head's evidence is kept"
    # the plan preview: production's built days of the mart go stale, its consumer waits
    assert "Merging makes 3 built cell(s) stale:" in report
    assert "| `ticket_kpi_daily` | 2026-10-31..2026-11-02 |" in report
    assert "- `retrieval_index`: 2026-10-31..2026-11-02" in report
    command = "factory backfill --start 2026-10-31 --end 2026-11-02 --select ticket_kpi_daily+"
    assert command in report


def test_a_description_only_change_builds_nothing(repository, tmp_path):
    done = ci(repository, "docs-only", tmp_path, "--base", "main", *SAMPLE)
    assert done.returncode == 0, done.stderr
    report = (tmp_path / "report.md").read_text()
    assert "| `ticket_fact` | model | docs only |" in report, report
    assert "No data change" in report
    assert "base 2026-11-01" not in done.stderr  # no sample day was built
    assert junit_cases(tmp_path) == []


def test_dropping_a_column_a_consumer_reads_is_breaking(repository, production, tmp_path):
    prod = ("--prod-home", str(production))
    done = ci(repository, "drop-category", tmp_path, "--base", "main", *SAMPLE, *prod)
    assert done.returncode == 1, done.stderr
    report = (tmp_path / "report.md").read_text()
    fact = next(line for line in report.splitlines() if line.startswith("| `ticket_fact` |"))
    assert "columns/contract" in fact and "**yes**: removes `category`" in fact
    assert "`ticket_chunking_job`" in fact and "`retrieval_index`" in fact
    assert "Columns removed: `category`." in report
    # rows matched by the fact's key: the same events, no value changed in the other columns
    assert "Rows matched by `event_id` on the days whose content changed:" in report
    keyed = [line for line in report.splitlines() if "none in the columns both sides have" in line]
    assert len(keyed) == 3 and all("| 0 | 0 |" in line for line in keyed), keyed
    assert "breaking change to `ticket_fact` reaches" in done.stderr
    # production: the fact and everything reading it go stale; its table must be rebuilt whole
    assert "| `ticket_open_daily` | 2026-10-31..2026-11-02 |" in report
    assert "--select ticket_fact+" in report
    assert "The production tables of `ticket_fact` lose or retype a column" in report


def test_a_failing_test_blocks_and_is_named(repository, tmp_path):
    done = ci(repository, "failing-test", tmp_path, "--base", "main", *SAMPLE)
    assert done.returncode == 1, done.stderr
    report = (tmp_path / "report.md").read_text()
    assert "| `every_event_has_no_id` | test | new, tests |" in report
    assert "check `every_event_has_no_id` fails on 2026-11-01" in report
    failed = [case for case in junit_cases(tmp_path) if case.find("failure") is not None]
    assert {case.get("name") for case in failed} == {
        f"every_event_has_no_id [2026-11-0{day}]" for day in (1, 2, 3)
    }


def test_an_unknown_ref_is_a_usage_error(repository, tmp_path):
    done = ci(repository, "main", tmp_path, "--base", "no-such-branch")
    assert done.returncode == 2
    assert "REF_UNKNOWN" in done.stderr and "'no-such-branch' names no commit" in done.stderr
    assert "Traceback" not in done.stderr


def test_a_prod_home_without_a_state_store_is_a_usage_error(repository, tmp_path):
    done = ci(repository, "kpi-p75", tmp_path, "--base", "main", "--prod-home", str(tmp_path))
    assert done.returncode == 2
    assert "PROD_HOME_UNKNOWN" in done.stderr and "Traceback" not in done.stderr


def test_a_changed_var_default_rebuilds_the_models_reading_it(repository, tmp_path):
    done = ci(repository, "shorter-window", tmp_path, "--base", "main", *SAMPLE)
    assert done.returncode == 0, done.stderr
    report = (tmp_path / "report.md").read_text()
    assert "Var defaults changed: `kpi_lookback_days` 30 -> 14." in report
    assert "| `ticket_kpi_daily` | model | vars | `retrieval_index` | no |" in report
    assert "#### `ticket_kpi_daily`" in report and "**changed**" in report  # its window start


def test_a_model_that_fails_to_build_on_the_head_blocks(repository, tmp_path):
    done = ci(repository, "broken-model", tmp_path, "--base", "main", *SAMPLE)
    assert done.returncode == 1, done.stderr
    report = (tmp_path / "report.md").read_text()
    assert "Verdict: **blocking**: `ticket_open_daily` errors on 2026-11-01" in report
    errors = [case for case in junit_cases(tmp_path) if case.find("error") is not None]
    assert "ticket_open_daily [2026-11-01]" in {case.get("name") for case in errors}
