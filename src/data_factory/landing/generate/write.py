"""Writing one export day: its files and its manifest, swapped in whole."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from datetime import date
from pathlib import Path

import numpy as np
import pyarrow as pa

from data_factory.core.partitions import shift
from data_factory.landing.generate.faults import MISSING_FILE_NAME
from data_factory.landing.manifest import MANIFEST_NAME

SOURCE = "helpdesk"
ENTITY = "ticket_events"
MANIFEST_VERSION = 1


def _buffer_of(lines: pa.Array) -> memoryview:
    """The concatenated text of a (sliced) string array, without copying."""
    if len(lines) == 0:
        return memoryview(b"")
    width = np.int64 if pa.types.is_large_string(lines.type) else np.int32
    offsets = np.frombuffer(
        lines.buffers()[1],
        dtype=width,
        count=len(lines) + 1,
        offset=np.dtype(width).itemsize * lines.offset,
    )
    return memoryview(lines.buffers()[2])[int(offsets[0]) : int(offsets[-1])]


def _newlines(data: memoryview) -> int:
    return int(np.count_nonzero(np.frombuffer(data, dtype=np.uint8) == 0x0A))


def partition_dir(landing_root: Path, partition: str) -> Path:
    """The layout of ``FactoryPaths.tickets_partition_dir``, rooted at `landing_root`
    (which is ``FactoryPaths.landing`` when called by the CLI)."""
    return Path(landing_root) / "tickets" / f"dt={partition}"


def _swap_in(staging: Path, target: Path) -> None:
    """Replace `target` by `staging`; a crash leaves either the old or the new day."""
    retired = None
    if target.exists():
        retired = target.with_name(f".retired-{target.name}-{os.getpid()}-{staging.name[-8:]}")
        os.replace(target, retired)
    try:
        os.replace(staging, target)
    except BaseException:
        if retired is not None:
            os.replace(retired, target)
        raise
    if retired is not None:
        shutil.rmtree(retired, ignore_errors=True)


def write_day(
    target: Path,
    day: date,
    lines: pa.Array,
    *,
    seed: int,
    tickets_per_day: int,
    export_version: int,
    max_lines_per_file: int,
    faults: tuple[str, ...],
) -> int:
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".tmp-{target.name}-", dir=target.parent))
    try:
        entries = []
        starts = range(0, len(lines), max_lines_per_file) if len(lines) else [0]
        for number, begin in enumerate(starts, start=1):
            data = _buffer_of(lines.slice(begin, max_lines_per_file))
            name = f"events-{number:04d}.jsonl"
            with open(staging / name, "wb") as handle:
                handle.write(data)
            entries.append(
                {
                    "name": name,
                    "sha256": hashlib.sha256(data).hexdigest(),
                    "lines": _newlines(data),
                    "bytes": len(data),
                }
            )
        written = len(entries)
        if "bad_checksum" in faults:
            entries[0]["sha256"] = hashlib.sha256(
                b"bad_checksum:" + entries[0]["sha256"].encode()
            ).hexdigest()
        if "missing_file" in faults:
            entries.append(
                {
                    "name": MISSING_FILE_NAME,
                    "sha256": hashlib.sha256(MISSING_FILE_NAME.encode()).hexdigest(),
                    "lines": 1000,
                    "bytes": 250_000,
                }
            )
        manifest = {
            "manifest_version": MANIFEST_VERSION,
            "source": SOURCE,
            "entity": ENTITY,
            "partition": day.isoformat(),
            "export_version": export_version,
            "generated_at": f"{shift(day.isoformat(), 1)}T01:00:00Z",
            "seed": seed,
            "tickets_per_day": tickets_per_day,
            "files": entries,
            "total_lines": sum(entry["lines"] for entry in entries),
            "faults": list(faults),
        }
        (staging / MANIFEST_NAME).write_text(
            json.dumps(manifest, indent=2) + "\n", encoding="utf-8"
        )
        _swap_in(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return written
