"""The classifier's fitted model as plain arrays, so that classifying needs NumPy only.

scikit-learn fits the model (``fit_classifier``); importing it costs about 1.4 CPU-seconds, which
every process that classifies paid once (each `sohoa ingest`, each worker process, the API). The
fitted pipeline — TF-IDF over character n-grams within word boundaries, then a sigmoid-calibrated
logistic regression per cross-validation fold — is copied here into its vocabulary, IDF weights,
coefficients and calibration constants, and ``predict_proba`` repeats scikit-learn's arithmetic
(tests/test_classify.py checks the two agree).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

_WHITE_SPACES = re.compile(r"\s\s+")  # TfidfVectorizer's own


@dataclass(frozen=True)
class _Fold:
    """One calibrated classifier: decision = X·coefᵀ + intercept, p = 1 / (1 + exp(a·d + b))."""

    class_columns: np.ndarray  # where each of the fold estimator's classes sits in ``classes_``
    coef: np.ndarray
    intercept: np.ndarray
    a: np.ndarray
    b: np.ndarray


class LinearTextModel:
    """A fitted `TfidfVectorizer(analyzer="char_wb") → CalibratedClassifierCV(LogisticRegression,
    method="sigmoid")` pipeline, predicting without scikit-learn."""

    def __init__(self, pipeline):
        vectoriser, calibrated = pipeline.steps[0][1], pipeline.steps[-1][1]
        if (vectoriser.analyzer != "char_wb" or not vectoriser.lowercase or vectoriser.strip_accents
                or vectoriser.binary or not vectoriser.use_idf or vectoriser.norm != "l2"
                or calibrated.method != "sigmoid" or len(calibrated.classes_) < 3):
            raise ValueError("only a char_wb TF-IDF with sigmoid calibration over 3+ classes is supported")
        self.classes_ = np.asarray(calibrated.classes_)
        self.ngram_range: tuple[int, int] = tuple(vectoriser.ngram_range)
        self.sublinear_tf = bool(vectoriser.sublinear_tf)
        self.vocabulary = {str(term): int(column) for term, column in vectoriser.vocabulary_.items()}
        self.idf = np.asarray(vectoriser.idf_, dtype=np.float64)
        position = {label: i for i, label in enumerate(self.classes_)}
        self.folds = tuple(
            _Fold(
                class_columns=np.array([position[label] for label in fold.estimator.classes_]),
                coef=np.asarray(fold.estimator.coef_, dtype=np.float64),
                intercept=np.asarray(fold.estimator.intercept_, dtype=np.float64),
                a=np.array([c.a_ for c in fold.calibrators], dtype=np.float64),
                b=np.array([c.b_ for c in fold.calibrators], dtype=np.float64),
            )
            for fold in calibrated.calibrated_classifiers_
        )

    def _ngrams(self, text: str) -> list[str]:
        low, high = self.ngram_range
        grams: list[str] = []
        for word in _WHITE_SPACES.sub(" ", text.lower()).split():
            word = f" {word} "
            for n in range(low, high + 1):
                offset = 0
                grams.append(word[offset:offset + n])
                while offset + n < len(word):
                    offset += 1
                    grams.append(word[offset:offset + n])
                if offset == 0:  # a word shorter than n counts once
                    break
        return grams

    def _tfidf(self, text: str) -> np.ndarray:
        row = np.zeros(len(self.idf))
        counts = Counter(self.vocabulary[g] for g in self._ngrams(text) if g in self.vocabulary)
        if counts:
            columns = np.fromiter(counts.keys(), dtype=np.intp, count=len(counts))
            values = np.fromiter(counts.values(), dtype=np.float64, count=len(counts))
            if self.sublinear_tf:
                values = np.log(values) + 1
            row[columns] = values * self.idf[columns]
            norm = np.sqrt(np.dot(row, row))
            if norm > 0:
                row /= norm
        return row

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        features = np.vstack([self._tfidf(text) for text in texts])
        mean = np.zeros((len(texts), len(self.classes_)))
        for fold in self.folds:
            decision = features @ fold.coef.T + fold.intercept
            proba = np.zeros_like(mean)
            proba[:, fold.class_columns] = 1.0 / (1.0 + np.exp(fold.a * decision + fold.b))
            total = proba.sum(axis=1)[:, np.newaxis]
            proba = np.divide(proba, total, out=np.full_like(proba, 1 / len(self.classes_)), where=total != 0)
            proba[(1.0 < proba) & (proba <= 1.0 + 1e-5)] = 1.0
            mean += proba
        return mean / len(self.folds)
