"""Comparing OCR output with the ground truth: character error rate."""

from __future__ import annotations

from rapidfuzz.distance import Levenshtein

from pipeline.textnorm import nfc


def normalise_text(text: str) -> str:
    return " ".join(nfc(text).split())


def character_error_rate(reference: str, hypothesis: str) -> float:
    """Levenshtein distance / reference length, after NFC and collapsing whitespace runs."""
    ref, hyp = normalise_text(reference), normalise_text(hypothesis)
    if not ref:
        return 0.0 if not hyp else 1.0
    return Levenshtein.distance(ref, hyp) / len(ref)
