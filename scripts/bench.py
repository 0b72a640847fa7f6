#!/usr/bin/env python3
"""Benchmarks of the ticket data factory, side by side, in one run.

These machines are shared and noisy, so absolute seconds mean little: every
figure runs its sides in the same run, interleaved (the order rotates with
each repetition), takes the median of the repeated samples of each side, and
reports a ratio.

1. ingest    `factory ingest` against DuckDB alone (`create table as select *
             from read_json(...)`) on the same files.
2. history   the factory's build of one day (models, checks, counts,
             evidence, state) with 30, then 365 days of history already built.
3. backfill  `factory backfill` against a shell loop of `dbt build --vars
             '{partition: D}'` subprocesses and against the limit: DuckDB alone
             replaying the compiled model SQL the factory ran. The tables must
             come out identical (row count and content hash per partition).
4. evidence  `factory evidence --target-dir` on a synthetic 5,000-node project,
             against dbt-artifacts-parser reading the same two files.
5. status    `factory status --format json` over 10 assets x 365 days.

Results: a table on stdout and <data>/bench/results.json (--out to change;
<data> is $FACTORY_HOME, else data/ beside the project). `--update-readme`
rewrites the README table between its bench markers from that file. Work
directories live under <data>/bench/work/. Progress goes to stderr.

Exit codes: 0 every figure measured (targets met or not); 1 a figure failed,
for example the sides' tables differ; 2 bad usage.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import re
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parents[1]
BENCH_SCRIPT = Path(__file__).resolve()
BIN_DIR = Path(sys.executable).parent
# the factory this interpreter imports (the checkout's src/, as the tests run it), not the
# venv's console script: one made by an install of another checkout imports a stale layout
FACTORY = [sys.executable, "-m", "data_factory.cli"]
DBT = BIN_DIR / "dbt"
README = PROJECT_DIR / "README.md"
README_START = "<!-- bench:start -->"
README_END = "<!-- bench:end -->"
RESULTS_SCHEMA = "factory-bench/1"

EXIT_OK, EXIT_FIGURE_FAILED, EXIT_USAGE = 0, 1, 2

QUIET_ENV = {"DO_NOT_TRACK": "1", "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
FACT_TABLE = ("marts.ticket_fact", "event_date")
KPI_TABLE = ("marts.ticket_kpi_daily", "kpi_date")


class BenchError(Exception):
    """A side could not be measured; the figure is recorded as an error."""


class TablesDiffer(BenchError):
    """Two sides of figure 3 produced different tables."""


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# --------------------------------------------------------------------------
# sizes


@dataclass(frozen=True)
class Sizes:
    ingest_days: int
    ingest_tickets: int
    history_short: int
    history_long: int
    history_tickets: int
    backfill_days: int
    backfill_tickets: int
    evidence_nodes: int
    status_days: int
    template_tickets: int


# Issue 5's sizes: ~1M events for figure 1 (a day of 20,000 tickets holds
# 70-100k events), 2,000 tickets a day over 365 days for figure 2, 30 days of
# 20,000 tickets for figure 3.
FULL = Sizes(
    ingest_days=11,
    ingest_tickets=20_000,
    history_short=30,
    history_long=365,
    history_tickets=2_000,
    backfill_days=30,
    backfill_tickets=20_000,
    evidence_nodes=5_000,
    status_days=365,
    template_tickets=200,
)
QUICK = Sizes(
    ingest_days=2,
    ingest_tickets=300,
    history_short=1,
    history_long=3,
    history_tickets=100,
    backfill_days=2,
    backfill_tickets=300,
    evidence_nodes=400,
    status_days=20,
    template_tickets=50,
)

INGEST_START = "2025-03-03"
HISTORY_END = "2025-12-31"
BACKFILL_START = "2025-06-02"  # the day before it is built first, untimed
STATUS_END = "2025-12-31"
TEMPLATE_DAY = "2025-01-06"


# --------------------------------------------------------------------------
# running things


def child_env(home: Path | None = None) -> dict:
    env = {**os.environ, **QUIET_ENV}
    if home is not None:
        env["FACTORY_HOME"] = str(home)
    return env


def run(command: list, *, home: Path | None = None, label: str) -> subprocess.CompletedProcess:
    """Run a command from the project root; raise BenchError on failure."""
    result = subprocess.run(
        [str(c) for c in command],
        cwd=PROJECT_DIR,
        env=child_env(home),
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        tail = "\n".join((result.stderr or "").strip().splitlines()[-15:])
        raise BenchError(
            f"{label} exited {result.returncode}: {shlex.join(map(str, command))}\n{tail}"
        )
    return result


def timed(command: list, **options) -> tuple[float, subprocess.CompletedProcess]:
    started = time.perf_counter()
    result = run(command, **options)
    return time.perf_counter() - started, result


def measured(
    command: list, *, home: Path | None = None, label: str, stdout_path: Path | None = None
) -> tuple[float, float]:
    """Wall seconds and peak RSS (MB) of one child process, from wait4."""
    sink = open(stdout_path, "w") if stdout_path else contextlib.nullcontext(subprocess.DEVNULL)  # noqa: SIM115 - closed by the with below
    # stderr goes to a file: a full pipe would block the child before wait4
    with sink as out, tempfile.TemporaryFile() as errors:
        started = time.perf_counter()
        process = subprocess.Popen(
            [str(c) for c in command],
            cwd=PROJECT_DIR,
            env=child_env(home),
            stdout=out,
            stderr=errors,
        )
        _, status, usage = os.wait4(process.pid, 0)
        elapsed = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        errors.seek(0)
        stderr = errors.read().decode(errors="replace")
    if process.returncode != 0:
        raise BenchError(f"{label} exited {process.returncode}: {stderr.strip()[-2000:]}")
    return elapsed, usage.ru_maxrss / 1024  # ru_maxrss is in KiB on Linux


def factory_cmd(home: Path, *args) -> list:
    return [*FACTORY, "--home", home, *args]


def worker_cmd(name: str, *args) -> list:
    return [sys.executable, BENCH_SCRIPT, "_worker", name, *args]


def run_worker(name: str, *args, home: Path | None = None) -> dict:
    result = run(worker_cmd(name, *args), home=home, label=f"worker {name}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def shift(day: str, days: int) -> str:
    return (date.fromisoformat(day) + timedelta(days=days)).isoformat()


def day_list(first: str, count: int) -> list[str]:
    return [shift(first, n) for n in range(count)]


def fresh_dir(path: Path) -> Path:
    if path.is_symlink() or path.is_file():
        path.unlink()
    elif path.exists():
        shutil.rmtree(path)
    path.mkdir(parents=True)
    return path


def home_with(path: Path, *, landing: Path | None = None, warehouse: Path | None = None) -> Path:
    """A fresh factory home sharing landing files (symlink) and starting from
    a copy of a warehouse, so every side and repetition starts equal."""
    fresh_dir(path)
    if landing is not None:
        (path / "landing").symlink_to(landing.resolve(), target_is_directory=True)
    if warehouse is not None:
        shutil.copyfile(warehouse, path / "warehouse.duckdb")
    return path


def generate(home: Path, start: str, days: int, tickets: int) -> None:
    say(f"  generate {days} day(s) from {start}, {tickets:,} tickets/day")
    run(
        factory_cmd(
            home,
            "generate",
            "--start",
            start,
            "--days",
            str(days),
            "--tickets-per-day",
            str(tickets),
        ),
        label="factory generate",
    )


def landed_lines(landing: Path, days: list[str]) -> tuple[int, int, list[Path]]:
    """Manifest lines, bytes and files of the given days."""
    lines = size = 0
    files: list[Path] = []
    for day in days:
        directory = landing / "tickets" / f"dt={day}"
        manifest = json.loads((directory / "_manifest.json").read_text())
        for entry in manifest["files"]:
            lines += int(entry["lines"])
            size += int(entry["bytes"])
            files.append(directory / entry["name"])
    return lines, size, files


def backfill_chunk_option(chunk_days: int) -> list[str]:
    """`--chunk-days N` when this checkout's backfill has it."""
    if chunk_days > 1 and backfill_has_chunks():
        return ["--chunk-days", str(chunk_days)]
    return []


