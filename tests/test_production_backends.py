"""`sohoa ingest` unchanged against S3 (a moto server over HTTP, or SOHOA_TEST_S3) + PostgreSQL."""

from __future__ import annotations

import hashlib
import json
import uuid
from pathlib import Path

import pytest

from conftest import cli_env, run_cli
from pipeline.stores.index import Index
from pipeline.stages.ingest import discover
from pipeline.core.run import DocumentDone, Ingestor, PipelineSettings
from pipeline.samples import write_sample_batch
from pipeline.stores.objects import RetryPolicy, open_store
from s3server import S3Endpoint

ACCESS_KEY, SECRET_KEY = "sohoa-test", "sohoa-test-secret"
QUICK_RETRY = RetryPolicy(attempts=3, base_delay_seconds=0.05, max_delay_seconds=0.1,
                          connect_timeout_seconds=1, read_timeout_seconds=5)


@pytest.fixture(scope="module")
def batch(tmp_path_factory) -> tuple[Path, list[Path]]:
    root = tmp_path_factory.mktemp("prod-batch")
    return root, write_sample_batch(root, seed=3131, dossiers=1, documents_per_dossier=3, dpi=200)


def test_ingest_runs_unchanged_on_s3_and_postgresql(batch, own_moto, postgres_url, tmp_path, classifier):
    """GIVEN an S3 endpoint over HTTP and an empty PostgreSQL database
    WHEN the two URLs and the S3 keys are set and `sohoa db upgrade`, `ingest`, `export` and
    `verify --all` run as on the embedded defaults
    THEN every file is stored, the original reads back byte-identical, verify is clean, and an
    independent S3 client sees each object with its metadata and no personal data in it"""
    root, files = batch
    bucket = f"sohoa-{uuid.uuid4().hex[:10]}"
    env = cli_env(
        tmp_path / "home",
        SOHOA_STORAGE_URL=f"s3://{bucket}?endpoint={own_moto.endpoint}&secure=false",
        SOHOA_S3_ACCESS_KEY=ACCESS_KEY,
        SOHOA_S3_SECRET_KEY=SECRET_KEY,
        SOHOA_DATABASE_URL=postgres_url,
    )

    def sohoa(*args):
        return run_cli(env, *args)

    assert sohoa("db", "upgrade").returncode == 0
    report = tmp_path / "report.jsonl"
    ingested = sohoa("ingest", root, "--jobs", "2", "--report", report)
    assert ingested.returncode == 0, ingested.stderr
    assert SECRET_KEY not in ingested.stdout + ingested.stderr
    lines = [json.loads(x) for x in report.read_text().splitlines()]
    assert [line["status"] for line in lines] == ["stored"] * len(files)
    listed = [json.loads(x) for x in sohoa("list", "--json").stdout.splitlines()]
    assert len(listed) == len(files)
    out = tmp_path / "original.bin"
    assert sohoa("export", lines[0]["document_id"], "--variant", "original", "-o", out).returncode == 0
    assert out.read_bytes() == Path(lines[0]["source"]).read_bytes()
    verified = sohoa("verify", "--all")
    assert verified.returncode == 0, verified.stdout + verified.stderr

    client = S3Endpoint(
        own_moto.endpoint, False, ACCESS_KEY, SECRET_KEY, "unused"
    ).boto3_client()
    for record in listed:
        head = client.head_object(Bucket=bucket, Key=record["original_key"])
        assert head["Metadata"]["document-id"] == record["id"]
        assert head["Metadata"]["sha256"] == record["sha256"]
        metadata_text = json.dumps(head["Metadata"])
        if record["owner_id"]:
            assert record["owner_id"] not in metadata_text, "no personal data in object metadata"


def test_s3_endpoint_down_mid_batch_loses_nothing_and_doubles_nothing(batch, own_moto, tmp_path, classifier):
    """GIVEN a batch being ingested into S3
    WHEN the endpoint stops after the first document is stored, and comes back before a rerun
    THEN the other documents fail with `storage_unavailable` (nothing in the index for them), and
    the rerun stores exactly those, so every file is stored once with intact objects"""
    root, files = batch
    bucket = f"sohoa-{uuid.uuid4().hex[:10]}"
    url = f"s3://{bucket}?endpoint={own_moto.endpoint}&secure=false"
    store = open_store(url, access_key=ACCESS_KEY, secret_key=SECRET_KEY, retry=QUICK_RETRY)
    index = Index(f"sqlite:///{tmp_path / 'index.sqlite3'}")
    ingestor = Ingestor(store, index, PipelineSettings(), quarantine_dir=tmp_path / "quarantine",
                        classifier=classifier)
    inputs = discover([root])

    def stop_after_first_document(event):
        if isinstance(event, DocumentDone) and event.line.status == "stored":
            own_moto.stop()

    first = list(ingestor.ingest(inputs, jobs=1, progress=stop_after_first_document))

    assert sum(line.status == "stored" for line in first) == 1
    failed = [line for line in first if line.status == "failed"]
    assert len(failed) == len(files) - 1
    assert {line.error_code for line in failed} == {"storage_unavailable"}
    assert len(index.list()) == 1

    own_moto.start()
    second = list(ingestor.ingest(inputs, jobs=1))

    assert sorted(line.status for line in second) == ["duplicate"] + ["stored"] * len(failed)
    rows = index.list()
    assert len(rows) == len(files) and len({row.sha256 for row in rows}) == len(rows)
    for row in rows:
        assert hashlib.sha256(store.get(row.original_key)).hexdigest() == row.sha256
        assert hashlib.sha256(store.get(row.searchable_key)).hexdigest() == row.searchable_sha256
        assert hashlib.sha256(store.get(row.ocr_key)).hexdigest() == row.ocr_sha256
