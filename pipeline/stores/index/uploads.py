"""Upload jobs of the API (migration 0005): what became of each upload, and, for a dossier
component, the document it became."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import insert, select, update

from pipeline.clock import aware, utcnow
from pipeline.errors import DocumentNotFound
from pipeline.stores.index.index import Index
from pipeline.stores.index.documents import is_id_prefix, shown_id
from pipeline.stores.index.tables import dossier_components, upload_jobs

FINISHED = ("stored", "duplicate", "failed")


class JobNotFound(DocumentNotFound):
    code = "job_not_found"


@dataclass(frozen=True)
class UploadJob:
    id: str
    client: str
    filename: str
    status: str
    document_id: str | None
    batch_item_id: str | None
    error_code: str | None
    error: str | None
    created_at: datetime
    finished_at: datetime | None


class UploadJobs:
    """The upload_jobs table (migration 0005)."""

    def __init__(self, index: Index):
        self.engine = index.engine

    def create(self, client: str, filename: str) -> UploadJob:
        job_id = secrets.token_hex(16)
        with self.engine.begin() as conn:
            conn.execute(insert(upload_jobs).values(
                id=job_id, client=client, filename=filename, status="queued", created_at=utcnow()))
        return self.get(job_id)

    def find(self, job_id: str) -> UploadJob | None:
        if not is_id_prefix(job_id):  # job ids are hex: anything else is no job, and never SQL
            return None
        with self.engine.connect() as conn:
            row = conn.execute(select(upload_jobs).where(upload_jobs.c.id == job_id)).mappings().first()
        if row is None:
            return None
        return UploadJob(**{**row, "created_at": aware(row["created_at"]),
                            "finished_at": aware(row["finished_at"]) if row["finished_at"] else None})

    def get(self, job_id: str) -> UploadJob:
        job = self.find(job_id)
        if job is None:
            raise JobNotFound(f"no job {shown_id(job_id)}")
        return job

    def set_queued(self, job_id: str, batch_item_id: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(update(upload_jobs).where(upload_jobs.c.id == job_id)
                         .values(batch_item_id=batch_item_id))

    def set_running(self, job_id: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(update(upload_jobs).where(upload_jobs.c.id == job_id).values(status="running"))

    def finish(self, job_id: str, status: str, *, document_id: str | None = None,
               error_code: str | None = None, error: str | None = None) -> None:
        with self.engine.begin() as conn:
            conn.execute(update(upload_jobs).where(upload_jobs.c.id == job_id).values(
                status=status, document_id=document_id, error_code=error_code, error=error,
                finished_at=utcnow()))
            if document_id:
                conn.execute(update(dossier_components)
                             .where(dossier_components.c.job_id == job_id)
                             .values(document_id=document_id))
