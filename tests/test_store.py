"""The object store: one contract for every backend (a local directory, an S3 endpoint over real
HTTP), what immutable objects are protected by, and what happens when the endpoint goes away.

The S3 endpoint is a moto server on a loopback port, or a real MinIO when `SOHOA_TEST_S3` names
one (see tests/s3server.py).
"""

from __future__ import annotations

import hashlib
import logging
import stat
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from pipeline.errors import StorageUnavailable
from pipeline.stores.index import Index
from pipeline.stages.ingest import discover
from pipeline.core.run import Ingestor, PipelineSettings
from pipeline.samples import write_sample_batch
from pipeline.stores.objects import (
    LocalObjectStore,
    ObjectImmutable,
    ObjectNotFound,
    RetryPolicy,
    S3ObjectStore,
    open_store,
    original_key,
    sha256_hex,
)
from s3server import ACCESS_KEY, SECRET_KEY, MotoS3, S3Endpoint

QUICK_RETRY = RetryPolicy(attempts=3, base_delay_seconds=0.05, max_delay_seconds=0.1,
                          connect_timeout_seconds=1, read_timeout_seconds=5)
# Binary that is not UTF-8, with every byte value and a NUL run.
BINARY = bytes(range(256)) * 64 + b"\x00" * 1000 + b"\xff\xfe%PDF"


@dataclass
class Backend:
    kind: str  # "local" or "s3"
    url: str
    open: callable  # () -> a new store on the same location
    s3: S3Endpoint | None = None
    bucket: str | None = None


@pytest.fixture(params=["local", "s3"])
def backend(request, tmp_path: Path) -> Backend:
    if request.param == "local":
        url = (tmp_path / "objects").as_uri()
        return Backend("local", url, lambda: open_store(url))
    endpoint: S3Endpoint = request.getfixturevalue("s3_endpoint")
    bucket = endpoint.new_bucket_name()
    url = endpoint.url(bucket)
    return Backend(
        "s3", url,
        lambda: open_store(url, access_key=endpoint.access_key, secret_key=endpoint.secret_key,
                           retry=QUICK_RETRY),
        s3=endpoint, bucket=bucket,
    )


@pytest.fixture
def store(backend: Backend):
    return backend.open()


# --- the contract, on every backend ---------------------------------------------------------------


def test_binary_object_round_trips_byte_for_byte(store):
    """GIVEN a binary object that is not text (every byte value, NULs)
    WHEN it is put and read back
    THEN the bytes are identical and stat reports their size and SHA-256"""
    key = original_key(sha256_hex(BINARY))

    store.put(key, BINARY, {"variant": "original"})

    assert store.get(key) == BINARY
    info = store.stat(key)
    assert (info.size, info.sha256) == (len(BINARY), sha256_hex(BINARY))


def test_metadata_round_trips_and_carries_no_more_than_given(store):
    """GIVEN an object stored with its document id, variant and source SHA-256
    WHEN its metadata is read back
    THEN it is exactly what was given (the store's own checksum is reported by stat instead)"""
    metadata = {"document-id": "0123abcd" * 4, "variant": "searchable", "sha256": "ab" * 32}

    store.put("documents/0123abcd/v1/searchable.pdf", b"%PDF-1.7 ...", metadata)

    assert store.metadata("documents/0123abcd/v1/searchable.pdf") == metadata
    assert store.stat("documents/0123abcd/v1/searchable.pdf").metadata == metadata


def test_metadata_must_be_ascii(store):
    """GIVEN metadata with a Vietnamese value (S3 sends metadata as ASCII headers)
    WHEN it is put
    THEN it is refused before anything is written"""
    with pytest.raises(ValueError, match="ASCII"):
        store.put("documents/x/v1/ocr.json", b"{}", {"title": "Giấy khai sinh"})

    assert not store.exists("documents/x/v1/ocr.json")


def test_exists_tells_stored_from_missing(store):
    """GIVEN one stored object
    WHEN existence is asked for it and for a key next to it
    THEN only the stored one exists"""
    store.put("documents/a/v1/ocr.json", b"{}")

    assert store.exists("documents/a/v1/ocr.json")
    assert not store.exists("documents/a/v1/searchable.pdf")
    assert not store.exists("documents/a")  # a "directory" is not an object