_HELP_CACHE: dict[str, str] = {}


def factory_help(*words: str) -> str:
    key = " ".join(words)
    if key not in _HELP_CACHE:
        result = subprocess.run(
            [*FACTORY, *words, "--help"],
            cwd=PROJECT_DIR,
            env=child_env(),
            capture_output=True,
            text=True,
        )
        _HELP_CACHE[key] = result.stdout if result.returncode == 0 else ""
    return _HELP_CACHE[key]


def backfill_has_chunks() -> bool:
    return "--chunk-days" in factory_help("backfill")


@dataclass
class UsedHome:
    """A factory home put back, before each sample, as it was when saved:
    its warehouse, evidence and state. dbt's parse of the project
    (runs/_parse) stays, as in any home the factory has run in, so dbt only
    re-parses what changed."""

    home: Path
    saved: Path
    KEPT = ("warehouse.duckdb", "evidence", "state.sqlite")
    SCRATCH = (
        "warehouse.duckdb.wal",
        "state.sqlite-wal",
        "state.sqlite-shm",
        "backfills",
        "loop-target",
        "loop-logs",
    )

    @classmethod
    def save(cls, home: Path, saved: Path) -> UsedHome:
        fresh_dir(saved)
        for name in cls.KEPT:
            _copy_path(home / name, saved / name)
        return cls(home, saved)

    def restore(self) -> Path:
        for name in (*self.KEPT, *self.SCRATCH):
            _remove_path(self.home / name)
        for run_dir in (self.home / "runs").glob("*"):
            if run_dir.name != "_parse":
                _remove_path(run_dir)
        for name in self.KEPT:
            _copy_path(self.saved / name, self.home / name)
        return self.home


def _copy_path(source: Path, destination: Path) -> None:
    if source.is_dir():
        shutil.copytree(source, destination)
    elif source.exists():
        shutil.copyfile(source, destination)


