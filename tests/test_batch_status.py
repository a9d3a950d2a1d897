"""`sohoa batch status` ends by itself: piped it prints the counts once; following stops when
nothing settles."""

from __future__ import annotations

import time

from pipeline.core.runtime import Runtime
from pipeline.stages.ingest import discover
from queue_helpers import write_paragraph_scans


def queued_batch_nobody_works_on(settings, tmp_path) -> str:
    write_paragraph_scans(tmp_path / "scans", 2)
    sent: list[tuple] = []
    rt = Runtime(settings, classifier=None, send=lambda *message: sent.append(message))
    batch_id = rt.queue_batch(discover([tmp_path / "scans"]))
    assert len(sent) == 2  # the messages went to a queue no worker reads
    return batch_id


def test_piped_batch_status_prints_the_counts_once_and_exits(settings, run_sohoa, tmp_path):
    """GIVEN a queued batch of two scans and no worker running
    WHEN `sohoa batch status ID` runs with its output piped (no terminal)
    THEN it prints the counts at once and exits 0"""
    batch_id = queued_batch_nobody_works_on(settings, tmp_path)

    started = time.monotonic()
    result = run_sohoa("batch", "status", batch_id[:10], timeout=60)

    assert result.returncode == 0, result.stderr
    assert f"batch {batch_id}: 2 item(s), stored 0, duplicate 0, failed 0, pending 2" in result.stdout
    assert time.monotonic() - started < 30


def test_following_a_batch_that_does_not_move_stops_with_a_hint(settings, run_sohoa, tmp_path):
    """GIVEN a queued batch and no worker running
    WHEN `sohoa batch status ID --follow --stalled-after 1` follows it
    THEN it stops after about a second, says how to send the items again, and prints the counts"""
    batch_id = queued_batch_nobody_works_on(settings, tmp_path)

    result = run_sohoa("batch", "status", batch_id, "--follow", "--stalled-after", "1",
                       "--interval", "0.2", timeout=60)

    assert result.returncode == 0, result.stderr
    assert f"sohoa batch resume {batch_id}" in " ".join(result.stderr.split())
    assert "pending 2" in result.stdout

