"""Check the object store against the index: every object a row points at is there, unaltered.

Each object (original, searchable PDF, OCR words, and those of later versions) is read back and
re-hashed against the sha256 the index recorded when it was stored. With ``ids=None`` (``sohoa
verify --all``) objects that no index row points at are listed too, as information: an
interrupted ingest leaves such objects until it is run again.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field

from pipeline.errors import StorageUnavailable
from pipeline.stores.index import Index
from pipeline.stores.layout import page_view_source
from pipeline.stores.objects import ObjectNotFound, ObjectStore

log = logging.getLogger(__name__)

#: problem -> severity. 'info' findings are not damage.
PROBLEMS = {
    "missing": "error",  # the index points at a key the store does not have
    "altered": "error",  # the bytes under the key no longer hash to the recorded sha256
    "unreadable": "error",  # the store failed to return the object
    "unreferenced": "info",  # an object under originals/ or documents/ that no row points at
}

SCANNED_PREFIXES = ("originals/", "documents/")


@dataclass(frozen=True)
class Finding:
    document_id: str | None  # None for an unreferenced object
    key: str
    problem: str  # one of PROBLEMS
    detail: str = ""

    @property
    def severity(self) -> str:
        return PROBLEMS[self.problem]


@dataclass(frozen=True)
class VerifyReport:
    findings: list[Finding] = field(default_factory=list)
    checked: int = 0  # documents checked
    objects_checked: int = 0

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "error"]

    @property
    def ok(self) -> bool:
        """No object is missing, altered or unreadable (unreferenced objects are no damage)."""
        return not self.errors


def verify(index: Index, store: ObjectStore, ids: Sequence[str] | None = None) -> VerifyReport:
    """Re-hash the objects of the documents ``ids`` (every document when None).

    An id may be an unambiguous prefix, as elsewhere; an unknown id raises DocumentNotFound.
    """
    wanted = None if ids is None else [index.get(i).id for i in ids]
    findings: list[Finding] = []
    documents: set[str] = set()
    referenced: set[str] = set()
    refs = list(index.object_refs(wanted))
    for ref in refs:
        documents.add(ref.document_id)
        referenced.add(ref.key)
        problem = _check(store, ref.key, ref.sha256)
        if problem:
            kind, detail = problem
            log.warning("%s %s: %s", ref.document_id, ref.key, detail)
            findings.append(Finding(ref.document_id, ref.key, kind, detail))
    if ids is None:
        viewed = {(ref.document_id, ref.sha256[:16]) for ref in refs}
        for prefix in SCANNED_PREFIXES:
            for key in store.keys(prefix):
                if key not in referenced and page_view_source(key) not in viewed:
                    findings.append(Finding(None, key, "unreferenced",
                                            "no index row points at this object"))
    return VerifyReport(findings, checked=len(documents), objects_checked=len(referenced))


def _check(store: ObjectStore, key: str, expected: str) -> tuple[str, str] | None:
    try:
        data = store.get(key)
    except ObjectNotFound:
        return "missing", "the object is missing from the store"
    except StorageUnavailable as exc:
        return "unreadable", exc.message
    actual = hashlib.sha256(data).hexdigest()
    if actual != expected:
        return "altered", f"sha256 is {actual}, the index recorded {expected}"
    return None
