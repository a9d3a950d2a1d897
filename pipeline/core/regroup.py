"""Split and merge stored documents after the fact (issue 13): a person corrects separation.

`split_document(…, after_page=N)` makes two documents of one (pages 1..N and N+1..end);
`merge_documents(…, ids)` makes one document of several, their pages in the order given. The new
documents are made from the stored pages (the searchable PDF's pages and their OCR words; nothing
is scanned or OCR'd again), then classified and their fields extracted again. What a records
office expects:

- nothing is deleted: the replaced documents stay, with status ``superseded``, the ids that
  replace them in ``superseded_by`` and who did it, when, in their review note; `sohoa show` finds
  them, reuse and review lists leave them out. The originals (the files as received) are never
  touched: every new document names its original and the pages of it it holds;
- a reviewer's work is carried over: a field corrected on a replaced document is corrected the
  same way on the new document holding that field's page; a corrected type goes to the new
  document holding the first page;
- who did it is recorded: one row per replaced document in the corrections history (kind
  ``split`` or ``merge``, the new ids, the person), written with the new rows in one transaction;
- a signed document (one that arrived signed, or that sohoa signed) is never split or merged:
  `DocumentSigned`; a superseded one neither (split or merge what replaced it).
"""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pikepdf

from pipeline.clock import utcnow
from pipeline.core.config import PipelineSettings
from pipeline.core.document import Understanding, page_list, title_of, understand
from pipeline.core.reuse import paper_of_dossier_changed
from pipeline.errors import SohoaError
from pipeline.stages.classify import TypeClassifier
from pipeline.stages.extract.learned import FieldTagger
from pipeline.stages.ingest import InputFile
from pipeline.stores.index import SUPERSEDED, DocumentRow, Index
from pipeline.stores.layout import new_attempt, write_derived
from pipeline.stores.objects import ObjectStore, sha256_hex
from schemas.models import OcrDocumentRecord, OcrPageRecord

log = logging.getLogger(__name__)


class RegroupRefused(SohoaError):
    """A split or merge that cannot be done as asked (a page out of range, one document)."""

    code = "regroup_refused"


class DocumentSigned(RegroupRefused):
    """A signed document is never split or merged: its signature covers all its pages."""

    code = "document_signed"


@dataclass(frozen=True)
class Regrouped:
    kind: str  # "split" | "merge"
    replaced: tuple[str, ...]
    documents: tuple[DocumentRow, ...]


@dataclass(frozen=True)
class _Piece:
    """Some pages (from 0) of one stored document."""

    row: DocumentRow
    pages: tuple[int, ...]


def split_document(index: Index, store: ObjectStore, classifier: TypeClassifier | None,
                   settings: PipelineSettings, document_id: str, after_page: int, *, by: str,
                   field_tagger: FieldTagger | None = None) -> Regrouped:
    """Two documents of one: its pages 1..``after_page`` and the rest."""
    row = editable(index, document_id)
    if not 1 <= after_page < row.pages:
        raise RegroupRefused(f"document {row.id} has {row.pages} page(s): split after a page from 1 to "
                             f"{row.pages - 1}" if row.pages > 1 else f"document {row.id} has one page: nothing to split")
    halves = [[_Piece(row, tuple(range(after_page)))], [_Piece(row, tuple(range(after_page, row.pages)))]]
    note = f"split after page {after_page}"
    return _replace(index, store, classifier, settings, "split", [row], halves, by, note, field_tagger)


def merge_documents(index: Index, store: ObjectStore, classifier: TypeClassifier | None,
                    settings: PipelineSettings, document_ids: Sequence[str], *, by: str,
                    field_tagger: FieldTagger | None = None) -> Regrouped:
    """One document of several, their pages in the order the ids are given."""
    rows = [editable(index, document_id) for document_id in document_ids]
    if len({r.id for r in rows}) != len(rows) or len(rows) < 2:
        raise RegroupRefused("merge needs at least two different documents")
    whole = [[_Piece(r, tuple(range(r.pages))) for r in rows]]
    return _replace(index, store, classifier, settings, "merge", rows, whole, by, "merged", field_tagger)


