"""Pinning the warnings of a multi-day dbt invocation to their days.

A chunk of a backfill builds several days in one `dbt build`; a check that
passes over the range passes on each day, but one that warns says only how
many rows it found over the range. Rather than rebuilding every day alone to
learn which days they are on (runs.chunk's fallback), a check that names the
partition of its failing rows (``meta.failing_rows_partition``, project.roles)
is asked again: its own compiled SQL, grouped by that column, read from the
warehouse the chunk just built. Each day then gets the check's result for
that day: `warn` with that day's rows, or `pass`.

dbt has no per-partition test result, and its `store_failures` would write a
table per check into the warehouse; this reads the same rows without writing."""

from __future__ import annotations

from data_factory.project.roles import roles_of
from data_factory.warehouse.engine import Engine


def warned_checks(run_results: dict, manifest: dict) -> dict[str, str] | None:
    """The checks that warned, each with the column naming its failing rows'
    partition, when nothing else in the run is unclean (no error, failure,
    skip, and every warning from such a check); else None."""
    named = roles_of(manifest).partition_named_checks
    warned: dict[str, str] = {}
    for result in run_results.get("results", []):
        status = str(result.get("status")).lower()
        if status in ("success", "pass", "no-op"):
            continue
        uid = result.get("unique_id", "")
        if status != "warn" or uid not in named or not result.get("compiled_code"):
            return None
        warned[uid] = named[uid]
    return warned


def results_by_day(
    engine: Engine, run_results: dict, warned: dict[str, str], partitions: list[str]
) -> dict[str, dict]:
    """One copy of the run results per day, in which each warned check has
    that day's result: the rows its query finds on the day."""
    counts: dict[str, dict[str, int]] = {}
    for result in run_results.get("results", []):
        column = warned.get(result.get("unique_id", ""))
        if column is None:
            continue
        rows = engine.rows(
            f"select cast({column} as string) as day, count(*) as found "
            f"from ({result['compiled_code']}) as failing group by 1"
        )
        counts[result["unique_id"]] = {str(day)[:10]: int(found) for day, found in rows}
    by_day = {}
    for day in partitions:
        # the other results are shared, not copied: only the warned checks differ by day
        results = []
        for result in run_results.get("results", []):
            found = counts.get(result.get("unique_id", ""))
            if found is not None:
                rows = found.get(day, 0)
                result = {
                    **result,
                    "status": "warn" if rows else "pass",
                    "failures": rows,
                    "message": f"Got {rows} result(s) on {day}, configured to warn if != 0"
                    if rows
                    else None,
                }
            results.append(result)
        by_day[day] = {**run_results, "results": results}
    return by_day
