"""The sample window a review builds: generated days, built by the base in
a home of its own, then by the head in a copy of that home.

The head's copy keeps what the change does not touch (the landed days,
the upstream models the base built from the same exports), so the head
builds only `state:modified+`: the modified nodes and their children, as
dbt's slim CI does with `--defer`, against a base built on the same days."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from datetime import date

from data_factory.core.console import say
from data_factory.core.partitions import day_range, shift
from data_factory.landing.generate.export import generate_range
from data_factory.project.dbt_runner import DbtProject
from data_factory.project.manifest import asset_nodes
from data_factory.runs.build import RunOutcome, run_partition
from data_factory.warehouse.connect import open_engine
from data_factory.warehouse.locking import warehouse_lock


@dataclass(frozen=True)
class Sample:
    start: str
    days: int
    tickets_per_day: int
    seed: int = 42

    @property
    def partitions(self) -> list[str]:
        return day_range(self.start, shift(self.start, self.days - 1))


def build_base(project: DbtProject, sample: Sample) -> list[RunOutcome]:
    """Generate the sample's exports into the base's home, then run each day
    there (ingest, build, evidence) with the base's project."""
    paths = project.paths
    paths.check_writable()
    generate_range(
        paths.landing,
        date.fromisoformat(sample.start),
        sample.days,
        tickets_per_day=sample.tickets_per_day,
        seed=sample.seed,
    )
    outcomes = []
    with warehouse_lock(paths.warehouse, f"ci-base-{sample.start}", "factory ci (base)"):
        for partition in sample.partitions:
            say(f"  base {partition}")
            outcomes.append(run_partition(project, partition, ingest=True, command="run"))
    return outcomes


def _drop_rebuilt(project: DbtProject, affected: list[str]) -> None:
    """Drop the tables the head rebuilds, so they are built from the sample's
    first day as the base built them (a new or dropped column cannot meet an
    incremental table of the base's shape)."""
    manifest = project.manifest_dict()
    tables = [
        node["relation_name"]
        for uid, node in asset_nodes(manifest).items()
        if uid in affected
        and node.get("resource_type") == "model"
        and node.get("relation_name")
        and (node.get("config") or {}).get("materialized") != "view"
    ]
    with open_engine(project.paths, manifest, project.target) as engine:
        for relation in tables:
            # DDL through the engine's one query method: it returns no rows
            engine.rows(f"drop table if exists {relation}")


def build_head(
    project: DbtProject, base: DbtProject, sample: Sample, affected: list[str]
) -> list[RunOutcome]:
    """Copy the base's home (its own parse aside) into the head's and build
    the affected nodes there, day by day, with the head's project."""
    paths = project.paths
    shutil.copytree(
        base.paths.home,
        paths.home,
        dirs_exist_ok=True,
        ignore=lambda folder, names: [n for n in names if n in ("_parse", "_ci_state")],
    )
    manifest = project.manifest_dict()
    names = {uid: node.get("name") for uid, node in _selectable(manifest).items()}
    select = sorted({names[uid] for uid in affected if names.get(uid)})
    if not select:
        return []
    outcomes = []
    with warehouse_lock(paths.warehouse, f"ci-head-{sample.start}", "factory ci (head)"):
        _drop_rebuilt(project, affected)
        for partition in sample.partitions:
            say(f"  head {partition}")
            outcomes.append(
                run_partition(project, partition, ingest=False, command="build", select=select)
            )
    return outcomes


def _selectable(manifest: dict) -> dict[str, dict]:
    """Nodes a `--select NAME` can name: models, seeds, snapshots, tests."""
    return {
        **(manifest.get("nodes") or {}),
        **(manifest.get("unit_tests") or {}),
    }
