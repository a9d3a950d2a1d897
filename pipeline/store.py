"""Object store: where bytes live. A small interface; the local directory is the embedded default.

Key layout (documented in README):
    originals/sha256/<ab>/<cd>/<sha256>          the exact bytes received, content-addressed
    documents/<id>/v<n>/searchable.pdf            searchable PDF/A (or the original PDF when it
                                                  already had text or was signed)
    documents/<id>/v<n>/ocr.json                  words with boxes and confidences, per page
Object metadata carries the document id, type and sha256, never personal data.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Protocol
from urllib.parse import unquote, urlparse

from pipeline.errors import SohoaError, StorageUnavailable


class ObjectNotFound(SohoaError):
    code = "object_missing"


def original_key(sha256: str) -> str:
    return f"originals/sha256/{sha256[:2]}/{sha256[2:4]}/{sha256}"


def document_key(document_id: str, version: int, name: str) -> str:
    return f"documents/{document_id}/v{version}/{name}"


class ObjectStore(Protocol):
    url: str

    def put(self, key: str, data: bytes, metadata: dict[str, str] | None = None) -> None: ...

    def get(self, key: str) -> bytes: ...

    def metadata(self, key: str) -> dict[str, str]: ...

    def exists(self, key: str) -> bool: ...

    def keys(self, prefix: str = "") -> Iterator[str]: ...


class LocalObjectStore:
    """Objects as files under a root directory; metadata in a JSON file under `.meta/`.

    Writes go to a temporary file and are renamed into place, so a reader never sees half an
    object and an interrupted run leaves nothing behind under the key.
    """

    def __init__(self, root: Path):
        self.root = root
        self.url = root.as_uri()
        try:
            (root / ".meta").mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StorageUnavailable(f"object directory {root} cannot be created: {exc}") from exc

    def _path(self, key: str) -> Path:
        if not key or key.startswith("/") or ".." in key.split("/"):
            raise ValueError(f"invalid object key: {key!r}")
        return self.root / key

    def _meta_path(self, key: str) -> Path:
        return self.root / ".meta" / f"{key}.json"

    def put(self, key: str, data: bytes, metadata: dict[str, str] | None = None) -> None:
        path = self._path(key)
        try:
            _atomic_write(self._meta_path(key), json.dumps(metadata or {}).encode())
            _atomic_write(path, data)
        except OSError as exc:
            raise StorageUnavailable(f"cannot write object {key}: {exc}") from exc

    def get(self, key: str) -> bytes:
        try:
            return self._path(key).read_bytes()
        except FileNotFoundError as exc:
            raise ObjectNotFound(f"object {key} is missing") from exc
        except OSError as exc:
            raise StorageUnavailable(f"cannot read object {key}: {exc}") from exc

    def metadata(self, key: str) -> dict[str, str]:
        try:
            return json.loads(self._meta_path(key).read_text())
        except FileNotFoundError:
            if self.exists(key):
                return {}
            raise ObjectNotFound(f"object {key} is missing") from None

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def keys(self, prefix: str = "") -> Iterator[str]:
        for path in sorted(self.root.rglob("*")):
            if path.is_file() and ".meta" not in path.relative_to(self.root).parts[:1]:
                key = path.relative_to(self.root).as_posix()
                if key.startswith(prefix) and not path.name.startswith(".tmp-"):
                    yield key


def _atomic_write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=".tmp-", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def open_store(url: str) -> ObjectStore:
    parsed = urlparse(url)
    if parsed.scheme == "file":
        return LocalObjectStore(Path(unquote(parsed.path)))
    raise StorageUnavailable(f"unsupported storage URL {url!r}: use file:///path")


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
