"""`factory evidence | validate | docs | lineage`: dbt artifacts as evidence,
checking evidence files, the lineage site, the runs as OpenLineage events."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import click

from data_factory.cli.options import home_paths
from data_factory.core import errors
from data_factory.core.errors import FactoryError
from data_factory.core.partitions import parse_partition


@click.command(short_help="Validated evidence from any dbt target directory.")
@click.option(
    "--target-dir",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="A dbt target/ directory holding run_results.json and manifest.json.",
)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Where to write the evidence (default: data/evidence/<run_id>.json).",
)
@click.option("--run-id", help="Run id to record (default: derived from dbt's invocation id).")
@click.pass_context
def evidence(ctx, target_dir, out, run_id):
    """Turn any dbt project's run_results.json + manifest.json into validated
    run evidence.

    \b
    Example:
      factory evidence --target-dir target --out evidence.json
    """
    from data_factory.evidence.document import evidence_from_target_dir
    from data_factory.evidence.signing import run_signer
    from data_factory.evidence.store import write_evidence

    paths = home_paths(ctx)
    document = evidence_from_target_dir(target_dir, run_id)
    signer = run_signer(paths.home)
    if out is None:
        path = write_evidence(
            document, paths.evidence / f"{document['run_id']}.json", signer=signer
        )
    else:
        try:
            path = write_evidence(document, out, signer=signer, chained=False)
        except OSError as exc:
            raise click.BadParameter(
                f"cannot write {out}: {exc.strerror or exc}", param_hint="'--out'"
            ) from None
    click.echo(str(path))
    ctx.exit(errors.EXIT_OK if document["status"] == "success" else errors.EXIT_BLOCKED)


@click.command(short_help="Re-check evidence files: schema, sha256, signature.")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.pass_context
def validate(ctx, files):
    """Re-check evidence files against the JSON Schema, their own sha256
    and their signature (a key allowed_signers lists for it, or the
    development run key of the home the file is in, or of this home, said
    so).

    \b
    Example:
      factory validate data/evidence/*.json
    """
    from data_factory.evidence.artifacts import load_json_object
    from data_factory.evidence.signing import signed_by_development_key, trust_near
    from data_factory.evidence.store import validate_evidence_file

    for path in files:
        if path.is_dir():
            raise click.BadParameter(
                f"{path} is a directory; give the evidence files in it, e.g. {path}/*.json",
                param_hint="'FILES...'",
            )
    bad, home = 0, home_paths(ctx).home
    for path in files:
        try:
            problems = validate_evidence_file(path, trust_near(path, home))
        except OSError as exc:
            problems = [f"EVIDENCE_INVALID: {path} cannot be read: {exc.strerror or exc}"]
        if problems:
            bad += 1
            click.echo(f"INVALID {path}")
            for problem in problems[:20]:
                click.echo(f"  - {problem}")
        elif signed_by_development_key(load_json_object(path), trust_near(path, home)):
            click.echo(f"ok      {path}  (signed by this home's development run key only)")
        else:
            click.echo(f"ok      {path}")
    if bad:
        raise FactoryError(
            "EVIDENCE_INVALID", f"{bad} of {len(files)} evidence file(s) are invalid"
        )


@click.command(short_help="The dbt docs lineage site, as one HTML file.")
@click.pass_context
def docs(ctx):
    """Generate the dbt docs site as one self-contained HTML file
    (data/docs/static_index.html): the project's overview, every asset,
    check and exposure, the lineage graph. Each step goes to stderr with
    the seconds elapsed; stdout is the file's path.

    \b
    Example:
      factory docs
    """
    from data_factory.project.dbt_runner import DbtProject
    from data_factory.project.docs_site import generate_site

    paths = home_paths(ctx)
    # steps on stderr; stdout is only the path, for scripts
    click.echo(str(generate_site(DbtProject(paths), paths.home / "docs")))


@click.command(short_help="Send the runs to a catalog as OpenLineage events.")
@click.option("--since", help="Runs with a day on or after this one, YYYY-MM-DD.")
@click.option("--until", help="Runs with a day on or before this one, YYYY-MM-DD.")
@click.option(
    "--url",
    help="An OpenLineage endpoint (Marquez: http://HOST:5000) to POST the events "
    "to, at api/v1/lineage. Default: a file per run in data/lineage/.",
)
@click.pass_context
def lineage(ctx, since, until, url):
    """One OpenLineage RunEvent per factory run, from its evidence: COMPLETE
    when the run succeeded, FAIL otherwise; sources and seeds as inputs, the
    models built as outputs, with their checks (dataQualityAssertions) and
    rows (outputStatistics); the partitions, landing manifests and
    fingerprints in the run facet factory_run. Then one event per model the
    run built: the model as a job, its run a child of the factory run's
    (ParentRunFacet), reading its upstream tables. A run is chosen by its
    days (its partitions; a run of no partition, the day it finished).
    Emitting again gives the same events. Exit 7 when --url does not take
    them.

    \b
    Example:
      factory lineage --since 2026-11-01
    """
    from data_factory.lineage.emit import emit_runs, lineage_dir, select_runs
    from data_factory.project.parsed import load_manifest

    try:
        since = since and parse_partition(since, "--since")
        until = until and parse_partition(until, "--until")
    except FactoryError as exc:
        raise click.UsageError(exc.message) from None
    if since and until and since > until:
        raise click.UsageError(f"--since {since} is after --until {until}")
    if url and not (urlsplit(url).scheme in ("http", "https") and urlsplit(url).netloc):
        raise click.BadParameter(
            f"{url} is not an http(s) URL, e.g. http://localhost:5000", param_hint="'--url'"
        )
    paths = home_paths(ctx)
    selection = select_runs(paths, since, until)
    sent = 0
    if selection.documents:
        manifest = load_manifest(paths, parse_if_missing=False)
        for document, where, count in emit_runs(paths, selection.documents, manifest, url):
            sent += count
            kind = "COMPLETE" if document["status"] == "success" else "FAIL"
            days = ",".join(document["partitions"]) or "-"
            models = f" + {count - 1} model run(s)" if count > 1 else ""
            click.echo(f"{kind:<8} {document['run_id']}  {days}{models}  -> {where}")
    if not selection.documents:
        days = f" with a day in {since or '...'}..{until or '...'}" if since or until else ""
        click.echo(f"no factory run{days} in {paths.evidence}: nothing to send")
    click.echo(f"{sent} event(s) to {url or lineage_dir(paths)}")
    if selection.invalid:
        raise FactoryError(
            "EVIDENCE_INVALID",
            f"{len(selection.invalid)} evidence file(s) do not validate and were not sent "
            f"(`factory validate {paths.evidence}/*.json` says why)",
        )


COMMANDS = (evidence, validate, docs, lineage)
