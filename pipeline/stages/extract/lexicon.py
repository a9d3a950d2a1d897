"""The label lexicon (schemas/field_labels.yaml) compiled to patterns over accent-folded, lower-case
OCR lines: words of a label may be separated by spaces, commas or dots or run together, a
bilingual label matches either half or both, and a colon after it is noted."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from pipeline.textnorm import fold
from schemas.field_labels import LabelLexicon, default_field_labels

OTHER = "_other"  # the field name of labels that only end a value


@dataclass(frozen=True)
class CompiledLabel:
    field: str
    kind: str
    label: str
    weight: float
    types: tuple[str, ...]
    pattern: re.Pattern[str]
    line_start: bool = False


def folded_lower(text: str) -> str:
    return fold(text).lower()


def _half_pattern(half: str) -> str:
    words = re.findall(r"[a-z0-9]+", folded_lower(half))
    return r"[\s,.]*".join(re.escape(w) for w in words)


_LINE_START = r"^\s*(?:[0-9ivx]{1,4}[.)]|[a-z][)]|[-*+])?\s*"


def label_pattern(label: str, *, line_start: bool = False) -> re.Pattern[str]:
    """The pattern of one printed label: "Họ và tên / Full name" matches "ho va ten / full name:",
    "HO VA TEN:", "full name" and "hovaten"; group ``colon`` is set when a colon follows."""
    halves = [h for h in (_half_pattern(p) for p in label.split("/")) if h]
    if len(halves) == 2:
        body = rf"(?:{halves[0]}(?:\s*[/|\[\]]\s*{halves[1]})?|{halves[1]})"  # OCR reads "/" as | or [
    else:
        body = r"\s*/?\s*".join(halves)  # "Ông/Bà": one label
    lead = _LINE_START if line_start else r"(?<![a-z0-9])"
    return re.compile(rf"{lead}{body}(?![a-z0-9])\.?(?P<colon>\s*:)?")


def compile_lexicon(lexicon: LabelLexicon) -> tuple[CompiledLabel, ...]:
    out = []
    for name, spec in lexicon.fields.items():
        for entry in spec.labels:
            out.append(CompiledLabel(name, spec.kind, entry.label, entry.weight, entry.types,
                                     label_pattern(entry.label, line_start=entry.line_start), entry.line_start))
    for label in lexicon.other:
        out.append(CompiledLabel(OTHER, "", label, 1.0, (), label_pattern(label)))
    return tuple(out)


@lru_cache(maxsize=1)
def default_labels() -> tuple[CompiledLabel, ...]:
    return compile_lexicon(default_field_labels())


@lru_cache(maxsize=1)
def honorific_pattern() -> re.Pattern[str]:
    """Honorifics at the start of a name ("Ông (Bà): ", "bà "), on folded lower-case text."""
    forms = sorted((folded_lower(h) for h in default_field_labels().honorifics), key=len, reverse=True)
    alternatives = "|".join(r"\s*".join(re.escape(part) for part in re.findall(r"\S", f)) if "(" in f or "/" in f
                            else re.escape(f).replace(r"\ ", r"\s+") for f in forms)
    return re.compile(rf"^(?:{alternatives})(?![a-z0-9])\s*[:.]?\s*")


def labels_for(doc_type: str, labels: tuple[CompiledLabel, ...] | None = None) -> tuple[CompiledLabel, ...]:
    return tuple(c for c in (labels or default_labels()) if not c.types or doc_type in c.types)
