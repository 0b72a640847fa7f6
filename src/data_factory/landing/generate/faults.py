"""Faults that corrupt a day on purpose, so that downstream checks can be
tested: parsing ``NAME[@DAY]`` items, and the rows a row-level fault touches."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np

from data_factory.core.partitions import is_partition
from data_factory.landing.generate.day_events import DayEvents
from data_factory.landing.generate.reference import EVENT_TYPES

UNKNOWN_AGENT_ID = "agt_999"
BAD_CHANNEL = "fax"
MISSING_FILE_NAME = "events-9999.jsonl"


@dataclass(frozen=True)
class Fault:
    effect: str  # what the fault does to the export
    shows: str  # what the factory then says about the day
    runbook: str  # the runbook (in runbooks/) it exercises


def _warns(code: str) -> str:
    return f"consumable, with the warning {code} (~ in the grid)"


# `factory faults` prints these; row-level faults touch 0.5% of a day's events
# (at least 3), duplicate_events 1%.
FAULTS: dict[str, Fault] = {
    "duplicate_events": Fault(
        "sends 1% of the day's events twice (same event_id)",
        "nothing to fix: staging keeps one copy of each event, the counts reconcile",
        "daily-run.md",
    ),
    "malformed_lines": Fault(
        "cuts 0.5% of the lines mid-object or drops their closing brace",
        "lines rejected as MALFORMED_JSON, kept with their text; " + _warns("ROWS_REJECTED"),
        "daily-run.md",
    ),
    "missing_fields": Fault(
        "drops ticket_id, event_at or event_type from 0.5% of the lines",
        "lines rejected as MISSING_REQUIRED_FIELD; " + _warns("ROWS_REJECTED"),
        "daily-run.md",
    ),
    "wrong_types": Fault(
        "writes event_at as text or a number, or priority as a number, on 0.5% of the lines",
        "lines rejected as INVALID_TYPE; " + _warns("ROWS_REJECTED"),
        "daily-run.md",
    ),
    "out_of_day": Fault(
        "moves 0.5% of the events to the day before or after",
        "lines rejected as EVENT_OUTSIDE_PARTITION; " + _warns("ROWS_REJECTED"),
        "daily-run.md",
    ),
    "schema_drift": Fault(
        "adds a field the factory does not know (sentiment_score) to every line",
        "landed without the field; " + _warns("SCHEMA_DRIFT"),
        "daily-run.md",
    ),
    "bad_checksum": Fault(
        "writes a wrong sha256 for the first file in the manifest",
        "the export is refused (MANIFEST_CHECKSUM_MISMATCH, exit 3); the plan says await_export",
        "bad-or-corrected-export.md",
    ),
    "missing_file": Fault(
        f"lists a file in the manifest that is not there ({MISSING_FILE_NAME})",
        "the export is refused (MANIFEST_FILE_MISSING, exit 3); the plan says await_export",
        "bad-or-corrected-export.md",
    ),
    "empty_day": Fault(
        "exports the day with no events at all (one empty file)",
        "lands 0 rows; " + _warns("EMPTY_PARTITION"),
        "daily-run.md",
    ),
    "unknown_agent": Fault(
        f"gives 0.5% of the events (not `created` ones) an agent that does not exist "
        f"({UNKNOWN_AGENT_ID})",
        "a warn-severity relationships check finds rows; " + _warns("CHECK_WARNED"),
        "daily-run.md",
    ),
    "bad_enum": Fault(
        f"sets the channel of 0.5% of the events to a value outside the accepted ones "
        f"({BAD_CHANNEL!r})",
        "an error-severity accepted_values check fails (exit 1): the day is not consumable, "
        "the plan says investigate",
        "failed-check.md",
    ),
}
FAULT_NAMES: tuple[str, ...] = tuple(FAULTS)


@dataclass(frozen=True)
class FaultSpec:
    name: str
    day: date | None  # None: every generated day


def parse_faults(text: str | None) -> list[FaultSpec]:
    """Parse ``NAME`` or ``NAME@YYYY-MM-DD`` items, comma-separated.

    ``NAME`` applies to every generated day, ``NAME@DAY`` to that day only.
    Empty text (or None) means no faults. Raises ValueError on an unknown name
    (listing the valid ones) or a day that is not a real YYYY-MM-DD date.
    """
    specs: list[FaultSpec] = []
    for raw in (text or "").split(","):
        item = raw.strip()
        if not item:
            continue
        name, at_sign, day_text = (part.strip() for part in item.partition("@"))
        if name not in FAULT_NAMES:
            raise ValueError(f"unknown fault {name!r}; valid faults: {', '.join(FAULT_NAMES)}")
        day = None
        if at_sign:
            if not is_partition(day_text):
                raise ValueError(
                    f"fault {item!r}: the day after '@' must be a date written YYYY-MM-DD, "
                    f"got {day_text!r}"
                )
            day = date.fromisoformat(day_text)
        specs.append(FaultSpec(name, day))
    return specs


def normalise_faults(faults) -> list[FaultSpec]:
    if faults is None:
        return []
    if isinstance(faults, str):
        return parse_faults(faults)
    specs = []
    for fault in faults:
        if isinstance(fault, str):
            specs.extend(parse_faults(fault))
        elif isinstance(fault, FaultSpec):
            if fault.name not in FAULT_NAMES:
                raise ValueError(
                    f"unknown fault {fault.name!r}; valid faults: {', '.join(FAULT_NAMES)}"
                )
            specs.append(fault)
        else:
            raise ValueError(f"a fault must be a FaultSpec or a string, got {fault!r}")
    return specs


def faults_on(day: date, specs: list[FaultSpec]) -> set[str]:
    return {spec.name for spec in specs if spec.day is None or spec.day == day}


def fault_rows(events: DayEvents, day: date, seed: int, active: set[str]) -> dict[str, np.ndarray]:
    """Disjoint, seed-determined row sets for the row-level faults that are active."""
    rows = len(events)
    rng = np.random.default_rng([seed, day.toordinal(), 0xFA17])
    shuffled = rng.permutation(rows)
    taken = np.zeros(rows, bool)
    chosen: dict[str, np.ndarray] = {}
    eligible_for = {"unknown_agent": events.event_type != EVENT_TYPES.index("created")}
    for name in (
        "duplicate_events",
        "malformed_lines",
        "missing_fields",
        "wrong_types",
        "out_of_day",
        "unknown_agent",
        "bad_enum",
    ):
        if name not in active:
            continue
        share = 0.01 if name == "duplicate_events" else 0.005
        want = max(3, round(rows * share))
        eligible = ~taken[shuffled]
        if name in eligible_for:
            eligible &= eligible_for[name][shuffled]
        picked = np.sort(shuffled[eligible][:want])
        taken[picked] = True
        chosen[name] = picked
    return chosen
