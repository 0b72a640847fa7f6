"""The status grid as text: one glyph per asset and day."""

from __future__ import annotations

from collections import Counter
from datetime import date

from rich.console import Console
from rich.text import Text

from data_factory.render.explain import explain_detail

# One short cell per day: a glyph that reads without colour, and a colour.
GLYPHS = {
    "ok": ("■", "green", "materialized and consumable"),
    "warned": ("~", "green", "materialized and consumable; a warn-severity check found rows"),
    "check_failed": (
        "!",
        "bold red",
        "materialized, but an error-severity check failed: not consumable",
    ),
    "failed": ("F", "bold red", "failed: its build errored"),
    "blocked": ("B", "red", "blocked: not attempted, something it needs failed or is blocked"),
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
        return "warned" if cell["checks"]["warnings"] else "ok"
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
    problems = [c for c in cells if not c["consumable"] and c["status"] != "not_available"]
    for cell in problems[:15]:
        where = f"{cell['asset']} {cell['partition'] or ''}".strip()
        texts = "; ".join(map(explain_detail, cell["reason_details"])) or cell["status"]
        console.print(Text(f"  {where}: {cell['status']}: {texts}", style="dim"), soft_wrap=True)
    if len(problems) > 15:
        console.print(Text(f"  ... and {len(problems) - 15} more (use --format json)", style="dim"))
    legend = Text("legend: ")
    for glyph, style, meaning in list(GLYPHS.values()) + list(DECISION_GLYPHS.values()):
        legend.append(glyph, style=style)
        legend.append(f" {meaning}; ")
    legend.append("underlined: an owner's approval overrides a block on that cell")
    console.print(legend, soft_wrap=True)
