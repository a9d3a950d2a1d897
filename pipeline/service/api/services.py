"""What the handlers use, built once per app from the runtime: the stores, access, uploads, signer."""

import logging
from dataclasses import dataclass, field

from anyio import CapacityLimiter

from pipeline.core.batches import Batches
from pipeline.core.runtime import Runtime
from pipeline.core.signing import ServerKey
from pipeline.core.access import AccessStore, RateLimiter
from pipeline.service.uploads import UploadRunner
from pipeline.settings import Settings
from pipeline.stages.ingest import InputFile
from pipeline.stores.index import Index
from pipeline.stores.objects import ObjectStore
from schemas.catalog import Catalog, default_catalog

log = logging.getLogger(__name__)


@dataclass
class ApiServices:
    """What the handlers use; built once per app from the runtime (tests hand in their own)."""

    runtime: Runtime
    access: AccessStore
    catalog: Catalog
    limiter: RateLimiter
    uploads: UploadRunner
    signer: ServerKey | None = None
    #: the threads of the reuse check (`dependencies.in_read_threads`), made on the event loop
    read_limiter: CapacityLimiter | None = field(default=None, repr=False)

    @property
    def settings(self) -> Settings:
        return self.runtime.settings

    @property
    def index(self) -> Index:
        return self.runtime.index

    @property
    def store(self) -> ObjectStore:
        return self.runtime.store


def build_services(runtime: Runtime) -> ApiServices:
    settings = runtime.settings
    return ApiServices(
        runtime=runtime, access=AccessStore(runtime.index), catalog=default_catalog(),
        limiter=RateLimiter(settings.rate_limit_per_minute),
        uploads=UploadRunner(runtime.index, settings.resolved_home / "uploads", runtime.ingestor,
                             queue=_upload_queue(runtime) if runtime.queue_configured else None),
        signer=ServerKey(settings) if settings.sign_key else None,
    )


def _upload_queue(runtime: Runtime):
    """Uploads go to the workers' queue as one-item batches (`sohoa ingest --queue`)."""

    def queue(item: InputFile) -> str:
        batch_id = runtime.queue_batch([item], description="API upload")
        [queued] = Batches(runtime.index).items(batch_id)
        return queued.id

    return queue