def editable(index: Index, document_id: str) -> DocumentRow:
    """A document that may be split or merged; DocumentSigned or RegroupRefused otherwise."""
    return check_editable(index, index.get(document_id))


def check_editable(index: Index, row: DocumentRow) -> DocumentRow:
    """``row`` when its document may be split or merged; DocumentSigned or RegroupRefused otherwise."""
    if row.input_kind == "signed_pdf" or index.signatures(row.id):
        raise DocumentSigned(f"document {row.id} is signed: a signed document is never split or merged")
    if row.superseded_by or row.status == SUPERSEDED:
        raise RegroupRefused(f"document {row.id} was already replaced by {row.superseded_by}: "
                             "split or merge those documents")
    return row


def _replace(index: Index, store: ObjectStore, classifier: TypeClassifier | None, settings: PipelineSettings,
             kind: str, old: list[DocumentRow], groups: list[list[_Piece]], by: str, what: str,
             field_tagger: FieldTagger | None) -> Regrouped:
    made = [_new_document(store, classifier, settings, kind, pieces, field_tagger) for pieces in groups]
    new_ids = [row.id for row in made]
    note = f"{what} by {by} at {utcnow().isoformat(timespec='seconds')}: replaced by {', '.join(new_ids)}"
    index.replace_documents(made, [r.id for r in old], kind=kind, by=by, note=note)
    _carry_corrections(index, old, groups, made)
    for code in sorted({row.dossier_code for row in made if row.dossier_code}):
        paper_of_dossier_changed(index, code)
    log.info("%s %s -> %s by %s", kind, ", ".join(r.id for r in old), ", ".join(new_ids), by)
    return Regrouped(kind, tuple(r.id for r in old), tuple(index.get(i) for i in new_ids))


def _new_document(store: ObjectStore, classifier: TypeClassifier | None, settings: PipelineSettings,
                  kind: str, pieces: list[_Piece], field_tagger: FieldTagger | None) -> DocumentRow:
    """Pages of stored documents as a new document: its PDF and OCR record cut from theirs, its
    type and fields found again, its row naming the originals and their pages."""
    first = pieces[0].row
    pages = _page_records(store, pieces)
    identity = sha256_hex(("sohoa-regroup:1:" + kind + ":" + ";".join(
        f"{p.row.id}:{page_list(p.pages)}" for p in pieces)).encode())
    document_id = identity[:32]
    item = InputFile(Path(first.source), first.dossier_code, first.owner_id, first.procedure_code)
    understood = understand(pages, item, classifier, settings, field_tagger=field_tagger)
    pdf = _cut_pdf(store, pieces, document_id, title_of(pages) or first.title or first.filename)
    ocr = OcrDocumentRecord(document_id=document_id, sha256=first.original_sha256,
                            source_kind=first.input_kind, pages=pages).model_dump_json().encode()
    keys = write_derived(store, document_id=document_id, original_key=first.original_key,
                         original_sha256=first.original_sha256, attempt=new_attempt(), searchable=pdf, ocr=ocr)
    return _row(first, pieces, identity, pages, understood, keys, pdf, ocr)


