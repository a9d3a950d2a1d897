"""Training the document-type classifier: documents from the sample generator passed through an
OCR-noise simulator, unrelated texts labelled ``khac`` so that the model knows what "none of these"
looks like, and the labels reviewers gave. ``load_or_train`` loads the saved model, or trains and
saves one.

The learned field reader (pipeline/stages/extract/learned.py) is trained here too, on generated
documents and on reviewers' field corrections as labelled word lists.

The classify stage (pipeline/stages/classify.py) only classifies and never imports the generator;
this module is where the product uses pipeline.samples.
"""

from __future__ import annotations

import logging
import random
import time
import unicodedata
from collections.abc import Iterable
from pathlib import Path

from pipeline.samples import DOC_TYPES, make_document
from pipeline.stages.classify import (
    TypeClassifier,
    document_text,
    fit_classifier,
    load_classifier,
    save_classifier,
)
from pipeline.stages.extract import extract_fields, pages_from_texts
from pipeline.stages.extract.learned import FieldTagger, LabelledExample, train_tagger
from pipeline.textnorm import fold
from schemas.catalog import UNKNOWN_TYPE, Catalog

log = logging.getLogger(__name__)

TRAINING_SEED_BASE = 7_000_000  # training documents use seeds from here; tests and evaluation stay below


# --------------------------------------------------------------------------------------------
# OCR noise and unrelated texts

_CONFUSIONS = {
    "0": "O", "O": "0", "1": "l", "l": "1", "I": "l", "5": "S", "8": "B", "m": "rn", "rn": "m", "e": "c",
    "c": "e", "n": "ri", "h": "b", "u": "ư", "ư": "u", "o": "ơ", "ơ": "o", "a": "ă", "ă": "a", "â": "a",
    "đ": "d", "Đ": "D", "y": "v", "g": "q", ",": ".", ".": ",", ":": ";", "/": "1", "-": "~",
}  # fmt: skip
_MARKS = ("\u0300", "\u0301", "\u0303", "\u0309", "\u0323")


def _flip_diacritic(ch: str, rng: random.Random) -> str:
    base = unicodedata.normalize("NFD", ch)
    stripped = "".join(c for c in base if c not in _MARKS)
    if rng.random() < 0.5:
        return unicodedata.normalize("NFC", stripped)
    return unicodedata.normalize("NFC", stripped + rng.choice(_MARKS))


def simulate_ocr_noise(text: str, seed: int, level: float = 1.0) -> str:
    """What Tesseract might make of ``text``: lost or wrong diacritics, confused characters,
    broken and merged words, dropped and merged lines, junk before a skewed line. Seeded."""
    rng = random.Random(seed)
    if level <= 0:
        return text
    lines = text.splitlines()
    whole_fold = rng.random() < 0.08 * level
    out_lines: list[str] = []
    for index, line in enumerate(lines):
        if rng.random() < 0.03 * level and index > 2:
            continue  # dropped line
        if rng.random() < 0.06 * level and out_lines and index < 8:
            out_lines[-1] = out_lines[-1] + " " + line  # header columns read as one line
            continue
        chars: list[str] = []
        p_diac, p_conf = 0.04 * level, 0.015 * level
        for ch in line:
            r = rng.random()
            if ch.isalpha() and r < p_diac:
                chars.append(_flip_diacritic(ch, rng))
            elif r < p_diac + p_conf and ch in _CONFUSIONS:
                chars.append(_CONFUSIONS[ch])
            elif ch == " " and r < p_diac + p_conf + 0.02 * level:
                continue  # merged words
            elif ch.isalpha() and r < p_diac + p_conf + 0.03 * level:
                chars.append(ch + " ")  # broken word
            elif r < p_diac + p_conf + 0.034 * level:
                continue  # lost character
            else:
                chars.append(ch)
        noisy = "".join(chars)
        if rng.random() < 0.03 * level:
            noisy = rng.choice(["' ", ". ", "- ", "“", "_ "]) + noisy  # skew speckle before the line
        out_lines.append(noisy)
    result = "\n".join(out_lines)
    return fold(result) if whole_fold else result