def test_keys_lists_by_prefix_in_order(store):
    """GIVEN objects under two documents and the originals
    WHEN keys are listed by prefix
    THEN each prefix lists exactly its keys, sorted"""
    keys = ["documents/ab/v1/ocr.json", "documents/ab/v1/searchable.pdf",
            "documents/abc/v1/ocr.json", original_key("cd" * 32)]
    for key in reversed(keys):
        store.put(key, key.encode())

    assert list(store.keys()) == sorted(keys)
    assert list(store.keys("documents/ab/")) == keys[:2]
    assert list(store.keys("documents/ab")) == keys[:3]
    assert list(store.keys("originals/")) == [original_key("cd" * 32)]
    assert list(store.keys("nothing/")) == []


def test_missing_key_raises_object_not_found(store):
    """GIVEN an empty store
    WHEN a missing object is read, described or deleted
    THEN each raises ObjectNotFound naming the key"""
    for read in (store.get, store.metadata, store.stat, store.delete):
        with pytest.raises(ObjectNotFound, match="documents/none/v1/ocr.json"):
            read("documents/none/v1/ocr.json")


def test_normal_object_can_be_overwritten_and_deleted(store):
    """GIVEN an object stored with put
    WHEN it is put again with other bytes and metadata, then deleted
    THEN a read returns only the new bytes and metadata, and after deletion it is gone"""
    key = "documents/d/v1/ocr.json"
    store.put(key, b"old", {"variant": "ocr", "sha256": "11" * 32})

    store.put(key, b"new", {"variant": "ocr"})

    assert store.get(key) == b"new"
    assert store.metadata(key) == {"variant": "ocr"}
    assert store.stat(key).sha256 == sha256_hex(b"new")
    store.delete(key)
    assert not store.exists(key)


def test_immutable_object_is_not_overwritten_or_deleted_by_the_store(store):
    """GIVEN an original stored with put_immutable
    WHEN it is put again (normally or immutably) with other bytes, or deleted
    THEN each is refused with ObjectImmutable and the original bytes stay readable;
    putting the same bytes again is a no-op (a resumed run may do it)"""
    key = original_key(sha256_hex(b"original"))
    info = store.put_immutable(key, b"original", {"variant": "original"})
    assert info.immutable

    with pytest.raises(ObjectImmutable):
        store.put(key, b"changed")
    with pytest.raises(ObjectImmutable):
        store.put_immutable(key, b"changed")
    with pytest.raises(ObjectImmutable):
        store.delete(key)

    assert store.put_immutable(key, b"original", {"variant": "original"}).sha256 == info.sha256
    assert store.get(key) == b"original"
    assert store.stat(key).immutable


def test_a_download_url_is_handed_out_only_by_a_store_that_has_urls(backend, store):
    """GIVEN a stored searchable PDF
    WHEN a download URL valid for a minute is asked for
    THEN the S3 store signs one for that key, expiry and Content-Disposition, and the download
    answers with that header, its UTF-8 file name intact; the local store answers None (its caller
    serves the bytes itself)"""
    import httpx

    key = "documents/f00d/v1/searchable.pdf"
    store.put(key, BINARY)
    disposition = "attachment; filename=\"Giay_khai_sinh.pdf\"; filename*=UTF-8''Gi%E1%BA%A5y%20khai%20sinh.pdf"

    url = store.presigned_get_url(key, 60, content_disposition=disposition)

    if backend.kind == "local":
        assert url is None
    else:
        assert key in url and "X-Amz-Expires=60" in url
        download = httpx.get(url)
        assert download.content == BINARY
        assert download.headers["content-disposition"] == disposition


def test_store_is_created_where_missing_and_reopens(backend):
    """GIVEN a location (directory or bucket) that does not exist yet
    WHEN a store is opened there twice
    THEN the first opening creates it and the second finds what the first stored"""
    backend.open().put("documents/r/v1/ocr.json", b"{}")

    assert backend.open().get("documents/r/v1/ocr.json") == b"{}"


# --- what protects an immutable object, per backend --------------------------------------------


def test_local_immutable_object_is_a_read_only_file(tmp_path: Path):
    """GIVEN the local store
    WHEN an object is put immutably
    THEN its file and its metadata file are read-only (0444); the store refuses changes, but file
    modes do not stop root or an unlink, so nothing stronger is claimed"""
    store = LocalObjectStore(tmp_path / "objects")
    key = original_key(sha256_hex(b"scan"))

    store.put_immutable(key, b"scan", {"variant": "original"},
                        retain_until=datetime.now(timezone.utc) + timedelta(days=1))

    assert stat.S_IMODE((tmp_path / "objects" / key).stat().st_mode) == 0o444
    assert stat.S_IMODE((tmp_path / "objects" / ".meta" / f"{key}.json").stat().st_mode) == 0o444
    assert not [p for p in (tmp_path / "objects").rglob(".tmp-*")]


