"""Uploads accepted by the API: each is spooled to disk, gets a job id, and is ingested by the same
`Ingestor` as `sohoa ingest` — in a background thread of the API process (embedded defaults), or,
when a broker is configured (SOHOA_BROKER_URL), queued for the workers like `sohoa ingest --queue`.

The job row says what became of the upload (queued, running, stored, duplicate, failed with the
error code); when the upload was a dossier component, the dossier learns its document id.
"""

from __future__ import annotations

import logging
import re
import shutil
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

from pipeline.stores.index import Index
from pipeline.stores.index.uploads import FINISHED, UploadJob, UploadJobs
from pipeline.stages.ingest import InputFile
from pipeline.core.run import Ingestor

log = logging.getLogger(__name__)

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
