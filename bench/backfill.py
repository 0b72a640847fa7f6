"""Figure 3, backfill vs the shell loop, and vs the limit: `factory backfill`
against a shell loop of `dbt build --vars '{partition: D}'` subprocesses and
against DuckDB alone replaying the compiled model SQL the factory ran. The
tables must come out identical (row count and content hash per partition)."""

from __future__ import annotations

import json
import re
import shlex
import shutil
import time
from collections.abc import Callable
from pathlib import Path

from bench.figure import Figure, interleave, median
from bench.homes import UsedHome, generate, home_with, landed_lines
from bench.processes import DBT, TablesDiffer, factory_cmd, run, run_worker, say, timed
from bench.sizes import BACKFILL_START, day_list, shift
from bench.suite import Bench

KEY = "backfill"
TITLE = "Backfill vs the shell loop, and vs the limit"
FACT_TABLE = ("marts.ticket_fact", "event_date")
KPI_TABLE = ("marts.ticket_kpi_daily", "kpi_date")


def partition_fingerprints(warehouse: Path, days: list[str]) -> dict:
    """Per table and partition: row count and an order-independent content
    hash (sum and xor of DuckDB's hash of every whole row)."""
    import duckdb

    found: dict = {}
    connection = duckdb.connect(str(warehouse), read_only=True)
    try:
        for table, column in (FACT_TABLE, KPI_TABLE):
            rows = connection.execute(
                f"select cast({column} as varchar), count(*), "
                f"cast(sum(cast(hash(t) as hugeint)) as varchar), bit_xor(hash(t)) "
                f"from {table} as t where {column} between cast(? as date) and cast(? as date) "
                f"group by 1",
                [days[0], days[-1]],
            ).fetchall()
            by_day = {day: (count, f"{total}:{xor:x}") for day, count, total, xor in rows}
            found[table] = {day: list(by_day.get(day, (0, "empty"))) for day in days}
    finally:
        connection.close()
    return found


def compare_fingerprints(reference: dict, other: dict, label: str) -> None:
    differing = [
        f"{table} {day}: {reference[table][day]} != {other[table][day]}"
        for table in reference
        for day in reference[table]
        if reference[table][day] != other[table][day]
    ]
    if differing:
        raise TablesDiffer(
            f"TABLES DIFFER between factory backfill and {label} in "
            f"{len(differing)} partition(s): " + "; ".join(differing[:6])
        )


def shell_loop_script(days: list[str], target: Path, logs: Path) -> str:
    """What people do today: one `dbt build` process per day."""
    return (
        "set -e\n"
        f"for day in {' '.join(days)}; do\n"
        f'  {shlex.quote(str(DBT))} build --vars "{{partition: $day}}" --quiet '
        f"--target-path {shlex.quote(str(target))} --log-path {shlex.quote(str(logs))}\n"
        "done\n"
    )


BACKFILL_SIDES = {
    "factory": "factory backfill",
    "cold": "factory backfill, new home (info)",
    "loop": "shell loop of dbt build",
    "limit": "duckdb replay (limit)",
    "checks": "duckdb replay + checks (info)",
}


