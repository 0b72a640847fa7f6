"""`factory status | gate | approve | audit | state rebuild`: what the
factory can trust now, who may consume it, and who may release a block.

A thin click layer over state.py, decisions.py and audit.py. Results go to
stdout, notes to stderr. Exit codes: 0 ok / release; 1 a gate blocked or an
audit found risks; 2 bad usage, unknown consumer, an approval without a key
(APPROVER_KEY_REQUIRED) or a key that does not load; 3 refused (a key not in
allowed_signers, not an owner, nothing to approve, no state store,
unreadable input)."""

from __future__ import annotations

import io
import json
from pathlib import Path

import click
from rich.console import Console

from data_factory.cli.options import format_option, home_paths, optional_day, writable_home
from data_factory.cli.status_report import collect_status
from data_factory.core.errors import EXIT_BLOCKED, EXIT_OK, EXIT_USAGE, FactoryError
from data_factory.decisions.approvals import approve
from data_factory.decisions.gate import gate
from data_factory.render.explain import cells_with_text, explain, with_text
from data_factory.render.status_table import render_table
from data_factory.state.index import rebuild
from data_factory.state.read import read_table


@click.command(short_help="The asset x day grid: what can be trusted now.")
@click.option("--asset", "assets", multiple=True, help="Only this asset (repeatable).")
@click.option("--since", help="Only partitions from this day on, YYYY-MM-DD.")
@click.option(
    "--format",
    "output",
    type=click.Choice(["table", "json", "html"]),
    default="table",
    show_default=True,
    help="table: coloured grid; json: one object per cell; "
    "html: a self-contained page (with --out).",
)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the output to this file instead of stdout.",
)
@click.option(
    "--verify",
    is_flag=True,
    help="Recompute every shown cell's fingerprint in the warehouse and compare it with "
    "its evidence (WAREHOUSE_CONTENT_CHANGED); without it only the warehouse's id is checked.",
)
@click.pass_context
def status(ctx, assets, since, output, out, verify):
    """The asset x partition grid: status, checks and whether each cell is
    consumable, from the state store (it never waits for a running build).

    \b
    JSON: a list of {asset, partition, status, checks, consumable, run_id,
    evidence, reasons, reason_details, rows, materialized_at, code_checksum,
    unique_id, resource_type, reads_window_days, approvals}; `checks` is
    {passed, warned, failed, errored, not_run, blocking: [names],
    warnings: [names]}; each of `reason_details` is {code, text} and the
    facts the text is made from (checks, upstream cells, a stale `cause`).

    \b
    Example:
      factory status --since 2026-11-01
      factory status --format html --out grid.html
    """
    paths = home_paths(ctx)
    since = optional_day(since, "--since")
    report = collect_status(paths, assets, since, verify)
    _note_development_key(paths)
    if output == "json":
        text = json.dumps(cells_with_text(report["cells"]), indent=2, sort_keys=True) + "\n"
    elif output == "html":
        from data_factory.render.status_html import render_page

        page_dir = Path(out).parent if out else None
        text = render_page(report, title=f"Asset state: {paths.home}", page_dir=page_dir)
    else:
        if out:
            page = io.StringIO()
            render_table(report, Console(file=page, width=200, color_system=None))
            _write_out(out, page.getvalue())
            click.echo(str(out))
            return
        # the terminal's width (COLUMNS, else 80 when not a terminal); colour
        # only on a terminal, and never with NO_COLOR (rich reads both)
        render_table(report, Console(soft_wrap=False, highlight=False))
        return
    if out:
        _write_out(out, text)
        click.echo(str(out))
    else:
        click.echo(text, nl=False)


