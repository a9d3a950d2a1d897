"""`sohoa documents split|merge`: correct separation after the fact (`pipeline.core.regroup`)."""

from __future__ import annotations

import json
import os

import click

from pipeline.cli.app import cli, pass_runtime, stdout
from pipeline.core.runtime import Runtime

_BY = click.option("--by", default=lambda: os.environ.get("USER") or "unknown", show_default="$USER",
                   help="Who does it (recorded with the documents).")
_JSON = click.option("--json", "as_json", is_flag=True, help="The new documents as JSON, one per line.")


@cli.group()
def documents() -> None:
    """Split and merge stored documents; the replaced ones stay, marked superseded."""


@documents.command()
@click.argument("document_id")
@click.option("--after", "after_page", type=int, required=True, help="The last page of the first document.")
@_BY
@_JSON
@pass_runtime
def split(rt: Runtime, document_id: str, after_page: int, by: str, as_json: bool) -> None:
    """Make two documents of one: pages 1..AFTER and the rest, classified again."""
    _render(rt.split_document(document_id, after_page, by=by), as_json)


@documents.command()
@click.argument("document_ids", nargs=-1, required=True)
@_BY
@_JSON
@pass_runtime
def merge(rt: Runtime, document_ids: tuple[str, ...], by: str, as_json: bool) -> None:
    """Make one document of several, their pages in the order given, classified again."""
    _render(rt.merge_documents(document_ids, by=by), as_json)


def _render(done, as_json: bool) -> None:
    if as_json:
        for row in done.documents:
            click.echo(json.dumps(row.public(), ensure_ascii=False))
        return
    for row in done.documents:
        review = ", needs review" if row.status == "needs_review" else ""
        stdout.print(f"{row.id}: {row.doc_type}, {row.pages} page(s), pages {row.source_pages} of "
                     f"{row.filename}{review}")
    stdout.print(f"{done.kind}: {', '.join(done.replaced)} superseded (kept, findable with `sohoa show`)")
