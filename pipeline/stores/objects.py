"""Object store: where bytes live. A small interface; the local directory is the embedded default,
an S3 bucket (MinIO, AWS or compatible) the production one.

Key layout (documented in README):
    originals/sha256/<ab>/<cd>/<sha256>          the exact bytes received, content-addressed
    documents/<id>/v<n>/searchable.pdf            searchable PDF/A (or the original PDF when it
                                                  already had text or was signed)
    documents/<id>/v<n>/ocr.json                  words with boxes and confidences, per page
Object metadata carries the document id, variant and sha256, never personal data. Keys and values
are ASCII (S3 sends them as `x-amz-meta-*` headers). The store adds `content-sha256` (the SHA-256
of the stored bytes) to every object it writes; `stat()` reports it, `metadata()` returns only
what the caller gave.

Both backends write whole objects: a reader sees the old object or the new one, never half.
`put_immutable` writes an object that this store will not overwrite or delete; what protects it
beyond sohoa depends on the backend (see `LocalObjectStore` and `S3ObjectStore`).
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import logging
import os
import random
import re
import stat as stat_mode
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Literal, Protocol, TypeVar
from urllib.parse import parse_qs, unquote, urlparse

from pipeline.errors import SohoaError, StorageUnavailable

log = logging.getLogger(__name__)

CONTENT_SHA256 = "content-sha256"  # added by the store: SHA-256 of the stored bytes
WRITE_ONCE = "write-once"  # added by the store on S3: written by put_immutable
_RESERVED = frozenset({CONTENT_SHA256, WRITE_ONCE})
_METADATA_KEY = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")
_METADATA_VALUE = re.compile(r"^[\x20-\x7e]{0,1024}$")

LockMode = Literal["GOVERNANCE", "COMPLIANCE"]


class ObjectNotFound(SohoaError):
    code = "object_missing"


class ObjectImmutable(SohoaError):
    """A write or delete would change an object written with `put_immutable`."""

    code = "object_immutable"


@dataclass(frozen=True)
class ObjectInfo:
    key: str
    size: int
    sha256: str | None  # of the stored bytes; None for objects written before the store recorded it
    metadata: dict[str, str] = field(default_factory=dict)
    immutable: bool = False
    retain_until: datetime | None = None  # S3 object-lock retention, when the server applied one
    lock_mode: str | None = None
    version_id: str | None = None  # S3 versioned buckets


@dataclass(frozen=True)
class RetryPolicy:
    """How long a transient storage failure is retried before StorageUnavailable is raised.

    Delays grow base, 2·base, 4·base… up to `max_delay_seconds`, each with ±25 % jitter; the
    defaults give up after about 3 s of waiting (plus the timeouts of the failed requests).
    """

    attempts: int = 5
    base_delay_seconds: float = 0.2
    max_delay_seconds: float = 2.0
    connect_timeout_seconds: float = 5.0
    read_timeout_seconds: float = 60.0

    def delay(self, attempt: int) -> float:
        """Seconds to wait after failed attempt number `attempt` (1-based)."""
        nominal = min(self.max_delay_seconds, self.base_delay_seconds * 2 ** (attempt - 1))
        return nominal * random.uniform(0.75, 1.25)


def original_key(sha256: str) -> str:
    return f"originals/sha256/{sha256[:2]}/{sha256[2:4]}/{sha256}"


def document_key(document_id: str, version: int, name: str) -> str:
    return f"documents/{document_id}/v{version}/{name}"


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class ObjectStore(Protocol):
    url: str

    def put(self, key: str, data: bytes, metadata: dict[str, str] | None = None) -> ObjectInfo: ...

    def put_immutable(
        self,
        key: str,
        data: bytes,
        metadata: dict[str, str] | None = None,
        retain_until: datetime | None = None,
    ) -> ObjectInfo: ...

    def get(self, key: str) -> bytes: ...

    def metadata(self, key: str) -> dict[str, str]: ...

    def stat(self, key: str) -> ObjectInfo: ...

    def exists(self, key: str) -> bool: ...

    def keys(self, prefix: str = "") -> Iterator[str]: ...

    def delete(self, key: str) -> None: ...

    def presigned_get_url(
        self, key: str, expires_seconds: int, *, content_disposition: str | None = None
    ) -> str | None:
        """A URL that lets its holder download the object until it expires, or None when this
        store cannot hand one out (the caller then serves the bytes itself). The download answers
        with ``content_disposition`` as its Content-Disposition header when one is given."""
        ...


def _check_key(key: str) -> str:
    if (
        not key
        or key.startswith("/")
        or any(part in ("", ".", "..") for part in key.split("/"))
        or not key.isascii()
        or not key.isprintable()
    ):
        raise ValueError(f"invalid object key: {key!r}")
    return key


def _check_metadata(metadata: dict[str, str] | None) -> dict[str, str]:
    """Metadata is sent as HTTP headers: lower-case ASCII names, printable ASCII values."""
    metadata = dict(metadata or {})
    for name, value in metadata.items():
        if not isinstance(name, str) or not _METADATA_KEY.match(name):
            raise ValueError(f"invalid metadata name {name!r}: use lower-case ASCII, digits and '-'")
        if name in _RESERVED:
            raise ValueError(f"metadata name {name!r} is reserved for the store")
        if not isinstance(value, str) or not _METADATA_VALUE.match(value):
            raise ValueError(f"invalid metadata value for {name!r}: use printable ASCII only")
    return metadata


def _check_retain_until(retain_until: datetime | None) -> datetime | None:
    if retain_until is None:
        return None
    if retain_until.tzinfo is None:
        raise ValueError("retain_until must be timezone-aware")
    if retain_until <= datetime.now(timezone.utc):
        raise ValueError(f"retain_until {retain_until.isoformat()} is not in the future")
    return retain_until.astimezone(timezone.utc)


# ---------------------------------------------------------------------------------------------
# Local directory


class LocalObjectStore:
    """Objects as files under a root directory; metadata in a JSON file under `.meta/`.

    Writes go to a temporary file and are renamed into place, so a reader never sees half an
    object and an interrupted run leaves nothing behind under the key.

    Immutable objects are files (and metadata files) with mode 0444; this store refuses to
    overwrite or delete them. That protects against sohoa, not against a user with shell access
    (root ignores file modes, and anyone may unlink a file in a writable directory); retention
    dates are not enforced here.
    """

    def __init__(self, root: Path):
        self.root = root
        self.url = root.as_uri()
        try:
            (root / ".meta").mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StorageUnavailable(f"object directory {root} cannot be created: {exc}") from exc

    def _path(self, key: str) -> Path:
        return self.root / _check_key(key)

    def _meta_path(self, key: str) -> Path:
        return self.root / ".meta" / f"{key}.json"

    def _is_immutable(self, path: Path) -> bool:
        try:
            return not path.stat().st_mode & (stat_mode.S_IWUSR | stat_mode.S_IWGRP | stat_mode.S_IWOTH)
        except FileNotFoundError:
            return False

    def put(self, key: str, data: bytes, metadata: dict[str, str] | None = None) -> ObjectInfo:
        path = self._path(key)
        metadata = _check_metadata(metadata)
        if self._is_immutable(path):
            raise ObjectImmutable(f"object {key} is immutable and cannot be overwritten")
        return self._write(key, data, metadata, read_only=False)

    def put_immutable(
        self,
        key: str,
        data: bytes,
        metadata: dict[str, str] | None = None,
        retain_until: datetime | None = None,
    ) -> ObjectInfo:
        path = self._path(key)
        metadata = _check_metadata(metadata)
        _check_retain_until(retain_until)
        if self._is_immutable(path):
            existing = self.stat(key)
            if existing.sha256 == sha256_hex(data):
                return existing
            raise ObjectImmutable(f"object {key} is immutable and holds other bytes")
        return self._write(key, data, metadata, read_only=True)

    def _write(self, key: str, data: bytes, metadata: dict[str, str], *, read_only: bool) -> ObjectInfo:
        digest = sha256_hex(data)
        stored_metadata = {**metadata, CONTENT_SHA256: digest}
        mode = 0o444 if read_only else None
        try:
            # Metadata first: an object file never exists without its metadata.
            _atomic_write(self._meta_path(key), json.dumps(stored_metadata).encode(), mode)
            _atomic_write(self._path(key), data, mode)
        except OSError as exc:
            raise StorageUnavailable(f"cannot write object {key}: {exc}") from exc
        return ObjectInfo(key=key, size=len(data), sha256=digest, metadata=metadata, immutable=read_only)

    def get(self, key: str) -> bytes:
        try:
            return self._path(key).read_bytes()
        except (FileNotFoundError, IsADirectoryError) as exc:
            raise ObjectNotFound(f"object {key} is missing") from exc
        except OSError as exc:
            raise StorageUnavailable(f"cannot read object {key}: {exc}") from exc

    def _stored_metadata(self, key: str) -> dict[str, str]:
        try:
            return json.loads(self._meta_path(key).read_text())
        except FileNotFoundError:
            if self.exists(key):
                return {}
            raise ObjectNotFound(f"object {key} is missing") from None
        except OSError as exc:
            raise StorageUnavailable(f"cannot read metadata of {key}: {exc}") from exc

    def metadata(self, key: str) -> dict[str, str]:
        return {k: v for k, v in self._stored_metadata(key).items() if k not in _RESERVED}

    def stat(self, key: str) -> ObjectInfo:
        path = self._path(key)
        stored = self._stored_metadata(key)
        try:
            status = path.stat()
        except FileNotFoundError:
            raise ObjectNotFound(f"object {key} is missing") from None
        return ObjectInfo(
            key=key,
            size=status.st_size,
            sha256=stored.get(CONTENT_SHA256),
            metadata={k: v for k, v in stored.items() if k not in _RESERVED},
            immutable=self._is_immutable(path),
        )

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def keys(self, prefix: str = "") -> Iterator[str]:
        for path in sorted(self.root.rglob("*")):
            if path.is_file() and ".meta" not in path.relative_to(self.root).parts[:1]:
                key = path.relative_to(self.root).as_posix()
                if key.startswith(prefix) and not path.name.startswith(".tmp-"):
                    yield key

    def delete(self, key: str) -> None:
        path = self._path(key)
        if self._is_immutable(path):
            raise ObjectImmutable(f"object {key} is immutable and cannot be deleted")
        if not path.is_file():
            raise ObjectNotFound(f"object {key} is missing")
        try:
            path.unlink()
            self._meta_path(key).unlink(missing_ok=True)
        except OSError as exc:
            raise StorageUnavailable(f"cannot delete object {key}: {exc}") from exc

    def presigned_get_url(
        self, key: str, expires_seconds: int, *, content_disposition: str | None = None
    ) -> str | None:
        """None: a directory on the server has no URL of its own; the API serves the bytes."""
        return None


def _atomic_write(path: Path, data: bytes, mode: int | None = None) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=".tmp-", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
            out.flush()
            if mode is not None:
                os.fchmod(out.fileno(), mode)
            os.fsync(out.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


# ---------------------------------------------------------------------------------------------
# S3 / MinIO

T = TypeVar("T")


class S3ObjectStore:
    """Objects in an S3 bucket through the `minio` SDK (MinIO, AWS S3 or compatible servers).

    - The bucket is created when missing, asking for object lock (which also turns versioning
      on); a server that refuses object lock gets a plain bucket with versioning, and a log line
      says so. `object_lock` and `versioning` tell what the bucket really has.
    - A PUT is atomic on S3: a reader sees the old object or the new one. Objects are sent in one
      request (never multipart) with `x-amz-checksum-sha256`, which AWS and MinIO verify (moto
      accepts it without checking).
    - `put_immutable` writes with object-lock retention (`lock_mode` until `retain_until`, or
      `retention_days` from now) when the bucket has object lock: the server then refuses to
      delete or overwrite that version until the date, whoever asks (COMPLIANCE), or anyone
      without the bypass permission (GOVERNANCE). Without object lock, versioning still keeps
      every earlier version. This store itself refuses to overwrite or delete an immutable object.
    - Transient failures (connection errors, timeouts, HTTP 5xx) are retried with exponential
      backoff per `retry`; then StorageUnavailable. A missing key raises ObjectNotFound.
    """

    def __init__(
        self,
        bucket: str,
        *,
        endpoint: str = "s3.amazonaws.com",
        secure: bool = True,
        region: str | None = None,
        access_key: str | None = None,
        secret_key: str | None = None,
        retention_days: int | None = None,
        lock_mode: LockMode = "GOVERNANCE",
        retry: RetryPolicy = RetryPolicy(),
        create_bucket: bool = True,
    ):
        import certifi
        import urllib3
        from minio import Minio

        if lock_mode not in ("GOVERNANCE", "COMPLIANCE"):
            raise ValueError(f"lock_mode must be GOVERNANCE or COMPLIANCE, not {lock_mode!r}")
        if retention_days is not None and retention_days < 1:
            raise ValueError("retention_days must be at least 1")
        self.bucket = bucket
        self.endpoint = endpoint
        self.url = f"s3://{bucket}?endpoint={endpoint}&secure={'true' if secure else 'false'}"
        self.retention_days = retention_days
        self.lock_mode = lock_mode
        self.retry = retry
        self.object_lock = False
        self.versioning = False
        # Retries are ours (see _call); the SDK's own urllib3 retries are switched off.
        http = urllib3.PoolManager(
            timeout=urllib3.Timeout(
                connect=retry.connect_timeout_seconds, read=retry.read_timeout_seconds
            ),
            retries=False,
            maxsize=10,
            cert_reqs="CERT_REQUIRED" if secure else "CERT_NONE",
            ca_certs=certifi.where(),
        )
        self._client = Minio(
            endpoint,
            access_key=access_key,
            secret_key=secret_key,
            secure=secure,
            region=region or "us-east-1",  # no GetBucketLocation round trip
            http_client=http,
        )
        if create_bucket:
            self._ensure_bucket()

    # -- bucket set-up -------------------------------------------------------------------------

    def _ensure_bucket(self) -> None:
        from minio.error import S3Error

        if not self._call("check bucket", lambda: self._client.bucket_exists(self.bucket)):
            try:
                self._call(
                    "create bucket", lambda: self._client.make_bucket(self.bucket, object_lock=True)
                )
                log.info("created bucket %s on %s with object lock", self.bucket, self.endpoint)
            except StorageUnavailable as exc:
                cause = exc.__cause__
                if isinstance(cause, S3Error) and cause.code in (
                    "BucketAlreadyOwnedByYou", "BucketAlreadyExists",
                ):
                    pass  # created meanwhile by another worker
                elif isinstance(cause, S3Error):
                    log.warning(
                        "server refused object lock for bucket %s (%s); creating it without: "
                        "immutable objects are kept by versioning only",
                        self.bucket, cause.code,
                    )
                    self._call("create bucket", lambda: self._client.make_bucket(self.bucket))
                else:
                    raise
        self.object_lock = self._has_object_lock()
        self.versioning = self._enable_versioning()
        if not self.object_lock:
            log.warning(
                "bucket %s has no object lock: immutable objects are protected by %s",
                self.bucket, "versioning" if self.versioning else "nothing but this store",
            )

    def _has_object_lock(self) -> bool:
        from minio.error import S3Error

        try:
            self._call("read object-lock configuration",
                       lambda: self._client.get_object_lock_config(self.bucket))
            return True
        except StorageUnavailable as exc:
            if isinstance(exc.__cause__, S3Error):
                return False  # ObjectLockConfigurationNotFoundError, NotImplemented…
            raise

    def _enable_versioning(self) -> bool:
        from minio.commonconfig import ENABLED
        from minio.error import S3Error
        from minio.versioningconfig import VersioningConfig

        status = self._call("read versioning", lambda: self._client.get_bucket_versioning(self.bucket))
        if status.status == ENABLED:
            return True
        try:
            self._call(
                "enable versioning",
                lambda: self._client.set_bucket_versioning(self.bucket, VersioningConfig(ENABLED)),
            )
            log.info("enabled versioning on bucket %s", self.bucket)
            return True
        except StorageUnavailable as exc:
            if isinstance(exc.__cause__, S3Error):
                log.warning("server refused versioning on bucket %s (%s)",
                            self.bucket, exc.__cause__.code)
                return False
            raise

    # -- retries and error mapping -------------------------------------------------------------

    def _call(self, what: str, operation: Callable[[], T], key: str | None = None) -> T:
        """Run one request, retrying transient failures; map SDK errors to ours."""
        from minio.error import S3Error

        subject = f"{what} {key}" if key else what
        for attempt in range(1, self.retry.attempts + 1):
            try:
                return operation()
            except S3Error as exc:
                if exc.code in ("NoSuchKey", "NoSuchVersion") and key is not None:
                    raise ObjectNotFound(f"object {key} is missing") from exc
                if not _is_transient(exc):
                    raise StorageUnavailable(
                        f"object store s3://{self.bucket} at {self.endpoint} refused to "
                        f"{subject}: {exc.code} ({exc.message})"
                    ) from exc
                failure: Exception = exc
            except Exception as exc:
                if not _is_transient(exc):
                    raise
                failure = exc
            if attempt == self.retry.attempts:
                raise StorageUnavailable(
                    f"object store s3://{self.bucket} at {self.endpoint} is unavailable: cannot "
                    f"{subject} after {attempt} attempts: {_describe(failure)}"
                ) from failure
            delay = self.retry.delay(attempt)
            log.warning("storage: %s failed (%s); retry %d/%d in %.2f s",
                        subject, _describe(failure), attempt, self.retry.attempts - 1, delay)
            time.sleep(delay)
        raise AssertionError("unreachable")

    # -- the interface --------------------------------------------------------------------------

    def _head(self, key: str, what: str = "read"):
        """The current version's stat, or None when the key does not exist."""
        try:
            return self._call(what, lambda: self._client.stat_object(self.bucket, key), key)
        except ObjectNotFound:
            return None

    def put(self, key: str, data: bytes, metadata: dict[str, str] | None = None) -> ObjectInfo:
        _check_key(key)
        metadata = _check_metadata(metadata)
        current = self._head(key, "check before writing")
        if current is not None and self._info(key, current).immutable:
            raise ObjectImmutable(f"object {key} is immutable and cannot be overwritten")
        return self._put(key, data, metadata, immutable=False, retain_until=None)

    def put_immutable(
        self,
        key: str,
        data: bytes,
        metadata: dict[str, str] | None = None,
        retain_until: datetime | None = None,
    ) -> ObjectInfo:
        _check_key(key)
        metadata = _check_metadata(metadata)
        retain_until = _check_retain_until(retain_until)
        if retain_until is None and self.retention_days is not None:
            retain_until = datetime.now(timezone.utc) + timedelta(days=self.retention_days)
        current = self._head(key, "check before writing")
        if current is not None:
            existing = self._info(key, current)
            if existing.immutable:
                if existing.sha256 == sha256_hex(data):
                    return existing
                raise ObjectImmutable(f"object {key} is immutable and holds other bytes")
        if retain_until is not None and not self.object_lock:
            log.debug("bucket %s has no object lock: %s stored without retention", self.bucket, key)
            retain_until = None
        return self._put(key, data, metadata, immutable=True, retain_until=retain_until)

    def _put(
        self,
        key: str,
        data: bytes,
        metadata: dict[str, str],
        *,
        immutable: bool,
        retain_until: datetime | None,
    ) -> ObjectInfo:
        from minio.retention import Retention

        digest = hashlib.sha256(data)
        headers = {
            **metadata,
            CONTENT_SHA256: digest.hexdigest(),
            # Integrity check by the server; also what object-lock PUTs require.
            "x-amz-checksum-sha256": base64.b64encode(digest.digest()).decode(),
            "x-amz-sdk-checksum-algorithm": "SHA256",
        }
        if immutable:
            headers[WRITE_ONCE] = "true"
        retention = Retention(self.lock_mode, retain_until) if retain_until else None
        result = self._call(
            "write",
            lambda: self._client.put_object(
                self.bucket, key, io.BytesIO(data), len(data),
                metadata=headers, retention=retention,
                part_size=5 * 1024**3,  # one PUT, never multipart: atomic and checksummed
            ),
            key,
        )
        return ObjectInfo(
            key=key,
            size=len(data),
            sha256=digest.hexdigest(),
            metadata=metadata,
            immutable=immutable,
            retain_until=retain_until,
            lock_mode=self.lock_mode if retain_until else None,
            version_id=result.version_id,
        )

    def get(self, key: str) -> bytes:
        _check_key(key)

        def read() -> bytes:
            response = self._client.get_object(self.bucket, key)
            try:
                return response.read()
            finally:
                response.close()
                response.release_conn()

        return self._call("read", read, key)

    def metadata(self, key: str) -> dict[str, str]:
        return self.stat(key).metadata

    def stat(self, key: str) -> ObjectInfo:
        _check_key(key)
        return self._info(key, self._call("read", lambda: self._client.stat_object(self.bucket, key), key))

    def _info(self, key: str, result) -> ObjectInfo:
        headers = {name.lower(): value for name, value in (result.metadata or {}).items()}
        user = {
            name[len("x-amz-meta-"):]: value
            for name, value in headers.items()
            if name.startswith("x-amz-meta-")
        }
        retain_until = None
        if headers.get("x-amz-object-lock-retain-until-date"):
            retain_until = datetime.fromisoformat(
                headers["x-amz-object-lock-retain-until-date"].replace("Z", "+00:00")
            )
        locked = retain_until is not None and retain_until > datetime.now(timezone.utc)
        return ObjectInfo(
            key=key,
            size=result.size,
            sha256=user.get(CONTENT_SHA256),
            metadata={k: v for k, v in user.items() if k not in _RESERVED},
            immutable=user.get(WRITE_ONCE) == "true" or locked,
            retain_until=retain_until,
            lock_mode=headers.get("x-amz-object-lock-mode"),
            version_id=result.version_id,
        )

    def exists(self, key: str) -> bool:
        _check_key(key)
        return self._head(key) is not None

    def keys(self, prefix: str = "") -> Iterator[str]:
        """Keys in lexicographic order; a listing interrupted by a transient failure resumes
        after the last key it yielded."""
        last: str | None = None
        while True:
            page: list[str] = []

            def next_page() -> list[str]:
                page.clear()
                for entry in self._client.list_objects(
                    self.bucket, prefix=prefix or None, recursive=True, start_after=last
                ):
                    page.append(entry.object_name)
                    if len(page) == 1000:
                        break
                return page

            names = self._call("list", next_page)
            yield from names
            if len(names) < 1000:
                return
            last = names[-1]

    def presigned_get_url(self, key: str, expires_seconds: int, *, content_disposition: str | None = None) -> str:
        """A URL that lets anyone holding it GET this object until it expires (signed locally,
        no request to the server); the server answers with ``content_disposition`` (S3's
        response-content-disposition), so a UTF-8 ``filename*`` survives as it does locally."""
        from datetime import timedelta

        _check_key(key)
        headers = {"response-content-disposition": content_disposition} if content_disposition else None
        return self._client.presigned_get_object(
            self.bucket, key, expires=timedelta(seconds=expires_seconds), response_headers=headers
        )

    def delete(self, key: str) -> None:
        """Remove the key (in a versioned bucket: a delete marker; earlier versions remain)."""
        _check_key(key)
        current = self._head(key, "check before deleting")
        if current is None:
            raise ObjectNotFound(f"object {key} is missing")
        if self._info(key, current).immutable:
            raise ObjectImmutable(f"object {key} is immutable and cannot be deleted")
        self._call("delete", lambda: self._client.remove_object(self.bucket, key), key)


