"""Request and response bodies of the reuse API (/v1)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

#: A personal identification number: 12 ASCII digits (`\d` would also take other scripts' digits).
OWNER_ID_PATTERN = r"^[0-9]{12}$"
#: Dossier and procedure codes: a letter or digit, then letters, digits, `.`, `_` or `-` (64 at
#: most): `000.00.24.H29-240515-0001`, `1.000894`; never a path such as `../../x`.
CODE_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"
#: Version numbers are PostgreSQL integers.
MAX_VERSION = 2**31 - 1
#: Free text that goes into a signature or a record: no control characters.
PRINTABLE_PATTERN = r"^[^\x00-\x1f\x7f-\x9f]*$"


class Problem(BaseModel):
    """An error, as RFC 9457 problem details (media type application/problem+json)."""

    type: str = Field(description="URI naming the problem kind: https://sohoa.gov.vn/problems/<code>")
    title: str
    status: int
    detail: str | None = None
    code: str = Field(description="Stable machine-readable code, e.g. not_found, forbidden")
    instance: str | None = None


class VersionOut(BaseModel):
    version: int
    variant: str = Field(description="original | searchable | ocr | signed …")
    sha256: str
    created_at: datetime


class SignatureOut(BaseModel):
    version: int | None = None
    indication: str | None = Field(default=None, description="TOTAL_PASSED | INDETERMINATE | TOTAL_FAILED")
    sub_indication: str | None = None
    signer: str | None = None
    signed_at: datetime | None = None
    level: str | None = None


class DocumentOut(BaseModel):
    id: str
    doc_type: str | None
    type_confidence: float | None
    status: str
    owner_id: str | None
    dossier_code: str | None
    procedure_code: str | None
    title: str | None
    filename: str
    media_type: str
    pages: int
    issue_date: date | None
    valid_until: date | None
    fields: dict[str, dict[str, Any]]
    version: int
    versions: list[VersionOut]
    signature_status: str = Field(description="signed | unsigned | invalid")
    signatures: list[SignatureOut] = Field(default_factory=list)
    created_at: datetime
    source_pages: str | None = Field(
        default=None, description="The pages of the original file this document holds, e.g. 3-5")
    superseded_by: list[str] = Field(
        default_factory=list, description="The documents a split or merge replaced this one with")


DOCUMENT_ID_PATTERN = r"^[0-9a-f]{6,64}$"


class SplitRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    after_page: int = Field(ge=1, le=100_000, description="The last page of the first document")


class MergeRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    document_ids: list[Annotated[str, StringConstraints(pattern=DOCUMENT_ID_PATTERN)]] = Field(
        min_length=2, max_length=100, description="The documents to merge, in page order")


class RegroupOut(BaseModel):
    kind: str = Field(description="split | merge")
    replaced: list[str] = Field(description="The documents replaced (kept, status superseded)")
    documents: list[DocumentOut]


class OnFileOut(BaseModel):
    id: str
    doc_type: str
    signed: bool
    signature_status: str
    valid_until: date | None
    issue_date: date | None


class OwnerDocumentsOut(BaseModel):
    owner_id: str
    valid_on: date
    documents: list[OnFileOut]


class ProcedureOut(BaseModel):
    code: str
    name: str
    gloss: str
    level: str
    required: list[str]
    optional: list[str]
    result: str


class CheckRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    owner_id: str = Field(pattern=OWNER_ID_PATTERN, description="12-digit personal identification number")
    valid_on: date | None = Field(default=None, description="Default: today")


class ComponentOut(BaseModel):
    doc_type: str
    required: bool
    status: Literal["on_file", "missing"]
    document: OnFileOut | None = Field(
        default=None, description="The document on file; null when missing or of a type this client may not read"
    )


class CheckOut(BaseModel):
    procedure_code: str
    owner_id: str
    valid_on: date
    components: list[ComponentOut]
    missing: list[str] = Field(description="Required papers the citizen must still bring")


class DossierRequest(BaseModel):
    """POST /v1/dossiers as JSON, or as the `metadata` part of a multipart request whose file
    parts are named by the component's document type (e.g. `to_khai`)."""

    model_config = ConfigDict(extra="forbid")

    procedure_code: str
    owner_id: str = Field(pattern=OWNER_ID_PATTERN)
    code: str | None = Field(default=None, pattern=CODE_PATTERN, description="Default: <agency>-<yymmdd>-<n>")
    documents: dict[str, str] = Field(
        default_factory=dict, description="Component type -> id of a stored document, attached by reference"
    )
    reuse: bool = Field(default=True, description="Attach the owner's documents on file to the other components")


