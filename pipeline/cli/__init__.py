"""`sohoa` command line: a thin shell over pipeline.core.run and the stores."""

from __future__ import annotations

import json
import logging
import os
import sys
import time
from pathlib import Path

import click
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from pipeline import __version__
from pipeline.errors import EXIT_INPUT_FAILED, EXIT_OK, EXIT_VERIFY_FINDINGS, SohoaError
from pipeline.stores.index import Index
from pipeline.stages.ingest import discover
from pipeline.core.run import BatchPlanned, DocumentDone, Ingestor, PagesDone, PipelineSettings
from pipeline.settings import Settings, load_settings
from pipeline.stores.objects import open_store_from_settings

console = Console(stderr=True)
# Piped output (reports, CI logs) gets room for the whole summary table instead of 80 columns.
stdout = Console(soft_wrap=True, width=None if sys.stdout.isatty() else 160)


class _Context:
    def __init__(self) -> None:
        self.settings: Settings = load_settings()
        self._index: Index | None = None
        self._store = None

    @property
    def index(self) -> Index:
        if self._index is None:
            self._index = Index(self.settings.index_url)
        return self._index

    def classifier(self):
        from pipeline.core.training import load_or_train
        from pipeline.stages.classify import load_classifier

        path = self.settings.classifier_model_path
        classifier = load_classifier(path)
        if classifier is None:
            console.print(f"training the document-type classifier once, into {path} …")
            classifier = load_or_train(path, corrections=self.index.correction_labels())
        return classifier

    @property
    def store(self):
        if self._store is None:
            self._store = open_store_from_settings(self.settings)
        return self._store


pass_context = click.make_pass_decorator(_Context, ensure=True)


def main() -> None:
    try:
        cli.main(standalone_mode=False, prog_name="sohoa")
    except click.exceptions.Abort:
        console.print("interrupted")
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except SohoaError as exc:
        console.print(f"[red]error[/red]: {exc.message}")
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        console.print("interrupted")
        sys.exit(130)
    sys.exit(0)


@click.group()
@click.version_option(__version__, prog_name="sohoa")
@click.option("-v", "--verbose", count=True, help="-v: decisions per file; -vv: every tool call.")
def cli(verbose: int) -> None:
    """sohoa: digitise Vietnamese one-stop-shop dossiers."""
    level = logging.WARNING if verbose == 0 else logging.INFO if verbose == 1 else logging.DEBUG
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")


@cli.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--jobs", "-j", type=int, default=None, help="Page processes (default: one per core).")
@click.option("--report", type=click.Path(path_type=Path), help="Write one JSON line per input file.")
@click.option("--dossier", "dossier_code", help="Dossier code for files a manifest does not name.")
@click.option("--owner-id", help="Owner's personal ID for files a manifest does not name.")
@click.option("--procedure", "procedure_code", help="Procedure code (mã TTHC).")
@click.option("--queue", "queued", is_flag=True,
              help="Queue the batch for workers (SOHOA_BROKER_URL), print its id and return.")
