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


_BY = click.option("--by", "corrected_by", default=lambda: os.environ.get("USER") or "unknown",
                  show_default="$USER", help="Who reviews it.")


@review.command(name="set")
@click.argument("document_id")
@click.option("--type", "doc_type", help="The right document type code (see schemas/document_types.yaml).")
@click.option("--field", "field_values", multiple=True, metavar="NAME=VALUE",
              help="A corrected field of the type; dates as dd/mm/yyyy or YYYY-MM-DD. Repeatable.")
@click.option("--keep-waiting", is_flag=True,
              help="Save the corrections and leave the document in the review queue.")
@_BY
@pass_runtime
def review_set(rt: Runtime, document_id: str, doc_type, field_values, keep_waiting: bool, corrected_by: str) -> None:
    """Correct a document's type and fields, then accept it (refused while a required field of
    its type is missing), or --keep-waiting. Corrections are kept (who, when, old and new value)
    and become training labels for the classifier."""
    from pipeline.core.review import ReviewError, parse_field_values

    if not doc_type and not field_values:
        raise click.UsageError("give --type and/or --field NAME=VALUE")
    try:
        values = parse_field_values(field_values)
    except ReviewError as exc:
        raise click.UsageError(str(exc)) from exc
    _decide(rt, document_id, "save" if keep_waiting else "accept", corrected_by,
            doc_type=doc_type, field_values=values)


@review.command(name="accept")
@click.argument("document_id")
@_BY
@pass_runtime
def review_accept(rt: Runtime, document_id: str, corrected_by: str) -> None:
    """Accept a document as it is (refused while a required field of its type is missing)."""
    _decide(rt, document_id, "accept", corrected_by)


@review.command(name="reject")
@click.argument("document_id")
@click.option("--reason", required=True, help="Why it is not a usable paper (kept with the document).")
@_BY
@pass_runtime
def review_reject(rt: Runtime, document_id: str, reason: str, corrected_by: str) -> None:
    """Reject a document: it leaves the review queue and is never offered for reuse."""
    _decide(rt, document_id, "reject", corrected_by, reason=reason)


def _decide(rt: Runtime, document_id: str, decision: str, corrected_by: str, **changes) -> None:
    from pipeline.core.review import ReviewError, review_document

    try:
        row = review_document(rt.index, document_id, decision=decision, corrected_by=corrected_by, **changes)
    except ReviewError as exc:
        raise click.UsageError(str(exc)) from exc
    stdout.print(f"{row.id}: {row.doc_type}, status {row.status} ({row.review_note})")