def measure(bench: Bench, fig: Figure) -> None:
    s = bench.sizes
    work = bench.workdir("backfill")
    base = work / "home"
    warmup_day = shift(BACKFILL_START, -1)
    days = day_list(BACKFILL_START, s.backfill_days)
    generate(base, warmup_day, len(days) + 1, s.backfill_tickets)
    say(f"  backfill: ingest {len(days) + 1} days and build {warmup_day} (the tables then exist)")
    run(
        factory_cmd(base, "ingest", "--start", warmup_day, "--end", days[-1]),
        label="factory ingest",
    )
    run(factory_cmd(base, "build", "--partition", warmup_day), label="factory build")
    used = UsedHome.save(base, work / "saved")
    lines, _, _ = landed_lines(base / "landing", days)
    backfill_args = ["backfill", "--start", days[0], "--end", days[-1], *bench.chunk_option]
    fig.inputs.update(
        {
            "days": len(days),
            "tickets_per_day": s.backfill_tickets,
            "rows": lines,
            "first_day": days[0],
            "last_day": days[-1],
            "chunk_days": bench.chunk_days,
            "backfill_command": "factory " + " ".join(backfill_args),
        }
    )
    reference: dict = {}
    replay_dirs = work / "replay-runs"
    factory_runs: list[dict] = []

    def check(home: Path, label: str) -> None:
        found = partition_fingerprints(home / "warehouse.duckdb", days)
        if not reference:
            reference.update(found)
        else:
            compare_fingerprints(reference, found, label)

    def factory_side(rep: int) -> float:
        home = used.restore()
        seconds, _ = timed(
            factory_cmd(home, *backfill_args, "--format", "json"), label="factory backfill"
        )
        check(home, "factory backfill")
        factory_runs.append(_dbt_time_in_runs(home / "runs"))
        if not replay_dirs.exists():
            replay_dirs.mkdir()
            for run_dir in _run_dirs_in_order(home / "runs"):
                shutil.copytree(run_dir, replay_dirs / f"{len(list(replay_dirs.iterdir())):04d}")
        return seconds

    def cold_side(rep: int) -> float:
        home = home_with(
            work / "new-home", landing=base / "landing", warehouse=used.saved / "warehouse.duckdb"
        )
        seconds, _ = timed(
            factory_cmd(home, *backfill_args, "--format", "json"),
            label="factory backfill in a new home",
        )
        check(home, "factory backfill in a new home")
        return seconds

    def loop_side(rep: int) -> float:
        home = used.restore()
        script = shell_loop_script(days, home / "loop-target", home / "loop-logs")
        seconds, _ = timed(["bash", "-c", script], home=home, label="shell loop of dbt build")
        check(home, "the shell loop")
        return seconds

    def replay_side(with_checks: bool) -> Callable[[int], float]:
        def sample(rep: int) -> float:
            home = used.restore()
            plan = work / "replay-dirs.json"
            plan.write_text(json.dumps([str(p) for p in sorted(replay_dirs.iterdir())]))
            result = run_worker(
                "replay", home / "warehouse.duckdb", plan, "checks" if with_checks else "models"
            )
            check(home, "DuckDB replaying the compiled SQL")
            fig.breakdown.setdefault(
                "replay_statements" + ("_with_checks" if with_checks else ""), result["statements"]
            )
            return result["seconds"]

        return sample

    names = BACKFILL_SIDES
    # the sides that take seconds, not minutes, get more samples against noise
    others = bench.cheap_repetitions if bench.mode == "full" else bench.repetitions
    reps = {
        names["factory"]: others,
        names["cold"]: others,
        names["loop"]: bench.loop_repetitions,
        names["limit"]: others,
        names["checks"]: others,
    }
    samples = interleave(
        reps,
        {
            names["factory"]: factory_side,
            names["loop"]: loop_side,
            names["limit"]: replay_side(False),
            names["cold"]: cold_side,
            names["checks"]: replay_side(True),
        },
        "backfill",
    )
    factory_s = fig.side(
        names["factory"],
        samples[names["factory"]],
        what=f"`{fig.inputs['backfill_command']}` as a process, in the home that "
        "ingested the days and built the day before (dbt parses only what "
        "changed); dbt models + checks, per-day evidence and state",
    )
    fig.side(
        names["cold"],
        samples[names["cold"]],
        what="the same in a home where dbt never parsed the project (a full parse)",
    )
    loop_s = fig.side(
        names["loop"],
        samples[names["loop"]],
        what="bash: for each day, `dbt build --vars '{partition: D}'` (a process "
        "each; each parses the project again, because the vars changed)",
    )
    limit_s = fig.side(
        names["limit"],
        samples[names["limit"]],
        what="DuckDB alone, one process, executing the model SQL of the factory's "
        "run directories (compiled/ into temp tables, then run/'s delete + "
        "insert), without dbt; no checks, no seeds",
    )
    fig.side(
        names["checks"],
        samples[names["checks"]],
        what="the same plus the SQL of every data test the factory ran (run/ folder)",
    )
    fig.inputs["identical_tables"] = True
    fig.inputs["partitions_compared"] = {t: len(v) for t, v in reference.items()}
    fig.breakdown.update(_median_stages(factory_runs))
    if bench.loop_repetitions < others:
        fig.notes.append(
            f"the shell loop ran {bench.loop_repetitions} repetition(s), the other "
            f"sides {others}: it takes minutes, they take seconds"
        )
    fig.target(
        "speed-up vs loop",
        loop_s / factory_s,
        ">=",
        8,
        unit="x",
        definition="shell loop seconds divided by factory backfill seconds",
    )
    fig.target(
        "factory/limit",
        factory_s / limit_s,
        "<=",
        2,
        unit="x",
        definition="factory backfill seconds divided by DuckDB-alone seconds",
    )
    bench.done_with(work)


