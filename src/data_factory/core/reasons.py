"""Reason codes: stable UPPER_SNAKE identifiers used in evidence, state,
decisions and runbooks. The evidence schema's enum must list exactly these
(a test keeps them in step), and `runbooks/statuses-and-reasons.md` explains each."""

from __future__ import annotations

REASON_CODES: dict[str, str] = {
    # landing and ingest
    "LANDING_MISSING": "No landing directory or manifest exists for the partition.",
    "MANIFEST_INVALID": (
        "The landing manifest is not valid JSON, lacks required fields, has a field of the "
        "wrong type, or contradicts itself."
    ),
    "MANIFEST_FILE_MISSING": "A file listed in the landing manifest is not on disk.",
    "MANIFEST_CHECKSUM_MISMATCH": "A landing file's sha256 differs from its manifest entry.",
    "MANIFEST_LINE_COUNT_MISMATCH": "A landing file's line count differs from its manifest entry.",
    "MANIFEST_SIZE_MISMATCH": "A landing file's size in bytes differs from its manifest entry.",
    "LANDING_SYMLINK": (
        "The landing directory holds a symbolic link; links are never followed and the day "
        "is refused."
    ),
    "LANDING_UNREADABLE": "A landing file could not be read.",
    "MANIFEST_UNLISTED_FILE": (
        "A data file sits in the landing directory but is not in the manifest; the day is refused."
    ),
    "UNLISTED_LANDING_FILE": (
        "A hidden or metadata file (named .* or _*) sits in the landing directory but is not "
        "in the manifest; it was ignored."
    ),
    "MALFORMED_JSON": "A line is not a JSON object.",
    "INVALID_ENCODING": "A line is not valid UTF-8 text; it was rejected alone.",
    "MISSING_REQUIRED_FIELD": "A line lacks a required field, or the field is null.",
    "INVALID_TYPE": (
        "A field has the wrong JSON type, or a value is not of its contract's type (a "
        "timestamp that is not UTC ISO-8601, say)."
    ),
    "EVENT_OUTSIDE_PARTITION": "The event's timestamp is not on the partition's day.",
    "MALFORMED_CSV": "A line of a CSV export is not a record of its header's fields.",
    "VALUE_NOT_ACCEPTED": "A field has a value its landing contract does not accept.",
    "DUPLICATE_KEY": (
        "A line repeats the primary key of an earlier line of the day, and its landing "
        "contract rejects duplicates."
    ),
    "LANDING_CONTRACT_INVALID": (
        "A landing source's contract (its dbt source's meta.landing_contract) is incomplete "
        "or contradicts itself; nothing was read."
    ),
    "ROWS_REJECTED": (
        "Some lines were rejected; each is kept with its reason in the rejected-lines table."
    ),
    "REJECTED_ROWS_OVER_THRESHOLD": "The share of rejected lines is above the allowed threshold.",
    "SCHEMA_DRIFT": "Lines carry fields the factory does not know; they were landed without them.",
    "EMPTY_PARTITION": "The partition's export has no events.",
    "EXPORT_REFUSED": (
        "A later export of the day was refused and nothing of it was written; the day keeps "
        "what was landed before (a warning)."
    ),
    "RECONCILIATION_FAILED": "Row counts do not reconcile between landing and the built tables.",
    "EXPORT_CHANGED": (
        "A new export of the day has landed since this cell was built (its landing manifest "
        "differs from the one its run recorded): replay the day to build from it."
    ),
    "LANDING_FOLDER_NOT_A_DAY": (
        "A landing folder is not named dt=YYYY-MM-DD with a real day; it is never planned or built."
    ),
    "LANDING_OUTSIDE_HISTORY": (
        "A landing folder's day lies before the history the project declares; it is never "
        "planned or built."
    ),
    # invocation
    "INVALID_PARTITION": "A partition is not a real YYYY-MM-DD calendar day.",
    "INVALID_OPTION": "An option has a value the command cannot use; nothing ran.",
    "WAREHOUSE_LOCKED": "Another factory run holds the warehouse.",
    "WAREHOUSE_UNREADABLE": (
        "The warehouse file cannot be opened: it is damaged or not a DuckDB database."
    ),
    "WAREHOUSE_MISSING": (
        "The warehouse the evidence was built into is gone: the file was deleted, truncated, "
        "cannot be opened, or was replaced by another (another warehouse id)."
    ),
    "WAREHOUSE_CONTENT_CHANGED": (
        "The warehouse no longer holds what the evidence recorded: the cell's fingerprint "
        "(rows and content hash) computed again differs."
    ),
    "HOME_NOT_WRITABLE": (
        "The factory home (data directory) cannot be written: read-only, full or not permitted."
    ),
    "DBT_PARSE_FAILED": "dbt could not parse the project (an error in models, macros or YAML).",
    "DBT_DOCS_FAILED": "dbt docs generate failed; the lineage site was not written.",
    "LINEAGE_NOT_DELIVERED": (
        "The OpenLineage endpoint given to `factory lineage --url` could not be reached or "
        "refused an event."
    ),
    "RANGE_OVER_LIMIT": (
        "A range of days is longer than the limit a run takes without --max-days; nothing ran."
    ),
    "INPUT_NOT_RETRIABLE": (
        "A retry would fail again: the run failed on its input (the export), which a retry "
        "does not change."
    ),
    "NOTHING_TO_RETRY": "The run named (or the latest failed run) has nothing failed to retry.",
    "RUN_UNKNOWN": "No factory run evidence has that run id.",
    "BUILD_ERROR": "The asset's build errored at run time.",
    "CHECK_FAILED": "An error-severity check on the asset failed or errored.",
    "CHECK_WARNED": "A warn-severity check found rows; advisory, it does not block.",
    "UPSTREAM_FAILED": "Not attempted: an upstream asset of the same run failed.",
    "UPSTREAM_BLOCKED": "Not attempted: an upstream asset is blocked.",
    "UPSTREAM_CHECK_FAILED": "Not attempted: an upstream asset has a failing error-severity check.",
    "UPSTREAM_NOT_CONSUMABLE": (
        "Built, but a cell it reads (the same day upstream, a day of its window, their landing) "
        "is not consumable; the reason names the root cell."
    ),
    "UPSTREAM_NOT_AVAILABLE": (
        "An asset it needs is switched off (optional dependency not enabled)."
    ),
    "ASSET_DISABLED": "The asset is switched off in this project configuration.",
    "NOT_SELECTED": "Not selected in this run; its earlier state stands.",
    # state and decisions
    "APPROVAL_NOT_NEEDED": (
        "The consumer is not blocked on that day (or an approval already releases it); "
        "there is nothing to approve."
    ),
    "APPROVAL_OVERRIDE": (
        "Released although blocked: an owner approved it; the block reasons it overrides "
        "are recorded with it."
    ),
    "APPROVER_NOT_OWNER": (
        "The person approving is not an owner named for the consumer or for an asset it depends on."
    ),
    "APPROVER_KEY_REQUIRED": (
        "An approval was asked for with a typed name (--by) and no key: the approver's name "
        "comes from the key (--key), never from a flag."
    ),
    "APPROVER_KEY_NOT_ALLOWED": (
        "The approval key is not listed for approvals in the allowed-signers file."
    ),
    "SIGNING_KEY_INVALID": "A signing key cannot be read, or is not an unencrypted Ed25519 key.",
    "SIGNERS_INVALID": "A line of the allowed-signers file does not parse.",
    "CONSUMER_UNKNOWN": "No dbt exposure (enabled or disabled) has that name.",
    "DBT_MANIFEST_MISSING": (
        "No parsed dbt manifest is available to name consumers, owners and asset settings."
    ),
    "PARTITION_MISSING": "No evidence records a build of this asset for that day.",
    "CHECK_SQL_MISSING": (
        "The check has no compiled SQL for that day: it did not run in the day's last build, "
        "or that run's target directory is gone."
    ),
    "CHECK_SQL_FAILED": "The check's compiled SQL for that day no longer runs on the warehouse.",
    "STALE_CODE_CHANGED": (
        "The model's code (manifest checksum) changed since this partition was built."
    ),
    "STALE_UPSTREAM_CHANGED": (
        "An unpartitioned upstream (a seed) changed its checksum since this partition was built."
    ),
    "STALE_UPSTREAM_REBUILT": (
        "An upstream partition this one reads was rebuilt after this one was built."
    ),
    "STATE_MISSING": (
        "There is no state store yet; `factory state rebuild` creates it from the evidence."
    ),
    "STATE_UNREADABLE": (
        "The state store cannot be read or written; `factory state rebuild` recreates it."
    ),
    # evidence
    "ARTIFACT_VERSION_UNSUPPORTED": "A dbt artifact has a schema version the factory cannot read.",
    "EVIDENCE_INVALID": "An evidence file does not validate against its JSON Schema.",
    "EVIDENCE_HASH_MISMATCH": "An evidence file's content does not match its recorded sha256.",
    "EVIDENCE_SIGNATURE_INVALID": (
        "An evidence file is not signed, is signed by a key not allowed for it, or its "
        "signature does not match its content."
    ),
    "EVIDENCE_CHAIN_BROKEN": (
        "An evidence file does not hold its place in the ledger (the hash chain of the "
        "home's evidence): one before it was changed or deleted, or it was inserted or renamed."
    ),
    "INGEST_EVIDENCE_MISSING": (
        "The build evidence of a day names no input, or an ingest run whose evidence is not "
        "in the home (deleted) or does not record that day (`factory verify`)."
    ),
    "EVIDENCE_COUNTS_INCONSISTENT": (
        "An evidence document's counts contradict each other or the landing manifest: "
        "manifest lines differ from landed + rejected or from the manifest's own lines, a "
        "reconciliation from the input, an asset's rows from its fingerprint (`factory verify`)."
    ),
    "EVIDENCE_INPUT_MISMATCH": (
        "The build evidence's input of a day differs from the ingest evidence it names "
        "(manifest sha256, lines, landed or rejected rows) (`factory verify`)."
    ),
    "DECISION_CELL_UNKNOWN": (
        "A decision or approval names a cell (asset, day, run) that no build evidence "
        "records (`factory verify`)."
    ),
    "EVIDENCE_NOT_WRITTEN": (
        "A build changed the warehouse but its evidence was never written (refused or "
        "interrupted); its cells are failed until the day is built again."
    ),
}


# Codes a consumable cell may carry: advisory, shown as a warning mark.
WARNING_CODES = frozenset(
    {
        "CHECK_WARNED",
        "ROWS_REJECTED",
        "SCHEMA_DRIFT",
        "UNLISTED_LANDING_FILE",
        "EMPTY_PARTITION",
        "EXPORT_REFUSED",
    }
)


def describe(code: str) -> str:
    return REASON_CODES.get(code, "unknown reason code")
