"""Python reads the dbt project; it never names its models, sources, seeds,
tests or vars in logic. The ingest and its raw tables read each export's
landing contract from the manifest (project.contracts); only what is left of
the ticket export in landing/ (the landed days and inputs it reads back, the
generator of test exports and the Spark export of landed tables) may still
name its raw tables. Comments and docstrings may name anything."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "src" / "data_factory"
LANDING_CONTRACT = ("landing/",)


def project_names() -> set[str]:
    """Every model, seed, source table, exposure, generic test and var name."""
    names = {
        path.stem
        for folder in ("models", "seeds")
        for path in (ROOT / folder).rglob("*.*")
        if path.suffix in (".sql", ".csv")
    }
    names |= {path.stem for path in (ROOT / "tests" / "dbt").rglob("*.sql")}
    project = yaml.safe_load((ROOT / "dbt_project.yml").read_text())
    names |= set(project.get("vars") or {})
    for path in (ROOT / "models").rglob("*.yml"):
        document = yaml.safe_load(path.read_text()) or {}
        for source in document.get("sources") or []:
            names |= {table["name"] for table in source.get("tables") or []}
        names |= {item["name"] for item in document.get("exposures") or []}
    return {name for name in names if not name.startswith("_")}


def literals(tree: ast.AST):
    """String constants that are not docstrings."""
    docstrings = set()
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        first = body[0] if isinstance(body, list) and body else None
        if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
            docstrings.add(id(first.value))
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and id(node) not in docstrings
        ):
            yield node


def test_the_project_has_the_names_this_test_looks_for():
    names = project_names()
    # a sample of what the scan must know about, so that it cannot pass empty
    assert {"ticket_fact", "ticket_kpi_daily", "kpi_lookback_days", "ticket_events"} <= names


def test_no_python_module_names_a_node_or_var_of_the_project():
    names = project_names()
    pattern = re.compile(r"\b(" + "|".join(sorted(map(re.escape, names))) + r")\b")
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = str(path.relative_to(PACKAGE))
        if relative.startswith(LANDING_CONTRACT):
            continue
        for node in literals(ast.parse(path.read_text())):
            for match in pattern.finditer(node.value):
                found.append(f"{relative}:{node.lineno}: {match.group(1)!r} in {node.value[:60]!r}")
    assert not found, "Python names the dbt project:\n" + "\n".join(found)
