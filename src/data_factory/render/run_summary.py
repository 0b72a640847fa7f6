"""Printing what a run did: the grid of the days it built, or JSON rows."""

from __future__ import annotations

import json

import click
from rich.console import Console

from data_factory.render.status_table import render_table


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


def run_days(outcomes) -> list[str]:
    """Every day a run built: its own, and the later days a replay rebuilt."""
    return sorted(
        {o.partition for o in outcomes}
        | {a["partition"] for o in outcomes for a in o.evidence["assets"] if a["partition"]}
    )


def print_outcomes(outcomes, output: str, report: dict | None = None) -> None:
    """JSON: one row per asset and day of the run's evidence. Table: the
    grid (`report`, the state store's cells of the run's days), so what the
    run did reads in the words and marks of `factory status`."""
    if output == "json":
        click.echo(json.dumps(outcome_rows(outcomes), indent=2))
        return
    if report is None or not outcomes:
        return
    days = report["partitions"]
    click.echo()
    # the terminal's width (COLUMNS, else 80 when not a terminal); colour
    # only on a terminal, and never with NO_COLOR (rich reads both)
    render_table(
        report,
        Console(soft_wrap=False, highlight=False),
        title=f"after this run: {len(days)} day(s), {days[0]} .. {days[-1]}",
    )
