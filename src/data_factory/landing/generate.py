"""Synthetic helpdesk landing exports: ticket lifecycle events as NDJSON.

Layout written (the landing convention of ``FactoryPaths``)::

    <landing_root>/tickets/dt=YYYY-MM-DD/events-0001.jsonl [, events-0002.jsonl, ...]
    <landing_root>/tickets/dt=YYYY-MM-DD/_manifest.json

How a day is made
-----------------
* The tickets created on calendar day C, with their whole lifecycle (which can
  run into the following days), come from ``numpy.random.default_rng([seed,
  C.toordinal()])`` and nothing else.
* The export of day D holds every event whose ``event_at`` falls on D, taken
  from the tickets created on D-14 .. D. A lifecycle never outlasts 15 days,
  so nothing is lost, and the bytes of day D are the same whether D is
  generated alone or inside a range.
* Everything is vectorized: numpy draws the lifecycles, pyarrow compute
  assembles the JSON text column by column, and the files are written from the
  Arrow string buffer. There is no Python loop over tickets or events.

Faults (``FAULT_NAMES``) corrupt a day on purpose so that downstream checks
can be tested; see ``parse_faults``.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import re
import shutil
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from data_factory.core import paths as _paths

SOURCE = "helpdesk"
ENTITY = "ticket_events"
MANIFEST_NAME = "_manifest.json"
MANIFEST_VERSION = 1

EVENT_KEYS = (
    "event_id",
    "ticket_id",
    "event_type",
    "event_at",
    "customer_id",
    "agent_id",
    "channel",
    "priority",
    "category",
    "status",
)
EVENT_TYPES = (
    "created",
    "assigned",
    "first_response",
    "status_changed",
    "resolved",
    "reopened",
    "closed",
)
STATUSES = ("new", "open", "pending", "on_hold", "solved", "closed")
CHANNELS = ("email", "chat", "phone", "web")
PRIORITIES = ("low", "normal", "high", "urgent")
SLA_TIERS = ("enterprise", "business", "standard")

# A ticket's events all happen before the end of day C+14 (C = creation day).
LOOKBACK_DAYS = 14
MAX_TICKETS_PER_DAY = 500_000  # ticket numbers have six digits; Poisson noise needs headroom

FAULT_NAMES: tuple[str, ...] = (
    "duplicate_events",
    "malformed_lines",
    "missing_fields",
    "wrong_types",
    "out_of_day",
    "schema_drift",
    "bad_checksum",
    "missing_file",
    "empty_day",
    "unknown_agent",
    "bad_enum",
)
UNKNOWN_AGENT_ID = "agt_999"
BAD_CHANNEL = "fax"
MISSING_FILE_NAME = "events-9999.jsonl"

_DAY = 86_400
_HOUR = 3_600
_MINUTE = 60

# ---- distributions ------------------------------------------------------------------------
# volume: a week averages `tickets_per_day` (5 * 1.2 + 2 * 0.5 = 7)
_WEEKDAY_VOLUME, _WEEKEND_VOLUME = 1.2, 0.5
# relative ticket arrivals per UTC hour
_WEEKDAY_HOURS = np.array(
    [
        0.5,
        0.4,
        0.3,
        0.3,
        0.4,
        0.6,
        1.0,
        1.8,
        3.0,
        4.6,
        5.2,
        5.4,
        5.0,
        5.2,
        5.4,
        5.2,
        4.8,
        4.0,
        2.6,
        1.8,
        1.3,
        1.0,
        0.8,
        0.6,
    ]
)
_WEEKEND_HOURS = np.array(
    [
        0.7,
        0.6,
        0.5,
        0.5,
        0.5,
        0.6,
        0.8,
        1.0,
        1.3,
        1.5,
        1.6,
        1.6,
        1.6,
        1.6,
        1.5,
        1.5,
        1.4,
        1.3,
        1.2,
        1.1,
        1.0,
        0.9,
        0.8,
        0.8,
    ]
)
_PRIORITY_SHARE = np.array([0.30, 0.45, 0.18, 0.07])  # low, normal, high, urgent
_CHANNEL_SHARE = np.array([0.40, 0.25, 0.10, 0.25])  # email, chat, phone, web
_CHANNEL_RESPONSE_FACTOR = np.array([1.0, 0.35, 0.25, 1.0])  # chat/phone get answered faster
_CATEGORY_WEIGHT = {
    "billing": 18,
    "login": 15,
    "bug": 20,
    "feature_request": 10,
    "shipping": 12,
    "account": 15,
    "other": 10,
}
_TIER_TICKET_WEIGHT = {"enterprise": 3.0, "business": 1.5, "standard": 1.0}
# medians as a share of the SLA target: most tickets meet it, a lognormal tail breaches it
_FIRST_RESPONSE_MEDIAN_SHARE, _FIRST_RESPONSE_SIGMA = 0.45, 0.8
_RESOLUTION_MEDIAN_SHARE, _RESOLUTION_SIGMA = 0.40, 0.9
_STALLED_SHARE = 0.02  # tickets that wait on the customer and are never resolved
_RESOLVE_BY = 10 * _DAY  # resolutions later than this (from the creation day's start) stay open
_REOPEN_SHARE = 0.08
_REOPEN_DELAY = (10 * _HOUR, 30 * _MINUTE, 30 * _HOUR)  # median, min, max
_RESOLVE_AGAIN_DELAY = (4 * _HOUR, 10 * _MINUTE, 18 * _HOUR)
_CLOSE_DELAY = (36 * _HOUR, 72 * _HOUR)  # uniform [min, max)
# A resolution before day 10 (counted from the creation day's start) is followed by at most
# 30 h + 18 h + 72 h = 5 days of reopen / resolve again / close: every event lands within
# 15 days, which is why the export of day D only needs tickets created on D-14 .. D.

# ---- events of one ticket, in causal order (the sequence in the event id) ------------------
_STAGES = (  # (stage, event type index)
    ("created", 0),
    ("assigned", 1),
    ("first_response", 2),
    ("hold_1", 3),
    ("hold_2", 3),
    ("resolved", 4),
    ("reopened", 5),
    ("resolved_again", 4),
    ("closed", 6),
)
_STAGE_STATUS = {
    "created": "new",
    "assigned": "open",
    "first_response": "pending",
    "resolved": "solved",
    "reopened": "open",
    "resolved_again": "solved",
    "closed": "closed",
}


# =========================================================================================
# faults


@dataclass(frozen=True)
class FaultSpec:
    name: str
    day: date | None  # None: every generated day


_ISO_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


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
            try:
                if not _ISO_DAY.match(day_text):
                    raise ValueError(day_text)
                day = date.fromisoformat(day_text)
            except ValueError:
                raise ValueError(
                    f"fault {item!r}: the day after '@' must be a date written YYYY-MM-DD, "
                    f"got {day_text!r}"
                ) from None
        specs.append(FaultSpec(name, day))
    return specs


def _normalise_faults(faults) -> list[FaultSpec]:
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


def _faults_on(day: date, specs: list[FaultSpec]) -> set[str]:
    return {spec.name for spec in specs if spec.day is None or spec.day == day}


# =========================================================================================
# reference data (the dbt seeds)


def _seeds_dir() -> Path:
    return _paths.PROJECT_DIR / "seeds"


def _read_seed(name: str, columns: tuple[str, ...]) -> list[dict[str, str]]:
    path = _seeds_dir() / name
    with open(path, newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    if not rows:
        raise ValueError(f"seed file {path} has no rows")
    missing = [c for c in columns if c not in rows[0]]
    if missing:
        raise ValueError(f"seed file {path} lacks column(s): {', '.join(missing)}")
    return rows


def load_seed_ids() -> dict:
    """The reference data the generator draws from, read from ``seeds/*.csv``.

    Returns a dict with:
      ``agent_ids`` (tuple), ``agent_teams`` ({agent_id: team}),
      ``customer_ids`` (tuple), ``customer_tiers`` ({customer_id: sla_tier}),
      ``categories`` (tuple), ``billing_categories`` (tuple),
      ``sla_policies`` ({(sla_tier, priority): {"first_response_target_minutes": int,
      "resolution_target_hours": float}}).
    """
    agents = _read_seed("agents.csv", ("agent_id", "team"))
    customers = _read_seed("customers.csv", ("customer_id", "sla_tier"))
    categories = _read_seed("categories.csv", ("category", "is_billing"))
    policies = _read_seed(
        "sla_policies.csv",
        ("sla_tier", "priority", "first_response_target_minutes", "resolution_target_hours"),
    )
    sla = {
        (row["sla_tier"], row["priority"]): {
            "first_response_target_minutes": int(row["first_response_target_minutes"]),
            "resolution_target_hours": float(row["resolution_target_hours"]),
        }
        for row in policies
    }
    missing = [f"{t}/{p}" for t in SLA_TIERS for p in PRIORITIES if (t, p) not in sla]
    if missing:
        raise ValueError(f"sla_policies.csv has no row for: {', '.join(missing)}")
    unknown_tiers = sorted({row["sla_tier"] for row in customers} - set(SLA_TIERS))
    if unknown_tiers:
        raise ValueError(f"customers.csv uses unknown sla_tier(s): {', '.join(unknown_tiers)}")
    return {
        "agent_ids": tuple(row["agent_id"] for row in agents),
        "agent_teams": {row["agent_id"]: row["team"] for row in agents},
        "customer_ids": tuple(row["customer_id"] for row in customers),
        "customer_tiers": {row["customer_id"]: row["sla_tier"] for row in customers},
        "categories": tuple(row["category"] for row in categories),
        "billing_categories": tuple(
            row["category"]
            for row in categories
            if row["is_billing"].strip().lower() in ("true", "1", "yes")
        ),
        "sla_policies": sla,
    }


@dataclass(frozen=True)
class _Reference:
    """The seeds in the shape the vectorized code needs."""

    customer_tokens: pa.Array  # JSON text of each id, e.g. '"cus_00001"'
    customer_tier: np.ndarray  # index into SLA_TIERS
    customer_p: np.ndarray  # chance a ticket comes from each customer
    agent_tokens: pa.Array
    team_agents: dict[str, np.ndarray]  # team -> agent indices
    category_tokens: pa.Array
    category_p: np.ndarray
    category_route: np.ndarray  # 0 billing team, 1 second line (bugs), 2 first line
    first_response_median_s: np.ndarray  # [tier, priority]
    resolution_median_s: np.ndarray  # [tier, priority]

    @classmethod
    def build(cls, seeds: dict) -> _Reference:
        def tokens(values) -> pa.Array:
            return pa.array([json.dumps(v) for v in values], pa.string())

        tiers = np.array(
            [SLA_TIERS.index(seeds["customer_tiers"][c]) for c in seeds["customer_ids"]]
        )
        weight = np.array([_TIER_TICKET_WEIGHT[SLA_TIERS[t]] for t in tiers])
        teams: dict[str, list[int]] = {}
        for index, agent in enumerate(seeds["agent_ids"]):
            teams.setdefault(seeds["agent_teams"][agent], []).append(index)
        categories = seeds["categories"]
        cat_weight = np.array([_CATEGORY_WEIGHT.get(c, 5) for c in categories], float)
        route = np.array(
            [0 if c in seeds["billing_categories"] else 1 if c == "bug" else 2 for c in categories]
        )
        first_response = np.zeros((3, 4))
        resolution = np.zeros((3, 4))
        for (tier, priority), policy in seeds["sla_policies"].items():
            if tier in SLA_TIERS and priority in PRIORITIES:
                at = SLA_TIERS.index(tier), PRIORITIES.index(priority)
                first_response[at] = (
                    policy["first_response_target_minutes"] * _MINUTE * _FIRST_RESPONSE_MEDIAN_SHARE
                )
                resolution[at] = (
                    policy["resolution_target_hours"] * _HOUR * _RESOLUTION_MEDIAN_SHARE
                )
        return cls(
            customer_tokens=tokens(seeds["customer_ids"]),
            customer_tier=tiers,
            customer_p=weight / weight.sum(),
            agent_tokens=tokens(seeds["agent_ids"]),
            team_agents={team: np.array(ids) for team, ids in teams.items()},
            category_tokens=tokens(categories),
            category_p=cat_weight / cat_weight.sum(),
            category_route=route,
            first_response_median_s=first_response,
            resolution_median_s=resolution,
        )

    def pick_agents(
        self, route: np.ndarray, draw_team: np.ndarray, draw_agent: np.ndarray
    ) -> np.ndarray:
        """Billing tickets go to the billing team, bugs mostly to tier2, the rest
        mostly to tier1; a team missing from the seeds falls back to everyone."""
        every = np.arange(len(self.agent_tokens))
        billing = self.team_agents.get("billing", every)
        tier1 = self.team_agents.get("tier1", every)
        tier2 = self.team_agents.get("tier2", every)
        use_tier2 = np.where(route == 1, draw_team < 0.7, draw_team < 0.15)
        chosen = np.empty(len(route), dtype=np.int64)
        for mask, pool in (
            (route == 0, billing),
            ((route != 0) & use_tier2, tier2),
            ((route != 0) & ~use_tier2, tier1),
        ):
            chosen[mask] = pool[(draw_agent[mask] * len(pool)).astype(np.int64)]
        return chosen


# =========================================================================================
# simulation of one creation day


@dataclass(frozen=True)
class _CreatedDay:
    """Every event of the tickets created on one day (unsorted)."""

    day: date
    tickets: int
    # per ticket
    customer: np.ndarray
    agent: np.ndarray
    channel: np.ndarray
    priority: np.ndarray
    category: np.ndarray
    # per event
    ticket: np.ndarray  # ticket index (ticket number - 1)
    sequence: np.ndarray  # 1-based position in the ticket's lifecycle
    event_type: np.ndarray  # index into EVENT_TYPES
    status: np.ndarray  # index into STATUSES
    at: np.ndarray  # epoch seconds, UTC


def _epoch(day: date) -> int:
    return int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp())


def _lognormal(rng: np.random.Generator, median: np.ndarray, sigma: float) -> np.ndarray:
    return median * np.exp(sigma * rng.standard_normal(len(median)))


def _bounded_lognormal(rng, count: int, spec: tuple[int, int, int]) -> np.ndarray:
    median, low, high = spec
    return np.clip(_lognormal(rng, np.full(count, float(median)), 0.8), low, high).astype(np.int64)


def _simulate(day: date, tickets_per_day: int, seed: int, ref: _Reference) -> _CreatedDay:
    """The draws below run in a fixed order from one generator, so a creation
    day always yields the same tickets for the same (seed, tickets_per_day)."""
    rng = np.random.default_rng([seed, day.toordinal()])
    weekend = day.weekday() >= 5
    mean = tickets_per_day * (_WEEKEND_VOLUME if weekend else _WEEKDAY_VOLUME)
    n = int(rng.poisson(mean)) if mean > 0 else 0
    start = _epoch(day)

    hours = _WEEKEND_HOURS if weekend else _WEEKDAY_HOURS
    created = start + rng.choice(24, n, p=hours / hours.sum()) * _HOUR + rng.integers(0, _HOUR, n)
    customer = rng.choice(len(ref.customer_p), n, p=ref.customer_p)
    priority = rng.choice(4, n, p=_PRIORITY_SHARE)
    channel = rng.choice(4, n, p=_CHANNEL_SHARE)
    category = rng.choice(len(ref.category_p), n, p=ref.category_p)
    agent = ref.pick_agents(ref.category_route[category], rng.random(n), rng.random(n))
    tier = ref.customer_tier[customer]

    # first response: lognormal around a share of the SLA target, faster on chat/phone
    fr_median = ref.first_response_median_s[tier, priority] * _CHANNEL_RESPONSE_FACTOR[channel]
    fr_delay = np.clip(_lognormal(rng, fr_median, _FIRST_RESPONSE_SIGMA), 60, 3 * _DAY)
    first_response = created + fr_delay.astype(np.int64)
    assigned = created + np.maximum(10, (fr_delay * rng.uniform(0.05, 0.6, n))).astype(np.int64)
    first_response = np.maximum(first_response, assigned + 1)

    # resolution: lognormal around a share of the SLA target, counted from the first response
    res_delay = np.maximum(
        300.0, _lognormal(rng, ref.resolution_median_s[tier, priority], _RESOLUTION_SIGMA)
    )
    resolved = first_response + res_delay.astype(np.int64)
    stalled = rng.random(n) < _STALLED_SHARE
    is_resolved = ~stalled & (resolved < start + _RESOLVE_BY)

    # status changes while the ticket is worked (or while it waits, if it is still open)
    holds = rng.choice(3, n, p=(0.55, 0.30, 0.15))  # how many status_changed events
    waiting_until = first_response + rng.integers(_DAY, 5 * _DAY, n)
    work_end = np.where(is_resolved, resolved, waiting_until)
    span = work_end - first_response
    u = np.sort(rng.uniform(0.1, 0.9, (n, 2)), axis=1)
    hold_1 = np.maximum(first_response + (span * u[:, 0]).astype(np.int64), first_response + 1)
    hold_2 = np.maximum(first_response + (span * u[:, 1]).astype(np.int64), hold_1 + 1)
    first_hold_on_hold = rng.random(n) < 0.6  # on_hold, else open; the second is its follow-up
    resolved = np.maximum(
        resolved, np.where(holds == 2, hold_2, np.where(holds == 1, hold_1, first_response)) + 1
    )

    reopened_mask = is_resolved & (rng.random(n) < _REOPEN_SHARE)
    reopened = resolved + _bounded_lognormal(rng, n, _REOPEN_DELAY)
    resolved_again = reopened + _bounded_lognormal(rng, n, _RESOLVE_AGAIN_DELAY)
    final = np.where(reopened_mask, resolved_again, resolved)
    closed = final + rng.integers(_CLOSE_DELAY[0], _CLOSE_DELAY[1], n)

    present = {
        "created": np.ones(n, bool),
        "assigned": np.ones(n, bool),
        "first_response": np.ones(n, bool),
        "hold_1": holds >= 1,
        "hold_2": holds >= 2,
        "resolved": is_resolved,
        "reopened": reopened_mask,
        "resolved_again": reopened_mask,
        "closed": is_resolved,
    }
    times = {
        "created": created,
        "assigned": assigned,
        "first_response": first_response,
        "hold_1": hold_1,
        "hold_2": hold_2,
        "resolved": resolved,
        "reopened": reopened,
        "resolved_again": resolved_again,
        "closed": closed,
    }
    hold_1_status = np.where(first_hold_on_hold, STATUSES.index("on_hold"), STATUSES.index("open"))
    hold_2_status = np.where(first_hold_on_hold, STATUSES.index("open"), STATUSES.index("pending"))
    statuses = {"hold_1": hold_1_status, "hold_2": hold_2_status}

    flags = np.stack([present[name] for name, _ in _STAGES], axis=1)
    sequence_of = np.cumsum(flags, axis=1)  # sequence number where the stage is present
    index = np.arange(n)
    parts = {"ticket": [], "sequence": [], "event_type": [], "status": [], "at": []}
    for column, (name, kind) in enumerate(_STAGES):
        mask = present[name]
        parts["ticket"].append(index[mask])
        parts["sequence"].append(sequence_of[mask, column])
        parts["event_type"].append(np.full(int(mask.sum()), kind, np.int8))
        status = statuses.get(name)
        parts["status"].append(
            status[mask]
            if status is not None
            else np.full(int(mask.sum()), STATUSES.index(_STAGE_STATUS[name]))
        )
        parts["at"].append(times[name][mask])
    events = {
        key: np.concatenate(value) if value else np.zeros(0, np.int64)
        for key, value in parts.items()
    }
    horizon = start + (LOOKBACK_DAYS + 1) * _DAY
    if len(events["at"]) and events["at"].max() >= horizon:  # guaranteed by the bounds above
        raise AssertionError("a ticket lifecycle outlasted the export lookback window")
    return _CreatedDay(
        day=day,
        tickets=n,
        customer=customer,
        agent=agent,
        channel=channel,
        priority=priority,
        category=category,
        ticket=events["ticket"].astype(np.int64),
        sequence=events["sequence"].astype(np.int64),
        event_type=events["event_type"].astype(np.int64),
        status=events["status"].astype(np.int64),
        at=events["at"].astype(np.int64),
    )


# =========================================================================================
# one export day: select, sort, render


@dataclass
class _DayEvents:
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


def _events_on(day: date, created_days: list[_CreatedDay]) -> _DayEvents:
    start = _epoch(day)
    columns: dict[str, list[np.ndarray]] = {name: [] for name in _DayEvents.__dataclass_fields__}
    for created in created_days:
        on_day = (created.at >= start) & (created.at < start + _DAY)
        ticket = created.ticket[on_day]
        columns["created_ordinal"].append(np.full(len(ticket), created.day.toordinal()))
        columns["ticket"].append(ticket)
        for name in ("sequence", "event_type", "status", "at"):
            columns[name].append(getattr(created, name)[on_day])
        for name in ("customer", "agent", "channel", "priority", "category"):
            columns[name].append(getattr(created, name)[ticket])
    merged = {
        name: (np.concatenate(parts) if parts else np.zeros(0, np.int64)).astype(np.int64)
        for name, parts in columns.items()
    }
    # event_at then event_id; ids have fixed-width numbers, so numeric order is text order
    order = np.lexsort(
        (merged["sequence"], merged["ticket"], merged["created_ordinal"], merged["at"])
    )
    return _DayEvents(**{name: values[order] for name, values in merged.items()})


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
    start = _epoch(day)
    seconds = at - start
    days = pa.array([f'"{(day + timedelta(days=k)).isoformat()}T' for k in (-1, 0, 1)])
    return _join(
        _take(days, day_shift + 1),
        _take(_TWO_DIGITS, seconds // _HOUR),
        pa.scalar(":"),
        _take(_TWO_DIGITS, seconds % _HOUR // _MINUTE),
        pa.scalar(":"),
        _take(_TWO_DIGITS, seconds % _MINUTE),
        pa.scalar('Z"'),
    )


def _fault_rows(
    events: _DayEvents, day: date, seed: int, active: set[str]
) -> dict[str, np.ndarray]:
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


def _render(
    day: date, events: _DayEvents, ref: _Reference, seed: int, active: set[str]
) -> tuple[pa.Array, set[str]]:
    """The day's lines, each ending in a newline, and the row faults applied."""
    rows = len(events)
    if rows == 0:
        return pa.array([], pa.string()), set()
    chosen = _fault_rows(events, day, seed, active)
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
    shift = np.zeros(rows, np.int64)
    shift[out_of_day] = np.where(np.arange(int(out_of_day.sum())) % 2 == 0, -1, 1)
    event_at = _timestamp_tokens(day, events.at, shift)
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


def _buffer_of(lines: pa.Array) -> memoryview:
    """The concatenated text of a (sliced) string array, without copying."""
    if len(lines) == 0:
        return memoryview(b"")
    width = np.int64 if pa.types.is_large_string(lines.type) else np.int32
    offsets = np.frombuffer(
        lines.buffers()[1],
        dtype=width,
        count=len(lines) + 1,
        offset=np.dtype(width).itemsize * lines.offset,
    )
    return memoryview(lines.buffers()[2])[int(offsets[0]) : int(offsets[-1])]


# =========================================================================================
# writing


def _newlines(data: memoryview) -> int:
    return int(np.count_nonzero(np.frombuffer(data, dtype=np.uint8) == 0x0A))


@dataclass(frozen=True)
class DayExport:
    partition: str
    directory: Path
    files: int  # data files written
    lines: int  # physical lines written over all files
    tickets_created: int  # tickets whose `created` event is in this export
    faults: tuple[str, ...]  # faults applied to this day, in FAULT_NAMES order


def _partition_dir(landing_root: Path, partition: str) -> Path:
    """The layout of ``FactoryPaths.tickets_partition_dir``, rooted at `landing_root`
    (which is ``FactoryPaths.landing`` when called by the CLI)."""
    return Path(landing_root) / "tickets" / f"dt={partition}"


def _swap_in(staging: Path, target: Path) -> None:
    """Replace `target` by `staging`; a crash leaves either the old or the new day."""
    retired = None
    if target.exists():
        retired = target.with_name(f".retired-{target.name}-{os.getpid()}-{staging.name[-8:]}")
        os.replace(target, retired)
    try:
        os.replace(staging, target)
    except BaseException:
        if retired is not None:
            os.replace(retired, target)
        raise
    if retired is not None:
        shutil.rmtree(retired, ignore_errors=True)


def _write_day(
    target: Path,
    day: date,
    lines: pa.Array,
    *,
    seed: int,
    tickets_per_day: int,
    export_version: int,
    max_lines_per_file: int,
    faults: tuple[str, ...],
) -> int:
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".tmp-{target.name}-", dir=target.parent))
    try:
        entries = []
        starts = range(0, len(lines), max_lines_per_file) if len(lines) else [0]
        for number, begin in enumerate(starts, start=1):
            data = _buffer_of(lines.slice(begin, max_lines_per_file))
            name = f"events-{number:04d}.jsonl"
            with open(staging / name, "wb") as handle:
                handle.write(data)
            entries.append(
                {
                    "name": name,
                    "sha256": hashlib.sha256(data).hexdigest(),
                    "lines": _newlines(data),
                    "bytes": len(data),
                }
            )
        written = len(entries)
        if "bad_checksum" in faults:
            entries[0]["sha256"] = hashlib.sha256(
                b"bad_checksum:" + entries[0]["sha256"].encode()
            ).hexdigest()
        if "missing_file" in faults:
            entries.append(
                {
                    "name": MISSING_FILE_NAME,
                    "sha256": hashlib.sha256(MISSING_FILE_NAME.encode()).hexdigest(),
                    "lines": 1000,
                    "bytes": 250_000,
                }
            )
        manifest = {
            "manifest_version": MANIFEST_VERSION,
            "source": SOURCE,
            "entity": ENTITY,
            "partition": day.isoformat(),
            "export_version": export_version,
            "generated_at": f"{(day + timedelta(days=1)).isoformat()}T01:00:00Z",
            "seed": seed,
            "tickets_per_day": tickets_per_day,
            "files": entries,
            "total_lines": sum(entry["lines"] for entry in entries),
            "faults": list(faults),
        }
        (staging / MANIFEST_NAME).write_text(
            json.dumps(manifest, indent=2) + "\n", encoding="utf-8"
        )
        _swap_in(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return written


# =========================================================================================
# public entry points


def _check_int(name: str, value, minimum: int, maximum: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise ValueError(f"{name} must be an integer, got {value!r}")
    if value < minimum:
        raise ValueError(f"{name} must be at least {minimum}, got {value}")
    if maximum is not None and value > maximum:
        raise ValueError(f"{name} must be at most {maximum}, got {value}")
    return int(value)


def generate_range(
    landing_root: Path,
    start: date,
    days: int,
    *,
    tickets_per_day: int = 2000,
    seed: int = 42,
    faults: Iterable[FaultSpec] | str = (),
    export_version: int = 1,
    max_lines_per_file: int = 50_000,
    progress: Callable[[DayExport], None] | None = None,
) -> list[DayExport]:
    """Write the exports of `days` consecutive days starting at `start` under
    ``landing_root/tickets/dt=YYYY-MM-DD/``, each replacing any earlier export
    of that day. Returns one DayExport per day, in order; `progress` is called
    after each day is written."""
    if isinstance(start, datetime) or not isinstance(start, date):
        raise ValueError(f"start must be a datetime.date, got {start!r}")
    days = _check_int("days", days, 1)
    tickets_per_day = _check_int("tickets_per_day", tickets_per_day, 0, MAX_TICKETS_PER_DAY)
    seed = _check_int("seed", seed, 0)
    export_version = _check_int("export_version", export_version, 1)
    max_lines_per_file = _check_int("max_lines_per_file", max_lines_per_file, 1)
    specs = _normalise_faults(faults)
    ref = _Reference.build(load_seed_ids())

    cache: dict[date, _CreatedDay] = {}
    exports = []
    for offset in range(days):
        day = start + timedelta(days=offset)
        window = [day - timedelta(days=back) for back in range(LOOKBACK_DAYS, -1, -1)]
        for old in [d for d in cache if d < window[0]]:
            del cache[old]
        for created_day in window:
            if created_day not in cache:
                cache[created_day] = _simulate(created_day, tickets_per_day, seed, ref)
        active = _faults_on(day, specs)
        if "empty_day" in active:
            events = _events_on(day, [])
        else:
            events = _events_on(day, [cache[d] for d in window])
        lines, applied = _render(day, events, ref, seed, active)
        applied |= active & {"empty_day", "bad_checksum", "missing_file"}
        applied_faults = tuple(name for name in FAULT_NAMES if name in applied)
        target = _partition_dir(Path(landing_root), day.isoformat())
        files = _write_day(
            target,
            day,
            lines,
            seed=seed,
            tickets_per_day=tickets_per_day,
            export_version=export_version,
            max_lines_per_file=max_lines_per_file,
            faults=applied_faults,
        )
        created_here = int(
            np.count_nonzero(
                (events.event_type == EVENT_TYPES.index("created"))
                & (events.created_ordinal == day.toordinal())
            )
        )
        export = DayExport(
            partition=day.isoformat(),
            directory=target,
            files=files,
            lines=len(lines),
            tickets_created=created_here,
            faults=applied_faults,
        )
        exports.append(export)
        if progress is not None:
            progress(export)
    return exports


def generate_day(
    landing_root: Path,
    day: date,
    *,
    tickets_per_day: int = 2000,
    seed: int = 42,
    faults: Iterable[FaultSpec] | str = (),
    export_version: int = 1,
    max_lines_per_file: int = 50_000,
) -> DayExport:
    """Write the export of one day (see generate_range)."""
    return generate_range(
        landing_root,
        day,
        1,
        tickets_per_day=tickets_per_day,
        seed=seed,
        faults=faults,
        export_version=export_version,
        max_lines_per_file=max_lines_per_file,
    )[0]
