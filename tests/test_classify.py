"""Document type from OCR text: title cue + character n-gram model, abstaining when unsure."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.core.training import generated_training_set, simulate_ocr_noise, train_classifier, unrelated_text
from pipeline.stages.classify import (
    ClassifySettings,
    TypeClassifier,
    cue_table,
    document_text,
    find_title,
    fit_pipeline,
    load_classifier,
    save_classifier,
)
from pipeline.stages.classify_model import LinearTextModel
from pipeline.samples import DOC_TYPES, make_document
from pipeline.textnorm import fold
from schemas.catalog import default_catalog

SETTINGS = ClassifySettings()


@pytest.fixture(scope="module")
def fitted():
    """The scikit-learn pipeline fitted as `train_classifier` fits it, and the classifier made of
    it. A small training set keeps the suite fast; the shipped model uses 40 documents per type."""
    pipeline = fit_pipeline(generated_training_set(14, seed=3))
    return pipeline, TypeClassifier(LinearTextModel(pipeline))


@pytest.fixture(scope="module")
def classifier(fitted) -> TypeClassifier:
    return fitted[1]


def _noisy(doc_type: str, seed: int, level: float = 1.5) -> str:
    return simulate_ocr_noise(document_text(make_document(seed, doc_type).texts), seed + 17, level)


def test_noisy_documents_of_every_type_are_recognised(classifier):
    """GIVEN 8 documents of each of the 12 types, unseen in training, with heavy simulated OCR noise
    WHEN classified
    THEN at least 95 % get their type and none is confidently wrong"""
    results = [(t, classifier.classify(_noisy(t, seed), SETTINGS)) for t in DOC_TYPES for seed in range(8)]
    right = sum(r.doc_type == t for t, r in results)
    wrong = [(t, r.doc_type, r.reason) for t, r in results if r.doc_type not in (t, "khac")]
    assert right / len(results) >= 0.95
    assert wrong == []


def test_text_without_any_accents_is_recognised(classifier):
    """GIVEN a birth certificate whose OCR lost every diacritic (đ read as d too)
    WHEN classified
    THEN it is a giay_khai_sinh, decided by the title line"""
    text = fold(document_text(make_document(5, "giay_khai_sinh").texts))
    result = classifier.classify(text, SETTINGS)
    assert result.doc_type == "giay_khai_sinh" and not result.needs_review
    assert "GIẤY KHAI SINH" in result.reason


@pytest.mark.parametrize("text", [
    "QUÁN PHỞ HƯƠNG QUÊ\nTHỰC ĐƠN\nPhở bò tái ..... 45.000đ\nBún chả Hà Nội ..... 40.000đ\n"
    "Cà phê sữa đá ..... 25.000đ\nTrà đá ..... 5.000đ\nChè ba màu ..... 20.000đ",
    "x7 ;;q a/ |l !! 0o0 ,,, zz\nqwe rty 88 uio\n---- ...",
    "The quick brown fox jumps over the lazy dog. Meeting notes and action items for next week.",
    "NHÀ HÀNG SEN VÀNG\nMón khai vị\nSúp cua gà ..... 55.000đ\nNộm hoa chuối ..... 60.000đ\n"
    "Món chính\nCá kho tộ ..... 120.000đ\nRau muống xào tỏi ..... 45.000đ\nCảm ơn quý khách!",
    "Sáng nay, hàng nghìn người dân đã đổ về bờ hồ để xem pháo hoa mừng năm mới. Lực lượng chức năng "
    "bố trí nhiều chốt giao thông để bảo đảm an toàn cho người đi bộ.",
    "",
])
def test_unrelated_text_is_left_unassigned(classifier, text):
    """GIVEN restaurant menus, scanner garbage, English prose, a news paragraph or nothing
    WHEN classified
    THEN it abstains: type khac, needs review"""
    result = classifier.classify(text, SETTINGS)
    assert result.doc_type == "khac"
    assert result.needs_review


def test_unrelated_texts_are_never_confidently_typed(classifier):
    """GIVEN 40 generated unrelated texts with seeds not used in training
    WHEN classified
    THEN none is given a catalog type"""
    typed = [r for r in (classifier.classify(unrelated_text(123_456 + i), SETTINGS) for i in range(40))
             if not r.needs_review]
    assert typed == []


def test_title_decides_over_body_topic(classifier):
    """GIVEN a QUYẾT ĐỊNH granting a building permit and a TỜ KHAI for a birth registration
    WHEN classified
    THEN they are a quyet_dinh and a to_khai, not a permit or a birth certificate"""
    for seed in range(40):
        document = make_document(seed, "quyet_dinh")
        if document.template == "quyet_dinh/cap_phep":
            break
    result = classifier.classify(document_text(document.texts), SETTINGS)
    assert result.doc_type == "quyet_dinh" and result.title.cue == "QUYẾT ĐỊNH"
    for seed in range(40):
        document = make_document(seed, "to_khai")
        if document.template == "to_khai/khai_sinh":
            break
    result = classifier.classify(document_text(document.texts), SETTINGS)
    assert result.doc_type == "to_khai"


def test_merged_header_line_is_not_taken_for_the_title():
    """GIVEN OCR text whose two header columns were merged into one line, then a skewed title
    WHEN the title line is looked for
    THEN the merged header is skipped and the title found despite junk and a lost accent"""
    text = ("ỦY BAN NHÂN DÂN PHƯỜNG PHƯỚC BÌNH CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\n"
            "Số: 45/QĐ-UBND Độc lập - Tự do - Hạnh phúc\n"
            "' QUYET ĐINH\nVề việc cấp giấy phép xây dựng nhà ở riêng lẻ")
    title = find_title(text, cue_table(default_catalog()), SETTINGS)
    assert title is not None and title.doc_type == "quyet_dinh"
    assert title.similarity >= 0.9


def test_conflicting_weak_evidence_needs_review(classifier):
    """GIVEN a body of a birth certificate under a title that only faintly resembles a cue
    WHEN classified with a strict threshold
    THEN it is left for review and the reason names the model's view"""
    text = "GIAY KHAl SlNH\n" + "\n".join(make_document(2, "giay_khai_sinh").texts[0].splitlines()[4:8])
    result = classifier.classify(text, ClassifySettings(min_confidence=0.99))
    assert result.needs_review and result.doc_type == "khac"
    assert "model" in result.reason


