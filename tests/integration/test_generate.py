"""The landing-export generator: deterministic days, true manifests, plausible
helpdesk data, and faults that do exactly what their names say."""

from __future__ import annotations

import csv
import hashlib
import json
import re
import statistics
from collections import Counter, defaultdict
from datetime import date, datetime, timedelta
from itertools import pairwise

import pytest

from data_factory.core.paths import PROJECT_DIR, FactoryPaths
from data_factory.landing.generate.export import DayExport, generate_day, generate_range
from data_factory.landing.generate.faults import FAULT_NAMES, FaultSpec, parse_faults
from data_factory.landing.generate.reference import load_seed_ids

DAY = date(2026, 11, 3)  # a Tuesday
PARTITION = DAY.isoformat()
SMALL = 200  # tickets per day: enough for every fault, fast enough for the suite
MONTHS_START, MONTHS_DAYS = date(2026, 1, 5), 200
KEYS = {
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
}
STATUS_AFTER = {
    "created": {"new"},
    "assigned": {"open"},
    "first_response": {"pending"},
    "status_changed": {"on_hold", "open", "pending"},
    "resolved": {"solved"},
    "reopened": {"open"},
    "closed": {"closed"},
}
TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")


def day_dir(root, partition=PARTITION):
    return root / "tickets" / f"dt={partition}"


def manifest_of(root, partition=PARTITION) -> dict:
    return json.loads((day_dir(root, partition) / "_manifest.json").read_text())


def data_files(root, partition=PARTITION):
    return sorted(day_dir(root, partition).glob("events-*.jsonl"))


def raw_lines(root, partition=PARTITION) -> list[str]:
    lines = []
    for path in data_files(root, partition):
        lines.extend(path.read_text().splitlines())
    return lines


def events_of(root, partition=PARTITION) -> list[dict]:
    return [json.loads(line) for line in raw_lines(root, partition)]


def parsed_or_none(line: str):
    try:
        return json.loads(line)
    except json.JSONDecodeError:
        return None


def snapshot(root, partition=PARTITION) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(day_dir(root, partition).iterdir())}


