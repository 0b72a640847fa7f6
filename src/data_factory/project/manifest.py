"""Reading the dbt manifest: asset nodes, their meta, their checks and
upstreams."""

from __future__ import annotations

ASSET_TYPES = ("model", "seed", "snapshot")


def node_meta(node: dict) -> dict:
    config = node.get("config") or {}
    return {**(node.get("meta") or {}), **(config.get("meta") or {})}


def partition_column(node: dict) -> str | None:
    return node_meta(node).get("partition_column")


def asset_nodes(manifest: dict) -> dict[str, dict]:
    """Every asset of the project: sources, seeds, models and snapshots."""
    nodes = {
        uid: node
        for uid, node in (manifest.get("nodes") or {}).items()
        if node.get("resource_type") in ASSET_TYPES
    }
    nodes.update(manifest.get("sources") or {})
    return nodes


def disabled_assets(manifest: dict) -> dict[str, dict]:
    found = {}
    for uid, versions in (manifest.get("disabled") or {}).items():
        for node in versions:
            if node.get("resource_type") in (*ASSET_TYPES, "source"):
                found[uid] = node
    return found


def asset_key(node: dict) -> str:
    if node.get("resource_type") == "source":
        return node.get("name") or node["unique_id"]
    return node.get("alias") or node.get("name") or node["unique_id"]


def checks_by_asset(manifest: dict) -> dict[str, list[dict]]:
    """Data tests and unit tests, grouped by the asset they check."""
    grouped: dict[str, list[dict]] = {}
    candidates = [
        node
        for node in (manifest.get("nodes") or {}).values()
        if node.get("resource_type") == "test"
    ] + list((manifest.get("unit_tests") or {}).values())
    for test in candidates:
        attached = test.get("attached_node")
        targets = (
            [attached]
            if attached
            else [
                uid
                for uid in (test.get("depends_on") or {}).get("nodes", [])
                if uid.split(".")[0] in (*ASSET_TYPES, "source")
            ]
        )
        if not attached and (test.get("depends_on") or {}).get("nodes"):
            # a generic test on a source has no attached_node; keep the first
            targets = targets[:1]
        for uid in targets:
            grouped.setdefault(uid, []).append(test)
    return grouped


def upstream_assets(node: dict, assets: dict[str, dict]) -> list[str]:
    return sorted(uid for uid in (node.get("depends_on") or {}).get("nodes", []) if uid in assets)
