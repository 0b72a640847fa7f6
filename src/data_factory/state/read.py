"""Reading the state store: the grid of cells and what was recorded."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Iterable
from pathlib import Path

from data_factory.core.errors import FactoryError
from data_factory.core.paths import FactoryPaths
from data_factory.evidence.files import evidence_files, evidence_path, load_evidence
from data_factory.evidence.intents import intents_dir
from data_factory.state.db import connect_reader
from data_factory.state.index import unindexed_in
from data_factory.state.intents import pending_intents


class _EvidenceCheck:
    """Does the evidence behind a cell still validate? A file whose bytes are
    unchanged since it was applied is valid; any other is checked again. The
    answer is reason details: {code, file} and either `gone` (the file is not
    there), the validator's `problem`, or neither (EVIDENCE_HASH_MISMATCH: the
    file changed since it was indexed, yet validates)."""

    def __init__(self, paths: FactoryPaths):
        self.paths = paths
        self.cache: dict[str, list[dict]] = {}

    def problems(self, file_name: str | None, recorded_sha: str | None) -> list[dict]:
        if not file_name:
            return []
        if file_name not in self.cache:
            self.cache[file_name] = self._check(evidence_path(self.paths, file_name), recorded_sha)
        return self.cache[file_name]

    @staticmethod
    def _check(path: Path, recorded_sha: str | None) -> list[dict]:
        try:
            sha = hashlib.sha256(path.read_bytes()).hexdigest()
        except OSError:
            return [{"code": "EVIDENCE_INVALID", "file": str(path), "gone": True}]
        if sha == recorded_sha:
            return []
        return [
            {"code": _problem_code(problem), "file": str(path), "problem": problem}
            for problem in load_evidence(path).problems
        ] or [{"code": "EVIDENCE_HASH_MISMATCH", "file": str(path)}]


def _problem_code(problem: str) -> str:
    code = problem.split(":", 1)[0]
    known = (
        "EVIDENCE_INVALID",
        "EVIDENCE_HASH_MISMATCH",
        "EVIDENCE_SIGNATURE_INVALID",
        "EVIDENCE_CHAIN_BROKEN",
    )
    return code if code in known else "EVIDENCE_INVALID"


def _public_cell(paths: FactoryPaths, row: sqlite3.Row, checker: _EvidenceCheck) -> dict:
    reasons = json.loads(row["reasons_json"])
    details = json.loads(row["details_json"])
    consumable = bool(row["consumable"])
    for problem in checker.problems(row["evidence_file"], row["evidence_sha256"]):
        if problem["code"] not in reasons:
            reasons.append(problem["code"])
        details.append(problem)
        consumable = False
    path = evidence_path(paths, row["evidence_file"])
    return {
        "asset": row["asset"],
        "partition": row["partition"] or None,
        "status": row["status"],
        "checks": json.loads(row["checks_json"]),
        "consumable": consumable,
        "run_id": row["run_id"],
        "evidence": str(path) if path else None,
        "reasons": sorted(set(reasons)),
        "reason_details": details,
        "rows": row["rows"],
        "materialized_at": row["materialized_at"],
        "code_checksum": row["checksum"],
        "unique_id": row["unique_id"],
        "resource_type": row["resource_type"],
        "reads_window_days": row["window_days"],
        "fingerprint": json.loads(row["fingerprint_json"]) if row["fingerprint_json"] else None,
        "warehouse_id": row["warehouse_id"],
    }


def read_cells(
    paths: FactoryPaths,
    assets: Iterable[str] | None = None,
    since: str | None = None,
    until: str | None = None,
    connection: sqlite3.Connection | None = None,
) -> list[dict]:
    """The grid, one dict per (asset, partition), sorted by asset then day.
    Unpartitioned assets (seeds) have partition None and pass any --since."""
    own = connection is None
    connection = connection or connect_reader(paths)
    try:
        rows = connection.execute("select * from asset_state order by asset, partition").fetchall()
    except sqlite3.OperationalError as exc:
        raise FactoryError(
            "STATE_UNREADABLE",
            f"the state store {paths.state} cannot be read ({exc}); run `factory state rebuild`",
        ) from None
    finally:
        if own:
            connection.close()
    wanted = set(assets or [])
    checker = _EvidenceCheck(paths)
    cells = []
    for row in rows:
        if wanted and row["asset"] not in wanted and row["unique_id"] not in wanted:
            continue
        if row["partition"] and since and row["partition"] < since:
            continue
        if row["partition"] and until and row["partition"] > until:
            continue
        cells.append(_public_cell(paths, row, checker))
    return cells


def read_table(paths: FactoryPaths, sql: str, parameters: list | None = None) -> list[dict]:
    connection = connect_reader(paths)
    try:
        return [dict(row) for row in connection.execute(sql, parameters or [])]
    except sqlite3.OperationalError as exc:
        raise FactoryError(
            "STATE_UNREADABLE", f"the state store {paths.state} cannot be read ({exc})"
        ) from None
    finally:
        connection.close()


def recorded_approvals(
    paths: FactoryPaths, partition: str | None = None, consumer: str | None = None
) -> list[dict]:
    """The approvals applied to the store, oldest first, with the block each overrides."""
    sql = "select t.*, e.file_name from approvals t join evidence e using (run_id) where 1 = 1"
    parameters: list = []
    for column, value in (("partition", partition), ("consumer", consumer)):
        if value:
            sql += f" and t.{column} = ?"
            parameters.append(value)
    rows = read_table(paths, sql + " order by t.order_key", parameters)
    for row in rows:
        for column in ("overrides", "block", "cells"):
            row[column] = json.loads(row.pop(f"{column}_json"))
        row["evidence"] = str(evidence_path(paths, row.pop("file_name")))
    return rows


def run_partitions(paths: FactoryPaths) -> set[str]:
    """Every partition some applied factory run evidence covers."""
    found: set[str] = set()
    for row in read_table(paths, "select partitions_json from evidence where kind = 'factory_run'"):
        found.update(json.loads(row["partitions_json"]))
    return found


def unindexed_files(paths: FactoryPaths) -> list[Path]:
    """Evidence files the store has not seen (readers warn about them)."""
    if not paths.state.exists():
        return evidence_files(paths)
    connection = connect_reader(paths)
    try:
        return unindexed_in(connection, paths)
    except sqlite3.OperationalError:
        return []
    finally:
        connection.close()


def has_pending_intents(paths: FactoryPaths) -> bool:
    """A build ended without writing its evidence and the store does not
    know yet (state.intents)? Cheap: a glob of data/intents/."""
    if not intents_dir(paths).is_dir() or not any(intents_dir(paths).glob("*.json")):
        return False
    if not paths.state.exists():
        return True
    connection = connect_reader(paths)
    try:
        return bool(pending_intents(connection, paths))
    except sqlite3.OperationalError:
        return False
    finally:
        connection.close()
