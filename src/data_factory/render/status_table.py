"""The status grid as text: one glyph per asset and day."""

from __future__ import annotations

import textwrap
from collections import Counter
from datetime import date

from rich.console import Console
from rich.text import Text

from data_factory.core.partitions import spans
from data_factory.core.reasons import WARNING_CODES
from data_factory.render.explain import explain_detail

# One short cell per day: a glyph that reads without colour, and a colour
# with the page's meaning (render.status_palette): red is failed only, blue
# is blocked, yellow is stale.
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
        "bold blue",
        "blocked: not attempted, or built over a cell it reads that is not consumable",
    ),
    "stale": ("S", "yellow", "stale: an upstream partition it reads, or its code, changed since"),
    "missing": ("·", "dim", "missing: no evidence of a build"),
    "not_available": ("n", "cyan", "not_available: switched off (not a failure)"),
    "invalid": ("?", "bold reverse", "its evidence no longer validates: not consumable"),
}


DECISION_GLYPHS = {
    "release": ("✓", "green", "gate releases"),
    "approved": ("A", "magenta", "gate releases on an owner's approval"),
    "block": ("✗", "bold blue", "gate blocks"),
}


EVIDENCE_PROBLEMS = frozenset(
    {
        "EVIDENCE_INVALID",
        "EVIDENCE_HASH_MISMATCH",
        "EVIDENCE_SIGNATURE_INVALID",
        "EVIDENCE_CHAIN_BROKEN",
    }
)


def cell_kind(cell: dict) -> str:
    """Which glyph a cell gets."""
    if EVIDENCE_PROBLEMS & set(cell["reasons"]):
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


def render_table(report: dict, console: Console, title: str | None = None) -> None:
    """The grid at the console's width: one line per asset when the days fit,
    else the days folded into blocks of whole weeks, and on a terminal too
    narrow even for one week beside the names, one asset after another."""
    cells, partitions = report["cells"], report["partitions"]
    if not cells:
        console.print("the state store is empty: no evidence has been applied yet")
        return
    rows = _grid_rows(report)
    shown = {kind for _, glyphs, _ in rows for kind, _ in glyphs}
    if partitions:
        console.print(
            Text(
                title
                or f"asset x partition: {len(partitions)} day(s), "
                f"{partitions[0]} .. {partitions[-1]}",
                style="bold",
            )
        )
        _print_grid(console, rows, partitions)
    reference = [c for c in cells if not c["partition"]]
    if reference:
        line = Text("reference data (unpartitioned): ")
        for cell in reference:
            kind = cell_kind(cell)
            shown.add(kind)
            glyph, style, _ = GLYPHS[kind]
            line.append(cell["asset"] + " ")
            line.append(glyph, style=style)
            line.append("  ")
        console.print(line)
    counts = Counter(c["status"] for c in cells)
    console.print(
        Text(
            "statuses: "
            + ", ".join(f"{n:,} {s}" for s, n in sorted(counts.items()))
            + f"; {sum(c['consumable'] for c in cells):,} of {len(cells):,} consumable"
        )
    )
    _print_problems(console, cells)
    legend = Text("legend: ")
    for kind, (glyph, style, meaning) in {**GLYPHS, **DECISION_GLYPHS}.items():
        if kind in shown:
            legend.append(glyph, style=style)
            legend.append(f" {meaning}; ")
    if any(underline for _, glyphs, _ in rows for _, underline in glyphs):
        legend.append("underlined: an owner's approval overrides a block on that cell; ")
    legend.append("every mark: runbooks/statuses-and-reasons.md")
    console.print(legend)


# a row of the grid: its label, (kind, underlined) per day, and its tail
GridRow = tuple[str, list[tuple[str, bool]], str]


def _grid_rows(report: dict) -> list[GridRow]:
    partitions = report["partitions"]
    index = {(c["asset"], c["partition"]): c for c in report["cells"] if c["partition"]}
    rows: list[GridRow] = []
    for asset in sorted({asset for asset, _ in index}):
        days = [index.get((asset, partition)) for partition in partitions]
        glyphs = [
            (cell_kind(c) if c else "missing", bool(c and any(a["active"] for a in c["approvals"])))
            for c in days
        ]
        consumable = sum(bool(c and c["consumable"]) for c in days)
        counted = [c["rows"] for c in days if c and c.get("rows") is not None]
        tail = f"{consumable}/{len(partitions)} consumable"
        if counted:
            tail += f", {sum(counted):,} rows"
        rows.append((asset, glyphs, tail))
    by_consumer: dict[str, dict[str, dict]] = {}
    for decision in report["consumers"]:
        by_consumer.setdefault(decision["consumer"], {})[decision["partition"]] = decision
    for consumer, days in sorted(by_consumer.items()):
        released = sum(days[p]["decision"] == "release" for p in partitions)
        rows.append(
            (
                f"⇒ {consumer}",
                [(decision_kind(days[p]), False) for p in partitions],
                f"{released}/{len(partitions)} released",
            )
        )
    return rows


