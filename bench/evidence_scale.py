"""Figure 4, evidence on a large project: `factory evidence --target-dir` on a
synthetic project of thousands of nodes (copies of a real run's), against
dbt-artifacts-parser reading the same two files."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from bench.figure import Figure, interleave, median
from bench.processes import BenchError, factory_cmd, measured, run_worker, say
from bench.suite import Bench

KEY = "evidence"
TITLE = "Evidence on a large project"


def synthesize_project(run_dir: Path, target: Path, node_count: int) -> dict:
    """A dbt target directory of `node_count` manifest nodes: copies of a real
    run's seeds, models and tests, rewired to their own copies, with a run
    result for each."""
    import copy

    manifest = json.loads((run_dir / "manifest.json").read_text())
    run_results = json.loads((run_dir / "run_results.json").read_text())
    originals = manifest["nodes"]
    order = ("seed", "model", "test")
    cloned = sorted(
        (uid for uid, n in originals.items() if n["resource_type"] in order),
        key=lambda uid: (order.index(originals[uid]["resource_type"]), uid),
    )
    nodes = {uid: n for uid, n in originals.items() if uid not in cloned}
    results_by_id = {r["unique_id"]: r for r in run_results["results"]}
    results = [r for r in run_results["results"] if r["unique_id"] not in cloned]
    copy_number = 0
    while len(nodes) < node_count:
        renamed = {uid: _copy_id(uid, copy_number) for uid in cloned}
        for uid in cloned:
            if len(nodes) >= node_count:
                break
            node = _copy_node(copy.deepcopy(originals[uid]), renamed, copy_number)
            nodes[node["unique_id"]] = node
            if uid in results_by_id:
                result = copy.deepcopy(results_by_id[uid])
                result["unique_id"] = node["unique_id"]
                results.append(result)
        copy_number += 1
    manifest["nodes"] = nodes
    manifest["parent_map"], manifest["child_map"] = _lineage_maps(manifest)
    run_results["results"] = results
    target.mkdir(parents=True, exist_ok=True)
    (target / "manifest.json").write_text(json.dumps(manifest))
    (target / "run_results.json").write_text(json.dumps(run_results))
    return {
        "nodes": len(nodes),
        "results": len(results),
        "copies": copy_number,
        "manifest_bytes": (target / "manifest.json").stat().st_size,
        "run_results_bytes": (target / "run_results.json").stat().st_size,
    }


def _copy_id(uid: str, number: int) -> str:
    parts = uid.split(".")
    parts[2] = f"{parts[2]}_c{number:03d}"
    return ".".join(parts)


def _copy_node(node: dict, renamed: dict[str, str], number: int) -> dict:
    old_name = node["name"]
    new_name = f"{old_name}_c{number:03d}"
    node["unique_id"] = renamed[node["unique_id"]]
    node["name"] = new_name
    if node.get("alias"):
        node["alias"] = new_name
    if node.get("relation_name"):
        node["relation_name"] = node["relation_name"].replace(f'"{old_name}"', f'"{new_name}"')
    if node.get("fqn"):
        node["fqn"] = [*node["fqn"][:-1], new_name]
    depends = node.get("depends_on") or {}
    if depends.get("nodes"):
        depends["nodes"] = [renamed.get(uid, uid) for uid in depends["nodes"]]
    if node.get("attached_node"):
        node["attached_node"] = renamed.get(node["attached_node"], node["attached_node"])
    return node


def _lineage_maps(manifest: dict) -> tuple[dict, dict]:
    members = {**manifest["nodes"], **manifest.get("sources", {}), **manifest.get("exposures", {})}
    parents = {
        uid: list((n.get("depends_on") or {}).get("nodes") or []) for uid, n in members.items()
    }
    children: dict[str, list[str]] = {uid: [] for uid in members}
    for uid, ups in parents.items():
        for parent in ups:
            children.setdefault(parent, []).append(uid)
    return parents, children


def ensure_artifacts_parser(allow_install: bool) -> str:
    """The version of dbt-artifacts-parser, pip-installed first when missing
    and allowed; BenchError when it cannot be had (the figure is not measured)."""
    probe = [
        sys.executable,
        "-c",
        "import dbt_artifacts_parser, importlib.metadata as m; "
        "print(m.version('dbt-artifacts-parser'))",
    ]
    found = subprocess.run(probe, capture_output=True, text=True)
    if found.returncode == 0:
        return f"dbt-artifacts-parser {found.stdout.strip()}"
    if not allow_install:
        raise BenchError("dbt-artifacts-parser is not installed (--no-install)")
    say("  installing dbt-artifacts-parser into the venv (pip)")
    install = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "dbt-artifacts-parser"],
        capture_output=True,
        text=True,
    )
    found = subprocess.run(probe, capture_output=True, text=True)
    if install.returncode != 0 or found.returncode != 0:
        raise BenchError(
            "dbt-artifacts-parser could not be installed: "
            + (install.stderr.strip().splitlines() or ["pip failed"])[-1]
        )
    return f"dbt-artifacts-parser {found.stdout.strip()} (installed by this run)"


def measure(bench: Bench, fig: Figure) -> None:
    template = bench.template()
    work = bench.workdir("evidence")
    target = work / "target"
    fig.inputs.update(synthesize_project(template["run_dir"], target, bench.sizes.evidence_nodes))
    fig.inputs["rows"] = fig.inputs["results"]
    fig.notes.append(ensure_artifacts_parser(bench.install_parser))
    rss: dict[str, list[float]] = {}

    def cli_side(rep: int) -> float:
        seconds, peak = measured(
            factory_cmd(
                work, "evidence", "--target-dir", target, "--out", work / "out" / "cli.json"
            ),
            home=work,
            label="factory evidence",
        )
        rss.setdefault("factory evidence (CLI)", []).append(peak)
        return seconds

    def worker_side(name: str, worker: str) -> Callable[[int], float]:
        def sample(rep: int) -> float:
            result = run_worker(worker, target, work / "out" / f"{worker}.json", home=work)
            rss.setdefault(name, []).append(result["peak_rss_mb"])
            return result["seconds"]

        return sample

    reps = bench.cheap_repetitions
    sides = {
        "factory evidence (CLI)": cli_side,
        "factory evidence (in-process)": worker_side("factory evidence (in-process)", "evidence"),
        "dbt-artifacts-parser": worker_side("dbt-artifacts-parser", "artifacts-parser"),
    }
    samples = interleave(dict.fromkeys(sides, reps), sides, "evidence")
    cli_s = fig.side(
        "factory evidence (CLI)",
        samples["factory evidence (CLI)"],
        what="`factory evidence --target-dir T --out F` as a process: read both "
        "artifacts, derive, validate against the schema, write",
    )
    own_s = fig.side(
        "factory evidence (in-process)",
        samples["factory evidence (in-process)"],
        what="evidence_from_target_dir + write_evidence, imports excluded",
    )
    parser_s = fig.side(
        "dbt-artifacts-parser",
        samples["dbt-artifacts-parser"],
        what="parse_manifest + parse_run_results of the same two files, imports excluded",
    )
    for name, values in rss.items():
        fig.side(f"{name} peak RSS", values, unit="MB", what="peak resident memory of the process")
    fig.target(
        "factory evidence CLI",
        cli_s,
        "<=",
        1.0,
        unit="s",
        definition="median wall seconds of the whole `factory evidence` process",
    )
    fig.target(
        "factory evidence CLI peak RSS",
        median(rss["factory evidence (CLI)"]),
        "<=",
        300,
        unit="MB",
        definition="median peak RSS of the `factory evidence` process",
    )
    fig.target(
        "factory/parser",
        own_s / parser_s,
        "<=",
        1.0,
        unit="x",
        definition="factory evidence in-process seconds divided by dbt-artifacts-"
        "parser seconds (both without imports)",
    )
    bench.done_with(work)


def _peak_rss_mb() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def worker_evidence(target_dir: str, out: str) -> dict:
    from data_factory.evidence.document import evidence_from_target_dir
    from data_factory.evidence.store import write_evidence

    started = time.perf_counter()
    document = evidence_from_target_dir(Path(target_dir))
    write_evidence(document, Path(out))
    seconds = time.perf_counter() - started
    return {
        "seconds": round(seconds, 4),
        "peak_rss_mb": round(_peak_rss_mb(), 1),
        "assets": len(document["assets"]),
    }


def worker_artifacts_parser(target_dir: str, out: str) -> dict:
    from dbt_artifacts_parser.parser import parse_manifest, parse_run_results

    started = time.perf_counter()
    with open(Path(target_dir) / "manifest.json") as handle:
        manifest = parse_manifest(json.load(handle))
    with open(Path(target_dir) / "run_results.json") as handle:
        run_results = parse_run_results(json.load(handle))
    seconds = time.perf_counter() - started
    return {
        "seconds": round(seconds, 4),
        "peak_rss_mb": round(_peak_rss_mb(), 1),
        "nodes": len(manifest.nodes),
        "results": len(run_results.results),
    }


WORKERS = {"evidence": worker_evidence, "artifacts-parser": worker_artifacts_parser}