_MENU = ["Phở bò tái", "Bún chả Hà Nội", "Cơm tấm sườn bì chả", "Bánh mì thịt nướng", "Gỏi cuốn tôm thịt",
         "Cà phê sữa đá", "Trà đá", "Sinh tố bơ", "Nước mía", "Bún bò Huế", "Hủ tiếu Nam Vang",
         "Lẩu thái hải sản", "Chè ba màu", "Nem rán", "Bánh xèo", "Mì Quảng", "Cơm gà xối mỡ"]
_NEWS = ["Giá vàng hôm nay tăng mạnh trên thị trường thế giới", "Đội tuyển bóng đá giành chiến thắng",
         "Thời tiết các tỉnh phía Bắc chuyển lạnh, có mưa rải rác", "Hướng dẫn nấu ăn ngon cho gia đình",
         "Khuyến mãi lớn cuối tuần tại siêu thị", "Lịch chiếu phim tại rạp tuần này",
         "Học sinh chuẩn bị bước vào kỳ thi tốt nghiệp", "Giao thông ùn tắc vào giờ cao điểm",
         "Thông báo lịch họp phụ huynh học sinh", "Cửa hàng điện thoại giảm giá", "Chúc mừng sinh nhật",
         "The quick brown fox jumps over the lazy dog", "Invoice total amount due on receipt",
         "Meeting notes: agenda, action items and next steps", "Danh sách hàng hóa nhập kho tháng này"]
_WORDS = ["nhà", "cửa", "đường", "ngày", "người", "năm", "việc", "làm", "học", "ăn", "uống", "đi", "về",
          "tốt", "đẹp", "mới", "cũ", "lớn", "nhỏ", "bạn", "tôi", "chúng", "ta", "hàng", "giá", "tiền", "xe",
          "máy", "điện", "nước", "cây", "hoa", "trời", "mưa", "nắng", "sông", "biển", "phố", "chợ", "quán"]


def unrelated_text(seed: int) -> str:
    """Text that is none of the catalog's types: menus, notices, chatter, scanner garbage."""
    rng = random.Random(seed)
    kind = rng.randrange(5)
    if kind == 0:
        name = rng.choice(["QUÁN", "NHÀ HÀNG", "CÀ PHÊ", "TIỆM"]) + " " + rng.choice(["HƯƠNG QUÊ", "BÌNH MINH", "PHỐ CŨ"])
        items = [f"{rng.choice(_MENU)} ..... {rng.randrange(15, 120)}.000đ" for _ in range(rng.randrange(5, 18))]
        return "\n".join([name, "THỰC ĐƠN" if rng.random() < 0.5 else "MENU", *items])
    if kind == 1:
        return "\n".join(rng.choice(_NEWS) + "." for _ in range(rng.randrange(3, 15)))
    if kind == 2:
        return "\n".join(" ".join(rng.choice(_WORDS) for _ in range(rng.randrange(4, 14)))
                         for _ in range(rng.randrange(3, 25)))
    if kind == 3:
        alphabet = "abcdefghijklmnopqrstuvwxyzăâđêôơư0123456789.,:;'-/|!"
        return "\n".join("".join(rng.choice(alphabet + "     ") for _ in range(rng.randrange(5, 70)))
                         for _ in range(rng.randrange(1, 20)))
    words = rng.sample(_WORDS, 6)
    return "\n".join([rng.choice(["THÔNG BÁO", "GIẤY MỜI", "BIÊN BẢN", "HÓA ĐƠN", "PHIẾU THU", "HỢP ĐỒNG"]),
                      *(" ".join(rng.sample(words, 4)) for _ in range(rng.randrange(3, 12)))])


# --------------------------------------------------------------------------------------------
# The training set and the model

