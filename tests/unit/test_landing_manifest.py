"""The landing manifest is checked whole, types included, and against the day's
folder, before anything of the day is read into the warehouse: a manifest
that does not say exactly what the folder holds refuses the day."""

from __future__ import annotations

import hashlib
import json
import os

import pytest

from data_factory.core.errors import FactoryError
from data_factory.core.paths import FactoryPaths
from data_factory.landing.manifest import check_files_present, read_manifest, verify_manifest

DAY = "2026-11-01"
BODY = b"".join(b'{"n": %d}\n' % n for n in range(10))  # 10 lines


def _entry(file_name: str, body: bytes, **changes) -> dict:
    return {
        "name": file_name,
        "sha256": hashlib.sha256(body).hexdigest(),
        "lines": body.count(b"\n") + (1 if body and not body.endswith(b"\n") else 0),
        "bytes": len(body),
        **changes,
    }


def _day(tmp_path, files: dict[str, bytes], entries: list[dict] | None = None, **document):
    """A day folder holding `files` and a manifest (by default, a true one)."""
    paths = FactoryPaths(tmp_path / "home")
    directory = paths.tickets_partition_dir(DAY)
    directory.mkdir(parents=True)
    for name, body in files.items():
        (directory / name).write_bytes(body)
    manifest = {
        "manifest_version": 1,
        "partition": DAY,
        "export_version": 1,
        "generated_at": f"{DAY}T23:59:00Z",
        "files": [_entry(name, body) for name, body in files.items()]
        if entries is None
        else entries,
        **document,
    }
    (directory / "_manifest.json").write_text(json.dumps(manifest))
    return paths, directory


def _check(paths) -> list[str]:
    """Every check the ingest makes before it replaces a day, in its order;
    the warning codes."""
    manifest = read_manifest(paths, DAY)
    check_files_present(manifest)
    return verify_manifest(manifest)


def _refusal(paths) -> FactoryError:
    with pytest.raises(FactoryError) as refused:
        _check(paths)
    return refused.value


def test_a_true_manifest_passes(tmp_path):
    paths, _ = _day(tmp_path, {"events-0001.jsonl": BODY}, total_lines=10)
    assert _check(paths) == []


@pytest.mark.parametrize(
    ("changes", "document", "code"),
    [
        ({"lines": 10.9}, {}, "MANIFEST_INVALID"),
        ({"lines": "10"}, {}, "MANIFEST_INVALID"),
        ({"lines": True}, {}, "MANIFEST_INVALID"),
        ({"lines": -1}, {}, "MANIFEST_INVALID"),
        ({"lines": None}, {}, "MANIFEST_INVALID"),
        ({"bytes": 1}, {}, "MANIFEST_SIZE_MISMATCH"),
        ({"bytes": "160"}, {}, "MANIFEST_INVALID"),
        ({"bytes": 160.0}, {}, "MANIFEST_INVALID"),
        ({"sha256": 7}, {}, "MANIFEST_INVALID"),
        ({"name": 7}, {}, "MANIFEST_INVALID"),
        ({}, {"total_lines": 999}, "MANIFEST_INVALID"),
        ({}, {"total_lines": 10.0}, "MANIFEST_INVALID"),
        ({}, {"total_lines": "10"}, "MANIFEST_INVALID"),
        ({}, {"total_lines": True}, "MANIFEST_INVALID"),
        ({}, {"total_lines": -10}, "MANIFEST_INVALID"),
        ({}, {"export_version": "v2"}, "MANIFEST_INVALID"),
        ({}, {"export_version": 1.5}, "MANIFEST_INVALID"),
        ({}, {"export_version": 0}, "MANIFEST_INVALID"),
        ({}, {"export_version": True}, "MANIFEST_INVALID"),
        ({}, {"generated_at": 20261101}, "MANIFEST_INVALID"),
        ({}, {"partition": 20261101}, "MANIFEST_INVALID"),
    ],
    ids=lambda value: json.dumps(value) if isinstance(value, dict) else str(value),
)
def test_a_manifest_that_lies_or_has_the_wrong_types_refuses_the_day(
    tmp_path, changes, document, code
):
    entries = [_entry("events-0001.jsonl", BODY, **changes)]
    paths, _ = _day(tmp_path, {"events-0001.jsonl": BODY}, entries, **document)
    refusal = _refusal(paths)
    assert refusal.reason_code == code, refusal
    assert "_manifest.json" in refusal.message or "events-0001.jsonl" in refusal.message


