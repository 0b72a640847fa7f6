"""The evidence ledger: a hash chain through the evidence files of a home.

Each document written into a home's ``evidence/`` folder carries
``ledger: {sequence, previous_sha256}``: its place in the chain (1, 2, ...)
and the sha256 of the bytes of the file before it. Both are covered by the
document's signature. So an edited file breaks its own signature and the
next file's link, a deleted one leaves a gap, a file copied in from
elsewhere takes a place another already holds, and a file moved under
another run's name no longer matches its name.

What it cannot see on its own: the newest entries removed together (the
chain that is left is whole). ``.ledger-head`` beside the evidence records
the newest entry and catches that while it is there; the head a status
prints is the anchor to keep elsewhere (a ticket, a commit) when that
matters. Appending holds ``.ledger.lock`` (an exclusive flock), so two
processes writing at once get consecutive places.

API: ``append(evidence_dir, write)`` -> the ledger block it wrote;
``verify_chain(paths)`` -> list of ChainProblem; ``chain_problems(entries)``
for entries already read (the state store keeps them).
"""

from __future__ import annotations

import fcntl
import hashlib
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

HEAD_FILE = ".ledger-head"
LOCK_FILE = ".ledger.lock"


@dataclass(frozen=True)
class Entry:
    """One evidence file as the chain sees it."""

    file_name: str
    file_sha256: str
    run_id: str | None
    sequence: int | None  # None: the document is not in the ledger
    previous_sha256: str | None


@dataclass(frozen=True)
class ChainProblem:
    file_name: str | None  # None: the chain as a whole (its newest entries)
    message: str

    def __str__(self) -> str:
        return f"EVIDENCE_CHAIN_BROKEN: {self.message}"


def entry_of(file_name: str, file_sha256: str, document: dict | None) -> Entry:
    document = document if isinstance(document, dict) else {}
    link = document.get("ledger") if isinstance(document.get("ledger"), dict) else {}
    sequence = link.get("sequence")
    return Entry(
        file_name,
        file_sha256,
        document.get("run_id"),
        sequence if isinstance(sequence, int) else None,
        link.get("previous_sha256"),
    )


def read_head(evidence_dir: Path) -> dict | None:
    try:
        head = json.loads((Path(evidence_dir) / HEAD_FILE).read_text())
    except (OSError, ValueError):
        return None
    return head if isinstance(head, dict) and isinstance(head.get("sequence"), int) else None


def _scan_head(evidence_dir: Path) -> dict | None:
    """The newest entry found in the files (a home without a head file)."""
    newest = None
    for path in Path(evidence_dir).glob("*.json"):
        if path.name.startswith("."):
            continue
        data = path.read_bytes()
        try:
            entry = entry_of(path.name, hashlib.sha256(data).hexdigest(), json.loads(data))
        except ValueError:
            continue
        if entry.sequence is not None and (newest is None or entry.sequence > newest.sequence):
            newest = entry
    if newest is None:
        return None
    return {"sequence": newest.sequence, "sha256": newest.file_sha256, "file": newest.file_name}


def append(evidence_dir: Path, write: Callable[[dict], tuple[str, str]]) -> dict:
    """Give the next document its place: under the ledger lock, call
    `write(ledger_block)`, which writes the file and returns its name and
    the sha256 of its bytes, then move the head to it."""
    evidence_dir = Path(evidence_dir)
    evidence_dir.mkdir(parents=True, exist_ok=True)
    with open(evidence_dir / LOCK_FILE, "a+") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        head = read_head(evidence_dir) or _scan_head(evidence_dir)
        block = {
            "sequence": (head["sequence"] + 1) if head else 1,
            "previous_sha256": head["sha256"] if head else None,
        }
        name, sha = write(block)
        temp = evidence_dir / f"{HEAD_FILE}.tmp"
        temp.write_text(json.dumps({"sequence": block["sequence"], "sha256": sha, "file": name}))
        temp.replace(evidence_dir / HEAD_FILE)
    return block


