"""Stored signature statuses follow the trust roots.

The index remembers the fingerprint of the trust roots its stored signature statuses were
validated under (`trust_state`). A process that serves or works (`sohoa serve`, `sohoa worker`)
starts `start_trust_revalidation`: when its roots (SOHOA_TRUST_ROOTS) differ from the index's,
it validates every stored signed version again in a background thread, records the new statuses
and the new fingerprint, and logs what changed — counts only, never a document's owner. One
process does it: the re-validation is claimed in the index (a claim not refreshed for
`CLAIM_STALE_AFTER` is taken over, so a server killed half-way does not block it forever). With
the same roots, nothing is validated again. `sohoa verify-signature --all --update` runs the
same claimed re-validation in the foreground.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING

from pipeline.clock import utcnow
from pipeline.core.signed_versions import Revalidation, revalidate_stored_signatures
from pipeline.stages.sign import ValidationSettings
from pipeline.stores.index import Index
from pipeline.stores.index.trust import TrustRecords
from pipeline.stores.objects import ObjectStore

if TYPE_CHECKING:
    from pipeline.core.runtime import Runtime

log = logging.getLogger(__name__)

#: A claim not refreshed for this long belongs to a process that died: another may take it.
CLAIM_STALE_AFTER = timedelta(minutes=10)


class RevalidationBusy(Exception):
    """Another process is re-validating the stored signatures now."""

    def __init__(self, claimed_by: str | None):
        super().__init__(f"another process ({claimed_by or 'unknown'}) is validating the stored "
                         "signatures again now; try again when it has finished")
        self.claimed_by = claimed_by


@dataclass(frozen=True)
class TrustRevalidation:
    """One re-validation under new trust roots: what it found."""

    previous_sha256: str | None
    trust_roots_sha256: str
    done: list[Revalidation] = field(default_factory=list)

    @property
    def versions(self) -> int:
        return len(self.done)

    @property
    def changed(self) -> int:
        return sum(r.changed for r in self.done)

    @property
    def transitions(self) -> Counter[tuple[str, str]]:
        """How many versions went from each status to each other."""
        return Counter((r.before, r.after) for r in self.done if r.changed)


def process_name() -> str:
    """Who holds a claim, for the admin page and the log: host and process id."""
    return f"{socket.gethostname()}:{os.getpid()}"


def revalidate_for_trust_roots(index: Index, store: ObjectStore, validation: ValidationSettings,
                               *, by: str | None = None, force: bool = False) -> TrustRevalidation | None:
    """Validate the stored signatures again when `validation`'s roots are not those the index's
    statuses were validated under (or always, with `force`), recording the new statuses and the
    fingerprint. None: nothing to do (same roots). Raises RevalidationBusy when another process
    holds the claim."""
    records = TrustRecords(index)
    fingerprint = validation.trust_roots_sha256
    state = records.state()
    if state.trust_roots_sha256 == fingerprint and not force:
        log.debug("stored signatures already validated under trust roots %s", fingerprint[:12])
        return None
    by = by or process_name()
    now = utcnow()
    if not records.claim(fingerprint, by, now=now, stale_before=now - CLAIM_STALE_AFTER, even_if_current=force):
        state = records.state()
        if state.trust_roots_sha256 == fingerprint and not force:
            return None  # another process finished it between our two reads
        raise RevalidationBusy(state.claimed_by)
    log.info("trust roots changed (%s -> %s, %d root(s)): validating the stored signatures again",
             (state.trust_roots_sha256 or "none")[:12], fingerprint[:12], len(validation.trust_roots))
    try:
        done = revalidate_stored_signatures(
            index, store, validation, update=True,
            on_each=lambda: records.refresh_claim(by, now=utcnow()))
    except BaseException:
        records.release(by)
        raise
    result = TrustRevalidation(state.trust_roots_sha256, fingerprint, done)
    records.finish(by, fingerprint, roots=len(validation.trust_roots), versions=result.versions,
                   changed=result.changed, now=utcnow())
    changes = ", ".join(f"{before} -> {after}: {count}"
                        for (before, after), count in sorted(result.transitions.items()))
    log.info("stored signatures validated again under trust roots %s: %d signed version(s), %d changed%s",
             fingerprint[:12], result.versions, result.changed, f" ({changes})" if changes else "")
    return result


def start_trust_revalidation(runtime: Runtime) -> threading.Thread:
    """`revalidate_for_trust_roots` under the runtime's roots (SOHOA_TRUST_ROOTS) in a background
    thread, so a server or worker starts at once; a failure is logged, never raised (the statuses
    stay as they were, and the next start tries again). Returns the started thread."""
    from pipeline.core.signing import validation_settings

    def run() -> None:
        try:
            revalidate_for_trust_roots(runtime.index, runtime.store, validation_settings(runtime.settings))
        except RevalidationBusy as busy:
            log.info("stored signatures: %s", busy)
        except Exception as exc:  # the thread's last word: the server keeps serving
            log.warning("stored signatures not validated again under the new trust roots: %s", exc)

    thread = threading.Thread(target=run, name="trust-revalidation", daemon=True)
    thread.start()
    return thread
