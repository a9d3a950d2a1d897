"""Interrupted runs leave no half-made record, and running again completes the batch."""

from __future__ import annotations

import hashlib
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import cli_env, run_cli
from pipeline.errors import StorageUnavailable
from pipeline.stores.index import Index
from pipeline.stages.ingest import discover
from pipeline.core.run import Ingestor, PipelineSettings
from pipeline.samples import write_sample_batch
from pipeline.stores.objects import LocalObjectStore


class FailingStore(LocalObjectStore):
    """A local store whose writes fail after `allowed` objects, like a disk or bucket gone away."""

    def __init__(self, root: Path, allowed: int):
        super().__init__(root)
        self.allowed = allowed

    def _spend(self):
        if self.allowed <= 0:
            raise StorageUnavailable("connection refused")
        self.allowed -= 1

    def put(self, key, data, metadata=None):
        self._spend()
        return super().put(key, data, metadata)

    def put_immutable(self, key, data, metadata=None, retain_until=None):
        self._spend()
        return super().put_immutable(key, data, metadata, retain_until)


@pytest.fixture(scope="module")
def small_batch(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("resume")
    write_sample_batch(root, seed=77, dossiers=1, documents_per_dossier=3, dpi=200)
    return root


def assert_every_row_points_at_intact_objects(index: Index, store: LocalObjectStore) -> None:
    for row in index.list():
        assert hashlib.sha256(store.get(row.original_key)).hexdigest() == row.sha256
        assert hashlib.sha256(store.get(row.searchable_key)).hexdigest() == row.searchable_sha256
        assert hashlib.sha256(store.get(row.ocr_key)).hexdigest() == row.ocr_sha256


def test_storage_failure_mid_batch_records_nothing_half_and_a_rerun_completes(
    small_batch: Path, settings, classifier
):
    """GIVEN a batch whose object store goes away after the first document's objects
    WHEN the batch is ingested, then ingested again once the store is back
    THEN the first run stores one document and fails the others with `storage_unavailable`
    (not quarantined: the files are fine), and the second run stores exactly the rest"""
    inputs = discover([small_batch])
    index = Index(settings.index_url)
    objects = settings.resolved_home / "objects"
    pipeline_settings = PipelineSettings.from_settings(settings)

    flaky = Ingestor(FailingStore(objects, allowed=3), index, pipeline_settings,
                     quarantine_dir=settings.quarantine_dir, classifier=classifier)
    first = list(flaky.ingest(inputs))

    assert sum(line.status == "stored" for line in first) == 1
    failed = [line for line in first if line.status == "failed"]
    assert failed and {line.error_code for line in failed} == {"storage_unavailable"}
    assert all(line.quarantined_as is None for line in failed)
    assert len(index.list()) == 1

    healthy = Ingestor(LocalObjectStore(objects), index, pipeline_settings,
                       quarantine_dir=settings.quarantine_dir, classifier=classifier)
    second = list(healthy.ingest(inputs))

    assert sorted(line.status for line in second) == ["duplicate"] + ["stored"] * len(failed)
    assert len(index.list()) == len(inputs)
    assert_every_row_points_at_intact_objects(index, LocalObjectStore(objects))


def test_killed_ingest_resumes_without_doubles(small_batch: Path, settings, classifier):
    """GIVEN `sohoa ingest` killed with SIGKILL after it stored its first document
    WHEN the same command runs again
    THEN every file is stored exactly once and every index row points at intact objects"""
    env = cli_env(settings.home)
    args = ["ingest", str(small_batch), "--jobs", "1"]
    command = [sys.executable, "-m", "pipeline", *args]
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    database = settings.resolved_home / "index.sqlite3"
    deadline = time.monotonic() + 300
    try:
        while time.monotonic() < deadline and process.poll() is None:
            if database.exists():
                with sqlite3.connect(database) as conn:
                    try:
                        if conn.execute("select count(*) from documents").fetchone()[0] >= 1:
                            break
                    except sqlite3.OperationalError:
                        pass
            time.sleep(0.2)
    finally:
        if process.poll() is None:
            os.kill(process.pid, signal.SIGKILL)
        process.wait()
    index = Index(settings.index_url)
    stored_before = len(index.list())
    assert 1 <= stored_before < len(discover([small_batch])), "the kill came mid-batch"

    rerun = run_cli(env, *args)

    assert rerun.returncode == 0, rerun.stderr
    inputs = discover([small_batch])
    rows = index.list()
    assert len(rows) == len(inputs)
    assert len({row.sha256 for row in rows}) == len(rows)
    assert rerun.stderr.count("duplicate") == stored_before
    assert_every_row_points_at_intact_objects(index, LocalObjectStore(settings.resolved_home / "objects"))
