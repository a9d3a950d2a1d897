"""The learned field reader beside the rules: trained on generated documents, it learns a label
variant none of the rules or the lexicon know from reviewers' corrections."""

from __future__ import annotations

import pytest

from pipeline.core.training import field_hit_rate, generated_field_examples, train_field_tagger
from pipeline.samples import make_document
from pipeline.stages.extract import extract_fields, pages_from_texts
from pipeline.stages.extract.learned import LabelledExample, train_tagger

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
