"""Every relative link of the README, the runbooks and docs/ opens a file of
the repository: a user's clone has nothing beside it."""

from __future__ import annotations

import re

import pytest

from data_factory.core.paths import PROJECT_DIR

PAGES = [
    PROJECT_DIR / "README.md",
    *sorted((PROJECT_DIR / "runbooks").glob("*.md")),
    *sorted((PROJECT_DIR / "docs").rglob("*.md")),
]


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(PROJECT_DIR)))
def test_relative_links_open_files_of_the_repository(page):
    broken = []
    for target in re.findall(r"\]\(([^)#\s]+)", page.read_text(encoding="utf-8")):
        if re.match(r"[a-z]+:", target):  # http:, mailto:
            continue
        resolved = (page.parent / target).resolve()
        if not resolved.is_relative_to(PROJECT_DIR.resolve()) or not resolved.exists():
            broken.append(target)
    assert broken == []
