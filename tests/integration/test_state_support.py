"""Shared by the state and gate tests: one clean generated week, built once
per test session and copied for each scenario (a build costs ~3 s a day).

It holds no tests of its own."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from click.testing import CliRunner
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from data_factory.cli.main import main
from data_factory.core.paths import FACTORY_ROOT
from data_factory.evidence.signing import run_signer, sign_document
from data_factory.evidence.store import content_sha256, schema_problems

WEEK = [f"2026-11-0{n}" for n in range(1, 8)]
# the measures of ticket_kpi_daily, as the hand fixture and the Spark suite read them
KPI_COLUMNS = (
    "tickets_created",
    "tickets_resolved",
    "first_response_p50_minutes",
    "first_response_p90_minutes",
    "resolution_p50_hours",
    "first_response_achieved",
    "first_response_breached",
    "sla_breach_rate",
    "overdue_unanswered_tickets",
    "resolution_achieved",
    "resolution_breached",
    "resolution_breach_rate",
    "backlog_tickets",
    "reopen_rate",
    "window_complete",
    "first_response_p50_business_minutes",
    "first_response_p90_business_minutes",
    "resolution_p50_business_hours",
)
TICKETS_PER_DAY = "100"
FACT_CHECK_ON_CHANNEL = "accepted_values_ticket_fact_channel"


def factory(home: Path, *args: str, expect: int | None = 0):
    """`factory --home HOME ARGS...` in-process, stdout and stderr apart."""
    result = CliRunner().invoke(main, ["--home", str(home), *args], catch_exceptions=False)
    if expect is not None:
        assert result.exit_code == expect, (
            f"factory {' '.join(args)} exited {result.exit_code}, expected {expect}\n"
            f"stdout:\n{result.stdout}\nstderr:\n{result.stderr}"
        )
    return result


def status_json(home: Path, *args: str) -> list[dict]:
    return json.loads(factory(home, "status", "--format", "json", *args).stdout)


def cells_by_key(cells: list[dict]) -> dict[tuple[str, str | None], dict]:
    return {(c["asset"], c["partition"]): c for c in cells}


def clean_week_home(tmp_path_factory) -> Path:
    """A week generated without faults and built with `factory run`, once per
    session (the directory is shared by every module through basetemp)."""
    home = tmp_path_factory.getbasetemp() / "state-clean-week"
    done = home / ".built"
    if done.exists():
        return home
    if home.exists():
        shutil.rmtree(home)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("FACTORY_HOME", str(home))
        factory(
            home,
            "generate",
            "--start",
            WEEK[0],
            "--days",
            str(len(WEEK)),
            "--tickets-per-day",
            TICKETS_PER_DAY,
        )
        factory(home, "run", "--start", WEEK[0], "--end", WEEK[-1])
    done.write_text("ok")
    return home


def copy_home(source: Path, destination: Path) -> Path:
    shutil.copytree(source, destination, ignore=shutil.ignore_patterns(".built"))
    return destination


def evidence_documents(home: Path, kind: str = "factory_run") -> list[tuple[Path, dict]]:
    found = []
    for path in sorted((home / "evidence").glob("*.json")):
        document = json.loads(path.read_text())
        if document.get("kind") == kind:
            found.append((path, document))
    return sorted(found, key=lambda item: (item[1]["started_at"], item[1]["run_id"]))


def rewrite_evidence(path: Path, document: dict) -> None:
    """Re-sign a changed evidence document in place with the home's run key,
    keeping its place in the ledger and re-linking the files after it, as if
    the run had recorded it that way."""
    folder = Path(path).parent
    documents = {p: json.loads(p.read_text()) for p in folder.glob("*.json")}
    documents[Path(path)] = document
    place = document["ledger"]["sequence"]
    signer = run_signer(folder.parent)
    previous = None
    for each, found in sorted(documents.items(), key=lambda item: item[1]["ledger"]["sequence"]):
        if found["ledger"]["sequence"] >= place:
            assert found["kind"] != "approval", "an approval is signed by its owner's key"
            found["ledger"]["previous_sha256"] = previous
            sign_document(found, signer)
            found["report"]["sha256"] = content_sha256(found)
            assert not schema_problems(found)
            each.write_text(json.dumps(found, indent=2, sort_keys=True, ensure_ascii=False) + "\n")
        previous = hashlib.sha256(each.read_bytes()).hexdigest()
        head = {"sequence": found["ledger"]["sequence"], "sha256": previous, "file": each.name}
    (folder / ".ledger-head").write_text(json.dumps(head))


def new_key(folder: Path, name: str) -> Path:
    """A fresh Ed25519 key pair for tests, in OpenSSH format: NAME and NAME.pub."""
    key = Ed25519PrivateKey.generate()
    path = Path(folder) / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.OpenSSH,
            serialization.NoEncryption(),
        )
    )
    public = key.public_key().public_bytes(
        serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH
    )
    Path(f"{path}.pub").write_bytes(public + b"\n")
    return path


def allowed_signers(path: Path, keys: dict[str, Path]) -> Path:
    """An allowed_signers file listing each principal's key for approvals."""
    lines = [
        f'{principal} namespaces="factory-approval" {Path(f"{key}.pub").read_text().strip()}'
        for principal, key in keys.items()
    ]
    path.write_text("\n".join(lines) + "\n")
    return path


