"""A new partitioned model with a window var of its own, added to a copy of
the dbt project (YAML and SQL only): the factory tracks it, stales it when a
day it reads is rebuilt with other content, plans its rebuild and replays
it, with no Python change. Roles come from the manifest."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import write_export
from test_state_support import copy_project, factory_in_project

from data_factory.core.paths import FactoryPaths

DAYS = ("2026-11-01", "2026-11-02", "2026-11-03", "2026-11-04")
MODEL = "ticket_rolling_events"
WINDOW_VAR = "rolling_window_days"

MODEL_SQL = """
{%- set window_days = var('rolling_window_days') -%}
{%- set days = factory_days_to_build(ref('ticket_fact'), 'event_date') -%}

with

ticket_fact as (

    select * from {{ ref('ticket_fact') }}
    {%- if days %}
        where event_date between
            cast('{{ factory_shift_day(days[0], -window_days) }}' as date)
            and cast('{{ days[-1] }}' as date)
    {%- else %}
        where 1 = 0
    {%- endif %}

),

rolling_days as (

    {{ factory_days_relation(days, 'rolling_date') }}

),

final as (

    select
        rolling_days.rolling_date,
        count(ticket_fact.event_id) as events_in_window
    from rolling_days
    left join ticket_fact
        on ticket_fact.event_date between
            cast({{ dbt.dateadd('day', -window_days, 'rolling_days.rolling_date') }} as date)
            and rolling_days.rolling_date
    group by rolling_days.rolling_date

)

select * from final
"""

MODEL_YAML = f"""
version: 2

models:
  - name: {MODEL}
    description: Events of the last {WINDOW_VAR} days, per day (a throwaway model).
    config:
      meta:
        partition_column: rolling_date
        reads_window_var: {WINDOW_VAR}
"""


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    """A copy of the dbt project with one more model and one more var."""
    copy = copy_project(tmp_path_factory.mktemp("project-copy"))
    (copy / "models" / "marts" / f"{MODEL}.sql").write_text(MODEL_SQL)
    (copy / "models" / "marts" / f"_{MODEL}.yml").write_text(MODEL_YAML)
    project_file = copy / "dbt_project.yml"
    project_file.write_text(
        project_file.read_text().replace("vars:\n", f"vars:\n  {WINDOW_VAR}: 2\n", 1)
    )
    return copy


def factory(project: Path, home: Path, *args: str, expect: int = 0) -> str:
    done = factory_in_project(project, home, *args, expect=expect)
    return done.stdout + done.stderr


def cells(project: Path, home: Path) -> dict[tuple[str, str], dict]:
    found = _json_prefix(factory(project, home, "status", "--format", "json"))
    return {(c["asset"], c["partition"]): c for c in found}


def test_a_new_window_model_is_tracked_staled_planned_and_replayed(project, tmp_path):
    home = tmp_path / "home"
    factory(project, home, "generate", "--start", DAYS[0], "--days", "4", "--tickets-per-day", "60")
    factory(project, home, "run", "--start", DAYS[0], "--end", DAYS[-1])
    grid = cells(project, home)
    assert [grid[(MODEL, day)]["status"] for day in DAYS] == ["materialized"] * 4
    assert grid[(MODEL, DAYS[3])]["reads_window_days"] == 2

    # day 2's fact rebuilt from a corrected export with other content (a third
    # of its lines fewer): the new model's days whose 2-day window reads day 2
    # (days 2..4) are stale, day 1 is not
    paths = FactoryPaths(home)
    lines = [
        line
        for path in sorted(paths.tickets_partition_dir(DAYS[1]).glob("*.jsonl"))
        for line in path.read_text().splitlines()
    ]
    write_export(paths, DAYS[1], lines[: len(lines) * 2 // 3], export_version=2)
    factory(project, home, "ingest", "--partition", DAYS[1])
    factory(project, home, "build", "--partition", DAYS[1], "--select", "ticket_fact", expect=0)
    grid = cells(project, home)
    assert grid[(MODEL, DAYS[0])]["status"] == "materialized"
    stale = [day for day in DAYS if grid[(MODEL, day)]["status"] == "stale"]
    assert stale == list(DAYS[1:]), {d: grid[(MODEL, d)]["status"] for d in DAYS}
    assert "STALE_UPSTREAM_REBUILT" in grid[(MODEL, DAYS[3])]["reasons"]

    plan = _json_prefix(factory(project, home, "plan", "--format", "json", expect=1))
    rebuilds = [i for i in plan if i["action"] == "backfill" and i["asset"] == MODEL]
    covered = {day for day in DAYS for i in rebuilds if i["start"] <= day <= i["end"]}
    assert covered == set(DAYS[1:]), plan
    assert all(f"--select {MODEL}" in i["command"] for i in rebuilds)

    # a replay of day 2 rebuilds the later days that read it, the new model included
    replayed = factory(project, home, "replay", "--partition", DAYS[1])
    assert f"{DAYS[2]}: " in replayed and MODEL in replayed
    grid = cells(project, home)
    assert all(grid[(MODEL, day)]["consumable"] for day in DAYS), {
        d: grid[(MODEL, d)]["status"] for d in DAYS
    }


def _json_prefix(text: str):
    """The JSON document at the start of a command's output (notes follow it)."""
    return json.JSONDecoder().raw_decode(text)[0]