@pass_context
def ingest(ctx: _Context, paths, jobs, report, dossier_code, owner_id, procedure_code, queued) -> None:
    """OCR scans and PDFs into searchable PDF/A documents, stored and indexed.

    A directory is walked recursively; each sub-directory holding files is one dossier.
    Exit code 0: every file stored or already stored; 3: some files failed (see README).
    With --queue the files' bytes go to the object store and workers do the rest
    (`sohoa batch status ID`).
    """
    settings = ctx.settings
    inputs = discover(
        list(paths), dossier_code=dossier_code, owner_id=owner_id, procedure_code=procedure_code
    )
    if not inputs:
        raise click.UsageError("no input files found")
    if queued:
        from workers import submit

        if not settings.broker_url:
            raise click.UsageError("--queue needs SOHOA_BROKER_URL (redis://… or amqp://…)")
        batch_id = submit(inputs, settings, store=ctx.store, index=ctx.index,
                          description=" ".join(str(p) for p in paths)[:1000])
        click.echo(batch_id)
        console.print(f"{len(inputs)} file(s) queued: `sohoa batch status {batch_id}`")
        return
    ingestor = Ingestor(
        ctx.store,
        ctx.index,
        PipelineSettings.from_settings(settings),
        quarantine_dir=settings.quarantine_dir,
        classifier=ctx.classifier(),
    )
    jobs = settings.effective_jobs(jobs)
    started = time.perf_counter()
    lines = []
    report_handle = report.open("w", encoding="utf-8") if report else None
    progress = Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("pages · {task.fields[rate]} pages/s"),
        TimeElapsedColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
        console=console,
        transient=False,
    )
    task_id = progress.add_task("ingest", total=None, rate="–")

    def on_event(event) -> None:
        if isinstance(event, BatchPlanned):
            progress.update(task_id, total=event.pages)
        elif isinstance(event, PagesDone):
            elapsed = time.perf_counter() - started
            done = progress.tasks[0].completed + event.pages
            progress.update(task_id, advance=event.pages, rate=f"{done / elapsed:.2f}")
        elif isinstance(event, DocumentDone):
            style = {"failed": "red", "duplicate": "yellow"}.get(event.line.status, "green")
            progress.console.print(f"[{style}]{event.message}[/{style}]", highlight=False)

    try:
        with progress:
            for line in ingestor.ingest(inputs, jobs=jobs, progress=on_event):
                lines.append(line)
                if report_handle:
                    report_handle.write(line.model_dump_json() + "\n")
                    report_handle.flush()
    finally:
        if report_handle:
            report_handle.close()
    elapsed = time.perf_counter() - started
    _print_summary(lines, elapsed, settings)
    failed = [line for line in lines if line.status == "failed"]
    sys.exit(EXIT_INPUT_FAILED if failed else EXIT_OK)


def _print_summary(lines, elapsed: float, settings: Settings) -> None:
    stored = [line for line in lines if line.status == "stored"]
    duplicates = [line for line in lines if line.status == "duplicate"]
    failed = [line for line in lines if line.status == "failed"]
    pages = sum(line.pages for line in stored)
    table = Table(title="sohoa ingest", show_header=True)
    table.add_column("documents", justify="right")
    table.add_column("stored", justify="right")
    table.add_column("duplicates", justify="right")
    table.add_column("failed", justify="right")
    table.add_column("needs review", justify="right")
    table.add_column("pages", justify="right")
    table.add_column("seconds/page", justify="right")
    table.add_column("wall seconds", justify="right")
    table.add_row(
        str(len(lines)), str(len(stored)), str(len(duplicates)), str(len(failed)),
        str(sum(1 for line in stored if line.needs_review)), str(pages),
        f"{elapsed / pages:.2f}" if pages else "–", f"{elapsed:.1f}",
    )
    stdout.print(table)
    if failed:
        reasons = Table(title="failures", show_header=True)
        reasons.add_column("file")
        reasons.add_column("code")
        reasons.add_column("reason")
        for line in failed:
            reasons.add_row(line.source, line.error_code or "", line.error or "")
        stdout.print(reasons)
        stdout.print(f"failed files were copied with their reasons to {settings.quarantine_dir}")
    stdout.print(f"index: {settings.index_url}")
    stdout.print(f"objects: {settings.objects_url}")


@cli.command()
@click.argument("document_id")
@click.option("--json", "as_json", is_flag=True, help="Print the record as JSON.")
@pass_context
def show(ctx: _Context, document_id: str, as_json: bool) -> None:
    """Show one document's record, with the status of its signatures."""
    row = ctx.index.get(document_id)
    record = row.public()
    record["signature_status"] = ctx.index.signature_status(row.id)
    if as_json:
        stdout.print_json(json.dumps(record, ensure_ascii=False))
        return
    table = Table(show_header=False)
    for key, value in record.items():
        table.add_row(key, json.dumps(value, ensure_ascii=False) if isinstance(value, dict) else str(value))
    stdout.print(table)


