"""Queue a batch for the workers: stage each input's bytes in the object store, record the batch
and its items in the index, then send one message per item. Workers on other machines read the
staged bytes, never the submitting machine's paths (`workers.tasks` does the rest).

Used by the CLI (`sohoa ingest --queue`, `batch resume`, `jobs retry`) and the API's uploads alike,
through the runtime, which knows how to send.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import replace

from pipeline.core.batches import DUPLICATE, FAILED, Batches, NewItem
from pipeline.core.planning import plan_inputs
from pipeline.core.quarantine import quarantine_file
from pipeline.errors import StorageUnavailable
from pipeline.stages.ingest import DEFAULT_MAX_INPUT_BYTES, InputFile, read_bytes
from pipeline.stores.index import Index
from pipeline.stores.layout import staged_key, staged_metadata
from pipeline.stores.objects import ObjectStore, sha256_hex
from pipeline.stores.queue import Send

log = logging.getLogger(__name__)


def submit(
    inputs: Sequence[InputFile],
    *,
    store: ObjectStore,
    index: Index,
    send: Send,
    quarantine_dir,
    description: str = "",
    max_input_bytes: int = DEFAULT_MAX_INPUT_BYTES,
) -> str:
    """Queue ``inputs`` as one batch; returns its id. Files already stored are recorded as
    duplicates and a file that cannot be read as failed, without a message; a later file with
    the same bytes as an earlier one waits for it. Raises StorageUnavailable when the broker
    cannot be reached: the batch is recorded and `resume` sends its messages later."""
    inputs = one_file_per_item(inputs)
    batch_id, ids = Batches.new_ids(len(inputs))
    items: list[NewItem] = []
    for position, plan in enumerate(plan_inputs(inputs, index, lambda item: read_bytes(item.path, max_bytes=max_input_bytes), sha256_hex)):
        entry = plan.input
        common = {"source": str(entry.path), "dossier_code": entry.dossier_code,
                  "owner_id": entry.owner_id, "procedure_code": entry.procedure_code}
        if plan.error is not None:
            quarantined = quarantine_file(quarantine_dir, entry.path, plan.error)
            items.append(NewItem(**common, status=FAILED, error_code=plan.error.code, error=plan.error.message,
                                 quarantined_as=str(quarantined) if quarantined else None))
        elif plan.duplicate_of:
            items.append(NewItem(**common, sha256=plan.sha256, status=DUPLICATE, document_id=plan.duplicate_of,
                                 error=f"already stored as {plan.duplicate_of}"))
        elif plan.same_as_position is not None:
            items.append(NewItem(**common, sha256=plan.sha256, same_as_position=plan.same_as_position))
        else:
            key = staged_key(batch_id, ids[position])
            store.put(key, plan.read, staged_metadata(batch_id, ids[position], plan.sha256))
            items.append(NewItem(**common, sha256=plan.sha256, staged_key=key))
    Batches(index).create(batch_id, ids, items, description=description)
    leaders = [ids[p] for p, item in enumerate(items) if item.staged_key]
    send_items(send, leaders, f"batch {batch_id} is recorded")
    log.info("batch %s: %d items, %d messages", batch_id, len(items), len(leaders))
    return batch_id


def one_file_per_item(inputs: Sequence[InputFile]) -> list[InputFile]:
    """A queued item is one file: page files joined by discovery are queued one by one (each a
    document, as before issue 13); a multi-page file is still separated by the workers."""
    items: list[InputFile] = []
    for entry in inputs:
        if entry.parts:
            log.info("%s: %d page files queued as separate items (page files are joined only by a "
                     "local ingest)", entry.path.name, len(entry.parts))
        items += [replace(entry, path=path, parts=(), joined="") for path in entry.parts] or [entry]
    return items


def resume(batch_id: str, *, index: Index, send: Send) -> int:
    """Send again a message for every pending item of a batch (after a broker lost its queue or
    a worker died); items already settled ignore them. Returns how many were sent."""
    batches = Batches(index)
    pending = batches.pending_leaders(batches.resolve_batch_id(batch_id))
    send_items(send, pending, f"{len(pending)} item(s) are still pending")
    return len(pending)


def retry(item_ids: Iterable[str] | None, *, index: Index, send: Send) -> list[str]:
    """Failed items (all when ``item_ids`` is None) back to pending, and their messages sent."""
    reset = Batches(index).reset_failed(item_ids)
    send_items(send, reset, f"{len(reset)} item(s) are pending again")
    return reset


def send_items(send: Send, item_ids: list[str], recorded: str) -> None:
    """One `ingest_item` message per item; a broker that cannot be reached is StorageUnavailable,
    saying what is already recorded."""
    try:
        for item_id in item_ids:
            send("ingest_item", item_id)
    except StorageUnavailable:
        raise
    except Exception as exc:  # redis, pika and dramatiq each raise their own connection errors
        raise StorageUnavailable(
            f"{recorded}, but the broker cannot be reached ({type(exc).__name__}: {exc}); "
            "run `sohoa batch resume` when it is back"
        ) from exc
