"""Plain dbt, without the wrapper: the same partitions, the same guards."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from conftest import event, write_export

from data_factory.core.paths import PROJECT_DIR, FactoryPaths

DBT = str(Path(sys.executable).parent / "dbt")
DAYS = ("2026-11-01", "2026-11-02")


def dbt(home: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "FACTORY_HOME": str(home), "DO_NOT_TRACK": "1"}
    return subprocess.run(
        [
            DBT,
            *args,
            "--target-path",
            str(home / "plain-target"),
            "--log-path",
            str(home / "plain-logs"),
        ],
        cwd=PROJECT_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.fixture(scope="module")
def landed_home(tmp_path_factory):
    from click.testing import CliRunner

    from data_factory.cli.main import main

    home = tmp_path_factory.mktemp("plain-dbt")
    paths = FactoryPaths(home)
    for day in DAYS:
        write_export(
            paths,
            day,
            [
                event(
                    event_id=f"{day}-{n}",
                    ticket_id=f"t{day}-{n}",
                    event_at=f"{day}T1{n % 10}:00:00Z",
                )
                for n in range(20)
            ],
        )
    result = CliRunner().invoke(
        main, ["--home", str(home), "ingest", "--start", DAYS[0], "--end", DAYS[-1]]
    )
    assert result.exit_code == 0, result.output
    return home


def _count(home, sql):
    connection = duckdb.connect(str(home / "warehouse.duckdb"), read_only=True)
    try:
        return connection.execute(sql).fetchall()
    finally:
        connection.close()


def test_one_partition_then_everything(landed_home):
    result = dbt(landed_home, "build", "--vars", "{partition: 2026-11-02}")
    assert result.returncode == 0, result.stdout[-3000:]
    assert _count(
        landed_home,
        "select cast(event_date as varchar), count(*) from marts.ticket_fact group by 1",
    ) == [("2026-11-02", 20)]
    result = dbt(landed_home, "build")
    assert result.returncode == 0, result.stdout[-3000:]
    assert _count(landed_home, "select count(*) from marts.ticket_fact") == [(40,)]
    assert _count(landed_home, "select count(*) from marts.ticket_kpi_daily") == [(2,)]


@pytest.mark.parametrize(
    "bad_vars, named",
    [
        ('{partition: "2026-11-03\'; drop table x; --"}', "partition"),
        ('{partition: "2026-11-03\\"; drop table x"}', "partition"),
        ('{partition: "2026-13-01"}', "partition"),
        ('{partition_start: "2026-11-02", partition_end: "2026-11-01"}', "partition_start"),
    ],
)
def test_a_bad_partition_fails_before_any_sql(landed_home, bad_vars, named):
    result = dbt(landed_home, "build", "--vars", bad_vars)
    assert result.returncode != 0
    assert f"var '{named}'" in result.stdout
    assert "START sql" not in result.stdout and "START seed" not in result.stdout


def test_the_issue_example_injection_fails(landed_home):
    # the literal example from the issue is not even valid YAML; dbt must stop either way
    result = dbt(landed_home, "build", "--vars", '{partition: "2026-11-03"; drop table x"}')
    assert result.returncode != 0
    assert "START sql" not in result.stdout


def test_docs_generate_needs_no_vars(landed_home):
    result = dbt(landed_home, "docs", "generate", "--static")
    assert result.returncode == 0, result.stdout[-3000:]
    site = (landed_home / "plain-target" / "static_index.html").read_text()
    for name in ("ticket_fact", "ticket_kpi_daily", "retrieval_index", "ticket_chunking_job"):
        assert name in site


def _failed_checks(home: Path) -> dict[str, int]:
    import json

    results = json.loads((home / "plain-target" / "run_results.json").read_text())["results"]
    return {
        r["unique_id"].split(".")[2]: r["failures"]
        for r in results
        if r["unique_id"].startswith("test.") and r["status"] == "fail"
    }


def test_an_event_resent_on_another_day_fails_a_key_check(tmp_path):
    """The same event_id landed on two days: building the later day alone
    fails unique_across_partitions (the earlier day is outside the range);
    building both days together fails unique (both copies are in range)."""
    from click.testing import CliRunner

    from data_factory.cli.main import main

    paths = FactoryPaths(tmp_path)
    for day in DAYS:
        lines = [event(event_id=f"{day}-{n}", event_at=f"{day}T10:00:00Z") for n in range(5)]
        if day == DAYS[1]:
            lines.append(event(event_id=f"{DAYS[0]}-0", event_at=f"{day}T11:00:00Z"))
        write_export(paths, day, lines)
    result = CliRunner().invoke(
        main, ["--home", str(tmp_path), "ingest", "--start", DAYS[0], "--end", DAYS[-1]]
    )
    assert result.exit_code == 0, result.output
    assert dbt(tmp_path, "build", "--vars", f"{{partition: {DAYS[0]}}}").returncode == 0

    result = dbt(
        tmp_path, "build", "--select", "ticket_fact", "--vars", f"{{partition: {DAYS[1]}}}"
    )
    assert result.returncode == 1
    assert _failed_checks(tmp_path) == {
        "unique_across_partitions_ticket_fact_event_id__event_date": 1
    }

    result = dbt(
        tmp_path,
        "build",
        "--select",
        "ticket_fact",
        "--vars",
        f"{{partition_start: {DAYS[0]}, partition_end: {DAYS[1]}}}",
    )
    assert result.returncode == 1
    assert _failed_checks(tmp_path) == {"unique_ticket_fact_event_id": 1}
