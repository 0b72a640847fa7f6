"""Consumers (dbt exposures) and their owners, from the manifest."""

from __future__ import annotations

from dataclasses import dataclass, field

from data_factory.core.errors import EXIT_USAGE, FactoryError
from data_factory.project.manifest import (
    asset_key,
    asset_nodes,
    disabled_assets,
    node_meta,
)


@dataclass
class Consumer:
    name: str
    unique_id: str
    enabled: bool
    label: str | None
    owners: list[str]
    requires: list[str]  # asset unique_ids, or bare keys the project does not know
    node: dict = field(repr=False)


def asset_index(manifest: dict) -> tuple[dict[str, dict], dict[str, dict], dict[str, str]]:
    enabled = asset_nodes(manifest)
    disabled = {uid: node for uid, node in disabled_assets(manifest).items() if uid not in enabled}
    by_key = {}
    for uid, node in {**disabled, **enabled}.items():
        by_key.setdefault(asset_key(node), uid)
        by_key.setdefault(node.get("name") or uid, uid)
    return enabled, disabled, by_key


def _owners(node: dict, manifest: dict) -> list[str]:
    owners = node_meta(node).get("owners") or []
    if isinstance(owners, str):
        owners = [owners]
    names = [str(o).strip() for o in owners if str(o).strip()]
    group = node.get("group") or (node.get("config") or {}).get("group")
    if group:
        for candidate in (manifest.get("groups") or {}).values():
            if candidate.get("name") == group:
                owner = candidate.get("owner") or {}
                names += [str(owner[k]) for k in ("name", "email") if owner.get(k)]
    return names


def consumers(manifest: dict) -> dict[str, Consumer]:
    """Every dbt exposure of the project, enabled or not, by name."""
    _, _, by_key = asset_index(manifest)
    found: dict[str, Consumer] = {}
    nodes = [(node, True) for node in (manifest.get("exposures") or {}).values()]
    for versions in (manifest.get("disabled") or {}).values():
        nodes += [(node, False) for node in versions if node.get("resource_type") == "exposure"]
    for node, enabled in nodes:
        requires = list((node.get("depends_on") or {}).get("nodes") or [])
        for key in node_meta(node).get("requires") or []:
            uid = by_key.get(str(key), str(key))
            if uid not in requires:
                requires.append(uid)
        found.setdefault(
            node["name"],
            Consumer(
                name=node["name"],
                unique_id=node["unique_id"],
                enabled=enabled,
                label=node.get("label"),
                owners=_owners(node, manifest),
                requires=requires,
                node=node,
            ),
        )
    return found


def find_consumer(manifest: dict, name: str) -> Consumer:
    known = consumers(manifest)
    if name in known:
        return known[name]
    error = FactoryError(
        "CONSUMER_UNKNOWN",
        f"no consumer (dbt exposure) is named {name!r}; known consumers: "
        + (", ".join(sorted(known)) or "none"),
    )
    error.exit_code = EXIT_USAGE
    raise error


def approvers(consumer: Consumer, manifest: dict) -> dict[str, tuple[str, list[str]]]:
    """casefolded name -> (name as written, what it owns)."""
    enabled, disabled, _ = asset_index(manifest)
    found: dict[str, tuple[str, list[str]]] = {}

    def add(names: list[str], role: str) -> None:
        for name in names:
            found.setdefault(name.casefold(), (name, []))[1].append(role)

    add(consumer.owners, f"consumer {consumer.name}")
    for uid in consumer.requires:
        node = enabled.get(uid) or disabled.get(uid)
        if node:
            add(_owners(node, manifest), f"asset {asset_key(node)}")
    return found
