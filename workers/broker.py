"""The dramatiq broker named by SOHOA_BROKER_URL, with sohoa's three actors declared on it.

Imported only in the worker processes (`workers.main`, which `sohoa worker` runs); whoever sends
messages uses `pipeline.stores.queue` and never imports the workers.

Retries: a transient failure (object store or index unreachable, another item storing the same
document) is retried with exponential backoff, 1 s doubling up to 5 min, `MAX_RETRIES` times;
then the item fails with its error code and the message is dead-lettered by dramatiq. Bad input
never raises out of an actor: it settles the item as failed at once (see `workers.tasks`).
"""

from __future__ import annotations

import logging
import threading
from functools import partial

import dramatiq
from dramatiq.middleware import CurrentMessage

from pipeline.errors import StorageUnavailable
from pipeline.settings import Settings, load_settings
from pipeline.stores.queue import QUEUE, make_broker

log = logging.getLogger(__name__)

MAX_RETRIES = 12
MIN_BACKOFF_MS = 1_000
MAX_BACKOFF_MS = 300_000
#: A message may run this long (a page's OCR has its own, shorter, timeout).
TIME_LIMIT_MS = 30 * 60 * 1000

ACTORS = ("ingest_item", "ocr_page", "finalise_item")


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
    from pipeline.core.runtime import open_runtime

    settings = load_settings()
    runtime = open_runtime(settings, send=partial(_send, dramatiq.get_broker()))
    runtime.classifier  # loaded (or trained) once, before the first message needs it
    return runtime


def _send(broker: dramatiq.Broker, actor_name: str, *args) -> None:
    broker.get_actor(actor_name).send(*args)
