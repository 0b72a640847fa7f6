"""Does the warehouse still hold what the evidence says? The state store
knows, for each built cell, the fingerprint its build recorded and the id of
the warehouse it built into (warehouse.fingerprint, warehouse.identity).

`warehouse_problems` answers for a list of cells, as reason details (facts,
like the state's):

* WAREHOUSE_MISSING: the warehouse file is gone, empty (0 bytes), cannot be
  opened, or holds another id than the one the cell's build recorded (it was
  replaced). Cheap (one file and one row), so `factory status` and `factory
  plan` check it on every call.
* WAREHOUSE_CONTENT_CHANGED (with `content=True`): the cell's fingerprint,
  computed again in the warehouse, differs from the recorded one: the cell,
  the expected and the found fingerprint. One aggregate over the cell's
  partition (O(day)); the gate runs it for the cells it releases, `factory
  status --verify` for every cell shown.

A warehouse another process is writing (a run in progress) cannot be read:
for the gate the cells are WAREHOUSE_LOCKED (it blocks until the run ends
rather than release what it could not check); status and plan say nothing
of the warehouse until then. A warehouse that cannot be read while it is
checked (the engine raises) blocks every cell asked about, with the
engine's words.

On Spark the content re-check (gate, plan, `status --verify`) runs in a
SparkSession on the dbt target the cells' evidence names, as the build did
(the session of this process when it has one, else a new one, a few seconds
to start); the cheap checks of status and plan do not start one.
"""

from __future__ import annotations

import json

from data_factory.core.paths import FactoryPaths
from data_factory.decisions.reasons import make_reason
from data_factory.evidence.files import evidence_path
from data_factory.project.consumers import Consumer
from data_factory.warehouse.connect import adapter_type, open_reader
from data_factory.warehouse.engine import Engine
from data_factory.warehouse.fingerprint import current_fingerprints, same_content
from data_factory.warehouse.identity import read_identity

WAREHOUSE_CODES = ("WAREHOUSE_MISSING", "WAREHOUSE_CONTENT_CHANGED", "WAREHOUSE_LOCKED")


def _ref(cell: dict) -> dict:
    return {"asset": cell["asset"], "unique_id": cell["unique_id"], "partition": cell["partition"]}


def warehouse_problems(
    paths: FactoryPaths,
    manifest: dict,
    cells: list[dict],
    *,
    content: bool = False,
) -> dict[tuple[str, str | None], list[dict]]:
    """Reason details per (unique_id, partition) of the cells whose build
    the warehouse no longer backs; cells without a recorded warehouse id
    (sources, views, evidence of older layouts) are not checked."""
    bound = [c for c in cells if c.get("warehouse_id")]
    if not bound:
        return {}
    # only a Spark content check needs the build's target (read from evidence)
    spark = content and adapter_type(manifest) == "spark"
    target = _spark_target(paths, bound) if spark else None
    engine, why = open_reader(paths, manifest, spark_target=target)
    try:
        return _problems(paths, manifest, bound, engine, why, content=content)
    finally:
        if engine is not None:
            engine.close()


def _problems(
    paths: FactoryPaths,
    manifest: dict,
    bound: list[dict],
    engine: Engine | None,
    why: str | None,
    *,
    content: bool,
) -> dict[tuple[str, str | None], list[dict]]:
    found: dict[tuple[str, str | None], list[dict]] = {}

    def add(cell: dict, detail: dict) -> None:
        found.setdefault((cell["unique_id"], cell["partition"]), []).append(detail)

    if engine is None:
        if why == "unsupported":
            return {}  # Spark, for the cheap checks: a session costs seconds
        if why == "locked" and not content:
            return {}  # a run is writing it: nothing to say until it ends
        code = "WAREHOUSE_LOCKED" if why == "locked" else "WAREHOUSE_MISSING"
        for cell in bound:
            add(cell, {"code": code, "warehouse": str(paths.warehouse), "found": why})
        return found
    try:
        current = read_identity(engine)
        checked = []
        for cell in bound:
            if cell["warehouse_id"] != current:
                add(
                    cell,
                    {
                        "code": "WAREHOUSE_MISSING",
                        "warehouse": str(paths.warehouse),
                        "found": "replaced",
                        "expected_id": cell["warehouse_id"],
                        "found_id": current,
                    },
                )
            elif content and cell.get("fingerprint") and cell["consumable"]:
                checked.append(cell)
        for cell, now in current_fingerprints(engine, manifest, checked):
            if not same_content(cell["fingerprint"], now):
                add(
                    cell,
                    {
                        "code": "WAREHOUSE_CONTENT_CHANGED",
                        "cell": _ref(cell),
                        "expected": cell["fingerprint"],
                        "found": now,
                    },
                )
    except engine.read_errors as exc:
        # what could not be read cannot be released: every cell asked about
        # is blocked, with the engine's own words
        text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        code = "WAREHOUSE_LOCKED" if "lock" in text.lower() else "WAREHOUSE_MISSING"
        return {
            (cell["unique_id"], cell["partition"]): [
                {"code": code, "warehouse": str(paths.warehouse), "found": f"unreadable: {text}"}
            ]
            for cell in bound
        }
    return found


def _spark_target(paths: FactoryPaths, cells: list[dict]) -> str | None:
    """The dbt target the cells were built with, from their evidence (a
    Spark reader is started on it); None when no evidence says."""
    for cell in cells:
        path = evidence_path(paths, cell.get("evidence"))
        if path is None or not path.is_file():
            continue
        try:
            document = json.loads(path.read_text())
        except (OSError, ValueError):
            continue
        target = ((document or {}).get("invocation") or {}).get("target")
        if isinstance(target, str) and target:
            return target
    return None


def with_warehouse_problems(
    paths: FactoryPaths, manifest: dict, cells: list[dict], *, content: bool = False
) -> list[dict]:
    """The cells, each not consumable, with its reasons and details, where
    the warehouse no longer backs it (see warehouse_problems)."""
    problems = warehouse_problems(paths, manifest, cells, content=content)
    if not problems:
        return cells
    updated = []
    for cell in cells:
        details = problems.get((cell["unique_id"], cell["partition"]))
        if details:
            cell = {
                **cell,
                "consumable": False,
                "reasons": sorted({*cell["reasons"], *(d["code"] for d in details)}),
                "reason_details": [*cell["reason_details"], *details],
            }
        updated.append(cell)
    return updated


def release_problems(
    paths: FactoryPaths, manifest: dict, consumer: Consumer, partition: str, cells: list[dict]
) -> list[dict]:
    """Gate reasons (decisions.reasons) for the cells `consumer` takes on
    `partition` (the assets it needs: that day's cells and the unpartitioned
    ones) that the warehouse no longer backs, fingerprints recomputed."""
    needed = [
        c
        for c in cells
        if c["unique_id"] in consumer.requires and c["partition"] in (partition, None)
    ]
    problems = warehouse_problems(paths, manifest, needed, content=True)
    return [
        make_reason(
            detail["code"],
            consumer=consumer.name,
            asset=cell["asset"],
            partition=cell["partition"],
            status=cell["status"],
            run_id=cell["run_id"],
            evidence=cell["evidence"],
            detail=detail,
        )
        for cell in needed
        for detail in problems.get((cell["unique_id"], cell["partition"]), [])
    ]
