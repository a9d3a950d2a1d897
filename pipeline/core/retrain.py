"""Retraining the learned field reader from reviewers' corrections (`sohoa model retrain`).

Each field a reviewer corrected is a labelled example: the document's stored OCR words and boxes
(ocr.json) with the corrected value. Every fourth corrected document (by id) is held out; the
reader is retrained on generated documents plus the rest, and the field hit rate on the held-out
corrections is measured with the reader before and after, so the figure says whether the
corrections taught it anything."""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from pathlib import Path

from pipeline.core.runtime import Runtime
from pipeline.core.training import field_hit_rate, train_field_tagger
from pipeline.stages.extract.learned import LabelledExample, load_tagger, save_tagger
from schemas.models import OcrDocumentRecord

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RetrainReport:
    corrected_documents: int
    trained_on: int  # corrected documents used for training
    held_out: int
    before: dict[str, tuple[int, int]]  # per field (exact, total) on the held-out corrections
    after: dict[str, tuple[int, int]]
    model_path: Path


def correction_examples(rt: Runtime) -> list[LabelledExample]:
    """Every corrected document as a labelled example (its OCR pages, type and corrected fields)."""
    by_document: dict[str, tuple[str, str, dict[str, str]]] = {}
    for document_id, doc_type, ocr_key, name, value in rt.index.field_corrections():
        by_document.setdefault(document_id, (doc_type, ocr_key, {}))[2][name] = value
    examples = []
    for document_id in sorted(by_document):
        doc_type, ocr_key, fields = by_document[document_id]
        record = OcrDocumentRecord.model_validate_json(rt.store.get(ocr_key))
        examples.append(LabelledExample(tuple(record.pages), doc_type, fields))
    return examples


def _held_out(example_id: str, every: int) -> bool:
    return int(hashlib.sha256(example_id.encode()).hexdigest(), 16) % every == 0


def retrain_field_reader(rt: Runtime, *, documents_per_type: int = 4, hold_out_every: int = 4) -> RetrainReport:
    """Retrain on generated documents plus the corrections, save, and report before/after."""
    examples = correction_examples(rt)
    keyed = [(f"{n}:{e.doc_type}:{sorted(e.fields.items())}", e) for n, e in enumerate(examples)]
    held = [e for key, e in keyed if _held_out(key, hold_out_every)]
    train = [e for key, e in keyed if not _held_out(key, hold_out_every)]
    path = rt.settings.field_tagger_path
    before = field_hit_rate(load_tagger(path), held)
    tagger = train_field_tagger(documents_per_type=documents_per_type, corrections=train)
    after = field_hit_rate(tagger, held)
    save_tagger(tagger, path)
    log.info("field tagger retrained on %d corrections, %d held out, saved to %s", len(train), len(held), path)
    return RetrainReport(len(examples), len(train), len(held), before, after, path)
