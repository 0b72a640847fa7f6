"""The results file: what was run, on which machine and commit, and every
figure measured so far (rewritten after each figure, so a crash later keeps
what was measured)."""

from __future__ import annotations

import json
import os
import platform
import subprocess
import time
from datetime import UTC, datetime
from pathlib import Path

from bench.processes import PROJECT_DIR
from bench.suite import Bench

RESULTS_SCHEMA = "factory-bench/1"


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


def new_results(bench: Bench, command: str) -> dict:
    """The results of a run that starts now, before any figure."""
    return {
        "schema": RESULTS_SCHEMA,
        "mode": bench.mode,
        "command": command,
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "finished_at": None,
        "duration_s": 0.0,
        "repetitions": bench.repetitions,
        "machine": machine(),
        "git": git_identity(),
        "sizes": bench.sizes.__dict__,
        "figures": [],
        "_started": time.time(),
    }


def write_results(results: dict, out: Path) -> None:
    results["duration_s"] = round(time.time() - results["_started"], 1)
    results["finished_at"] = datetime.now(UTC).isoformat(timespec="seconds")
    out.parent.mkdir(parents=True, exist_ok=True)
    public = {k: v for k, v in results.items() if not k.startswith("_")}
    temporary = out.with_suffix(".tmp")
    temporary.write_text(json.dumps(public, indent=2) + "\n")
    os.replace(temporary, out)
