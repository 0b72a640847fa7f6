"""Every check of the head's sample build, from dbt's run_results.json
(and every model, seed or snapshot that failed to build: it blocks as an
error check does), and the same as JUnit XML (written with the standard library's
ElementTree) for a CI system to show them."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ElementTree
from dataclasses import dataclass
from pathlib import Path

from data_factory.runs.build import RunOutcome

CHECK_TYPES = ("test", "unit_test")
BUILT_TYPES = ("model", "seed", "snapshot")
# dbt colours a unit test's diff with ANSI escapes, and XML 1.0 allows no
# control character but tab and newline: both go before a message is kept
_UNPRINTABLE = re.compile(r"\x1b\[[0-9;]*m|[\x00-\x08\x0b\x0c\x0e-\x1f]")


@dataclass(frozen=True)
class CheckResult:
    partition: str
    unique_id: str
    name: str
    severity: str  # error | warn
    status: str  # dbt's: pass | fail | warn | error | skipped
    failures: int | None
    message: str | None
    seconds: float

    @property
    def blocks(self) -> bool:
        """An error-severity check that found rows or could not run."""
        return self.status == "error" or (self.status == "fail" and self.severity == "error")


def head_checks(outcomes: list[RunOutcome], manifest: dict, runs_folder: Path) -> list[CheckResult]:
    nodes = {**(manifest.get("nodes") or {}), **(manifest.get("unit_tests") or {})}
    found = []
    for outcome in outcomes:
        path = runs_folder / outcome.run_id / "run_results.json"
        if not path.exists():
            continue
        for result in json.loads(path.read_text(encoding="utf-8")).get("results") or []:
            uid = result["unique_id"]
            kind, status = uid.split(".")[0], str(result.get("status")).lower()
            if kind not in CHECK_TYPES and not (kind in BUILT_TYPES and status == "error"):
                continue
            node = nodes.get(uid) or {}
            found.append(
                CheckResult(
                    partition=outcome.partition,
                    unique_id=uid,
                    name=node.get("name") or uid,
                    severity=str((node.get("config") or {}).get("severity") or "error").lower(),
                    status=status,
                    failures=result.get("failures"),
                    message=_UNPRINTABLE.sub("", result.get("message") or "").strip() or None,
                    seconds=float(result.get("execution_time") or 0.0),
                )
            )
    return found


def junit_xml(checks: list[CheckResult]) -> str:
    """One test suite per sample day, one test case per check."""
    root = ElementTree.Element("testsuites", name="factory ci")
    for partition in sorted({check.partition for check in checks}):
        day = [check for check in checks if check.partition == partition]
        suite = ElementTree.SubElement(
            root,
            "testsuite",
            name=f"head build {partition}",
            tests=str(len(day)),
            failures=str(sum(c.status == "fail" and c.severity == "error" for c in day)),
            errors=str(sum(c.status == "error" for c in day)),
            skipped=str(sum(c.status == "skipped" for c in day)),
            time=f"{sum(c.seconds for c in day):.3f}",
        )
        for check in day:
            case = ElementTree.SubElement(
                suite,
                "testcase",
                classname=check.unique_id.split(".")[0],
                name=f"{check.name} [{partition}]",
                time=f"{check.seconds:.3f}",
            )
            text = check.message or ""
            if check.status == "error":
                ElementTree.SubElement(case, "error", message=text).text = text
            elif check.status == "fail" and check.severity == "error":
                ElementTree.SubElement(case, "failure", message=text).text = text
            elif check.status == "skipped":
                ElementTree.SubElement(case, "skipped")
            elif check.status in ("warn", "fail"):  # a warn-severity check that found rows
                ElementTree.SubElement(case, "system-out").text = f"warning: {text}"
    ElementTree.indent(root)
    return ElementTree.tostring(root, encoding="unicode", xml_declaration=True) + "\n"