@cli.command()
@click.argument("document_id")
@pass_context
def text(ctx: _Context, document_id: str) -> None:
    """Print a document's text; pages are separated by form feeds."""
    click.echo(ctx.index.get(document_id).text)


@cli.command()
@click.argument("document_id")
@click.option("--variant", type=click.Choice(["searchable", "original"]), default="searchable")
@click.option("-o", "--output", type=click.Path(path_type=Path), required=True)
@pass_context
def export(ctx: _Context, document_id: str, variant: str, output: Path) -> None:
    """Write a stored document to a file (the original is the exact bytes received)."""
    row = ctx.index.get(document_id)
    key = row.original_key if variant == "original" else row.searchable_key
    output.write_bytes(ctx.store.get(key))
    console.print(f"wrote {output}")


@cli.command(name="list")
@click.option("--dossier", "dossier_code", help="Only this dossier.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
@pass_context
def list_documents(ctx: _Context, dossier_code: str | None, as_json: bool) -> None:
    """List stored documents."""
    rows = ctx.index.list(dossier_code=dossier_code)
    if as_json:
        for row in rows:
            click.echo(json.dumps(row.public(), ensure_ascii=False))
        return
    table = Table(show_header=True)
    for column in ("id", "dossier", "file", "title", "pages", "OCR conf.", "status"):
        table.add_column(column)
    for row in rows:
        table.add_row(
            row.id[:12], row.dossier_code or "", row.filename, row.title or "", str(row.pages),
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
@pass_context
def search(ctx: _Context, query, doc_type, owner_id, dossier_code, date_from, date_to, limit, as_json):
    """Full-text search, accents and case ignored: `sohoa search "quyet dinh xay dung"`."""
    hits = ctx.index.search(
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
@pass_context
def verify(ctx: _Context, document_ids, check_all, as_json):
    """Re-hash stored objects against the index; exit 6 if any is missing or altered."""
    from pipeline.core.verify import verify as verify_objects

    if not document_ids and not check_all:
        raise click.UsageError("name document ids or use --all")
    report = verify_objects(ctx.index, ctx.store, list(document_ids) or None)
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


@cli.group()
def review() -> None:
    """Documents whose type or fields a person must check, and their corrections."""


@review.command(name="list")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
@pass_context
def review_list(ctx: _Context, as_json: bool) -> None:
    """Documents waiting for review, oldest first, with the reason."""
    rows = ctx.index.list_needing_review()
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
@pass_context
def review_set(ctx: _Context, document_id: str, doc_type, field_values, corrected_by: str) -> None:
    """Correct a document's type and fields; it is then marked reviewed. Corrections are kept
    (who, when, old and new value) and become training labels for the classifier."""
    from pipeline.core.review import ReviewError, apply_review

    if not doc_type and not field_values:
        raise click.UsageError("give --type and/or --field NAME=VALUE")
    try:
        row = apply_review(ctx.index, document_id, doc_type=doc_type, field_values=field_values,
                           corrected_by=corrected_by)
    except ReviewError as exc:
        raise click.UsageError(str(exc)) from exc
    stdout.print(f"{row.id}: {row.doc_type}, status {row.status} ({row.review_note})")


@cli.group()
def db() -> None:
    """Index database maintenance."""


@db.command()
@pass_context
def upgrade(ctx: _Context) -> None:
    """Apply schema migrations to the index (SOHOA_DATABASE_URL)."""
    from pipeline.stores.index import upgrade as upgrade_index

    head = upgrade_index(ctx.settings.index_url)
    stdout.print(f"index at schema {head}")


# Each feature keeps its commands in its own module; importing one registers them on `cli`.
from pipeline.cli import api, jobs, sign  # noqa: E402,F401
