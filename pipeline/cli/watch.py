"""`sohoa watch DIR [--queue]`: ingest what network scanners drop into a folder (`pipeline.core.watch`)."""

from __future__ import annotations

import signal
from pathlib import Path

import click

from pipeline.cli.app import cli, console, pass_runtime
from pipeline.core.runtime import Runtime


@cli.command()
@click.argument("folder", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--queue", "queued", is_flag=True, help="Hand files to the queue workers (SOHOA_BROKER_URL).")
@click.option("--settle", "settle_seconds", type=float, default=5.0, show_default=True,
              help="Seconds a file must stay unchanged before it is taken.")
@click.option("--poll", "poll_seconds", type=float, default=2.0, show_default=True, help="Seconds between passes.")
@click.option("--once", is_flag=True, help="Two passes, --settle apart, then exit (for cron).")
@pass_runtime
def watch(rt: Runtime, folder: Path, queued: bool, settle_seconds: float, poll_seconds: float, once: bool) -> None:
    """Ingest files as they arrive in FOLDER, once they stop growing; each then moves to
    FOLDER/done/ or FOLDER/failed/ (beside NAME.reason.txt). Stop with Ctrl-C; a restart
    ingests nothing twice."""
    from pipeline.core.watch import FolderWatch, ingest_handler, queue_handler, watch_folder

    if queued and not rt.queue_configured:
        raise click.UsageError("--queue needs SOHOA_BROKER_URL (redis://… or amqp://…)")
    if queued:
        handler = queue_handler(rt.queue_batch, lambda batch_id: rt.batches.items(batch_id))
    else:
        handler = ingest_handler(lambda inputs: rt.ingestor().ingest(inputs, jobs=rt.settings.effective_jobs(None)))
    folder_watch = FolderWatch(folder.resolve(), handler, settle_seconds=settle_seconds)
    stopping = {"now": False}

    def on_signal(_signum, _frame) -> None:
        stopping["now"] = True

    signal.signal(signal.SIGTERM, on_signal)
    console.print(f"watching {folder} (files unchanged for {settle_seconds:g} s are taken; Ctrl-C stops)")
    try:
        settled = watch_folder(folder_watch, poll_seconds=settle_seconds if once else poll_seconds,
                               stop=lambda: stopping["now"], max_passes=2 if once else None,
                               on_moved=lambda m: console.print(_line(m), highlight=False))
    except KeyboardInterrupt:
        settled = None
    console.print("stopped" if settled is None else f"{settled} file(s) settled")


def _line(moved) -> str:
    if moved.to is None:
        return f"[yellow]{moved.source}: left for later ({moved.reason})[/yellow]"
    style = "green" if moved.status == "done" else "red"
    return f"[{style}]{moved.source} -> {moved.to}[/{style}]" + (f" ({moved.reason})" if moved.reason else "")