def _run_dirs_in_order(runs: Path) -> list[Path]:
    found = []
    for results in runs.glob("*/run_results.json"):
        generated = json.loads(results.read_text())["metadata"]["generated_at"]
        found.append((generated, results.parent))
    return [path for _, path in sorted(found)]


def _dbt_time_in_runs(runs: Path) -> dict:
    """Where a factory backfill's time went, from its dbt run results."""
    totals = {
        "dbt_invocations": 0,
        "dbt_elapsed_s": 0.0,
        "models_s": 0.0,
        "tests_s": 0.0,
        "seeds_s": 0.0,
    }
    kinds = {"model": "models_s", "test": "tests_s", "unit_test": "tests_s", "seed": "seeds_s"}
    for path in runs.glob("*/run_results.json"):
        document = json.loads(path.read_text())
        totals["dbt_invocations"] += 1
        totals["dbt_elapsed_s"] += float(document.get("elapsed_time") or 0.0)
        for result in document["results"]:
            kind = kinds.get(result["unique_id"].split(".")[0])
            if kind:
                totals[kind] += float(result.get("execution_time") or 0.0)
    return totals


def _median_stages(runs: list[dict]) -> dict:
    if not runs:
        return {}
    found = {}
    for key in runs[0]:
        value = median([r[key] for r in runs])
        found[f"factory_{key}"] = int(value) if isinstance(runs[0][key], int) else round(value, 3)
    return found


def _replay_plan(run_dir: Path, with_checks: bool) -> list[str]:
    """The statements dbt ran for the models of one invocation, in order:
    views are recreated from their compiled SQL; incremental models build
    their temp table from the compiled SQL, then run the delete+insert of
    run/. With checks, each data test's query from run/ too."""
    manifest = json.loads((run_dir / "manifest.json").read_text())
    results = json.loads((run_dir / "run_results.json").read_text())["results"]
    statements = []
    for result in results:
        uid = result["unique_id"]
        node = manifest["nodes"].get(uid) or {}
        if with_checks and uid.startswith("test."):
            statements.append(
                (
                    run_dir
                    / "run"
                    / node["package_name"]
                    / node["original_file_path"]
                    / node["path"]
                ).read_text()
            )
        if not uid.startswith("model.") or result["status"] != "success":
            continue
        relative = Path(node["package_name"]) / node["original_file_path"]
        compiled = (run_dir / "compiled" / relative).read_text()
        executed = (run_dir / "run" / relative).read_text()
        materialized = node["config"]["materialized"]
        if materialized == "view":
            statements.append(f"create or replace view {node['relation_name']} as (\n{compiled}\n)")
            continue
        temp = re.search(r'from "([^"]+__dbt_tmp[^"]*)"', executed)
        if materialized == "incremental" and temp:
            statements += [
                "begin",
                f'create temporary table "{temp.group(1)}" as (\n{compiled}\n)',
                executed,
                f'drop table "{temp.group(1)}"',
                "commit",
            ]
        else:
            statements.append(executed)
    return statements


def worker_replay(database: str, plan_file: str, what: str) -> dict:
    import duckdb

    statements = [
        s
        for d in json.loads(Path(plan_file).read_text())
        for s in _replay_plan(Path(d), with_checks=what == "checks")
    ]
    started = time.perf_counter()
    connection = duckdb.connect(database)
    for statement in statements:
        connection.execute(statement).fetchall()
    connection.close()
    return {"seconds": round(time.perf_counter() - started, 4), "statements": len(statements)}


WORKERS = {"replay": worker_replay}
