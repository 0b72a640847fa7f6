"""The export generator: deterministic, realistic, and faults that do what they say."""

from __future__ import annotations

import hashlib
import json
from datetime import date

import pytest

from data_factory.generate import FAULT_NAMES, generate_range, load_seed_ids, parse_faults

START = date(2026, 11, 2)  # a Monday
KEYS = {"event_id", "ticket_id", "event_type", "event_at", "customer_id", "agent_id",
        "channel", "priority", "category", "status"}


def _lines(root, day="2026-11-02"):
    directory = root / "tickets" / f"dt={day}"
    return [line for path in sorted(directory.glob("events-*.jsonl"))
            for line in path.read_text().splitlines()]


def _manifest(root, day="2026-11-02"):
    return json.loads((root / "tickets" / f"dt={day}" / "_manifest.json").read_text())


def test_same_seed_same_bytes_and_a_day_alone_equals_the_day_in_a_range(tmp_path):
    generate_range(tmp_path / "a", START, 3, tickets_per_day=200, seed=7)
    generate_range(tmp_path / "b", date(2026, 11, 4), 1, tickets_per_day=200, seed=7)
    generate_range(tmp_path / "c", date(2026, 11, 4), 1, tickets_per_day=200, seed=8)
    a = (tmp_path / "a/tickets/dt=2026-11-04/events-0001.jsonl").read_bytes()
    b = (tmp_path / "b/tickets/dt=2026-11-04/events-0001.jsonl").read_bytes()
    c = (tmp_path / "c/tickets/dt=2026-11-04/events-0001.jsonl").read_bytes()
    assert a == b and a != c
    assert _manifest(tmp_path / "a", "2026-11-04") == _manifest(tmp_path / "b", "2026-11-04")


def test_a_clean_day_is_valid_and_its_manifest_is_true(tmp_path):
    generate_range(tmp_path, START, 1, tickets_per_day=300)
    ref = load_seed_ids()
    lines = _lines(tmp_path)
    events = [json.loads(line) for line in lines]
    assert all(set(e) == KEYS for e in events)
    assert len({e["event_id"] for e in events}) == len(events)
    assert all(e["event_at"].startswith("2026-11-02T") and e["event_at"].endswith("Z") for e in events)
    assert {e["customer_id"] for e in events} <= set(ref.customer_ids)
    assert {e["agent_id"] for e in events} - {None} <= set(ref.agent_ids)
    assert all(e["agent_id"] is None for e in events if e["event_type"] == "created")
    manifest = _manifest(tmp_path)
    (entry,) = manifest["files"]
    body = (tmp_path / "tickets/dt=2026-11-02" / entry["name"]).read_bytes()
    assert entry["sha256"] == hashlib.sha256(body).hexdigest()
    assert entry["lines"] == body.count(b"\n") == len(lines) == manifest["total_lines"]
    assert entry["bytes"] == len(body)


def test_distributions_look_like_a_helpdesk(tmp_path):
    exports = generate_range(tmp_path, START, 7, tickets_per_day=400)
    created = {e.partition: e.tickets_created for e in exports}
    assert created["2026-11-02"] > 1.5 * created["2026-11-07"]  # Monday busier than Saturday
    events = [json.loads(line) for e in exports for line in _lines(tmp_path, e.partition)]
    kinds = [e["event_type"] for e in events]
    reopen_share = kinds.count("reopened") / kinds.count("resolved")
    assert 0.03 < reopen_share < 0.15
    hours = [int(e["event_at"][11:13]) for e in events if e["event_type"] == "created"]
    business = sum(9 <= h < 17 for h in hours) / len(hours)
    assert business > 0.45  # business hours dominate
    priorities = {p: sum(e["priority"] == p for e in events) for p in ("low", "urgent")}
    assert priorities["low"] > priorities["urgent"]


def test_large_days_split_into_several_files(tmp_path):
    generate_range(tmp_path, START, 1, tickets_per_day=300, max_lines_per_file=400)
    manifest = _manifest(tmp_path)
    assert len(manifest["files"]) > 1
    assert all(f["lines"] <= 400 for f in manifest["files"])
    assert sum(f["lines"] for f in manifest["files"]) == len(_lines(tmp_path))


@pytest.mark.parametrize("fault", FAULT_NAMES)
def test_each_fault_has_its_documented_effect(tmp_path, fault):
    generate_range(tmp_path, START, 1, tickets_per_day=300, faults=parse_faults(f"{fault}@2026-11-02"))
    manifest = _manifest(tmp_path)
    assert manifest["faults"] == [fault]
    lines = _lines(tmp_path)
    parsed = []
    for line in lines:
        try:
            parsed.append(json.loads(line))
        except json.JSONDecodeError:
            parsed.append(None)
    objects = [p for p in parsed if isinstance(p, dict)]
    if fault == "duplicate_events":
        ids = [o["event_id"] for o in objects]
        assert len(ids) > len(set(ids))
    elif fault == "malformed_lines":
        assert sum(p is None for p in parsed) >= 3
    elif fault == "missing_fields":
        assert sum("ticket_id" not in o for o in objects) >= 3
    elif fault == "wrong_types":
        assert sum(not isinstance(o["priority"], str) or o["event_at"] == "not-a-date"
                   for o in objects) >= 3
    elif fault == "out_of_day":
        assert sum(not o["event_at"].startswith("2026-11-02") for o in objects) >= 3
    elif fault == "schema_drift":
        assert all("sentiment_score" in o for o in objects)
    elif fault == "bad_checksum":
        body = (tmp_path / "tickets/dt=2026-11-02/events-0001.jsonl").read_bytes()
        assert manifest["files"][0]["sha256"] != hashlib.sha256(body).hexdigest()
    elif fault == "missing_file":
        assert not (tmp_path / "tickets/dt=2026-11-02" / manifest["files"][-1]["name"]).exists()
    elif fault == "empty_day":
        assert lines == [] and manifest["total_lines"] == 0
    elif fault == "unknown_agent":
        assert sum(o["agent_id"] == "agt_999" for o in objects) >= 3
    elif fault == "bad_enum":
        assert sum(o["channel"] == "fax" for o in objects) >= 3
    if fault not in ("bad_checksum", "missing_file"):
        assert manifest["total_lines"] == len(lines)


def test_faults_apply_only_to_their_day_and_bad_names_are_explained(tmp_path):
    generate_range(tmp_path, START, 2, tickets_per_day=100, faults=parse_faults("bad_enum@2026-11-03"))
    assert _manifest(tmp_path, "2026-11-02")["faults"] == []
    assert _manifest(tmp_path, "2026-11-03")["faults"] == ["bad_enum"]
    with pytest.raises(ValueError, match="unknown fault 'typo'.*valid faults: duplicate_events"):
        parse_faults("typo")
    with pytest.raises(ValueError, match="YYYY-MM-DD"):
        parse_faults("bad_enum@11/03")


def test_regenerating_a_day_leaves_no_stale_files(tmp_path):
    generate_range(tmp_path, START, 1, tickets_per_day=300, max_lines_per_file=300)
    assert len(_manifest(tmp_path)["files"]) > 1
    generate_range(tmp_path, START, 1, tickets_per_day=300, export_version=2)
    directory = tmp_path / "tickets/dt=2026-11-02"
    assert sorted(p.name for p in directory.iterdir()) == ["_manifest.json", "events-0001.jsonl"]
    assert _manifest(tmp_path)["export_version"] == 2
