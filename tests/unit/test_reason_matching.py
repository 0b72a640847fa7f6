"""Approval matching compares facts, never words: a recorded approval keeps
naming its block when the wording of a reason changes, and stops naming it
when a fact of the block changes."""

from __future__ import annotations

import pytest

from data_factory.decisions.approval_scope import approval_key, names
from data_factory.decisions.reasons import cause_key, evidence_reason, make_reason
from data_factory.render import explain as explain_module

FACT = "model.shop.order_fact"
CAUSE = {
    "upstream": {"asset": "order_fact", "unique_id": FACT, "days": ["2026-11-01", "2026-11-02"]},
    "run_id": "run-2",
}


ABOUT = {"consumer": "dashboard", "partition": "2026-11-02", "run_id": "run-1"}


def stale(**changes) -> dict:
    evidence = "/home/evidence/run-1.json"
    facts = {"asset": "order_kpi", "status": "stale", "evidence": evidence, "cause": CAUSE}
    return make_reason("STALE_UPSTREAM_REBUILT", **{**ABOUT, **facts, **changes})


def check_failed(**changes) -> dict:
    facts = {"asset": "order_fact", "status": "materialized", "checks": ["not_null_order_id"]}
    return make_reason("CHECK_FAILED", **{**ABOUT, **facts, **changes})


def test_two_reasons_that_differ_only_in_their_words_are_the_same_block():
    recorded = [evidence_reason(r, "the words of last week") for r in (stale(), check_failed())]
    reworded = [{**r, "text": "other words, same facts"} for r in (stale(), check_failed())]
    assert [approval_key(r) for r in recorded] == [approval_key(r) for r in reworded]
    assert names(recorded, reworded)


def test_an_approval_keeps_matching_when_the_explain_wording_changes(monkeypatch):
    recorded = [evidence_reason(stale(), explain_module.explain(stale()))]
    monkeypatch.setattr(explain_module, "explain", lambda reason: "entirely new wording")
    now = [evidence_reason(stale(), explain_module.explain(stale()))]
    assert recorded[0]["text"] != now[0]["text"]
    assert names(recorded, now) and names(recorded, [stale()])


def test_the_evidence_path_and_the_asset_labels_in_a_cause_do_not_take_part():
    relabelled = {**CAUSE, "upstream": {**CAUSE["upstream"], "asset": "fact_orders"}}
    copied = stale(evidence="/elsewhere/evidence/run-1.json", cause=relabelled)
    assert names([stale()], [copied])


@pytest.mark.parametrize(
    "changed",
    [
        pytest.param(stale(partition="2026-11-03"), id="another day"),
        pytest.param(stale(asset="order_fact"), id="another asset"),
        pytest.param(stale(cause={**CAUSE, "run_id": "run-3"}), id="rebuilt by another run"),
        pytest.param(
            stale(cause={**CAUSE, "upstream": {**CAUSE["upstream"], "days": ["2026-11-02"]}}),
            id="other days rebuilt",
        ),
        pytest.param(check_failed(checks=["another_check"]), id="another failing check"),
    ],
)
def test_a_change_of_any_fact_is_a_new_block(changed):
    """(The cell built again by another run is not one: its content decides,
    test_gate_evaluate.)"""
    recorded = [evidence_reason(stale(), "words"), evidence_reason(check_failed(), "words")]
    assert not names(recorded, [changed])


def test_a_cause_recorded_before_causes_were_structured_gives_the_same_key():
    legacy = f"{FACT}@2026-11-01,2026-11-02@run-2"
    assert cause_key(legacy) == cause_key(CAUSE)
    assert names([{**evidence_reason(stale(), "old words"), "cause": legacy}], [stale()])
    code = {"node": {"asset": "order_fact", "unique_id": FACT}, "checksum": "abc123"}
    assert cause_key(f"{FACT}@abc123") == cause_key(code)
    assert cause_key(f"{FACT}@abc124") != cause_key(code)


def test_a_reason_in_evidence_keeps_its_cause_as_json_text_and_its_words():
    recorded = evidence_reason(stale(), "words")
    assert set(recorded) == {
        "code",
        "asset",
        "partition",
        "checks",
        "text",
        "run_id",
        "evidence",
        "cause",
    }
    assert isinstance(recorded["cause"], str) and cause_key(recorded["cause"]) == cause_key(CAUSE)
    assert evidence_reason(check_failed(), "words")["cause"] is None
