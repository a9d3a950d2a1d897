"""`sohoa separator-sheet`: print sohoa's separator sheets (pipeline.stages.separate)."""

from __future__ import annotations

from pathlib import Path

import click

from pipeline.cli.app import cli, console


@cli.command(name="separator-sheet")
@click.option("--dossier", "dossier_code", metavar="CODE", help="Dossier code (mã hồ sơ) of the papers after the sheet.")
@click.option("--type", "doc_type", metavar="CODE", help="Document type code (schemas/document_types.yaml).")
@click.option("--owner-id", metavar="ID", help="The owner's 12-digit personal ID (or an old 9-digit CMND).")
@click.option("--cover", is_flag=True,
              help="A dossier's cover sheet (phiếu kiểm soát): starts a new dossier; its dossier code and "
                   "owner hold for every document until the next cover.")
@click.option("--copies", default=1, show_default=True, type=click.IntRange(1, 500), help="How many sheets.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="The PDF to write (A4).")
def separator_sheet(dossier_code: str | None, doc_type: str | None, owner_id: str | None, cover: bool,
                    copies: int, output: Path) -> None:
    """Print separator sheets: scanned in front of papers, each starts a new document (a cover
    sheet a new dossier) and names its dossier, type and owner. The sheet pages are not stored."""
    # Imported here: OpenCV and the catalogue would otherwise load for every `sohoa` command.
    from pipeline.stages.extract import personal_id_problems
    from pipeline.stages.separate import SeparatorSheet, SheetPayloadError, separator_sheets_pdf
    from schemas.catalog import default_catalog

    catalog = default_catalog()
    if doc_type and doc_type not in catalog.document_types:
        raise click.BadParameter(f"unknown type {doc_type!r}; known: {', '.join(sorted(catalog.document_types))}",
                                 param_hint="--type")
    if owner_id:
        owner_id = owner_id.strip()
        if len(owner_id) == 12 and personal_id_problems(owner_id):
            raise click.BadParameter("not a valid personal ID: " + "; ".join(
                p for p in personal_id_problems(owner_id) if owner_id not in p), param_hint="--owner-id")
    if cover and not dossier_code:
        raise click.BadParameter("a cover sheet names its dossier", param_hint="--dossier")
    try:
        sheet = SeparatorSheet("cover" if cover else "doc", dossier_code or None, doc_type or None, owner_id or None)
    except SheetPayloadError as exc:
        raise click.BadParameter(str(exc)) from exc
    output.write_bytes(separator_sheets_pdf([sheet] * copies, catalog))
    console.print(f"{output}: {copies} separator sheet{'s' if copies > 1 else ''} ({sheet.describe()})")
