"""`factory evidence | validate | docs`: dbt artifacts as evidence, checking
evidence files, the lineage site."""

from __future__ import annotations

from pathlib import Path

import click

from data_factory.cli.options import home_paths
from data_factory.core import errors
from data_factory.core.errors import FactoryError


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
    from data_factory.evidence.store import write_evidence

    document = evidence_from_target_dir(target_dir, run_id)
    if out is None:
        path = write_evidence(document, home_paths(ctx).evidence / f"{document['run_id']}.json")
    else:
        try:
            path = write_evidence(document, out)
        except OSError as exc:
            raise click.BadParameter(
                f"cannot write {out}: {exc.strerror or exc}", param_hint="'--out'"
            ) from None
    click.echo(str(path))
    ctx.exit(errors.EXIT_OK if document["status"] == "success" else errors.EXIT_BLOCKED)


@click.command(short_help="Re-check evidence files: JSON Schema and sha256.")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
def validate(files):
    """Re-check evidence files against the JSON Schema and their own sha256.

    \b
    Example:
      factory validate data/evidence/*.json
    """
    from data_factory.evidence.store import validate_evidence_file

    for path in files:
        if path.is_dir():
            raise click.BadParameter(
                f"{path} is a directory; give the evidence files in it, e.g. {path}/*.json",
                param_hint="'FILES...'",
            )
    bad = 0
    for path in files:
        try:
            problems = validate_evidence_file(path)
        except OSError as exc:
            problems = [f"EVIDENCE_INVALID: {path} cannot be read: {exc.strerror or exc}"]
        if problems:
            bad += 1
            click.echo(f"INVALID {path}")
            for problem in problems[:20]:
                click.echo(f"  - {problem}")
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


COMMANDS = (evidence, validate, docs)
