"""What a change of the project modifies, from dbt's own state comparison.

dbt decides which nodes are modified (`state:modified`, against the base's
manifest); this module only says, from the two manifests, what kind of
change each is and whether it breaks a consumer."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from data_factory.project.consumers import consumers
from data_factory.project.dbt_runner import DbtProject
from data_factory.project.roles import roles_of
from data_factory.review.var_changes import var_readers

SQL = "SQL logic"
CONFIG = "config"
COLUMNS = "columns/contract"
TESTS = "tests"
DOCS = "docs only"
NEW = "new"
REMOVED = "removed"
# dbt counts a check of a modified node as modified too, though nothing of
# the check itself differs between the manifests
WITH_PARENT = "with its parent"
VARS = "vars"


@dataclass
class NodeChange:
    unique_id: str
    name: str
    resource_type: str
    kinds: list[str]
    removed_columns: list[str] = field(default_factory=list)
    retyped_columns: list[str] = field(default_factory=list)
    added_columns: list[str] = field(default_factory=list)
    consumers: list[str] = field(default_factory=list)  # exposures reading it, at any depth

    @property
    def breaking(self) -> bool:
        """A column the base had is gone or has another type, or the node is."""
        return bool(self.removed_columns or self.retyped_columns or REMOVED in self.kinds)

    @property
    def data_change(self) -> bool:
        """Whether building it can change what it holds or checks."""
        return any(kind not in (DOCS, WITH_PARENT) for kind in self.kinds)

    @property
    def own(self) -> bool:
        """Whether the node itself differs (not only as a check of a modified one)."""
        return self.kinds != [WITH_PARENT]


@dataclass
class Changes:
    direct: list[NodeChange]  # what dbt finds modified, and what it leaves out as docs only
    affected: list[str]  # unique ids of `state:modified+`: the direct ones and their children
    vars: dict[str, tuple] = field(default_factory=dict)  # name -> (base default, head default)

    @property
    def needs_build(self) -> bool:
        return any(change.data_change for change in self.direct)


def _nodes(manifest: dict) -> dict[str, dict]:
    return {
        **(manifest.get("nodes") or {}),
        **(manifest.get("sources") or {}),
        **(manifest.get("unit_tests") or {}),
    }


def _columns(node: dict) -> dict[str, str]:
    return {
        name.lower(): str((column or {}).get("data_type") or "").lower()
        for name, column in (node.get("columns") or {}).items()
    }


def _descriptions(node: dict) -> tuple:
    columns = node.get("columns") or {}
    return (
        node.get("description") or "",
        tuple(sorted((name, (c or {}).get("description") or "") for name, c in columns.items())),
    )


def _checksum(node: dict) -> str | None:
    """The hash of a node's file (a dict on models; unit tests keep a string)."""
    found = node.get("checksum")
    return found.get("checksum") if isinstance(found, dict) else found


def _config(node: dict) -> dict:
    return node.get("config") or {}


def classify(unique_id: str, base: dict | None, head: dict | None) -> NodeChange:
    """The kinds of change between a node's two versions (either may be None)."""
    node = head or base or {}
    change = NodeChange(unique_id, node.get("name") or unique_id, node.get("resource_type"), [])
    if head is None or base is None:
        change.kinds.append(REMOVED if head is None else NEW)
        if head is not None and change.resource_type in ("test", "unit_test"):
            change.kinds.append(TESTS)
        return change
    if _checksum(base) != _checksum(head):
        change.kinds.append(TESTS if change.resource_type in ("test", "unit_test") else SQL)
    if _config(base) != _config(head):
        change.kinds.append(CONFIG)
    before, after = _columns(base), _columns(head)
    change.removed_columns = sorted(set(before) - set(after))
    change.added_columns = sorted(set(after) - set(before))
    change.retyped_columns = sorted(
        name for name in set(before) & set(after) if before[name] and before[name] != after[name]
    )
    contract = (base.get("contract") or {}) != (head.get("contract") or {})
    if change.removed_columns or change.added_columns or change.retyped_columns or contract:
        change.kinds.append(COLUMNS)
    if not change.kinds:
        change.kinds.append(DOCS if _descriptions(base) != _descriptions(head) else WITH_PARENT)
    return change


def reaching_consumers(unique_id: str, manifests: list[dict]) -> list[str]:
    """The exposures that read the node, directly or through what reads it."""
    found: set[str] = set()
    for manifest in manifests:
        reach = {unique_id, *roles_of(manifest).downstream(unique_id)}
        found |= {c.name for c in consumers(manifest).values() if reach & set(c.requires)}
    return sorted(found)


def find_changes(
    head: DbtProject, base_manifest: dict, base_target: Path, vars_changed: dict | None = None
) -> Changes:
    """The nodes dbt's state comparison finds modified against the base's
    parse in `base_target`, each classified; nodes whose descriptions alone
    changed (which dbt counts only when it persists docs) come as docs only,
    and the models reading a var whose default changed (`vars_changed`,
    review.var_changes) as vars, with their children."""
    head_manifest = head.manifest_dict()
    scratch = head.paths.runs / "_ci_state"
    direct_ids = head.list_nodes(scratch, ["state:modified"], state=base_target)
    affected = head.list_nodes(scratch, ["state:modified+"], state=base_target)
    before, after = _nodes(base_manifest), _nodes(head_manifest)
    removed = [
        uid for uid in before if uid not in after and before[uid].get("resource_type") == "model"
    ]
    docs_only = [
        uid
        for uid in sorted(set(before) & set(after))
        if uid not in direct_ids and _descriptions(before[uid]) != _descriptions(after[uid])
    ]
    changes = [
        classify(uid, before.get(uid), after.get(uid)) for uid in [*direct_ids, *removed]
    ] + [
        NodeChange(uid, after[uid].get("name") or uid, after[uid].get("resource_type"), [DOCS])
        for uid in docs_only
    ]
    readers = var_readers(head_manifest, list(vars_changed or {}))
    for change in changes:
        if change.unique_id in readers:
            change.kinds = [k for k in change.kinds if k != WITH_PARENT] + [VARS]
    known = {change.unique_id for change in changes}
    changes += [
        NodeChange(uid, after[uid].get("name") or uid, after[uid].get("resource_type"), [VARS])
        for uid in readers
        if uid not in known
    ]
    if readers:
        names = sorted(f"{after[uid].get('name')}+" for uid in readers)
        affected = sorted({*affected, *head.list_nodes(scratch, names)})
    for change in changes:
        change.consumers = reaching_consumers(change.unique_id, [head_manifest, base_manifest])
    return Changes(direct=changes, affected=affected, vars=dict(vars_changed or {}))