def _note_development_key(paths) -> None:
    """Say so when the evidence here is signed by the home's development run
    key: it proves only that someone with access to this home wrote it."""
    from data_factory.evidence.signing import development_key_path, trust_for

    trust = trust_for(paths.home)
    if not trust.development_id:
        return
    try:
        rows = read_table(
            paths,
            "select count(*) as n from evidence where signature_key_id = ?",
            [trust.development_id],
        )
    except FactoryError:
        return
    if rows and rows[0]["n"]:
        click.echo(
            f"note: {rows[0]['n']} evidence file(s) here are signed by this home's development "
            f"run key ({development_key_path(paths.home)}), trusted in this home only; "
            "set FACTORY_SIGNING_KEY to a key listed in allowed_signers for production",
            err=True,
        )


def _write_out(out: Path, text: str) -> None:
    """Write `--out`; a file that cannot be written is a usage error naming it."""
    try:
        Path(out).write_text(text, encoding="utf-8")
    except OSError as exc:
        raise click.BadParameter(
            f"cannot write {out}: {exc.strerror or exc}", param_hint="'--out'"
        ) from None


def _print_reasons(title: str, reasons: list[dict]) -> None:
    if not reasons:
        return
    click.echo(title)
    for reason in reasons:
        click.echo(f"  {reason['code']}: {explain(reason)}")
        if reason.get("evidence"):
            click.echo(f"      evidence {reason['evidence']}")


@click.command("gate", short_help="Release (exit 0) or block (exit 1) a consumer for a day.")
@click.argument("consumer")
@click.option("--partition", required=True, help="The day to decide, YYYY-MM-DD.")
@format_option
@click.pass_context
def gate_command(ctx, consumer, partition, output):
    """Release or block CONSUMER (a dbt exposure) for one day, print why,
    and record the decision as evidence when it differs from the last one
    recorded for that day. Exit 0 release, 1 block.

    \b
    Example:
      factory gate retrieval_index --partition 2026-11-08
    """
    decision = gate(home_paths(ctx), consumer, partition, words=explain)
    if output == "json":
        shown = decision.to_dict()
        for key in ("reasons", "overridden", "warnings"):
            shown[key] = with_text(shown[key])
        click.echo(json.dumps(shown, indent=2, sort_keys=True))
    else:
        click.echo(f"{decision.consumer} {decision.partition}: {decision.decision.upper()}")
        if not decision.reasons:
            click.echo(
                "  every asset it needs is consumable (materialized, error checks passed, "
                "fresh, and everything it reads consumable): " + ", ".join(decision.requires)
            )
        _print_reasons("because:" if decision.blocked else "released by:", decision.reasons)
        _print_reasons("overridden block:", decision.overridden)
        _print_reasons("warnings (do not block):", decision.warnings)
        for lapse in decision.lapsed:
            approval = lapse["approval"]
            click.echo(
                f"approval {approval['run_id']} by {approval['approved_by']} no longer holds:"
            )
            for cell in lapse["cells"]:
                where = " ".join(filter(None, (cell["asset"], cell["partition"])))
                click.echo(f"  {where}: approved {cell['approved']}, now {cell['now']}")
    if decision.unchanged:
        click.echo(
            f"decision unchanged since {decision.recorded_in}; nothing new recorded", err=True
        )
    else:
        click.echo(f"decision recorded in {decision.recorded_in}", err=True)
    ctx.exit(EXIT_BLOCKED if decision.blocked else EXIT_OK)