def _remove_path(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    else:
        path.unlink(missing_ok=True)


# --------------------------------------------------------------------------
# results


def median(samples: list[float]) -> float:
    return float(statistics.median(samples))


@dataclass
class Figure:
    number: int
    key: str
    title: str
    inputs: dict = field(default_factory=dict)
    sides: dict = field(default_factory=dict)
    targets: list = field(default_factory=list)
    breakdown: dict = field(default_factory=dict)
    notes: list = field(default_factory=list)
    status: str = "measured"  # measured | pending | failed | error
    error: str | None = None
    seconds: float = 0.0

    def side(self, name: str, samples: list[float], *, unit: str = "s", what: str = "") -> float:
        value = median(samples)
        self.sides[name] = {
            "what": what,
            "unit": unit,
            "samples": [round(s, 4) for s in samples],
            "median": round(value, 4),
        }
        return value

    def target(
        self,
        name: str,
        value: float | None,
        op: str | None,
        threshold: float | None,
        *,
        unit: str,
        definition: str,
    ) -> None:
        met = None
        if op is not None and value is not None:
            met = value >= threshold if op == ">=" else value <= threshold
        self.targets.append(
            {
                "name": name,
                "value": None if value is None else round(value, 4),
                "unit": unit,
                "op": op,
                "threshold": threshold,
                "met": met,
                "definition": definition,
            }
        )

    def to_dict(self) -> dict:
        ratios = [t for t in self.targets if t["unit"] == "x"]
        judged = [t["met"] for t in self.targets if t["met"] is not None]
        return {
            "number": self.number,
            "key": self.key,
            "title": self.title,
            "status": self.status,
            "error": self.error,
            "inputs": self.inputs,
            "sides": self.sides,
            "ratio": ratios[0]["value"] if ratios else None,
            "ratio_definition": ratios[0]["definition"] if ratios else None,
            "target": "; ".join(target_text(t) for t in self.targets if t["op"]),
            "targets": self.targets,
            "met": bool(judged) and all(judged) if self.status == "measured" else False,
            "breakdown": self.breakdown,
            "notes": self.notes,
            "seconds": round(self.seconds, 1),
        }


UNIT_SUFFIX = {"x": "x", "s": " s", "MB": " MB"}


def target_text(target: dict) -> str:
    return f"{target['name']} {target['op']} {target['threshold']:g}{UNIT_SUFFIX[target['unit']]}"


def interleave(
    reps: dict[str, int], sample: dict[str, Callable[[int], float]], label: str
) -> dict[str, list[float]]:
    """Samples per side, the order of the sides rotating with each repetition
    so that slow phases of a noisy machine do not always hit the same side."""
    names = list(sample)
    samples: dict[str, list[float]] = {name: [] for name in names}
    for rep in range(max(reps.values())):
        order = names[rep % len(names) :] + names[: rep % len(names)]
        for name in order:
            if rep >= reps[name]:
                continue
            value = sample[name](rep)
            samples[name].append(value)
            say(f"  [{label}] rep {rep + 1}/{reps[name]} {name}: {value:.3f}")
    return samples


# --------------------------------------------------------------------------
# the run as a whole


@dataclass
class Bench:
    root: Path
    sizes: Sizes
    mode: str
    repetitions: int
    loop_repetitions: int
    chunk_days: int
    keep_work: bool
    install_parser: bool
    _template: dict | None = None

    @property
    def work(self) -> Path:
        return self.root / "work"

    @property
    def cheap_repetitions(self) -> int:
        """Figures whose samples take a second or less get more of them."""
        return self.repetitions + 2 if self.mode == "full" else 2

    def workdir(self, name: str) -> Path:
        return fresh_dir(self.work / name)

    def done_with(self, path: Path) -> None:
        if not self.keep_work:
            shutil.rmtree(path, ignore_errors=True)

    def template(self) -> dict:
        """A tiny real factory run: its evidence, run directory and parsed
        manifest are the templates figures 4 and 5 scale up."""
        if self._template is None:
            say("template: one real factory run")
            home = self.workdir("template")
            generate(home, TEMPLATE_DAY, 1, self.sizes.template_tickets)
            run(factory_cmd(home, "run", "--partition", TEMPLATE_DAY), label="factory run")
            runs = sorted(
                p
                for p in (home / "runs").iterdir()
                if (p / "run_results.json").exists() and (p / "manifest.json").exists()
            )
            evidence = sorted((home / "evidence").glob("*.json"))
            if not runs or not evidence:
                raise BenchError(f"the template run left no run directory or evidence in {home}")
            self._template = {
                "home": home,
                "run_dir": runs[-1],
                "evidence": evidence[-1],
                "parse_manifest": home / "runs" / "_parse" / "manifest.json",
            }
        return self._template


# --------------------------------------------------------------------------
# figure 1: ingest vs the limit


def figure_ingest(bench: Bench, fig: Figure) -> None:
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


# --------------------------------------------------------------------------
# figure 2: the cost of one day does not grow with history


def figure_history(bench: Bench, fig: Figure) -> None:
    s = bench.sizes
    work = bench.workdir("history")
    long_days = day_list(shift(HISTORY_END, 1 - s.history_long), s.history_long)
    short_days = long_days[-s.history_short :]
    long_home, short_home = work / "long", work / "short"
    generate(long_home, long_days[0], len(long_days), s.history_tickets)
    _link_days(long_home / "landing", short_home / "landing", short_days)
    chunk = backfill_chunk_option(bench.chunk_days)
    for home, days in ((short_home, short_days), (long_home, long_days)):
        say(
            f"  history: ingest and build {len(days)} days in {home.name}"
            + (f" ({' '.join(chunk)})" if chunk else " (day by day)")
        )
        run(
            factory_cmd(home, "ingest", "--start", days[0], "--end", days[-1]),
            label="factory ingest",
        )
        run(
            factory_cmd(home, "backfill", "--start", days[0], "--end", days[-1], *chunk),
            label="factory backfill (history)",
        )
    day = HISTORY_END
    lines, _, _ = landed_lines(long_home / "landing", long_days)
    day_lines, _, _ = landed_lines(long_home / "landing", [day])
    fig.inputs.update(
        {
            "days": [len(short_days), len(long_days)],
            "tickets_per_day": s.history_tickets,
            "rows": day_lines,
            "history_rows": lines,
            "partition": day,
            "history_built_with": "factory backfill " + (" ".join(chunk) or "day by day"),
        }
    )
    stages: dict[str, list[dict]] = {"short": [], "long": []}

    def side(name: str, home: Path) -> Callable[[int], float]:
        def sample(rep: int) -> float:
            result = run_worker("build-day", home, day, home=home)
            stages[name].append(result)
            return result["total_s"]

        return sample

    short_name = f"{len(short_days)} days of history"
    long_name = f"{len(long_days)} days of history"
    reps = bench.cheap_repetitions if bench.mode == "full" else bench.repetitions
    samples = interleave(
        {short_name: reps, long_name: reps},
        {short_name: side("short", short_home), long_name: side("long", long_home)},
        "history",
    )
    what = (
        f"builds.run_partition of day {day} in a process that has parsed and built it "
        "once (so, like any later day of one CLI call, seeds and unit tests are left out): "
        "dbt models + checks, row counts, reconciliation, evidence, state"
    )
    short_s = fig.side(short_name, samples[short_name], what=what)
    long_s = fig.side(long_name, samples[long_name], what=what)
    fig.breakdown = {
        name: {
            stage: round(median([r[stage] for r in results]), 4)
            for stage in results[0]
            if stage.endswith("_s")
        }
        for name, results in (("short", stages["short"]), ("long", stages["long"]))
    }
    fig.target(
        "long/short",
        long_s / short_s,
        "<=",
        1.25,
        unit="x",
        definition=f"one day's build with {len(long_days)} days of history divided by the "
        f"same with {len(short_days)} days",
    )
    bench.done_with(work)


def _link_days(source_landing: Path, landing: Path, days: list[str]) -> None:
    tickets = fresh_dir(landing / "tickets")
    for day in days:
        (tickets / f"dt={day}").symlink_to(
            (source_landing / "tickets" / f"dt={day}").resolve(), target_is_directory=True
        )


# --------------------------------------------------------------------------
# figure 3: backfill vs the shell loop, and vs the limit


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


def figure_backfill(bench: Bench, fig: Figure) -> None:
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
    chunk = backfill_chunk_option(bench.chunk_days)
    backfill_args = ["backfill", "--start", days[0], "--end", days[-1], *chunk]
    fig.inputs.update(
        {
            "days": len(days),
            "tickets_per_day": s.backfill_tickets,
            "rows": lines,
            "first_day": days[0],
            "last_day": days[-1],
            "chunk_days": int(chunk[1]) if chunk else 1,
            "backfill_command": "factory " + " ".join(backfill_args),
        }
    )
    if not chunk:
        fig.notes.append(
            "factory backfill has no --chunk-days in this checkout: one dbt invocation per day"
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


# --------------------------------------------------------------------------
# figure 4: evidence on a large project


def synthesize_project(run_dir: Path, target: Path, node_count: int) -> dict:
    """A dbt target directory of `node_count` manifest nodes: copies of a real
    run's seeds, models and tests, rewired to their own copies, with a run
    result for each."""
    import copy

    manifest = json.loads((run_dir / "manifest.json").read_text())
    run_results = json.loads((run_dir / "run_results.json").read_text())
    originals = manifest["nodes"]
    order = ("seed", "model", "test")
    cloned = sorted(
        (uid for uid, n in originals.items() if n["resource_type"] in order),
        key=lambda uid: (order.index(originals[uid]["resource_type"]), uid),
    )
    nodes = {uid: n for uid, n in originals.items() if uid not in cloned}
    results_by_id = {r["unique_id"]: r for r in run_results["results"]}
    results = [r for r in run_results["results"] if r["unique_id"] not in cloned]
    copy_number = 0
    while len(nodes) < node_count:
        renamed = {uid: _copy_id(uid, copy_number) for uid in cloned}
        for uid in cloned:
            if len(nodes) >= node_count:
                break
            node = _copy_node(copy.deepcopy(originals[uid]), renamed, copy_number)
            nodes[node["unique_id"]] = node
            if uid in results_by_id:
                result = copy.deepcopy(results_by_id[uid])
                result["unique_id"] = node["unique_id"]
                results.append(result)
        copy_number += 1
    manifest["nodes"] = nodes
    manifest["parent_map"], manifest["child_map"] = _lineage_maps(manifest)
    run_results["results"] = results
    target.mkdir(parents=True, exist_ok=True)
    (target / "manifest.json").write_text(json.dumps(manifest))
    (target / "run_results.json").write_text(json.dumps(run_results))
    return {
        "nodes": len(nodes),
        "results": len(results),
        "copies": copy_number,
        "manifest_bytes": (target / "manifest.json").stat().st_size,
        "run_results_bytes": (target / "run_results.json").stat().st_size,
    }


def _copy_id(uid: str, number: int) -> str:
    parts = uid.split(".")
    parts[2] = f"{parts[2]}_c{number:03d}"
    return ".".join(parts)


def _copy_node(node: dict, renamed: dict[str, str], number: int) -> dict:
    old_name = node["name"]
    new_name = f"{old_name}_c{number:03d}"
    node["unique_id"] = renamed[node["unique_id"]]
    node["name"] = new_name
    if node.get("alias"):
        node["alias"] = new_name
    if node.get("relation_name"):
        node["relation_name"] = node["relation_name"].replace(f'"{old_name}"', f'"{new_name}"')
    if node.get("fqn"):
        node["fqn"] = [*node["fqn"][:-1], new_name]
    depends = node.get("depends_on") or {}
    if depends.get("nodes"):
        depends["nodes"] = [renamed.get(uid, uid) for uid in depends["nodes"]]
    if node.get("attached_node"):
        node["attached_node"] = renamed.get(node["attached_node"], node["attached_node"])
    return node


def _lineage_maps(manifest: dict) -> tuple[dict, dict]:
    members = {**manifest["nodes"], **manifest.get("sources", {}), **manifest.get("exposures", {})}
    parents = {
        uid: list((n.get("depends_on") or {}).get("nodes") or []) for uid, n in members.items()
    }
    children: dict[str, list[str]] = {uid: [] for uid in members}
    for uid, ups in parents.items():
        for parent in ups:
            children.setdefault(parent, []).append(uid)
    return parents, children


def ensure_artifacts_parser(allow_install: bool) -> tuple[bool, str]:
    probe = [
        sys.executable,
        "-c",
        "import dbt_artifacts_parser, importlib.metadata as m; "
        "print(m.version('dbt-artifacts-parser'))",
    ]
    found = subprocess.run(probe, capture_output=True, text=True)
    if found.returncode == 0:
        return True, f"dbt-artifacts-parser {found.stdout.strip()}"
    if not allow_install:
        return False, "dbt-artifacts-parser is not installed (--no-install)"
    say("  installing dbt-artifacts-parser into the venv (pip)")
    install = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "dbt-artifacts-parser"],
        capture_output=True,
        text=True,
    )
    found = subprocess.run(probe, capture_output=True, text=True)
    if install.returncode != 0 or found.returncode != 0:
        return False, (
            "dbt-artifacts-parser could not be installed: "
            + (install.stderr.strip().splitlines() or ["pip failed"])[-1]
        )
    return True, f"dbt-artifacts-parser {found.stdout.strip()} (installed by this run)"


