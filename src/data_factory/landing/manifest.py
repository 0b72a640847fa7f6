"""The landing manifest of a day: what the export says it holds.

`dt=YYYY-MM-DD/_manifest.json` lists every file of the day with its sha256 and
line count. It is read and checked before anything of that day is replaced: a
file that is missing or differs refuses the day, leaving what was landed
before untouched.
"""

from __future__ import annotations

import hashlib
import json
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
    bytes: int


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


def read_manifest(paths: FactoryPaths, partition: str) -> LandingManifest:
    partition = parse_partition(partition)
    directory = paths.tickets_partition_dir(partition)
    manifest_path = directory / MANIFEST_NAME
    if not manifest_path.is_file():
        raise FactoryError(
            "LANDING_MISSING",
            f"no landing manifest for partition {partition}: {manifest_path} does not "
            "exist (generate or copy the export there first)",
        )
    raw = manifest_path.read_bytes()
    try:
        document = json.loads(raw)
        files = [
            LandingFile(
                name=str(entry["name"]),
                sha256=str(entry["sha256"]),
                lines=int(entry["lines"]),
                bytes=int(entry.get("bytes", -1)),
            )
            for entry in document["files"]
        ]
    except (json.JSONDecodeError, UnicodeDecodeError, KeyError, TypeError, ValueError) as exc:
        raise FactoryError(
            "MANIFEST_INVALID", f"{manifest_path} is not a valid landing manifest: {exc}"
        ) from None
    if document.get("partition") not in (None, partition):
        raise FactoryError(
            "MANIFEST_INVALID",
            f"{manifest_path} describes partition {document.get('partition')}, not {partition}",
        )
    for entry in files:
        if "/" in entry.name or entry.name.startswith("."):
            raise FactoryError(
                "MANIFEST_INVALID", f"{manifest_path} lists an unsafe file name {entry.name!r}"
            )
    return LandingManifest(
        partition=partition,
        path=manifest_path,
        sha256=hashlib.sha256(raw).hexdigest(),
        export_version=document.get("export_version"),
        generated_at=document.get("generated_at"),
        files=files,
    )


def _file_sha256_and_lines(path: Path) -> tuple[str, int]:
    digest = hashlib.sha256()
    lines = 0
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
            lines += block.count(b"\n")
    return digest.hexdigest(), lines


def check_files_present(manifest: LandingManifest) -> None:
    """Raise when a file the manifest lists is not there."""
    for entry in manifest.files:
        path = manifest.path.parent / entry.name
        if not path.is_file():
            raise FactoryError(
                "MANIFEST_FILE_MISSING",
                f"partition {manifest.partition}: manifest lists {entry.name} but "
                f"{path} does not exist; previously landed data was left untouched",
            )


def verify_manifest(manifest: LandingManifest) -> list[str]:
    """Raise on a file that is missing or differs; return warning codes."""
    check_files_present(manifest)
    directory = manifest.path.parent
    for entry in manifest.files:
        path = directory / entry.name
        sha256, lines = _file_sha256_and_lines(path)
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
                f"partition {manifest.partition}: {entry.name} has {lines} lines but the "
                f"manifest says {entry.lines}; previously landed data was left untouched",
            )
    listed = {entry.name for entry in manifest.files} | {MANIFEST_NAME}
    unlisted = [p.name for p in directory.iterdir() if p.is_file() and p.name not in listed]
    return ["UNLISTED_LANDING_FILE"] if unlisted else []