@pytest.mark.parametrize(
    "document",
    [[], {"files": {}}, {"files": ["events-0001.jsonl"]}, {"files": [{"name": "x"}]}],
    ids=["a list", "files an object", "an entry a string", "an entry without sha256"],
)
def test_a_manifest_of_the_wrong_shape_is_invalid(tmp_path, document):
    paths, directory = _day(tmp_path, {})
    (directory / "_manifest.json").write_text(json.dumps(document))
    assert _refusal(paths).reason_code == "MANIFEST_INVALID"


def test_a_file_listed_twice_is_invalid(tmp_path):
    entry = _entry("events-0001.jsonl", BODY)
    paths, _ = _day(tmp_path, {"events-0001.jsonl": BODY}, [entry, entry])
    assert _refusal(paths).reason_code == "MANIFEST_INVALID"


def test_an_emptied_manifest_with_a_data_file_left_in_the_folder_refuses_the_day(tmp_path):
    paths, _ = _day(tmp_path, {"events-0001.jsonl": BODY}, entries=[])
    refusal = _refusal(paths)
    assert refusal.reason_code == "MANIFEST_UNLISTED_FILE"
    assert "events-0001.jsonl" in refusal.message


def test_a_data_file_beside_the_listed_ones_refuses_the_day(tmp_path):
    paths, directory = _day(tmp_path, {"events-0001.jsonl": BODY})
    (directory / "events-0002.jsonl").write_bytes(BODY)
    assert _refusal(paths).reason_code == "MANIFEST_UNLISTED_FILE"


def test_an_empty_day_is_accepted_only_without_a_data_file(tmp_path):
    paths, directory = _day(tmp_path, {}, entries=[], total_lines=0)
    assert _check(paths) == []
    # a hidden file (an editor's or a file manager's) is not a data file: ignored, with a warning
    (directory / ".DS_Store").write_bytes(b"\0\0")
    assert _check(paths) == ["UNLISTED_LANDING_FILE"]


@pytest.mark.parametrize("link", ["events-0002.jsonl", "events-0001.jsonl", "_manifest.json"])
def test_a_symlink_in_the_day_folder_refuses_the_day_and_is_never_read(tmp_path, link):
    secret = tmp_path / "secret.txt"
    secret.write_bytes(BODY)
    paths, directory = _day(tmp_path, {"events-0001.jsonl": BODY})
    if link == "_manifest.json":  # the manifest itself lives elsewhere
        (directory / link).rename(tmp_path / "elsewhere.json")
        os.symlink(tmp_path / "elsewhere.json", directory / link)
    elif link == "events-0001.jsonl":  # a listed file, true sha256 and lines, is a link
        (directory / link).unlink()
        os.symlink(secret, directory / link)
    else:  # an unlisted link beside a true export
        os.symlink(secret, directory / link)
    refusal = _refusal(paths)
    assert refusal.reason_code == "LANDING_SYMLINK", refusal
    assert link in refusal.message


@pytest.mark.parametrize(
    ("body", "lines"),
    [
        (b'{"n": 1}\n{"n": 2}\n{"n": 3}', 3),  # no newline after the last line: it counts
        (b'{"n": 1}\n{"n": 2}\n{"n": 3}\n', 3),
        (b"\xef\xbb\xbf" + b'{"n": 1}\n', 1),  # a UTF-8 BOM is no line of its own
        (b"", 0),
        (b"\n", 1),  # one empty line
    ],
)
def test_lines_are_counted_as_the_ingest_splits_them(tmp_path, body, lines):
    entries = [_entry("events-0001.jsonl", body, lines=lines)]
    paths, _ = _day(tmp_path, {"events-0001.jsonl": body}, entries, total_lines=lines)
    assert _check(paths) == []
