"""`sohoa sign` and `sohoa verify-signature`: thin shells over pipeline.stages.sign."""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path

import click
from rich.table import Table

from pipeline.cli.app import cli, console, pass_runtime, stdout
from pipeline.core.access import mask_personal_ids
from pipeline.core.runtime import Runtime
from pipeline.errors import EXIT_OK, EXIT_VERIFY_FINDINGS


def _passphrase(rt: Runtime, passphrase_file: Path | None, key: str) -> str:
    """SOHOA_KEY_PASSPHRASE, else the file's first line, else a hidden prompt."""
    if passphrase_file is not None:
        lines = passphrase_file.read_text(encoding="utf-8").splitlines()
        return lines[0] if lines else ""
    if rt.settings.key_passphrase is not None:
        return rt.settings.key_passphrase.get_secret_value()
    what = "token PIN" if key.startswith("pkcs11:") else "key passphrase"
    return click.prompt(f"{what} for {key.split('?')[0]}", hide_input=True, err=True)


@cli.command()
@click.argument("targets", nargs=-1, required=True)
@click.option("--as", "kind", type=click.Choice(["official", "digitiser", "agency"]), required=True,
              help="Who signs: an official (issued result), the digitiser, or the agency.")
@click.option("--key", help="PKCS#12 file or pkcs11: URI (default: SOHOA_SIGN_KEY).")
@click.option("--level", type=click.Choice(["B-B", "B-T", "B-LT", "B-LTA"]),
              help="PAdES level (default: SOHOA_SIGN_LEVEL).")
@click.option("--tsa", "tsa_url", help="RFC 3161 timestamp authority URL (default: SOHOA_TSA_URL).")
@click.option("--name", "signer_name", help="Signer's name in the stamp (default: certificate CN).")
@click.option("--position", help="Signer's position (chức vụ), official signatures.")
@click.option("--agency", help="Agency (cơ quan) or copying body.")
@click.option("--copy-type", help='Copy type for agency signatures on copies, e.g. "SAO Y".')
@click.option("--certify", is_flag=True, help="Final signature: no changes allowed after it (DocMDP).")
@click.option("--qr", is_flag=True, help="Add the issued-result QR code (top left of page 1) first.")
@click.option("--invisible", is_flag=True, help="No stamp: an invisible signature (the QR code still shows).")
@click.option("--dossier", "dossier_code", help="QR: dossier code (default: the document's).")
@click.option("--procedure", "procedure_code", help="QR: procedure code (default: the document's).")
@click.option("--document-name", help="QR: document name (default: the document's title).")
@click.option("--issuing-system", default="sohoa", show_default=True, help="QR: issuing system.")
@click.option("-o", "--output", type=click.Path(path_type=Path),
              help="Signed file (one FILE) or directory (several); default NAME.signed.pdf.")
@click.option("--passphrase-file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Read the passphrase or PIN from this file.")
@click.option("--jobs", "-j", type=click.IntRange(min=1), default=1, show_default=True,
              help="Processes signing FILEs in parallel (each opens the key once).")
@pass_runtime
def sign(rt: Runtime, targets, kind, key, level, tsa_url, signer_name, position, agency, copy_type, certify,
         qr, invisible, dossier_code, procedure_code, document_name, issuing_system, output,
         passphrase_file, jobs) -> None:
    """Sign PDF FILEs, or stored documents by ID (each becomes a new stored version).

    \b
    sohoa sign 3f2a9c --as official --key official.p12 --position "Chủ tịch" --agency "UBND quận 1" --qr
    sohoa sign results/*.pdf --as official --key official.p12 --agency "UBND quận 1" -o signed/ --jobs 2
    sohoa sign scan.pdf --as digitiser --key 'pkcs11:token=sohoa;object=me?module-path=/usr/lib/softhsm/libsofthsm2.so'
    """
    from pipeline.core.signing import SignOptions, sign_document, sign_files, sign_spec, validation_settings
    from pipeline.stages.sign import open_signer

    key = key or rt.settings.sign_key
    if not key:
        raise click.UsageError("give --key FILE.p12|pkcs11:… or set SOHOA_SIGN_KEY")
    files = [Path(t) for t in targets if Path(t).is_file()]
    if len(files) > 1 and output is not None and not output.is_dir():
        raise click.UsageError("several FILEs: -o must be an existing directory")
    options = SignOptions(
        kind=kind, level=level, tsa_url=tsa_url, signer_name=signer_name, position=position,
        agency=agency, copy_type=copy_type, certify=certify, qr=qr, dossier_code=dossier_code,
        procedure_code=procedure_code, document_name=document_name, issuing_system=issuing_system,
        visible=not invisible,
    )
    now = datetime.now(UTC)  # one issue time for the whole batch
    passphrase = _passphrase(rt, passphrase_file, key)
    pairs = [(path, output if output is not None and not output.is_dir() else
              (output or path.parent) / f"{path.stem}.signed.pdf") for path in files]
    failed = None
    if pairs:
        for done in sign_files(pairs, sign_spec(options, rt.settings, now=now), key, passphrase, jobs=jobs,
                               trust_roots=validation_settings(rt.settings).roots()):
            if done.error is None:
                console.print(f"{done.source}: signed into {done.output}")
            else:
                failed = failed or done.error
                console.print(f"[red]{mask_personal_ids(str(done.source))}[/red]: "
                              f"{mask_personal_ids(done.error.message)}", highlight=False)
    ids = [target for target in targets if not Path(target).is_file()]
    if ids:
        with open_signer(key, passphrase) as signer:
            for target in ids:
                done = sign_document(rt.index, rt.store, rt.settings, target, options, signer, now=now)
                console.print(f"{done.document_id}: signed as version {done.version} ({done.key}), "
                              f"signature status {done.status}")
    if failed is not None:
        sys.exit(failed.exit_code)