def _row(first: DocumentRow, pieces: list[_Piece], identity: str, pages: list[OcrPageRecord],
         understood: Understanding, keys, pdf: bytes, ocr: bytes) -> DocumentRow:
    source_pages = [n for piece in pieces for n in (_source_pages(piece.row)[i] for i in piece.pages)]
    originals = {piece.row.original_sha256 for piece in pieces}
    files = None
    if len(originals) > 1 or any(piece.row.source_files for piece in pieces):
        files = json.dumps([{"name": p.row.filename, "sha256": p.row.original_sha256, "key": p.row.original_key,
                             "pages": page_list(tuple(_source_pages(p.row)[i] - 1 for i in p.pages))}
                            for p in pieces], ensure_ascii=False)
    confidences = [p.diagnostics.ocr_confidence for p in pages if p.diagnostics.ocr_confidence is not None]
    return DocumentRow(
        id=identity[:32], sha256=identity, source=first.source, filename=first.filename,
        media_type=first.media_type, input_kind=first.input_kind, dossier_code=first.dossier_code,
        owner_id=understood.owner_id, procedure_code=first.procedure_code, title=title_of(pages) or first.title,
        pages=len(pages), ocr_confidence=round(sum(confidences) / len(confidences), 2) if confidences else None,
        status=understood.status, version=1, original_key=first.original_key, searchable_key=keys.searchable,
        ocr_key=keys.ocr, searchable_sha256=sha256_hex(pdf), ocr_sha256=sha256_hex(ocr),
        text="\f".join(p.text for p in pages), stage_seconds={}, created_at=utcnow(),
        doc_type=understood.doc_type, type_confidence=understood.type_confidence,
        type_reason=understood.type_reason, fields=understood.fields, valid_until=understood.valid_until,
        issue_date=understood.issue_date, review_note=understood.review_note,
        source_sha256=first.original_sha256, source_first_page=min(source_pages),
        source_last_page=max(source_pages), source_pages=page_list(tuple(n - 1 for n in source_pages)),
        source_documents=None, source_files=files,
    )


def _source_pages(row: DocumentRow) -> list[int]:
    """The page of its original each stored page is (1-based), from "1-3,5"."""
    if not row.source_pages:
        return list(range(1, row.pages + 1))
    numbers: list[int] = []
    for run in row.source_pages.split(","):
        start, _, end = run.partition("-")
        numbers += range(int(start), int(end or start) + 1)
    return numbers


def _page_records(store: ObjectStore, pieces: list[_Piece]) -> list[OcrPageRecord]:
    records: list[OcrPageRecord] = []
    for piece in pieces:
        stored = OcrDocumentRecord.model_validate_json(store.get(piece.row.ocr_key)).pages
        records += [stored[i] for i in piece.pages]
    return [r.model_copy(update={"page": n + 1}) for n, r in enumerate(records)]


def _cut_pdf(store: ObjectStore, pieces: list[_Piece], document_id: str, title: str) -> bytes:
    """The pages of the pieces' searchable PDFs in one PDF: the first one's file (its PDF/A
    output intent and XMP, given the new id and title) with its other pages removed and the other
    pieces' pages appended. The stored PDFs are read, never written."""
    out = pikepdf.open(io.BytesIO(store.get(pieces[0].row.searchable_key)))
    others = [pikepdf.open(io.BytesIO(store.get(p.row.searchable_key))) for p in pieces[1:]]
    try:
        keep = set(pieces[0].pages)
        for i in reversed(range(len(out.pages))):
            if i not in keep:
                del out.pages[i]
        for piece, source in zip(pieces[1:], others):
            for i in piece.pages:
                out.pages.append(source.pages[i])
        with out.open_metadata(set_pikepdf_as_editor=False, update_docinfo=True) as meta:
            meta["dc:identifier"] = document_id
            meta["dc:title"] = title
        buffer = io.BytesIO()
        out.save(buffer, compress_streams=True, object_stream_mode=pikepdf.ObjectStreamMode.generate,
                 deterministic_id=True, min_version="1.7", fix_metadata_version=False)
        return buffer.getvalue()
    finally:
        for pdf in (out, *others):
            pdf.close()


def _carry_corrections(index: Index, old: list[DocumentRow], groups: list[list[_Piece]],
                       made: list[DocumentRow]) -> None:
    """A reviewer's corrections of a replaced document, applied to the new document holding the
    page each one is about (a type: the first page)."""
    holder: dict[tuple[str, int], str] = {}
    for pieces, row in zip(groups, made):
        for piece in pieces:
            for i in piece.pages:
                holder[(piece.row.id, i)] = row.id
    for row in old:
        for correction in index.corrections(row.id):
            if correction.kind not in ("type", "field"):
                continue
            page = 0
            if correction.kind == "field":
                page = max(0, int((row.fields.get(correction.name) or {}).get("page") or 1) - 1)
            target = holder.get((row.id, min(page, row.pages - 1)))
            if target is not None:
                index.record_correction(target, correction.kind, correction.name, correction.new_value,
                                        correction.corrected_by, corrected_at=correction.corrected_at)
