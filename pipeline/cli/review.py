"""`sohoa review`: documents a person must check, and their corrections."""

from __future__ import annotations

import json
import os

import click
from rich.table import Table

from pipeline.cli.app import cli, pass_runtime, stdout
from pipeline.core.runtime import Runtime


@cli.group()
def review() -> None:
    """Documents whose type or fields a person must check, and their corrections."""


@review.command(name="list")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
@pass_runtime
def review_list(rt: Runtime, as_json: bool) -> None:
    """Documents waiting for review, oldest first, with the reason."""
    rows = rt.index.list_needing_review()
    if as_json:
        for row in rows:
            click.echo(json.dumps(row.public(), ensure_ascii=False))
        return
    table = Table(show_header=True)
    for column in ("id", "file", "type", "conf.", "why"):
        table.add_column(column)
    for row in rows:
        table.add_row(row.id[:12], row.filename, row.doc_type or "",
                      f"{row.type_confidence:.2f}" if row.type_confidence is not None else "",
                      row.review_note or "")
    stdout.print(table)


@review.command(name="set")
@click.argument("document_id")
@click.option("--type", "doc_type", help="The right document type code (see schemas/document_types.yaml).")
@click.option("--field", "field_values", multiple=True, metavar="NAME=VALUE",
              help="A corrected field; dates as YYYY-MM-DD. Repeatable.")
@click.option("--by", "corrected_by", default=lambda: os.environ.get("USER") or "unknown",
              show_default="$USER", help="Who corrects it.")
@pass_runtime
def review_set(rt: Runtime, document_id: str, doc_type, field_values, corrected_by: str) -> None:
    """Correct a document's type and fields; it is then marked reviewed. Corrections are kept
    (who, when, old and new value) and become training labels for the classifier."""
    from pipeline.core.review import ReviewError, apply_review

    if not doc_type and not field_values:
        raise click.UsageError("give --type and/or --field NAME=VALUE")
    try:
        row = apply_review(rt.index, document_id, doc_type=doc_type, field_values=field_values,
                           corrected_by=corrected_by)
    except ReviewError as exc:
        raise click.UsageError(str(exc)) from exc
    stdout.print(f"{row.id}: {row.doc_type}, status {row.status} ({row.review_note})")
