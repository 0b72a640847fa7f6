"""Running child processes from the project root: the factory, dbt, and the
bench's own workers. `measured` takes the wall seconds and peak memory of one
process from wait4."""

from __future__ import annotations

import contextlib
import json
import os
import shlex
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parents[1]
BIN_DIR = Path(sys.executable).parent
# the factory this interpreter imports (the checkout's src/, as the tests run it), not the
# venv's console script: one made by an install of another checkout imports a stale layout
FACTORY = [sys.executable, "-m", "data_factory.cli"]
DBT = BIN_DIR / "dbt"
QUIET_ENV = {"DO_NOT_TRACK": "1", "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}

EXIT_OK, EXIT_FIGURE_FAILED, EXIT_USAGE = 0, 1, 2


class BenchError(Exception):
    """A side could not be measured; the figure is recorded as an error."""


class TablesDiffer(BenchError):
    """Two sides of figure 3 produced different tables."""


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


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
    """A worker of the bench in its own process (cwd is the project root, so
    `-m bench` finds this package)."""
    return [sys.executable, "-m", "bench", "_worker", name, *args]


def run_worker(name: str, *args, home: Path | None = None) -> dict:
    """Run a worker; its last line of stdout is its JSON result."""
    result = run(worker_cmd(name, *args), home=home, label=f"worker {name}")
    return json.loads(result.stdout.strip().splitlines()[-1])
