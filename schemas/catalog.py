"""The document-type and procedure catalogs (YAML data) as validated pydantic models, plus the
records classification and extraction produce for a document and a dossier."""

from __future__ import annotations

from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator

SCHEMAS_DIR = Path(__file__).resolve().parent
DOCUMENT_TYPES_PATH = SCHEMAS_DIR / "document_types.yaml"
PROCEDURES_PATH = SCHEMAS_DIR / "procedures.yaml"
UNKNOWN_TYPE = "khac"


class FieldSpec(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    required: bool = False


class Validity(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: Literal["none", "printed", "months_from_issue", "days_from_issue"] = "none"
    months: int | None = Field(default=None, ge=1)
    days: int | None = Field(default=None, ge=1)

    @model_validator(mode="after")
    def _amount_given(self) -> Validity:
        if self.kind == "months_from_issue" and not self.months:
            raise ValueError("months_from_issue needs months")
        if self.kind == "days_from_issue" and not self.days:
            raise ValueError("days_from_issue needs days")
        return self


class DocumentType(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    code: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    title: str = Field(description="Vietnamese title as printed, caps")
    title_variants: tuple[str, ...] = Field(default=(), description="Cues matched on the title line")
    gloss: str = Field(description="English gloss")
    reusable: bool = True
    validity: Validity = Validity()
    fields: tuple[FieldSpec, ...] = ()

    @property
    def required_fields(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields if f.required)

    @property
    def field_names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields)

    @property
    def cues(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys((self.title, *self.title_variants))) if self.code != UNKNOWN_TYPE else ()


class Requirement(BaseModel):
    """One component (thành phần hồ sơ) of a procedure's dossier."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    doc_type: str
    required: bool = True


class Procedure(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    code: str = Field(pattern=r"^\d\.\d{6}$", description="Code in the national procedure database")
    name: str
    gloss: str
    level: Literal["tỉnh", "huyện", "xã"]
    required: tuple[str, ...] = ()
    optional: tuple[str, ...] = ()
    result: str
    also_results: tuple[str, ...] = ()
    result_signatures: tuple[Literal["official", "agency"], ...] = Field(
        default=("official", "agency"),
        description="Signatures each result needs, in order: the official's, then the agency's seal")
    paper_signatures: tuple[Literal["digitiser"], ...] = Field(
        default=("digitiser",),
        description="Signatures a certified e-copy of each scanned paper of the dossier needs")

    @property
    def components(self) -> tuple[Requirement, ...]:
        return tuple(Requirement(doc_type=t, required=True) for t in self.required) + tuple(
            Requirement(doc_type=t, required=False) for t in self.optional
        )


class FieldValue(BaseModel):
    model_config = ConfigDict(frozen=True)

    value: str
    confidence: float = Field(ge=0.0, le=1.0)
    page: int | None = Field(default=None, description="1-based page the value was read on")
    bbox: tuple[float, float, float, float] | None = Field(
        default=None, description="left, top, right, bottom in points; None for text-layer pages without boxes"
    )
    boxes: tuple[tuple[float, float, float, float], ...] = Field(
        default=(), description="The box of each word that carried the value (same units as bbox)"
    )
    source: str = Field(default="ocr", description="ocr | computed | manual | mrz")


DocumentStatus = Literal["classified", "needs_review", "confirmed"]


class DocumentRecord(BaseModel):
    """What we know about one stored document: its type, owner and fields."""

    model_config = ConfigDict(frozen=True)

    id: str
    doc_type: str = UNKNOWN_TYPE
    type_confidence: float = Field(default=0.0, ge=0.0, le=1.0)
    type_reason: str = ""
    status: DocumentStatus = "needs_review"
    review_reason: str = ""
    owner_id: str | None = None
    fields: dict[str, FieldValue] = Field(default_factory=dict)
    problems: tuple[str, ...] = ()
    dossier_code: str | None = None
    procedure_code: str | None = None
    valid_until: date | None = None


class Dossier(BaseModel):
    """A hồ sơ: the documents handed in for one procedure."""

    model_config = ConfigDict(frozen=True)

    code: str = Field(description="Dossier code, e.g. 000.00.24.H29-240515-0001 (format configurable)")
    procedure_code: str | None = None
    owner_id: str | None = None
    document_ids: tuple[str, ...] = ()


class Catalog(BaseModel):
    """Both catalogs, cross-checked: every procedure component and result is a known type."""

    model_config = ConfigDict(frozen=True)

    document_types: dict[str, DocumentType]
    procedures: dict[str, Procedure]

    @model_validator(mode="after")
    def _components_known(self) -> Catalog:
        if UNKNOWN_TYPE not in self.document_types:
            raise ValueError(f"the catalog needs the fallback type {UNKNOWN_TYPE!r}")
        for proc in self.procedures.values():
            for t in (*proc.required, *proc.optional, proc.result, *proc.also_results):
                if t not in self.document_types:
                    raise ValueError(f"procedure {proc.code}: unknown document type {t!r}")
        return self

    def type(self, code: str) -> DocumentType:
        return self.document_types[code]


class CatalogError(ValueError):
    code = "bad_catalog"


def load_catalog(document_types: Path = DOCUMENT_TYPES_PATH, procedures: Path = PROCEDURES_PATH) -> Catalog:
    """Read and validate both YAML catalogs; raises CatalogError saying what is wrong."""
    try:
        types_doc = yaml.safe_load(Path(document_types).read_text(encoding="utf-8"))
        procs_doc = yaml.safe_load(Path(procedures).read_text(encoding="utf-8"))
        types = {code: DocumentType(code=code, **spec) for code, spec in (types_doc.get("types") or {}).items()}
        procs: dict[str, Procedure] = {}
        for spec in procs_doc.get("procedures") or []:
            proc = Procedure(**spec)
            if proc.code in procs:
                raise ValueError(f"duplicate procedure code {proc.code}")
            procs[proc.code] = proc
        return Catalog(document_types=types, procedures=procs)
    except (OSError, yaml.YAMLError, ValueError, TypeError, AttributeError) as exc:
        raise CatalogError(f"invalid catalog: {exc}") from exc


@lru_cache(maxsize=1)
def default_catalog() -> Catalog:
    return load_catalog()


CATALOG_MODELS: dict[str, type[BaseModel]] = {
    "document_type": DocumentType,
    "procedure": Procedure,
    "field_value": FieldValue,
    "document_record": DocumentRecord,
    "dossier": Dossier,
}
