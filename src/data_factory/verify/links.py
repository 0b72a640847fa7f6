"""The links of a cell's chain, in the order a person would check them by
hand, each a function (history, cell) -> the Broken link, or None when it
holds (or does not apply to the cell):

  landing    the export's files: sha256, lines and bytes as its manifest says
  ingest     the ingest evidence the build names: it exists and validates,
             recorded the manifest that is there now, and manifest lines =
             landed + rejected
  build      the build evidence validates and agrees with that ingest and with
             itself (its input, its reconciliation, rows vs fingerprint)
  code       the model's checksum recorded = the project's manifest now
  warehouse  the content fingerprint recorded = the warehouse now (and the
             warehouse is the one it was built into)
  decisions  the decisions and approvals of the day that need the asset: each
             validates, names a known consumer and cells builds recorded, and
             an approval's approver is an owner

  ledger     the cell's evidence file holds its place in the hash chain of
             the home's evidence (evidence.ledger), and the chain's newest
             entries are all there

Every evidence document a link reads passes `DOCUMENT_CHECKS`: schema and
content sha256, then its signature by a key allowed for it
(evidence.signing).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from data_factory.evidence.files import LoadedEvidence
from data_factory.evidence.ledger import ChainProblem, verify_chain
from data_factory.evidence.signing import Trust, trust_near, verify_signature
from data_factory.project.consumers import approvers
from data_factory.verify.findings import Broken
from data_factory.verify.history import Cell, History
from data_factory.warehouse.fingerprint import same_content

Check = Callable[[History, Cell], Broken | None]
# (code, what was found) for a document that fails the check, else None
DocumentCheck = Callable[[LoadedEvidence], tuple[str, str] | None]


@dataclass(frozen=True)
class Link:
    name: str
    check: Check


def _schema_and_hash(loaded: LoadedEvidence) -> tuple[str, str] | None:
    """What `factory validate` says of the file (evidence.files.load_evidence)."""
    if not loaded.problems:
        return None
    code, _, text = loaded.problems[0].partition(": ")
    return (code, text) if code.isupper() else ("EVIDENCE_INVALID", loaded.problems[0])


_TRUST: dict[str, Trust] = {}


def _signature(loaded: LoadedEvidence) -> tuple[str, str] | None:
    """The signature, checked against the allowed signers (and the
    development run key of the file's home), read once per folder."""
    if loaded.document is None:
        return None
    folder = str(loaded.path.parent.resolve())
    if folder not in _TRUST:
        _TRUST[folder] = trust_near(loaded.path)
    problem = verify_signature(loaded.document, _TRUST[folder])
    if problem is None:
        return None
    code, _, text = problem.partition(": ")
    return code, text


DOCUMENT_CHECKS: list[DocumentCheck] = [_schema_and_hash, _signature]


def document_problem(link: str, loaded: LoadedEvidence) -> Broken | None:
    for check in DOCUMENT_CHECKS:
        found = check(loaded)
        if found:
            code, text = found
            return Broken(link, code, "a valid evidence document", text, str(loaded.path))
    return None


def _landing(history: History, cell: Cell) -> Broken | None:
    if cell.partition is None:
        return None
    if history.input_of(cell.document, cell.partition) is None and not (
        history.paths.tickets_partition_dir(cell.partition).exists()
    ):
        return None  # a cell of a day without landing (the ingest link says if it needs one)
    return history.landing(cell.partition)[1]


def _ingest(history: History, cell: Cell) -> Broken | None:
    if cell.partition is None:
        return None
    build_file = str(cell.build.path)
    recorded = history.input_of(cell.document, cell.partition)
    if recorded is None:
        if not history.paths.tickets_partition_dir(cell.partition).exists():
            return None
        return Broken(
            "ingest",
            "INGEST_EVIDENCE_MISSING",
            f"an input entry for {cell.partition} in the build evidence",
            "none",
            build_file,
        )
    run_id = recorded.get("ingest_run_id")
    loaded = history.documents.get(str(run_id))
    ingested = history.input_of(loaded.document if loaded else None, cell.partition)
    if loaded is None or ingested is None:
        return Broken(
            "ingest",
            "INGEST_EVIDENCE_MISSING",
            f"the evidence of ingest run {run_id} for {cell.partition}",
            "no evidence file records it" if loaded is None else f"{loaded.path.name} does not",
            build_file,
        )
    problem = document_problem("ingest", loaded)
    if problem:
        return problem
    manifest, _ = history.landing(cell.partition)
    ingest_file = str(loaded.path)
    if manifest is not None and ingested.get("manifest_sha256") != manifest.sha256:
        return Broken(
            "ingest",
            "EXPORT_CHANGED",
            f"manifest sha256 {ingested.get('manifest_sha256')} (the ingest evidence)",
            f"{manifest.sha256} ({manifest.path})",
            ingest_file,
        )
    if ingested.get("status") == "failed":
        return None  # a refused export: nothing was counted
    lines, landed, rejected = (
        ingested.get("manifest_lines"),
        ingested.get("landed_rows"),
        ingested.get("rejected_rows"),
    )
    if manifest is not None and lines != manifest.total_lines:
        return Broken(
            "ingest",
            "EVIDENCE_COUNTS_INCONSISTENT",
            f"{manifest.total_lines} manifest lines ({manifest.path})",
            f"{lines} (the ingest evidence)",
            ingest_file,
        )
    if not all(isinstance(n, int) for n in (lines, landed, rejected)) or lines != landed + rejected:
        return Broken(
            "ingest",
            "EVIDENCE_COUNTS_INCONSISTENT",
            "manifest lines = landed + rejected",
            f"{lines} lines, {landed} landed + {rejected} rejected",
            ingest_file,
        )
    return None


_INPUT_FACTS = ("manifest_sha256", "manifest_lines", "landed_rows", "rejected_rows")


def _build(history: History, cell: Cell) -> Broken | None:
    problem = document_problem("build", cell.build)
    if problem:
        return problem
    build_file = str(cell.build.path)
    recorded = history.input_of(cell.document, cell.partition)
    if recorded is not None and cell.partition is not None:
        ingest = history.documents.get(str(recorded.get("ingest_run_id")))
        ingested = history.input_of(ingest.document if ingest else None, cell.partition) or {}
        for fact in _INPUT_FACTS:
            if recorded.get(fact) != ingested.get(fact):
                return Broken(
                    "build",
                    "EVIDENCE_INPUT_MISMATCH",
                    f"{fact} {ingested.get(fact)} (ingest {recorded.get('ingest_run_id')})",
                    f"{recorded.get(fact)} (the build's input)",
                    build_file,
                )
        for entry in cell.document.get("reconciliation") or []:
            if entry.get("partition") != cell.partition:
                continue
            for fact in _INPUT_FACTS[1:]:
                if fact in entry and entry[fact] != recorded.get(fact):
                    return Broken(
                        "build",
                        "EVIDENCE_COUNTS_INCONSISTENT",
                        f"reconciliation {fact} = the input's {recorded.get(fact)}",
                        f"{entry[fact]}",
                        build_file,
                    )
    rows, fingerprint = cell.entry.get("rows"), cell.entry.get("fingerprint")
    if isinstance(fingerprint, dict) and rows is not None and rows != fingerprint.get("rows"):
        return Broken(
            "build",
            "EVIDENCE_COUNTS_INCONSISTENT",
            f"rows = its fingerprint's {fingerprint.get('rows')}",
            f"{rows} rows",
            build_file,
        )
    return None


def _code(history: History, cell: Cell) -> Broken | None:
    recorded = cell.entry.get("checksum")
    if not recorded:
        return None  # sources: no code
    node = (history.manifest.get("nodes") or {}).get(cell.unique_id)
    now = ((node or {}).get("checksum") or {}).get("checksum")
    if now != recorded:
        return Broken(
            "code",
            "STALE_CODE_CHANGED",
            f"checksum {recorded} (the build evidence)",
            f"{now} (the project now)" if now else "the node is no longer in the project",
            str(cell.build.path),
        )
    return None


def _print(fingerprint: dict | None) -> str:
    if not fingerprint:
        return "no table"
    quick = (fingerprint.get("quick") or {}).get("hash")
    shown = fingerprint.get("hash") or (f"quick {quick}" if quick else "?")
    return f"{fingerprint.get('rows')} rows, hash {shown}"


def _warehouse(history: History, cell: Cell) -> Broken | None:
    recorded = cell.entry.get("fingerprint")
    if not isinstance(recorded, dict):
        return None
    warehouse = str(history.paths.warehouse)
    built_into = (cell.document.get("warehouse") or {}).get("id")
    if history.warehouse_problem:
        code = "WAREHOUSE_LOCKED" if history.warehouse_problem == "locked" else "WAREHOUSE_MISSING"
        return Broken("warehouse", code, "the warehouse", history.warehouse_problem, warehouse)
    if built_into and built_into != history.warehouse_id:
        return Broken(
            "warehouse",
            "WAREHOUSE_MISSING",
            f"warehouse id {built_into} (the build evidence)",
            f"{history.warehouse_id or 'no id'} (another warehouse)",
            warehouse,
        )
    now = history.fingerprint_now(cell)
    if not same_content(recorded, now):
        return Broken(
            "warehouse",
            "WAREHOUSE_CONTENT_CHANGED",
            f"{_print(recorded)} (the build evidence)",
            f"{_print(now)} (the warehouse now)",
            str(cell.build.path),
        )
    return None


def _named_cells(decision: dict) -> list[dict]:
    recorded = [
        *(decision.get("reasons") or []),
        *(decision.get("overridden") or []),
        *(decision.get("warnings") or []),
    ]
    return [r for r in recorded if isinstance(r, dict) and r.get("run_id") and r.get("asset")]


def _decision_problem(history: History, loaded: LoadedEvidence) -> Broken | None:
    problem = document_problem("decisions", loaded)
    if problem:
        return problem
    document = loaded.document or {}
    decision = document.get("decision") or {}
    where = str(loaded.path)
    consumer = history.consumers.get(decision.get("consumer"))
    if consumer is None:
        return Broken(
            "decisions",
            "CONSUMER_UNKNOWN",
            "a consumer (dbt exposure) of the project",
            str(decision.get("consumer")),
            where,
        )
    for reason in _named_cells(decision):
        if history.build_of(reason["run_id"], reason["asset"], reason.get("partition")) is None:
            return Broken(
                "decisions",
                "DECISION_CELL_UNKNOWN",
                f"{reason['asset']} {reason.get('partition')} in run {reason['run_id']}",
                "no build evidence records it",
                where,
            )
    owners = approvers(consumer, history.manifest)
    for approval in document.get("approvals") or []:
        name = str(approval.get("approved_by"))
        if name.casefold() not in owners:
            return Broken(
                "decisions",
                "APPROVER_NOT_OWNER",
                f"an owner of {consumer.name}: {', '.join(sorted(n for n, _ in owners.values()))}",
                name,
                where,
            )
    return None


def _decisions(history: History, cell: Cell) -> Broken | None:
    if cell.partition is None:
        return None
    for loaded in history.decisions.get(cell.partition, []):
        decision = (loaded.document or {}).get("decision") or {}
        if cell.asset not in (decision.get("requires") or []):
            continue
        problem = history.memo(("decision", str(loaded.path)), _decision_problem, loaded)
        if problem:
            return problem
    return None


def _chain(history: History) -> list[ChainProblem]:
    return verify_chain(item.path for item in history.loaded)


def _ledger(history: History, cell: Cell) -> Broken | None:
    """Problems of the chain as a whole (its newest entries gone) break every
    cell; a problem of one file breaks the cells whose evidence it is."""
    name = cell.build.path.name
    for problem in history.memo(("ledger",), _chain):
        if problem.file_name in (None, name):
            where = str(cell.build.path if problem.file_name else history.paths.evidence)
            return Broken(
                "ledger", "EVIDENCE_CHAIN_BROKEN", "an unbroken ledger", problem.message, where
            )
    return None


LINKS: list[Link] = [
    Link("landing", _landing),
    Link("ingest", _ingest),
    Link("build", _build),
    Link("code", _code),
    Link("warehouse", _warehouse),
    Link("decisions", _decisions),
    Link("ledger", _ledger),
]


def first_broken(history: History, cell: Cell) -> Broken | None:
    for link in LINKS:
        broken = link.check(history, cell)
        if broken is not None:
            return broken
    return None
