"""Figure 7, a year of backfill: `factory backfill` of 365 days at 5,000
tickets a day (about 10 M events), one day per dbt invocation so that each
day's cost is its own. Wall time and peak RSS of the whole backfill, and the
cost of a day late in the year against one early in it: the whole backlog is
carried forward day by day (a self-dependent partition) and the checks are
scoped to the day, so a day's cost must not grow with the history behind it.

A day's cost is the time between the ends of consecutive days' evidence
(`finished_at`), which covers everything the factory does for the day: dbt
models and checks, counts, evidence and the state store."""

from __future__ import annotations

import json
from datetime import datetime
from itertools import pairwise

from bench.figure import Figure
from bench.homes import generate, landed_lines
from bench.processes import factory_cmd, measured, run, say
from bench.sizes import YEAR_START, day_list
from bench.suite import Bench

KEY = "backfill_year"
TITLE = "A year of backfill: a day's cost does not grow with history"


def _day_costs(home, days: list[str]) -> dict[str, float]:
    """Seconds per day, from the backfill's evidence: each day's finish minus
    the previous day's (the first day has none and is left out)."""
    finished: dict[str, datetime] = {}
    for path in (home / "evidence").glob("*.json"):
        document = json.loads(path.read_text())
        if document.get("kind") != "factory_run" or document["invocation"]["command"] != "backfill":
            continue
        for day in document["partitions"]:
            finished[day] = datetime.fromisoformat(document["finished_at"].replace("Z", "+00:00"))
    missing = [day for day in days if day not in finished]
    if missing:
        raise RuntimeError(f"no backfill evidence for {len(missing)} day(s), first {missing[0]}")
    return {
        day: (finished[day] - finished[before]).total_seconds() for before, day in pairwise(days)
    }


def measure(bench: Bench, fig: Figure) -> None:
    s = bench.sizes
    work = bench.workdir("year")
    home = work / "home"
    days = day_list(YEAR_START, s.year_days)
    generate(home, days[0], len(days), s.year_tickets)
    say(f"  year: ingest {len(days)} days")
    run(factory_cmd(home, "ingest", "--start", days[0], "--end", days[-1]), label="factory ingest")
    lines, size, _ = landed_lines(home / "landing", days)
    say(f"  year: backfill {len(days)} days, one dbt invocation a day")
    wall, peak = measured(
        factory_cmd(home, "backfill", "--start", days[0], "--end", days[-1], "--chunk-days", "1"),
        home=home,
        label="factory backfill (year)",
    )
    costs = _day_costs(home, days)
    window = s.year_window
    first = [costs[day] for day in days[1 : 1 + window]]
    last = [costs[day] for day in days[-window:]]
    fig.inputs.update(
        {
            "days": len(days),
            "tickets_per_day": s.year_tickets,
            "rows": lines,
            "bytes": size,
            "compared_days": window,
        }
    )
    per_day = "seconds of one day of the backfill (its evidence's finish minus the day before's)"
    first_s = fig.side(f"first {window} days, per day", first, what=per_day)
    last_s = fig.side(f"last {window} days, per day", last, what=per_day)
    fig.side("whole backfill (info)", [wall], what="wall seconds of `factory backfill`")
    fig.side("peak RSS (info)", [peak], unit="MB", what="peak RSS of the backfill process")
    fig.breakdown = {"day_costs_s": {day: round(cost, 3) for day, cost in costs.items()}}
    fig.target(
        "last/first",
        last_s / first_s,
        "<=",
        1.25,
        unit="x",
        definition=f"median cost of a day among the last {window} days divided by the same "
        f"among the first {window}",
    )
    fig.target("whole backfill", wall, None, None, unit="s", definition="wall time of the backfill")
    fig.target("peak RSS", peak, None, None, unit="MB", definition="of the backfill process")
    bench.done_with(work)


WORKERS: dict = {}
