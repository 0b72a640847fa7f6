"""Realistic helpdesk exports: ticket lifecycle events as NDJSON + manifest.

Vectorized: numpy draws every ticket's lifecycle at once, DuckDB formats the
JSON lines, pyarrow joins them; there is no per-event Python loop, so a
100k-event day takes about a second.

Determinism: the tickets created on day C come from
`default_rng([seed, C.toordinal()])`, and the export of day D holds the events
of tickets created on D-14..D that happen on D. So a day's bytes are the same
whether it is generated alone or inside a range.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import shutil
import tempfile
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Callable

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .paths import PROJECT_DIR

SEEDS_DIR = PROJECT_DIR / "seeds"
LIFECYCLE_DAYS = 14  # a ticket's events span at most this many days after creation
DAY_SECONDS = 86_400

EVENT_TYPES = ("created", "assigned", "first_response", "status_changed",
               "resolved", "reopened", "closed")
EVENT_STATUS = {
    "created": "new", "assigned": "open", "first_response": "pending",
    "resolved": "solved", "reopened": "open", "closed": "closed",
}
PRIORITIES = ("low", "normal", "high", "urgent")
PRIORITY_SHARE = (0.30, 0.45, 0.18, 0.07)
CHANNELS = ("email", "chat", "phone", "web")
CHANNEL_SHARE = (0.45, 0.25, 0.10, 0.20)
# median minutes to first response, and hours to resolution, per priority
FIRST_RESPONSE_MEDIAN_MIN = np.array([300.0, 150.0, 40.0, 15.0])
RESOLUTION_MEDIAN_H = np.array([60.0, 30.0, 10.0, 4.0])
TIER_SPEED = {"enterprise": 0.5, "business": 0.75, "standard": 1.0}
# share of the day's tickets created in each UTC hour, weekdays and weekends
WEEKDAY_HOURS = np.array([1, 1, 1, 1, 1, 2, 3, 5, 8, 10, 10, 9, 8, 9, 10, 9, 8, 6, 4, 3, 2, 2, 1, 1], float)
WEEKEND_HOURS = np.array([2, 1, 1, 1, 1, 1, 2, 2, 3, 4, 4, 4, 4, 4, 4, 4, 3, 3, 3, 3, 3, 2, 2, 2], float)
WEEKEND_VOLUME = 0.45

FAULT_NAMES = (
    "duplicate_events", "malformed_lines", "missing_fields", "wrong_types", "out_of_day",
    "schema_drift", "bad_checksum", "missing_file", "empty_day", "unknown_agent", "bad_enum",
)
# Row-level faults: a code per row, turned into text by DuckDB.
_ROW_FAULTS = {"malformed_lines": 1, "missing_fields": 2, "wrong_types": 3, "out_of_day": 4,
               "unknown_agent": 5, "bad_enum": 6}


@dataclass(frozen=True)
class FaultSpec:
    name: str
    day: date | None  # None: every generated day


@dataclass(frozen=True)
class DayExport:
    partition: str
    directory: Path
    files: int
    lines: int
    tickets_created: int
    faults: tuple[str, ...]


def parse_faults(text: str | None) -> list[FaultSpec]:
    """`NAME` or `NAME@YYYY-MM-DD`, comma-separated."""
    specs = []
    for item in (text or "").split(","):
        item = item.strip()
        if not item:
            continue
        name, _, day = item.partition("@")
        if name not in FAULT_NAMES:
            raise ValueError(f"unknown fault {name!r}; valid faults: {', '.join(FAULT_NAMES)}")
        try:
            when = date.fromisoformat(day) if day else None
        except ValueError:
            raise ValueError(f"fault {item!r}: the day after @ must be YYYY-MM-DD") from None
        specs.append(FaultSpec(name, when))
    return specs


def _faults_for(day: date, faults) -> tuple[str, ...]:
    return tuple(sorted({f.name for f in faults if f.day is None or f.day == day}))


# --------------------------------------------------------------------------
# reference data


@dataclass(frozen=True)
class Reference:
    customer_ids: np.ndarray
    customer_speed: np.ndarray  # tier speed factor per customer
    agent_ids: np.ndarray
    categories: np.ndarray


def _read_csv(name: str) -> list[dict]:
    with open(SEEDS_DIR / name, newline="") as handle:
        return list(csv.DictReader(handle))


def load_seed_ids() -> Reference:
    customers = _read_csv("customers.csv")
    return Reference(
        customer_ids=np.array([c["customer_id"] for c in customers]),
        customer_speed=np.array([TIER_SPEED[c["sla_tier"]] for c in customers]),
        agent_ids=np.array([a["agent_id"] for a in _read_csv("agents.csv")]),
        categories=np.array([c["category"] for c in _read_csv("categories.csv")]),
    )


# --------------------------------------------------------------------------
# tickets and their events


def _lognormal(rng, median: np.ndarray, sigma: float) -> np.ndarray:
    return median * np.exp(sigma * rng.standard_normal(median.shape))


def tickets_created_on(day: date, tickets_per_day: int, seed: int, ref: Reference) -> dict:
    """Every event of every ticket created on `day`, as numpy columns."""
    rng = np.random.default_rng([seed, day.toordinal()])
    weekend = day.weekday() >= 5
    count = int(rng.poisson(tickets_per_day * (WEEKEND_VOLUME if weekend else 1.0)))
    hours = WEEKEND_HOURS if weekend else WEEKDAY_HOURS
    day_start = int(datetime(day.year, day.month, day.day, tzinfo=timezone.utc).timestamp())

    created = day_start + rng.choice(24, count, p=hours / hours.sum()) * 3600 \
        + rng.integers(0, 3600, count)
    customer = rng.integers(0, len(ref.customer_ids), count)
    priority = rng.choice(4, count, p=PRIORITY_SHARE)
    channel = rng.choice(4, count, p=CHANNEL_SHARE)
    category = rng.integers(0, len(ref.categories), count)
    agent = rng.integers(0, len(ref.agent_ids), count)
    speed = ref.customer_speed[customer]

    first_response = created + 60 + (
        _lognormal(rng, FIRST_RESPONSE_MEDIAN_MIN[priority] * speed, 0.9) * 60).astype(np.int64)
    assigned = created + ((first_response - created) * rng.uniform(0.1, 0.6, count)).astype(np.int64)
    resolved = first_response + (
        _lognormal(rng, RESOLUTION_MEDIAN_H[priority] * speed, 1.0) * 3600).astype(np.int64)
    horizon = day_start + LIFECYCLE_DAYS * DAY_SECONDS
    is_resolved = (rng.random(count) > 0.06) & (resolved < horizon)
    has_hold = rng.random(count) < 0.35
    hold = first_response + ((resolved - first_response) * rng.uniform(0.2, 0.8, count)).astype(np.int64)
    is_reopened = is_resolved & (rng.random(count) < 0.08)
    reopened = resolved + (_lognormal(rng, np.full(count, 20.0), 0.8) * 3600).astype(np.int64)
    resolved_again = reopened + (_lognormal(rng, np.full(count, 6.0), 0.8) * 3600).astype(np.int64)
    final_resolution = np.where(is_reopened, resolved_again, resolved)
    closed = final_resolution + 3 * DAY_SECONDS + rng.integers(0, 6 * 3600, count)

    ticket = np.arange(count)
    parts = [
        ("created", ticket, created),
        ("assigned", ticket, assigned),
        ("first_response", ticket, first_response),
        ("status_changed", ticket[has_hold], hold[has_hold]),
        ("resolved", ticket[is_resolved], resolved[is_resolved]),
        ("reopened", ticket[is_reopened], reopened[is_reopened]),
        ("resolved", ticket[is_reopened], resolved_again[is_reopened]),
        ("closed", ticket[is_resolved], closed[is_resolved]),
    ]
    kinds = np.concatenate([np.full(len(t), EVENT_TYPES.index(k)) for k, t, _ in parts])
    owners = np.concatenate([t for _, t, _ in parts])
    at = np.concatenate([s for _, _, s in parts])
    # events of one ticket, in time order, numbered 1, 2, ...
    order = np.lexsort((kinds, at, owners))
    kinds, owners, at = kinds[order], owners[order], at[order]
    first_of_ticket = np.r_[True, owners[1:] != owners[:-1]]
    starts = np.maximum.accumulate(np.where(first_of_ticket, np.arange(len(owners)), 0))
    sequence = np.arange(len(owners)) - starts + 1
    hold_status = rng.choice(3, len(owners), p=(0.5, 0.3, 0.2))  # on_hold, pending, open
    return {
        "created_day": np.full(len(owners), day.strftime("%Y%m%d")),
        "ticket_number": owners + 1,
        "sequence": sequence,
        "event_type": np.array(EVENT_TYPES)[kinds],
        "event_epoch": at,
        "customer_id": ref.customer_ids[customer[owners]],
        # unassigned until the `assigned` event
        "agent_id": np.where(kinds == 0, None, ref.agent_ids[agent[owners]]),
        "channel": np.array(CHANNELS)[channel[owners]],
        "priority": np.array(PRIORITIES)[priority[owners]],
        "category": ref.categories[category[owners]],
        "hold_status": np.array(["on_hold", "pending", "open"])[hold_status],
        "tickets": count,
    }


def _events_on(day: date, created_days: dict[date, dict]) -> pa.Table:
    day_start = int(datetime(day.year, day.month, day.day, tzinfo=timezone.utc).timestamp())
    columns: dict[str, list] = {}
    for tickets in created_days.values():
        on_day = (tickets["event_epoch"] >= day_start) & (tickets["event_epoch"] < day_start + DAY_SECONDS)
        for name, values in tickets.items():
            if name != "tickets":
                columns.setdefault(name, []).append(values[on_day])
    return pa.table({name: pa.array(np.concatenate(parts)) for name, parts in columns.items()})


def _fault_codes(rng, rows: int, faults: tuple[str, ...]) -> np.ndarray:
    codes = np.zeros(rows, dtype=np.int8)
    free = rng.permutation(rows)
    cursor = 0
    for name in faults:
        if name not in _ROW_FAULTS:
            continue
        take = min(max(3, rows // 200), rows - cursor)
        codes[free[cursor:cursor + take]] = _ROW_FAULTS[name]
        cursor += take
    return codes


_LINES_SQL = """
with events as (
    select
        *,
        'evt_' || created_day || '_' || lpad(cast(ticket_number as varchar), 6, '0')
            || '_' || lpad(cast(sequence as varchar), 2, '0') as event_id,
        'tkt_' || created_day || '_' || lpad(cast(ticket_number as varchar), 6, '0') as ticket_id,
        strftime(make_timestamp(cast(event_epoch as bigint) * 1000000), '%Y-%m-%dT%H:%M:%SZ')
            as event_at,
        case event_type
            when 'created' then 'new' when 'assigned' then 'open'
            when 'first_response' then 'pending' when 'resolved' then 'solved'
            when 'reopened' then 'open' when 'closed' then 'closed'
            else hold_status
        end as status
    from events_table
),
shaped as (
    select
        event_at, event_id, fault_code, copies,
        to_json(struct_pack(
            event_id := event_id, ticket_id := ticket_id, event_type := event_type,
            event_at := event_at, customer_id := customer_id,
            agent_id := case when fault_code = 5 and agent_id is not null then 'agt_999'
                             else agent_id end,
            channel := case when fault_code = 6 then 'fax' else channel end,
            priority := priority, category := category, status := status
        ))::varchar as line
    from events
),
faulted as (
    select
        event_at, event_id, copies,
        case fault_code
            when 1 then left(line, length(line) // 2)
            when 2 then regexp_replace(line, '"ticket_id":"[^"]*",', '')
            when 3 then case when hash(event_id) % 2 = 0
                then regexp_replace(line, '"priority":"[a-z]+"', '"priority":3')
                else regexp_replace(line, '"event_at":"[^"]*"', '"event_at":"not-a-date"') end
            when 4 then regexp_replace(line, '"event_at":"[^"]*"',
                '"event_at":"' || $outside_day || 'T12:00:00Z"')
            else line
        end as line
    from shaped
)
select
    case when $drift then left(line, length(line) - 1)
        || ',"sentiment_score":' || cast(round((hash(event_id) % 200) / 100.0 - 1, 2) as varchar)
        || '}' else line end as line
from faulted, range(copies)
order by event_at, event_id
"""


def _render_lines(events: pa.Table, day: date, faults: tuple[str, ...], seed: int) -> pa.Array:
    rng = np.random.default_rng([seed, day.toordinal(), 7])
    rows = events.num_rows
    copies = np.ones(rows, dtype=np.int8)
    if "duplicate_events" in faults and rows:
        copies[rng.choice(rows, max(1, rows // 100), replace=False)] = 2
    events_table = events.append_column("fault_code", pa.array(_fault_codes(rng, rows, faults))) \
        .append_column("copies", pa.array(copies))
    connection = duckdb.connect()
    try:
        connection.register("events_table", events_table)
        result = connection.sql(_LINES_SQL, params={
            "outside_day": (day - timedelta(days=1)).isoformat(),
            "drift": "schema_drift" in faults,
        }).to_arrow_table()
    finally:
        connection.close()
    return result.column("line").combine_chunks()


def _joined_bytes(lines: pa.Array) -> bytes:
    if len(lines) == 0:
        return b""
    one_list = pa.ListArray.from_arrays(pa.array([0, len(lines)], pa.int32()), lines)
    return pc.binary_join(one_list, "\n")[0].as_py().encode() + b"\n"


# --------------------------------------------------------------------------
# writing a day


def _write_day(landing_root: Path, day: date, lines: pa.Array, *, faults, seed, tickets_per_day,
               export_version, max_lines_per_file) -> DayExport:
    partition = day.isoformat()
    target = landing_root / "tickets" / f"dt={partition}"
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".dt={partition}-", dir=target.parent))
    try:
        files = []
        chunks = [lines.slice(start, max_lines_per_file)
                  for start in range(0, len(lines), max_lines_per_file)] or [lines]
        for number, chunk in enumerate(chunks, start=1):
            name = f"events-{number:04d}.jsonl"
            body = _joined_bytes(chunk)
            (staging / name).write_bytes(body)
            files.append({"name": name, "sha256": hashlib.sha256(body).hexdigest(),
                          "lines": body.count(b"\n"), "bytes": len(body)})
        if "bad_checksum" in faults:
            files[0]["sha256"] = hashlib.sha256(b"not the file").hexdigest()
        if "missing_file" in faults:
            files.append({"name": "events-9999.jsonl", "sha256": hashlib.sha256(b"").hexdigest(),
                          "lines": 0, "bytes": 0})
        manifest = {
            "manifest_version": 1,
            "source": "helpdesk",
            "entity": "ticket_events",
            "partition": partition,
            "export_version": export_version,
            "generated_at": f"{(day + timedelta(days=1)).isoformat()}T01:00:00Z",
            "seed": seed,
            "tickets_per_day": tickets_per_day,
            "files": files,
            "total_lines": sum(f["lines"] for f in files),
            "faults": list(faults),
        }
        (staging / "_manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
        # swap the whole directory, so a re-generated day never keeps stale files
        retired = None
        if target.exists():
            retired = target.with_name(f".retired-{target.name}-{os.getpid()}")
            os.replace(target, retired)
        os.replace(staging, target)
        if retired:
            shutil.rmtree(retired, ignore_errors=True)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return DayExport(partition=partition, directory=target, files=len(files),
                     lines=manifest["total_lines"], tickets_created=0, faults=tuple(faults))


def generate_range(landing_root: Path, start: date, days: int, *, tickets_per_day: int = 2000,
                   seed: int = 42, faults=(), export_version: int = 1,
                   max_lines_per_file: int = 50_000,
                   progress: Callable[[DayExport], None] | None = None) -> list[DayExport]:
    if days < 1:
        raise ValueError("days must be at least 1")
    if tickets_per_day < 0:
        raise ValueError("tickets_per_day must not be negative")
    if max_lines_per_file < 1:
        raise ValueError("max_lines_per_file must be at least 1")
    ref = load_seed_ids()
    cache: dict[date, dict] = {}
    exports = []
    for offset in range(days):
        day = start + timedelta(days=offset)
        day_faults = _faults_for(day, faults)
        window = [day - timedelta(days=back) for back in range(LIFECYCLE_DAYS, -1, -1)]
        for created_day in window:
            if created_day not in cache:
                cache[created_day] = tickets_created_on(created_day, tickets_per_day, seed, ref)
        for old in [d for d in cache if d < window[0]]:
            del cache[old]
        if "empty_day" in day_faults:
            lines = pa.array([], pa.string())
        else:
            events = _events_on(day, {d: cache[d] for d in window})
            lines = _render_lines(events, day, day_faults, seed)
        export = _write_day(landing_root, day, lines, faults=day_faults, seed=seed,
                            tickets_per_day=tickets_per_day, export_version=export_version,
                            max_lines_per_file=max_lines_per_file)
        export = DayExport(**{**export.__dict__, "tickets_created": cache[day]["tickets"]})
        exports.append(export)
        if progress:
            progress(export)
    return exports


def generate_day(landing_root: Path, day: date, **options) -> DayExport:
    return generate_range(landing_root, day, 1, **options)[0]
