"""The one runtime every shell works with: settings, the stores, the classifier and the queue.

The CLI, the API (and console) and the queue workers each call `open_runtime` once and hand the
runtime to the core. Each part is opened when first used, once, so a command that only reads the
index never connects to the object store, and the classifier is loaded (or trained, the first
time) once per process.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pipeline.errors import StorageUnavailable
from pipeline.settings import Settings, load_settings
from pipeline.stores.index import Index
from pipeline.stores.objects import ObjectStore, open_store_from_settings
from pipeline.stores.queue import Send, open_sender

if TYPE_CHECKING:  # the stages (OpenCV, pikepdf, scikit-learn) load only when a command needs them
    from pipeline.core.batches import Batches
    from pipeline.core.config import PipelineSettings
    from pipeline.core.run import Ingestor
    from pipeline.stages.classify import TypeClassifier
    from pipeline.stages.extract.learned import FieldTagger
    from pipeline.stages.ingest import InputFile

log = logging.getLogger(__name__)

_UNSET: Any = object()


class Runtime:
    """Settings and what they open. Parts given to the constructor are used as they are (tests
    hand in fakes of the broker's `send`, or a classifier trained once for the whole suite)."""

    def __init__(
        self,
        settings: Settings,
        *,
        store: ObjectStore | None = None,
        index: Index | None = None,
        classifier: TypeClassifier | None = _UNSET,
        send: Send | None = None,
        on_training: Callable[[Path], None] | None = None,
    ):
        self.settings = settings
        self._pipeline: PipelineSettings | None = None
        self._store, self._index, self._classifier, self._send = store, index, classifier, send
        self._on_training = on_training
        self._field_tagger: FieldTagger | None | object = _UNSET
        self._lock = threading.RLock()
        self._ingestor: Ingestor | None = None

    @property
    def pipeline(self) -> PipelineSettings:
        """The settings every stage is handed."""
        if self._pipeline is None:
            from pipeline.core.config import PipelineSettings

            self._pipeline = PipelineSettings.from_settings(self.settings)
        return self._pipeline

    @property
    def quarantine_dir(self) -> Path:
        return self.settings.quarantine_dir

    @property
    def index(self) -> Index:
        with self._lock:
            if self._index is None:
                self._index = Index(self.settings.index_url)
            return self._index

    @property
    def store(self) -> ObjectStore:
        with self._lock:
            if self._store is None:
                self._store = open_store_from_settings(self.settings)
            return self._store

    @property
    def batches(self) -> Batches:
        from pipeline.core.batches import Batches

        return Batches(self.index)

    @property
    def classifier(self) -> TypeClassifier | None:
        """The document-type classifier; trained and saved the first time, with the reviewers'
        corrections as extra labels."""
        with self._lock:
            if self._classifier is _UNSET:
                from pipeline.stages.classify import load_classifier

                path = self.settings.classifier_model_path
                classifier = load_classifier(path)
                if classifier is None:
                    from pipeline.core.training import load_or_train  # the sample generator, only now

                    if self._on_training:
                        self._on_training(path)
                    classifier = load_or_train(path, corrections=self.index.correction_labels())
                self._classifier = classifier
            return self._classifier

    @property
    def field_tagger(self) -> FieldTagger | None:
        """The learned field reader `sohoa model retrain` saved; None until it has run once."""
        with self._lock:
            if self._field_tagger is _UNSET:
                from pipeline.stages.extract.learned import load_tagger

                self._field_tagger = load_tagger(self.settings.field_tagger_path)
            return self._field_tagger

    @property
    def queue_configured(self) -> bool:
        return self._send is not None or bool(self.settings.broker_url)

    @property
    def send(self) -> Send:
        """Send one message to the workers (SOHOA_BROKER_URL)."""
        with self._lock:
            if self._send is None:
                if not self.settings.broker_url:
                    raise StorageUnavailable(
                        "no broker configured: set SOHOA_BROKER_URL (redis://… or amqp://…)")
                self._send = open_sender(self.settings.broker_url)
            return self._send

    def ingestor(self) -> Ingestor:
        """Local ingestion into this runtime's stores, with its classifier."""
        with self._lock:
            if self._ingestor is None:
                from pipeline.core.run import Ingestor

                self._ingestor = Ingestor(self.store, self.index, self.pipeline,
                                          quarantine_dir=self.quarantine_dir, classifier=self.classifier,
                                          field_tagger=self.field_tagger)
            return self._ingestor

    def queue_batch(self, inputs: Sequence[InputFile], *, description: str = "") -> str:
        """Hand a batch to the workers; returns its id (`pipeline.core.queued.submit`)."""
        from pipeline.core.queued import submit

        return submit(inputs, store=self.store, index=self.index, send=self.send,
                      quarantine_dir=self.quarantine_dir, description=description,
                      max_input_bytes=self.settings.max_input_bytes)

    def split_document(self, document_id: str, after_page: int, *, by: str):
        """Two documents of one, classified and read again with this runtime's models
        (`pipeline.core.regroup.split_document`)."""
        from pipeline.core.regroup import split_document

        return split_document(self.index, self.store, self.classifier, self.pipeline, document_id, after_page,
                              by=by, field_tagger=self.field_tagger)

    def merge_documents(self, document_ids: Sequence[str], *, by: str):
        """One document of several, classified and read again with this runtime's models
        (`pipeline.core.regroup.merge_documents`)."""
        from pipeline.core.regroup import merge_documents

        return merge_documents(self.index, self.store, self.classifier, self.pipeline, document_ids,
                               by=by, field_tagger=self.field_tagger)

    def close(self) -> None:
        if self._index is not None:
            self._index.close()


def open_runtime(settings: Settings | None = None, **parts) -> Runtime:
    """The runtime of ``settings`` (read from the environment when not given)."""
    return Runtime(settings if settings is not None else load_settings(), **parts)