def test_s3_bucket_is_created_with_versioning_and_object_lock(s3_endpoint: S3Endpoint):
    """GIVEN a bucket name that does not exist on the endpoint
    WHEN a store is opened on it
    THEN the bucket exists with versioning enabled, and with object lock when the server has it
    (moto and MinIO both do)"""
    bucket = s3_endpoint.new_bucket_name()

    store = open_store(s3_endpoint.url(bucket), access_key=s3_endpoint.access_key,
                       secret_key=s3_endpoint.secret_key)

    client = s3_endpoint.boto3_client()
    assert client.get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"
    lock = client.get_object_lock_configuration(Bucket=bucket)["ObjectLockConfiguration"]
    assert lock["ObjectLockEnabled"] == "Enabled"
    assert (store.versioning, store.object_lock) == (True, True)


def test_s3_immutable_object_is_locked_by_the_server(s3_endpoint: S3Endpoint):
    """GIVEN an original put immutably with a GOVERNANCE retention of one day
    WHEN an independent client deletes that version, or overwrites the key behind sohoa's back
    THEN the server refuses the deletion, and the overwrite makes a new version while the
    original version stays readable with its retention"""
    from botocore.exceptions import ClientError

    bucket = s3_endpoint.new_bucket_name()
    store = open_store(s3_endpoint.url(bucket), access_key=s3_endpoint.access_key,
                       secret_key=s3_endpoint.secret_key, retention_days=1)
    key = original_key(sha256_hex(b"scan"))
    info = store.put_immutable(key, b"scan", {"variant": "original"})
    assert info.lock_mode == "GOVERNANCE" and info.retain_until > datetime.now(timezone.utc)
    client = s3_endpoint.boto3_client()

    with pytest.raises(ClientError, match="AccessDenied"):
        client.delete_object(Bucket=bucket, Key=key, VersionId=info.version_id)
    client.put_object(Bucket=bucket, Key=key, Body=b"forged")

    kept = client.get_object(Bucket=bucket, Key=key, VersionId=info.version_id)
    assert kept["Body"].read() == b"scan"
    assert kept["ObjectLockMode"] == "GOVERNANCE"
    assert client.get_object(Bucket=bucket, Key=key)["Body"].read() == b"forged"


def test_s3_object_is_read_back_by_an_independent_client(s3_endpoint: S3Endpoint):
    """GIVEN a searchable PDF stored by sohoa with its metadata
    WHEN boto3 (not the SDK sohoa uses) reads it from the same endpoint
    THEN it gets the same bytes and the metadata as x-amz-meta-* with the content SHA-256"""
    bucket = s3_endpoint.new_bucket_name()
    store = open_store(s3_endpoint.url(bucket), access_key=s3_endpoint.access_key,
                       secret_key=s3_endpoint.secret_key)
    metadata = {"document-id": "f00d" * 8, "variant": "searchable", "sha256": "ab" * 32}
    store.put("documents/f00d/v1/searchable.pdf", BINARY, metadata)

    got = s3_endpoint.boto3_client().get_object(Bucket=bucket, Key="documents/f00d/v1/searchable.pdf")

    assert got["Body"].read() == BINARY
    assert got["Metadata"] == {**metadata, "content-sha256": sha256_hex(BINARY)}


# --- the endpoint goes away ----------------------------------------------------------------------




def test_endpoint_down_raises_storage_unavailable_after_bounded_retries(own_moto: MotoS3, caplog):
    """GIVEN an S3 store whose endpoint stops answering
    WHEN an object is put
    THEN it is retried a few times, quickly, and then StorageUnavailable names the endpoint and
    the reason; neither the message nor the log shows the secret key"""
    store = open_store(f"s3://sohoa-down?endpoint={own_moto.endpoint}&secure=false",
                       access_key=ACCESS_KEY, secret_key=SECRET_KEY, retry=QUICK_RETRY)
    own_moto.stop()

    started = time.monotonic()
    with caplog.at_level(logging.DEBUG), pytest.raises(StorageUnavailable) as raised:
        store.put("documents/a/v1/ocr.json", b"{}")

    assert time.monotonic() - started < 5
    assert own_moto.endpoint in raised.value.message
    assert "after 3 attempts" in raised.value.message
    assert "Connection refused" in raised.value.message
    assert raised.value.exit_code == 4 and raised.value.code == "storage_unavailable"
    assert len([r for r in caplog.records if "retry" in r.getMessage()]) == 2
    assert SECRET_KEY not in caplog.text and SECRET_KEY not in raised.value.message


