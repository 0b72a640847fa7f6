"""The last recorded decision of each consumer and day.

`factory gate` records a decision only when it differs from the last one
recorded for that consumer and day, so a consumer that polls does not fill
the evidence folder. Two decisions are the same when their `digest` is: the
decision, and each reason's and overridden reason's facts (code, asset,
day, checks, run); the words are left out."""

from __future__ import annotations

import hashlib
import json
import sqlite3

from data_factory.core.errors import FactoryError
from data_factory.core.paths import FactoryPaths
from data_factory.evidence.files import evidence_path
from data_factory.state.db import connect_reader

_FACTS = ("code", "asset", "partition", "checks", "run_id")


def decision_digest(block: dict) -> str:
    """The digest of an evidence document's `decision` block."""

    def facts(reasons: list[dict]) -> list:
        return sorted(json.dumps([r.get(f) for f in _FACTS]) for r in reasons)

    summary = {
        "decision": block["decision"],
        "reasons": facts(block.get("reasons") or []),
        "overridden": facts(block.get("overridden") or []),
    }
    return hashlib.sha256(json.dumps(summary, sort_keys=True).encode()).hexdigest()


def index_decision(connection: sqlite3.Connection, document: dict, key: str) -> None:
    block = document.get("decision") or {}
    if not block:
        return
    connection.execute(
        "insert into last_decisions values (?, ?, ?, ?, ?) "
        "on conflict (consumer, partition) do update set digest = excluded.digest, "
        "run_id = excluded.run_id, order_key = excluded.order_key "
        "where excluded.order_key > last_decisions.order_key",
        [block["consumer"], block["partition"], decision_digest(block), document["run_id"], key],
    )


def last_decision(paths: FactoryPaths, consumer: str, partition: str) -> dict | None:
    """{digest, run_id, evidence} of the last decision recorded, or None."""
    try:
        connection = connect_reader(paths)
    except FactoryError:
        return None
    try:
        row = connection.execute(
            "select d.digest, d.run_id, e.file_name from last_decisions d "
            "join evidence e using (run_id) where d.consumer = ? and d.partition = ?",
            [consumer, partition],
        ).fetchone()
    except sqlite3.OperationalError:
        return None
    finally:
        connection.close()
    if row is None:
        return None
    path = evidence_path(paths, row["file_name"])
    if path is None or not path.exists():
        return None
    return {"digest": row["digest"], "run_id": row["run_id"], "evidence": str(path)}