def chain_problems(entries: Iterable[Entry], head: dict | None = None) -> list[ChainProblem]:
    """Every broken link among `entries` (the whole ledger of a home)."""
    entries = list(entries)
    problems = []
    by_sequence: dict[int, list[Entry]] = {}
    for entry in entries:
        if entry.sequence is None:
            problems.append(
                ChainProblem(entry.file_name, f"{entry.file_name} is not in the ledger")
            )
            continue
        by_sequence.setdefault(entry.sequence, []).append(entry)
        if entry.run_id and entry.file_name != f"{entry.run_id}.json":
            problems.append(
                ChainProblem(
                    entry.file_name,
                    f"{entry.file_name} holds run {entry.run_id}: files were renamed or swapped",
                )
            )
    # of files claiming one place, the one the next file (or the head) names is the ledger's
    referenced = {e.previous_sha256 for e in entries if e.previous_sha256}
    if head:
        referenced.add(head.get("sha256"))
    for sequence in sorted(by_sequence):
        here = by_sequence[sequence]
        if len(here) > 1:
            for entry in here:
                if entry.file_sha256 not in referenced:
                    problems.append(
                        ChainProblem(
                            entry.file_name,
                            f"{entry.file_name} claims place {sequence} of the ledger, which "
                            f"{len(here) - 1} other file(s) also claim: a file was inserted",
                        )
                    )
        before = by_sequence.get(sequence - 1, [])
        for entry in here:
            if sequence == 1:
                if entry.previous_sha256 is not None:
                    problems.append(
                        ChainProblem(
                            entry.file_name, f"{entry.file_name} is first yet names a previous file"
                        )
                    )
                continue
            if not before:
                problems.append(
                    ChainProblem(
                        entry.file_name,
                        f"the entry before {entry.file_name} (place {sequence - 1}) is missing: "
                        "an evidence file was deleted",
                    )
                )
            elif entry.previous_sha256 not in {b.file_sha256 for b in before}:
                # the follower's record is signed, so the file it names is the changed one
                problems.append(
                    ChainProblem(
                        before[0].file_name,
                        f"{entry.file_name} follows a file with sha256 "
                        f"{str(entry.previous_sha256)[:12]}, but place {sequence - 1} holds "
                        f"{before[0].file_name} with sha256 {before[0].file_sha256[:12]}: "
                        "that file was changed or replaced",
                    )
                )
    newest = max(by_sequence, default=0)
    last = by_sequence.get(newest, [])
    changed_newest = (
        head
        and head.get("sequence") == newest
        and len(last) == 1
        and head.get("sha256") not in (None, last[0].file_sha256)
    )
    if changed_newest:
        problems.append(
            ChainProblem(
                last[0].file_name,
                f"the ledger head records sha256 {str(head['sha256'])[:12]} for place "
                f"{newest}, but {last[0].file_name} has sha256 "
                f"{last[0].file_sha256[:12]}: the newest file was changed",
            )
        )
    if head and head["sequence"] > newest:
        problems.append(
            ChainProblem(
                None,
                f"the ledger head names place {head['sequence']} ({head.get('file')}), but the "
                f"newest evidence file is place {newest}: the newest files were deleted",
            )
        )
    return problems


def verify_chain(paths: Iterable[Path]) -> list[ChainProblem]:
    """Read the evidence files `paths` (one home's, all of them) and return
    every broken link; empty when the chain holds. The head file of their
    folder is checked too."""
    entries, folders = [], set()
    for path in map(Path, paths):
        folders.add(path.parent)
        try:
            data = path.read_bytes()
            document = json.loads(data)
        except (OSError, ValueError):
            document, data = None, b""
        entries.append(entry_of(path.name, hashlib.sha256(data).hexdigest(), document))
    head = read_head(next(iter(folders))) if len(folders) == 1 else None
    return chain_problems(entries, head)
