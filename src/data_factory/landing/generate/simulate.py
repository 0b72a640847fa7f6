"""The vectorized simulation: every event of the tickets created on one day.

Most lifecycles end within a few days; a few run for months (tickets waiting
on the customer or on a fix, tickets nobody answers), and every ticket ends
solved or closed before the end of day C + LOOKBACK_DAYS (C = creation day):
the open set of a long history stays bounded."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

import numpy as np

from data_factory.landing.generate.reference import (
    DAY,
    HOUR,
    MINUTE,
    STATUSES,
    Reference,
)

# A ticket's events all happen before the end of day C+180 (C = creation day).
LOOKBACK_DAYS = 180

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
# the spread of the lognormal delays (their medians, a share of the SLA target: reference.py)
_FIRST_RESPONSE_SIGMA = 0.8
_RESOLUTION_SIGMA = 0.9
_STALLED_SHARE = 0.02  # tickets that wait on the customer and are never resolved
_RESOLVE_BY = 10 * DAY  # resolutions later than this (from the creation day's start) stay open
_REOPEN_SHARE = 0.08
_REOPEN_DELAY = (10 * HOUR, 30 * MINUTE, 30 * HOUR)  # median, min, max
_RESOLVE_AGAIN_DELAY = (4 * HOUR, 10 * MINUTE, 18 * HOUR)
_CLOSE_DELAY = (36 * HOUR, 72 * HOUR)  # uniform [min, max)
# What the KPIs must get right (drawn after everything above, so that adding
# them left the rest of a generated history as it was):
_TRIAGE_RETARGET_SHARE = 0.12  # the priority changes at assignment, before the reply
_WORK_RETARGET_SHARE = 0.10  # ... or while the ticket is worked, after the reply
_ESCALATION_SHARE = 0.6  # of those changes, one step up (else one step down)
_NEVER_ANSWERED_SHARE = 0.02  # no reply, never resolved: overdue until the export ends
_SOLVED_UNANSWERED_SHARE = 0.02  # resolved without any first_response event
# Long lifecycles (drawn after everything above, for the same reason). Uniform [min, max),
# counted from the creation day's start unless said otherwise.
_LONG_OPEN_SHARE = 0.025  # answered tickets waiting on the customer or a fix for months
_LONG_OPEN_SOLVED = (30 * DAY, 175 * DAY)  # ... solved then (closed as any solved one)
_LONG_OPEN_TOUCHES = 4  # at most, status changes in between: customer replies, follow-ups
_CHAIN_SHARE = 0.30  # of the reopened tickets, reopened again once solved again
_CHAIN_REOPEN_DELAY = (1 * DAY, 6 * DAY)  # after the second solve; then solved a third time
_AUTO_CLOSE_AFTER_WAIT = (21 * DAY, 60 * DAY)  # unsolved (stalled, late): after the wait
_AUTO_CLOSE_UNANSWERED = (60 * DAY, 175 * DAY)  # never answered: closed without a reply
# The bounds: a first solve before day 10 is followed by at most 30 h + 18 h + 6 days + 18 h
# + 72 h (reopen / solve again / reopen / solve / close); a long-open ticket is closed by
# day 175 + 3; an unsolved one by day 4 + 5 + 60 (stalled, late) or 175 (never answered).
# So every event lands before the end of day C + 180, which is why the export of day D only
# needs the tickets created on D-180 .. D.

# ---- events of one ticket, in causal order (the sequence in the event id) ------------------
_TOUCHES = tuple(f"touch_{k}" for k in range(1, _LONG_OPEN_TOUCHES + 1))
_STAGES = (  # (stage, event type index)
    ("created", 0),
    ("assigned", 1),
    ("first_response", 2),
    ("hold_1", 3),
    ("hold_2", 3),
    *((name, 3) for name in _TOUCHES),
    ("resolved", 4),
    ("reopened", 5),
    ("resolved_again", 4),
    ("reopened_again", 5),
    ("resolved_third", 4),
    ("closed", 6),
)
_STAGE_STATUS = {
    "created": "new",
    "assigned": "open",
    "first_response": "pending",
    "resolved": "solved",
    "reopened": "open",
    "resolved_again": "solved",
    "reopened_again": "open",
    "resolved_third": "solved",
    "closed": "closed",
}


@dataclass(frozen=True)
class CreatedDay:
    """Every event of the tickets created on one day (unsorted)."""

    day: date
    tickets: int
    # per ticket
    number: np.ndarray  # ticket number - 1
    customer: np.ndarray
    agent: np.ndarray
    channel: np.ndarray
    priority: np.ndarray  # at creation
    category: np.ndarray
    # per event
    ticket: np.ndarray  # index into the per-ticket arrays
    event_priority: np.ndarray  # the ticket's priority when the event happened
    sequence: np.ndarray  # 1-based position in the ticket's lifecycle
    event_type: np.ndarray  # index into EVENT_TYPES
    status: np.ndarray  # index into STATUSES
    at: np.ndarray  # epoch seconds, UTC

    def since(self, moment: int) -> CreatedDay:
        """The events at `moment` or later, and only the tickets they belong to:
        an export range keeps months of creation days, this keeps each to its tail."""
        keep = self.at >= moment
        rows, ticket = np.unique(self.ticket[keep], return_inverse=True)
        per_ticket = ("number", "customer", "agent", "channel", "priority", "category")
        per_event = ("event_priority", "sequence", "event_type", "status", "at")
        return CreatedDay(
            day=self.day,
            tickets=self.tickets,
            ticket=ticket.astype(np.int64),
            **{name: getattr(self, name)[rows] for name in per_ticket},
            **{name: getattr(self, name)[keep] for name in per_event},
        )


def epoch(day: date) -> int:
    return int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp())


def _lognormal(rng: np.random.Generator, median: np.ndarray, sigma: float) -> np.ndarray:
    return median * np.exp(sigma * rng.standard_normal(len(median)))


def _bounded_lognormal(rng, count: int, spec: tuple[int, int, int]) -> np.ndarray:
    median, low, high = spec
    return np.clip(_lognormal(rng, np.full(count, float(median)), 0.8), low, high).astype(np.int64)


def simulate(day: date, tickets_per_day: int, seed: int, ref: Reference) -> CreatedDay:
    """The draws below run in a fixed order from one generator, so a creation
    day always yields the same tickets for the same (seed, tickets_per_day)."""
    rng = np.random.default_rng([seed, day.toordinal()])
    weekend = day.weekday() >= 5
    mean = tickets_per_day * (_WEEKEND_VOLUME if weekend else _WEEKDAY_VOLUME)
    n = int(rng.poisson(mean)) if mean > 0 else 0
    start = epoch(day)

    hours = _WEEKEND_HOURS if weekend else _WEEKDAY_HOURS
    created = start + rng.choice(24, n, p=hours / hours.sum()) * HOUR + rng.integers(0, HOUR, n)
    customer = rng.choice(len(ref.customer_p), n, p=ref.customer_p)
    priority = rng.choice(4, n, p=_PRIORITY_SHARE)
    channel = rng.choice(4, n, p=_CHANNEL_SHARE)
    category = rng.choice(len(ref.category_p), n, p=ref.category_p)
    agent = ref.pick_agents(ref.category_route[category], rng.random(n), rng.random(n))
    tier = ref.customer_tier[customer]

    # first response: lognormal around a share of the SLA target, faster on chat/phone
    fr_median = ref.first_response_median_s[tier, priority] * _CHANNEL_RESPONSE_FACTOR[channel]
    fr_delay = np.clip(_lognormal(rng, fr_median, _FIRST_RESPONSE_SIGMA), 60, 3 * DAY)
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
    waiting_until = first_response + rng.integers(DAY, 5 * DAY, n)
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

    # priority changes (escalations and de-escalations, one step, within the
    # four priorities), tickets never answered, tickets solved without a reply
    triage_change = rng.random(n) < _TRIAGE_RETARGET_SHARE
    work_change = (holds >= 1) & (rng.random(n) < _WORK_RETARGET_SHARE)
    step = np.where(rng.random((n, 2)) < _ESCALATION_SHARE, 1, -1)
    after_triage = np.clip(priority + np.where(triage_change, step[:, 0], 0), 0, 3)
    after_work = np.clip(after_triage + np.where(work_change, step[:, 1], 0), 0, 3)
    outcome = rng.random(n)
    never_answered = outcome < _NEVER_ANSWERED_SHARE
    solved_unanswered = ~never_answered & (
        outcome < _NEVER_ANSWERED_SHARE + _SOLVED_UNANSWERED_SHARE
    )
    is_resolved &= ~never_answered
    reopened_mask &= ~never_answered

    # long lifecycles: open for months, then solved, with status changes on the
    # days they happen; reopen chains; and an automatic close for every ticket
    # never solved, so that none stays open for ever
    long_open = ~(never_answered | solved_unanswered) & (rng.random(n) < _LONG_OPEN_SHARE)
    long_solved = start + rng.integers(*_LONG_OPEN_SOLVED, n)
    touches = rng.integers(1, _LONG_OPEN_TOUCHES + 1, n)  # how many touch events
    last_hold = np.where(holds == 2, hold_2, np.where(holds == 1, hold_1, first_response))
    touch_at = np.sort(rng.uniform(0.05, 0.95, (n, _LONG_OPEN_TOUCHES)), axis=1)
    touch_at = last_hold[:, None] + (touch_at * (long_solved - last_hold)[:, None]).astype(np.int64)
    chained = reopened_mask & ~long_open & (rng.random(n) < _CHAIN_SHARE)
    reopened_again = resolved_again + rng.integers(*_CHAIN_REOPEN_DELAY, n)
    resolved_third = reopened_again + _bounded_lognormal(rng, n, _RESOLVE_AGAIN_DELAY)
    wait_close = waiting_until + rng.integers(*_AUTO_CLOSE_AFTER_WAIT, n)
    unanswered_close = start + rng.integers(*_AUTO_CLOSE_UNANSWERED, n)

    close_wait = closed - final
    resolved = np.where(long_open, long_solved, resolved)
    is_resolved |= long_open
    reopened_mask &= ~long_open
    final = np.where(chained, resolved_third, np.where(long_open, resolved, final))
    auto_closed = ~is_resolved
    closed = np.where(
        auto_closed, np.where(never_answered, unanswered_close, wait_close), final + close_wait
    )

    present = {
        "created": np.ones(n, bool),
        "assigned": np.ones(n, bool),
        "first_response": ~(never_answered | solved_unanswered),
        "hold_1": (holds >= 1) & ~never_answered,
        "hold_2": (holds >= 2) & ~never_answered,
        **{name: long_open & (touches > k) for k, name in enumerate(_TOUCHES)},
        "resolved": is_resolved,
        "reopened": reopened_mask,
        "resolved_again": reopened_mask,
        "reopened_again": chained,
        "resolved_third": chained,
        "closed": np.ones(n, bool),
    }
    # a stage's priority: the initial one, the triaged one from assignment
    # on, the reworked one from the first hold on
    stage_priority = {"created": priority, "first_response": after_triage, "assigned": after_triage}
    times = {
        "created": created,
        "assigned": assigned,
        "first_response": first_response,
        "hold_1": hold_1,
        "hold_2": hold_2,
        "resolved": resolved,
        "reopened": reopened,
        "resolved_again": resolved_again,
        "reopened_again": reopened_again,
        "resolved_third": resolved_third,
        "closed": closed,
        **{name: touch_at[:, k] for k, name in enumerate(_TOUCHES)},
    }
    hold_1_status = np.where(first_hold_on_hold, STATUSES.index("on_hold"), STATUSES.index("open"))
    hold_2_status = np.where(first_hold_on_hold, STATUSES.index("open"), STATUSES.index("pending"))
    statuses = {"hold_1": hold_1_status, "hold_2": hold_2_status}
    for k, name in enumerate(_TOUCHES):  # a customer reply, then an agent follow-up, ...
        statuses[name] = np.full(n, STATUSES.index("pending" if k % 2 else "open"))

    flags = np.stack([present[name] for name, _ in _STAGES], axis=1)
    sequence_of = np.cumsum(flags, axis=1)  # sequence number where the stage is present
    index = np.arange(n)
    parts = {"ticket": [], "sequence": [], "event_type": [], "status": [], "at": [], "priority": []}
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
        parts["priority"].append(stage_priority.get(name, after_work)[mask])
    events = {
        key: np.concatenate(value) if value else np.zeros(0, np.int64)
        for key, value in parts.items()
    }
    horizon = start + (LOOKBACK_DAYS + 1) * DAY
    if len(events["at"]) and events["at"].max() >= horizon:  # guaranteed by the bounds above
        raise AssertionError("a ticket lifecycle outlasted the export lookback window")
    return CreatedDay(
        day=day,
        tickets=n,
        number=np.arange(n),
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
        event_priority=events["priority"].astype(np.int64),
    )
