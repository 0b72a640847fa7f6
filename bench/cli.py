"""`python -m bench`: arguments, the figures in order, results and README.
`python -m bench _worker NAME ARGS...` runs one of the figures' workers in
its own process and prints its JSON result."""

from __future__ import annotations

import argparse
import json
import os
import shlex
import shutil
import time
from pathlib import Path

from bench import (
    backfill,
    backfill_year,
    evidence_scale,
    gate_recheck,
    history_growth,
    ingest_vs_read_json,
    status_scale,
    verify_chain,
)
from bench.figure import Figure
from bench.processes import EXIT_FIGURE_FAILED, EXIT_OK, PROJECT_DIR, TablesDiffer, say
from bench.report import README, print_table, update_readme
from bench.results import new_results, write_results
from bench.sizes import FULL, QUICK
from bench.suite import Bench

FIGURES = {
    1: ingest_vs_read_json,
    2: history_growth,
    3: backfill,
    4: evidence_scale,
    5: status_scale,
    6: gate_recheck,
    7: backfill_year,
    8: verify_chain,
}
WORKERS = {name: work for module in FIGURES.values() for name, work in module.WORKERS.items()}


def parse_args(argv: list[str]) -> argparse.Namespace:
    import bench

    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description=bench.__doc__.split("\n\n")[0],
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
        help="`factory backfill --chunk-days` for figures 2 and 3 (default 30)",
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
        help="do not pip-install dbt-artifacts-parser when it is missing (figure 4 then fails)",
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
    if args.chunk_days < 1:
        parser.error("--chunk-days must be at least 1")
    return args


def data_dir() -> Path:
    home = os.environ.get("FACTORY_HOME")
    return Path(home).resolve() if home else PROJECT_DIR / "data"


def run_figures(args: argparse.Namespace, bench: Bench, results: dict, out: Path) -> int:
    exit_code = EXIT_OK
    for number in args.figures:
        module = FIGURES[number]
        figure = Figure(number=number, key=module.KEY, title=module.TITLE)
        say(f"figure {number}: {module.TITLE}")
        started = time.perf_counter()
        try:
            module.measure(bench, figure)
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


def main(argv: list[str]) -> int:
    if argv[:1] == ["_worker"]:
        print(json.dumps(WORKERS[argv[1]](*argv[2:])))
        return EXIT_OK
    args = parse_args(argv)
    root = data_dir() / "bench"
    out = (args.out or root / "results.json").resolve()
    if args.readme_only:
        update_readme(json.loads(out.read_text()), args.readme, sorted(FIGURES))
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
    command = os.environ.get("BENCH_COMMAND") or shlex.join(["python", "-m", "bench", *argv])
    results = new_results(bench, command)
    exit_code = run_figures(args, bench, results, out)
    if not args.keep_work:
        shutil.rmtree(bench.work, ignore_errors=True)
    write_results(results, out)
    print_table({**results, "duration_s": results["duration_s"]})
    say(f"results: {out}")
    if args.update_readme:
        update_readme(json.loads(out.read_text()), args.readme, sorted(FIGURES))
    return exit_code
