"""The status grid as text: one glyph per asset and day."""

from __future__ import annotations

from collections import Counter
from datetime import date

from rich.console import Console
from rich.text import Text

from data_factory.core.reasons import WARNING_CODES
from data_factory.render.explain import explain_detail

# One short cell per day: a glyph that reads without colour, and a colour.
GLYPHS = {
    "ok": ("■", "green", "materialized and consumable"),
    "warned": (
        "~",
        "green",
        "materialized and consumable, with a warning (a warn check found rows, lines were "
        "rejected, the export drifted)",
    ),
    "check_failed": (
        "!",
        "bold red",
        "materialized, but an error-severity check failed: not consumable",
    ),
    "failed": ("F", "bold red", "failed: its build errored"),
    "blocked": (
        "B",
        "red",
        "blocked: not attempted, or built over a cell it reads that is not consumable",
    ),
    "stale": ("S", "yellow", "stale: an upstream partition it reads, or its code, changed since"),
    "missing": ("·", "magenta", "missing: no evidence of a build"),
    "not_available": ("n", "blue", "not_available: switched off (not a failure)"),
    "invalid": ("?", "bold red", "its evidence no longer validates: not consumable"),
}


DECISION_GLYPHS = {
    "release": ("✓", "green", "gate releases"),
    "approved": ("A", "cyan", "gate releases on an owner's approval"),
    "block": ("✗", "red", "gate blocks"),
}


def cell_kind(cell: dict) -> str:
    """Which glyph a cell gets."""
    if {"EVIDENCE_INVALID", "EVIDENCE_HASH_MISMATCH"} & set(cell["reasons"]):
        return "invalid"
    status = cell["status"]
    if status == "materialized":
        if cell["checks"]["blocking"]:
            return "check_failed"
        warned = cell["checks"]["warnings"] or WARNING_CODES & set(cell["reasons"])
        return "warned" if warned else "ok"
    return status if status in GLYPHS else "missing"


def decision_kind(row: dict) -> str:
    if row["decision"] == "block":
        return "block"
    return "approved" if row["approved_by"] else "release"


