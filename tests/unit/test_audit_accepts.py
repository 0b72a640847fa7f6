"""The audit's accepted risks: a risk the project accepts in meta, with a
reason, is listed with that reason and does not count; the same risk on an
asset without the acceptance still counts; an acceptance that is invalid or
matches nothing is a risk of its own."""

from __future__ import annotations

from data_factory.decisions.audit import audit_findings, risks_of

FRESH = {"warn_after": {"count": 36, "period": "hour"}}


def source(name: str, *, accepts=None, freshness=None) -> tuple[str, dict]:
    uid = f"source.project.landing.{name}"
    meta = {"partition_column": "partition_date"}
    if accepts is not None:
        meta["audit_accepts"] = accepts
    return uid, {
        "unique_id": uid,
        "resource_type": "source",
        "name": name,
        "meta": meta,
        "config": {"freshness": freshness},
    }


def error_check(on: str) -> tuple[str, dict]:
    uid = f"test.project.not_null_{on.rsplit('.', 1)[1]}"
    return uid, {
        "unique_id": uid,
        "resource_type": "test",
        "config": {"severity": "ERROR"},
        "depends_on": {"nodes": [on]},
    }


def manifest(*sources: tuple[str, dict]) -> dict:
    checked = [uid for uid, node in sources if node["config"]["freshness"]]
    return {
        "sources": dict(sources),
        "nodes": dict(error_check(uid) for uid in checked),
        "exposures": {},
    }


def by_subject(findings):
    return {(f.risk, f.subject): f for f in findings}


def test_an_accepted_risk_is_listed_with_its_reason_and_does_not_count():
    findings = audit_findings(
        manifest(
            source(
                "quarantine",
                accepts={
                    "source_without_freshness": "rows arrive only when lines are refused",
                    "asset_without_error_checks": "nobody reads it",
                },
            )
        )
    )
    found = by_subject(findings)
    fresh = found[("source_without_freshness", "quarantine")]
    assert fresh.accepted == "rows arrive only when lines are refused"
    assert found[("asset_without_error_checks", "quarantine")].accepted == "nobody reads it"
    assert fresh.to_dict()["accepted"] == "rows arrive only when lines are refused"
    assert risks_of(findings) == []


def test_the_same_risk_without_the_acceptance_still_counts():
    findings = audit_findings(
        manifest(
            source("quarantine", accepts={"source_without_freshness": "rows arrive rarely"}),
            source("other"),
        )
    )
    counted = {(f.risk, f.subject) for f in risks_of(findings)}
    assert counted == {
        ("asset_without_error_checks", "quarantine"),
        ("source_without_freshness", "other"),
        ("asset_without_error_checks", "other"),
    }


def test_an_acceptance_without_a_reason_or_of_no_known_risk_is_a_risk():
    findings = audit_findings(
        manifest(
            source(
                "quarantine",
                accepts={"source_without_freshness": " ", "no_such_risk": "because"},
                freshness=None,
            )
        )
    )
    found = by_subject(findings)
    assert found[("source_without_freshness", "quarantine")].accepted is None
    invalid = [f.detail for f in findings if f.risk == "audit_acceptance_invalid"]
    assert len(invalid) == 2
    assert any("'no_such_risk' is not a risk" in d for d in invalid)
    assert any("needs a reason" in d for d in invalid)
    assert {f.risk for f in risks_of(findings)} >= {
        "audit_acceptance_invalid",
        "source_without_freshness",
    }


def test_an_acceptance_that_matches_no_finding_is_a_risk():
    findings = audit_findings(
        manifest(source("fresh", accepts={"source_without_freshness": "old"}, freshness=FRESH))
    )
    assert [(f.risk, f.subject) for f in risks_of(findings)] == [
        ("audit_acceptance_unused", "fresh")
    ]
    assert "remove the entry" in risks_of(findings)[0].detail
