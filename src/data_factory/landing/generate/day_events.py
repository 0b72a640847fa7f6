"""The events of one export day, selected from the tickets of the creation
days that can still have events on it, and sorted."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np

from data_factory.landing.generate.reference import DAY
from data_factory.landing.generate.simulate import CreatedDay, epoch


@dataclass
class DayEvents:
    created_ordinal: np.ndarray
    ticket: np.ndarray
    sequence: np.ndarray
    event_type: np.ndarray
    status: np.ndarray
    at: np.ndarray
    customer: np.ndarray
    agent: np.ndarray
    channel: np.ndarray
    priority: np.ndarray
    category: np.ndarray

    def __len__(self) -> int:
        return len(self.at)


def events_on(day: date, created_days: list[CreatedDay]) -> DayEvents:
    start = epoch(day)
    columns: dict[str, list[np.ndarray]] = {name: [] for name in DayEvents.__dataclass_fields__}
    for created in created_days:
        on_day = (created.at >= start) & (created.at < start + DAY)
        row = created.ticket[on_day]
        columns["created_ordinal"].append(np.full(len(row), created.day.toordinal()))
        columns["ticket"].append(created.number[row])
        for name in ("sequence", "event_type", "status", "at"):
            columns[name].append(getattr(created, name)[on_day])
        columns["priority"].append(created.event_priority[on_day])
        for name in ("customer", "agent", "channel", "category"):
            columns[name].append(getattr(created, name)[row])
    merged = {
        name: (np.concatenate(parts) if parts else np.zeros(0, np.int64)).astype(np.int64)
        for name, parts in columns.items()
    }
    # event_at then event_id; ids have fixed-width numbers, so numeric order is text order
    order = np.lexsort(
        (merged["sequence"], merged["ticket"], merged["created_ordinal"], merged["at"])
    )
    return DayEvents(**{name: values[order] for name, values in merged.items()})
