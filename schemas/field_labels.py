"""The label lexicon (schemas/field_labels.yaml) as validated pydantic models: per field, the kind
of value it holds and every printed form of its label."""

from __future__ import annotations

import unicodedata
from functools import lru_cache
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from schemas.catalog import SCHEMAS_DIR, CatalogError, default_catalog

FIELD_LABELS_PATH = SCHEMAS_DIR / "field_labels.yaml"

ValueKind = Literal["name", "date", "year", "sex", "personal_id", "old_id", "doc_number", "tax_code", "insurance_code"]


class Label(BaseModel):
    """One printed form of a label; ``types`` limits it to some document types (empty = all)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    label: str = Field(min_length=1, description='As printed, e.g. "Họ và tên / Full name"')
    types: tuple[str, ...] = ()
    weight: float = Field(default=1.0, gt=0.0, le=1.0, description="Scales the confidence of what it finds")
    line_start: bool = Field(default=False, description="Only a label where it begins its line (after a "
                                                        "list number such as \"1.\" or \"a)\")")

    @field_validator("label")
    @classmethod
    def _has_letters(cls, value: str) -> str:
        if not any(ch.isalpha() for ch in value):
            raise ValueError(f"label {value!r} has no letters")
        return value.strip()

    def applies_to(self, doc_type: str) -> bool:
        return not self.types or doc_type in self.types


class FieldLabels(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: ValueKind
    labels: tuple[Label, ...] = Field(min_length=1)

    @field_validator("labels", mode="before")
    @classmethod
    def _plain_strings(cls, value):
        return [{"label": v} if isinstance(v, str) else v for v in value]


class LabelLexicon(BaseModel):
    """Every field's labels, the honorifics stripped from names and the labels of non-fields."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    version: int = 1
    honorifics: tuple[str, ...] = ()
    fields: dict[str, FieldLabels]
    subject_ends: dict[str, tuple[str, ...]] = Field(
        default_factory=dict, description="Per document type, phrases after which personal fields are another person's")
    other: tuple[str, ...] = ()

    @model_validator(mode="after")
    def _no_duplicates(self) -> LabelLexicon:
        for name, spec in self.fields.items():
            seen: set[tuple[str, tuple[str, ...]]] = set()
            for label in spec.labels:
                key = (_folded(label.label), label.types)
                if key in seen:
                    raise ValueError(f"field {name}: label {label.label!r} is listed twice")
                seen.add(key)
        return self


def _folded(text: str) -> str:
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return " ".join("".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn").upper().split())


def load_field_labels(path: Path = FIELD_LABELS_PATH, *, check_types: bool = True) -> LabelLexicon:
    """Read and validate the lexicon; raises CatalogError saying what is wrong (a label scoped to
    a document type the catalog does not know is an error)."""
    try:
        lexicon = LabelLexicon(**(yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}))
    except (OSError, yaml.YAMLError, ValueError, TypeError) as exc:
        raise CatalogError(f"invalid label lexicon {path}: {exc}") from exc
    if check_types:
        known = set(default_catalog().document_types)
        for name, spec in lexicon.fields.items():
            for label in spec.labels:
                unknown = set(label.types) - known
                if unknown:
                    raise CatalogError(f"invalid label lexicon {path}: field {name}, label {label.label!r}: "
                                       f"unknown document type(s) {', '.join(sorted(unknown))}")
        for doc_type in lexicon.subject_ends:
            if doc_type not in known:
                raise CatalogError(f"invalid label lexicon {path}: subject_ends: unknown document type {doc_type}")
    return lexicon


@lru_cache(maxsize=1)
def default_field_labels() -> LabelLexicon:
    return load_field_labels()


MODELS: dict[str, type[BaseModel]] = {"label_lexicon": LabelLexicon}
