"""Contracts as pydantic models; `scripts/export_schemas.py` writes their JSON Schema to schemas/json/."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

IngestStatus = Literal["stored", "duplicate", "failed"]


class IngestReportLine(BaseModel):
    """One line of `sohoa ingest --report FILE.jsonl`: what became of one input file, or of one
    document of it when it held several (a scanner's stream, separated)."""

    model_config = ConfigDict(frozen=True)

    source: str = Field(description="The input file's path as given")
    document_id: str | None = Field(
        default=None, description="The stored document; for a duplicate, the one already stored"
    )
    dossier_code: str | None = None
    status: IngestStatus
    error_code: str | None = Field(default=None, description="Stable code of the failure")
    error: str | None = Field(default=None, description="Human-readable reason")
    pages: int = 0
    ocr_confidence: float | None = Field(default=None, description="Mean word confidence, 0-100")
    input_kind: str | None = Field(
        default=None, description="image | scanned_pdf | born_digital_pdf | signed_pdf"
    )
    quarantined_as: str | None = Field(default=None, description="Copy of a failed input")
    doc_type: str | None = Field(default=None, description="Document type code; khac when unsure")
    needs_review: bool | None = Field(
        default=None, description="A person must check the type or fields (see `sohoa review list`)"
    )
    seconds: dict[str, float] = Field(default_factory=dict, description="Seconds per stage")
    source_files: list[str] | None = Field(
        default=None, description="Page files joined into this input, in page order"
    )
    source_range: str | None = Field(
        default=None, description="The pages of the input this document came from, e.g. 3-5"
    )
    source_pages: str | None = Field(
        default=None, description="The pages of the input stored in the document (blank backs left out)"
    )
    separation: list[str] | None = Field(
        default=None, description="Separation's decisions on these pages, with their reasons"
    )


class PageDiagnostics(BaseModel):
    model_config = ConfigDict(frozen=True)

    page: int
    rotation: int = 0
    rotation_confidence: float | None = None
    skew: float = 0.0
    ocr_confidence: float | None = None
    words: int = 0
    source_dpi: float | None = None
    notes: list[str] = Field(default_factory=list)


class OcrWordRecord(BaseModel):
    model_config = ConfigDict(frozen=True)

    text: str
    bbox: tuple[float, float, float, float] = Field(
        description="left, top, right, bottom in PDF points (1/72 inch) from the page's top-left"
    )
    confidence: float
    line: int


class OcrPageRecord(BaseModel):
    model_config = ConfigDict(frozen=True)

    page: int
    width: float = Field(description="Page width in points")
    height: float = Field(description="Page height in points")
    text: str
    words: list[OcrWordRecord]
    diagnostics: PageDiagnostics
    mrz: list[str] = Field(default_factory=list,
                           description="A card back's machine-readable zone as its own OCR pass read it (3 lines)")


class OcrDocumentRecord(BaseModel):
    """The `ocr.json` object stored beside each searchable PDF."""

    model_config = ConfigDict(frozen=True)

    document_id: str
    sha256: str
    source_kind: str
    pages: list[OcrPageRecord]


def _exported_models() -> dict[str, type[BaseModel]]:
    from schemas import api, field_labels, jobs, signature
    from schemas.catalog import CATALOG_MODELS

    return {
        "ingest_report_line": IngestReportLine,
        "ocr_document": OcrDocumentRecord,
        **CATALOG_MODELS,
        **signature.MODELS,
        **api.MODELS,
        **jobs.MODELS,
        **field_labels.MODELS,
    }


EXPORTED_MODELS: dict[str, type[BaseModel]] = _exported_models()