def figure_evidence(bench: Bench, fig: Figure) -> None:
    template = bench.template()
    work = bench.workdir("evidence")
    target = work / "target"
    fig.inputs.update(synthesize_project(template["run_dir"], target, bench.sizes.evidence_nodes))
    fig.inputs["rows"] = fig.inputs["results"]
    parser_ok, parser_note = ensure_artifacts_parser(bench.install_parser)
    fig.notes.append(parser_note)
    rss: dict[str, list[float]] = {}

    def cli_side(rep: int) -> float:
        seconds, peak = measured(
            factory_cmd(
                work, "evidence", "--target-dir", target, "--out", work / "out" / "cli.json"
            ),
            home=work,
            label="factory evidence",
        )
        rss.setdefault("factory evidence (CLI)", []).append(peak)
        return seconds

    def worker_side(name: str, worker: str) -> Callable[[int], float]:
        def sample(rep: int) -> float:
            result = run_worker(worker, target, work / "out" / f"{worker}.json", home=work)
            rss.setdefault(name, []).append(result["peak_rss_mb"])
            return result["seconds"]

        return sample

    reps = bench.cheap_repetitions
    sides = {
        "factory evidence (CLI)": cli_side,
        "factory evidence (in-process)": worker_side("factory evidence (in-process)", "evidence"),
    }
    if parser_ok:
        sides["dbt-artifacts-parser"] = worker_side("dbt-artifacts-parser", "artifacts-parser")
    samples = interleave(dict.fromkeys(sides, reps), sides, "evidence")
    cli_s = fig.side(
        "factory evidence (CLI)",
        samples["factory evidence (CLI)"],
        what="`factory evidence --target-dir T --out F` as a process: read both "
        "artifacts, derive, validate against the schema, write",
    )
    own_s = fig.side(
        "factory evidence (in-process)",
        samples["factory evidence (in-process)"],
        what="evidence_from_target_dir + write_evidence, imports excluded",
    )
    if parser_ok:
        parser_s = fig.side(
            "dbt-artifacts-parser",
            samples["dbt-artifacts-parser"],
            what="parse_manifest + parse_run_results of the same two files, imports excluded",
        )
    for name, values in rss.items():
        fig.side(f"{name} peak RSS", values, unit="MB", what="peak resident memory of the process")
    fig.target(
        "factory evidence CLI",
        cli_s,
        "<=",
        1.0,
        unit="s",
        definition="median wall seconds of the whole `factory evidence` process",
    )
    fig.target(
        "factory evidence CLI peak RSS",
        median(rss["factory evidence (CLI)"]),
        "<=",
        300,
        unit="MB",
        definition="median peak RSS of the `factory evidence` process",
    )
    if parser_ok:
        fig.target(
            "factory/parser",
            own_s / parser_s,
            "<=",
            1.0,
            unit="x",
            definition="factory evidence in-process seconds divided by dbt-artifacts-"
            "parser seconds (both without imports)",
        )
    else:
        fig.target(
            "factory/parser", None, None, None, unit="x", definition="not measured: " + parser_note
        )
    bench.done_with(work)


