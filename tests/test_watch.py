"""`sohoa watch DIR`: files that network scanners drop into a folder are ingested once they stop
growing, then moved to done/ or failed/ (beside their reason); a restart ingests nothing twice
(issue 13). The loop runs in this process with a clock the test moves: no waiting, no timing."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.core.watch import FolderWatch, ingest_handler, watch_folder
from queue_helpers import write_paragraph_scans


class Clock:
    """The watch's clock, moved by the test (or by the loop's sleep)."""

    def __init__(self):
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def scans(tmp_path) -> list[Path]:
    return write_paragraph_scans(tmp_path / "scans", 2)


def make_watch(root: Path, ingestor, clock: Clock) -> FolderWatch:
    return FolderWatch(root, ingest_handler(lambda inputs: ingestor.ingest(inputs)), settle_seconds=5, clock=clock)


def test_a_file_is_taken_only_once_it_stops_growing_and_bad_input_goes_to_failed(tmp_path, scans, ingestor):
    """GIVEN a watched folder where a scanner is still writing a scan (half its bytes), and a
    file that is not a scan in a dossier's sub-folder
    WHEN the watch looks, the scan grows to its full size, and the watch looks again 1 s and 6 s
    later (settle time 5 s)
    THEN nothing is taken while the file grows or before it has been still for 5 s; then the scan
    is stored and moved to done/; the bad file is moved to failed/HS-01/ beside its reason"""
    root = tmp_path / "inbox"
    (root / "HS-01").mkdir(parents=True)
    data = scans[0].read_bytes()
    arriving = root / "quet-0001.png"
    arriving.write_bytes(data[: len(data) // 2])
    (root / "HS-01" / "hong.png").write_bytes(b"this is not an image at all")
    clock = Clock()
    watch = make_watch(root, ingestor, clock)

    assert watch.scan_once() == []
    with arriving.open("ab") as handle:
        handle.write(data[len(data) // 2:])
    clock.now = 1.0
    assert watch.scan_once() == []  # it grew: seen again from now
    clock.now = 7.0
    moved = {m.source.name: m for m in watch.scan_once()}

    assert set(moved) == {"quet-0001.png", "hong.png"}
    assert moved["quet-0001.png"].to == root / "done" / "quet-0001.png"
    assert (root / "done" / "quet-0001.png").read_bytes() == data
    assert moved["hong.png"].to == root / "failed" / "HS-01" / "hong.png"
    reason = (root / "failed" / "HS-01" / "hong.png.reason.txt").read_text()
    assert reason == "corrupt_file: not a PNG image: unrecognised content\n"
    assert not arriving.exists() and not (root / "HS-01" / "hong.png").exists()
    (row,) = ingestor.index.list()
    assert row.filename == "quet-0001.png"


def test_a_restart_ingests_nothing_twice(tmp_path, scans, ingestor):
    """GIVEN a scan the watch ingested but did not move before it was stopped (a crash between
    the two), and a new scan in a dossier's sub-folder
    WHEN a new watch (no memory of the first) runs its loop until two passes have passed
    THEN the first scan is found already stored and moved to done/, the new one is stored in
    dossier HS-02 and moved to done/HS-02/; the index holds two documents"""
    root = tmp_path / "inbox"
    (root / "HS-02").mkdir(parents=True)
    crashed = root / "quet-0001.png"
    crashed.write_bytes(scans[0].read_bytes())
    first = list(ingestor.ingest(make_watch_inputs(crashed)))
    assert [line.status for line in first] == ["stored"]
    (root / "HS-02" / "quet-0002.png").write_bytes(scans[1].read_bytes())
    clock = Clock()
    settled = watch_folder(make_watch(root, ingestor, clock), poll_seconds=6, max_passes=2, sleep=clock.sleep)

    assert settled == 2
    assert sorted(p.relative_to(root).as_posix() for p in root.rglob("*.png")) == [
        "done/HS-02/quet-0002.png", "done/quet-0001.png"]
    rows = {row.filename: row for row in ingestor.index.list()}
    assert set(rows) == {"quet-0001.png", "quet-0002.png"}
    assert rows["quet-0002.png"].dossier_code == "HS-02"


def test_files_still_being_copied_and_the_watchs_own_folders_are_left_alone(tmp_path, ingestor):
    """GIVEN a folder holding a partial download (x.png.part), a hidden file, a manifest and a
    file already in done/
    WHEN the watch looks twice, 10 s apart
    THEN it takes none of them"""
    root = tmp_path / "inbox"
    (root / "done").mkdir(parents=True)
    for name in ("x.png.part", ".~lock", "manifest.csv", "done/old.png"):
        (root / name).write_bytes(b"12345")
    clock = Clock()
    watch = make_watch(root, ingestor, clock)
    assert watch.scan_once() == []
    clock.now = 10.0
    assert watch.ready_files() == []


def make_watch_inputs(path: Path):
    from pipeline.stages.ingest import discover

    return discover([path])


def test_with_the_queue_files_are_handed_to_the_workers(tmp_path, scans, settings, classifier):
    """GIVEN a watch handing files to the queue (the broker's send collected in this process)
    WHEN a scan has been still for the settle time
    THEN its bytes are staged in a batch, one message is sent for it, and it is moved to done/"""
    from pipeline.core.runtime import Runtime
    from pipeline.core.watch import queue_handler

    sent: list[tuple] = []
    rt = Runtime(settings, classifier=classifier, send=lambda *message: sent.append(message))
    root = tmp_path / "inbox"
    root.mkdir()
    (root / "quet-0001.png").write_bytes(scans[0].read_bytes())
    clock = Clock()
    watch = FolderWatch(root, queue_handler(rt.queue_batch, rt.batches.items), settle_seconds=5, clock=clock)
    assert watch.scan_once() == []
    clock.now = 5.0
    (moved,) = watch.scan_once()

    assert (moved.status, moved.to) == ("done", root / "done" / "quet-0001.png")
    (item,) = rt.batches.items(moved.reason.split()[-1])
    assert (item.status, item.source, sent) == ("pending", str(root / "quet-0001.png"), [("ingest_item", item.id)])
