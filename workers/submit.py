"""Queue a batch: stage each input's bytes in the object store, record the batch and its items in
the index, then send one message per item. Workers on other machines read the staged bytes, never
the submitting machine's paths.

Usable from the CLI (`sohoa ingest --queue`) and the API alike; the broker is imported only
when a message is sent.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from functools import partial

from pipeline.core.batches import DUPLICATE, FAILED, Batches, NewItem
from pipeline.errors import SohoaError, StorageUnavailable
from pipeline.stores.index import Index
from pipeline.stages.ingest import InputFile, read_bytes
from pipeline.core.run import quarantine_file
from pipeline.settings import Settings
from pipeline.stores.objects import ObjectStore, open_store_from_settings, sha256_hex
from workers.tasks import staged_key

log = logging.getLogger(__name__)

Send = Callable[..., None]


def submit(
    inputs: list[InputFile],
    settings: Settings,
    *,
    store: ObjectStore | None = None,
    index: Index | None = None,
    send: Send | None = None,
    description: str = "",
) -> str:
    """Queue ``inputs`` as one batch; returns its id. Files already stored are recorded as
    duplicates and a file that cannot be read as failed, without a message; a later file with
    the same bytes as an earlier one waits for it. Raises StorageUnavailable when the broker
    cannot be reached: the batch is recorded and `resume` sends its messages later."""
    store = store or open_store_from_settings(settings)
    index = index or Index(settings.index_url)
    batches = Batches(index)
    batch_id, ids = Batches.new_ids(len(inputs))
    items: list[NewItem] = []
    first_with_hash: dict[str, int] = {}
    for position, entry in enumerate(inputs):
        common = {"source": str(entry.path), "dossier_code": entry.dossier_code,
                  "owner_id": entry.owner_id, "procedure_code": entry.procedure_code}
        try:
            data = read_bytes(entry.path)
        except SohoaError as exc:
            quarantined = quarantine_file(settings.quarantine_dir, entry.path, exc)
            items.append(NewItem(**common, status=FAILED, error_code=exc.code, error=exc.message,
                                 quarantined_as=str(quarantined) if quarantined else None))
            continue
        sha = sha256_hex(data)
        existing = index.find_by_sha256(sha)
        if existing:
            items.append(NewItem(**common, sha256=sha, status=DUPLICATE, document_id=existing,
                                 error=f"already stored as {existing}"))
        elif sha in first_with_hash:
            items.append(NewItem(**common, sha256=sha, same_as_position=first_with_hash[sha]))
        else:
            first_with_hash[sha] = position
            key = staged_key(batch_id, ids[position])
            store.put(key, data, {"batch-id": batch_id, "item-id": ids[position], "sha256": sha})
            items.append(NewItem(**common, sha256=sha, staged_key=key))
    batches.create(batch_id, ids, items, description=description)
    leaders = [ids[p] for p, item in enumerate(items) if item.staged_key]
    _send_all(settings, leaders, send, f"batch {batch_id} is recorded")
    log.info("batch %s: %d items, %d messages", batch_id, len(items), len(leaders))
    return batch_id


def resume(batch_id: str, settings: Settings, *, index: Index | None = None,
           send: Send | None = None) -> int:
    """Send again a message for every pending item of a batch (after a broker lost its queue or
    a worker died); items already settled ignore them. Returns how many were sent."""
    batches = Batches(index or Index(settings.index_url))
    pending = batches.pending_leaders(batches.resolve_batch_id(batch_id))
    _send_all(settings, pending, send, f"{len(pending)} item(s) are still pending")
    return len(pending)


def retry(item_ids: Iterable[str] | None, settings: Settings, *, index: Index | None = None,
          send: Send | None = None) -> list[str]:
    """Failed items (all when ``item_ids`` is None) back to pending, and their messages sent."""
    batches = Batches(index or Index(settings.index_url))
    reset = batches.reset_failed(item_ids)
    _send_all(settings, reset, send, f"{len(reset)} item(s) are pending again")
    return reset


def _send_all(settings: Settings, item_ids: list[str], send: Send | None, recorded: str) -> None:
    if not item_ids:
        return
    try:
        if send is None:
            from workers.broker import connect, send as send_to

            send = partial(send_to, connect(settings))
        for item_id in item_ids:
            send("ingest_item", item_id)
    except StorageUnavailable:
        raise
    except Exception as exc:  # redis, pika and dramatiq each raise their own connection errors
        raise StorageUnavailable(
            f"{recorded}, but the broker cannot be reached ({type(exc).__name__}: {exc}); "
            "run `sohoa batch resume` when it is back"
        ) from exc