# --------------------------------------------------------------------------
# figure 5: status at scale


def synthesize_evidence(template: dict, home: Path, days: list[str]) -> int:
    """One valid evidence file per day, made from a real run's evidence, so
    the state store sees `len(days)` days of every asset of the project."""
    from data_factory.evidence.store import write_evidence

    source = json.loads(template["evidence"].read_text())
    old_day = source["partitions"][0]
    text = json.dumps(source)
    for index, day in enumerate(days):
        document = json.loads(text.replace(old_day, day))
        run_id = f"rbench-{day}-{index:04d}"
        moment = f"{shift(day, 1)}T02:00:00.000Z"
        document.update({"run_id": run_id, "started_at": moment, "finished_at": moment})
        document["report"] = {"path": "", "sha256": ""}
        write_evidence(document, home / "evidence" / f"{run_id}.json")
    (home / "runs" / "_parse").mkdir(parents=True, exist_ok=True)
    shutil.copyfile(template["parse_manifest"], home / "runs" / "_parse" / "manifest.json")
    return len({(a["asset"]) for a in source["assets"]})


def figure_status(bench: Bench, fig: Figure) -> None:
    help_text = factory_help()
    if not all(re.search(rf"^\s+{word}\s", help_text, re.M) for word in ("status", "state")):
        fig.status = "pending"
        fig.notes.append("`factory status` / `factory state rebuild` are not in this checkout yet")
        return
    template = bench.template()
    work = bench.workdir("status")
    days = day_list(shift(STATUS_END, 1 - bench.sizes.status_days), bench.sizes.status_days)
    say(f"  status: {len(days)} evidence files")
    assets = synthesize_evidence(template, work, days)
    rebuild_s, _ = timed(factory_cmd(work, "state", "rebuild"), label="factory state rebuild")
    out = work / "status.json"

    def status_side(rep: int) -> float:
        seconds, _ = measured(
            factory_cmd(work, "status", "--format", "json"),
            home=work,
            label="factory status",
            stdout_path=out,
        )
        return seconds

    def floor_side(rep: int) -> float:
        seconds, _ = measured(factory_cmd(work, "--help"), home=work, label="factory --help")
        return seconds

    reps = bench.cheap_repetitions
    names = ("factory status --format json", "factory --help")
    samples = interleave(
        dict.fromkeys(names, reps),
        dict(zip(names, (status_side, floor_side), strict=False)),
        "status",
    )
    cells = json.loads(out.read_text())
    cells = cells if isinstance(cells, list) else cells.get("cells", [])
    fig.inputs.update(
        {
            "assets": assets,
            "days": len(days),
            "evidence_files": len(days),
            "rows": len(cells),
            "cells": len(cells),
        }
    )
    status_s = fig.side(
        names[0],
        samples[names[0]],
        what="`factory status --format json` as a process, stdout to a file",
    )
    floor_s = fig.side(
        names[1], samples[names[1]], what="the same CLI doing nothing: Python and CLI start-up"
    )
    fig.breakdown = {"state_rebuild_s": round(rebuild_s, 3)}
    fig.target(
        "factory status",
        status_s,
        "<=",
        0.5,
        unit="s",
        definition="median wall seconds of the whole `factory status` process",
    )
    fig.target(
        "status/start-up",
        status_s / floor_s,
        None,
        None,
        unit="x",
        definition="status seconds divided by `factory --help` seconds (informative)",
    )
    bench.done_with(work)


