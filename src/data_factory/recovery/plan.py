"""`factory plan`: one recovery action for every asset x day that is not
consumable, derived from the state store (and so from evidence).

Actions (DESIGN.md): retry (transient error, inputs unchanged), replay (the
day's input was wrong or changed), backfill (days missing, or stale),
investigate (a check failed on valid input: a person decides; never applied
automatically) and await_export (the export is missing, or still the one
that was refused: nothing to run until the source sends another; never
applied). A downstream cell blocked by an upstream cause is covered by the
action of its root cell, so each cell gets exactly one action.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from data_factory.core.partitions import day_range
from data_factory.core.paths import FactoryPaths
from data_factory.decisions.recheck import with_warehouse_problems
from data_factory.landing.landed import landed_days
from data_factory.landing.manifest import MANIFEST_NAME
from data_factory.project.parsed import load_manifest
from data_factory.project.roles import ProjectRoles, roles_of
from data_factory.project.windows import history_start
from data_factory.state.read import read_cells
from data_factory.warehouse.connect import open_reader

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
STALE_REASONS = {"STALE_UPSTREAM_REBUILT", "STALE_CODE_CHANGED", "STALE_UPSTREAM_CHANGED"}
ACTION_ORDER = {"await_export": 0, "replay": 1, "retry": 2, "backfill": 3, "investigate": 4}
RUNBOOKS = {
    "await_export": "runbooks/bad-or-corrected-export.md",
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


def _landing_input(cell: dict) -> tuple[set[str], str | None]:
    """The reason codes and the manifest sha256 the cell's run recorded for its day's input."""
    if not cell.get("evidence"):
        return set(), None
    try:
        document = json.loads(Path(cell["evidence"]).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return set(), None
    items = [i for i in document.get("inputs", []) if i.get("partition") == cell["partition"]]
    codes = {code for item in items for code in item.get("reason_codes", [])}
    return codes, next((i.get("manifest_sha256") for i in items), None)


def _manifest_now(paths: FactoryPaths, day: str) -> str | None:
    try:
        return hashlib.sha256(
            (paths.tickets_partition_dir(day) / MANIFEST_NAME).read_bytes()
        ).hexdigest()
    except OSError:
        return None


def _landing_action(cell: dict, paths: FactoryPaths) -> tuple[str, list[str]]:
    """A landing cell that failed or was never landed: wait for the export
    while there is none, or while it is still the one that was refused (a
    replay would fail the same way); replay it once it has changed."""
    codes, refused_sha = _landing_input(cell)
    codes = (codes | set(cell["reasons"])) & (REPLAY_REASONS | {"LANDING_MISSING"})
    now = _manifest_now(paths, cell["partition"])
    if now is None:
        return "await_export", ["LANDING_MISSING"]
    if refused_sha == now and codes - {"LANDING_MISSING"}:
        return "await_export", sorted(codes)
    return "replay", sorted(codes or {"LANDING_MISSING"})


def classify(
    cell: dict, roles: ProjectRoles, paths: FactoryPaths | None = None
) -> tuple[str, list[str]] | None:
    """The action for one cell on its own, or None when an upstream cause
    covers it. Without `paths` the landing is not looked at (a landing
    cell that failed is then replayed)."""
    reasons = set(cell["reasons"])
    status = cell["status"]
    blocking = set((cell.get("checks") or {}).get("blocking") or [])
    if "WAREHOUSE_MISSING" in reasons:
        # the raw tables went with the warehouse: rebuild from the landing files,
        # starting at the landing cell (the models of that day are covered by it)
        return (
            ("backfill", ["WAREHOUSE_MISSING"]) if cell["asset"] in roles.landing_assets else None
        )
    if "WAREHOUSE_CONTENT_CHANGED" in reasons:
        return "backfill", ["WAREHOUSE_CONTENT_CHANGED"]
    if "EVIDENCE_NOT_WRITTEN" in reasons:  # rebuild what the unrecorded build touched
        return "backfill", ["EVIDENCE_NOT_WRITTEN"]
    if cell["asset"] in roles.landing_assets and status in ("failed", "missing"):
        if paths is not None:
            return _landing_action(cell, paths)
        return "replay", sorted(_landing_input(cell)[0] & REPLAY_REASONS or {"LANDING_MISSING"})
    if reasons & REPLAY_REASONS:
        return "replay", sorted(reasons & REPLAY_REASONS)
    if "CHECK_FAILED" in reasons and blocking & roles.reconciliation_check_names:
        return "replay", ["RECONCILIATION_FAILED", "CHECK_FAILED"]
    if status == "failed" or "BUILD_ERROR" in reasons:
        return "retry", sorted(reasons) or ["BUILD_ERROR"]
    if reasons & STALE_REASONS and _roots_only_stale(cell):
        # stale itself, over cells that are only stale: rebuilding them in
        # DAG and day order (one backfill) clears it too, so it is planned
        # with them, one range (a self-dependent model's later days, say)
        return "backfill", sorted(reasons & STALE_REASONS)
    if any(r.startswith("UPSTREAM_") for r in reasons) and "UPSTREAM_NOT_AVAILABLE" not in reasons:
        return None
    if "CHECK_FAILED" in reasons:
        if paths is not None and _export_changed(cell, paths):
            # the corrected export the failed-check runbook asks for has come
            return "replay", sorted(reasons | {"EXPORT_CHANGED"})
        return "investigate", sorted(reasons)
    if status in ("stale", "missing", "blocked") or reasons & STALE_REASONS:
        return "backfill", sorted(reasons) or [status.upper()]
    if not cell["consumable"]:
        return "backfill", sorted(reasons) or ["EVIDENCE_INVALID"]
    return None


def _export_changed(cell: dict, paths: FactoryPaths) -> bool:
    """The day's landing manifest is there and is not the one the cell's run
    recorded: the source sent another export since."""
    recorded = _landing_input(cell)[1]
    now = _manifest_now(paths, cell["partition"])
    return recorded is not None and now is not None and recorded != now


def _roots_only_stale(cell: dict) -> bool:
    """Every root cell this cell is blocked by is stale and nothing else."""
    roots = [
        root
        for detail in cell.get("reason_details") or []
        if isinstance(detail.get("cause"), dict)
        for root in detail["cause"].get("roots", [])
    ]
    return bool(roots) and all(set(root["reasons"]) <= STALE_REASONS for root in roots)


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


def _command(item: PlanItem, landing_assets: set[str]) -> str | None:
    if item.action == "replay":
        return " && ".join(
            f"factory replay --partition {day}" for day in day_range(item.start, item.end)
        )
    if item.action == "retry":
        return f"factory retry {item.run_id}" if item.run_id else None
    if item.action == "backfill":
        ingest = (
            " --ingest"
            if "PARTITION_MISSING" in item.reasons or item.asset in landing_assets
            else ""
        )
        select = "" if item.asset in landing_assets or ingest else f" --select {item.asset}"
        return f"factory backfill --start {item.start} --end {item.end}{select}{ingest}"
    return None


def _never_built(
    cells: list[dict],
    all_cells: list[dict],
    paths: FactoryPaths,
    roles: ProjectRoles,
    start: str | None,
    end: str | None,
    history: str | None,
) -> list[dict]:
    """Landed days that no evidence records a build of, and gaps between
    landed days, as missing cells of the models reconciled with the landing."""
    built = {(c["asset"], c["partition"]) for c in all_cells if c["status"] != "missing"}
    wanted = {(c["asset"], c["partition"]) for c in cells}
    landed = landed_days(paths, history)
    found = []
    for day in day_range(landed[0], landed[-1]) if landed else []:
        if (start and day < start) or (end and day > end):
            continue
        for asset in sorted(roles.fact_assets):
            if (asset, day) in built or (asset, day) in wanted:
                continue
            found.append(
                {
                    "asset": asset,
                    "partition": day,
                    "status": "missing",
                    "reasons": ["PARTITION_MISSING"],
                    "consumable": False,
                    "checks": {},
                    "run_id": None,
                    "evidence": None,
                }
            )
    return found


def _chain_roots(cell: dict) -> list[tuple[str, str]]:
    """The partitioned root cells a cell is blocked by (state.chain)."""
    return [
        (root["asset"], root["partition"])
        for detail in cell["reason_details"]
        for root in (detail.get("cause") or {}).get("roots", [])
        if isinstance(detail.get("cause"), dict) and root["partition"]
    ]


def _roots_outside(cells: list[dict], grid: list[dict]) -> list[dict]:
    """Root cells of the blocked cells that lie outside the days asked for."""
    have = {(c["asset"], c["partition"]) for c in cells}
    index = {(c["asset"], c["partition"]): c for c in grid}
    wanted = {root for cell in cells for root in _chain_roots(cell)} - have
    return [index[key] for key in sorted(wanted) if key in index and not index[key]["consumable"]]


def _later_readers(roles: ProjectRoles, asset: str) -> list[str]:
    """What a replay of one of `asset`'s days rebuilds on later days: the
    models further down that read it through a window (`X@days reading D`),
    and a self-dependent model with its readers (`X@every later day`)."""
    uid = next((u for u, key in roles.keys.items() if key == asset), asset)
    below = roles.downstream(uid) | {uid}
    carried = {u for u in below if u in roles.self_dependent}
    every_day = carried | {u for c in carried for u in roles.downstream(c)}
    return sorted(
        [f"{roles.keys[u]}@every later day" for u in every_day]
        + [
            f"{roles.keys[u]}@days reading {{day}}"
            for u in below - every_day
            if u in roles.window_vars
        ]
    )


def make_plan(
    paths: FactoryPaths,
    start: str | None = None,
    end: str | None = None,
    manifest: dict | None = None,
) -> list[PlanItem]:
    """One action per cell that is not consumable, upstream first (the
    manifest's DAG orders them)."""
    if manifest is None:
        manifest = load_manifest(paths, parse_if_missing=False)
    roles = roles_of(manifest)
    grid = read_cells(paths)
    # the warehouse must still hold what the evidence says (decisions.recheck)
    everything = with_warehouse_problems(
        paths,
        manifest,
        [
            c
            for c in grid
            if not c["partition"]
            or ((not start or c["partition"] >= start) and (not end or c["partition"] <= end))
        ],
        content=True,
    )
    cells = [
        c
        for c in everything
        if c["partition"] and not c["consumable"] and c["status"] != "not_available"
    ]
    cells += _never_built(cells, everything, paths, roles, start, end, history_start(manifest))
    cells += _roots_outside(cells, grid)

    roots: dict[tuple[str, str], tuple[str, list[str], str | None]] = {}
    covered: dict[str, list[str]] = {}
    by_root: dict[tuple[str, str], list[str]] = {}
    for cell in sorted(cells, key=lambda c: (c["partition"], roles.order(c["asset"]))):
        decision = classify(cell, roles, paths)
        key = f"{cell['asset']}@{cell['partition']}"
        if decision is None:
            chain_roots = _chain_roots(cell)
            for root in chain_roots:
                by_root.setdefault(root, []).append(key)
            if not chain_roots:
                covered.setdefault(cell["partition"], []).append(key)
            continue
        roots[(cell["asset"], cell["partition"])] = (*decision, cell.get("run_id"))
    # a blocked cell whose cause is no longer (or never was) a cell of its own:
    # decide from the run that blocked it
    was_covered = {key for keys in covered.values() for key in keys}
    for day, keys in covered.items():
        if any(d == day for _, d in roots):
            continue
        first = next(c for c in cells if f"{c['asset']}@{c['partition']}" == keys[0])
        action, reasons = _from_blocking_run(first)
        roots[(first["asset"], day)] = (action, reasons, first.get("run_id"))
        covered[day] = keys[1:]

    # cells blocked through what they read go with the action of their root
    # (of one of their roots: a stale root over a broken one has none of its own)
    actioned = {key for root, keys in by_root.items() if root in roots for key in keys}
    for root, keys in by_root.items():
        if root in roots:
            continue
        if f"{root[0]}@{root[1]}" in was_covered:  # the root is covered by its day's action
            covered.setdefault(root[1], []).extend(keys)
            continue
        # the root is consumable by now, or out of the grid: the readers are rebuilt
        for key in keys:
            if key in actioned:
                continue
            asset, day = key.split("@")
            roots.setdefault((asset, day), ("backfill", ["UPSTREAM_NOT_CONSUMABLE"], None))

    # a root on the landed rows also covers the other landing tables of that day
    rows = roles.landing_rows_asset
    items: list[PlanItem] = []
    for (asset, day), (action, reasons, run_id) in sorted(
        roots.items(), key=lambda kv: (roles.order(kv[0][0]), kv[0][1])
    ):
        if asset in roles.landing_assets and asset != rows and (rows, day) in roots:
            continue
        item = PlanItem(
            action=action,
            asset=asset,
            start=day,
            end=day,
            reasons=reasons,
            run_id=run_id if action == "retry" else None,
        )
        # a root on the landed rows speaks for every landing table of its day
        fellows = roles.landing_assets if asset == rows else {asset}
        item.covers = sorted(
            {*covered.get(day, []), *(k for a in fellows for k in by_root.get((a, day), []))}
            - {f"{a}@{day}" for a in fellows}
        )
        if action == "replay":
            item.covers += [cover.format(day=day) for cover in _later_readers(roles, asset)]
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
        item.command = _command(item, roles.landing_assets)
        item.runbook = RUNBOOKS[item.action]
    items.sort(key=lambda i: (roles.order(i.asset), i.start, ACTION_ORDER[i.action]))
    return items


def set_aside_lost_warehouse(paths: FactoryPaths, items: list[PlanItem], manifest: dict) -> str:
    """Before a plan rebuilds a lost warehouse from the landing: a warehouse
    file of 0 bytes holds nothing and is removed; one that is not a database
    is renamed `<name>.unreadable-<stamp>` (kept for investigation), so the
    rebuild starts a new warehouse. A readable one (replaced by another) is
    left alone and rebuilt into. Says what it did ("" when nothing)."""
    if not any("WAREHOUSE_MISSING" in item.reasons for item in items):
        return ""
    warehouse = paths.warehouse
    if not warehouse.exists():
        return ""
    wal = Path(f"{warehouse}.wal")
    if warehouse.stat().st_size == 0:
        warehouse.unlink()
        wal.unlink(missing_ok=True)
        return f"removed the empty warehouse file {warehouse}"
    engine, why = open_reader(paths, manifest)
    if engine is not None:
        engine.close()
        return ""
    if why != "unreadable":
        return ""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    kept = warehouse.with_name(f"{warehouse.name}.unreadable-{stamp}")
    warehouse.rename(kept)
    if wal.exists():
        wal.rename(Path(f"{kept}.wal"))
    return f"moved the unreadable warehouse file aside to {kept}"
