"""The review as Markdown: for a PR comment, and for the CI job's summary."""

from __future__ import annotations

from data_factory.review.changes import Changes
from data_factory.review.checks import CheckResult
from data_factory.review.data_diff import ModelDiff
from data_factory.review.preview import PlanPreview, preview_lines
from data_factory.review.sample import Sample


def _number(value: float | None) -> str:
    if value is None:
        return "null"
    return f"{value:.0f}" if float(value).is_integer() else f"{value:.6g}"


def _delta(value: float | None) -> str:
    return "n/a" if value is None else ("+" if value > 0 else "") + _number(value)


def _shown(value, width: int = 32) -> str:
    text = "null" if value is None else str(value)
    return text if len(text) <= width else text[: width - 1] + "…"


def _keyed(diff: ModelDiff) -> list[str]:
    if not diff.keyed:
        return []
    key = diff.keyed[0].key
    lines = [
        f"Rows matched by `{key}` on the days whose content changed:",
        "",
        "| day | matched | only in base | only in head | values changed (key: base -> head) |",
        "|---|---:|---:|---:|---|",
    ]
    for day in diff.keyed:
        changed = "; ".join(
            f"`{column}` {count} ("
            + ", ".join(
                f"{_shown(k)}: {_shown(a)} -> {_shown(b)}" for k, a, b in day.examples[column]
            )
            + ")"
            for column, count in sorted(day.changed.items())
        )
        lines.append(
            f"| {day.partition} | {day.matched} | {day.only_base} | {day.only_head} | "
            f"{changed or 'none in the columns both sides have'} |"
        )
    return [*lines, ""]


def _changes(changes: Changes) -> list[str]:
    if not changes.direct:
        return ["No node of the project differs from the base.", ""]
    edited = [
        f"`{name}` {_shown(was)} -> {_shown(now)}" for name, (was, now) in changes.vars.items()
    ]
    lines_vars = [f"Var defaults changed: {'; '.join(edited)}.", ""] if edited else []
    lines = [
        *lines_vars,
        "| node | type | change | consumers it reaches | breaking |",
        "|---|---|---|---|---|",
    ]
    for change in [change for change in changes.direct if change.own]:
        why = [f"removes `{c}`" for c in change.removed_columns] + [
            f"retypes `{c}`" for c in change.retyped_columns
        ]
        if "removed" in change.kinds:
            why.append("removes the node")
        breaking = "**yes**: " + ", ".join(why) if change.breaking else "no"
        lines.append(
            f"| `{change.name}` | {change.resource_type} | {', '.join(change.kinds)} | "
            f"{', '.join(f'`{c}`' for c in change.consumers) or '-'} | {breaking} |"
        )
    followers = [change for change in changes.direct if not change.own]
    if followers:
        lines += ["", f"dbt also selects {len(followers)} check(s) of these nodes, unchanged."]
    rebuilt = len(changes.affected)
    lines += ["", f"`state:modified+` (what the head rebuilds and re-checks): {rebuilt} node(s)."]
    return [*lines, ""]


def _diff(diff: ModelDiff) -> list[str]:
    lines = [f"#### `{diff.name}`", "", "| day | rows (base) | rows (head) | content |"]
    lines.append("|---|---:|---:|---|")
    for day in diff.days:
        content = {True: "same", False: "**changed**", None: "not built on one side"}
        lines.append(
            f"| {day.partition} | {_number(day.base_rows)} | {_number(day.head_rows)} | "
            f"{content[day.same_content]} |"
        )
    lines.append("")
    for label, columns in (
        ("added", diff.added_columns),
        ("removed", diff.removed_columns),
        ("retyped", diff.retyped_columns),
    ):
        if columns:
            lines += [f"Columns {label}: {', '.join(f'`{c}`' for c in columns)}.", ""]
    lines += _keyed(diff)
    if diff.values:
        changed = diff.changed_values
        if not changed:
            lines += ["Every numeric column has the same value on every sample day.", ""]
        else:
            lines += [
                "Values that change (one row per day):",
                "",
                "| day | column | base | head | delta |",
                "|---|---|---:|---:|---:|",
            ]
            lines += [
                f"| {v.partition} | `{v.column}` | {_number(v.base)} | {_number(v.head)} | "
                f"{_delta(v.delta)} |"
                for v in changed
            ]
            lines.append("")
    return lines


def _checks(checks: list[CheckResult]) -> list[str]:
    if not checks:
        return ["No check ran on the head's build.", ""]
    count = {status: sum(c.status == status for c in checks) for status in ("pass", "warn")}
    blocking = [c for c in checks if c.blocks]
    other = [c for c in checks if c.status not in ("pass",) and not c.blocks]
    lines = [
        f"{len(checks)} check runs on the head's build: {count['pass']} passed, "
        f"{len(blocking)} failed at error severity, {len(other)} warned or skipped.",
        "",
    ]
    if blocking or other:
        lines += ["| day | check | severity | status | failing rows |", "|---|---|---|---|---:|"]
        for check in [*blocking, *other]:
            status = f"**{check.status}**" if check.blocks else check.status
            lines.append(
                f"| {check.partition} | `{check.name}` | {check.severity} | {status} | "
                f"{_number(check.failures)} |"
            )
        lines.append("")
    return lines


def render_report(
    *,
    base_ref: str,
    base_commit: str,
    sample: Sample,
    changes: Changes,
    diffs: list[ModelDiff],
    checks: list[CheckResult],
    reasons: list[str],
    built: bool,
    preview: PlanPreview | None = None,
) -> str:
    """The review: the verdict, what changed, what merging makes stale in
    production (with --prod-home), the data diff, the checks."""
    days = sample.partitions
    verdict = "**blocking**: " + "; ".join(reasons) if reasons else "ok: nothing blocks the merge"
    lines = [
        f"## factory ci: `{base_ref}` ({base_commit[:10]}) -> this tree",
        "",
        f"Verdict: {verdict}.",
        "",
        f"Sample: {len(days)} generated day(s), {days[0]} to {days[-1]}, "
        f"{sample.tickets_per_day} tickets per day (seed {sample.seed}).",
        "",
        "### Changed nodes (dbt `state:modified` against the base)",
        "",
        *_changes(changes),
        *preview_lines(preview),
    ]
    if not built:
        lines += ["### Data diff", "", "No data change: nothing the change touches is built.", ""]
        return "\n".join(lines)
    lines += ["### Data diff (base vs head, per sample day)", ""]
    if not diffs:
        lines += ["No partitioned model is rebuilt: no data change.", ""]
    for diff in diffs:
        lines += _diff(diff)
    lines += ["### Checks on the head's build", "", *_checks(checks)]
    return "\n".join(lines)
