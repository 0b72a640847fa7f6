"""Indexing build intents that no evidence cleared (evidence.intents): each
becomes a `failed` record, reason EVIDENCE_NOT_WRITTEN, of the cells it
names, ordered as the run's evidence would have been."""

from __future__ import annotations

import json
import sqlite3

from data_factory.core.paths import FactoryPaths
from data_factory.evidence.files import order_key
from data_factory.evidence.intents import in_flight, load_intents
from data_factory.project.windows import WindowRules

REASON = "EVIDENCE_NOT_WRITTEN"


def pending_intents(connection: sqlite3.Connection, paths: FactoryPaths) -> list[dict]:
    """Uncleared intents of builds that ended (not in flight) and that the
    store does not hold yet."""
    found = []
    for intent in load_intents(paths):
        run_id = intent["run_id"]
        known = connection.execute(
            "select 1 from evidence where run_id = ? union all "
            "select 1 from asset_records where run_id = ? limit 1",
            [run_id, run_id],
        ).fetchone()
        # its evidence was written after all, it is indexed already, or it still runs
        if not known and not in_flight(intent):
            found.append(intent)
    return found


def index_intents(
    connection: sqlite3.Connection, paths: FactoryPaths, rules: WindowRules
) -> list[str]:
    """Record the uncleared intents the store does not hold yet; their run ids."""
    applied = []
    for intent in pending_intents(connection, paths):
        run_id = intent["run_id"]
        key = order_key({"started_at": intent.get("started_at"), "run_id": run_id})
        run_vars = intent.get("vars") or {}
        for cell in intent.get("cells") or []:
            for partition in intent.get("partitions") or []:
                connection.execute(
                    "insert or replace into asset_records values "
                    "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [
                        run_id,
                        cell["unique_id"],
                        partition,
                        cell["asset"],
                        cell["resource_type"],
                        "failed",
                        key,
                        intent.get("started_at") or "",
                        None,
                        cell.get("checksum"),
                        "[]",
                        json.dumps([REASON]),
                        json.dumps(rules.reads(cell["unique_id"], cell.get("depends_on") or [])),
                        "{}",
                        rules.window_days(cell["unique_id"], run_vars),
                        f"run {run_id} ({intent.get('command')}) started at "
                        f"{intent.get('started_at')} but its evidence was never written",
                        int(cell["unique_id"] in rules.views),
                        None,
                        None,
                    ],
                )
        applied.append(run_id)
    return applied
