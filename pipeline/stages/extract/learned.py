"""A learned field reader beside the rules: a token classifier over OCR words with layout features
(the word's shape, its neighbours, the words before the colon on its line, the line above when
that ends in a colon, its column), trained on labelled documents — generated papers of every
template, and the corrections reviewers made (the words and boxes of a paper with the field's
right value). A run of words tagged with one field is read by that field's value reader, so what
the model proposes is validated like any other value; its confidence is the model's probability
scaled below the rules' (it fills gaps, it does not overrule them).
"""

from __future__ import annotations

import logging
import os
import pickle
import re
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from pipeline.stages.extract.layout import READERS, Found, Line, document_lines, found_value
from pipeline.textnorm import fold_upper
from schemas.models import OcrPageRecord

log = logging.getLogger(__name__)

LEARNED_FIELDS = {"full_name": "name", "date_of_birth": "date", "owner_id": "personal_id",
                  "doc_number": "doc_number", "issue_date": "date", "valid_until": "date"}
OUTSIDE = "O"
CONFIDENCE_SCALE = 0.75  # a learned value is always below a labelled one (0.8-0.9)


@dataclass(frozen=True)
class LabelledExample:
    """One document's words and boxes with the right values of its fields (generated, or a
    reviewer's correction)."""

    pages: tuple[OcrPageRecord, ...]
    doc_type: str
    fields: dict[str, str]


def _bare(word: str) -> str:
    return fold_upper(word).strip(",;:.()")


def _shape(word: str) -> str:
    shape = re.sub(r"[^\W\d_]", lambda m: "X" if m.group().isupper() else "x", word)
    return re.sub(r"(.)\1+", r"\1\1", re.sub(r"\d", "d", shape))[:8]


def _label_left(line: Line, index: int) -> str:
    """The last three words before the colon that precedes word ``index`` on its line."""
    words = [w.text for w in line.words[:index]]
    for n in range(len(words) - 1, -1, -1):
        if words[n].endswith(":"):
            return " ".join(_bare(w) for w in words[max(0, n - 2): n + 1])
    return ""


def line_features(line: Line, above: Line | None, doc_type: str) -> list[dict[str, object]]:
    above_label = " ".join(_bare(w.text) for w in above.words[-3:]) if above and above.text.endswith(":") else ""
    out = []
    for i, word in enumerate(line.words):
        bare = _bare(word.text)
        left = _label_left(line, i)
        features: dict[str, object] = {
            "w=" + bare: 1, "shape=" + _shape(word.text): 1, "caps": float(word.text.isupper()),
            "title": float(word.text[:1].isupper()), "digit": float(any(c.isdigit() for c in word.text)),
            "p1=" + (_bare(line.words[i - 1].text) if i else "<s>"): 1,
            "p2=" + (_bare(line.words[i - 2].text) if i > 1 else "<s>"): 1,
            "n1=" + (_bare(line.words[i + 1].text) if i + 1 < len(line.words) else "</s>"): 1,
            "type=" + doc_type: 1, "first": float(i == 0),
        }
        if left:
            features["left=" + left] = 1
            features["left_last=" + left.split()[-1]] = 1
        elif above_label and not any(w.text.endswith(":") for w in line.words[:i]):
            features["above=" + above_label] = 1
        if word.bbox is not None:
            features["col=" + ("L" if word.bbox[0] < 300 else "R")] = 1
        out.append(features)
    return out


def _value_forms(name: str, value: str) -> list[list[str]]:
    """How a field's value is printed, as word sequences (folded upper)."""
    if LEARNED_FIELDS[name] == "date":
        y, m, d = value.split("-")
        return [[f"{d}/{m}/{y}"], [f"{int(d)}/{int(m)}/{y}"], ["NGAY", d, "THANG", m, "NAM", y]]
    return [[_bare(w) for w in value.split()]]


def word_tags(lines: Sequence[Line], fields: dict[str, str]) -> list[list[str]]:
    """Per line, per word: the field whose value those words print, else O."""
    tags = [[OUTSIDE] * len(line.words) for line in lines]
    for name, value in fields.items():
        if name not in LEARNED_FIELDS or not value:
            continue
        forms = _value_forms(name, value)
        for n, line in enumerate(lines):
            bare = [_bare(w.text) for w in line.words]
            for form in forms:
                for i in range(len(bare) - len(form) + 1):
                    if bare[i:i + len(form)] == form and all(t == OUTSIDE for t in tags[n][i:i + len(form)]):
                        tags[n][i:i + len(form)] = [name] * len(form)
    return tags


