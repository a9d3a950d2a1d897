"""No document lost: a worker killed with SIGKILL, a broker restarted, an S3 endpoint down for 10 s
(real RabbitMQ, Redis, PostgreSQL and an S3 server on this machine; issue 7)."""

from __future__ import annotations

import json
import time
import uuid
from pathlib import Path

import pytest
from sqlalchemy import func, select

from conftest import cli_env, run_cli
from pipeline.core.batches import Batches
from pipeline.stores.index import Index, document_versions, documents
from queue_helpers import Worker, batch_counts, batch_status, wait_for, wait_for_batch, write_paragraph_scans
from s3server import ACCESS_KEY, SECRET_KEY


@pytest.fixture(scope="module")
def sixteen_scans(tmp_path_factory) -> Path:
    """Enough that a fault after the first few documents comes with many still pending."""
    root = tmp_path_factory.mktemp("fault-batch") / "HS-2026-0016"
    write_paragraph_scans(root, 16)
    return root


def assert_stored_exactly_once(env: dict[str, str], index_url: str, batch_id: str, count: int) -> None:
    """Every item stored, one document row and three object versions per file, verify clean."""
    status = batch_status(env, batch_id)
    assert (status["stored"], status["duplicate"], status["failed"], status["pending"]) == (count, 0, 0, 0), status
    index = Index(index_url)
    with index.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(documents)).scalar_one() == count
        assert conn.execute(select(func.count()).select_from(document_versions)).scalar_one() == 3 * count
    items = Batches(index).items(batch_id)
    assert len({item.document_id for item in items}) == count
    verified = run_cli(env, "verify", "--all", "--json")
    assert verified.returncode == 0, verified.stdout
    assert json.loads(verified.stdout)["checked"] == count


@pytest.mark.postgres
def test_a_worker_killed_mid_batch_loses_and_doubles_nothing(sixteen_scans, rabbit_url, postgres_url, tmp_path, classifier):
    """GIVEN 16 queued scans on RabbitMQ with a PostgreSQL index, and two worker processes
    WHEN every worker process is killed with SIGKILL once some documents are stored, and
    `sohoa worker` is started again
    THEN every document is stored exactly once, the index is consistent, `verify --all` is clean"""
    env = cli_env(tmp_path / "home", SOHOA_BROKER_URL=rabbit_url, SOHOA_DATABASE_URL=postgres_url)
    assert run_cli(env, "db", "upgrade").returncode == 0
    queued = run_cli(env, "ingest", "--queue", sixteen_scans)
    assert queued.returncode == 0, queued.stderr
    batch_id = queued.stdout.strip()

    worker = Worker(env, tmp_path / "worker.log", processes=2).start()
    try:
        wait_for(lambda: batch_counts(env, batch_id).stored >= 5, 180, "the first documents")
        worker.kill()
        assert batch_counts(env, batch_id).pending > 0, "the kill came mid-batch"
        worker.start()
        wait_for_batch(env, batch_id, timeout=240)
    finally:
        worker.stop()
    assert_stored_exactly_once(env, postgres_url, batch_id, 16)


def test_a_redis_restart_mid_batch_loses_nothing(sixteen_scans, redis_server, tmp_path, classifier):
    """GIVEN 16 queued scans on a Redis broker that keeps nothing on disk, and a running worker
    WHEN Redis is restarted (its queue is gone) once some documents are stored, and
    `sohoa batch resume` re-sends the pending items from the index
    THEN the worker carries on and every document is stored exactly once"""
    env = cli_env(tmp_path / "home", SOHOA_BROKER_URL=redis_server.url)
    inputs = sorted(sixteen_scans.iterdir())
    queued = run_cli(env, "ingest", "--queue", *inputs)
    assert queued.returncode == 0, queued.stderr
    batch_id = queued.stdout.strip()

    worker = Worker(env, tmp_path / "worker.log", processes=2).start()
    try:
        wait_for(lambda: batch_counts(env, batch_id).stored >= 3, 180, "the first documents")
        redis_server.stop()
        time.sleep(1)
        redis_server.start()
        assert batch_counts(env, batch_id).pending > 0, "the restart came mid-batch"
        resumed = run_cli(env, "batch", "resume", batch_id)
        assert resumed.returncode == 0, resumed.stderr
        wait_for_batch(env, batch_id, timeout=240)
    finally:
        worker.stop()
    assert_stored_exactly_once(env, f"sqlite:///{(tmp_path / 'home').resolve()}/index.sqlite3", batch_id, 16)


def test_an_s3_endpoint_down_for_ten_seconds_is_retried_until_it_is_back(sixteen_scans, own_moto, redis_server, tmp_path, classifier):
    """GIVEN 4 scans queued to an S3 object store, whose endpoint then goes down
    WHEN a worker starts while it is down and the endpoint comes back 10 s later
    THEN the failed deliveries are retried with backoff and every document is stored, once"""
    bucket = f"sohoa-{uuid.uuid4().hex[:10]}"
    env = cli_env(
        tmp_path / "home", SOHOA_BROKER_URL=redis_server.url,
        SOHOA_STORAGE_URL=f"s3://{bucket}?endpoint={own_moto.endpoint}&secure=false",
        SOHOA_S3_ACCESS_KEY=ACCESS_KEY, SOHOA_S3_SECRET_KEY=SECRET_KEY,
    )
    queued = run_cli(env, "ingest", "--queue", *sorted(sixteen_scans.iterdir())[:4])
    assert queued.returncode == 0, queued.stderr
    batch_id = queued.stdout.strip()

    own_moto.stop()
    worker = Worker(env, tmp_path / "worker.log", processes=1).start()
    try:
        time.sleep(10)
        assert batch_counts(env, batch_id).pending == 4
        own_moto.start()
        wait_for_batch(env, batch_id, timeout=180)
    finally:
        worker.stop()
    index_url = f"sqlite:///{(tmp_path / 'home').resolve()}/index.sqlite3"
    assert_stored_exactly_once(env, index_url, batch_id, 4)
    assert "Retrying message" in (tmp_path / "worker.log").read_text(errors="replace")
