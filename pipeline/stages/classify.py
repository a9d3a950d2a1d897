"""Document type from OCR text: the caps title line (fuzzy, accent-folded cues from the catalog)
combined with a character n-gram model; below a confidence threshold it abstains (``khac``).

The title decides the type, not the body's topic: a QUYẾT ĐỊNH about a building permit is a
``quyet_dinh``, a TỜ KHAI for a birth registration a ``to_khai``. The model (TF-IDF character
n-grams of accent-folded text + logistic regression, sigmoid-calibrated) is trained on generated
documents passed through an OCR-noise simulator, plus unrelated texts labelled ``khac`` so that it
knows what "none of these" looks like (pipeline/core/training.py builds that training set; this
stage never imports the sample generator). When unsure, leave it unassigned rather than guess.
"""

from __future__ import annotations

import logging
import os
import pickle
import re
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from rapidfuzz import fuzz

from pipeline.stages.classify_model import LinearTextModel
from pipeline.textnorm import fold, squash, upper_ratio
from schemas.catalog import UNKNOWN_TYPE, Catalog, default_catalog

log = logging.getLogger(__name__)

# bump when features, noise or training data (pipeline/core/training.py) or the saved form change
MODEL_VERSION = "classify-2"  # 2: saved as arrays (pipeline/stages/classify_model.py), not scikit-learn objects


@dataclass(frozen=True)
class ClassifySettings:
    # Below this the document is left unassigned (khac, needs_review). Measured with the shipped
    # model (40 documents per type): 540 generated texts at simulated noise 1-3 gave no wrong type
    # above 0.6 and 0.4 % abstentions; 200 unrelated texts all abstained. OCR'd scans: see
    # scripts/eval_classify.py.
    min_confidence: float = 0.6
    # A caps line starting with a catalog cue at this accent-folded similarity counts as the title.
    title_min_similarity: float = 0.8
    # Weight of a perfect title match against the model's probability when they are combined.
    title_weight: float = 0.65
    # Without a title the model alone decides, discounted by this factor.
    no_title_factor: float = 0.9
    title_search_lines: int = 30


@dataclass(frozen=True)
class TitleCue:
    doc_type: str
    cue: str  # as in the catalog
    line: str  # as read
    similarity: float  # 0..1, accent-folded, spaces ignored


@dataclass(frozen=True)
class Classification:
    doc_type: str
    confidence: float
    needs_review: bool
    reason: str
    title: TitleCue | None = None
    candidates: tuple[tuple[str, float], ...] = field(default=())  # best first, before abstaining


# --------------------------------------------------------------------------------------------
# Title cues


@dataclass(frozen=True)
class Cue:
    doc_type: str
    text: str
    key: str  # squashed


def cue_table(catalog: Catalog) -> tuple[Cue, ...]:
    cues = [
        Cue(code, cue, squash(cue))
        for code, spec in catalog.document_types.items()
        for cue in spec.cues
    ]
    return tuple(c for c in cues if len(c.key) >= 5)


_NATIONAL = ("CONGHOAXAHOI", "DOCLAPTUDO", "SOCIALISTREPUBLIC")


def title_similarity(key: str, line_key: str) -> float:
    """How well ``line_key`` starts with ``key`` (junk of up to 3 leading characters allowed)."""
    best = 0.0
    for offset in range(0, 4):
        window = line_key[offset: offset + len(key)]
        if len(window) < 0.7 * len(key):
            break
        best = max(best, fuzz.ratio(key, window) / 100.0)
        if best == 1.0:
            break
    return best


def find_title(text: str, cues: Sequence[Cue], settings: ClassifySettings) -> TitleCue | None:
    """The first caps line (of the first ``title_search_lines``) that starts like a catalog cue."""
    lines = [line.strip() for line in text.splitlines() if line.strip()][: settings.title_search_lines]
    for line in lines:
        letters = sum(ch.isalpha() for ch in line)
        if letters < 4 or upper_ratio(line) < 0.6:
            continue
        key = re.sub(r"^[^A-Z]+", "", squash(line))
        if any(n in key[:24] for n in _NATIONAL):
            continue
        scored = [(round(title_similarity(c.key, key), 2), len(c.key), c) for c in cues]
        sim, _, cue = max(scored, key=lambda s: (s[0], s[1]))
        if sim >= settings.title_min_similarity:
            return TitleCue(cue.doc_type, cue.text, line, sim)
    return None


# --------------------------------------------------------------------------------------------
# The text the classifier reads


def document_text(texts: Sequence[str], max_chars: int = 5000) -> str:
    """The text the classifier reads for a multi-page document: pages joined, long tails cut."""
    return "\n".join(texts)[:max_chars]


# --------------------------------------------------------------------------------------------
# The model


def _features(text: str) -> str:
    return " ".join(fold(text).lower().split())