def _header_lines(partitions: list[str], indent: int) -> list[Text]:
    months, tens, ones = Text(" " * indent), Text(" " * indent), Text(" " * indent)
    previous_month = None
    for index, partition in enumerate(partitions):
        day = date.fromisoformat(partition)
        gap = " " if index and index % 7 == 0 else ""
        label = day.strftime("%b") if day.month != previous_month else ""
        previous_month = day.month
        months.append(gap)
        if label:
            months.append(label, style="bold")
        elif len(months.plain) < len(tens.plain) + len(gap) + 1:
            months.append(" ")
        tens.append(gap + str(day.day // 10), style="dim")
        ones.append(gap + str(day.day % 10), style="dim")
    return [months, tens, ones]


def render_table(report: dict, console: Console) -> None:
    cells, partitions = report["cells"], report["partitions"]
    partitioned = [c for c in cells if c["partition"]]
    reference = [c for c in cells if not c["partition"]]
    assets = sorted({c["asset"] for c in partitioned})
    names = assets + [f"⇒ {r['consumer']}" for r in report["consumers"]]
    width = max([len(n) for n in names] + [12]) + 2
    if not cells:
        console.print("the state store is empty: no evidence has been applied yet")
        return
    if partitions:
        console.print(
            Text(
                f"asset x partition: {len(partitions)} day(s), {partitions[0]} .. {partitions[-1]}",
                style="bold",
            )
        )
        for line in _header_lines(partitions, width):
            console.print(line)
    index = {(c["asset"], c["partition"]): c for c in partitioned}

    def row(label: str, glyphs: list[tuple[str, str, bool]], tail: str) -> None:
        line = Text(label.ljust(width))
        for position, (glyph, style, underline) in enumerate(glyphs):
            if position and position % 7 == 0:
                line.append(" ")
            line.append(glyph, style=style + (" underline" if underline else ""))
        line.append("  " + tail, style="dim")
        console.print(line)

    for asset in assets:
        glyphs, consumable = [], 0
        for partition in partitions:
            cell = index.get((asset, partition))
            kind = cell_kind(cell) if cell else "missing"
            consumable += bool(cell and cell["consumable"])
            glyph, style, _ = GLYPHS[kind]
            glyphs.append(
                (glyph, style, bool(cell and any(a["active"] for a in cell["approvals"])))
            )
        row(asset, glyphs, f"{consumable}/{len(partitions)} consumable")
    by_consumer: dict[str, dict[str, dict]] = {}
    for decision in report["consumers"]:
        by_consumer.setdefault(decision["consumer"], {})[decision["partition"]] = decision
    for consumer, days in sorted(by_consumer.items()):
        glyphs = [DECISION_GLYPHS[decision_kind(days[p])] for p in partitions]
        released = sum(days[p]["decision"] == "release" for p in partitions)
        row(
            f"⇒ {consumer}",
            [(g, s, False) for g, s, _ in glyphs],
            f"{released}/{len(partitions)} released",
        )
    if reference:
        line = Text("reference data (unpartitioned): ")
        for cell in reference:
            glyph, style, _ = GLYPHS[cell_kind(cell)]
            line.append(cell["asset"] + " ")
            line.append(glyph, style=style)
            line.append("  ")
        console.print(line)
    counts = Counter(c["status"] for c in cells)
    console.print(
        Text(
            "statuses: "
            + ", ".join(f"{n} {s}" for s, n in sorted(counts.items()))
            + f"; {sum(c['consumable'] for c in cells)} of {len(cells)} consumable"
        )
    )
    _print_problems(console, cells)
    legend = Text("legend: ")
    for glyph, style, meaning in list(GLYPHS.values()) + list(DECISION_GLYPHS.values()):
        legend.append(glyph, style=style)
        legend.append(f" {meaning}; ")
    legend.append("underlined: an owner's approval overrides a block on that cell")
    console.print(legend, soft_wrap=True)


def _print_problems(console: Console, cells: list[dict]) -> None:
    """The root problems first, each with its reasons in words; the cells
    blocked only because they read one of them are counted, not repeated;
    then the warnings of consumable cells. Cells of one day that say the
    same (the landing tables of a refused export) share one line."""
    broken = [c for c in cells if not c["consumable"] and c["status"] != "not_available"]
    chained = [c for c in broken if "UPSTREAM_NOT_CONSUMABLE" in c["reasons"]]
    roots = [c for c in broken if "UPSTREAM_NOT_CONSUMABLE" not in c["reasons"]]
    warned = [c for c in cells if c["consumable"] and WARNING_CODES & set(c["reasons"])]

    def lines(found: list[dict], prefix: str, only: frozenset | None) -> list[str]:
        grouped: dict[tuple, list[str]] = {}
        for cell in found:
            details = [d for d in cell["reason_details"] if only is None or d["code"] in only]
            texts = "; ".join(map(explain_detail, details)) or cell["status"]
            key = (cell["partition"] or "", cell["status"], texts)
            grouped.setdefault(key, []).append(cell["asset"])
        return [
            f"  {prefix}{', '.join(assets)} {day}: {status}: {texts}".replace(" :", ":")
            for (day, status, texts), assets in grouped.items()
        ]

    def show(found: list[str], limit: int, more: str) -> None:
        for line in found[:limit]:
            console.print(Text(line, style="dim"), soft_wrap=True)
        if len(found) > limit:
            console.print(Text(f"  ... and {len(found) - limit} more ({more})", style="dim"))

    show(lines(roots, "", None), 15, "use --format json")
    if chained:
        named = ", ".join(f"{c['asset']} {c['partition']}" for c in chained[:6])
        console.print(
            Text(
                f"  + {len(chained)} cell(s) blocked because they read one of these "
                f"(UPSTREAM_NOT_CONSUMABLE): {named}" + (" ..." if len(chained) > 6 else ""),
                style="dim",
            ),
            soft_wrap=True,
        )
    show(lines(warned, "warning ", WARNING_CODES), 10, "warnings")
