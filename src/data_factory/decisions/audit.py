"""Operational asset risks: what could make tomorrow's handover go wrong,
computed from the dbt manifest and the state store.

Each finding has a stable `risk` name (explained in
runbooks/statuses-and-reasons.md). A finding marked `expected` is listed for
completeness but is not a risk: seeds have no partition config by design
(they are small reference tables, always loaded whole), and assets
switched off by configuration have no evidence of their own.

A finding is `accepted` when the asset (or exposure) it is about says so in
the dbt project, with a reason reviewed like any code:
``meta: {audit_accepts: {RISK: "why this is acceptable"}}``. It is listed
with its reason and does not count. An acceptance that names no known risk,
gives no reason, or no longer matches a finding is itself a risk
(`audit_acceptance_invalid`, `audit_acceptance_unused`), so acceptances cannot
rot.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass, field

from rich.console import Console
from rich.table import Table

from data_factory.core.errors import FactoryError
from data_factory.core.partitions import day_range
from data_factory.core.paths import FactoryPaths
from data_factory.landing.landed import landed_days
from data_factory.project.consumers import consumers
from data_factory.project.manifest import (
    asset_key,
    asset_nodes,
    checks_by_asset,
    disabled_assets,
    node_meta,
    partition_column,
)
from data_factory.project.parsed import load_manifest
from data_factory.state.read import read_cells, run_partitions

RISKS = {
    "asset_without_partition_config": (
        "no meta.partition_column: the factory cannot say which day it holds"
    ),
    "asset_without_error_checks": "no error-severity data test: nothing can block a bad partition",
    "asset_without_evidence": "no run evidence mentions it at all",
    "partitions_without_evidence": "days inside the built range with no evidence of a build",
    "consumer_without_owner": "nobody named may approve a release when it is blocked",
    "source_without_freshness": "no freshness rule: a late export goes unnoticed",
    "landing_gap": "days missing between the first and the last landed day",
    "landed_not_built": "landed days that no factory run has built",
    "audit_acceptance_invalid": (
        "a meta.audit_accepts entry names no known risk or gives no reason"
    ),
    "audit_acceptance_unused": "a meta.audit_accepts entry accepts a risk that is not found",
}
ACCEPTS_KEY = "audit_accepts"


@dataclass
class Finding:
    risk: str
    subject: str
    detail: str
    partitions: list[str] = field(default_factory=list)
    expected: bool = False
    accepted: str | None = None  # the project's reason for accepting it

    @property
    def counts(self) -> bool:
        """A risk that counts: neither expected nor accepted."""
        return not self.expected and self.accepted is None

    def to_dict(self) -> dict:
        return {**asdict(self), "meaning": RISKS[self.risk]}


def risks_of(findings: list[Finding]) -> list[Finding]:
    return [f for f in findings if f.counts]


def _accept(findings: list[Finding], nodes: dict[str, dict]) -> list[Finding]:
    """Mark the findings the project accepts (meta.audit_accepts of the node
    named by the finding's subject), and add a finding for every acceptance
    that is invalid or matches nothing."""
    by_subject: dict[str, tuple[str, dict]] = {}
    for uid, node in sorted(nodes.items()):
        accepts = node_meta(node).get(ACCEPTS_KEY)
        if accepts is not None:
            by_subject[asset_key(node)] = (uid, accepts)
    used: set[tuple[str, str]] = set()
    for finding in findings:
        _, accepts = by_subject.get(finding.subject, ("", {}))
        reason = accepts.get(finding.risk) if isinstance(accepts, dict) else None
        if isinstance(reason, str) and reason.strip() and not finding.expected:
            finding.accepted = reason.strip()
            used.add((finding.subject, finding.risk))
    extra = []
    for subject, (uid, accepts) in by_subject.items():
        if not isinstance(accepts, dict):
            extra.append(
                Finding(
                    "audit_acceptance_invalid",
                    subject,
                    f"{uid}: meta.{ACCEPTS_KEY} must map a risk name to a reason, got {accepts!r}",
                )
            )
            continue
        for risk, reason in sorted(accepts.items()):
            if risk not in RISKS or not isinstance(reason, str) or not reason.strip():
                why = (
                    f"{risk!r} is not a risk (known: {', '.join(RISKS)})"
                    if risk not in RISKS
                    else f"accepting {risk} needs a reason, got {reason!r}"
                )
                extra.append(
                    Finding(
                        "audit_acceptance_invalid", subject, f"{uid}: meta.{ACCEPTS_KEY}: {why}"
                    )
                )
            elif (subject, risk) not in used:
                extra.append(
                    Finding(
                        "audit_acceptance_unused",
                        subject,
                        f"{uid} accepts {risk}, but the audit does not find it: "
                        f"remove the entry from meta.{ACCEPTS_KEY}",
                    )
                )
    return findings + extra


def _shown(days: list[str], limit: int = 8) -> str:
    return ", ".join(days[:limit]) + (f" and {len(days) - limit} more" if len(days) > limit else "")


def _project_findings(manifest: dict) -> list[Finding]:
    findings = []
    assets = asset_nodes(manifest)
    checks = checks_by_asset(manifest)
    for uid, node in sorted(assets.items()):
        key = asset_key(node)
        kind = node.get("resource_type")
        if not partition_column(node):
            seed = kind == "seed"
            findings.append(
                Finding(
                    "asset_without_partition_config",
                    key,
                    "a seed: reference data loaded whole, so no partitions by design"
                    if seed
                    else f"{kind} {uid} has no meta.partition_column",
                    expected=seed,
                )
            )
        error_checks = [
            t
            for t in checks.get(uid, [])
            if t.get("resource_type") == "test"
            and str((t.get("config") or {}).get("severity", "error")).lower() == "error"
        ]
        if not error_checks:
            findings.append(
                Finding(
                    "asset_without_error_checks",
                    key,
                    f"{kind} {uid} has no error-severity data test "
                    "(unit tests check logic, not data)",
                )
            )
        if kind == "source":
            freshness = node.get("freshness") or (node.get("config") or {}).get("freshness") or {}
            rules = [freshness.get(k) for k in ("warn_after", "error_after")]
            if not any(rule and rule.get("count") for rule in rules):
                findings.append(
                    Finding(
                        "source_without_freshness",
                        key,
                        f"source {uid} has no freshness warn/error rule",
                    )
                )
    for consumer in sorted(consumers(manifest).values(), key=lambda c: c.name):
        if not consumer.owners:
            findings.append(
                Finding(
                    "consumer_without_owner",
                    consumer.name,
                    f"exposure {consumer.unique_id} names no config.meta.owners "
                    "(nor a dbt group owner)",
                )
            )
    return findings


def _state_findings(paths: FactoryPaths, manifest: dict) -> list[Finding]:
    findings = []
    try:
        cells = read_cells(paths)
        built_days = run_partitions(paths)
    except FactoryError as exc:
        if exc.reason_code != "STATE_MISSING":
            raise
        cells, built_days = [], set()
    landed = landed_days(paths)
    if len(landed) > 1:
        gaps = sorted(set(day_range(landed[0], landed[-1])) - set(landed))
        if gaps:
            findings.append(
                Finding(
                    "landing_gap",
                    "landing/tickets",
                    f"{len(gaps)} day(s) between {landed[0]} and {landed[-1]} have no landing: "
                    + _shown(gaps),
                    partitions=gaps,
                )
            )
    unbuilt = [day for day in landed if day not in built_days]
    if unbuilt:
        findings.append(
            Finding(
                "landed_not_built",
                "landing/tickets",
                f"{len(unbuilt)} landed day(s) have no factory run evidence: {_shown(unbuilt)}",
                partitions=unbuilt,
            )
        )
    known_days = sorted(set(landed) | built_days)
    span = day_range(known_days[0], known_days[-1]) if known_days else []
    by_asset: dict[str, dict] = {}
    for cell in cells:
        by_asset.setdefault(cell["unique_id"], {})[cell["partition"]] = cell
    enabled = asset_nodes(manifest)
    for uid, node in sorted({**disabled_assets(manifest), **enabled}.items()):
        key = asset_key(node)
        recorded = by_asset.get(uid, {})
        switched_off = uid not in enabled
        if not any(c["status"] != "missing" for c in recorded.values()):
            findings.append(
                Finding(
                    "asset_without_evidence",
                    key,
                    "switched off in the project, so it has no evidence of its own"
                    if switched_off
                    else f"no run evidence records {key}",
                    expected=switched_off,
                )
            )
            continue
        if switched_off or not partition_column(node):
            continue
        days = [d for d in span if d not in recorded or recorded[d]["status"] == "missing"]
        if days:
            findings.append(
                Finding(
                    "partitions_without_evidence",
                    key,
                    f"{len(days)} day(s) between {span[0]} and {span[-1]} have no "
                    f"evidence of a build of {key}: {_shown(days)}",
                    partitions=days,
                )
            )
    return findings


def audit(paths: FactoryPaths, manifest: dict | None = None) -> list[Finding]:
    manifest = manifest or load_manifest(paths, parse_if_missing=False)
    return audit_findings(manifest, _state_findings(paths, manifest))


def audit_findings(manifest: dict, state_findings: Iterable[Finding] = ()) -> list[Finding]:
    """The project's findings and the given state findings, with the
    project's acceptances applied."""
    nodes = {**asset_nodes(manifest), **(manifest.get("exposures") or {})}
    return _accept(_project_findings(manifest) + list(state_findings), nodes)


def render_findings(findings: list[Finding], console: Console) -> None:
    risks = risks_of(findings)
    expected = sum(f.expected for f in findings)
    accepted = sum(f.accepted is not None for f in findings)
    title = f"operational asset risks: {len(risks)} found"
    if expected:
        title += f", {expected} expected"
    if accepted:
        title += f", {accepted} accepted by the project"
    table = Table(title=title)
    table.add_column("risk")
    table.add_column("subject")
    table.add_column("detail")
    for finding in findings:
        if finding.expected:
            detail = f"(expected) {finding.detail}"
        elif finding.accepted is not None:
            detail = f"(accepted) {finding.detail}\n  why: {finding.accepted}"
        else:
            detail = finding.detail
        table.add_row(finding.risk, finding.subject, detail, style="" if finding.counts else "dim")
    console.print(table)