# --------------------------------------------------------------------------
# workers: run as `bench.py _worker NAME ...` in their own process


def worker_read_json(database: str, file_list: str) -> dict:
    import duckdb

    files = json.loads(Path(file_list).read_text())
    connection = duckdb.connect(database)
    connection.execute("create table ticket_events as select * from read_json(?)", [files])
    (rows,) = connection.execute("select count(*) from ticket_events").fetchone()
    connection.close()
    return {"rows": rows}


class StageClock:
    """The seconds of each stage of a run, added up: the `stages` hook of
    runs.build.run_partition."""

    def __init__(self, stages: tuple[str, ...]):
        self.seconds = dict.fromkeys(stages, 0.0)

    def __call__(self, stage: str, seconds: float) -> None:
        self.seconds[stage] += seconds


def worker_build_day(home: str, partition: str) -> dict:
    """One day's factory build in a process that has parsed and warmed up."""
    from data_factory.core.paths import FactoryPaths
    from data_factory.project.dbt_runner import DbtProject
    from data_factory.runs.build import STAGES, run_partition

    project = DbtProject(FactoryPaths(Path(home).resolve()))
    project.ensure_parsed()
    run_partition(project, partition, ingest=False, command="build")  # warm-up
    clock = StageClock(STAGES)
    started = time.perf_counter()
    outcome = run_partition(project, partition, ingest=False, command="build", stages=clock)
    total = time.perf_counter() - started
    if outcome.status != "success":
        raise SystemExit(f"the build of {partition} did not succeed: {outcome.evidence_path}")
    stages = {f"{stage}_s": round(seconds, 4) for stage, seconds in clock.seconds.items()}
    other = total - sum(clock.seconds.values())
    return {"total_s": round(total, 4), **stages, "other_s": round(other, 4)}


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


def _peak_rss_mb() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def worker_evidence(target_dir: str, out: str) -> dict:
    from data_factory.evidence.document import evidence_from_target_dir
    from data_factory.evidence.store import write_evidence

    started = time.perf_counter()
    document = evidence_from_target_dir(Path(target_dir))
    write_evidence(document, Path(out))
    seconds = time.perf_counter() - started
    return {
        "seconds": round(seconds, 4),
        "peak_rss_mb": round(_peak_rss_mb(), 1),
        "assets": len(document["assets"]),
    }


def worker_artifacts_parser(target_dir: str, out: str) -> dict:
    from dbt_artifacts_parser.parser import parse_manifest, parse_run_results

    started = time.perf_counter()
    with open(Path(target_dir) / "manifest.json") as handle:
        manifest = parse_manifest(json.load(handle))
    with open(Path(target_dir) / "run_results.json") as handle:
        run_results = parse_run_results(json.load(handle))
    seconds = time.perf_counter() - started
    return {
        "seconds": round(seconds, 4),
        "peak_rss_mb": round(_peak_rss_mb(), 1),
        "nodes": len(manifest.nodes),
        "results": len(run_results.results),
    }


WORKERS = {
    "read-json": worker_read_json,
    "build-day": worker_build_day,
    "replay": worker_replay,
    "evidence": worker_evidence,
    "artifacts-parser": worker_artifacts_parser,
}


# --------------------------------------------------------------------------
# output: table, results.json, README


FIGURES = {
    1: ("ingest", "Ingest vs the limit", figure_ingest),
    2: ("history", "Cost of one day does not grow with history", figure_history),
    3: ("backfill", "Backfill vs the shell loop, and vs the limit", figure_backfill),
    4: ("evidence", "Evidence on a large project", figure_evidence),
    5: ("status", "Status at scale", figure_status),
}


def machine() -> dict:
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "cores": os.cpu_count(),
        "memory_gib": round(memory / 2**30, 1),
        "cpu": model,
        "platform": platform.platform(),
        "python": platform.python_version(),
        **_versions(),
    }


def _versions() -> dict:
    from importlib.metadata import PackageNotFoundError, version

    found = {}
    for package in ("duckdb", "dbt-core", "dbt-duckdb"):
        try:
            found[package] = version(package)
        except PackageNotFoundError:
            found[package] = None
    return found


def git_identity() -> dict:
    def git(*args):
        result = subprocess.run(["git", *args], cwd=PROJECT_DIR, capture_output=True, text=True)
        return result.stdout.strip() if result.returncode == 0 else None

    status = git("status", "--porcelain", "--untracked-files=no")
    return {"sha": git("rev-parse", "HEAD"), "dirty": None if status is None else bool(status)}


def fmt_seconds(value: float, unit: str = "s") -> str:
    if unit == "MB":
        return f"{value:,.0f} MB"
    return f"{value:.3f} s" if value < 10 else f"{value:.1f} s"


