"""Factory homes to measure in: fresh directories, generated exports, landed
lines, and homes put back as they were before each sample."""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path

from bench.processes import factory_cmd, run, say


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
