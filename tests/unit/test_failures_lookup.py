"""`factory failures CHECK`: finding the check by name or unique_id, and the
run's target directory in this home (a moved home keeps its runs)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from data_factory.core.paths import FactoryPaths
from data_factory.decisions.failures import _target_dir, check_names, find_check


def check_node(uid: str, name: str) -> tuple[str, dict]:
    return uid, {"unique_id": uid, "name": name, "resource_type": "test"}


MANIFEST = {
    "nodes": dict(
        [
            check_node("test.p.not_null_a_id.1", "not_null_a_id"),
            check_node("test.p.twice.1", "twice"),
            check_node("test.q.twice.2", "twice"),
            (
                "model.p.a",
                {"unique_id": "model.p.a", "name": "not_null_a_id", "resource_type": "model"},
            ),
        ]
    )
}


def test_a_check_is_found_by_name_or_unique_id_never_a_model():
    assert find_check(MANIFEST, "not_null_a_id")["unique_id"] == "test.p.not_null_a_id.1"
    assert find_check(MANIFEST, "test.q.twice.2")["unique_id"] == "test.q.twice.2"
    assert find_check(MANIFEST, "no_such_check") is None
    assert check_names(MANIFEST) == ["not_null_a_id", "twice", "twice"]


def test_two_checks_of_one_name_ask_for_the_unique_id():
    with pytest.raises(
        ValueError, match=re.escape("2 checks are named twice: give one of test.p.twice.1")
    ):
        find_check(MANIFEST, "twice")


def test_the_target_directory_is_read_in_this_home_by_name(tmp_path):
    paths = FactoryPaths(tmp_path / "moved")
    evidence = {
        "invocation": {"dbt_args": ["build", "--target-path", "/elsewhere/runs/r1-chunk", "-q"]}
    }
    assert _target_dir(paths, evidence, "r1") == paths.runs / "r1-chunk"
    assert _target_dir(paths, {"invocation": {"dbt_args": []}}, "r2") == paths.runs / "r2"
    assert isinstance(_target_dir(paths, {}, "r3"), Path)
