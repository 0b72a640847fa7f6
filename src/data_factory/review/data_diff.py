"""The data diff of a review: per model the head rebuilt and sample day,
the base's and the head's rows and content fingerprints, the columns one
has and the other lacks; for a model with a key (a column with dbt's
`unique` test), the rows matched by key and, per column, how many values
changed, with a few examples; for a model with one row per day (a KPI
mart), each numeric column's value on both sides.

The two sides live in two warehouse files, so rows are matched in Python:
a sample day is small (hundreds of rows)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from data_factory.project.dbt_runner import DbtProject
from data_factory.project.manifest import asset_nodes, node_meta, partition_column
from data_factory.runs.build import RunOutcome
from data_factory.warehouse.connect import open_engine
from data_factory.warehouse.engine import Engine

NUMERIC = ("tinyint", "smallint", "integer", "bigint", "hugeint", "double", "float", "real")
NUMERIC_PREFIXES = ("decimal", "numeric", "int")
KEY_TEST = "unique"  # dbt's own generic test: a column unique in the whole model
EXAMPLES = 3


@dataclass
class DayDiff:
    partition: str
    base_rows: int | None
    head_rows: int | None
    same_content: bool | None  # the fingerprints are equal (None: one is missing)


@dataclass
class ValueDelta:
    partition: str
    column: str
    base: float | None
    head: float | None

    @property
    def delta(self) -> float | None:
        if self.base is None or self.head is None:
            return None
        return self.head - self.base


@dataclass
class KeyedDiff:
    """One sample day of a keyed model, rows matched by key."""

    partition: str
    key: str
    matched: int
    only_base: int
    only_head: int
    changed: dict[str, int] = field(default_factory=dict)  # column -> values changed
    examples: dict[str, list[tuple]] = field(default_factory=dict)  # column -> (key, was, now)


@dataclass
class ModelDiff:
    unique_id: str
    name: str
    days: list[DayDiff]
    added_columns: list[str] = field(default_factory=list)
    removed_columns: list[str] = field(default_factory=list)
    retyped_columns: list[str] = field(default_factory=list)
    values: list[ValueDelta] = field(default_factory=list)  # one-row-per-day models only
    keyed: list[KeyedDiff] = field(default_factory=list)  # days whose content changed

    @property
    def changed(self) -> bool:
        return bool(
            self.added_columns
            or self.removed_columns
            or self.retyped_columns
            or any(not day.same_content for day in self.days)
        )

    @property
    def changed_values(self) -> list[ValueDelta]:
        return [value for value in self.values if not _same(value.base, value.head)]


def _same(left: float | None, right: float | None) -> bool:
    if left is None or right is None:
        return left is right
    return math.isclose(left, right, rel_tol=1e-9, abs_tol=1e-9)


def _cells(outcomes: list[RunOutcome]) -> dict[tuple[str, str], dict]:
    found = {}
    for outcome in outcomes:
        for asset in outcome.evidence.get("assets") or []:
            if asset.get("partition") and asset.get("status") == "materialized":
                found[(asset["unique_id"], asset["partition"])] = asset
    return found


def _is_numeric(kind: str) -> bool:
    return kind in NUMERIC or kind.startswith(NUMERIC_PREFIXES)


def _day_values(engine: Engine, relation: str, column: str, day: str) -> list[dict]:
    names = [name for name, _ in engine.columns(relation)]
    sql = f'select * from {relation} where "{column}" = cast(:day as date)'
    rows = engine.rows(sql, {"day": day})
    return [dict(zip(names, row, strict=True)) for row in rows]


def key_column(manifest: dict, unique_id: str) -> str | None:
    """The column dbt's `unique` test guards on the model, if one does."""
    for node in (manifest.get("nodes") or {}).values():
        metadata = node.get("test_metadata") or {}
        if node.get("attached_node") == unique_id and metadata.get("name") == KEY_TEST:
            return node.get("column_name")
    return None