def generated_training_set(documents_per_type: int, *, seed: int = 0, negatives: int | None = None
                           ) -> list[tuple[str, str]]:
    """(noisy text, type) pairs from pipeline.samples, plus unrelated texts labelled khac."""
    rng = random.Random(seed)
    pairs: list[tuple[str, str]] = []
    for t_index, doc_type in enumerate(DOC_TYPES):
        for i in range(documents_per_type):
            doc_seed = TRAINING_SEED_BASE + seed * 100_000 + t_index * 5_000 + i
            doc = make_document(doc_seed, doc_type)
            texts = doc.texts if rng.random() < 0.7 else doc.texts[:1]
            level = rng.choice([0.0, 0.5, 1.0, 1.5, 2.5])
            pairs.append((simulate_ocr_noise(document_text(texts), doc_seed, level), doc_type))
    for i in range(negatives if negatives is not None else max(documents_per_type * 2, 20)):
        text = unrelated_text(TRAINING_SEED_BASE + seed * 100_000 + 90_000 + i)
        pairs.append((simulate_ocr_noise(text, i, rng.choice([0.0, 1.0])), UNKNOWN_TYPE))
    return pairs


def train_classifier(
    samples: Iterable[tuple[str, str]] | None = None,
    *,
    seed: int = 0,
    documents_per_type: int = 40,
    corrections: Iterable[tuple[str, str]] = (),
    catalog: Catalog | None = None,
) -> TypeClassifier:
    """Fit the model on ``samples`` (text, type) — by default generated noisy documents of every
    type and unrelated texts — plus ``corrections`` (labels reviewers gave)."""
    started = time.perf_counter()
    pairs = list(samples) if samples is not None else generated_training_set(documents_per_type, seed=seed)
    pairs += list(corrections)
    classifier = fit_classifier(pairs, catalog)
    log.info("type classifier trained on %d texts in %.1f s", len(pairs), time.perf_counter() - started)
    return classifier


def load_or_train(path: Path, *, seed: int = 0, documents_per_type: int = 40,
                  corrections: Iterable[tuple[str, str]] = ()) -> TypeClassifier:
    """Load the model saved at ``path`` (only files we wrote: pickle); train and save it when it
    is missing or stale. Corrections are only used when training."""
    classifier = load_classifier(path)
    if classifier is None:
        classifier = train_classifier(seed=seed, documents_per_type=documents_per_type, corrections=corrections)
        save_classifier(classifier, path)
    return classifier


# --------------------------------------------------------------------------------------------
# The learned field reader


def generated_field_examples(documents_per_type: int, *, seed: int = 0) -> list[LabelledExample]:
    """Generated documents of every type and template as labelled word lists (12-pt grid boxes)."""
    examples = []
    for t_index, doc_type in enumerate(DOC_TYPES):
        for i in range(documents_per_type):
            document = make_document(TRAINING_SEED_BASE + seed * 100_000 + 50_000 + t_index * 5_000 + i, doc_type)
            examples.append(LabelledExample(tuple(pages_from_texts(document.texts)), doc_type, document.fields))
    return examples


def train_field_tagger(*, documents_per_type: int = 4, seed: int = 0,
                       corrections: Iterable[LabelledExample] = ()) -> FieldTagger:
    """The token classifier from generated documents plus reviewers' corrections."""
    started = time.perf_counter()
    corrections = list(corrections)
    tagger = train_tagger([*generated_field_examples(documents_per_type, seed=seed), *corrections])
    log.info("field tagger trained on %d generated documents per type and %d corrections in %.1f s",
             documents_per_type, len(corrections), time.perf_counter() - started)
    return tagger


def field_hit_rate(tagger: FieldTagger | None, examples: Iterable[LabelledExample]) -> dict[str, tuple[int, int]]:
    """Per field, (exact, total) of the corrected values extract_fields finds with ``tagger``:
    the before/after figure of a retraining on held-out corrections."""
    scores: dict[str, list[int]] = {}
    for example in examples:
        extraction = extract_fields(example.doc_type, list(example.pages), tagger=tagger)
        for name, value in example.fields.items():
            score = scores.setdefault(name, [0, 0])
            score[0] += int(extraction.value(name) == value)
            score[1] += 1
    return {name: (hit, total) for name, (hit, total) in scores.items()}
