"""`factory ci --base REF`: the review of a change, end to end.

The base ref is checked out in a git worktree and parsed; dbt's state
comparison (`state:modified`, `state:modified+`) finds what the head
changes; when data can change, the base builds a sample window of
generated days in a home of its own and the head rebuilds the affected
nodes in a copy of it; then the data diff, the report and JUnit XML."""

from __future__ import annotations

import os
import shutil
import tempfile
import xml.etree.ElementTree as ElementTree
from dataclasses import dataclass, field
from pathlib import Path

from data_factory.core.console import say
from data_factory.core.errors import EXIT_BLOCKED, EXIT_OK
from data_factory.core.paths import PROJECT_DIR, FactoryPaths
from data_factory.project.dbt_runner import DbtProject
from data_factory.review.changes import Changes, find_changes
from data_factory.review.checks import CHECK_TYPES, CheckResult, head_checks, junit_xml
from data_factory.review.data_diff import ModelDiff, diff_models
from data_factory.review.preview import PlanPreview, preview_plan
from data_factory.review.refs import base_checkout, resolve_ref
from data_factory.review.report import render_report
from data_factory.review.sample import Sample, build_base, build_head
from data_factory.review.var_changes import changed_vars


@dataclass
class Review:
    base_ref: str
    base_commit: str
    changes: Changes
    diffs: list[ModelDiff] = field(default_factory=list)
    checks: list[CheckResult] = field(default_factory=list)
    built: bool = False
    preview: PlanPreview | None = None
    report_path: Path | None = None
    junit_path: Path | None = None

    @property
    def reasons(self) -> list[str]:
        """Why the change blocks: error checks that fail on the head (and
        models that fail to build there), and breaking changes that reach a
        consumer."""
        found = [
            f"{'check ' if c.unique_id.startswith(CHECK_TYPES) else ''}`{c.name}` "
            f"{c.status}s on {c.partition}"
            for c in self.checks
            if c.blocks
        ]
        found += [
            f"breaking change to `{c.name}` reaches {', '.join(c.consumers)}"
            for c in self.changes.direct
            if c.breaking and c.consumers
        ]
        return found

    @property
    def exit_code(self) -> int:
        return EXIT_BLOCKED if self.reasons else EXIT_OK


def _merge_built_columns(changes: Changes, diffs: list[ModelDiff]) -> None:
    """A column the base's table had and the head's lacks (or retypes) is
    breaking even when the YAML does not list it."""
    by_model = {diff.unique_id: diff for diff in diffs}
    for change in changes.direct:
        diff = by_model.get(change.unique_id)
        if diff is None:
            continue
        change.removed_columns = sorted({*change.removed_columns, *diff.removed_columns})
        change.retyped_columns = sorted({*change.retyped_columns, *diff.retyped_columns})


def review(
    base_ref: str,
    sample: Sample,
    out: Path,
    *,
    project_dir: Path = PROJECT_DIR,
    work: Path | None = None,
    prod_home: Path | None = None,
) -> Review:
    """Review the project at `project_dir` (its working tree) against
    `base_ref`; write report.md, junit.xml and the head's evidence to `out`. `work` keeps the
    two sample homes (base/, head/) for inspection; by default they live
    in a temporary folder removed afterwards. `prod_home`: the production
    home whose cells the plan preview reads."""
    commit = resolve_ref(project_dir, base_ref)
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="factory-ci-") as scratch:
        homes = Path(work) if work else Path(scratch)
        with base_checkout(project_dir, commit) as base_dir:
            base = DbtProject(FactoryPaths(homes / "base"), project_dir=base_dir)
            head = DbtProject(FactoryPaths(homes / "head"), project_dir=project_dir)
            say(f"ci: parsing the base ({base_ref}, {commit[:10]}) and the head")
            base_manifest = base.manifest_dict()
            head.ensure_parsed()
            vars_changed = changed_vars(base_dir, project_dir)
            changes = find_changes(head, base_manifest, base.parse_dir, vars_changed)
            result = Review(base_ref, commit, changes)
            if prod_home is not None:
                result.preview = preview_plan(prod_home, changes, head.manifest_dict())
            if changes.needs_build:
                say(f"ci: {len(changes.affected)} node(s) in state:modified+; building the sample")
                base_outcomes = build_base(base, sample)
                head_outcomes = build_head(head, base, sample, changes.affected)
                result.built = True
                result.diffs = diff_models(
                    base, head, base_outcomes, head_outcomes, changes.affected, sample.partitions
                )
                _merge_built_columns(changes, result.diffs)
                result.checks = head_checks(head_outcomes, head.manifest_dict(), head.paths.runs)
                # the head's evidence of its sample days, for the CI job to keep
                shutil.copytree(head.paths.evidence, out / "evidence", dirs_exist_ok=True)
    _write_outputs(result, sample, out)
    return result


def _write_outputs(result: Review, sample: Sample, out: Path) -> None:
    markdown = render_report(
        base_ref=result.base_ref,
        base_commit=result.base_commit,
        sample=sample,
        changes=result.changes,
        diffs=result.diffs,
        checks=result.checks,
        reasons=result.reasons,
        built=result.built,
        preview=result.preview,
    )
    result.report_path = out / "report.md"
    result.report_path.write_text(markdown, encoding="utf-8")
    summary = os.environ.get("GITHUB_STEP_SUMMARY")
    if summary:
        with open(summary, "a", encoding="utf-8") as handle:
            handle.write(markdown + "\n")
    xml = junit_xml(result.checks)
    ElementTree.fromstring(xml.encode())  # what is written parses
    result.junit_path = out / "junit.xml"
    result.junit_path.write_text(xml, encoding="utf-8")
