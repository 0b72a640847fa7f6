"""The dbt docs site as one file: `dbt docs generate --static`, in-process,
telling each step on stderr as dbt reaches it, with the time elapsed.

dbt prints nothing of its own here (its log goes to a file), and a generate
takes several seconds (loading dbt, parsing, compiling every node, reading
the catalog); the steps are read from the events dbt's in-process runner
hands to its callbacks.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from data_factory.core.console import say
from data_factory.core.errors import BuildFailed
from data_factory.project.dbt_runner import DbtProject

SITE_NAME = "static_index.html"

# dbt event name -> the step it starts
STEPS = {
    "MainReportVersion": "parsing the project",
    "FoundStats": "compiling every model and check",
    "BuildingCatalog": "reading the warehouse catalog",
    "CatalogWritten": "site written",
}


def step_teller(
    tell: Callable[[str], None], clock: Callable[[], float] = time.monotonic
) -> tuple[Callable[[str], None], Callable]:
    """`(begin, on_event)`: begin(step) tells a step of our own; on_event
    tells the step a dbt event starts (once each). Every line carries the
    seconds since the teller was made."""
    started = clock()
    seen: set[str] = set()

    def begin(step: str) -> None:
        tell(f"  docs  {clock() - started:5.1f} s  {step}")

    def on_event(event) -> None:
        name = event.info.name
        if name not in STEPS or name in seen:
            return
        seen.add(name)
        begin(STEPS[name])

    return begin, on_event


def generate_site(project: DbtProject, target_dir: Path, tell=say) -> Path:
    """Generate the site into target_dir and return its path."""
    begin, on_event = step_teller(tell)
    begin("loading dbt")
    # docs generate parses for itself so the site gets a manifest and catalog
    invocation = project.invoke(
        ["docs", "generate", "--static"], target_dir, reuse_manifest=False, on_event=on_event
    )
    if not invocation.success:
        raise BuildFailed("DBT_DOCS_FAILED", f"dbt docs generate failed: {invocation.error}")
    return target_dir / SITE_NAME
