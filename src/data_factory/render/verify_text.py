"""`factory verify` for people: one line per broken cell (its first broken
link, what was expected, what was found, which file), or one line saying
every link holds. Takes the report's JSON form (verify.walk.to_dict)."""

from __future__ import annotations

import re

from rich.console import Console
from rich.table import Table
from rich.text import Text


def _scope(report: dict) -> str:
    scope = report["scope"]
    days = (
        scope["partition"]
        or (f"from {scope['since']}" if scope["since"] else None)
        or "every recorded day"
    )
    assets = ", ".join(scope["assets"]) or "every asset"
    return f"{assets}, {days}"


_SHA256 = re.compile(r"\b([0-9a-f]{12})[0-9a-f]{52}\b")


def _short(text: str, home: str) -> str:
    """A sha256 as its first 12 digits, a file of the home relative to it
    (the JSON keeps both whole)."""
    return _SHA256.sub(r"\1…", text.replace(home.rstrip("/") + "/", ""))


def render_verify(report: dict, console: Console) -> None:
    links = " -> ".join(report["links"])
    if report["holds"]:
        console.print(
            Text.assemble(
                ("✓ ", "green"),
                f"every link holds: {report['cells']} cell(s), {_scope(report)} "
                f"({report['seconds']:.1f} s)",
            )
        )
        return
    home = report["home"]
    grid = Table.grid(padding=(0, 1))
    grid.add_column(no_wrap=True)
    grid.add_column(overflow="fold")
    for item in report["broken"]:
        cell = f"{item['asset']} {item['partition'] or '(all)'}"
        words = f"; expected {item['expected']}; found {item['found']}; in {item['file']}"
        grid.add_row(
            Text(f"✗ {cell}", style="red"),
            Text.assemble((f"{item['link']}: {item['code']}", "bold"), _short(words, home)),
        )
    for item in report["unreadable_evidence"]:
        grid.add_row(
            Text("✗ evidence", style="red"),
            Text.assemble(
                ("unreadable", "bold"), _short(f"; {item['problem']}; in {item['file']}", home)
            ),
        )
    if report["broken"] or report["unreadable_evidence"]:
        console.print(grid)
    broken = len(report["broken"])
    if report["cells"] == 0:
        console.print(f"nothing to verify: no build evidence records a cell in {_scope(report)}")
    else:
        console.print(
            f"{broken} of {report['cells']} cell(s) broken ({_scope(report)}); links checked "
            f"in order: {links}; runbooks/evidence-changed.md says what to do"
        )
