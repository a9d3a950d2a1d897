"""`sohoa worker`, `sohoa batch` and `sohoa jobs`: thin shells over workers/ and pipeline.core.batches."""

from __future__ import annotations

import os
import sys
import time

import click
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from pipeline.core.batches import FAILED, BatchCounts, Batches
from pipeline.cli.app import cli, console, pass_runtime, stdout
from pipeline.core.runtime import Runtime
from schemas.jobs import BatchStatus, FailedJob

#: `batch status` suggests `batch resume` when nothing settles for this long.
STALLED_SECONDS = 120


@cli.command()
@click.option("--processes", "-p", type=int, default=None,
              help="Worker processes (default: SOHOA_JOBS, or one per core).")
@click.option("--threads", "-t", type=int, default=1, show_default=True,
              help="Threads per process (OCR is CPU-bound: more than one rarely helps).")
@pass_runtime
def worker(rt: Runtime, processes: int | None, threads: int) -> None:
    """Run queue workers on SOHOA_BROKER_URL until interrupted (dramatiq)."""
    if not rt.settings.broker_url:
        raise click.UsageError("set SOHOA_BROKER_URL (redis://… or amqp://…)")
    processes = rt.settings.effective_jobs(processes)
    command = [sys.executable, "-m", "dramatiq", "workers.main", "--processes", str(processes),
               "--threads", str(threads)]
    # Tesseract's OpenMP threads would fight the worker processes for the cores.
    environment = {"OMP_THREAD_LIMIT": "1", **os.environ}
    console.print(f"{processes} worker process(es) × {threads} thread(s) on the sohoa queue")
    sys.stdout.flush()
    sys.stderr.flush()
    os.execve(sys.executable, command, environment)  # dramatiq handles signals, restarts nothing


@cli.group()
def batch() -> None:
    """Queued batches (`sohoa ingest --queue`)."""


@batch.command(name="status")
@click.argument("batch_id")
@click.option("--json", "as_json", is_flag=True, help="Print the counts once, as JSON.")
@click.option("--follow/--no-follow", default=None,
              help="Follow the batch live until nothing is pending (default: on a terminal only).")
@click.option("--interval", type=float, default=1.0, show_default=True, help="Seconds between updates.")
@click.option("--stalled-after", type=float, default=STALLED_SECONDS, show_default=True,
              help="Stop following when nothing has settled for this many seconds.")
@pass_runtime
def batch_status(rt: Runtime, batch_id: str, as_json: bool, follow: bool | None, interval: float,
                 stalled_after: float) -> None:
    """A batch's counts, read from the index: once (piped, or --json), or live on a terminal until
    nothing is pending. Following stops, with a hint, when nothing settles for --stalled-after
    seconds (no worker running, or a broker that lost its queue); exit 0 either way."""
    batches = Batches(rt.index)
    batch_id = batches.resolve_batch_id(batch_id)
    counts = batches.counts(batch_id)
    if as_json:
        click.echo(_status(counts).model_dump_json())
        return
    if follow is None:
        follow = sys.stdout.isatty()
    if follow and not counts.done:
        counts = _follow(batches, counts, interval, stalled_after)
    stdout.print(f"batch {batch_id}: {counts.total} item(s), stored {counts.stored}, duplicate "
                 f"{counts.duplicate}, failed {counts.failed}, pending {counts.pending}", highlight=False)
    if counts.failed:
        console.print(f"{counts.failed} failed: see `sohoa jobs failed`")


