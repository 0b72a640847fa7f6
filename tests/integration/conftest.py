"""Shared fixtures: every test gets its own FACTORY_HOME, never the repo's data/."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from data_factory.cli.main import main
from data_factory.core.paths import FactoryPaths

VALID_EVENT = {
    "event_id": "evt_1",
    "ticket_id": "tkt_1",
    "event_type": "created",
    "event_at": "2026-11-01T09:00:00Z",
    "customer_id": "cus_00001",
    "agent_id": None,
    "channel": "email",
    "priority": "normal",
    "category": "billing",
    "status": "new",
}


@pytest.fixture(autouse=True)
def state_stores_match_a_full_derivation(tmp_path_factory):
    """After every test, each state store it wrote must hold exactly what a
    full derivation of its recorded evidence gives: runs update only the
    cells they can change, and that shortcut must never drift."""
    import sqlite3
    import time

    from data_factory.state.derive import derive_state

    started = time.time()
    yield
    for store in tmp_path_factory.getbasetemp().rglob("state.sqlite"):
        if store.stat().st_mtime < started and not Path(f"{store}-wal").exists():
            continue
        copy = sqlite3.connect(":memory:")
        copy.row_factory = sqlite3.Row
        source = sqlite3.connect(str(store))
        try:
            source.backup(copy)
        finally:
            source.close()
        query = "select * from asset_state order by unique_id, partition"
        kept = [tuple(row) for row in copy.execute(query)]
        derive_state(copy)
        assert [tuple(row) for row in copy.execute(query)] == kept, (
            f"{store}: the state store differs from a full derivation of its evidence"
        )
        copy.close()


@pytest.fixture(scope="session")
def clean_home(tmp_path_factory) -> Path:
    """The clean generated week, built once per session (test_state_support);
    copy it (copy_home) before changing anything."""
    from test_state_support import clean_week_home

    return clean_week_home(tmp_path_factory)


@pytest.fixture
def home(tmp_path, monkeypatch) -> Path:
    directory = tmp_path / "factory-home"
    monkeypatch.setenv("FACTORY_HOME", str(directory))
    return directory


@pytest.fixture
def paths(home) -> FactoryPaths:
    return FactoryPaths(home)


class Cli:
    """Runs `factory ...` in-process and keeps stdout and stderr apart."""

    def __init__(self):
        self.runner = CliRunner()

    def __call__(self, *args: str, expect: int | None = 0):
        result = self.runner.invoke(main, list(args), catch_exceptions=False)
        if expect is not None:
            assert result.exit_code == expect, (
                f"factory {' '.join(args)} exited {result.exit_code}, expected {expect}\n"
                f"stdout:\n{result.stdout}\nstderr:\n{result.stderr}"
            )
        return result


@pytest.fixture
def cli() -> Cli:
    return Cli()


def write_export(
    paths: FactoryPaths, partition: str, lines: list[str], export_version: int = 1
) -> Path:
    """A hand-made landing export: one file plus a correct manifest."""
    directory = paths.tickets_partition_dir(partition)
    if directory.exists():
        shutil.rmtree(directory)
    directory.mkdir(parents=True)
    body = "".join(line + "\n" for line in lines).encode()
    (directory / "events-0001.jsonl").write_bytes(body)
    manifest = {
        "manifest_version": 1,
        "partition": partition,
        "export_version": export_version,
        "generated_at": f"{partition}T23:59:00Z",
        "files": [
            {
                "name": "events-0001.jsonl",
                "sha256": hashlib.sha256(body).hexdigest(),
                "lines": body.count(b"\n"),
                "bytes": len(body),
            }
        ],
    }
    (directory / "_manifest.json").write_text(json.dumps(manifest))
    return directory


def event(**changes) -> str:
    return json.dumps({**VALID_EVENT, **changes})
