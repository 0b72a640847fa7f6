"""An explicit hook to time the stages of a run (the benchmark uses it)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Literal, get_args

Stage = Literal["dbt", "counts", "evidence", "state"]
STAGES: tuple[Stage, ...] = get_args(Stage)
StageHook = Callable[[Stage, float], None]
"""Called with (stage, seconds) as each stage of a run ends: "dbt" the dbt
invocation, "counts" row counts and reconciliation, "evidence" building and
writing a day's evidence, "state" indexing the evidence into the state store.
A stage can be reported several times in one run (counts twice, evidence once
per day): add them up. Without a hook (None, the default) nothing is timed."""


@contextmanager
def stage(stages: StageHook | None, name: Stage) -> Iterator[None]:
    if stages is None:
        yield
        return
    started = time.perf_counter()
    try:
        yield
    finally:
        stages(name, time.perf_counter() - started)