def describe_inputs(figure: dict) -> str:
    inputs = figure["inputs"]
    key = figure["key"]
    if key == "ingest":
        return (
            f"{inputs['days']} days x {inputs['tickets_per_day']:,} tickets/day = "
            f"{inputs['rows']:,} events ({inputs['bytes'] / 2**20:,.0f} MiB)"
        )
    if key == "history":
        short, long = inputs["days"]
        return (
            f"day {inputs['partition']} ({inputs['rows']:,} events) after {short} vs {long} "
            f"days x {inputs['tickets_per_day']:,} tickets/day"
        )
    if key == "backfill":
        return (
            f"{inputs['days']} days x {inputs['tickets_per_day']:,} tickets/day = "
            f"{inputs['rows']:,} events; chunk {inputs['chunk_days']} day(s)"
        )
    if key == "evidence":
        return f"{inputs['nodes']:,} nodes, {inputs['results']:,} results"
    if key == "status":
        return f"{inputs['assets']} assets x {inputs['days']} days = {inputs['cells']:,} cells"
    return json.dumps(inputs)


def describe_sides(figure: dict) -> str:
    return "; ".join(
        f"{name} {fmt_seconds(side['median'], side['unit'])}"
        for name, side in figure["sides"].items()
    )


def target_rows(figure: dict) -> list[tuple[str, str, str, str]]:
    """(measure, value, target, met) for each target of a figure."""
    if figure["status"] != "measured":
        return [("-", "-", figure["target"] or "-", figure["status"])]
    rows = []
    for target in figure["targets"]:
        suffix = UNIT_SUFFIX[target["unit"]]
        value = "-" if target["value"] is None else f"{target['value']:.2f}{suffix}"
        wanted = f"{target['op']} {target['threshold']:g}{suffix}" if target["op"] else "(info)"
        met = "-" if target["met"] is None else "yes" if target["met"] else "no"
        rows.append((target["name"], value, wanted, met))
    return rows


def print_table(results: dict, stream=sys.stdout) -> None:
    print(
        f"{results['mode']} run {results['started_at']}: {results['machine']['cores']} cores, "
        f"{results['machine']['memory_gib']} GiB, median of {results['repetitions']}+ "
        f"repetitions per side, {results['duration_s'] / 60:.1f} min",
        file=stream,
    )
    rows = [("#", "figure", "measure", "value", "target", "met")]
    details = []
    for figure in results["figures"]:
        for index, row in enumerate(target_rows(figure)):
            first = index == 0
            rows.append(
                (str(figure["number"]) if first else "", figure["title"] if first else "", *row)
            )
        inputs = describe_inputs(figure) if figure["status"] == "measured" else "-"
        sides = describe_sides(figure) if figure["sides"] else (figure["error"] or "-")
        details.append((figure["number"], inputs, sides))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        print(
            "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=False)).rstrip(),
            file=stream,
        )
    for number, inputs, sides in details:
        print(f"\n{number}  inputs: {inputs}\n   sides:  {sides}", file=stream)