def test_noise_simulator_is_seeded():
    """GIVEN the same text and seed twice, and another seed
    WHEN noise is simulated
    THEN the same seed gives the same text and another seed a different one"""
    text = document_text(make_document(1, "can_cuoc").texts)
    assert simulate_ocr_noise(text, 4) == simulate_ocr_noise(text, 4)
    assert simulate_ocr_noise(text, 4) != simulate_ocr_noise(text, 5)
    assert simulate_ocr_noise(text, 4, level=0) == text


def test_saved_classifier_loads_and_stale_one_is_refused(classifier, tmp_path: Path):
    """GIVEN a classifier saved to disk, and a file stamped by another version
    WHEN loaded
    THEN the first classifies like the original and the stale one is refused (None: retrain)"""
    path = tmp_path / "model.pkl"
    save_classifier(classifier, path)
    loaded = load_classifier(path)
    text = _noisy("can_cuoc", 2)
    assert loaded.classify(text, SETTINGS) == classifier.classify(text, SETTINGS)
    import pickle

    path.write_bytes(pickle.dumps({"stamp": {"version": "classify-0"}, "classifier": None}))
    assert load_classifier(path) is None
    assert load_classifier(tmp_path / "missing.pkl") is None


def test_corrections_teach_a_label(classifier):
    """GIVEN reviewers' corrections labelling an unusual text
    WHEN the classifier is trained with them
    THEN it is trained on them too (the labels must be catalog types)"""
    with pytest.raises(ValueError, match="not in the catalog"):
        train_classifier([("text", "giay_khong_ton_tai")])


def test_the_saved_arrays_predict_what_scikit_learn_predicts(fitted, tmp_path: Path):
    """GIVEN the scikit-learn pipeline fitted on a generated training set, and the arrays the
    classifier keeps of it (so that classifying does not import scikit-learn)
    WHEN both predict noisy documents of every type, unrelated texts, unseen words and no text
    THEN the probabilities agree for every class, and loading a saved classifier imports no
    scikit-learn"""
    import subprocess
    import sys

    import numpy as np

    pipeline, classifier = fitted
    texts = [_noisy(t, 90 + n, level) for n, t in enumerate(DOC_TYPES) for level in (0.5, 3.0)]
    texts += [unrelated_text(5), "qqqq zzzz xyzzy", "", "  Đ  ", "a"]
    features = [" ".join(fold(text).lower().split()) for text in texts]
    assert list(classifier.model.classes_) == list(pipeline.classes_)
    assert np.allclose(classifier.model.predict_proba(features), pipeline.predict_proba(features),
                       rtol=0, atol=1e-9)

    path = tmp_path / "arrays-only.pkl"
    save_classifier(classifier, path)
    loads = ("import sys; from pipeline.stages.classify import load_classifier; "
             f"assert load_classifier({str(path)!r}) is not None; print('sklearn' in sys.modules)")
    imported = subprocess.run([sys.executable, "-c", loads], capture_output=True, text=True)
    assert imported.stdout.strip() == "False", imported.stderr