def remove_state(home: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(str(home / "state.sqlite") + suffix).unlink(missing_ok=True)


def solve_one_open_ticket(home: Path, day: str) -> str:
    """A corrected export of `day` in which the last event of a ticket
    that was open at the end of the day now solves it; the manifest
    rewritten to match. Returns the ticket."""
    folder = home / "landing" / "tickets" / f"dt={day}"
    manifest = json.loads((folder / "_manifest.json").read_text())
    entry = manifest["files"][0]
    path = folder / entry["name"]
    events = [json.loads(line) for line in path.read_text().splitlines()]
    last = {
        e["ticket_id"]: index
        for index, e in sorted(
            enumerate(events), key=lambda item: (item[1]["event_at"], item[1]["event_id"])
        )
    }
    index = next(i for i in last.values() if events[i]["status"] in ("open", "pending"))
    events[index] = {**events[index], "event_type": "resolved", "status": "solved"}
    body = "".join(json.dumps(e) + "\n" for e in events).encode()
    path.write_bytes(body)
    entry.update(sha256=hashlib.sha256(body).hexdigest(), bytes=len(body))
    (folder / "_manifest.json").write_text(json.dumps(manifest))
    return events[index]["ticket_id"]


def backlog_by_day(home: Path) -> tuple[list[tuple], list[tuple]]:
    """The mart's backlog per day, and the same recomputed from each
    ticket's whole event history (its latest event up to the end of the
    day), independently of the carried open set."""
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as connection:
        expected = connection.execute(
            """
            with days as (select distinct event_date as day from marts.ticket_fact),
            latest as (
                select
                    days.day,
                    ticket_fact.ticket_id,
                    arg_max(ticket_fact.status, (ticket_fact.event_at, ticket_fact.event_id))
                        as status
                from days
                inner join marts.ticket_fact on ticket_fact.event_date <= days.day
                group by all
            )
            select day, count(*) filter (where status not in ('solved', 'closed'))
            from latest group by day order by day
            """
        ).fetchall()
        found = connection.execute(
            "select kpi_date, backlog_tickets from marts.ticket_kpi_daily order by kpi_date"
        ).fetchall()
    return found, expected


def correct_one_event(home: Path, day: str) -> None:
    """A corrected export of `day`: one event's channel changed, the
    manifest rewritten to match."""
    folder = home / "landing" / "tickets" / f"dt={day}"
    manifest = json.loads((folder / "_manifest.json").read_text())
    entry = manifest["files"][0]
    path = folder / entry["name"]
    lines = path.read_text().splitlines(keepends=True)
    events = [json.loads(line) for line in lines]
    other = next(e["channel"] for e in events if e["channel"] != events[0]["channel"])
    lines[0] = json.dumps({**events[0], "channel": other}) + "\n"
    body = "".join(lines).encode()
    path.write_bytes(body)
    entry.update(sha256=hashlib.sha256(body).hexdigest(), bytes=len(body))
    (folder / "_manifest.json").write_text(json.dumps(manifest))


def factory_in_project(project: Path, home: Path, *args: str, expect: int = 0):
    """`factory ARGS` in a subprocess on a copy of the project (its
    FACTORY_PROJECT_DIR), asserting the exit code; the finished process."""
    environment = {**os.environ, "FACTORY_PROJECT_DIR": str(project), "FACTORY_HOME": str(home)}
    done = subprocess.run(
        [sys.executable, "-m", "data_factory.cli", *args],
        env=environment,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert done.returncode == expect, f"factory {' '.join(args)}: {done.stdout}\n{done.stderr}"
    return done


def copy_project(destination: Path) -> Path:
    """The dbt project (its files, without the Python test folders) copied
    to `destination`, for a test that changes it."""
    for name in ("dbt_project.yml", "profiles", "models", "macros", "seeds", "tests"):
        source = FACTORY_ROOT / name
        if source.is_dir():
            shutil.copytree(
                source, destination / name, ignore=shutil.ignore_patterns("__pycache__")
            )
        else:
            shutil.copy(source, destination / name)
    shutil.rmtree(destination / "tests" / "unit")
    shutil.rmtree(destination / "tests" / "integration")
    return destination
