"""Queued ingest: `sohoa ingest --queue` + `sohoa worker` give what a local ingest gives, and every
message is idempotent (issue 7)."""

from __future__ import annotations

import hashlib
import json
from dataclasses import replace
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import func, select, update

from conftest import cli_env, run_cli
from pipeline.core.batches import batch_items
from pipeline.errors import StorageUnavailable
from pipeline.stores.index import Index, document_versions, documents
from pipeline.stages.ingest import discover
from pipeline.stores.objects import LocalObjectStore
from pipeline.core.queued import retry
from pipeline.core.runtime import Runtime
from queue_helpers import Worker, batch_status, wait_for_batch, write_paragraph_scans
from pipeline.core.verify import verify
from workers import tasks
from workers.tasks import finalise_item, ingest_item, ocr_page, record_gave_up


@pytest.fixture(scope="module")
def mixed_batch(tmp_path_factory) -> Path:
    """Four one-page scans, a three-page TIFF (fanned out per page), a second copy of the first
    scan (a duplicate inside the batch) and an empty file (bad input)."""
    root = tmp_path_factory.mktemp("queued") / "HS-2026-0001"
    scans = write_paragraph_scans(root, 7)
    pages = [Image.open(path) for path in scans[4:]]
    pages[0].save(root / "ho-so-3-trang.tif", save_all=True, append_images=pages[1:], dpi=(200, 200))
    for path in scans[4:]:
        path.unlink()
    (root / "ban-sao.png").write_bytes(scans[0].read_bytes())
    (root / "rong.png").write_bytes(b"")
    return root


def test_a_queued_batch_gives_the_same_documents_as_a_local_ingest(mixed_batch, redis_server, tmp_path, classifier):
    """GIVEN a batch with one-page scans, a three-page TIFF, an in-batch duplicate and an empty file
    WHEN it is ingested locally into one home, and queued with `ingest --queue` into another and
    processed by `sohoa worker` reading the bytes from the object store
    THEN both hold the same documents (ids, pages, text, type), the batch status counts 5 stored,
    1 duplicate, 1 failed, `jobs failed` names the empty file with its code and quarantined copy,
    `verify --all` is clean, and no scratch object of a settled item is left"""
    local_env = cli_env(tmp_path / "local")
    report = tmp_path / "local.jsonl"
    local = run_cli(local_env, "ingest", mixed_batch, "--jobs", "1", "--report", report)
    assert local.returncode == 3, local.stderr  # the empty file fails
    local_lines = {Path(line["source"]).name: line for line in map(json.loads, report.read_text().splitlines())}

    env = cli_env(tmp_path / "queued", SOHOA_BROKER_URL=redis_server.url)
    queued = run_cli(env, "ingest", "--queue", mixed_batch)
    assert queued.returncode == 0, queued.stderr
    batch_id = queued.stdout.strip()
    assert batch_status(env, batch_id)["pending"] == 7  # the empty file is readable: workers judge it
    worker = Worker(env, tmp_path / "worker.log", processes=2).start()
    try:
        status = wait_for_batch(env, batch_id)
    finally:
        worker.stop()

    assert status == {"batch_id": batch_id, "total": 7, "stored": 5, "duplicate": 1, "failed": 1,
                      "pending": 0, "done": True}
    local_docs = {row.filename: row for row in Index(cli_env_index(tmp_path / "local")).list()}
    queued_docs = {row.filename: row for row in Index(cli_env_index(tmp_path / "queued")).list()}
    assert set(queued_docs) == set(local_docs) == {
        name for name, line in local_lines.items() if line["status"] == "stored"}
    for name, row in queued_docs.items():
        twin = local_docs[name]
        assert (row.id, row.pages, row.text, row.doc_type, row.dossier_code) == (
            twin.id, twin.pages, twin.text, twin.doc_type, twin.dossier_code), name
        assert row.source == str(mixed_batch / name)  # the path as given, not a worker's copy
    assert queued_docs["ho-so-3-trang.tif"].pages == 3

    failed = [json.loads(line) for line in run_cli(env, "jobs", "failed", "--json").stdout.splitlines()]
    assert [(Path(job["source"]).name, job["error_code"]) for job in failed] == [("rong.png", "empty_file")]
    assert Path(failed[0]["quarantined_as"]).exists()
    verified = run_cli(env, "verify", "--all", "--json")
    assert verified.returncode == 0, verified.stdout
    store = LocalObjectStore(tmp_path / "queued" / "objects")
    scratch = list(store.keys("scratch/"))
    assert scratch and all(failed[0]["item_id"] in key for key in scratch)


def cli_env_index(home: Path) -> str:
    return f"sqlite:///{home.resolve() / 'index.sqlite3'}"


@pytest.fixture
def runtime(settings, classifier):
    """A worker's runtime in this process; sent messages are collected, not delivered."""
    sent: list[tuple] = []
    rt = Runtime(settings, classifier=classifier, send=lambda *message: sent.append(message))
    rt.sent = sent
    return rt


def deliver(rt: Runtime, message: tuple) -> None:
    actor, *args = message
    {"ingest_item": ingest_item, "ocr_page": ocr_page, "finalise_item": finalise_item}[actor](rt, *args)


def deliver_all_twice(rt: Runtime) -> None:
    """Run every message, and each one again, as a broker may after a crash."""
    while rt.sent:
        message = rt.sent.pop(0)
        deliver(rt, message)
        deliver(rt, message)


def counts(index: Index) -> tuple[int, int]:
    with index.engine.connect() as conn:
        return (conn.execute(select(func.count()).select_from(documents)).scalar_one(),
                conn.execute(select(func.count()).select_from(document_versions)).scalar_one())


