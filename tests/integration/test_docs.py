"""The blueprint's asset graph page stays true to the dbt project."""

from __future__ import annotations

import re

import pytest

from data_factory.core.paths import PROJECT_DIR, FactoryPaths
from data_factory.project.dbt_runner import DbtProject
from data_factory.project.manifest import asset_key, asset_nodes, node_meta, partition_column

GRAPH_PAGE = PROJECT_DIR / "docs" / "blueprints" / "week06" / "week06-asset-graph.md"


@pytest.fixture(scope="module")
def manifest(tmp_path_factory):
    project = DbtProject(FactoryPaths(tmp_path_factory.mktemp("docs-home")))
    return project.manifest_dict()


def _table(section: str) -> list[list[str]]:
    text = GRAPH_PAGE.read_text()
    body = text.split(f"## {section}\n", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in body.splitlines() if line.startswith("|")][2:]
    return [[cell.strip() for cell in row.strip("|").split("|")] for row in rows]


def test_asset_table_matches_the_manifest(manifest):
    expected = sorted(
        (
            asset_key(node),
            node["resource_type"],
            partition_column(node) or "",
            ", ".join(node_meta(node).get("owners", [])),
        )
        for node in asset_nodes(manifest).values()
    )
    assert sorted(tuple(row) for row in _table("Assets")) == expected


def test_consumer_table_matches_the_exposures(manifest):
    expected = sorted(
        (
            name.split(".")[-1],
            ", ".join(sorted(uid.split(".")[-1] for uid in exposure["depends_on"]["nodes"])),
            ", ".join(node_meta(exposure).get("owners", [])),
        )
        for name, exposure in manifest["exposures"].items()
    )
    assert sorted(tuple(row) for row in _table("Consumers")) == expected


def test_every_macro_is_documented():
    documented = set(
        re.findall(r"- name: (\w+)", (PROJECT_DIR / "macros" / "_macros.yml").read_text())
    )
    defined = {
        name
        for path in (PROJECT_DIR / "macros").glob("*.sql")
        for name in re.findall(r"{%-?\s*macro\s+(\w+)\(", path.read_text())
        if not name.startswith(("default__", "duckdb__", "spark__"))
    }
    assert defined <= documented
