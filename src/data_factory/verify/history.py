"""Everything `factory verify` compares, read once: the evidence files, each
day's landing manifest with its files' sha256 and line counts, the project's
manifest as it is now, and the warehouse's fingerprints, one aggregate per
asset over every day in scope (never one query per cell)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property

from data_factory.core.errors import FactoryError
from data_factory.core.paths import FactoryPaths
from data_factory.evidence.files import LoadedEvidence, evidence_files, load_evidence, order_key
from data_factory.landing.manifest import (
    LandingManifest,
    check_files_present,
    file_sha256_lines_and_size,
    read_manifest,
)
from data_factory.project.consumers import consumers
from data_factory.verify.findings import Broken
from data_factory.warehouse.connect import adapter_type, open_reader
from data_factory.warehouse.fingerprint import current_fingerprints
from data_factory.warehouse.identity import read_identity

BUILD_KIND = "factory_run"
DECISION_KINDS = ("decision", "approval")

Progress = Callable[[str], None]


@dataclass
class Cell:
    """An asset x day, with the evidence of its latest build (the last
    factory run, by start time, that did not skip it) and its entry there."""

    unique_id: str
    asset: str
    partition: str | None
    build: LoadedEvidence
    entry: dict

    @property
    def document(self) -> dict:
        assert self.build.document is not None
        return self.build.document


def _input(document: dict | None, partition: str | None) -> dict | None:
    for item in (document or {}).get("inputs") or []:
        if isinstance(item, dict) and item.get("partition") == partition:
            return item
    return None


class History:
    def __init__(self, paths: FactoryPaths, manifest: dict, progress: Progress = lambda _: None):
        self.paths = paths
        self.manifest = manifest
        self.progress = progress
        files = evidence_files(paths)
        progress(f"verify: reading {len(files)} evidence file(s)")
        loaded = [load_evidence(path) for path in files]
        self.loaded = loaded
        self.unreadable = [item for item in loaded if item.document is None]
        readable = sorted(
            (item for item in loaded if item.document is not None),
            key=lambda item: order_key(item.document),
        )
        self.documents: dict[str, LoadedEvidence] = {}
        for item in readable:
            self.documents.setdefault(str(item.document.get("run_id")), item)
        self.latest: dict[tuple[str, str | None], Cell] = {}
        self.decisions: dict[str, list[LoadedEvidence]] = {}
        for item in readable:
            document = item.document
            if document.get("kind") == BUILD_KIND:
                self._index_build(item)
            elif document.get("kind") in DECISION_KINDS:
                partition = (document.get("decision") or {}).get("partition")
                self.decisions.setdefault(str(partition), []).append(item)
        self._landing: dict[str, tuple[LandingManifest | None, Broken | None]] = {}
        self._now: dict[tuple[str, str | None], dict | None] = {}
        self.warehouse_problem: str | None = None
        self.warehouse_id: str | None = None
        self._memo: dict[tuple, object] = {}

    def memo(self, key: tuple, function: Callable, *args):
        """function(self, *args), computed once per key (a decision document
        that several cells of its day share is checked once)."""
        if key not in self._memo:
            self._memo[key] = function(self, *args)
        return self._memo[key]

    def _index_build(self, item: LoadedEvidence) -> None:
        for entry in item.document.get("assets") or []:
            if not isinstance(entry, dict) or entry.get("status") == "skipped":
                continue
            cell = (str(entry.get("unique_id")), entry.get("partition"))
            self.latest[cell] = Cell(cell[0], str(entry.get("asset")), cell[1], item, entry)

    def cells(self, assets: tuple[str, ...], partitions: Callable[[str], bool]) -> list[Cell]:
        """The cells in scope, unpartitioned ones (read by every day) included."""
        return sorted(
            (
                cell
                for cell in self.latest.values()
                if (not assets or cell.asset in assets)
                and (cell.partition is None or partitions(cell.partition))
            ),
            key=lambda c: (c.partition or "", c.asset),
        )

    @property
    def assets(self) -> set[str]:
        return {cell.asset for cell in self.latest.values()}

    def input_of(self, document: dict | None, partition: str | None) -> dict | None:
        return _input(document, partition)

    def build_of(self, run_id: str | None, asset: str, partition: str | None) -> dict | None:
        """The asset entry of `asset` x `partition` in the evidence of run
        `run_id`, or None when no evidence of that run records it."""
        loaded = self.documents.get(str(run_id))
        for entry in ((loaded.document if loaded else None) or {}).get("assets") or []:
            if entry.get("asset") == asset and entry.get("partition") == partition:
                return entry
        return None

    def landing(self, partition: str) -> tuple[LandingManifest | None, Broken | None]:
        """The day's manifest as it is now, and the first of its files that
        differs from it (each file hashed once per call)."""
        if partition not in self._landing:
            self._landing[partition] = self._read_landing(partition)
        return self._landing[partition]

    def _read_landing(self, partition: str) -> tuple[LandingManifest | None, Broken | None]:
        directory = self.paths.tickets_partition_dir(partition)
        try:
            manifest = read_manifest(self.paths, partition)
            check_files_present(manifest)
        except FactoryError as exc:
            found = Broken(
                "landing",
                exc.reason_code,
                "the export as its manifest lists it",
                exc.message,
                str(directory),
            )
            return None, found
        for entry in manifest.files:
            path = directory / entry.name
            try:
                sha256, lines, size = file_sha256_lines_and_size(path)
            except OSError as exc:
                return manifest, Broken(
                    "landing", "LANDING_UNREADABLE", "a readable file", str(exc), str(path)
                )
            for code, expected, found in (
                ("MANIFEST_CHECKSUM_MISMATCH", entry.sha256, sha256),
                ("MANIFEST_LINE_COUNT_MISMATCH", entry.lines, lines),
                ("MANIFEST_SIZE_MISMATCH", entry.bytes if entry.bytes >= 0 else size, size),
            ):
                if expected != found:
                    what = code.removeprefix("MANIFEST_").removesuffix("_MISMATCH").lower()
                    return manifest, Broken(
                        "landing",
                        code,
                        f"{what.replace('_', ' ')} {expected} (the manifest)",
                        f"{found} (the file)",
                        str(path),
                    )
        return manifest, None

    @cached_property
    def consumers(self) -> dict:
        return consumers(self.manifest)

    def load_fingerprints(self, cells: list[Cell]) -> None:
        """The fingerprint now of every cell whose build recorded one, one
        aggregate per asset; the warehouse's id, or why it cannot be read."""
        wanted = [
            {"unique_id": c.unique_id, "partition": c.partition, "fingerprint": fp}
            for c in cells
            if isinstance(fp := c.entry.get("fingerprint"), dict)
        ]
        if not wanted:
            return
        # on Spark, a session on the dbt target the builds recorded (as the gate does)
        target = (cells[0].document.get("invocation") or {}).get("target")
        spark = adapter_type(self.manifest) == "spark" and isinstance(target, str)
        engine, why = open_reader(self.paths, self.manifest, spark_target=target if spark else None)
        if engine is None:
            self.warehouse_problem = why
            return
        try:
            self.warehouse_id = read_identity(engine)
            assets = len({w["unique_id"] for w in wanted})
            self.progress(f"verify: fingerprints of {len(wanted)} cell(s) of {assets} asset(s)")
            for cell, now in current_fingerprints(engine, self.manifest, wanted):
                self._now[(cell["unique_id"], cell["partition"])] = now
        except engine.read_errors as exc:
            self.warehouse_problem = f"unreadable: {str(exc).strip().splitlines()[0]}"
        finally:
            engine.close()

    def fingerprint_now(self, cell: Cell) -> dict | None:
        return self._now.get((cell.unique_id, cell.partition))
