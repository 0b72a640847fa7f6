"""The plan preview of a review: what merging the change would make stale
in a production home, before anything runs (as SQLMesh's plan lists the
intervals a change needs backfilled).

Every built day of each model whose data the change can alter, and of
what reads it, goes stale; the consumers reading those models are blocked
on those days until the backfill; the commands rebuild each changed model
and its children over its built days; the cost is what the same cells
took when production last built them (the evidence's execution times)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from data_factory.core.errors import EXIT_USAGE, FactoryError
from data_factory.core.partitions import shift, spans
from data_factory.core.paths import FactoryPaths
from data_factory.project.consumers import consumers
from data_factory.project.manifest import asset_nodes, partition_column
from data_factory.project.roles import roles_of
from data_factory.review.changes import Changes
from data_factory.state.read import read_cells


@dataclass
class PlanPreview:
    home: Path
    stale: dict[str, list[str]] = field(default_factory=dict)  # asset -> built days
    blocked: dict[str, list[str]] = field(default_factory=dict)  # consumer -> days
    commands: list[str] = field(default_factory=list)
    recorded_seconds: float = 0.0
    unmeasured_cells: int = 0  # stale cells whose evidence records no time
    reshaped: list[str] = field(default_factory=list)  # changed models losing or retyping columns

    @property
    def cells(self) -> int:
        return sum(len(days) for days in self.stale.values())


def _runs(days: list[str]) -> list[tuple[str, str]]:
    """Consecutive days as (first, last) pairs."""
    found: list[list[str]] = []
    for day in sorted(set(days)):
        if found and shift(found[-1][-1], 1) == day:
            found[-1].append(day)
        else:
            found.append([day])
    return [(run[0], run[-1]) for run in found]


def _recorded_seconds(cells: list[dict]) -> tuple[float, int]:
    documents: dict[str, dict] = {}
    total, missing = 0.0, 0
    for cell in cells:
        path = cell.get("evidence")
        if path and path not in documents:
            try:
                documents[path] = json.loads(Path(path).read_text(encoding="utf-8"))
            except (OSError, ValueError):
                documents[path] = {}
        entry = next(
            (
                asset
                for asset in (documents.get(path) or {}).get("assets") or []
                if asset.get("unique_id") == cell["unique_id"]
                and asset.get("partition") == cell["partition"]
            ),
            None,
        )
        seconds = (entry or {}).get("execution_time_s")
        if seconds is None:
            missing += 1
        else:
            total += float(seconds) + sum(
                float(c.get("execution_time_s") or 0.0) for c in entry.get("checks") or []
            )
    return total, missing


def preview_plan(prod_home: Path, changes: Changes, manifest: dict) -> PlanPreview:
    """What merging would do to the production home at `prod_home`."""
    paths = FactoryPaths(prod_home.resolve())
    if not paths.state.exists():
        error = FactoryError(
            "PROD_HOME_UNKNOWN",
            f"--prod-home {prod_home} holds no state store (state.sqlite): give the home "
            "production runs in",
        )
        error.exit_code = EXIT_USAGE
        raise error
    preview = PlanPreview(prod_home)  # as the user named it
    assets = asset_nodes(manifest)
    roles = roles_of(manifest)
    partitioned = {
        uid
        for uid in changes.affected
        if uid in assets and assets[uid].get("resource_type") == "model"
        if partition_column(assets[uid])
    }
    roots = [c.unique_id for c in changes.direct if c.data_change and c.unique_id in partitioned]
    if not roots:
        return preview
    stale_ids = set(roots) | {uid for root in roots for uid in roles.downstream(root)}
    stale_ids &= partitioned
    cells = [
        cell
        for cell in read_cells(paths, assets=sorted(stale_ids))
        if cell["partition"] and cell["status"] == "materialized"
    ]
    for cell in cells:
        preview.stale.setdefault(cell["asset"], []).append(cell["partition"])
    days_of = {cell["unique_id"]: set() for cell in cells}
    for cell in cells:
        days_of[cell["unique_id"]].add(cell["partition"])
    for consumer in consumers(manifest).values():
        days = set().union(*(days_of.get(uid, set()) for uid in consumer.requires))
        if days:
            preview.blocked[consumer.name] = sorted(days)
    for root in roots:
        name = assets[root].get("name") or root
        for first, last in _runs(sorted(days_of.get(root, ()))):
            preview.commands.append(
                f"factory backfill --start {first} --end {last} --select {name}+"
            )
    preview.reshaped = [
        c.name
        for c in changes.direct
        if c.breaking and c.unique_id in roots and days_of.get(c.unique_id)
    ]
    preview.recorded_seconds, preview.unmeasured_cells = _recorded_seconds(cells)
    return preview


def preview_lines(preview: PlanPreview | None) -> list[str]:
    """The preview as Markdown lines for the report."""
    if preview is None:
        return []
    lines = [f"### Plan preview against `{preview.home}`", ""]
    if not preview.stale:
        return [*lines, "Merging makes no built cell stale.", ""]
    lines += [f"Merging makes {preview.cells} built cell(s) stale:", ""]
    lines += ["| asset | stale days |", "|---|---|"]
    lines += [f"| `{asset}` | {spans(days)} |" for asset, days in sorted(preview.stale.items())]
    lines.append("")
    if preview.blocked:
        lines += ["Consumers blocked on those days until the backfill:", ""]
        lines += [f"- `{name}`: {spans(days)}" for name, days in sorted(preview.blocked.items())]
        lines.append("")
    unmeasured = (
        f" ({preview.unmeasured_cells} cell(s) without a recorded time)"
        if preview.unmeasured_cells
        else ""
    )
    lines += [
        "Backfill after merging (about "
        f"{preview.recorded_seconds:.0f} s of dbt time, as production last built these cells"
        f"{unmeasured}):",
        "",
        "```bash",
        *preview.commands,
        "```",
        "",
    ]
    if preview.reshaped:
        names = ", ".join(f"`{name}`" for name in preview.reshaped)
        lines += [
            f"The production tables of {names} lose or retype a column: an incremental "
            "model that fails on a schema change needs its table rebuilt from its first "
            "day, not only these days.",
            "",
        ]
    return lines