def at(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ")


@pytest.fixture(scope="module")
def seeds() -> dict:
    return load_seed_ids()


@pytest.fixture(scope="module")
def clean_day(tmp_path_factory):
    """One clean day at SMALL tickets/day, shared by the read-only tests."""
    root = tmp_path_factory.mktemp("clean") / "landing"
    export = generate_day(root, DAY, tickets_per_day=SMALL, seed=42)
    return root, export


@pytest.fixture(scope="module")
def long_run(tmp_path_factory):
    """22 days: the first week's tickets, past their first two weeks."""
    root = tmp_path_factory.mktemp("long") / "landing"
    exports = generate_range(root, date(2026, 11, 2), 22, tickets_per_day=150, seed=11)
    by_ticket = defaultdict(list)
    for export in exports:
        for event in events_of(root, export.partition):
            by_ticket[event["ticket_id"]].append(event)
    first_week = {
        t: sorted(evs, key=lambda e: e["event_id"])
        for t, evs in by_ticket.items()
        if "20261102" <= t[4:12] <= "20261108"
    }
    return root, exports, first_week


@pytest.fixture(scope="module")
def months(tmp_path_factory):
    """200 days at 60 tickets/day: the tickets created in the first 20 days are
    seen to the end of their lifecycle (at most 180 days)."""
    root = tmp_path_factory.mktemp("months") / "landing"
    exports = generate_range(root, MONTHS_START, MONTHS_DAYS, tickets_per_day=60, seed=13)
    by_ticket = defaultdict(list)
    for export in exports:
        for event in events_of(root, export.partition):
            assert event["event_at"].startswith(export.partition)  # in the export of its day
            by_ticket[event["ticket_id"]].append(event)
    last_complete = (MONTHS_START + timedelta(days=MONTHS_DAYS - 181)).strftime("%Y%m%d")
    complete = {
        t: sorted(evs, key=lambda e: e["event_id"])
        for t, evs in by_ticket.items()
        if MONTHS_START.strftime("%Y%m%d") <= t[4:12] <= last_complete
    }
    return root, complete


def days_after_creation(events: list[dict], event: dict) -> float:
    return (at(event["event_at"]) - at(events[0]["event_at"])) / timedelta(days=1)


# --------------------------------------------------------------------------------------------
# determinism and independence of days


def test_same_seed_gives_the_same_bytes_and_another_seed_does_not(tmp_path):
    generate_day(tmp_path / "a", DAY, tickets_per_day=SMALL, seed=7)
    generate_day(tmp_path / "b", DAY, tickets_per_day=SMALL, seed=7)
    generate_day(tmp_path / "c", DAY, tickets_per_day=SMALL, seed=8)
    assert snapshot(tmp_path / "a") == snapshot(tmp_path / "b")
    assert (
        snapshot(tmp_path / "a")["events-0001.jsonl"]
        != snapshot(tmp_path / "c")["events-0001.jsonl"]
    )


def test_a_day_alone_is_byte_identical_to_the_same_day_inside_a_range(tmp_path):
    generate_day(tmp_path / "alone", DAY, tickets_per_day=SMALL, seed=5)
    exports = generate_range(
        tmp_path / "range", DAY - timedelta(days=3), 5, tickets_per_day=SMALL, seed=5
    )
    assert [e.partition for e in exports] == [
        (DAY + timedelta(days=k)).isoformat() for k in range(-3, 2)
    ]
    assert snapshot(tmp_path / "alone") == snapshot(tmp_path / "range")


def test_faults_are_deterministic_for_the_seed(tmp_path):
    faults = "duplicate_events,malformed_lines,wrong_types,out_of_day,schema_drift"
    generate_day(tmp_path / "a", DAY, tickets_per_day=SMALL, faults=parse_faults(faults))
    generate_day(tmp_path / "b", DAY, tickets_per_day=SMALL, faults=parse_faults(faults))
    assert snapshot(tmp_path / "a") == snapshot(tmp_path / "b")


# --------------------------------------------------------------------------------------------
# a clean day: files and manifest


def test_the_export_follows_the_landing_layout(tmp_path):
    paths = FactoryPaths(tmp_path / "home")
    export = generate_day(paths.landing, DAY, tickets_per_day=SMALL)
    assert export.directory == paths.tickets_partition_dir(PARTITION)
    assert sorted(p.name for p in export.directory.iterdir()) == [
        "_manifest.json",
        "events-0001.jsonl",
    ]
    assert [p.name for p in (paths.landing / "tickets").iterdir()] == [f"dt={PARTITION}"]


def test_the_manifest_tells_the_truth_about_the_files(clean_day):
    root, export = clean_day
    manifest = manifest_of(root)
    assert {
        k: manifest[k]
        for k in (
            "manifest_version",
            "source",
            "entity",
            "partition",
            "export_version",
            "generated_at",
            "seed",
            "tickets_per_day",
            "faults",
        )
    } == {
        "manifest_version": 1,
        "source": "helpdesk",
        "entity": "ticket_events",
        "partition": PARTITION,
        "export_version": 1,
        "generated_at": "2026-11-04T01:00:00Z",
        "seed": 42,
        "tickets_per_day": SMALL,
        "faults": [],
    }
    for entry in manifest["files"]:
        body = (day_dir(root) / entry["name"]).read_bytes()
        assert entry["sha256"] == hashlib.sha256(body).hexdigest()
        assert entry["bytes"] == len(body)
        assert entry["lines"] == body.count(b"\n")
        assert body.endswith(b"\n")
    assert manifest["total_lines"] == sum(f["lines"] for f in manifest["files"])
    assert manifest["total_lines"] == export.lines == len(raw_lines(root))
    assert export == DayExport(
        partition=PARTITION,
        directory=day_dir(root),
        files=1,
        lines=export.lines,
        tickets_created=export.tickets_created,
        faults=(),
    )
    created_today = [e for e in events_of(root) if e["event_type"] == "created"]
    assert export.tickets_created == len(created_today) > 0


def test_every_clean_line_is_a_valid_event_of_the_day(clean_day, seeds):
    root, _ = clean_day
    events = events_of(root)
    assert len(events) > 5 * SMALL  # the day holds earlier tickets' later events too
    agents, customers = set(seeds["agent_ids"]), set(seeds["customer_ids"])
    categories = set(seeds["categories"])
    for event in events:
        assert set(event) == KEYS
        assert all(isinstance(event[k], str) for k in KEYS - {"agent_id"})
        assert TIMESTAMP.match(event["event_at"]) and event["event_at"].startswith(PARTITION)
        assert event["customer_id"] in customers
        assert event["category"] in categories
        assert event["channel"] in {"email", "chat", "phone", "web"}
        assert event["priority"] in {"low", "normal", "high", "urgent"}
        assert event["status"] in STATUS_AFTER[event["event_type"]]
        if event["event_type"] == "created":
            assert event["agent_id"] is None
        else:
            assert event["agent_id"] in agents
        created_on = datetime.strptime(event["ticket_id"][4:12], "%Y%m%d").date()
        assert DAY - timedelta(days=180) <= created_on <= DAY
        assert event["event_id"].startswith("evt_" + event["ticket_id"][4:] + "_")
    assert len({e["event_id"] for e in events}) == len(events)
    order = [(e["event_at"], e["event_id"]) for e in events]
    assert order == sorted(order)


def test_a_big_day_is_split_into_numbered_files_with_the_same_content(tmp_path):
    whole = generate_day(tmp_path / "whole", DAY, tickets_per_day=SMALL)
    split = generate_day(tmp_path / "split", DAY, tickets_per_day=SMALL, max_lines_per_file=250)
    manifest = manifest_of(tmp_path / "split")
    expected_files = -(-whole.lines // 250)
    assert split.files == len(manifest["files"]) == expected_files > 2
    assert [f["name"] for f in manifest["files"]] == [
        f"events-{n:04d}.jsonl" for n in range(1, expected_files + 1)
    ]
    assert [f["lines"] for f in manifest["files"][:-1]] == [250] * (expected_files - 1)
    assert 0 < manifest["files"][-1]["lines"] <= 250
    joined = b"".join(p.read_bytes() for p in data_files(tmp_path / "split"))
    assert joined == (day_dir(tmp_path / "whole") / "events-0001.jsonl").read_bytes()
    assert manifest["total_lines"] == whole.lines == split.lines


def test_a_day_without_tickets_still_gets_one_empty_file(tmp_path):
    export = generate_day(tmp_path, DAY, tickets_per_day=0)
    assert (export.files, export.lines, export.tickets_created) == (1, 0, 0)
    assert (day_dir(tmp_path) / "events-0001.jsonl").read_bytes() == b""
    manifest = manifest_of(tmp_path)
    assert manifest["total_lines"] == 0
    assert manifest["files"] == [
        {
            "name": "events-0001.jsonl",
            "sha256": hashlib.sha256(b"").hexdigest(),
            "lines": 0,
            "bytes": 0,
        }
    ]


def test_regenerating_a_day_replaces_it_whole(tmp_path):
    generate_day(tmp_path, DAY, tickets_per_day=SMALL, max_lines_per_file=300)
    assert len(data_files(tmp_path)) > 1
    generate_day(tmp_path, DAY, tickets_per_day=SMALL, export_version=2)
    assert sorted(p.name for p in day_dir(tmp_path).iterdir()) == [
        "_manifest.json",
        "events-0001.jsonl",
    ]
    assert manifest_of(tmp_path)["export_version"] == 2
    # no temporary or retired directories are left beside the partitions
    assert [p.name for p in (tmp_path / "tickets").iterdir()] == [f"dt={PARTITION}"]


def test_progress_is_reported_once_per_day_in_order(tmp_path):
    seen = []
    exports = generate_range(tmp_path, DAY, 3, tickets_per_day=50, progress=seen.append)
    assert seen == exports
    assert [e.partition for e in seen] == ["2026-11-03", "2026-11-04", "2026-11-05"]


@pytest.mark.parametrize(
    "options, message",
    [
        ({"days": 0}, "days must be at least 1"),
        ({"tickets_per_day": -1}, "tickets_per_day must be at least 0"),
        ({"max_lines_per_file": 0}, "max_lines_per_file must be at least 1"),
        ({"export_version": 0}, "export_version must be at least 1"),
        ({"seed": -3}, "seed must be at least 0"),
        ({"tickets_per_day": "many"}, "tickets_per_day must be an integer"),
    ],
)
def test_bad_inputs_are_refused_before_anything_is_written(tmp_path, options, message):
    arguments = {"days": 1, **options}
    days = arguments.pop("days")
    with pytest.raises(ValueError, match=message):
        generate_range(tmp_path, DAY, days, **arguments)
    assert not (tmp_path / "tickets").exists()


# --------------------------------------------------------------------------------------------
# plausible helpdesk data


def test_lifecycles_are_complete_ordered_and_consistent(months):
    _, tickets = months
    assert len(tickets) > 1000
    priorities = ("low", "normal", "high", "urgent")
    retargeted = never_answered = solved_unanswered = 0
    for ticket_id, events in tickets.items():
        kinds = [e["event_type"] for e in events]
        assert kinds[:2] == ["created", "assigned"], ticket_id
        if "first_response" in kinds:
            assert kinds[2] == "first_response", ticket_id
        elif "resolved" in kinds:
            solved_unanswered += 1
        else:
            never_answered += 1
        assert [int(e["event_id"][-2:]) for e in events] == list(range(1, len(events) + 1))
        times = [at(e["event_at"]) for e in events]
        assert times == sorted(times)
        assert times[-1] - times[0] < timedelta(days=181), ticket_id
        assert times[0].date().strftime("%Y%m%d") == ticket_id[4:12]
        assert len({(e["customer_id"], e["channel"], e["category"]) for e in events}) == 1
        # the priority changes at most twice (triage, work), one step at a time
        steps = [priorities.index(e["priority"]) for e in events]
        changes = [b - a for a, b in pairwise(steps) if b != a]
        assert len(changes) <= 2 and all(abs(c) == 1 for c in changes), ticket_id
        retargeted += bool(changes)
        assert len({e["agent_id"] for e in events[1:]}) == 1
        # every ticket ends closed, solved first or closed unsolved by the helpdesk
        assert kinds[-1] == "closed" and kinds.count("closed") == 1, ticket_id
        if "resolved" in kinds:
            assert kinds.count("resolved") == 1 + kinds.count("reopened")
        else:
            assert "reopened" not in kinds
    # what the KPIs must get right is there, in about the generator's shares
    assert 0.08 < retargeted / len(tickets) < 0.30
    assert 0.005 < never_answered / len(tickets) < 0.05
    assert 0.005 < solved_unanswered / len(tickets) < 0.05


def test_some_tickets_stay_open_and_about_eight_percent_are_reopened(long_run):
    _, _, tickets = long_run
    kinds = {t: {e["event_type"] for e in events} for t, events in tickets.items()}
    resolved = [t for t, k in kinds.items() if "resolved" in k]
    backlog = len(tickets) - len(resolved)
    assert 0 < backlog < 0.15 * len(tickets)  # still open after 14 days
    reopened = sum("reopened" in kinds[t] for t in resolved)
    assert 0.05 <= reopened / len(resolved) <= 0.12


def test_some_tickets_stay_open_for_months_then_get_solved(months):
    _, tickets = months
    long_open = {
        t: events
        for t, events in tickets.items()
        if any(
            e["event_type"] == "resolved" and days_after_creation(events, e) > 30 for e in events
        )
    }
    assert 0.01 < len(long_open) / len(tickets) < 0.05
    for events in long_open.values():
        kinds = [e["event_type"] for e in events]
        solved = kinds.index("resolved")
        assert days_after_creation(events, events[solved]) < 180
        # customer replies and agent follow-ups on the days between
        touches = [e for e in events[3:solved] if days_after_creation(events, e) > 3]
        assert touches and {e["event_type"] for e in touches} == {"status_changed"}
        assert kinds[solved:] == ["resolved", "closed"]
    late_touches = [
        days_after_creation(events, e)
        for events in long_open.values()
        for e in events
        if e["event_type"] == "status_changed"
    ]
    assert max(late_touches) > 90  # some happen months after the ticket was opened


def test_some_tickets_are_reopened_twice_days_apart(months):
    _, tickets = months
    solved = {t: e for t, e in tickets.items() if any(x["event_type"] == "resolved" for x in e)}
    chains = {
        t: events
        for t, events in solved.items()
        if sum(e["event_type"] == "reopened" for e in events) >= 2
    }
    assert 0.01 < len(chains) / len(solved) < 0.05
    for events in chains.values():
        kinds = [e["event_type"] for e in events]
        tail = kinds[kinds.index("resolved") :]
        assert tail == ["resolved", "reopened", "resolved", "reopened", "resolved", "closed"]
        second_reopen = [i for i, k in enumerate(kinds) if k == "reopened"][1]
        gap = at(events[second_reopen]["event_at"]) - at(events[second_reopen - 1]["event_at"])
        assert gap >= timedelta(days=1)


def test_never_answered_tickets_are_closed_unanswered_after_a_long_wait(months):
    _, tickets = months
    unanswered = {
        t: events
        for t, events in tickets.items()
        if not any(e["event_type"] in {"first_response", "resolved"} for e in events)
    }
    assert 0.005 < len(unanswered) / len(tickets) < 0.05
    for events in unanswered.values():
        assert [e["event_type"] for e in events] == ["created", "assigned", "closed"]
        assert 60 <= days_after_creation(events, events[-1]) < 180


def test_no_ticket_stays_open_for_more_than_180_days(months):
    root, tickets = months
    last_day = (MONTHS_START + timedelta(days=MONTHS_DAYS - 1)).isoformat()
    for ticket_id, events in tickets.items():  # created 180 days or more before the last day
        assert events[-1]["status"] == "closed", ticket_id
        assert events[-1]["event_at"] < last_day
    # and the days reach that far back: the last one holds events of tickets
    # opened months before, exactly as when it is generated alone
    created = {e["ticket_id"][4:12] for e in events_of(root, last_day)}
    assert min(created) < (MONTHS_START + timedelta(days=MONTHS_DAYS - 90)).strftime("%Y%m%d")


def test_a_late_day_alone_is_byte_identical_to_the_same_day_after_months(months, tmp_path):
    root, _ = months
    last_day = MONTHS_START + timedelta(days=MONTHS_DAYS - 1)
    generate_day(tmp_path / "alone", last_day, tickets_per_day=60, seed=13)
    assert snapshot(tmp_path / "alone", last_day.isoformat()) == snapshot(
        root, last_day.isoformat()
    )


def test_volume_peaks_in_business_hours_on_weekdays(long_run):
    _, exports, tickets = long_run
    created = {e.partition: e.tickets_created for e in exports}
    weekdays = [created[d] for d in ("2026-11-02", "2026-11-03", "2026-11-04", "2026-11-05")]
    weekend = [created["2026-11-07"], created["2026-11-08"]]
    assert min(weekdays) > 1.5 * max(weekend)
    weekday_hours = [
        at(events[0]["event_at"]).hour
        for events in tickets.values()
        if at(events[0]["event_at"]).weekday() < 5
    ]
    assert sum(9 <= h < 17 for h in weekday_hours) / len(weekday_hours) > 0.55
    night = sum(h < 6 for h in weekday_hours) / len(weekday_hours)
    assert night < 0.1


def test_priority_mix_and_response_times_follow_priority_and_tier(long_run, seeds):
    _, _, tickets = long_run
    firsts = [events[0] for events in tickets.values()]
    share = {p: n / len(firsts) for p, n in Counter(e["priority"] for e in firsts).items()}
    assert 0.22 < share["low"] < 0.38 and 0.37 < share["normal"] < 0.53
    assert 0.12 < share["high"] < 0.24 and 0.03 < share["urgent"] < 0.12

    def delay(events, kind) -> float | None:
        later = [e for e in events if e["event_type"] == kind]
        return (
            (at(later[0]["event_at"]) - at(events[0]["event_at"])).total_seconds()
            if later
            else None
        )

    first_response = defaultdict(list)
    resolution = defaultdict(list)
    for events in tickets.values():
        tier = seeds["customer_tiers"][events[0]["customer_id"]]
        if (seconds := delay(events, "first_response")) is not None:
            first_response[events[0]["priority"]].append(seconds)
        if (seconds := delay(events, "resolved")) is not None:
            resolution[tier].append(seconds)
    medians = {p: statistics.median(v) for p, v in first_response.items()}
    assert medians["urgent"] < medians["high"] < medians["normal"] < medians["low"]
    assert statistics.median(resolution["enterprise"]) < statistics.median(resolution["standard"])
    assert max(max(v) for v in resolution.values()) > 3 * 86_400  # some take days


# --------------------------------------------------------------------------------------------
# faults


@pytest.fixture(scope="module")
def clean_lines(clean_day) -> list[str]:
    return raw_lines(clean_day[0])


@pytest.mark.parametrize("fault", FAULT_NAMES)
def test_each_fault_has_its_documented_effect(tmp_path, fault, clean_lines):
    export = generate_day(
        tmp_path, DAY, tickets_per_day=SMALL, seed=42, faults=parse_faults(f"{fault}@{PARTITION}")
    )
    manifest = manifest_of(tmp_path)
    assert manifest["faults"] == [fault] and export.faults == (fault,)
    lines = raw_lines(tmp_path)
    parsed = [parsed_or_none(line) for line in lines]
    objects = [p for p in parsed if isinstance(p, dict)]
    at_least = max(3, len(clean_lines) // 200)
    clean_set = set(clean_lines)
    changed = [line for line in lines if line not in clean_set]

    if fault == "duplicate_events":
        counts = Counter(lines)
        repeated = [line for line, n in counts.items() if n == 2]
        assert len(repeated) >= max(3, len(clean_lines) // 100)
        assert len(lines) == len(clean_lines) + len(repeated)
        assert set(lines) == set(clean_lines)
        ids = [o["event_id"] for o in objects]
        assert len(ids) - len(set(ids)) == len(repeated)
    elif fault == "malformed_lines":
        assert sum(p is None for p in parsed) >= at_least
        assert len(lines) == len(clean_lines)
    elif fault == "missing_fields":
        lacking = [o for o in objects if set(o) != KEYS]
        assert len(lacking) >= at_least
        for o in lacking:
            assert len(KEYS - set(o)) == 1 and (KEYS - set(o)) <= {
                "ticket_id",
                "event_at",
                "event_type",
            }
    elif fault == "wrong_types":
        wrong = [
            o
            for o in objects
            if not isinstance(o["priority"], str)
            or not isinstance(o["event_at"], str)
            or o["event_at"] == "not-a-date"
        ]
        assert len(wrong) >= at_least and len(wrong) == len(changed)
    elif fault == "out_of_day":
        outside = [o for o in objects if not o["event_at"].startswith(PARTITION)]
        assert len(outside) >= at_least
        for o in outside:
            assert TIMESTAMP.match(o["event_at"])
            assert abs((at(o["event_at"]).date() - DAY).days) == 1
        assert len(lines) == len(clean_lines)
    elif fault == "schema_drift":
        assert len(objects) == len(lines) == len(clean_lines)
        for o in objects:
            assert set(o) == KEYS | {"sentiment_score"}
            assert isinstance(o["sentiment_score"], float) and -1 <= o["sentiment_score"] <= 1
    elif fault == "bad_checksum":
        body = (day_dir(tmp_path) / "events-0001.jsonl").read_bytes()
        assert manifest["files"][0]["sha256"] != hashlib.sha256(body).hexdigest()
        assert manifest["files"][0]["lines"] == body.count(b"\n")
        assert lines == clean_lines
    elif fault == "missing_file":
        assert manifest["files"][-1]["name"] == "events-9999.jsonl"
        assert not (day_dir(tmp_path) / "events-9999.jsonl").exists()
        assert lines == clean_lines
    elif fault == "empty_day":
        assert lines == [] and manifest["total_lines"] == 0
        assert [f["name"] for f in manifest["files"]] == ["events-0001.jsonl"]
        assert export.tickets_created == 0
    elif fault == "unknown_agent":
        ghosts = [o for o in objects if o["agent_id"] == "agt_999"]
        assert len(ghosts) >= at_least and len(ghosts) == len(changed)
        assert all(set(o) == KEYS and o["event_type"] != "created" for o in ghosts)
    elif fault == "bad_enum":
        faxes = [o for o in objects if o["channel"] == "fax"]
        assert len(faxes) >= at_least and len(faxes) == len(changed)
        assert all(set(o) == KEYS for o in faxes)

    if fault not in (
        "duplicate_events",
        "schema_drift",
        "bad_checksum",
        "missing_file",
        "empty_day",
    ):
        # a few rows are damaged, each keeping its own line
        assert len(lines) == len(clean_lines)
        assert at_least <= len(changed) <= 0.02 * len(clean_lines) + 3
    if fault != "missing_file":
        assert manifest["total_lines"] == len(lines) == export.lines


def test_a_dated_fault_touches_only_its_day(tmp_path):
    generate_range(tmp_path / "plain", DAY, 2, tickets_per_day=SMALL)
    generate_range(
        tmp_path / "faulty",
        DAY,
        2,
        tickets_per_day=SMALL,
        faults=parse_faults("bad_enum@2026-11-04, duplicate_events@2026-11-04"),
    )
    assert snapshot(tmp_path / "plain") == snapshot(tmp_path / "faulty")
    assert manifest_of(tmp_path / "faulty", "2026-11-04")["faults"] == [
        "duplicate_events",
        "bad_enum",
    ]
    assert snapshot(tmp_path / "plain", "2026-11-04") != snapshot(tmp_path / "faulty", "2026-11-04")


def test_every_row_fault_at_once_keeps_lines_reconciled(tmp_path):
    faults = (
        "duplicate_events,malformed_lines,missing_fields,wrong_types,out_of_day,"
        "schema_drift,unknown_agent,bad_enum"
    )
    export = generate_day(tmp_path, DAY, tickets_per_day=SMALL, faults=faults)
    assert set(export.faults) == set(faults.split(","))
    lines = raw_lines(tmp_path)
    assert manifest_of(tmp_path)["total_lines"] == len(lines) == export.lines
    broken = sum(parsed_or_none(line) is None for line in lines)
    assert 3 <= broken < 0.05 * len(lines)


def test_parse_faults_reads_names_and_days():
    assert parse_faults(None) == [] and parse_faults("") == [] and parse_faults(" , ") == []
    assert parse_faults("empty_day, bad_enum@2026-11-03") == [
        FaultSpec("empty_day", None),
        FaultSpec("bad_enum", date(2026, 11, 3)),
    ]


@pytest.mark.parametrize(
    "text, message",
    [
        (
            "typo",
            r"unknown fault 'typo'; valid faults: duplicate_events, malformed_lines, .*bad_enum",
        ),
        ("bad_enum,nope@2026-11-03", "unknown fault 'nope'"),
        ("bad_enum@11/03/2026", "YYYY-MM-DD"),
        ("bad_enum@2026-02-30", "YYYY-MM-DD"),
        ("bad_enum@", "YYYY-MM-DD"),
    ],
)
def test_parse_faults_explains_what_is_wrong(text, message):
    with pytest.raises(ValueError, match=message):
        parse_faults(text)


# --------------------------------------------------------------------------------------------
# the seeds


def test_the_seeds_hold_the_reference_data(seeds):
    assert seeds["agent_ids"] == tuple(f"agt_{n:03d}" for n in range(1, 61))
    assert seeds["customer_ids"] == tuple(f"cus_{n:05d}" for n in range(1, 2001))
    tiers = Counter(seeds["customer_tiers"].values())
    assert abs(tiers["enterprise"] / 2000 - 0.10) < 0.02
    assert abs(tiers["business"] / 2000 - 0.30) < 0.03
    assert abs(tiers["standard"] / 2000 - 0.60) < 0.03
    assert set(seeds["agent_teams"].values()) >= {"tier1", "tier2", "billing"}
    assert "billing" in seeds["billing_categories"]
    assert {"billing", "login", "bug", "feature_request", "shipping", "account", "other"} <= set(
        seeds["categories"]
    )
    policies = seeds["sla_policies"]
    assert len(policies) == 12
    order = ("urgent", "high", "normal", "low")
    for tier in ("enterprise", "business", "standard"):
        for target in ("first_response_target_minutes", "resolution_target_hours"):
            values = [policies[(tier, p)][target] for p in order]
            assert values == sorted(values) and len(set(values)) == 4
    for priority in order:
        for target in ("first_response_target_minutes", "resolution_target_hours"):
            assert (
                policies[("enterprise", priority)][target]
                < policies[("business", priority)][target]
                < policies[("standard", priority)][target]
            )


def test_seed_files_have_snake_case_headers_and_unique_keys():
    expected = {
        "agents.csv": ["agent_id", "agent_name", "team", "hired_date"],
        "customers.csv": ["customer_id", "customer_name", "sla_tier", "region", "signed_up_date"],
        "sla_policies.csv": [
            "sla_tier",
            "priority",
            "first_response_target_minutes",
            "resolution_target_hours",
        ],
        "categories.csv": ["category", "category_name", "is_billing"],
    }
    for name, header in expected.items():
        with open(PROJECT_DIR / "seeds" / name, newline="") as handle:
            rows = list(csv.reader(handle))
        assert rows[0] == header, name
        keys = [tuple(r[:2]) if name == "sla_policies.csv" else r[0] for r in rows[1:]]
        assert len(keys) == len(set(keys)) and all(all(cell for cell in r) for r in rows[1:])