def keyed_diff(
    was: list[dict], now: list[dict], key: str, columns: list[str], day: str
) -> KeyedDiff:
    before = {row[key]: row for row in was}
    after = {row[key]: row for row in now}
    matched = sorted(set(before) & set(after), key=str)
    diff = KeyedDiff(
        day, key, len(matched), len(set(before) - set(after)), len(set(after) - set(before))
    )
    for column in columns:
        differing = [k for k in matched if before[k][column] != after[k][column]]
        if differing:
            diff.changed[column] = len(differing)
            diff.examples[column] = [
                (k, before[k][column], after[k][column]) for k in differing[:EXAMPLES]
            ]
    return diff


def _numbers(row: dict, columns: list[str]) -> dict[str, float | None]:
    return {c: None if row.get(c) is None else float(row[c]) for c in columns}


def diff_models(
    base: DbtProject,
    head: DbtProject,
    base_outcomes: list[RunOutcome],
    head_outcomes: list[RunOutcome],
    affected: list[str],
    partitions: list[str],
) -> list[ModelDiff]:
    """One ModelDiff per partitioned model of `affected` the head built."""
    base_manifest, head_manifest = base.manifest_dict(), head.manifest_dict()
    base_cells, head_cells = _cells(base_outcomes), _cells(head_outcomes)
    base_nodes, head_nodes = asset_nodes(base_manifest), asset_nodes(head_manifest)
    models = [
        uid
        for uid in affected
        if uid in head_nodes
        and head_nodes[uid].get("resource_type") == "model"
        and partition_column(head_nodes[uid])
        and any((uid, day) in head_cells for day in partitions)
    ]
    diffs = []
    with (
        open_engine(base.paths, base_manifest, base.target, read_only=True) as base_engine,
        open_engine(head.paths, head_manifest, head.target, read_only=True) as head_engine,
    ):
        for uid in models:
            node = head_nodes[uid]
            days = []
            for day in partitions:
                before, after = base_cells.get((uid, day)) or {}, head_cells.get((uid, day)) or {}
                prints = [(c.get("fingerprint") or {}).get("hash") for c in (before, after)]
                days.append(
                    DayDiff(
                        day,
                        before.get("rows"),
                        after.get("rows"),
                        None if None in prints else prints[0] == prints[1],
                    )
                )
            diff = ModelDiff(uid, node.get("name") or uid, days)
            diffs.append(diff)
            base_node = base_nodes.get(uid)
            if base_node is None or not base_engine.exists(base_node["relation_name"]):
                continue
            old = dict(base_engine.columns(base_node["relation_name"]))
            new = dict(head_engine.columns(node["relation_name"]))
            diff.added_columns = sorted(set(new) - set(old))
            diff.removed_columns = sorted(set(old) - set(new))
            diff.retyped_columns = sorted(c for c in set(old) & set(new) if old[c] != new[c])
            key = key_column(head_manifest, uid)
            one_row_a_day = all(d.base_rows == 1 and d.head_rows == 1 for d in days)
            if key and not one_row_a_day and key in old and key in new:
                ignored = set(node_meta(node).get("fingerprint_ignores") or [])
                common = sorted(c for c in set(old) & set(new) if c != key and c not in ignored)
                column = partition_column(node)
                for day in [d.partition for d in days if d.same_content is False]:
                    was = _day_values(base_engine, base_node["relation_name"], column, day)
                    now = _day_values(head_engine, node["relation_name"], column, day)
                    diff.keyed.append(keyed_diff(was, now, key, common, day))
            if one_row_a_day:
                column = partition_column(node)
                numeric = sorted(c for c in set(old) & set(new) if _is_numeric(new[c]))
                for day in partitions:
                    (was,) = _day_values(base_engine, base_node["relation_name"], column, day)
                    (now,) = _day_values(head_engine, node["relation_name"], column, day)
                    was, now = _numbers(was, numeric), _numbers(now, numeric)
                    diff.values += [ValueDelta(day, c, was[c], now[c]) for c in numeric]
    return diffs
