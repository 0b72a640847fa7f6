"""`factory plan`: one recovery action for every asset x day that is not
consumable, derived from the state store (and so from evidence).

Actions (DESIGN.md): retry (transient error, inputs unchanged), replay (the
day's input was wrong or changed), backfill (days missing, or stale), and
investigate (a check failed on valid input: a person decides; never applied
automatically). A downstream cell blocked by an upstream cause is covered by
the upstream's action, so each cell gets exactly one action.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

from data_factory.core.partitions import day_range
from data_factory.core.paths import FactoryPaths
from data_factory.state.read import read_cells

LANDING_ASSETS = {"ticket_events", "ticket_events_rejected", "landing_manifests"}
REPLAY_REASONS = {
    "MANIFEST_CHECKSUM_MISMATCH",
    "MANIFEST_FILE_MISSING",
    "MANIFEST_LINE_COUNT_MISMATCH",
    "MANIFEST_INVALID",
    "LANDING_UNREADABLE",
    "REJECTED_ROWS_OVER_THRESHOLD",
    "RECONCILIATION_FAILED",
    "LANDING_MISSING",
}
RECONCILIATION_CHECKS = ("reconciles_with_landing", "lines_reconcile")
# upstream first
LAYER = {
    "ticket_events": 0,
    "ticket_events_rejected": 0,
    "landing_manifests": 0,
    "stg_helpdesk__ticket_events": 1,
    "ticket_fact": 2,
    "ticket_kpi_daily": 3,
}
ACTION_ORDER = {"replay": 0, "retry": 1, "backfill": 2, "investigate": 3}
RUNBOOKS = {
    "replay": "runbooks/bad-or-corrected-export.md",
    "retry": "runbooks/daily-run.md",
    "backfill": "runbooks/missing-days.md",
    "investigate": "runbooks/failed-check.md",
}


@dataclass
class PlanItem:
    action: str
    asset: str
    start: str
    end: str
    reasons: list[str]
    covers: list[str] = field(default_factory=list)  # "asset@day" it also fixes
    run_id: str | None = None
    command: str | None = None
    runbook: str = ""

    def to_dict(self) -> dict:
        return asdict(self)


def landed_days(paths: FactoryPaths) -> list[str]:
    root = paths.landing / "tickets"
    return sorted(
        p.name.removeprefix("dt=")
        for p in root.glob("dt=*")
        if p.is_dir() and (p / "_manifest.json").exists()
    )


def _landing_reasons(cell: dict) -> set[str]:
    if not cell.get("evidence"):
        return set()
    try:
        document = json.loads(Path(cell["evidence"]).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return set()
    return {
        code
        for item in document.get("inputs", [])
        if item.get("partition") == cell["partition"]
        for code in item.get("reason_codes", [])
    }


def classify(cell: dict) -> tuple[str, list[str]] | None:
    """The action for one cell on its own, or None when an upstream cause
    covers it."""
    reasons = set(cell["reasons"])
    status = cell["status"]
    blocking = set((cell.get("checks") or {}).get("blocking") or [])
    if cell["asset"] in LANDING_ASSETS and status == "failed":
        return "replay", sorted(_landing_reasons(cell) & REPLAY_REASONS or {"LANDING_MISSING"})
    if reasons & REPLAY_REASONS:
        return "replay", sorted(reasons & REPLAY_REASONS)
    if "CHECK_FAILED" in reasons and any(
        name.startswith(RECONCILIATION_CHECKS) for name in blocking
    ):
        return "replay", ["RECONCILIATION_FAILED", "CHECK_FAILED"]
    if status == "failed" or "BUILD_ERROR" in reasons:
        return "retry", sorted(reasons) or ["BUILD_ERROR"]
    if any(r.startswith("UPSTREAM_") for r in reasons) and "UPSTREAM_NOT_AVAILABLE" not in reasons:
        return None
    if "CHECK_FAILED" in reasons:
        return "investigate", sorted(reasons)
    if status in ("stale", "missing", "blocked") or reasons & {
        "STALE_UPSTREAM_REBUILT",
        "STALE_CODE_CHANGED",
        "STALE_UPSTREAM_CHANGED",
    }:
        return "backfill", sorted(reasons) or [status.upper()]
    if not cell["consumable"]:
        return "backfill", sorted(reasons) or ["EVIDENCE_INVALID"]
    return None


def _from_blocking_run(cell: dict) -> tuple[str, list[str]]:
    """A runtime error anywhere in the run (a model, or a check that errored
    rather than found rows) is transient until proven otherwise: retry.
    Otherwise the upstream has been fixed since: rebuild the range."""
    try:
        document = json.loads(Path(cell["evidence"]).read_text(encoding="utf-8"))
    except (OSError, TypeError, json.JSONDecodeError):
        return "backfill", sorted(cell["reasons"])
    errored = any(
        asset["status"] == "failed" or any(c["status"] == "errored" for c in asset["checks"])
        for asset in document.get("assets", [])
    )
    return (
        ("retry", ["BUILD_ERROR", *sorted(cell["reasons"])])
        if errored
        else ("backfill", sorted(cell["reasons"]))
    )


def _command(item: PlanItem) -> str | None:
    if item.action == "replay":
        return " && ".join(
            f"factory replay --partition {day}" for day in day_range(item.start, item.end)
        )
    if item.action == "retry":
        return f"factory retry {item.run_id}" if item.run_id else None
    if item.action == "backfill":
        ingest = (
            " --ingest"
            if "PARTITION_MISSING" in item.reasons or item.asset in LANDING_ASSETS
            else ""
        )
        select = "" if item.asset in LANDING_ASSETS or ingest else f" --select {item.asset}"
        return f"factory backfill --start {item.start} --end {item.end}{select}{ingest}"
    return None


def make_plan(
    paths: FactoryPaths, start: str | None = None, end: str | None = None
) -> list[PlanItem]:
    cells = [
        c
        for c in read_cells(paths, since=start, until=end)
        if c["partition"] and not c["consumable"] and c["status"] != "not_available"
    ]
    # landed days that were never built at all, and gaps between landed days
    built_days = {
        c["partition"]
        for c in read_cells(paths, since=start, until=end)
        if c["asset"] == "ticket_fact" and c["status"] != "missing"
    }
    landed = landed_days(paths)
    if landed:
        for day in day_range(landed[0], landed[-1]):
            if (start and day < start) or (end and day > end) or day in built_days:
                continue
            if not any(c["asset"] == "ticket_fact" and c["partition"] == day for c in cells):
                cells.append(
                    {
                        "asset": "ticket_fact",
                        "partition": day,
                        "status": "missing",
                        "reasons": ["PARTITION_MISSING"],
                        "consumable": False,
                        "checks": {},
                        "run_id": None,
                        "evidence": None,
                    }
                )

    roots: dict[tuple[str, str], tuple[str, list[str], str | None]] = {}
    covered: dict[str, list[str]] = {}
    for cell in sorted(cells, key=lambda c: (c["partition"], LAYER.get(c["asset"], 9))):
        decision = classify(cell)
        key = f"{cell['asset']}@{cell['partition']}"
        if decision is None:
            covered.setdefault(cell["partition"], []).append(key)
            continue
        roots[(cell["asset"], cell["partition"])] = (*decision, cell.get("run_id"))

    # a blocked cell whose cause is no longer (or never was) a cell of its own:
    # decide from the run that blocked it
    for day, keys in covered.items():
        if any(d == day for _, d in roots):
            continue
        first = next(c for c in cells if f"{c['asset']}@{c['partition']}" == keys[0])
        action, reasons = _from_blocking_run(first)
        roots[(first["asset"], day)] = (action, reasons, first.get("run_id"))
        covered[day] = keys[1:]

    # a root on a landing asset also covers the other landing tables of that day
    items: list[PlanItem] = []
    for (asset, day), (action, reasons, run_id) in sorted(
        roots.items(), key=lambda kv: (LAYER.get(kv[0][0], 9), kv[0][1])
    ):
        if asset in LANDING_ASSETS and asset != "ticket_events" and ("ticket_events", day) in roots:
            continue
        item = PlanItem(
            action=action,
            asset=asset,
            start=day,
            end=day,
            reasons=reasons,
            run_id=run_id if action == "retry" else None,
        )
        item.covers = sorted(covered.get(day, []))
        if action == "replay":
            item.covers.append(f"ticket_kpi_daily@days reading {day}")
        previous = items[-1] if items else None
        if (
            previous
            and action in ("backfill", "investigate")
            and previous.action == action
            and previous.asset == asset
            and previous.reasons == reasons
            and day_range(previous.end, day)[1:2] == [day]
        ):
            previous.end = day
            previous.covers += item.covers
            continue
        items.append(item)
    for item in items:
        item.command = _command(item)
        item.runbook = RUNBOOKS[item.action]
    items.sort(key=lambda i: (LAYER.get(i.asset, 9), i.start, ACTION_ORDER[i.action]))
    return items
