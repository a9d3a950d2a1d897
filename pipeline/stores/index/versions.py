"""Versions of a document (e.g. a signed PDF) and the objects every version points at."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.exc import OperationalError

from pipeline.clock import aware, utcnow
from pipeline.errors import DocumentNotFound, StorageUnavailable
from pipeline.stores.index.engine import IndexConnection
from pipeline.stores.index.records import DocumentVersion, ObjectRef
from pipeline.stores.index.tables import document_versions, documents


class VersionsIndex(IndexConnection):
    """Versions of each document and the objects they are made of."""

    def add_version(self, document_id: str, objects: Mapping[str, tuple[str, str]]) -> int:
        """Record a new version (e.g. a signed PDF) made of ``variant -> (key, sha256)``.

        Returns the new version number; the document's current searchable/ocr keys follow the
        variants given under those names. Earlier versions stay listed in `document_versions`.
        """
        now = utcnow()
        try:
            with self.engine.begin() as conn:
                current = conn.execute(
                    select(documents.c.version).where(documents.c.id == document_id)
                    .with_for_update()
                ).scalar_one_or_none()
                if current is None:
                    raise DocumentNotFound(f"no document {document_id}")
                version = current + 1
                conn.execute(insert(document_versions), [
                    {"document_id": document_id, "version": version, "variant": variant,
                     "key": key, "sha256": sha, "created_at": now}
                    for variant, (key, sha) in objects.items()
                ])
                changes: dict[str, Any] = {"version": version}
                for variant in ("searchable", "ocr"):
                    if variant in objects:
                        changes[f"{variant}_key"], changes[f"{variant}_sha256"] = objects[variant]
                conn.execute(update(documents).where(documents.c.id == document_id)
                             .values(**changes))
        except OperationalError as exc:
            raise StorageUnavailable(f"index unavailable: {exc.orig}") from exc
        return version

    def versions(self, document_id: str) -> list[DocumentVersion]:
        """Every recorded version of a document, oldest first, each with its objects by variant."""
        query = (select(document_versions).where(document_versions.c.document_id == document_id)
                 .order_by(document_versions.c.version, document_versions.c.variant))
        with self._connect() as conn:
            rows = conn.execute(query).all()
        found: dict[int, DocumentVersion] = {}
        for r in rows:
            if r.version not in found:
                found[r.version] = DocumentVersion(document_id, r.version, aware(r.created_at), {})
            found[r.version].objects[r.variant] = ObjectRef(document_id, r.version, r.variant,
                                                            r.key, r.sha256)
        return list(found.values())

    def latest_object(
        self, document_id: str, variant: str, version: int | None = None
    ) -> ObjectRef | None:
        """The object of ``variant`` in the newest version that has one (or in ``version``)."""
        query = (select(document_versions)
                 .where(document_versions.c.document_id == document_id,
                        document_versions.c.variant == variant)
                 .order_by(document_versions.c.version.desc()).limit(1))
        if version is not None:
            query = query.where(document_versions.c.version == version)
        with self._connect() as conn:
            found = conn.execute(query).first()
        if found is None:
            return None
        return ObjectRef(document_id, found.version, variant, found.key, found.sha256)

    def object_refs(self, ids: Sequence[str] | None = None) -> Iterator[ObjectRef]:
        """Every object the index points at (current keys and all recorded versions), once each."""
        # the original's hash: the input file's (a separated document's own sha256 is its identity)
        original_sha = func.coalesce(documents.c.source_sha256, documents.c.sha256).label("original_sha256")
        current = select(documents.c.id, documents.c.version, original_sha,
                         documents.c.original_key, documents.c.searchable_key,
                         documents.c.searchable_sha256, documents.c.ocr_key,
                         documents.c.ocr_sha256).order_by(documents.c.id)
        versions = select(document_versions).order_by(
            document_versions.c.document_id, document_versions.c.version)
        if ids is not None:
            current = current.where(documents.c.id.in_(list(ids)))
            versions = versions.where(document_versions.c.document_id.in_(list(ids)))
        seen: set[tuple[str, str]] = set()
        with self._connect() as conn:
            for r in conn.execution_options(yield_per=1000).execute(current):
                for variant, key, sha in (("original", r.original_key, r.original_sha256),
                                          ("searchable", r.searchable_key, r.searchable_sha256),
                                          ("ocr", r.ocr_key, r.ocr_sha256)):
                    if (key, sha) not in seen:
                        seen.add((key, sha))
                        yield ObjectRef(r.id, r.version, variant, key, sha)
            for r in conn.execution_options(yield_per=1000).execute(versions):
                if (r.key, r.sha256) not in seen:
                    seen.add((r.key, r.sha256))
                    yield ObjectRef(r.document_id, r.version, r.variant, r.key, r.sha256)
