"""Which builds changed what a cell holds: staleness from facts, not from
attempts.

A build changes a cell's content when it recorded a fingerprint
(warehouse.fingerprint) that differs from the one the previous build of the
cell recorded. Without fingerprints (evidence of older layouts), a
materialized build with a row count counts as a change, as before. Builds
that wrote nothing the factory knows of change nothing: a refused ingest
(its landing cell `failed`, nothing committed), a model that errored (dbt
rolls it back), a run whose models were blocked. A build whose evidence was
never written (state.intents) may have changed anything it named. A landing cell changes
with every accepted ingest (the raw rows are not fingerprinted). A view is
its inputs' rows: its own build changes nothing, and the changes of its
inputs reach its readers through it."""

from __future__ import annotations

import json
import sqlite3

from data_factory.warehouse.fingerprint import content_key

BUILT_STATUSES = ("materialized", "failed")  # the build ran and may have changed data


def _key(row: sqlite3.Row) -> tuple | None:
    text = row["fingerprint_json"]
    return content_key(json.loads(text)) if text is not None else None


def changes_content(row: sqlite3.Row, previous_fingerprint: tuple | None) -> bool:
    if row["status"] not in BUILT_STATUSES:
        return False
    if "EVIDENCE_NOT_WRITTEN" in row["reasons_json"]:
        return True  # the build may have changed anything it named
    if row["fingerprint_json"] is not None:
        return _key(row) != previous_fingerprint
    if row["resource_type"] == "source":
        return row["status"] == "materialized"
    return row["rows"] is not None


def is_view(row: sqlite3.Row | None) -> bool:
    """A view's build (state.index records it from the manifest): its rows
    are its inputs', read when it is queried."""
    return row is not None and bool(row["is_view"])


def content_changes(
    records: dict[tuple[str, str], list[sqlite3.Row]],
) -> dict[tuple[str, str], sqlite3.Row]:
    """Per cell, the latest build that changed its content (records oldest first)."""
    found: dict[tuple[str, str], sqlite3.Row] = {}
    for cell, rows in records.items():
        previous = None
        for row in rows:
            if row["status"] not in BUILT_STATUSES:
                continue
            if changes_content(row, previous):
                found[cell] = row
            if row["fingerprint_json"] is not None:
                previous = _key(row)
    return found