def test_every_message_delivered_twice_has_no_second_effect(mixed_batch, runtime, settings):
    """GIVEN the mixed batch submitted to the queue
    WHEN every message (item, page and finalise messages) is delivered twice
    THEN each distinct content is one document with one version of three objects, items settle
    once (5 stored, 1 duplicate, 1 failed), and every stored object is the one its row names"""
    inputs = discover([mixed_batch])
    batch_id = runtime.queue_batch(inputs)
    assert len(runtime.sent) == 6
    deliver_all_twice(runtime)

    assert counts(runtime.index) == (5, 15)
    status = runtime.batches.counts(batch_id)
    assert (status.stored, status.duplicate, status.failed, status.pending) == (5, 1, 1, 0)
    for row in runtime.index.list():
        assert hashlib.sha256(runtime.store.get(row.searchable_key)).hexdigest() == row.searchable_sha256


def test_a_crash_between_index_row_and_settling_still_counts_the_item_as_stored(mixed_batch, runtime, settings):
    """GIVEN a queued document whose worker wrote the index row but died before settling the item
    WHEN its message is delivered again, and the same file is later queued in another batch
    THEN the item is `stored` (it made that document), not `duplicate`, with no second row;
    the other batch's item is a duplicate of it"""
    inputs = [item for item in discover([mixed_batch]) if item.path.name == "xac-nhan-001.png"]
    batch_id = runtime.queue_batch(inputs)
    deliver(runtime, runtime.sent.pop(0))
    (item,) = runtime.batches.items(batch_id)
    with runtime.index.engine.begin() as conn:  # the settle the crash prevented
        conn.execute(update(batch_items).where(batch_items.c.id == item.id).values(status="pending"))

    deliver(runtime, ("ingest_item", item.id))
    again = runtime.queue_batch(inputs)

    assert runtime.batches.item(item.id).status == "stored"
    assert runtime.batches.counts(again).duplicate == 1
    assert counts(runtime.index) == (1, 3)


def test_two_deliveries_at_once_that_read_differently_never_write_over_stored_objects(
        mixed_batch, runtime, monkeypatch):
    """GIVEN a queued scan, an earlier delivery of it that died after writing its objects but
    before its row, and two deliveries of its message running at once (a broker restarted,
    `batch resume`), the later of which reads the page a little differently (another load)
    WHEN the first to finish stores the document while the other is still reading the page
    THEN the objects the row names are never written over (their hashes are the row's), the other
    delivery's objects and the dead delivery's leftovers are removed, and the item is stored once"""
    inputs = [item for item in discover([mixed_batch]) if item.path.name == "xac-nhan-003.png"]
    batch_id = runtime.queue_batch(inputs)
    (message,) = runtime.sent
    (item,) = runtime.batches.items(batch_id)
    document_id = item.sha256[:32]
    dead = f"documents/{document_id}/v1/{item.id}-0badcafe/ocr.json"
    runtime.store.put(dead, b"{}")
    read_once = tasks.process_page
    overtaken = []

    def overtaken_while_reading(task):
        if not overtaken:
            overtaken.append(task)
            monkeypatch.setattr(tasks, "process_page", read_once)
            deliver(runtime, message)  # the other delivery runs to the end meanwhile
            monkeypatch.setattr(tasks, "process_page", overtaken_while_reading)
        result = read_once(task)
        words = tuple(replace(word, confidence=max(0.0, word.confidence - 1.0)) for word in result.ocr.words)
        return replace(result, ocr=replace(result.ocr, words=words))

    monkeypatch.setattr(tasks, "process_page", overtaken_while_reading)
    deliver(runtime, message)

    assert overtaken, "the first delivery read the page"
    row = runtime.index.get(document_id)
    assert runtime.batches.item(item.id).status == "stored"
    assert sorted(runtime.store.keys(f"documents/{row.id}/v1/")) == sorted([row.searchable_key, row.ocr_key])
    assert hashlib.sha256(runtime.store.get(row.ocr_key)).hexdigest() == row.ocr_sha256
    assert hashlib.sha256(runtime.store.get(row.searchable_key)).hexdigest() == row.searchable_sha256
    assert verify(runtime.index, runtime.store).ok
    assert counts(runtime.index) == (1, 3)


class UnreachableStore(LocalObjectStore):
    """A local store whose reads fail, like a bucket whose endpoint is down."""

    def get(self, key):
        raise StorageUnavailable("connection refused")


def test_an_item_that_gave_up_is_listed_and_retried(mixed_batch, runtime, settings, classifier):
    """GIVEN a queued scan whose object store is unreachable on every retry
    WHEN the message raises, the worker gives up (the item fails with `storage_unavailable`),
    and `jobs retry` runs once the store is back
    THEN the failure is recorded without quarantine, the retry sends it again, and it is stored"""
    inputs = [item for item in discover([mixed_batch]) if item.path.name == "xac-nhan-002.png"]
    batch_id = runtime.queue_batch(inputs)
    message = runtime.sent.pop(0)
    cut_off = Runtime(settings, store=UnreachableStore(settings.resolved_home / "objects"),
                      index=runtime.index, classifier=classifier, send=runtime.send)
    with pytest.raises(StorageUnavailable) as raised:
        deliver(cut_off, message)
    record_gave_up(cut_off, message[1], raised.value)
    (item,) = runtime.batches.items(batch_id, status="failed")
    assert (item.error_code, item.quarantined_as) == ("storage_unavailable", None)

    assert retry([item.id], index=runtime.index, send=runtime.send) == [item.id]
    deliver_all_twice(runtime)

    assert runtime.batches.item(item.id).status == "stored"
    assert runtime.batches.item(item.id).attempts == 2