def _with_above(lines: Sequence[Line]) -> Iterable[tuple[Line, Line | None]]:
    for n, line in enumerate(lines):
        above = lines[n - 1] if n and lines[n - 1].page == line.page else None
        yield line, above


@dataclass
class FieldTagger:
    vectorizer: object
    model: object

    def read(self, pages: Sequence[OcrPageRecord], doc_type: str) -> dict[str, list[Found]]:
        """The values the model tags, validated by the field's reader, best first."""
        found: dict[str, list[Found]] = {}
        lines = document_lines(pages)
        rows = [(line, feats) for line, above in _with_above(lines) for feats in [line_features(line, above, doc_type)]]
        flat = [f for _line, feats in rows for f in feats]
        if not flat:
            return found
        probabilities = self.model.predict_proba(_int32(self.vectorizer.transform(flat)))
        classes = list(self.model.classes_)
        at = 0
        for line, feats in rows:
            probs = probabilities[at: at + len(feats)]
            at += len(feats)
            for name, start, end, p in _runs(line, probs, classes):
                value = READERS[LEARNED_FIELDS[name]](line, start, end)
                if value:
                    found.setdefault(name, []).append(found_value(name, value, line, p * CONFIDENCE_SCALE, "learned", ""))
        for values in found.values():
            values.sort(key=lambda f: -f.confidence)
        return found


def _runs(line: Line, probs, classes: list[str]) -> Iterable[tuple[str, int, int, float]]:
    """Runs of words tagged with one field (probability over 0.5): (field, start, end, mean p)."""
    current: tuple[str, int, list[float]] | None = None
    for i, row in enumerate(list(probs) + [None]):
        tag, p = (OUTSIDE, 0.0) if row is None else (classes[int(row.argmax())], float(row.max()))
        if current and (tag != current[0] or p < 0.5):
            name, first, ps = current
            yield name, line.offsets[first][0], line.offsets[i - 1][1], sum(ps) / len(ps)
            current = None
        if tag != OUTSIDE and p >= 0.5:
            current = (tag, current[1], current[2] + [p]) if current else (tag, i, [p])


def _int32(matrix):
    """The linear models take 32-bit sparse indices only (DictVectorizer may give 64-bit)."""
    matrix = matrix.tocsr()
    matrix.indices = matrix.indices.astype("int32")
    matrix.indptr = matrix.indptr.astype("int32")
    return matrix


def train_tagger(examples: Iterable[LabelledExample]) -> FieldTagger:
    """Fit the token classifier on labelled documents."""
    from sklearn.feature_extraction import DictVectorizer
    from sklearn.linear_model import SGDClassifier

    features, labels = [], []
    for example in examples:
        lines = document_lines(example.pages)
        tags = word_tags(lines, example.fields)
        for (line, above), line_tags in zip(_with_above(lines), tags):
            features += line_features(line, above, example.doc_type)
            labels += line_tags
    vectorizer = DictVectorizer()
    model = SGDClassifier(loss="log_loss", alpha=1e-4, max_iter=30, tol=None, random_state=0)
    model.fit(_int32(vectorizer.fit_transform(features)), labels)
    return FieldTagger(vectorizer, model)


def save_tagger(tagger: FieldTagger, path: Path) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=path.parent, delete=False, suffix=".tmp") as handle:
        pickle.dump({"kind": "field-tagger", "tagger": tagger}, handle, protocol=pickle.HIGHEST_PROTOCOL)
    os.replace(handle.name, path)


def load_tagger(path: Path) -> FieldTagger | None:
    """The saved field tagger, or None when there is none (or it cannot be read)."""
    try:
        with open(path, "rb") as handle:
            saved = pickle.load(handle)
    except FileNotFoundError:
        return None
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError) as exc:
        log.warning("field tagger at %s unreadable, not used: %s", path, exc)
        return None
    return saved.get("tagger") if isinstance(saved, dict) and saved.get("kind") == "field-tagger" else None
