"""Results to sign (issue 16): a stored document marked as a result (kết quả) of its dossier
waits for the signatures its procedure names (schemas/procedures.yaml `result_signatures`: the
official's, then the agency's seal), in that order; a dossier's scanned papers get certified
e-copies signed by the digitiser (`paper_signatures`).

The CLI (`sohoa ingest --result`, `sohoa results mark`), the API (`POST
/v1/documents/{id}/result`) and the console mark results here; every signature made on a result,
with a server-held key or a token, is counted here by `count_signature`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from pipeline.clock import utcnow
from pipeline.errors import DocumentNotFound
from pipeline.stores.index import DocumentRow, Index
from pipeline.stores.index.signing import ResultRow, SigningRecords
from schemas.catalog import Catalog

log = logging.getLogger(__name__)

DEFAULT_RESULT_SIGNATURES = ("official", "agency")
DEFAULT_PAPER_SIGNATURES = ("digitiser",)


def result_signatures(catalog: Catalog, procedure_code: str | None) -> tuple[str, ...]:
    """The signatures a result of this procedure needs, in order."""
    procedure = catalog.procedures.get(procedure_code or "")
    return tuple(procedure.result_signatures) if procedure else DEFAULT_RESULT_SIGNATURES


def paper_signatures(catalog: Catalog, procedure_code: str | None) -> tuple[str, ...]:
    procedure = catalog.procedures.get(procedure_code or "")
    return tuple(procedure.paper_signatures) if procedure else DEFAULT_PAPER_SIGNATURES


def mark_result(index: Index, catalog: Catalog, document_id: str, *, by: str, office: str = "") -> ResultRow:
    """Mark a stored document as a result of its dossier: it now waits for its signatures.
    Marking it again changes nothing."""
    row = index.get(document_id)
    marked = SigningRecords(index).mark_result(ResultRow(
        document_id=row.id, dossier_code=row.dossier_code, office=office,
        needs=result_signatures(catalog, row.procedure_code), done=(), marked_by=by, marked_at=utcnow(),
        signed_at=None))
    log.info("document %s marked as a result of dossier %s by %s: needs %s", row.id, row.dossier_code or "-",
             by, ", ".join(marked.needs))
    return marked


def count_signature(index: Index, document_id: str, kind: str) -> None:
    """A signature of `kind` was stored on the document: a result waiting for it moves on."""
    SigningRecords(index).record_result_signature(document_id, kind, utcnow())


@dataclass(frozen=True)
class Waiting:
    result: ResultRow
    document: DocumentRow

    @property
    def kind(self) -> str:
        return self.result.next_kind or ""

    @property
    def stamp_page(self) -> int:
        """The page (from 1) the next signature's stamp goes on: the official's on the last
        page, the agency's and the digitiser's on page 1."""
        return self.document.pages if self.kind == "official" else 1


def waiting_results(index: Index, *, office: str | None = None, limit: int = 200) -> list[Waiting]:
    """Results still waiting for a signature, oldest first; with `office`, those of that office
    and those marked for no office in particular."""
    found = []
    for result in SigningRecords(index).waiting_results(limit=limit):
        if office and result.office and result.office != office:
            continue
        try:
            found.append(Waiting(result, index.get(result.document_id)))
        except DocumentNotFound:  # a result whose document was removed is not shown
            log.warning("result %s: its document is not in the index", result.document_id)
    return found


def dossier_papers_to_certify(index: Index, dossier_code: str) -> list[DocumentRow]:
    """The dossier's scanned papers (not its results) that have no signature yet: the batch of
    certified e-copies the digitiser signs."""
    records = SigningRecords(index)
    return [row for row in index.list(dossier_code=dossier_code)
            if records.result(row.id) is None and index.signature_status(row.id) == "unsigned"]
