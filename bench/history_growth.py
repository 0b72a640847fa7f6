"""Figure 2, the cost of one day does not grow with history: the factory's
build of one day (models, checks, counts, evidence, state) with 30, then 365
days of history already built. The stages of the build are timed through the
`stages` hook of runs.build.run_partition."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from bench.figure import Figure, interleave, median
from bench.homes import fresh_dir, generate, landed_lines
from bench.processes import factory_cmd, run, run_worker, say
from bench.sizes import HISTORY_END, day_list, shift
from bench.suite import Bench

KEY = "history"
TITLE = "Cost of one day does not grow with history"


def measure(bench: Bench, fig: Figure) -> None:
    s = bench.sizes
    work = bench.workdir("history")
    long_days = day_list(shift(HISTORY_END, 1 - s.history_long), s.history_long)
    short_days = long_days[-s.history_short :]
    long_home, short_home = work / "long", work / "short"
    generate(long_home, long_days[0], len(long_days), s.history_tickets)
    _link_days(long_home / "landing", short_home / "landing", short_days)
    chunk = bench.chunk_option
    for home, days in ((short_home, short_days), (long_home, long_days)):
        say(f"  history: ingest and build {len(days)} days in {home.name} ({' '.join(chunk)})")
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
            "history_built_with": "factory backfill " + " ".join(chunk),
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
    from data_factory.runs.build import run_partition
    from data_factory.runs.stages import STAGES

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


WORKERS = {"build-day": worker_build_day}
