"""The landing manifest of a day: what the export says it holds.

`dt=YYYY-MM-DD/_manifest.json` lists every file of the day with its sha256,
line count and size. It is checked whole, types included, before anything of
that day is read or replaced: a manifest that is malformed or contradicts
itself, or a file that is missing or differs, refuses the day, leaving what
was landed before untouched.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

from data_factory.core.errors import FactoryError
from data_factory.core.partitions import parse_partition
from data_factory.core.paths import FactoryPaths

MANIFEST_NAME = "_manifest.json"


@dataclass
class LandingFile:
    name: str
    sha256: str
    lines: int
    bytes: int  # -1: the manifest does not say


@dataclass
class LandingManifest:
    partition: str
    path: Path
    sha256: str
    export_version: int | None
    generated_at: str | None
    files: list[LandingFile]

    @property
    def total_lines(self) -> int:
        return sum(f.lines for f in self.files)


def _is_count(value) -> bool:
    """A JSON integer >= 0 (not a boolean, a float or a string)."""
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _invalid(manifest_path: Path, problem: str) -> FactoryError:
    return FactoryError(
        "MANIFEST_INVALID",
        f"{manifest_path} is not a valid landing manifest: {problem}; previously landed "
        "data was left untouched",
    )


def _landing_file(manifest_path: Path, number: int, entry) -> LandingFile:
    where = f"files[{number}]"
    if not isinstance(entry, dict):
        raise _invalid(manifest_path, f"{where} must be an object, got {entry!r}")
    for key in ("name", "sha256"):
        if not isinstance(entry.get(key), str) or not entry[key]:
            raise _invalid(manifest_path, f"{where}.{key} must be a non-empty string")
    name = entry["name"]
    if "/" in name or "\\" in name or name.startswith("."):
        raise FactoryError(
            "MANIFEST_INVALID", f"{manifest_path} lists an unsafe file name {name!r}"
        )
    for key in ("lines", "bytes"):
        if (key in entry or key == "lines") and not _is_count(entry.get(key)):
            raise _invalid(
                manifest_path,
                f"{where}.{key} ({name}) must be a non-negative integer, got {entry.get(key)!r}",
            )
    return LandingFile(
        name=name, sha256=entry["sha256"], lines=entry["lines"], bytes=entry.get("bytes", -1)
    )


def _parse_manifest(manifest_path: Path, raw: bytes, partition: str) -> dict:
    """The manifest's document, checked whole, types included, before
    anything is read or written: raises MANIFEST_INVALID naming the first
    problem."""
    try:
        document = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise _invalid(manifest_path, f"not JSON: {exc}") from None
    if not isinstance(document, dict):
        raise _invalid(manifest_path, "it must be a JSON object")
    if document.get("partition") not in (None, partition):
        raise FactoryError(
            "MANIFEST_INVALID",
            f"{manifest_path} describes partition {document.get('partition')}, not {partition}",
        )
    version = document.get("export_version")
    if version is not None and not (_is_count(version) and version >= 1):
        raise _invalid(manifest_path, f"export_version must be a positive integer, got {version!r}")
    generated_at = document.get("generated_at")
    if generated_at is not None and not isinstance(generated_at, str):
        raise _invalid(manifest_path, f"generated_at must be a string, got {generated_at!r}")
    if not isinstance(document.get("files"), list):
        raise _invalid(manifest_path, "files must be a list of {name, sha256, lines, bytes}")
    files = [
        _landing_file(manifest_path, number, entry)
        for number, entry in enumerate(document["files"])
    ]
    names = [entry.name for entry in files]
    twice = sorted({name for name in names if names.count(name) > 1})
    if twice:
        raise _invalid(manifest_path, f"it lists {', '.join(twice)} more than once")
    total = document.get("total_lines")
    lines = sum(entry.lines for entry in files)
    if total is not None and not (_is_count(total) and total == lines):
        raise _invalid(
            manifest_path,
            f"total_lines is {total!r} but its files' lines add up to {lines}",
        )
    document["files"] = files
    return document


def read_manifest(
    paths: FactoryPaths, partition: str, folder: str | None = None
) -> LandingManifest:
    """The manifest of a day of the landing `folder` (by default the ticket
    export's)."""
    partition = parse_partition(partition)
    directory = (
        paths.landing_partition_dir(folder, partition)
        if folder
        else paths.tickets_partition_dir(partition)
    )
    manifest_path = directory / MANIFEST_NAME
    if manifest_path.is_symlink():
        raise _symlinks(partition, directory, [MANIFEST_NAME])
    if not manifest_path.is_file():
        raise FactoryError(
            "LANDING_MISSING",
            f"no landing manifest for partition {partition}: {manifest_path} does not "
            "exist (generate or copy the export there first)",
        )
    raw = manifest_path.read_bytes()
    document = _parse_manifest(manifest_path, raw, partition)
    return LandingManifest(
        partition=partition,
        path=manifest_path,
        sha256=hashlib.sha256(raw).hexdigest(),
        export_version=document.get("export_version"),
        generated_at=document.get("generated_at"),
        files=document["files"],
    )


def file_sha256_lines_and_size(path: Path) -> tuple[str, int, int]:
    """sha256, lines and bytes of a file. A line is text ended by a newline,
    and the text after the last newline when there is any (a file whose last
    line has no newline): the lines the ingest splits the file into."""
    digest = hashlib.sha256()
    lines = size = 0
    last = b"\n"
    # O_NOFOLLOW: a file swapped for a link after the folder was checked is not read
    with open(os.open(path, os.O_RDONLY | os.O_NOFOLLOW), "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
            lines += block.count(b"\n")
            size += len(block)
            last = block[-1:]
    return digest.hexdigest(), lines + (last != b"\n"), size


def is_data_file(name: str) -> bool:
    """Whether a file of a day folder is export data: any name but the
    manifest's and those of hidden or metadata files (starting with `.` or
    `_`: `.DS_Store`, `_SUCCESS`)."""
    return name != MANIFEST_NAME and not name.startswith((".", "_"))


def _unlisted(manifest: LandingManifest) -> list[str]:
    """Files of the day folder the manifest does not list, sorted."""
    listed = {entry.name for entry in manifest.files} | {MANIFEST_NAME}
    return sorted(
        p.name for p in manifest.path.parent.iterdir() if p.is_file() and p.name not in listed
    )


def _symlinks(partition: str, directory: Path, names: list[str]) -> FactoryError:
    return FactoryError(
        "LANDING_SYMLINK",
        f"partition {partition}: {', '.join(names)} in {directory} "
        f"{'is a symbolic link' if len(names) == 1 else 'are symbolic links'}; a landing "
        "folder must hold the export's own files, and links are never followed. "
        "Previously landed data was left untouched",
    )


def check_files_present(manifest: LandingManifest) -> None:
    """Raise unless the day folder holds exactly the data files the manifest
    lists: one that is listed and missing, or a data file it does not list
    (a manifest emptied to `files: []` beside its data, say), refuses the day,
    and so does a symbolic link, which is never followed."""
    directory = manifest.path.parent
    links = sorted(p.name for p in directory.iterdir() if p.is_symlink())
    if links:
        raise _symlinks(manifest.partition, directory, links)
    for entry in manifest.files:
        path = manifest.path.parent / entry.name
        if not path.is_file():
            raise FactoryError(
                "MANIFEST_FILE_MISSING",
                f"partition {manifest.partition}: manifest lists {entry.name} but "
                f"{path} does not exist; previously landed data was left untouched",
            )
    unlisted = [name for name in _unlisted(manifest) if is_data_file(name)]
    if unlisted:
        raise FactoryError(
            "MANIFEST_UNLISTED_FILE",
            f"partition {manifest.partition}: {', '.join(unlisted)} "
            f"{'is' if len(unlisted) == 1 else 'are'} in {manifest.path.parent} but not in "
            f"its manifest, which lists {len(manifest.files)} file(s); a manifest must list "
            "every data file of its day. Previously landed data was left untouched",
        )


def verify_manifest(manifest: LandingManifest, header_lines: int = 0) -> list[str]:
    """Raise on a file that is missing, unlisted or differs; return warning
    codes (UNLISTED_LANDING_FILE: a hidden or metadata file, ignored). With
    `header_lines` (a CSV export's header), a file's `lines` counts the
    records after them."""
    check_files_present(manifest)
    directory = manifest.path.parent
    for entry in manifest.files:
        path = directory / entry.name
        sha256, lines, size = file_sha256_lines_and_size(path)
        lines = max(lines - header_lines, 0)
        if sha256 != entry.sha256:
            raise FactoryError(
                "MANIFEST_CHECKSUM_MISMATCH",
                f"partition {manifest.partition}: {entry.name} has sha256 {sha256[:12]}… "
                f"but the manifest says {entry.sha256[:12]}…; the export is corrupt or "
                "was changed after the manifest was written. Previously landed data "
                "was left untouched",
            )
        if lines != entry.lines:
            raise FactoryError(
                "MANIFEST_LINE_COUNT_MISMATCH",
                f"partition {manifest.partition}: {entry.name} has {lines} "
                f"{'records' if header_lines else 'lines'} but the "
                f"manifest says {entry.lines}; previously landed data was left untouched",
            )
        if entry.bytes >= 0 and size != entry.bytes:
            raise FactoryError(
                "MANIFEST_SIZE_MISMATCH",
                f"partition {manifest.partition}: {entry.name} has {size} bytes but the "
                f"manifest says {entry.bytes}; previously landed data was left untouched",
            )
    return ["UNLISTED_LANDING_FILE"] if _unlisted(manifest) else []
