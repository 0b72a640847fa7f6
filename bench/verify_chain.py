"""Figure 8, verify stays interactive: `factory verify` of one day and of
every day of a history built at 2,000 tickets a day (each landed file hashed,
each evidence file read and checked, one fingerprint aggregate per asset over
all the days), against a plain `factory status` of the same home."""

from __future__ import annotations

from bench.figure import Figure, interleave
from bench.homes import generate, landed_lines
from bench.processes import factory_cmd, measured, run, say
from bench.sizes import HISTORY_END, day_list, shift
from bench.suite import Bench

KEY = "verify"
TITLE = "factory verify stays interactive"


def measure(bench: Bench, fig: Figure) -> None:
    s = bench.sizes
    work = bench.workdir("verify")
    home = work / "home"
    days = day_list(shift(HISTORY_END, 1 - s.verify_days), s.verify_days)
    generate(home, days[0], len(days), s.verify_tickets)
    say(f"  verify: ingest and build {len(days)} days ({' '.join(bench.chunk_option)})")
    run(factory_cmd(home, "ingest", "--start", days[0], "--end", days[-1]), label="factory ingest")
    run(
        factory_cmd(home, "backfill", "--start", days[0], "--end", days[-1], *bench.chunk_option),
        label="factory backfill (verify)",
    )
    lines, size, _ = landed_lines(home / "landing", days)
    # the first verify may parse the project once (the parse of the build is reused after)
    run(factory_cmd(home, "verify", "--format", "json"), label="factory verify (warm-up)")
    commands = {
        "factory verify --partition D": ("verify", "--partition", days[-1], "--format", "json"),
        f"factory verify ({len(days)} days)": ("verify", "--format", "json"),
        "factory status": ("status", "--format", "json"),
    }

    def side(args: tuple[str, ...]):
        def sample(rep: int) -> float:
            seconds, _ = measured(factory_cmd(home, *args), home=home, label=" ".join(args[:1]))
            return seconds

        return sample

    reps = bench.cheap_repetitions
    samples = interleave(
        dict.fromkeys(commands, reps), {n: side(a) for n, a in commands.items()}, "verify"
    )
    fig.inputs.update(
        {"days": len(days), "tickets_per_day": s.verify_tickets, "rows": lines, "bytes": size}
    )
    one, year, status = (
        fig.side(name, samples[name], what=what)
        for name, what in zip(
            commands,
            (
                "`factory verify` of the last day as a process (its cells and the seeds)",
                "`factory verify` of every day as a process",
                "`factory status --format json` of the same home as a process",
            ),
            strict=True,
        )
    )
    fig.target("verify one day", one, "<=", 2.0, unit="s", definition="median wall seconds")
    fig.target(
        f"verify {len(days)} days",
        year,
        "<=",
        30.0,
        unit="s",
        definition="median wall seconds (the target is for 365 days at 2,000 tickets/day)",
    )
    fig.target(
        "one day/status",
        one / status,
        None,
        None,
        unit="x",
        definition="verify of one day divided by `factory status` (informative)",
    )
    fig.target(
        "all days/status",
        year / status,
        None,
        None,
        unit="x",
        definition=f"verify of {len(days)} days divided by `factory status` (informative)",
    )
    bench.done_with(work)


WORKERS: dict = {}