def _is_transient(exc: BaseException) -> bool:
    import urllib3.exceptions
    from minio.error import InvalidResponseError, S3Error, ServerError

    if isinstance(exc, S3Error):
        status = getattr(exc.response, "status", None)
        return exc.code in ("InternalError", "ServiceUnavailable", "SlowDown", "RequestTimeout") or (
            status is not None and status >= 500 and exc.code != "NotImplemented"
        )
    if isinstance(exc, ServerError):
        return exc.status_code >= 500
    if isinstance(exc, InvalidResponseError):
        return isinstance(exc._code, int) and exc._code >= 500  # e.g. a proxy's HTML 502 page
    return isinstance(exc, (urllib3.exceptions.HTTPError, ConnectionError, TimeoutError))


def _describe(exc: BaseException) -> str:
    """A short reason: the innermost cause's class and message, on one line."""
    reason = exc
    while getattr(reason, "reason", None) is not None and isinstance(reason.reason, BaseException):
        reason = reason.reason
    text = " ".join(str(reason).split())
    return f"{type(reason).__name__}: {text[:200]}"


# ---------------------------------------------------------------------------------------------


def open_store(
    url: str,
    *,
    access_key: str | None = None,
    secret_key: str | None = None,
    retention_days: int | None = None,
    lock_mode: LockMode = "GOVERNANCE",
    retry: RetryPolicy = RetryPolicy(),
) -> ObjectStore:
    """The store a URL names:

    - `file:///path` — a local directory;
    - `s3://BUCKET?endpoint=HOST:PORT&secure=false&region=REGION` — an S3 bucket, created when
      missing (endpoint defaults to AWS, secure to true). Credentials are passed in, never put in
      the URL.
    """
    parsed = urlparse(url)
    if parsed.scheme == "file":
        return LocalObjectStore(Path(unquote(parsed.path)))
    if parsed.scheme == "s3":
        if parsed.username or parsed.password:
            raise StorageUnavailable(
                "storage URL must not contain credentials: pass them as SOHOA_S3_ACCESS_KEY and "
                "SOHOA_S3_SECRET_KEY"
            )
        params = {name: values[-1] for name, values in parse_qs(parsed.query).items()}
        unknown = set(params) - {"endpoint", "secure", "region"}
        if unknown or not parsed.hostname or parsed.path not in ("", "/"):
            raise StorageUnavailable(
                f"unsupported storage URL {_redacted(url)!r}: use "
                "s3://BUCKET?endpoint=HOST:PORT&secure=false&region=REGION"
            )
        secure = params.get("secure", "true").lower()
        if secure not in ("true", "false", "1", "0"):
            raise StorageUnavailable(f"storage URL: secure must be true or false, not {secure!r}")
        return S3ObjectStore(
            parsed.hostname,
            endpoint=params.get("endpoint", "s3.amazonaws.com"),
            secure=secure in ("true", "1"),
            region=params.get("region"),
            access_key=access_key,
            secret_key=secret_key,
            retention_days=retention_days,
            lock_mode=lock_mode,
            retry=retry,
        )
    raise StorageUnavailable(
        f"unsupported storage URL {_redacted(url)!r}: use file:///path or s3://BUCKET?endpoint=…"
    )


def _redacted(url: str) -> str:
    parsed = urlparse(url)
    if parsed.password or parsed.username:
        parsed = parsed._replace(netloc=f"***@{parsed.hostname or ''}")
    return parsed.geturl()


def open_store_from_settings(settings) -> ObjectStore:
    """The configured store: SOHOA_STORAGE_URL with SOHOA_S3_ACCESS_KEY / SOHOA_S3_SECRET_KEY."""
    secret = settings.s3_secret_key.get_secret_value() if settings.s3_secret_key else None
    access = settings.s3_access_key.get_secret_value() if settings.s3_access_key else None
    return open_store(
        settings.objects_url,
        access_key=access,
        secret_key=secret,
        retention_days=settings.retention_days,
        lock_mode=settings.lock_mode,
    )
