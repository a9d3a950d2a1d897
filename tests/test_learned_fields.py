"""The learned field reader beside the rules: trained on generated documents, it learns a label
variant none of the rules or the lexicon know from reviewers' corrections."""

from __future__ import annotations

import re

import pytest

from conftest import cli_env, run_cli
from index_rows import make_row
from pipeline.core.runtime import open_runtime
from pipeline.core.training import field_hit_rate, generated_field_examples, train_field_tagger
from pipeline.samples import make_document
from pipeline.stages.extract import extract_fields, pages_from_texts
from pipeline.stages.extract.learned import LabelledExample, train_tagger
from pipeline.settings import Settings
from schemas.models import OcrDocumentRecord

UNSEEN_LABEL = "Danh tính người nộp:"


def _with_unseen_label(seed: int) -> LabelledExample:
    """A residence confirmation whose name label is one no rule or lexicon entry knows."""
    document = make_document(seed, "xac_nhan_cu_tru")
    texts = [t.replace("Họ, chữ đệm và tên:", UNSEEN_LABEL) for t in document.texts]
    assert any(UNSEEN_LABEL in t for t in texts)
    return LabelledExample(tuple(pages_from_texts(texts)), "xac_nhan_cu_tru",
                           {"full_name": document.fields["full_name"]})


@pytest.fixture(scope="module")
def generated():
    return generated_field_examples(2)


@pytest.fixture(scope="module")
def base_tagger():
    return train_field_tagger(documents_per_type=2)


def test_twenty_corrections_of_an_unseen_label_teach_the_extractor(generated, base_tagger):
    """GIVEN papers whose owner's name follows a label the extractor has never seen, a tagger
    trained on generated documents, and 20 reviewers' corrections of such papers
    WHEN the tagger is retrained with the corrections and 8 new such papers are extracted
    THEN before, no name is found on them (the paper waits for review); after, at least 7 of 8
    names are exact, below the confidence of a labelled value"""
    held_out = [_with_unseen_label(seed) for seed in range(300, 308)]
    before = field_hit_rate(base_tagger, held_out)["full_name"]
    corrections = [_with_unseen_label(seed) for seed in range(100, 120)]
    after_tagger = train_tagger([*generated, *corrections])
    after = field_hit_rate(after_tagger, held_out)["full_name"]
    assert before == (0, 8)
    assert after[0] >= 7, after
    extraction = extract_fields("xac_nhan_cu_tru", list(held_out[0].pages), tagger=after_tagger)
    assert "full_name from the learned reader" in extraction.notes
    assert extraction.fields["full_name"].confidence < 0.8 and extraction.fields["full_name"].boxes


def test_the_tagger_does_not_overrule_the_readers(base_tagger):
    """GIVEN a tagger trained on generated documents
    WHEN a generated paper the rules read fully is extracted with and without it
    THEN the fields are the same"""
    tagger = base_tagger
    document = make_document(7, "giay_khai_sinh")
    pages = pages_from_texts(document.texts)
    assert extract_fields("giay_khai_sinh", pages, tagger=tagger).fields == \
        extract_fields("giay_khai_sinh", pages).fields


def _store_corrected(rt, n: int, example: LabelledExample) -> None:
    """A stored document with its OCR words, and a reviewer's correction of its name."""
    row = make_row(n, doc_type=example.doc_type)
    record = OcrDocumentRecord(document_id=row.id, sha256=row.sha256, source_kind="image",
                               pages=list(example.pages))
    rt.store.put(row.ocr_key, record.model_dump_json().encode())
    rt.index.add(row)
    rt.index.record_correction(row.id, "field", "full_name", example.fields["full_name"], "can-bo-mot-cua")


def test_sohoa_model_retrain_learns_from_the_reviewers_and_ingest_uses_it(tmp_path):
    """GIVEN 24 stored papers with a label no reader knows, whose names reviewers corrected
    WHEN `sohoa model retrain` runs
    THEN it prints the held-out corrections' name hit rate before (0 %) and after (most found),
    saves the reader, and a runtime on the same home extracts the name of a new such paper"""
    settings = Settings(home=tmp_path / "home")
    rt = open_runtime(settings, classifier=None)
    for n in range(24):
        _store_corrected(rt, n, _with_unseen_label(500 + n))
    assert rt.field_tagger is None

    result = run_cli(cli_env(settings.home), "model", "retrain", "--documents-per-type", "1")

    assert result.returncode == 0, result.stderr
    figures = re.search(r"full_name\s+before\s+0% \(0/(\d+)\)\s+after\s+(\d+)% \((\d+)/(\d+)\)", result.stdout)
    assert figures, result.stdout
    held_out, after_hits = int(figures.group(1)), int(figures.group(3))
    assert held_out >= 3 and after_hits >= held_out - 1, result.stdout
    tagger = open_runtime(settings, classifier=None).field_tagger
    assert tagger is not None
    new = _with_unseen_label(900)
    extraction = extract_fields("xac_nhan_cu_tru", list(new.pages), tagger=tagger)
    assert extraction.value("full_name") == new.fields["full_name"]