def markdown_block(results: dict) -> str:
    m = results["machine"]
    git = results["git"]
    lines = [
        f"Last full run: {results['started_at'][:10]} (UTC), {m['cores']} cores, "
        f"{m['memory_gib']} GiB memory ({m['cpu'] or 'unknown CPU'}), `{results['command']}`, "
        f"{results['duration_s'] / 60:.0f} min, git {(git['sha'] or 'unknown')[:10]}"
        f"{' with uncommitted changes' if git['dirty'] else ''}. Medians of "
        f"{results['repetitions']} or more repetitions per side, sides interleaved in one run; "
        "from `data/bench/results.json`, written by `scripts/bench.py`.",
        "",
        "| # | figure | inputs | median per side | measure | value | target | met |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for figure in results["figures"]:
        inputs = describe_inputs(figure) if figure["status"] == "measured" else "-"
        sides = (
            "<br>".join(
                f"{name}: {fmt_seconds(side['median'], side['unit'])}"
                for name, side in figure["sides"].items()
            )
            or "-"
        )
        columns = list(zip(*target_rows(figure), strict=False))
        cells = (
            str(figure["number"]),
            figure["title"],
            inputs,
            sides,
            *("<br>".join(column) for column in columns),
        )
        lines.append("| " + " | ".join(c.replace("|", "/") for c in cells) + " |")
    notes = [
        f"- {figure['number']}: {note}" for figure in results["figures"] for note in figure["notes"]
    ]
    notes += [
        f"- {figure['number']}: where the time goes: {_breakdown_text(figure['breakdown'])}"
        for figure in results["figures"]
        if figure["breakdown"] and not figure["met"]
    ]
    if notes:
        lines += ["", *notes]
    return "\n".join(lines)


def _breakdown_text(breakdown: dict) -> str:
    def value(v):
        if isinstance(v, dict):
            return "{" + ", ".join(f"{k} {value(x)}" for k, x in v.items()) + "}"
        return f"{v:,.3f}" if isinstance(v, float) else f"{v:,}" if isinstance(v, int) else str(v)

    return ", ".join(f"{k} {value(v)}" for k, v in breakdown.items())


README_INTRO = (
    "`make bench` measures the factory side by side with what people use today and with "
    "DuckDB's own limit, in one run on one machine, and rewrites the table below "
    "(`make bench-quick` runs the same suite on tiny sizes in a few minutes). Only the ratios "
    "are meaningful: the machine is shared and noisy.\n"
)


def readme_with_block(text: str, block: str) -> str:
    """README text with the bench block replaced, or a Benchmarks section
    added before "## Scaling out" (else at the end). Nothing else changes."""
    fenced = f"{README_START}\n{block}\n{README_END}"
    if README_START in text and README_END in text:
        before, rest = text.split(README_START, 1)
        _, after = rest.split(README_END, 1)
        return before + fenced + after
    section = f"## Benchmarks\n\n{README_INTRO}\n{fenced}\n\n"
    anchor = re.search(r"^## Scaling out\b", text, re.M)
    if anchor:
        return text[: anchor.start()] + section + text[anchor.start() :]
    return text.rstrip("\n") + "\n\n" + section.rstrip("\n") + "\n"


def update_readme(results: dict, readme: Path) -> None:
    if results["mode"] != "full" or sorted(f["number"] for f in results["figures"]) != sorted(
        FIGURES
    ):
        raise BenchError(
            "the README shows the last full run of all five figures; these "
            f"results are a {results['mode']} run of figures "
            f"{[f['number'] for f in results['figures']]}"
        )
    readme.write_text(readme_with_block(readme.read_text(), markdown_block(results)))
    say(f"updated the Benchmarks table in {readme}")


# --------------------------------------------------------------------------
# main


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="scripts/bench.py",
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--quick", action="store_true", help="tiny sizes, one repetition")
    parser.add_argument("--only", default="", metavar="LIST", help="figures to run, e.g. 1,3")
    parser.add_argument("--repetitions", type=int, help="samples per side (default 3; quick 1)")
    parser.add_argument(
        "--loop-repetitions",
        type=int,
        help="samples of the shell-loop side of figure 3 (default: --repetitions)",
    )
    parser.add_argument(
        "--chunk-days",
        type=int,
        default=30,
        help="`factory backfill --chunk-days` for figures 2 and 3, when the "
        "checkout has it (default 30)",
    )
    parser.add_argument("--out", type=Path, help="results file (default <data>/bench/results.json)")
    parser.add_argument(
        "--update-readme",
        action="store_true",
        help="after a full run of all figures, rewrite the README table",
    )
    parser.add_argument(
        "--readme-only",
        action="store_true",
        help="only rewrite the README table from the existing --out file",
    )
    parser.add_argument("--readme", type=Path, default=README, help=argparse.SUPPRESS)
    parser.add_argument(
        "--keep-work",
        action="store_true",
        help="keep the work directories (homes, warehouses) for inspection",
    )
    parser.add_argument(
        "--no-install",
        action="store_true",
        help="do not pip-install dbt-artifacts-parser when it is missing",
    )
    args = parser.parse_args(argv)
    try:
        args.figures = sorted({int(n) for n in args.only.split(",") if n.strip()}) or sorted(
            FIGURES
        )
    except ValueError:
        parser.error(f"--only takes figure numbers like 1,3; got {args.only!r}")
    if set(args.figures) - set(FIGURES):
        parser.error(f"--only: figures are 1 to {len(FIGURES)}")
    if args.repetitions is not None and args.repetitions < 1:
        parser.error("--repetitions must be at least 1")
    return args


def data_dir() -> Path:
    home = os.environ.get("FACTORY_HOME")
    return Path(home).resolve() if home else PROJECT_DIR / "data"


def run_figures(args: argparse.Namespace, bench: Bench, results: dict, out: Path) -> int:
    exit_code = EXIT_OK
    for number in args.figures:
        key, title, measure = FIGURES[number]
        figure = Figure(number=number, key=key, title=title)
        say(f"figure {number}: {title}")
        started = time.perf_counter()
        try:
            measure(bench, figure)
        except TablesDiffer as exc:
            figure.status, figure.error = "failed", str(exc)
            say(f"!!! figure {number} FAILED: {exc}")
            exit_code = EXIT_FIGURE_FAILED
        except Exception as exc:
            figure.status, figure.error = "error", f"{type(exc).__name__}: {exc}"
            say(f"!!! figure {number} could not be measured: {figure.error}")
            exit_code = EXIT_FIGURE_FAILED
        figure.seconds = time.perf_counter() - started
        say(f"figure {number} done in {figure.seconds:.0f} s")
        results["figures"].append(figure.to_dict())
        write_results(results, out)  # a crash later keeps what was measured
    return exit_code


def write_results(results: dict, out: Path) -> None:
    results["duration_s"] = round(time.time() - results["_started"], 1)
    results["finished_at"] = datetime.now(UTC).isoformat(timespec="seconds")
    out.parent.mkdir(parents=True, exist_ok=True)
    public = {k: v for k, v in results.items() if not k.startswith("_")}
    temporary = out.with_suffix(".tmp")
    temporary.write_text(json.dumps(public, indent=2) + "\n")
    os.replace(temporary, out)


def main(argv: list[str]) -> int:
    if argv[:1] == ["_worker"]:
        print(json.dumps(WORKERS[argv[1]](*argv[2:])))
        return EXIT_OK
    args = parse_args(argv)
    root = data_dir() / "bench"
    out = (args.out or root / "results.json").resolve()
    if args.readme_only:
        update_readme(json.loads(out.read_text()), args.readme)
        return EXIT_OK
    repetitions = args.repetitions or (1 if args.quick else 3)
    bench = Bench(
        root=root,
        sizes=QUICK if args.quick else FULL,
        mode="quick" if args.quick else "full",
        repetitions=repetitions,
        loop_repetitions=args.loop_repetitions or repetitions,
        chunk_days=args.chunk_days,
        keep_work=args.keep_work,
        install_parser=not args.no_install,
    )
    started = datetime.now(UTC)
    command = os.environ.get("BENCH_COMMAND") or shlex.join(["scripts/bench.py", *argv])
    results = {
        "schema": RESULTS_SCHEMA,
        "mode": bench.mode,
        "command": command,
        "started_at": started.isoformat(timespec="seconds"),
        "finished_at": None,
        "duration_s": 0.0,
        "repetitions": repetitions,
        "machine": machine(),
        "git": git_identity(),
        "sizes": bench.sizes.__dict__,
        "figures": [],
        "_started": time.time(),
    }
    exit_code = run_figures(args, bench, results, out)
    if not args.keep_work:
        shutil.rmtree(bench.work, ignore_errors=True)
    write_results(results, out)
    print_table({**results, "duration_s": results["duration_s"]})
    say(f"results: {out}")
    if args.update_readme:
        update_readme(json.loads(out.read_text()), args.readme)
    return exit_code


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except BenchError as exc:
        say(f"bench: {exc}")
        sys.exit(EXIT_FIGURE_FAILED)
