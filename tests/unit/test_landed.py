"""Landed days: the day folders of the landing root that hold a manifest."""

from __future__ import annotations

import pytest

from data_factory.core.partitions import is_partition
from data_factory.core.paths import FactoryPaths
from data_factory.landing.landed import landed_days


@pytest.mark.parametrize("text", ["2026-11-01", "2024-02-29"])
def test_a_real_day_is_a_partition(text):
    assert is_partition(text)


@pytest.mark.parametrize("text", ["2023-02-29", "20261101", " 2026-11-01", "2026-11-1", "", "x"])
def test_anything_else_is_not(text):
    assert not is_partition(text)


def test_landed_days_are_the_day_folders_with_a_manifest_sorted(tmp_path):
    paths = FactoryPaths(tmp_path)
    tickets = paths.landing / "tickets"
    for name in ("dt=2026-11-03", "dt=2026-11-01", "dt=2023-02-29", "dt=20261102", "dt=latest"):
        (tickets / name).mkdir(parents=True)
        (tickets / name / "_manifest.json").write_text("{}")
    (tickets / "dt=2026-11-02").mkdir()  # no manifest: not landed
    (tickets / "dt=2026-11-04").mkdir()
    (tickets / "dt=2026-11-04" / "_manifest.json").mkdir()  # not a file
    (tickets / "dt=2026-11-05").write_text("")  # a file, not a folder
    assert landed_days(paths) == ["2026-11-01", "2026-11-03"]


def test_no_landing_root_means_no_landed_days(tmp_path):
    assert landed_days(FactoryPaths(tmp_path)) == []