@cli.command(name="verify-signature")
@click.argument("target", required=False)
@click.option("--all", "all_stored", is_flag=True,
              help="Validate every stored signed version again (e.g. after the trust roots changed).")
@click.option("--update", is_flag=True, help="With --all: record the new validations in the index.")
@click.option("--trust", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="PEM file of trusted roots (default: SOHOA_TRUST_ROOTS).")
@click.option("--online/--offline", default=None,
              help="Fetch OCSP/CRL over the network (default: SOHOA_SIGNATURE_FETCHING, off).")
@click.option("--json", "as_json", is_flag=True, help="The report as JSON (schemas/json/signature_report).")
@pass_runtime
def verify_signature(rt: Runtime, target: str | None, all_stored: bool, update: bool, trust: Path | None,
                     online: bool | None, as_json: bool) -> None:
    """Validate a PDF's signatures (FILE, or a stored document's current version by ID), or with
    --all every stored signed version.

    \b
    Exit 0 when every signature is TOTAL_PASSED; 6 otherwise (also for an unsigned PDF).
    sohoa verify-signature --all            what a new validation would change
    sohoa verify-signature --all --update   record it: the index follows the current trust roots

    \b
    `sohoa serve` and `sohoa worker` do the --update by themselves, in the background, when they
    start with other trust roots than those the stored statuses were validated under.
    """
    from pipeline.core.signing import validation_settings
    from pipeline.stages.sign import validate_pdf

    if all_stored == (target is not None):
        raise click.UsageError("give a FILE or document ID, or --all")
    if update and not all_stored:
        raise click.UsageError("--update goes with --all")
    validation = validation_settings(rt.settings, trust, online)
    if all_stored:
        _revalidate_all(rt, validation, update, as_json)
        return
    path = Path(target)
    if path.is_file():
        data = path.read_bytes()
    else:
        data = rt.store.get(rt.index.get(target).searchable_key)
    report = validate_pdf(data, validation)
    if as_json:
        click.echo(report.model_dump_json(indent=2))
    else:
        _print_report(report)
    sys.exit(EXIT_OK if report.all_passed else EXIT_VERIFY_FINDINGS)


def _revalidate_all(rt: Runtime, validation, update: bool, as_json: bool) -> None:
    """Print each version whose status changes (or, with --json, every version) and exit 0 when
    every stored signed version is now signed."""
    import json

    from pipeline.core.signed_versions import revalidate_stored_signatures
    from pipeline.core.trust import RevalidationBusy, revalidate_for_trust_roots

    if update:
        # claimed like a server's re-validation, and the index then remembers these roots
        try:
            done = revalidate_for_trust_roots(rt.index, rt.store, validation, force=True).done
        except RevalidationBusy as busy:
            raise click.ClickException(str(busy)) from busy
    else:
        done = revalidate_stored_signatures(rt.index, rt.store, validation, update=False)
    if as_json:
        click.echo(json.dumps([
            {"document_id": r.document_id, "version": r.version, "before": r.before, "after": r.after,
             "validated_under": r.validated_under, "trust_roots_sha256": validation.trust_roots_sha256,
             "recorded": update}
            for r in done], indent=2))
    else:
        for r in done:
            if r.changed:
                stdout.print(f"{r.document_id} v{r.version}: {r.before} → {r.after}", markup=False,
                             highlight=False)
        changed = sum(r.changed for r in done)
        failing = sum(r.after != "signed" for r in done)
        summary = (f"{len(done)} signed versions validated again: {changed} changed, "
                   f"{failing} not signed (TOTAL_PASSED)")
        if changed and not update:
            summary += "; nothing recorded (add --update)"
        console.print(summary)
    sys.exit(EXIT_OK if all(r.after == "signed" for r in done) else EXIT_VERIFY_FINDINGS)


def _print_report(report) -> None:
    if report.error:
        stdout.print(f"[red]cannot examine the file[/red]: {report.error}")
        return
    if not report.signatures:
        stdout.print("no signatures")
        return
    from pipeline.stages.stamp import iso_time

    table = Table(show_header=True)
    for column in ("field", "indication", "sub-indication", "signer", "signed / timestamp",
                   "level", "whole file", "changes after"):
        table.add_column(column)
    style = {"TOTAL_PASSED": "green", "INDETERMINATE": "yellow", "TOTAL_FAILED": "red"}
    for s in report.signatures:
        when = s.timestamp_time or s.claimed_signing_time
        table.add_row(
            s.field_name, f"[{style[s.indication]}]{s.indication}[/]", s.sub_indication or "",
            s.signer_common_name or s.signer or "", iso_time(when) if when else "",
            s.pades_level or "", "yes" if s.covers_whole_document else "no",
            s.modifications_after_signing or "",
        )
    stdout.print(table)
    for s in report.signatures:
        for message in s.messages:
            stdout.print(f"{s.field_name}: {message}")