class TypeClassifier:
    """A trained model and the catalog's title cues; ``classify`` is the stage function."""

    def __init__(self, model, catalog: Catalog | None = None, *, trained_on: int = 0):
        self.model = model
        self.catalog = catalog or default_catalog()
        self.cues = cue_table(self.catalog)
        self.classes: tuple[str, ...] = tuple(str(c) for c in model.classes_)
        self.trained_on = trained_on
        self.version = MODEL_VERSION

    def __getstate__(self):
        return {"model": self.model, "trained_on": self.trained_on, "version": self.version}

    def __setstate__(self, state):
        self.__init__(state["model"], trained_on=state["trained_on"])
        self.version = state["version"]

    def probabilities(self, text: str) -> dict[str, float]:
        probs = self.model.predict_proba([_features(text)])[0]
        return dict(zip(self.classes, (float(p) for p in probs)))

    def classify(self, text: str, settings: ClassifySettings = ClassifySettings()) -> Classification:
        if len(squash(text)) < 20:
            return Classification(UNKNOWN_TYPE, 0.0, True, "too little text to classify")
        probs = self.probabilities(text)
        title = find_title(text, self.cues, settings)
        model_top = max(probs, key=probs.get)
        combined = dict(probs)
        if title is not None:
            strength = max(0.0, min(1.0, (title.similarity - 0.7) / 0.3))
            w = settings.title_weight * strength
            combined = {t: (1 - w) * p for t, p in probs.items()}
            combined[title.doc_type] = combined.get(title.doc_type, 0.0) + w
        else:
            combined = {t: p * settings.no_title_factor for t, p in probs.items()}
        ranked = sorted(combined.items(), key=lambda kv: kv[1], reverse=True)
        best, confidence = ranked[0]
        parts = []
        if title is not None:
            parts.append(f"title {title.cue!r} read as {title.line[:60]!r} ({title.similarity:.2f})")
        else:
            parts.append("no title line matched")
        parts.append(f"model {model_top} {probs[model_top]:.2f}")
        if title is not None and model_top != title.doc_type:
            parts.append(f"model disagrees with the title ({title.doc_type} {probs.get(title.doc_type, 0):.2f})")
        candidates = tuple((str(t), round(float(p), 4)) for t, p in ranked[:3])
        if best == UNKNOWN_TYPE or confidence < settings.min_confidence:
            why = "unrelated text" if best == UNKNOWN_TYPE else f"best {best} {confidence:.2f} < {settings.min_confidence}"
            reason = f"abstained: {why}; " + "; ".join(parts)
            log.info("type left unassigned: %s", reason)
            return Classification(UNKNOWN_TYPE, round(confidence, 4), True, reason, title, candidates)
        reason = "; ".join(parts)
        log.info("type %s (%.2f): %s", best, confidence, reason)
        return Classification(best, round(confidence, 4), False, reason, title, candidates)

    def classify_pages(self, page_texts: Sequence[str], settings: ClassifySettings = ClassifySettings()
                       ) -> Classification:
        return self.classify(document_text(page_texts), settings)


def fit_classifier(pairs: Sequence[tuple[str, str]], catalog: Catalog | None = None) -> TypeClassifier:
    """Fit the model on (text, type) pairs; every type must be one of the catalog's."""
    catalog = catalog or default_catalog()
    unknown = {label for _, label in pairs} - set(catalog.document_types)
    if unknown:
        raise ValueError(f"training labels not in the catalog: {sorted(unknown)}")
    model = fit_pipeline(pairs)
    return TypeClassifier(LinearTextModel(model), catalog, trained_on=len(pairs))


def fit_pipeline(pairs: Sequence[tuple[str, str]]):
    """The scikit-learn pipeline fitted on (text, type) pairs (kept as arrays: LinearTextModel)."""
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    vectoriser = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 4), sublinear_tf=True, min_df=2,
                                 max_features=150_000)
    classifier = CalibratedClassifierCV(LogisticRegression(C=20.0, max_iter=2000), method="sigmoid", cv=3)
    model = make_pipeline(vectoriser, classifier)
    model.fit([_features(t) for t, _ in pairs], [label for _, label in pairs])
    return model


def _stamp() -> dict[str, str]:
    from importlib.metadata import version  # not `import sklearn`: loading a model needs NumPy only

    return {"version": MODEL_VERSION, "sklearn": version("scikit-learn")}


def save_classifier(classifier: TypeClassifier, path: Path) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=path.parent, delete=False, suffix=".tmp") as handle:
        pickle.dump({"stamp": _stamp(), "classifier": classifier}, handle, protocol=pickle.HIGHEST_PROTOCOL)
    os.replace(handle.name, path)


def load_classifier(path: Path) -> TypeClassifier | None:
    """The saved classifier, or None when missing, unreadable or stamped by another version."""
    try:
        with open(path, "rb") as handle:
            saved = pickle.load(handle)
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError) as exc:
        log.info("no usable classifier at %s: %s", path, exc)
        return None
    if not isinstance(saved, dict) or saved.get("stamp") != _stamp():
        log.info("classifier at %s is stale (%s), retraining", path, saved.get("stamp") if isinstance(saved, dict) else "?")
        return None
    return saved["classifier"]