def _marks(glyphs: list[tuple[str, bool]]) -> Text:
    """Glyphs, a space after each whole week."""
    line = Text()
    for position, (kind, underline) in enumerate(glyphs):
        if position and position % 7 == 0:
            line.append(" ")
        glyph, style, _ = {**GLYPHS, **DECISION_GLYPHS}[kind]
        line.append(glyph, style=style + (" underline" if underline else ""))
    return line


def _print_grid(console: Console, rows: list[GridRow], partitions: list[str]) -> None:
    label_width = max([len(label) for label, _, _ in rows] + [12]) + 2
    tail_width = max(len(tail) for _, _, tail in rows) + 2
    days = len(partitions)
    room = console.width - label_width - tail_width
    weeks = (room + 1) // 8  # a week is 7 marks and a space
    if days + (days - 1) // 7 <= room:
        blocks = [(0, days)]
    elif weeks >= 1:
        blocks = [(start, min(start + 7 * weeks, days)) for start in range(0, days, 7 * weeks)]
    else:
        _print_list(console, rows, partitions)
        return
    for number, (start, end) in enumerate(blocks):
        if number:
            console.print()
        for line in _header_lines(partitions[start:end], label_width):
            console.print(line)
        last = end == days
        for label, glyphs, tail in rows:
            line = Text(label.ljust(label_width))
            line.append_text(_marks(glyphs[start:end]))
            if last:
                line.append("  " + tail, style="dim")
            console.print(line, no_wrap=True)


def _print_list(console: Console, rows: list[GridRow], partitions: list[str]) -> None:
    """A narrow terminal: each asset's name and tail, then its days, whole
    weeks per line, each line opened by the month-day it starts on."""
    weeks = max(1, (console.width - 8) // 8)
    for label, glyphs, tail in rows:
        console.print(Text(label, style="bold").append("  " + tail, style="dim"))
        for start in range(0, len(glyphs), 7 * weeks):
            line = Text(f"  {partitions[start][5:]} ", style="dim")
            line.append_text(_marks(glyphs[start : start + 7 * weeks]))
            console.print(line, no_wrap=True)


def _print_problems(console: Console, cells: list[dict]) -> None:
    """The root problems first, each with its reasons in words; the cells
    blocked only because they read one of them are counted, not repeated;
    then the warnings of consumable cells. Cells that say the same share
    one line: the landing tables of a refused export, the days of one
    warning."""
    broken = [c for c in cells if not c["consumable"] and c["status"] != "not_available"]
    chained = [c for c in broken if "UPSTREAM_NOT_CONSUMABLE" in c["reasons"]]
    roots = [c for c in broken if "UPSTREAM_NOT_CONSUMABLE" not in c["reasons"]]
    warned = [c for c in cells if c["consumable"] and WARNING_CODES & set(c["reasons"])]

    def lines(found: list[dict], prefix: str, only: frozenset | None) -> list[str]:
        by_day: dict[tuple, list[str]] = {}
        for cell in found:
            details = [d for d in cell["reason_details"] if only is None or d["code"] in only]
            texts = "; ".join(map(explain_detail, details)) or cell["status"]
            by_day.setdefault((cell["partition"], cell["status"], texts), []).append(cell["asset"])
        same: dict[tuple, list[str]] = {}
        for (day, status, texts), assets in by_day.items():
            same.setdefault((", ".join(assets), status, texts), []).append(day)
        return [
            f"  {prefix}{assets} {_days(days)}: {status}: {texts}".replace(" :", ":")
            for (assets, status, texts), days in same.items()
        ]

    def say(line: str) -> None:
        # a hanging indent, so each problem reads as one item when wrapped
        for piece in textwrap.wrap(
            line, console.width, subsequent_indent="      ", break_on_hyphens=False
        ):
            console.print(Text(piece, style="dim"), no_wrap=True)

    def show(found: list[str], limit: int, more: str) -> None:
        for line in found[:limit]:
            say(line)
        if len(found) > limit:
            console.print(Text(f"  ... and {len(found) - limit} more ({more})", style="dim"))

    show(lines(roots, "", None), 15, "use --format json")
    if chained:
        named = ", ".join(f"{c['asset']} {c['partition']}" for c in chained[:6])
        say(
            f"  + {len(chained)} cell(s) blocked because they read one of these "
            f"(UPSTREAM_NOT_CONSUMABLE): {named}" + (" ..." if len(chained) > 6 else "")
        )
    show(lines(warned, "warning ", WARNING_CODES), 10, "warnings")


def _days(days: list[str | None]) -> str:
    named = [day for day in days if day]
    if not named:
        return ""
    return spans(named) + (f" ({len(named)} days)" if len(named) > 1 else "")
