"""What each node of the dbt project is for, read from the manifest.

Python names no model, test, source or var of the project: it asks the
manifest. The project declares the roles in `meta`, reviewed like any code:

* a landing table (a dbt source that `factory ingest` fills):
  ``meta: {landing_folder: tickets, landing_table: rows | rejected | manifests}``,
  and, on the rows table, where its history starts: ``history_start_var: VAR``
  and its landing contract: ``landing_contract: {...}`` (project.contracts);
* the reconciliation check of a model built from a landing (a data test):
  ``config: {meta: {role: reconciliation}}``; its arguments name the landed
  relation, the key counted and both partition columns;
* a model that reads a window of days: ``meta: {reads_window_var: VAR}``;
* a self-dependent model, whose day D reads its own day D - 1 (a carried
  state, as Dagster's self-dependent partitions): ``meta:
  {reads_previous_partition: true}``; dbt's graph has no edge for it
  (``{{ this }}`` is not a ref), so the factory adds it;
* an optional model, switched on and off by a var: ``meta: {enabled_by_var: VAR}``;
* a check whose failing rows name their partition (in a column of its
  result): ``config: {meta: {failing_rows_partition: COLUMN}}``.

The order of work comes from the DAG (``depends_on``), never from a list.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

from data_factory.project.manifest import (
    asset_key,
    asset_nodes,
    disabled_assets,
    node_meta,
    upstream_assets,
)

LANDING_TABLE_KINDS = ("rows", "rejected", "manifests")


@dataclass(frozen=True)
class LandingTable:
    """A raw table that the ingest of one landing folder fills."""

    unique_id: str
    asset: str
    relation: str
    folder: str
    kind: str  # rows | rejected | manifests
    history_start_var: str | None = None  # the var naming the first day of its history
    table: str = ""  # `schema.table` in the warehouse the ingest writes
    # the rows table's meta.landing_contract, as declared (project.contracts reads it)
    contract: dict | None = field(default=None, compare=False, hash=False)


@dataclass(frozen=True)
class Reconciliation:
    """A check that a model's rows equal the distinct landed keys, per day."""

    check: str  # unique_id of the data test
    model: str  # unique_id of the model it checks
    model_relation: str
    partition_column: str
    landed_relation: str
    landed_column: str
    landed_partition_column: str


@dataclass(frozen=True)
class ProjectRoles:
    landing_tables: tuple[LandingTable, ...] = ()
    reconciliations: tuple[Reconciliation, ...] = ()
    window_vars: dict[str, str] = field(default_factory=dict)  # unique_id -> var
    self_dependent: frozenset[str] = frozenset()  # unique_ids whose day D reads D - 1
    switch_vars: dict[str, str] = field(default_factory=dict)  # asset key -> var
    depth: dict[str, int] = field(default_factory=dict)  # unique_id and asset key -> depth
    readers: dict[str, tuple[str, ...]] = field(default_factory=dict)  # uid -> direct readers
    keys: dict[str, str] = field(default_factory=dict)  # unique_id -> asset key
    reconciliation_check_names: frozenset[str] = frozenset()  # every check of that role
    # checks whose failing rows name their partition: unique_id -> that column
    partition_named_checks: dict[str, str] = field(default_factory=dict)

    @property
    def landing_assets(self) -> set[str]:
        return {table.asset for table in self.landing_tables}

    def landing_table(self, kind: str, folder: str | None = None) -> LandingTable | None:
        """The landing table of `kind` in `folder`; by default in the main
        landing: the one a reconciliation reads (else the first)."""
        folder = folder or self.main_landing_folder
        for table in self.landing_tables:
            if table.kind == kind and (folder is None or table.folder == folder):
                return table
        return None

    @property
    def main_landing_folder(self) -> str | None:
        rows = [t for t in self.landing_tables if t.kind == "rows"]
        landed = {r.landed_relation for r in self.reconciliations}
        for table in sorted(rows, key=lambda t: t.relation not in landed):
            return table.folder
        return None

    @property
    def landing_rows_asset(self) -> str | None:
        """The asset key of the landed rows (the source a run's inputs name)."""
        table = self.landing_table("rows")
        return table.asset if table else None

    @property
    def fact_models(self) -> set[str]:
        """Models reconciled with a landing: the first built layer of a day."""
        return {r.model for r in self.reconciliations}

    @property
    def fact_assets(self) -> set[str]:
        return {self.keys.get(uid, uid) for uid in self.fact_models}

    def order(self, asset: str) -> int:
        """Depth in the DAG (sources 0); unknown assets go last."""
        return self.depth.get(asset, len(self.depth) + 1)

    def downstream(self, unique_id: str) -> set[str]:
        """Every asset that reads `unique_id`, directly or further down."""
        found: set[str] = set()
        frontier = [unique_id]
        while frontier:
            for reader in self.readers.get(frontier.pop(), ()):
                if reader not in found:
                    found.add(reader)
                    frontier.append(reader)
        return found


