"""Printing what a run did: a per-asset, per-day table, or JSON."""

from __future__ import annotations

import json

import click
from rich.console import Console
from rich.table import Table

STATUS_STYLE = {
    "materialized": "green",
    "failed": "bold red",
    "blocked": "red",
    "stale": "yellow",
    "skipped": "dim",
    "missing": "magenta",
    "not_available": "blue",
}


def _check_summary(checks: list[dict]) -> str:
    if not checks:
        return ""
    counts: dict[str, int] = {}
    for check in checks:
        counts[check["status"]] = counts.get(check["status"], 0) + 1
    return " ".join(f"{n} {s}" for s, n in sorted(counts.items()))


def outcome_rows(outcomes) -> list[dict]:
    rows = []
    for outcome in outcomes:
        for asset in outcome.evidence["assets"]:
            if asset["partition"] is None and asset["resource_type"] == "seed":
                continue
            rows.append(
                {
                    "asset": asset["asset"],
                    "partition": asset["partition"] or outcome.partition,
                    "status": asset["status"],
                    "rows": asset["rows"],
                    "checks": _check_summary(asset["checks"]),
                    "reasons": asset["reason_codes"],
                    "run_id": outcome.run_id,
                    "evidence": str(outcome.evidence_path),
                }
            )
    return rows


def print_outcomes(outcomes, output: str) -> None:
    rows = outcome_rows(outcomes)
    if output == "json":
        click.echo(json.dumps(rows, indent=2))
        return
    partitions = sorted({row["partition"] for row in rows})
    assets = sorted({row["asset"] for row in rows})
    cells = {(row["asset"], row["partition"]): row for row in rows}
    table = Table(title="asset x partition (this run)", show_lines=False)
    table.add_column("asset")
    for partition in partitions:
        table.add_column(partition[5:], justify="center")
    for asset in assets:
        values = []
        for partition in partitions:
            row = cells.get((asset, partition))
            if row is None:
                values.append("")
                continue
            style = STATUS_STYLE.get(row["status"], "")
            rows_text = f" {row['rows']}" if row["rows"] is not None else ""
            flag = (
                " !"
                if "CHECK_FAILED" in row["reasons"]
                else (" ~" if "CHECK_WARNED" in row["reasons"] else "")
            )
            values.append(f"[{style}]{row['status']}[/]{rows_text}{flag}")
        table.add_row(asset, *values)
    Console(soft_wrap=False, width=max(100, 24 + 22 * len(partitions))).print(table)
    click.echo("legend: rows after status; ! error check failed; ~ warn check found rows")