class DossierComponentOut(BaseModel):
    doc_type: str
    required: bool
    source: Literal["reused", "uploaded", "missing"]
    document_id: str | None = None
    job_id: str | None = None


class DossierOut(BaseModel):
    code: str
    procedure_code: str
    owner_id: str
    status: Literal["complete", "incomplete"]
    created_by: str
    created_at: datetime
    components: list[DossierComponentOut]
    missing: list[str]


class JobOut(BaseModel):
    id: str
    status: Literal["queued", "running", "stored", "duplicate", "failed"]
    filename: str
    document_id: str | None = None
    error_code: str | None = None
    error: str | None = None
    created_at: datetime
    finished_at: datetime | None = None


class SearchHitOut(BaseModel):
    document_id: str
    title: str | None
    snippet: str
    rank: float
    doc_type: str | None
    owner_id: str | None
    dossier_code: str | None
    issue_date: date | None


class RateOut(BaseModel):
    numerator: int
    denominator: int
    value: float | None = Field(description="numerator / denominator; null when nothing to count")


class StatsOut(BaseModel):
    since: date | None
    digitisation: RateOut = Field(description="Dossiers whose papers are all stored documents / dossiers received")
    reuse: RateOut = Field(description="Required components satisfied by reuse / all required components")
    results_signed: RateOut = Field(description="Issued results validly signed / all issued results")
    reuse_by_type: dict[str, RateOut]
    documents_by_type: dict[str, int]
    documents_by_day: dict[str, int]
    dossiers_by_day: dict[str, int]


class SignRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: Literal["official", "digitiser", "agency"] = "official"
    level: Literal["B-B", "B-T", "B-LT", "B-LTA"] | None = Field(default=None, description="Default: SOHOA_SIGN_LEVEL")
    signer_name: str | None = Field(default=None, max_length=200, pattern=PRINTABLE_PATTERN)
    position: str | None = Field(default=None, max_length=200, pattern=PRINTABLE_PATTERN)
    agency: str | None = Field(default=None, max_length=300, pattern=PRINTABLE_PATTERN)


class PrepareSignatureRequest(BaseModel):
    """`POST /v1/documents/{id}/signatures/prepare`: a signature to be made elsewhere (a token)."""

    model_config = ConfigDict(extra="forbid")

    kind: Literal["official", "digitiser", "agency"] = "official"
    certificate_chain: list[str] = Field(min_length=1, max_length=10, description="PEM certificates, the signer's first")
    position: str | None = Field(default=None, max_length=200, pattern=PRINTABLE_PATTERN)
    agency: str | None = Field(default=None, max_length=300, pattern=PRINTABLE_PATTERN)
    signer_name: str | None = Field(default=None, max_length=200, pattern=PRINTABLE_PATTERN)
    level: Literal["B-B", "B-T", "B-LT", "B-LTA"] | None = Field(default=None, description="Default: SOHOA_SIGN_LEVEL")


class PreparedSignatureOut(BaseModel):
    signing_id: str
    document_id: str
    digest_algorithm: Literal["sha256"]
    signature_mechanism: Literal["rsassa_pkcs1v15", "ecdsa"]
    data_to_sign: str = Field(description="base64 DER of the CMS signed attributes: what the key signs")
    digest: str = Field(description="base64 SHA-256 of data_to_sign, for tokens that sign a digest")
    expires_at: datetime


class CompleteSignatureRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    signature: str = Field(max_length=4096, description="base64 raw signature value over data_to_sign")


MODELS: dict[str, type[BaseModel]] = {
    "api_problem": Problem,
    "api_document": DocumentOut,
    "api_owner_documents": OwnerDocumentsOut,
    "api_check_request": CheckRequest,
    "api_check": CheckOut,
    "api_dossier_request": DossierRequest,
    "api_dossier": DossierOut,
    "api_job": JobOut,
    "api_stats": StatsOut,
}
