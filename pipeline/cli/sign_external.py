"""`sohoa sign-external prepare|complete` (any signing tool signs the prepared data) and `sohoa
results mark` (a document waits for signatures): thin shells over pipeline.core."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import click

from pipeline.cli.app import cli, console, pass_runtime
from pipeline.core.runtime import Runtime


@cli.group(name="sign-external")
def sign_external() -> None:
    """Sign stored documents with a key the server never sees (a USB token): prepare, sign the
    printed data_to_sign elsewhere, complete."""


@sign_external.command()
@click.argument("document_id")
@click.option("--as", "kind", type=click.Choice(["official", "digitiser", "agency"]), required=True)
@click.option("--chain", "chain_file", type=click.Path(exists=True, dir_okay=False, path_type=Path), required=True,
              help="PEM file: the signer's certificate first, then its CAs.")
@click.option("--level", type=click.Choice(["B-B", "B-T", "B-LT", "B-LTA"]), help="PAdES level (default: SOHOA_SIGN_LEVEL).")
@click.option("--name", "signer_name", help="Signer's name in the stamp (default: certificate CN).")
@click.option("--position", help="Signer's position (chức vụ).")
@click.option("--agency", help="Agency (cơ quan).")
@click.option("--data-out", type=click.Path(dir_okay=False, path_type=Path),
              help="Also write the raw data_to_sign (DER) to this file, for `openssl dgst -sign`.")
@pass_runtime
def prepare(rt: Runtime, document_id, kind, chain_file, level, signer_name, position, agency, data_out) -> None:
    """Prepare DOCUMENT_ID for a signature with the key of --chain; prints the JSON of the API's
    prepare (signing_id, data_to_sign, digest, expires_at).

    \b
    sohoa sign-external prepare 3f2a9c --as official --chain me.pem --agency "UBND quận 1" --data-out tbs.der
    openssl dgst -sha256 -sign me.key -out sig.bin tbs.der
    sohoa sign-external complete SIGNING_ID --signature-file sig.bin
    """
    from pipeline.core.external_signing import prepare_signature
    from pipeline.core.signing import SignOptions

    options = SignOptions(kind=kind, level=level, signer_name=signer_name, position=position, agency=agency,
                          qr=kind == "official")
    prepared = prepare_signature(rt.index, rt.store, rt.settings, document_id, options,
                                 [chain_file.read_text(encoding="ascii")], by="cli")
    if data_out is not None:
        data_out.write_bytes(prepared.data_to_sign)
    click.echo(json.dumps(prepared.as_json(), indent=2))


@sign_external.command()
@click.argument("signing_id")
@click.option("--signature", "signature_b64", help="base64 raw signature value over data_to_sign.")
@click.option("--signature-file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="File holding the raw signature value (binary).")
@pass_runtime
def complete(rt: Runtime, signing_id, signature_b64, signature_file) -> None:
    """Complete SIGNING_ID with the signature value: the signed PDF becomes a new version."""
    if (signature_b64 is None) == (signature_file is None):
        raise click.UsageError("give --signature BASE64 or --signature-file FILE")
    from pipeline.core.external_signing import complete_signature

    signature_b64 = signature_b64 or base64.b64encode(signature_file.read_bytes()).decode()
    done = complete_signature(rt.index, rt.store, rt.settings, signing_id, signature_b64, by="cli")
    console.print(f"{done.document_id}: signed as version {done.version} ({done.key}), signature status {done.status}")


@cli.group()
def results() -> None:
    """Results of dossiers waiting for signatures."""


@results.command()
@click.argument("document_ids", nargs=-1, required=True)
@click.option("--office", default="", help="The office whose officials sign it (default: any).")
@pass_runtime
def mark(rt: Runtime, document_ids, office) -> None:
    """Mark stored documents as results: each waits for the signatures its procedure names."""
    from pipeline.core.results import mark_result
    from schemas.catalog import default_catalog

    for document_id in document_ids:
        marked = mark_result(rt.index, default_catalog(), document_id, by="cli", office=office)
        console.print(f"{marked.document_id}: result, waiting for {marked.next_kind or 'nothing'} "
                      f"(needs {', '.join(marked.needs)})")


@cli.group(name="sign-profile")
def sign_profile() -> None:
    """Officials' signing profiles: how each signs from the console's sign queue."""


@sign_profile.command(name="set")
@click.argument("username")
@click.option("--name", "full_name", default="", help="Name in the stamp (default: the account's full name).")
@click.option("--position", default="", help="Position (chức vụ), e.g. \"Phó Chủ tịch\".")
@click.option("--office", default="", help="Office (cơ quan) in the stamp.")
@click.option("--key", "key_ref", help="A key the server holds for them: PKCS#12 file or pkcs11: URI (never the PIN).")
@click.option("--chain", "chain_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="PEM certificate chain of their USB token (signer first).")
@click.option("--signature-image", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Their signature, a PNG with transparency.")
@click.option("--seal-image", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="The office's seal, a PNG with transparency (drawn over the signature's left third).")
@pass_runtime
def set_profile(rt: Runtime, username, full_name, position, office, key_ref, chain_file, signature_image,
                seal_image) -> None:
    """Set USERNAME's signing profile (options not given keep their value)."""
    from pipeline.core.sign_queue import save_profile

    row = save_profile(rt.index, username, full_name=full_name, position=position, office=office,
                       key_ref=key_ref, certificate_chain=chain_file.read_text(encoding="ascii") if chain_file else None,
                       signature_image=signature_image.read_bytes() if signature_image else None,
                       seal_image=seal_image.read_bytes() if seal_image else None)
    console.print(f"{row.username}: {row.full_name or '-'}, {row.position or '-'}, {row.office or '-'}; "
                  f"key {'held' if row.key_ref else 'none (token)'}, signature image "
                  f"{'yes' if row.signature_image else 'no'}, seal {'yes' if row.seal_image else 'no'}")
