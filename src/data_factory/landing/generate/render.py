"""The JSON lines of one export day, assembled column by column with pyarrow
compute, with the row faults applied."""

from __future__ import annotations

import json
from datetime import date

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from data_factory.core.partitions import shift
from data_factory.landing.generate.day_events import DayEvents
from data_factory.landing.generate.faults import BAD_CHANNEL, UNKNOWN_AGENT_ID, fault_rows
from data_factory.landing.generate.reference import (
    CHANNELS,
    EVENT_KEYS,
    EVENT_TYPES,
    HOUR,
    MINUTE,
    PRIORITIES,
    STATUSES,
    Reference,
)
from data_factory.landing.generate.simulate import epoch


def _take(tokens: pa.Array, indices: np.ndarray) -> pa.Array:
    return tokens.take(pa.array(indices, pa.int64()))


def _join(*pieces, separator: str = "") -> pa.Array:
    return pc.binary_join_element_wise(*pieces, separator, null_handling="skip")


def _digits(values: np.ndarray, width: int) -> pa.Array:
    return pc.utf8_lpad(pa.array(values, pa.int64()).cast(pa.string()), width, "0")


_TWO_DIGITS = pa.array([f"{i:02d}" for i in range(60)], pa.string())
_STATUS_TOKENS = pa.array([json.dumps(s) for s in STATUSES], pa.string())
_TYPE_TOKENS = pa.array([json.dumps(t) for t in EVENT_TYPES], pa.string())
_CHANNEL_TOKENS = pa.array([json.dumps(c) for c in CHANNELS], pa.string())
_PRIORITY_TOKENS = pa.array([json.dumps(p) for p in PRIORITIES], pa.string())
_SCORE_TOKENS = pa.array([f"{v / 100:.2f}" for v in range(-100, 101)], pa.string())


def _timestamp_tokens(day: date, at: np.ndarray, day_shift: np.ndarray) -> pa.Array:
    """'"YYYY-MM-DDTHH:MM:SSZ"' for events on `day`, moved by `day_shift` days."""
    start = epoch(day)
    seconds = at - start
    days = pa.array([f'"{shift(day.isoformat(), k)}T' for k in (-1, 0, 1)])
    return _join(
        _take(days, day_shift + 1),
        _take(_TWO_DIGITS, seconds // HOUR),
        pa.scalar(":"),
        _take(_TWO_DIGITS, seconds % HOUR // MINUTE),
        pa.scalar(":"),
        _take(_TWO_DIGITS, seconds % MINUTE),
        pa.scalar('Z"'),
    )


def render_lines(
    day: date, events: DayEvents, ref: Reference, seed: int, active: set[str]
) -> tuple[pa.Array, set[str]]:
    """The day's lines, each ending in a newline, and the row faults applied."""
    rows = len(events)
    if rows == 0:
        return pa.array([], pa.string()), set()
    chosen = fault_rows(events, day, seed, active)
    applied = {name for name, picked in chosen.items() if len(picked)}

    def mask(name: str, variant: int | None = None, variants: int = 1) -> np.ndarray:
        flags = np.zeros(rows, bool)
        picked = chosen.get(name, np.zeros(0, np.int64))
        if variant is not None:
            picked = picked[np.arange(len(picked)) % variants == variant]
        flags[picked] = True
        return flags

    def when(flags: np.ndarray, replacement, original: pa.Array) -> pa.Array:
        if not flags.any():
            return original
        return pc.if_else(pa.array(flags), replacement, original)

    day_strings = pa.array(
        [date.fromordinal(int(o)).strftime("%Y%m%d") for o in np.unique(events.created_ordinal)]
    )
    day_index = np.searchsorted(np.unique(events.created_ordinal), events.created_ordinal)
    ticket_ref = _join(_take(day_strings, day_index), pa.scalar("_"), _digits(events.ticket + 1, 6))
    event_id = _join(
        pa.scalar('"evt_'), ticket_ref, pa.scalar("_"), _digits(events.sequence, 2), pa.scalar('"')
    )
    ticket_id = _join(pa.scalar('"tkt_'), ticket_ref, pa.scalar('"'))

    out_of_day = mask("out_of_day")
    day_shift = np.zeros(rows, np.int64)
    day_shift[out_of_day] = np.where(np.arange(int(out_of_day.sum())) % 2 == 0, -1, 1)
    event_at = _timestamp_tokens(day, events.at, day_shift)
    # wrong types, three kinds in turn: event_at text, event_at number, priority number
    event_at = when(mask("wrong_types", 0, 3), pa.scalar('"not-a-date"'), event_at)
    event_at = when(
        mask("wrong_types", 1, 3), pa.array(events.at, pa.int64()).cast(pa.string()), event_at
    )
    priority = _take(_PRIORITY_TOKENS, events.priority)
    priority = when(mask("wrong_types", 2, 3), pa.scalar("3"), priority)

    agent = _take(ref.agent_tokens, events.agent)
    agent = when(events.event_type == EVENT_TYPES.index("created"), pa.scalar("null"), agent)
    agent = when(mask("unknown_agent"), pa.scalar(json.dumps(UNKNOWN_AGENT_ID)), agent)
    channel = when(
        mask("bad_enum"), pa.scalar(json.dumps(BAD_CHANNEL)), _take(_CHANNEL_TOKENS, events.channel)
    )

    values = {
        "event_id": event_id,
        "ticket_id": ticket_id,
        "event_type": _take(_TYPE_TOKENS, events.event_type),
        "event_at": event_at,
        "customer_id": _take(ref.customer_tokens, events.customer),
        "agent_id": agent,
        "channel": channel,
        "priority": priority,
        "category": _take(ref.category_tokens, events.category),
        "status": _take(_STATUS_TOKENS, events.status),
    }
    # missing fields, three kinds in turn: no ticket_id, no event_at, no event_type
    dropped = {
        "ticket_id": mask("missing_fields", 0, 3),
        "event_at": mask("missing_fields", 1, 3),
        "event_type": mask("missing_fields", 2, 3),
    }
    fields = []
    for key in EVENT_KEYS:
        field = _join(pa.scalar(f'"{key}":'), values[key])
        if key in dropped:
            field = when(dropped[key], pa.scalar(None, pa.string()), field)
        fields.append(field)
    if "schema_drift" in active:
        score = np.random.default_rng([seed, day.toordinal(), 0xD21F]).integers(0, 201, rows)
        fields.append(_join(pa.scalar('"sentiment_score":'), _take(_SCORE_TOKENS, score)))
        applied.add("schema_drift")
    body = _join(pa.scalar("{"), _join(*fields, separator=","), pa.scalar("}"))
    # malformed, two kinds in turn: cut mid-object, or the closing brace lost
    body = when(mask("malformed_lines", 0, 2), pc.utf8_slice_codeunits(body, 0, 70), body)
    body = when(mask("malformed_lines", 1, 2), pc.utf8_slice_codeunits(body, 0, -1), body)
    lines = _join(body, pa.scalar("\n"))
    if "duplicate_events" in chosen:
        copies = np.ones(rows, np.int64)
        copies[chosen["duplicate_events"]] = 2
        lines = lines.take(pa.array(np.repeat(np.arange(rows), copies)))
    return lines, applied
