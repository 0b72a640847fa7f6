"""An incremental derivation: which cells the runs just applied can change
(`affected`), and the stored state of every other cell, which the chain
takes as it is (`settle`). Deriving a new day then costs that day and what
reads it, not the history the day reads (a self-dependent chain reads every
earlier day). `derive_state` uses both; a full derivation uses neither.
`derivation` is a state.derive._Derivation (not imported: derive imports
this module)."""

from __future__ import annotations

import json
import sqlite3

from data_factory.state.chain import Key


def affected(
    derivation, connection: sqlite3.Connection, applied_runs: list[str], cells: list[Key]
) -> set[tuple[str, str]] | None:
    """The cells that applying `applied_runs` can change, or None when
    every cell must be derived again. A cell's derivation reads its own
    records, the checksums current for its model and the seeds it uses,
    and, for staleness, the builds of the partitions it reads (through
    windows, transitively). So: the cells the runs recorded, cells that
    did not exist before (a new day), and every cell reading one of
    those; everything, when a run changed a current checksum."""
    existing = {
        (row["unique_id"], row["partition"])
        for row in connection.execute("select unique_id, partition from asset_state")
    }
    now = set(cells)
    if not existing or existing - now:
        return None
    applied = set(applied_runs)
    marks = ",".join("?" * len(applied))
    before: dict[str, str] = {}
    for row in connection.execute(
        f"select unique_id, checksum from node_checksums where run_id not in ({marks}) "
        "order by order_key, run_id",
        list(applied),
    ):
        before[row["unique_id"]] = row["checksum"]
    if any(
        before.get(uid) != checksum for uid, (checksum, _) in derivation.current_checksum.items()
    ):
        return None
    changed = {
        (uid, partition) for (run_id, uid, partition) in derivation.by_run if run_id in applied
    } | (now - existing)
    readers: dict[tuple[str, str], set[tuple[str, str]]] = {}
    for cell in cells:
        for upstream in derivation.chain_reads(cell):
            readers.setdefault(upstream, set()).add(cell)
    targets, frontier = set(changed), list(changed)
    while frontier:
        for reader in readers.get(frontier.pop(), ()):
            if reader not in targets:
                targets.add(reader)
                frontier.append(reader)
    return targets & now


def settle(derivation, connection: sqlite3.Connection, targets: set[Key]) -> None:
    """Cells outside `targets` keep their stored state: nothing the runs
    applied reaches them (see `affected`), so the chain takes them as
    they are instead of deriving what they read, back to the first day."""
    stored = {
        (row["unique_id"], row["partition"]): row
        for row in connection.execute(
            "select unique_id, partition, asset, status, consumable, reasons_json, "
            "details_json, run_id from asset_state"
        )
    }

    def settled(key: tuple[str, str]) -> dict | None:
        row = None if key in targets else stored.get(key)
        if row is None:
            return None
        return {
            "asset": row["asset"],
            "status": row["status"],
            "consumable": row["consumable"],
            "reasons": json.loads(row["reasons_json"]),
            "details": json.loads(row["details_json"]),
            "run_id": row["run_id"],
        }

    derivation.settle_chain(settled)
