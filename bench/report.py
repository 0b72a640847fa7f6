"""The results as a table: on stdout after a run, and as the README's
Benchmarks block (between its markers, which `--update-readme` replaces)."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

from bench.figure import UNIT_SUFFIX
from bench.processes import PROJECT_DIR, BenchError, say

README = PROJECT_DIR / "README.md"
README_START = "<!-- bench:start -->"
README_END = "<!-- bench:end -->"


def fmt_seconds(value: float, unit: str = "s") -> str:
    if unit == "MB":
        return f"{value:,.0f} MB"
    return f"{value:.3f} s" if value < 10 else f"{value:.1f} s"


def describe_inputs(figure: dict) -> str:
    inputs = figure["inputs"]
    key = figure["key"]
    if key == "ingest":
        return (
            f"{inputs['days']} days x {inputs['tickets_per_day']:,} tickets/day = "
            f"{inputs['rows']:,} events ({inputs['bytes'] / 2**20:,.0f} MiB)"
        )
    if key == "history":
        short, long = inputs["days"]
        return (
            f"day {inputs['partition']} ({inputs['rows']:,} events) after {short} vs {long} "
            f"days x {inputs['tickets_per_day']:,} tickets/day"
        )
    if key == "backfill":
        return (
            f"{inputs['days']} days x {inputs['tickets_per_day']:,} tickets/day = "
            f"{inputs['rows']:,} events; chunk {inputs['chunk_days']} day(s)"
        )
    if key == "evidence":
        return f"{inputs['nodes']:,} nodes, {inputs['results']:,} results"
    if key == "status":
        return f"{inputs['assets']} assets x {inputs['days']} days = {inputs['cells']:,} cells"
    if key == "gate":
        return (
            f"{inputs['consumer']} on {inputs['partition']}: {inputs['cells']} cells, "
            f"{inputs['rows']:,} rows ({inputs['tickets_per_day']:,} tickets/day)"
        )
    if key == "backfill_year":
        return (
            f"{inputs['days']} days x {inputs['tickets_per_day']:,} tickets/day = "
            f"{inputs['rows']:,} events, one day per dbt invocation; the first and last "
            f"{inputs['compared_days']} days compared"
        )
    if key == "verify":
        return (
            f"{inputs['days']} days x {inputs['tickets_per_day']:,} tickets/day = "
            f"{inputs['rows']:,} events ({inputs['bytes'] / 2**20:,.0f} MiB of landing)"
        )
    return json.dumps(inputs)


def describe_sides(figure: dict) -> str:
    return "; ".join(
        f"{name} {fmt_seconds(side['median'], side['unit'])}"
        for name, side in figure["sides"].items()
    )


def target_rows(figure: dict) -> list[tuple[str, str, str, str]]:
    """(measure, value, target, met) for each target of a figure."""
    if figure["status"] != "measured":
        return [("-", "-", figure["target"] or "-", figure["status"])]
    rows = []
    for target in figure["targets"]:
        suffix = UNIT_SUFFIX[target["unit"]]
        value = "-" if target["value"] is None else f"{target['value']:.2f}{suffix}"
        wanted = f"{target['op']} {target['threshold']:g}{suffix}" if target["op"] else "(info)"
        met = "-" if target["met"] is None else "yes" if target["met"] else "no"
        rows.append((target["name"], value, wanted, met))
    return rows


def print_table(results: dict, stream=sys.stdout) -> None:
    print(
        f"{results['mode']} run {results['started_at']}: {results['machine']['cores']} cores, "
        f"{results['machine']['memory_gib']} GiB, median of {results['repetitions']}+ "
        f"repetitions per side, {results['duration_s'] / 60:.1f} min",
        file=stream,
    )
    rows = [("#", "figure", "measure", "value", "target", "met")]
    details = []
    for figure in results["figures"]:
        for index, row in enumerate(target_rows(figure)):
            first = index == 0
            rows.append(
                (str(figure["number"]) if first else "", figure["title"] if first else "", *row)
            )
        inputs = describe_inputs(figure) if figure["status"] == "measured" else "-"
        sides = describe_sides(figure) if figure["sides"] else (figure["error"] or "-")
        details.append((figure["number"], inputs, sides))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        print(
            "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=False)).rstrip(),
            file=stream,
        )
    for number, inputs, sides in details:
        print(f"\n{number}  inputs: {inputs}\n   sides:  {sides}", file=stream)


def markdown_block(results: dict) -> str:
    m = results["machine"]
    git = results["git"]
    lines = [
        f"Last full run: {results['started_at'][:10]} (UTC), {m['cores']} cores, "
        f"{m['memory_gib']} GiB memory ({m['cpu'] or 'unknown CPU'}), `{results['command']}`, "
        f"{results['duration_s'] / 60:.0f} min, git {(git['sha'] or 'unknown')[:10]}"
        f"{' with uncommitted changes' if git['dirty'] else ''}. Medians of "
        f"{results['repetitions']} or more repetitions per side, sides interleaved in one run; "
        "from `data/bench/results.json`, written by `python -m bench`.",
        "",
        "| # | figure | inputs | median per side | measure | value | target | met |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for figure in results["figures"]:
        inputs = describe_inputs(figure) if figure["status"] == "measured" else "-"
        sides = (
            "<br>".join(
                f"{name}: {fmt_seconds(side['median'], side['unit'])}"
                for name, side in figure["sides"].items()
            )
            or "-"
        )
        columns = list(zip(*target_rows(figure), strict=False))
        cells = (
            str(figure["number"]),
            figure["title"],
            inputs,
            sides,
            *("<br>".join(column) for column in columns),
        )
        lines.append("| " + " | ".join(c.replace("|", "/") for c in cells) + " |")
    notes = [
        f"- {figure['number']}: {note}" for figure in results["figures"] for note in figure["notes"]
    ]
    notes += [
        f"- {figure['number']}: where the time goes: {_breakdown_text(figure['breakdown'])}"
        for figure in results["figures"]
        if figure["breakdown"] and not figure["met"]
    ]
    if notes:
        lines += ["", *notes]
    return "\n".join(lines)


def _breakdown_text(breakdown: dict) -> str:
    def value(v):
        if isinstance(v, dict):
            return "{" + ", ".join(f"{k} {value(x)}" for k, x in v.items()) + "}"
        return f"{v:,.3f}" if isinstance(v, float) else f"{v:,}" if isinstance(v, int) else str(v)

    return ", ".join(f"{k} {value(v)}" for k, v in breakdown.items())


README_INTRO = (
    "`make bench` measures the factory side by side with what people use today and with "
    "DuckDB's own limit, in one run on one machine, and rewrites the table below "
    "(`make bench-quick` runs the same suite on tiny sizes in a few minutes). Only the ratios "
    "are meaningful: the machine is shared and noisy.\n"
)


def readme_with_block(text: str, block: str) -> str:
    """README text with the bench block replaced, or a Benchmarks section
    added before "## Scaling out" (else at the end). Nothing else changes."""
    fenced = f"{README_START}\n{block}\n{README_END}"
    if README_START in text and README_END in text:
        before, rest = text.split(README_START, 1)
        _, after = rest.split(README_END, 1)
        return before + fenced + after
    section = f"## Benchmarks\n\n{README_INTRO}\n{fenced}\n\n"
    anchor = re.search(r"^## Scaling out\b", text, re.M)
    if anchor:
        return text[: anchor.start()] + section + text[anchor.start() :]
    return text.rstrip("\n") + "\n\n" + section.rstrip("\n") + "\n"


def update_readme(results: dict, readme: Path, figures: list[int]) -> None:
    """Rewrite the README's block from a full run of all the `figures`."""
    if results["mode"] != "full" or sorted(f["number"] for f in results["figures"]) != sorted(
        figures
    ):
        raise BenchError(
            "the README shows the last full run of all the figures; these "
            f"results are a {results['mode']} run of figures "
            f"{[f['number'] for f in results['figures']]}"
        )
    readme.write_text(readme_with_block(readme.read_text(), markdown_block(results)))
    say(f"updated the Benchmarks table in {readme}")