@click.command("approve", short_help="An owner releases a blocked consumer for a day.")
@click.argument("consumer")
@click.option("--partition", required=True, help="The blocked day, YYYY-MM-DD.")
@click.option(
    "--key",
    "key_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Your Ed25519 private key (OpenSSH), listed in allowed_signers.",
)
@click.option("--reason", required=True, help="Why the block may be overridden.")
@click.option(
    "--covers",
    multiple=True,
    metavar="REASON",
    help="A block reason code to override (repeatable; default: every current one).",
)
@click.option("--by", "by", hidden=True, help="Refused: the name comes from --key.")
@format_option
@click.pass_context
def approve_command(ctx, consumer, partition, key_path, reason, covers, by, output):
    """Release a blocked CONSUMER for one day, signed with an owner's key.
    The name is the key's principal in allowed_signers; it must own the
    consumer or an asset it needs. The approval holds for the reasons it
    covers while their cells keep their content.

    \b
    Example:
      factory approve ticket_chunking_job --partition 2026-11-03 \\
        --key ~/.ssh/id_ed25519 --reason "known"
    """
    if key_path is None:
        typed = f" (--by {by} is a typed name; anyone can type it)" if by else ""
        error = FactoryError(
            "APPROVER_KEY_REQUIRED",
            f"an approval is signed with the approver's key: give --key PATH{typed}. "
            "The name comes from the key's line in allowed_signers "
            "(runbooks/approving-a-release.md)",
        )
        error.exit_code = EXIT_USAGE
        raise error
    approval, decision = approve(
        home_paths(ctx),
        consumer,
        partition,
        key_path,
        reason,
        covers=tuple(c.strip().upper() for c in covers),
        words=explain,
    )
    if output == "json":
        shown = {**approval, "block": with_text(approval["block"])}
        click.echo(json.dumps(shown, indent=2, sort_keys=True))
    else:
        click.echo(
            f"{approval['consumer']} {approval['partition']}: approved by "
            f"{approval['approved_by']} ({approval['key_id']}) at {approval['approved_at']}: "
            f"{approval['reason']}"
        )
        _print_reasons("it overrides:", decision.reasons)
        for cell in approval["cells"]:
            where = " ".join(filter(None, (cell["asset"], cell["partition"])))
            click.echo(f"  while {where} holds {cell['content']}")
        if approval["still_blocked_by"]:
            click.echo("still blocked by: " + ", ".join(approval["still_blocked_by"]))
        click.echo(f"recorded in {approval['evidence']}")


@click.command("audit", short_help="Operational risks of the project and its days (CI gate).")
@format_option
@click.pass_context
def audit_command(ctx, output):
    """Operational asset risks, from the dbt manifest and the state store.
    Exit 1 when a risk is found. Expected items (seeds have no partitions)
    and items the project accepts with a reason (an asset's
    `meta: {audit_accepts: {RISK: reason}}`) are listed but do not count.

    \b
    Example:
      factory audit --format json
    """
    from data_factory.decisions.audit import audit, render_findings, risks_of

    findings = audit(home_paths(ctx))
    risks = risks_of(findings)
    if output == "json":
        click.echo(
            json.dumps(
                {"risks": len(risks), "findings": [f.to_dict() for f in findings]},
                indent=2,
                sort_keys=True,
            )
        )
    else:
        render_findings(findings, Console(width=160, highlight=False))
    ctx.exit(EXIT_BLOCKED if risks else EXIT_OK)


@click.group("state", short_help="The state store: rebuild it from the evidence.")
def state_group():
    """The state store (data/state.sqlite), an index over data/evidence/.

    \b
    Example:
      factory state rebuild
    """


@state_group.command("rebuild", short_help="Recreate data/state.sqlite from data/evidence/.")
@click.pass_context
def state_rebuild(ctx):
    """Recreate data/state.sqlite from data/evidence/*.json alone. Only files
    whose schema, sha256, signature and place in the ledger verify (and an
    approval's signer an owner) are indexed; every other is named on stderr
    with why, and skipped.

    \b
    Example:
      factory state rebuild
    """
    paths = writable_home(ctx)
    report = rebuild(paths)
    refused = [name for name, _ in report.rejected if not name.startswith("(")]
    click.echo(
        f"rebuilt {paths.state} from {len(report.applied)} evidence file(s); "
        f"{len(refused)} file(s) refused"
        + (": " + ", ".join(refused) if refused else "")
        + (" (why: above, on stderr)" if report.rejected else "")
    )


COMMANDS = (status, gate_command, approve_command, audit_command, state_group)
