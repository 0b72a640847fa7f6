"""Figure 1, ingest vs the limit: `factory ingest` against DuckDB alone
(`create table as select * from read_json(...)`) on the same files."""

from __future__ import annotations

import json
import time
from datetime import datetime
from pathlib import Path

from bench.figure import Figure, interleave, median
from bench.homes import UsedHome, fresh_dir, generate, home_with, landed_lines
from bench.processes import BenchError, factory_cmd, run_worker, timed
from bench.sizes import INGEST_START, day_list
from bench.suite import Bench

KEY = "ingest"
TITLE = "Ingest vs the limit"


def measure(bench: Bench, fig: Figure) -> None:
    s = bench.sizes
    work = bench.workdir("ingest")
    source = work / "exports"
    days = day_list(INGEST_START, s.ingest_days)
    generate(source, days[0], len(days), s.ingest_tickets)
    lines, size, files = landed_lines(source / "landing", days)
    fig.inputs.update(
        {
            "days": len(days),
            "tickets_per_day": s.ingest_tickets,
            "rows": lines,
            "files": len(files),
            "bytes": size,
            "first_day": days[0],
            "last_day": days[-1],
        }
    )
    for path in files:  # both sides read from the page cache
        path.read_bytes()
    file_list = work / "files.json"
    file_list.write_text(json.dumps([str(p) for p in files]))
    ingest_seconds: list[float] = []
    # an empty home; the untimed first round leaves dbt's parse in it
    used = UsedHome.save(
        home_with(work / "factory-side", landing=source / "landing"), work / "factory-side-saved"
    )

    def factory_side(rep: int) -> float:
        home = used.restore()
        seconds, result = timed(
            factory_cmd(home, "ingest", "--start", days[0], "--end", days[-1], "--format", "json"),
            label="factory ingest",
        )
        reports = json.loads(result.stdout)["ingested"]
        landed = sum(r["landed_rows"] + r["rejected_rows"] for r in reports)
        if landed != lines:
            raise BenchError(f"factory ingest landed {landed} lines of {lines}")
        # days are landed in batches, so their spans overlap: first start to last finish
        ingest_seconds.append(
            _iso_seconds(
                min(r["started_at"] for r in reports), max(r["finished_at"] for r in reports)
            )
        )
        return seconds

    def duckdb_side(rep: int) -> float:
        target = fresh_dir(work / "duckdb-side") / "limit.duckdb"
        started = time.perf_counter()
        result = run_worker("read-json", target, file_list)
        seconds = time.perf_counter() - started
        if result["rows"] != lines:
            raise BenchError(f"DuckDB read_json loaded {result['rows']} rows of {lines}")
        return seconds

    # one untimed round first: both sides then start from warm caches
    factory_side(-1)
    duckdb_side(-1)
    ingest_seconds.clear()
    reps = bench.cheap_repetitions if bench.mode == "full" else bench.repetitions
    samples = interleave(
        {"factory ingest": reps, "duckdb read_json": reps},
        {"factory ingest": factory_side, "duckdb read_json": duckdb_side},
        "ingest",
    )
    factory_s = fig.side(
        "factory ingest",
        samples["factory ingest"],
        what="`factory ingest --start D1 --end DN` as a process, in an emptied "
        "home where the factory ran before: verify manifests (sha256, line "
        "counts), parse, validate, reject, land (+ whatever else the "
        "command records)",
    )
    duckdb_s = fig.side(
        "duckdb read_json",
        samples["duckdb read_json"],
        what="a Python process running DuckDB `create table as select * from "
        "read_json([files])` into a new database file",
    )
    fig.breakdown = {
        "factory_events_per_s": round(lines / factory_s),
        "duckdb_events_per_s": round(lines / duckdb_s),
        "factory_landing_s_median": round(median(ingest_seconds), 3),
        "factory_startup_evidence_state_s_median": round(factory_s - median(ingest_seconds), 3),
    }
    fig.target(
        "throughput factory/duckdb",
        duckdb_s / factory_s,
        ">=",
        0.7,
        unit="x",
        definition="events/s of factory ingest divided by events/s of DuckDB alone",
    )
    bench.done_with(work)


def _iso_seconds(start: str, end: str) -> float:
    return (datetime.fromisoformat(end) - datetime.fromisoformat(start)).total_seconds()


def worker_read_json(database: str, file_list: str) -> dict:
    import duckdb

    files = json.loads(Path(file_list).read_text())
    connection = duckdb.connect(database)
    connection.execute("create table ticket_events as select * from read_json(?)", [files])
    (rows,) = connection.execute("select count(*) from ticket_events").fetchone()
    connection.close()
    return {"rows": rows}


WORKERS = {"read-json": worker_read_json}