def test_endpoint_back_within_the_retry_budget_put_succeeds(own_moto: MotoS3):
    """GIVEN an S3 store whose endpoint stops, and comes back on the same port 0.5 s later
    WHEN an object is put while it is down
    THEN the put succeeds once it is back, and the objects stored before are still there"""
    store = open_store(f"s3://sohoa-flaky?endpoint={own_moto.endpoint}&secure=false",
                       access_key=ACCESS_KEY, secret_key=SECRET_KEY,
                       retry=RetryPolicy(attempts=8, base_delay_seconds=0.1, max_delay_seconds=0.4))
    store.put("documents/a/v1/ocr.json", b"before")
    own_moto.stop()
    restart = threading.Timer(0.5, own_moto.start)
    restart.start()

    store.put("documents/b/v1/ocr.json", b"during")

    restart.join()
    assert store.get("documents/b/v1/ocr.json") == b"during"
    assert store.get("documents/a/v1/ocr.json") == b"before"


class _Always503(BaseHTTPRequestHandler):
    requests = 0

    def _answer(self):
        type(self).requests += 1
        self.send_response(503)
        self.send_header("Content-Length", "0")
        self.end_headers()

    do_HEAD = do_GET = do_PUT = _answer

    def log_message(self, *args):
        pass


def test_server_errors_are_retried_then_reported():
    """GIVEN an endpoint that answers every request with HTTP 503 (an overloaded server)
    WHEN a store is opened on it
    THEN the request is tried exactly as often as the retry budget allows, then StorageUnavailable"""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Always503)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        with pytest.raises(StorageUnavailable, match="after 3 attempts.*503"):
            open_store(f"s3://sohoa-busy?endpoint=127.0.0.1:{server.server_port}&secure=false",
                       access_key=ACCESS_KEY, secret_key=SECRET_KEY, retry=QUICK_RETRY)
    finally:
        server.shutdown()
        server.server_close()

    assert _Always503.requests == 3


# --- a batch into S3 -------------------------------------------------------------------------------


def test_batch_ingested_into_s3_has_every_indexed_object_intact(
    s3_endpoint: S3Endpoint, tmp_path: Path
):
    """GIVEN a dossier of two scanned documents
    WHEN it is ingested into an S3 store
    THEN every object each index row points at is in the bucket, and its bytes (read by an
    independent client) and recorded SHA-256 match the index"""
    write_sample_batch(tmp_path / "batch", seed=11, dossiers=1, documents_per_dossier=2, dpi=200)
    bucket = s3_endpoint.new_bucket_name()
    store = open_store(s3_endpoint.url(bucket), access_key=s3_endpoint.access_key,
                       secret_key=s3_endpoint.secret_key)
    assert isinstance(store, S3ObjectStore)
    index = Index(f"sqlite:///{tmp_path / 'index.sqlite3'}")
    ingestor = Ingestor(store, index, PipelineSettings(), quarantine_dir=tmp_path / "quarantine")

    lines = list(ingestor.ingest(discover([tmp_path / "batch"])))

    assert [line.status for line in lines] == ["stored", "stored"], [line.error for line in lines]
    refs = list(index.object_refs())
    assert len(refs) == 6
    client = s3_endpoint.boto3_client()
    for ref in refs:
        assert store.stat(ref.key).sha256 == ref.sha256, ref
        body = client.get_object(Bucket=bucket, Key=ref.key)["Body"].read()
        assert hashlib.sha256(body).hexdigest() == ref.sha256, ref
    assert sorted(store.keys()) == sorted(ref.key for ref in refs)


# --- opening ---------------------------------------------------------------------------------------


def test_storage_url_with_credentials_is_refused_without_echoing_them():
    """GIVEN an s3 URL with a key and secret in it
    WHEN a store is opened on it
    THEN it is refused, pointing at the environment variables, and the secret is not repeated"""
    with pytest.raises(StorageUnavailable) as raised:
        open_store(f"s3://{ACCESS_KEY}:{SECRET_KEY}@bucket?endpoint=127.0.0.1:9")

    assert "SOHOA_S3_SECRET_KEY" in raised.value.message
    assert SECRET_KEY not in raised.value.message


@pytest.mark.parametrize("url", ["ftp://host/x", "s3://bucket?endpoint=h:1&colour=blue",
                                 "s3://bucket/path?endpoint=h:1", "s3://bucket?secure=maybe"])
def test_unsupported_storage_url_is_refused(url):
    """GIVEN a storage URL sohoa does not understand
    WHEN a store is opened on it
    THEN StorageUnavailable says what form is expected, before any connection"""
    with pytest.raises(StorageUnavailable):
        open_store(url)
