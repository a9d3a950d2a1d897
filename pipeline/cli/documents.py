"""Reading what is stored: `show`, `text`, `export`, `list`, `search` and `verify`."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click
from rich.table import Table

from pipeline.cli.app import cli, console, pass_runtime, stdout
from pipeline.core.runtime import Runtime
from pipeline.errors import EXIT_OK, EXIT_VERIFY_FINDINGS


@cli.command()
@click.argument("document_id")
@click.option("--json", "as_json", is_flag=True, help="Print the record as JSON.")
@pass_runtime
def show(rt: Runtime, document_id: str, as_json: bool) -> None:
    """Show one document's record, with the status of its signatures."""
    row = rt.index.get(document_id)
    record = row.public()
    record["signature_status"] = rt.index.signature_status(row.id)
    if as_json:
        stdout.print_json(json.dumps(record, ensure_ascii=False))
        return
    table = Table(show_header=False)
    table.add_row("came from", _came_from(row))
    for key, value in record.items():
        table.add_row(key, json.dumps(value, ensure_ascii=False) if isinstance(value, dict) else str(value))
    stdout.print(table)


def _pages_of_file(row) -> str:
    """"3-5" for a document that is pages 3-5 of its file, "all" for a whole file."""
    if row.source_pages is None or row.source_first_page is None:
        return "all"
    whole = row.source_first_page == 1 and row.source_documents == 1 and not row.superseded_by
    return "all" if whole and row.source_pages in ("1", f"1-{row.source_last_page}") else row.source_pages


def _came_from(row) -> str:
    """Which input and which of its pages a document holds, for a person."""
    files = json.loads(row.source_files) if row.source_files else []
    name = " + ".join(f["name"] for f in files) if files else row.filename
    text = f"{name}, pages {row.source_pages or '?'} (of pages {row.source_first_page}-{row.source_last_page})"
    if row.source_documents and row.source_documents > 1:
        text += f", one of {row.source_documents} documents in that input"
    if row.superseded_by:
        text += f"; superseded by {row.superseded_by}"
    return text


@cli.command()
@click.argument("document_id")
@pass_runtime
def text(rt: Runtime, document_id: str) -> None:
    """Print a document's text; pages are separated by form feeds."""
    click.echo(rt.index.get(document_id).text)


@cli.command()
@click.argument("document_id")
@click.option("--variant", type=click.Choice(["searchable", "original"]), default="searchable")
@click.option("-o", "--output", type=click.Path(path_type=Path), required=True)
@pass_runtime
def export(rt: Runtime, document_id: str, variant: str, output: Path) -> None:
    """Write a stored document to a file (the original is the exact bytes received)."""
    row = rt.index.get(document_id)
    key = row.original_key if variant == "original" else row.searchable_key
    output.write_bytes(rt.store.get(key))
    console.print(f"wrote {output}")


@cli.command(name="list")
@click.option("--dossier", "dossier_code", help="Only this dossier.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
@pass_runtime
def list_documents(rt: Runtime, dossier_code: str | None, as_json: bool) -> None:
    """List stored documents."""
    rows = rt.index.list(dossier_code=dossier_code)
    if as_json:
        for row in rows:
            click.echo(json.dumps(row.public(), ensure_ascii=False))
        return
    table = Table(show_header=True)
    for column in ("id", "dossier", "file", "of the file", "title", "pages", "OCR conf.", "status"):
        table.add_column(column)
    for row in rows:
        table.add_row(
            row.id[:12], row.dossier_code or "", row.filename, _pages_of_file(row), row.title or "", str(row.pages),
            f"{row.ocr_confidence:.0f}" if row.ocr_confidence is not None else "", row.status,
        )
    stdout.print(table)


@cli.command()
@click.argument("query")
@click.option("--type", "doc_type", help="Only this document type.")
@click.option("--owner", "owner_id", help="Only this owner's documents.")
@click.option("--dossier", "dossier_code", help="Only this dossier.")
@click.option("--from", "date_from", type=click.DateTime(["%Y-%m-%d"]), help="Issued on or after.")
@click.option("--to", "date_to", type=click.DateTime(["%Y-%m-%d"]), help="Issued on or before.")
@click.option("--limit", type=int, default=20, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
@pass_runtime
def search(rt: Runtime, query, doc_type, owner_id, dossier_code, date_from, date_to, limit, as_json):
    """Full-text search, accents and case ignored: `sohoa search "quyet dinh xay dung"`."""
    hits = rt.index.search(
        query, doc_type=doc_type, owner_id=owner_id, dossier_code=dossier_code,
        date_from=date_from.date() if date_from else None,
        date_to=date_to.date() if date_to else None, limit=limit,
    )
    if as_json:
        for hit in hits:
            record = dict(hit.__dict__)
            record["issue_date"] = hit.issue_date.isoformat() if hit.issue_date else None
            click.echo(json.dumps(record, ensure_ascii=False))
        return
    table = Table(show_header=True)
    for column in ("id", "type", "dossier", "title", "snippet"):
        table.add_column(column)
    for hit in hits:
        table.add_row(hit.document_id[:12], hit.doc_type or "", hit.dossier_code or "",
                      hit.title or "", hit.snippet)
    stdout.print(table)
    if not hits:
        console.print("no documents match")


@cli.command()
@click.argument("document_ids", nargs=-1)
@click.option("--all", "check_all", is_flag=True, help="Every document, and objects nothing points at.")
@click.option("--json", "as_json", is_flag=True, help="The findings as JSON.")
@pass_runtime
def verify(rt: Runtime, document_ids, check_all, as_json):
    """Re-hash stored objects against the index; exit 6 if any is missing or altered."""
    from pipeline.core.verify import verify as verify_objects

    if not document_ids and not check_all:
        raise click.UsageError("name document ids or use --all")
    report = verify_objects(rt.index, rt.store, list(document_ids) or None)
    if as_json:
        click.echo(json.dumps({
            "checked": report.checked,
            "objects_checked": report.objects_checked,
            "ok": report.ok,
            "findings": [dict(f.__dict__, severity=f.severity) for f in report.findings],
        }, ensure_ascii=False))
    else:
        for finding in report.findings:
            style = "red" if finding.severity == "error" else "yellow"
            stdout.print(
                f"[{style}]{finding.problem}[/{style}] {finding.key} "
                f"({finding.document_id or 'no document'}) {finding.detail}", highlight=False,
            )
        stdout.print(
            f"{report.checked} documents, {report.objects_checked} objects checked: "
            f"{len(report.errors)} problem(s)"
        )
    sys.exit(EXIT_OK if report.ok else EXIT_VERIFY_FINDINGS)
