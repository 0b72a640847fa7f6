"""pytest imports every test file by its name alone (no packages under
tests/): two files of one name in unit/ and integration/ stop the whole run
with "import file mismatch", which running each folder alone never shows."""

from __future__ import annotations

from collections import Counter

from data_factory.core.paths import PROJECT_DIR


def test_no_two_test_modules_share_a_name():
    names = Counter(path.name for path in (PROJECT_DIR / "tests").rglob("*.py"))
    assert [name for name, count in names.items() if count > 1] == []