def _follow(batches: Batches, counts: BatchCounts, interval: float, stalled_after: float) -> BatchCounts:
    """A live progress bar until the batch is done or nothing settles for ``stalled_after`` s."""
    progress = Progress(
        TextColumn("[bold]batch {task.description}"), BarColumn(), MofNCompleteColumn(),
        TextColumn("stored {task.fields[stored]} · duplicate {task.fields[duplicate]} · "
                   "[red]failed {task.fields[failed]}[/red]"),
        TimeElapsedColumn(), console=console,
    )
    last_change = time.monotonic()
    with progress:
        task = progress.add_task(counts.batch_id[:12], total=counts.total, stored=0, duplicate=0, failed=0)
        while True:
            progress.update(task, completed=counts.total - counts.pending, stored=counts.stored,
                            duplicate=counts.duplicate, failed=counts.failed)
            if counts.done:
                return counts
            if time.monotonic() - last_change > stalled_after:
                # A Redis broker restarted without its data loses queued messages; the items
                # are still pending in the index and can be sent again.
                progress.console.print(
                    f"[yellow]nothing settled for {stalled_after:.0f} s: are workers running? If the "
                    f"broker restarted, `sohoa batch resume {counts.batch_id}` sends the pending items again")
                return counts
            time.sleep(interval)
            previous, counts = counts, batches.counts(counts.batch_id)
            if counts != previous:
                last_change = time.monotonic()


@batch.command(name="resume")
@click.argument("batch_id")
@pass_runtime
def batch_resume(rt: Runtime, batch_id: str) -> None:
    """Send again the messages of a batch's pending items (after a broker restart lost them, or a
    worker died); items already done ignore them."""
    from pipeline.core.queued import resume

    sent = resume(batch_id, index=rt.index, send=rt.send)
    stdout.print(f"{sent} pending item(s) sent again")


@cli.group()
def jobs() -> None:
    """Failed items of queued batches."""


@jobs.command(name="failed")
@click.option("--batch", "batch_id", help="Only this batch.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
@pass_runtime
def jobs_failed(rt: Runtime, batch_id: str | None, as_json: bool) -> None:
    """Items that failed, with their error code, reason and attempts."""
    batches = Batches(rt.index)
    if batch_id:
        batch_id = batches.resolve_batch_id(batch_id)
    failed = [
        FailedJob(item_id=item.id, batch_id=item.batch_id, source=item.source,
                  error_code=item.error_code, error=item.error, attempts=item.attempts,
                  quarantined_as=item.quarantined_as)
        for item in batches.items(batch_id, status=FAILED)
    ]
    if as_json:
        for job in failed:
            click.echo(job.model_dump_json())
        return
    if not failed:
        console.print("no failed items")
        return
    table = Table(show_header=True)
    for column in ("item", "batch", "file", "code", "reason", "attempts"):
        table.add_column(column)
    for job in failed:
        table.add_row(job.item_id[:12], job.batch_id[:12], job.source, job.error_code or "",
                      job.error or "", str(job.attempts))
    stdout.print(table)


@jobs.command(name="retry")
@click.argument("item_ids", nargs=-1)
@click.option("--all", "retry_all", is_flag=True, help="Every failed item.")
@pass_runtime
def jobs_retry(rt: Runtime, item_ids, retry_all: bool) -> None:
    """Put failed items back in the queue (bad input will fail again; storage failures not)."""
    from pipeline.core.queued import retry

    if not item_ids and not retry_all:
        raise click.UsageError("name item ids or use --all")
    if item_ids:
        known = {item.id for item in Batches(rt.index).items(status=FAILED)}
        item_ids = [_expand(prefix, known) for prefix in item_ids]
    sent = retry(list(item_ids) or None, index=rt.index, send=rt.send)
    stdout.print(f"{len(sent)} item(s) queued again")


def _expand(prefix: str, known: set[str]) -> str:
    matches = [item_id for item_id in known if item_id.startswith(prefix)]
    if len(matches) != 1:
        raise click.UsageError(f"no failed item {prefix}" if not matches else f"{prefix} is ambiguous")
    return matches[0]


def _status(counts: BatchCounts) -> BatchStatus:
    return BatchStatus(batch_id=counts.batch_id, total=counts.total, stored=counts.stored,
                       duplicate=counts.duplicate, failed=counts.failed, pending=counts.pending,
                       done=counts.done)
