"""Uploads accepted by the API: each is spooled to disk, gets a job id, and is ingested by the same
`Ingestor` as `sohoa ingest` — in a background thread of the API process (embedded defaults), or,
when a broker is configured (SOHOA_BROKER_URL), queued for the workers like `sohoa ingest --queue`.

The job row says what became of the upload (queued, running, stored, duplicate, failed with the
error code); when the upload was a dossier component, the dossier learns its document id.
"""

from __future__ import annotations

import logging
import re
import secrets
import shutil
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import insert, select, update

from pipeline.errors import DocumentNotFound
from pipeline.clock import aware, utcnow
from pipeline.stores.index import Index, is_id_prefix, shown_id
from pipeline.stores.index.tables import dossier_components, upload_jobs
from pipeline.stages.ingest import InputFile
from pipeline.core.run import Ingestor

log = logging.getLogger(__name__)

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


def safe_filename(name: str | None) -> str:
    """The last path component of a client's file name, with only harmless characters."""
    base = re.split(r"[\\/]", name or "")[-1].strip().lstrip(".")
    base = re.sub(r"[^\w.\- ]", "_", base)[:120]
    return base or "upload"


#: Queues one input for the workers and returns the id of the batch item that carries it.
QueueUpload = Callable[[InputFile], str]


class UploadRunner:
    """Ingests spooled uploads one at a time in a background thread of this process, or hands
    them to the workers' queue when ``queue`` is given."""

    def __init__(self, index: Index, spool_dir: Path, ingestor: Callable[[], Ingestor],
                 queue: QueueUpload | None = None):
        self.index = index
        self.jobs = UploadJobs(index)
        self.spool_dir = spool_dir
        self._ingestor = ingestor
        self._queue = queue
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sohoa-upload")

    def job(self, job_id: str) -> UploadJob:
        """A job as it stands; a queued one learns its outcome from its batch item."""
        job = self.jobs.get(job_id)
        if job.batch_item_id and job.status not in FINISHED:
            from pipeline.core.batches import Batches

            item = Batches(self.index).item(job.batch_item_id)
            if item is not None and item.settled:
                self.jobs.finish(job.id, item.status, document_id=item.document_id,
                                 error_code=item.error_code, error=item.error)
                job = self.jobs.get(job_id)
            elif item is not None and item.attempts and job.status == "queued":
                self.jobs.set_running(job.id)
                job = self.jobs.get(job_id)
        return job

    def accept(self, client: str, filename: str, data: bytes) -> UploadJob:
        """Spool an upload and record its job (status queued); `start` ingests it."""
        name = safe_filename(filename)
        job = self.jobs.create(client, name)
        folder = self.spool_dir / job.id
        folder.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(data)
        return job

    def start(self, job: UploadJob, *, dossier_code: str | None = None, owner_id: str | None = None,
              procedure_code: str | None = None) -> Future | None:
        """Ingest in this process (returns its future), or queue it for the workers (None)."""
        item = InputFile(self.spool_dir / job.id / job.filename, dossier_code=dossier_code,
                         owner_id=owner_id, procedure_code=procedure_code)
        if self._queue is None:
            return self._executor.submit(self._run, job.id, item)
        try:
            # the queue stages the bytes in the object store for workers on other machines
            self.jobs.set_queued(job.id, self._queue(item))
        finally:
            shutil.rmtree(item.path.parent, ignore_errors=True)
        return None

    def discard(self, job: UploadJob, reason: str) -> None:
        """An accepted upload that will not be ingested (its request failed after accepting it)."""
        shutil.rmtree(self.spool_dir / job.id, ignore_errors=True)
        self.jobs.finish(job.id, "failed", error_code="request_failed", error=reason)

    def submit(self, client: str, filename: str, data: bytes, **metadata) -> tuple[UploadJob, Future | None]:
        job = self.accept(client, filename, data)
        return job, self.start(job, **metadata)

    def _run(self, job_id: str, item: InputFile) -> None:
        try:
            self.jobs.set_running(job_id)
            lines = list(self._ingestor().ingest([item], jobs=1))
            line = lines[0]
            self.jobs.finish(job_id, line.status, document_id=line.document_id,
                             error_code=line.error_code, error=line.error)
        except Exception as exc:  # the job must end with a state, whatever went wrong
            log.exception("upload job %s failed", job_id)
            code = getattr(exc, "code", "internal_error")
            self.jobs.finish(job_id, "failed", error_code=code, error=str(exc)[:500])
        finally:
            shutil.rmtree(item.path.parent, ignore_errors=True)

    def shutdown(self) -> None:
        self._executor.shutdown(wait=True, cancel_futures=False)
