"""`sohoa ingest`: scans and PDFs in, stored and indexed documents out, with a live progress bar."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import click
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from pipeline.cli.app import cli, console, pass_runtime, stdout
from pipeline.core.runtime import Runtime
from pipeline.errors import EXIT_INPUT_FAILED, EXIT_OK
from pipeline.settings import Settings


@cli.command()
# exists=True: a path that does not exist is a usage error (exit 2), never a failed input.
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--jobs", "-j", type=int, default=None, help="Page processes (default: one per core).")
@click.option("--report", type=click.Path(path_type=Path), help="Write one JSON line per input file.")
@click.option("--dossier", "dossier_code", help="Dossier code for files a manifest does not name.")
@click.option("--owner-id", help="Owner's personal ID for files a manifest does not name.")
@click.option("--procedure", "procedure_code", help="Procedure code (mã TTHC).")
@click.option("--queue", "queued", is_flag=True,
              help="Queue the batch for workers (SOHOA_BROKER_URL), print its id and return.")
@click.option("--scan-sequence", "join_sequences", is_flag=True,
              help="Numbered images of a folder (scan_0001.jpg…) are one scanner stream, separated by content.")
@click.option("--result", "as_result", is_flag=True,
              help="The files are results of their dossiers: each waits for the signatures its procedure names.")
@pass_runtime
def ingest(rt: Runtime, paths, jobs, report, dossier_code, owner_id, procedure_code, queued, join_sequences,
           as_result) -> None:
    """OCR scans and PDFs into searchable PDF/A documents, stored and indexed.

    A directory is walked recursively; each sub-directory holding files is one dossier. A
    multi-page scan is separated into its documents; page files of one paper (x-p1.png, x-p2.png)
    are one document.
    Exit code 0: every file stored or already stored; 3: some files failed (see README).
    With --queue the files' bytes go to the object store and workers do the rest
    (`sohoa batch status ID`).
    """
    from pipeline.core.run import BatchPlanned, DocumentDone, PagesDone  # the stages, only now
    from pipeline.stages.ingest import discover

    settings = rt.settings
    inputs = discover(
        list(paths), dossier_code=dossier_code, owner_id=owner_id, procedure_code=procedure_code,
        join_sequences=join_sequences,
    )
    if not inputs:
        raise click.UsageError("no input files found")
    if queued and as_result:
        raise click.UsageError("--result with --queue: mark the results once stored (`sohoa results mark ID…`)")
    if queued:
        if not rt.queue_configured:
            raise click.UsageError("--queue needs SOHOA_BROKER_URL (redis://… or amqp://…)")
        batch_id = rt.queue_batch(inputs, description=" ".join(str(p) for p in paths)[:1000])
        click.echo(batch_id)
        console.print(f"{len(inputs)} file(s) queued: `sohoa batch status {batch_id}`")
        return
    ingestor = rt.ingestor()
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
    if as_result:
        _mark_results(rt, lines)
    _print_summary(lines, elapsed, settings)
    failed = [line for line in lines if line.status == "failed"]
    sys.exit(EXIT_INPUT_FAILED if failed else EXIT_OK)


def _mark_results(rt: Runtime, lines) -> None:
    from pipeline.core.results import mark_result
    from schemas.catalog import default_catalog

    for line in lines:
        if line.status in ("stored", "duplicate") and line.document_id:
            marked = mark_result(rt.index, default_catalog(), line.document_id, by="cli")
            console.print(f"{line.document_id}: result, waiting for {marked.next_kind or 'nothing'}")


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
        _print_quarantine(failed, settings)
    stdout.print(f"index: {settings.index_url}")
    stdout.print(f"objects: {settings.objects_url}")


def _print_quarantine(failed, settings: Settings) -> None:
    """Say what became of the failed files: only what really happened."""
    quarantined = [line for line in failed if line.quarantined_as]
    retry = [line for line in failed if not line.quarantined_as and line.error_code == "storage_unavailable"]
    lost = [line for line in failed if not line.quarantined_as and line not in retry]
    if quarantined:
        stdout.print(f"{len(quarantined)} failed file(s) quarantined with their reasons in "
                     f"{settings.quarantine_dir}")
    if retry:
        stdout.print(f"{len(retry)} file(s) not stored because the storage was unavailable; the files "
                     "are fine: run the same command again")
    if lost:
        stdout.print(f"{len(lost)} failed file(s) could not be quarantined (is {settings.quarantine_dir} "
                     "writable, is the disk full?); their reasons are listed above")
