"""Build intents: nothing becomes visible without its evidence.

Before a run changes the warehouse (ingest, dbt build) it writes an intent,
`data/intents/<run_id>.json`, naming the cells it may change: the run's
partitions of the partitioned models it selects (and of the landing tables
when it ingests). Writing the run's evidence clears the intent. An intent
that is still there once no run is writing (the evidence was refused as
invalid, or the process was killed between the build and the evidence
write) is indexed by the state store as a `failed` record of those cells
with reason EVIDENCE_NOT_WRITTEN (state.intents): the warehouse may hold
rows no evidence describes, so they are never `materialized` with the old
numbers. The next build of the day supersedes it.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from data_factory.core.paths import FactoryPaths
from data_factory.project.manifest import asset_key, asset_nodes, partition_column, upstream_assets


def intents_dir(paths: FactoryPaths) -> Path:
    return paths.home / "intents"


def _selected(node: dict, select: list[str] | None) -> bool:
    if not select:
        return True
    names = {node.get("name"), node.get("unique_id"), asset_key(node)}
    return any(item in names for item in select)


def intent_cells(manifest: dict, select: list[str] | None, ingest: bool) -> list[dict]:
    """The partitioned assets a run may change. A selection the factory
    cannot read as plain asset names (dbt graph operators, tags) names every
    model: an intent errs on the side of more cells."""
    nodes = asset_nodes(manifest)
    known = {n.get("name") for n in nodes.values()} | set(nodes)
    known |= {asset_key(n) for n in nodes.values()}
    plain = [s for s in select or [] if s in known]
    if select and len(plain) != len(select):
        plain = []
    found = []
    for uid, node in sorted(nodes.items()):
        if not partition_column(node):
            continue
        kind = node.get("resource_type")
        if (kind == "source" and not ingest) or (kind != "source" and not _selected(node, plain)):
            continue
        found.append(
            {
                "unique_id": uid,
                "asset": asset_key(node),
                "resource_type": kind,
                "checksum": (node.get("checksum") or {}).get("checksum"),
                "depends_on": upstream_assets(node, nodes),
            }
        )
    return found


def write_intent(
    paths: FactoryPaths,
    *,
    run_id: str,
    command: str,
    started_at: str,
    partitions: list[str],
    vars_: dict,
    cells: list[dict],
) -> Path:
    """Write the intent durably (fsync) before the warehouse changes."""
    directory = intents_dir(paths)
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{run_id}.json"
    body = {
        "run_id": run_id,
        "command": command,
        "started_at": started_at,
        "partitions": list(partitions),
        "vars": vars_,
        "cells": cells,
        "pid": os.getpid(),
    }
    partial = path.with_suffix(".json.partial")
    with open(partial, "w", encoding="utf-8") as handle:
        json.dump(body, handle, sort_keys=True)
        handle.flush()
        os.fsync(handle.fileno())
    partial.replace(path)
    return path


def clear_intent(paths: FactoryPaths, run_id: str) -> None:
    (intents_dir(paths) / f"{run_id}.json").unlink(missing_ok=True)


def load_intents(paths: FactoryPaths) -> list[dict]:
    """The intents not cleared, oldest first; unreadable files are skipped."""
    found = []
    for path in sorted(intents_dir(paths).glob("*.json")):
        try:
            body = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if isinstance(body, dict) and isinstance(body.get("run_id"), str):
            found.append(body)
    return sorted(found, key=lambda b: (str(b.get("started_at")), b["run_id"]))


def in_flight(intent: dict) -> bool:
    """Is the process that wrote the intent still running (and not this one)?
    Then its build is in progress, not lost: the intent is not indexed yet."""
    pid = intent.get("pid")
    if not isinstance(pid, int) or pid == os.getpid() or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
