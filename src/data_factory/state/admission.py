"""Which evidence documents the state store may index, beyond each file's
own checks (schema, sha256, signature: evidence.files.load_evidence):

* the ledger: the file holds its place in the hash chain of the home
  (evidence.ledger), checked against the files already indexed;
* an approval: its signer is, now, an owner of the consumer or of an asset
  it needs (the dbt project's owners, matched to the key's principal), and
  it names that principal as the approver.

A document refused here is named with its reasons and never indexed, so a
forgery never becomes a consumable cell or a released consumer."""

from __future__ import annotations

import sqlite3

from data_factory.evidence.ledger import ChainProblem, Entry, chain_problems, entry_of
from data_factory.project.consumers import approvers, consumers


def indexed_entries(connection: sqlite3.Connection) -> list[Entry]:
    """The ledger places of every file the store has seen, indexed or refused
    (a refused file still holds its place: the one after it links to it)."""
    columns = "file_name, file_sha256, run_id, ledger_sequence, ledger_previous"
    rows = [
        *connection.execute(f"select {columns} from evidence"),
        *connection.execute(f"select {columns} from rejected_evidence"),
    ]
    return [
        Entry(
            r["file_name"],
            r["file_sha256"],
            r["run_id"],
            r["ledger_sequence"],
            r["ledger_previous"],
        )
        for r in rows
    ]


def chain_refusals(
    indexed: list[Entry], candidates: list[tuple[str, str, dict | None]], head: dict | None
) -> tuple[dict[str, list[str]], list[str]]:
    """Problems of each candidate (file name, sha256, document) in the chain
    with the indexed entries; and problems of the chain as a whole."""
    fresh = {name for name, _, _ in candidates}
    entries = [e for e in indexed if e.file_name not in fresh]
    entries += [entry_of(name, sha, document) for name, sha, document in candidates]
    found: dict[str, list[str]] = {}
    overall = []
    problem: ChainProblem
    for problem in chain_problems(entries, head):
        if problem.file_name is None:
            overall.append(str(problem))
        elif problem.file_name in fresh:
            found.setdefault(problem.file_name, []).append(str(problem))
    return found, overall


def approval_problems(document: dict, manifest: dict | None) -> list[str]:
    """Why an approval document may not be indexed (empty: it may)."""
    if document.get("kind") != "approval":
        return []
    if manifest is None:
        return ["APPROVER_NOT_OWNER: no parsed dbt project to check the approver's ownership"]
    principal = (document.get("signature") or {}).get("principal") or ""
    known = consumers(manifest)
    problems = []
    for approval in document.get("approvals") or []:
        consumer = known.get(approval["consumer"])
        owners = approvers(consumer, manifest) if consumer else {}
        if principal.casefold() not in owners:
            problems.append(
                f"APPROVER_NOT_OWNER: the approval of {approval['consumer']} "
                f"{approval['partition']} is signed by {principal or 'nobody'}, who is not an "
                "owner of the consumer or of an asset it needs"
            )
        elif approval["approved_by"].casefold() != principal.casefold():
            problems.append(
                f"APPROVER_NOT_OWNER: the approval names {approval['approved_by']} as the "
                f"approver but is signed by {principal}"
            )
    return problems
