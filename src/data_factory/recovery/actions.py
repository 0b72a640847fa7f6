"""Recovery commands: backfill a range, replay a day, retry a run.

All of them go through `builds.run_partition`, so each partition gets its
own evidence, written (and applied to state) as soon as it is built: an
interruption loses at most the partition in flight.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from dataclasses import dataclass
from pathlib import Path

from data_factory.core.clock import utc_now_iso
from data_factory.core.console import say
from data_factory.core.errors import FactoryError
from data_factory.core.partitions import day_range, parse_partition, shift
from data_factory.evidence.files import load_evidence
from data_factory.landing.landed import landed_days
from data_factory.project.dbt_runner import DbtProject
from data_factory.project.manifest import asset_nodes
from data_factory.project.roles import roles_of
from data_factory.runs.build import RunOutcome, run_partition
from data_factory.runs.chunk import run_chunk


def _duration(seconds: float) -> str:
    seconds = round(seconds)
    return f"{seconds // 60}:{seconds % 60:02d}"


# --------------------------------------------------------------------------
# backfill


@dataclass
class BackfillJournal:
    """Which partitions of one backfill are done, so the same command
    resumes where an interrupted one stopped."""

    path: Path
    document: dict

    @classmethod
    def open(cls, directory: Path, key: dict) -> BackfillJournal:
        digest = hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()[:16]
        path = directory / f"backfill-{digest}.json"
        if path.exists():
            return cls(path, json.loads(path.read_text()))
        return cls(
            path, {"key": key, "created_at": utc_now_iso(), "done": {}, "completed_at": None}
        )

    @property
    def done(self) -> dict[str, str]:
        return self.document["done"]

    def record(self, partition: str, run_id: str) -> None:
        self.done[partition] = run_id
        self._save()

    def complete(self) -> None:
        self.document["completed_at"] = utc_now_iso()
        self._save()

    def _save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        temporary = self.path.with_suffix(".tmp")
        temporary.write_text(json.dumps(self.document, indent=2, sort_keys=True))
        os.replace(temporary, self.path)


def backfill(
    project: DbtProject,
    start: str,
    end: str,
    *,
    select: list[str] | None = None,
    ingest: bool = False,
    restart: bool = False,
    chunk_days: int = 1,
) -> list[RunOutcome]:
    """Build every day of [start, end] in order, upstream before the days
    that read it, in one process with one parse.

    With chunk_days > 1, that many days go through one dbt invocation (with
    per-day evidence, and a day-by-day rebuild when the chunk is not clean);
    an interruption then loses at most the chunk in flight."""
    if chunk_days < 1:
        raise FactoryError("INVALID_OPTION", "--chunk-days must be at least 1")
    days = day_range(start, end)
    key = {"start": days[0], "end": days[-1], "select": sorted(select or []), "ingest": ingest}
    journal = BackfillJournal.open(project.paths.home / "backfills", key)
    if restart or journal.document.get("completed_at"):
        journal.document.update({"done": {}, "completed_at": None, "created_at": utc_now_iso()})
    todo = [day for day in days if day not in journal.done]
    if len(todo) < len(days):
        say(
            f"resuming: {len(days) - len(todo)} of {len(days)} day(s) already done by this backfill"
        )
    project.ensure_parsed()  # once, before the clock starts
    facts = roles_of(project.manifest_dict()).fact_assets  # what progress counts
    facts_label = ", ".join(sorted(facts)) or "rows"
    outcomes: list[RunOutcome] = []
    started = time.monotonic()
    rows_total = 0
    done = 0
    chunks = [todo[i : i + chunk_days] for i in range(0, len(todo), chunk_days)]
    for chunk in chunks:
        if ingest or len(chunk) == 1:
            chunk_outcomes = [
                run_partition(project, partition, ingest=ingest, command="backfill", select=select)
                for partition in chunk
            ]
        else:
            chunk_outcomes = run_chunk(project, chunk, command="backfill", select=select)
        for outcome in chunk_outcomes:
            outcomes.append(outcome)
            journal.record(outcome.partition, outcome.run_id)
            done += 1
            fact_rows = sum(
                a["rows"] or 0
                for a in outcome.evidence["assets"]
                if a["asset"] in facts and a["partition"] == outcome.partition
            )
            rows_total += fact_rows
            elapsed = time.monotonic() - started
            eta = elapsed / done * (len(todo) - done)
            say(
                f"[{done}/{len(todo)}] {outcome.partition} {outcome.status}: {facts_label} "
                f"{fact_rows:,} rows; {rows_total:,} rows so far; elapsed {_duration(elapsed)}, "
                f"ETA {_duration(eta)}"
            )
    journal.complete()
    return outcomes


# --------------------------------------------------------------------------
# replay


def downstream_days(project: DbtProject, partition: str) -> dict[str, list[str]]:
    """Later landed days that read `partition`, with the models that read it
    there: those reading a window of days (the manifest's reads_window_var
    models) over the window's days, and a self-dependent model
    (reads_previous_partition) with every model reading it, over every later
    landed day, since each day carries the one before. Enabled models only:
    {day: [model, ...]}, oldest day first."""
    manifest = project.manifest_dict()
    roles = roles_of(manifest)
    enabled = asset_nodes(manifest)
    landed = sorted(landed_days(project.paths))
    readers: dict[str, set[str]] = {}
    for uid, var in sorted(roles.window_vars.items()):
        if uid not in enabled:
            continue
        window = max(int(project.var(var, 0) or 0), 0)
        for day in landed:
            if partition < day <= shift(partition, window):
                readers.setdefault(day, set()).add(roles.keys[uid])
    for uid in sorted(roles.self_dependent & set(enabled)):
        carried = {uid, *(u for u in roles.downstream(uid) if u in enabled)}
        for day in landed:
            if day > partition:
                readers.setdefault(day, set()).update(roles.keys[u] for u in carried)
    return {day: sorted(models) for day, models in sorted(readers.items())}


def replay(project: DbtProject, partition: str) -> list[RunOutcome]:
    """Re-ingest a day from its (possibly corrected) landing manifest, rebuild
    it, then rebuild every later day that reads it through a window."""
    partition = parse_partition(partition)
    outcomes = [run_partition(project, partition, ingest=True, command="replay")]
    if outcomes[0].status != "success":
        say(f"replay of {partition} did not succeed; downstream days were not rebuilt")
        return outcomes
    later = downstream_days(project, partition)
    for index, (day, models) in enumerate(later.items(), start=1):
        say(f"  downstream [{index}/{len(later)}] {day}: {', '.join(models)}")
        outcomes.append(run_partition(project, day, ingest=False, command="replay", select=models))
    return outcomes


# --------------------------------------------------------------------------
# retry


def retry(project: DbtProject, evidence_dir: Path, run_id: str | None) -> list[RunOutcome]:
    """Re-run only what failed in a run, for the same partitions. A run that
    failed on its input (a refused or missing export, too many rejected
    lines) is not retried: the same export fails the same way; replay it
    once it is corrected."""
    evidence = _find_run(evidence_dir, run_id)
    bad_inputs = [i for i in evidence["inputs"] if i["status"] == "failed"]
    if bad_inputs:
        days = sorted({i["partition"] for i in bad_inputs})
        codes = sorted({code for i in bad_inputs for code in i["reason_codes"]})
        raise FactoryError(
            "INPUT_NOT_RETRIABLE",
            f"run {evidence['run_id']} failed on its input for {', '.join(days)} "
            f"({', '.join(codes) or 'refused'}); a retry would fail the same way. "
            "Once the export is corrected: "
            + " && ".join(f"factory replay --partition {day}" for day in days)
            + " (runbooks/bad-or-corrected-export.md)",
        )
    selection = sorted(
        {
            a["asset"]
            for a in evidence["assets"]
            if a["resource_type"] in ("model", "seed", "snapshot")
            and (a["status"] in ("failed", "blocked") or "CHECK_FAILED" in a["reason_codes"])
        }
    )
    if not selection:
        raise FactoryError(
            "NOTHING_TO_RETRY",
            f"run {evidence['run_id']} has nothing to retry: "
            "every asset it attempted materialized and passed its checks",
        )
    outcomes = []
    for partition in evidence["partitions"]:
        say(f"retry {evidence['run_id']} for {partition}: select " + " ".join(selection))
        outcomes.append(
            run_partition(
                project,
                partition,
                ingest=False,
                command="retry",
                select=selection,
            )
        )
    return outcomes


def _find_run(evidence_dir: Path, run_id: str | None) -> dict:
    """The factory run evidence named, or the latest failed one. Only files
    that validate count (a stray `[]`, a half-written or edited file is
    skipped, and said so)."""
    documents = []
    skipped = []
    candidates = sorted(evidence_dir.glob("*.json")) if evidence_dir.is_dir() else []
    # .tmp-* are writes in flight
    for path in (p for p in candidates if p.is_file() and not p.name.startswith(".")):
        loaded = load_evidence(path)
        if not loaded.valid:
            skipped.append(path.name)
        elif loaded.document["kind"] == "factory_run":
            documents.append(loaded.document)
    if skipped:
        say(
            f"retry: skipped {len(skipped)} evidence file(s) that do not validate "
            f"(`factory validate` says why): {', '.join(skipped[:5])}"
        )
    if run_id:
        for document in documents:
            if document["run_id"] == run_id:
                return document
        raise FactoryError(
            "RUN_UNKNOWN", f"no factory run evidence with run id {run_id} in {evidence_dir}"
        )
    failed = [d for d in documents if d["status"] != "success"]
    if not failed:
        raise FactoryError("NOTHING_TO_RETRY", f"no failed run to retry in {evidence_dir}")
    return max(failed, key=lambda d: (d["started_at"], d["run_id"]))
