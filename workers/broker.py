"""The dramatiq broker named by SOHOA_BROKER_URL, with sohoa's three actors declared on it.

Imported only by code that sends or receives messages (`workers.main`, `workers.submit`'s send
step, `sohoa worker`); `pipeline.core.batches` and the status commands never need it.

Retries: a transient failure (object store or index unreachable, another item storing the same
document) is retried with exponential backoff, 1 s doubling up to 5 min, `MAX_RETRIES` times;
then the item fails with its error code and the message is dead-lettered by dramatiq. Bad input
never raises out of an actor: it settles the item as failed at once (see `workers.tasks`).
"""

from __future__ import annotations

import logging
import os
import threading
from functools import partial

import dramatiq
from dramatiq.brokers.rabbitmq import RabbitmqBroker
from dramatiq.brokers.redis import RedisBroker
from dramatiq.middleware import CurrentMessage

from pipeline.errors import StorageUnavailable
from pipeline.settings import Settings

log = logging.getLogger(__name__)

QUEUE = "sohoa"
MAX_RETRIES = 12
MIN_BACKOFF_MS = 1_000
MAX_BACKOFF_MS = 300_000
#: A message may run this long (a page's OCR has its own, shorter, timeout).
TIME_LIMIT_MS = 30 * 60 * 1000

ACTORS = ("ingest_item", "ocr_page", "finalise_item")


def make_broker(url: str) -> dramatiq.Broker:
    """A Redis or RabbitMQ broker for ``redis://…`` or ``amqp://…``."""
    if url.startswith(("redis://", "rediss://", "unix://")):
        broker = RedisBroker(url=url)
    elif url.startswith(("amqp://", "amqps://")):
        broker = RabbitmqBroker(url=url)
    else:
        raise StorageUnavailable(
            f"unsupported SOHOA_BROKER_URL scheme in {url.split('://')[0]!r}: use redis:// or amqp://"
        )
    broker.add_middleware(CurrentMessage())
    return broker


def connect(settings: Settings) -> dramatiq.Broker:
    """The configured broker, made the global one, with the actors declared on it."""
    if not settings.broker_url:
        raise StorageUnavailable("no broker configured: set SOHOA_BROKER_URL (redis://… or amqp://…)")
    broker = make_broker(settings.broker_url)
    dramatiq.set_broker(broker)
    for name in ACTORS:
        dramatiq.actor(
            partial(_run, name), actor_name=name, queue_name=QUEUE, broker=broker,
            max_retries=MAX_RETRIES, min_backoff=MIN_BACKOFF_MS, max_backoff=MAX_BACKOFF_MS,
            retry_when=_should_retry, time_limit=TIME_LIMIT_MS,
        )
    return broker


def send(broker: dramatiq.Broker, actor_name: str, *args) -> None:
    broker.get_actor(actor_name).send(*args)


def _should_retry(retries: int, exception: BaseException) -> bool:
    return retries < MAX_RETRIES and _is_transient(exception)


def _is_transient(exception: BaseException) -> bool:
    return isinstance(exception, StorageUnavailable | ConnectionError | TimeoutError)


# --- inside a worker process --------------------------------------------------------------------

_runtime = None
_runtime_lock = threading.Lock()


def _run(name: str, *args) -> None:
    """Run one message in this worker process; record the item as failed when it gives up."""
    from workers import tasks

    runtime = _worker_runtime()
    try:
        getattr(tasks, name)(runtime, *args)
    except Exception as exc:
        message = CurrentMessage.get_current_message()
        retries = message.options.get("retries", 0) if message is not None else MAX_RETRIES
        if not _should_retry(retries, exc):
            log.error("%s%r gives up after %d retries: %s", name, args, retries, exc)
            try:
                tasks.record_gave_up(runtime, args[0], exc)
            except StorageUnavailable:
                pass  # the index is down too: the item stays pending for `sohoa batch resume`
        raise


def _worker_runtime():
    """Settings, stores and classifier, opened once per worker process."""
    global _runtime
    with _runtime_lock:
        if _runtime is None:
            _runtime = _open_runtime()
    return _runtime


def _open_runtime():
    from pipeline.core.batches import Batches
    from pipeline.core.training import load_or_train
    from pipeline.stages.classify import load_classifier
    from pipeline.stores.index import Index
    from pipeline.core.run import PipelineSettings
    from pipeline.settings import load_settings
    from pipeline.stores.objects import open_store_from_settings
    from workers.tasks import Runtime

    # Tesseract's OpenMP threads would fight the other worker processes for the cores.
    os.environ.setdefault("OMP_THREAD_LIMIT", "1")
    settings = load_settings()
    index = Index(settings.index_url)
    path = settings.classifier_model_path
    classifier = load_classifier(path) or load_or_train(path, corrections=index.correction_labels())
    broker = dramatiq.get_broker()
    return Runtime(
        pipeline=PipelineSettings.from_settings(settings),
        store=open_store_from_settings(settings),
        index=index,
        batches=Batches(index),
        classifier=classifier,
        quarantine_dir=settings.quarantine_dir,
        send=partial(send, broker),
    )