def roles_of(manifest: dict | None) -> ProjectRoles:
    """The roles of a manifest, memoised by identity (a run asks for them
    once per day it records, and a manifest can hold thousands of nodes)."""
    if not manifest:
        return ProjectRoles()
    return _roles(_Frozen(manifest))


class _Frozen:
    """Hashable by identity, so that one manifest dict is analysed once."""

    def __init__(self, manifest: dict):
        self.manifest = manifest

    def __hash__(self) -> int:
        return id(self.manifest)

    def __eq__(self, other) -> bool:
        return isinstance(other, _Frozen) and other.manifest is self.manifest


@lru_cache(maxsize=4)
def _roles(frozen: _Frozen) -> ProjectRoles:
    manifest = frozen.manifest
    enabled = asset_nodes(manifest)
    everything = {**disabled_assets(manifest), **enabled}
    keys = {uid: asset_key(node) for uid, node in everything.items()}
    return ProjectRoles(
        landing_tables=tuple(_landing_tables(enabled)),
        reconciliations=tuple(_reconciliations(manifest, enabled)),
        window_vars={
            uid: str(node_meta(node)["reads_window_var"])
            for uid, node in everything.items()
            if node_meta(node).get("reads_window_var")
        },
        self_dependent=frozenset(
            uid
            for uid, node in everything.items()
            if node_meta(node).get("reads_previous_partition") is True
        ),
        switch_vars={
            keys[uid]: str(node_meta(node)["enabled_by_var"])
            for uid, node in everything.items()
            if node_meta(node).get("enabled_by_var")
        },
        depth=_depths(everything, keys),
        readers=_readers(everything),
        keys=keys,
        partition_named_checks={
            uid: str(node_meta(node)["failing_rows_partition"])
            for uid, node in (manifest.get("nodes") or {}).items()
            if node.get("resource_type") == "test" and node_meta(node).get("failing_rows_partition")
        },
        reconciliation_check_names=frozenset(
            node.get("name") or uid
            for uid, node in (manifest.get("nodes") or {}).items()
            if node.get("resource_type") == "test"
            and node_meta(node).get("role") == "reconciliation"
        ),
    )


def _landing_tables(enabled: dict[str, dict]):
    for uid, node in sorted(enabled.items()):
        meta = node_meta(node)
        if node.get("resource_type") == "source" and meta.get("landing_table"):
            kind = str(meta["landing_table"])
            if kind not in LANDING_TABLE_KINDS:
                raise ValueError(
                    f"{uid}: meta.landing_table must be one of {', '.join(LANDING_TABLE_KINDS)}, "
                    f"got {kind!r}"
                )
            yield LandingTable(
                unique_id=uid,
                asset=asset_key(node),
                relation=node.get("relation_name") or "",
                folder=str(meta.get("landing_folder") or ""),
                kind=kind,
                history_start_var=str(meta["history_start_var"])
                if meta.get("history_start_var")
                else None,
                table=f"{node.get('schema')}.{node.get('identifier') or node.get('name')}",
                contract=meta.get("landing_contract"),
            )


def _reconciliations(manifest: dict, enabled: dict[str, dict]):
    for uid, test in sorted((manifest.get("nodes") or {}).items()):
        if test.get("resource_type") != "test" or node_meta(test).get("role") != "reconciliation":
            continue
        model = enabled.get(test.get("attached_node") or "")
        kwargs = (test.get("test_metadata") or {}).get("kwargs") or {}
        landed = (
            [
                enabled[u]
                for u in (test.get("depends_on") or {}).get("nodes", [])
                if u in enabled and u != model.get("unique_id")
            ]
            if model
            else []
        )
        if not model or not landed:
            continue
        yield Reconciliation(
            check=uid,
            model=model["unique_id"],
            model_relation=model.get("relation_name") or "",
            partition_column=str(kwargs.get("partition_column") or ""),
            landed_relation=landed[0].get("relation_name") or "",
            landed_column=str(kwargs.get("landed_column") or ""),
            landed_partition_column=str(kwargs.get("landed_partition_column") or ""),
        )


def _depths(nodes: dict[str, dict], keys: dict[str, str]) -> dict[str, int]:
    depth: dict[str, int] = {}

    def visit(uid: str, path: frozenset) -> int:
        if uid in depth:
            return depth[uid]
        parents = [p for p in upstream_assets(nodes[uid], nodes) if p not in path]
        depth[uid] = 1 + max((visit(p, path | {uid}) for p in parents), default=-1)
        return depth[uid]

    for uid in nodes:
        visit(uid, frozenset())
    return {**depth, **{keys[uid]: value for uid, value in depth.items()}}


def _readers(nodes: dict[str, dict]) -> dict[str, tuple[str, ...]]:
    readers: dict[str, list[str]] = {}
    for uid, node in nodes.items():
        for parent in upstream_assets(node, nodes):
            readers.setdefault(parent, []).append(uid)
    return {uid: tuple(sorted(found)) for uid, found in readers.items()}
