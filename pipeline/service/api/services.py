"""What the handlers use, built once per app from settings: the index, store, access, uploads, signer."""

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pipeline.service.access import AccessStore, ApiClient, RateLimiter
from pipeline.service.uploads import UploadRunner
from pipeline.settings import Settings
from pipeline.stores.index import Index
from pipeline.stores.objects import ObjectStore
from schemas.api import SignRequest
from schemas.catalog import Catalog, default_catalog

log = logging.getLogger(__name__)


@dataclass
class ApiServices:
    """What the handlers use; built once per app from settings (or given by tests)."""

    settings: Settings
    index: Index
    store: ObjectStore
    access: AccessStore
    catalog: Catalog
    limiter: RateLimiter
    uploads: UploadRunner
    signer: Callable[..., Any] | None = None


def build_services(settings: Settings, *, index: Index | None = None, store: ObjectStore | None = None,
                   classifier_loader: Callable[[], Any] | None = None) -> ApiServices:
    from pipeline.core.run import Ingestor, PipelineSettings
    from pipeline.stores.objects import open_store_from_settings

    index = index or Index(settings.index_url)
    store = store or open_store_from_settings(settings)
    ingestor_cache: dict[str, Ingestor] = {}

    def ingestor() -> Ingestor:
        if "it" not in ingestor_cache:
            classifier = classifier_loader() if classifier_loader else _load_classifier(settings, index)
            ingestor_cache["it"] = Ingestor(store, index, PipelineSettings.from_settings(settings),
                                            quarantine_dir=settings.quarantine_dir, classifier=classifier)
        return ingestor_cache["it"]

    return ApiServices(
        settings=settings, index=index, store=store, access=AccessStore(index),
        catalog=default_catalog(), limiter=RateLimiter(settings.rate_limit_per_minute),
        uploads=UploadRunner(index, settings.resolved_home / "uploads", ingestor,
                             queue=_queue_for_workers(settings, index, store) if settings.broker_url else None),
        signer=ServerSigner(settings) if settings.sign_key else None,
    )


class ServerSigner:
    """Signs stored documents with the key the server is configured with (SOHOA_SIGN_KEY).

    The key is opened — a token logged in to — on first use and kept for the life of the
    process; one signature at a time, as PKCS#11 sessions are not shared between threads.
    """

    def __init__(self, settings: Settings):
        import contextlib
        import threading

        self.settings = settings
        self._lock = threading.Lock()
        self._exit = contextlib.ExitStack()
        self._signer = None

    def __call__(self, services: "ApiServices", row, request: SignRequest, client: ApiClient):
        from datetime import UTC, datetime

        from pipeline.stages.sign import SignSpec, ValidationSettings, open_signer
        from pipeline.core.signed_versions import sign_stored_document
        from pipeline.stages.stamp import QrPayload

        settings = self.settings
        qr = None
        if request.kind == "official":  # an issued result carries its QR code
            qr = QrPayload(dossier_code=row.dossier_code or "", procedure_code=row.procedure_code or "",
                           document_name=row.title or "", issuing_system="sohoa",
                           issued_at=datetime.now(UTC))
        spec = SignSpec(kind=request.kind, level=request.level or settings.sign_level,
                        tsa_url=settings.tsa_url, signer_name=request.signer_name,
                        position=request.position, agency=request.agency, qr=qr)
        validation = ValidationSettings.from_file(settings.trust_roots,
                                                  allow_fetching=settings.signature_fetching)
        with self._lock:
            if self._signer is None:
                passphrase = settings.key_passphrase.get_secret_value() if settings.key_passphrase else None
                self._signer = self._exit.enter_context(open_signer(settings.sign_key, passphrase))
            done = sign_stored_document(services.index, services.store, row.id, spec, self._signer,
                                        validation=validation)
        log.info("%s signed document %s as %s: version %d, %s", client.name, row.id, request.kind,
                 done.version, done.status)
        return done

    def close(self) -> None:
        self._exit.close()


def _queue_for_workers(settings: Settings, index: Index, store: ObjectStore):
    """Uploads go to the workers' queue as one-item batches (`sohoa ingest --queue`)."""
    from pipeline.core.batches import Batches
    from workers.submit import submit

    def queue(item) -> str:
        batch_id = submit([item], settings, store=store, index=index, description="API upload")
        [queued] = Batches(index).items(batch_id)
        return queued.id

    return queue


def _load_classifier(settings: Settings, index: Index):
    from pipeline.stages.classify import load_or_train

    return load_or_train(settings.classifier_model_path, corrections=index.correction_labels())
