"""The signature validation report (`sohoa verify-signature --json`, GET /v1/documents/{id}/signatures)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Indication = Literal["TOTAL_PASSED", "INDETERMINATE", "TOTAL_FAILED"]
PadesLevel = Literal["B-B", "B-T", "B-LT", "B-LTA"]


class SignatureResult(BaseModel):
    """One signature (or document timestamp) of a PDF, as ETSI EN 319 102-1 / DSS report it."""

    model_config = ConfigDict(frozen=True)

    field_name: str = Field(description="The PDF signature field")
    kind: Literal["signature", "document_timestamp"]
    indication: Indication
    sub_indication: str | None = Field(
        default=None,
        description="DSS sub-indication, e.g. HASH_FAILURE, REVOKED, OUT_OF_BOUNDS_NO_POE, "
        "NO_CERTIFICATE_CHAIN_FOUND, CHAIN_CONSTRAINTS_FAILURE, FORMAT_FAILURE",
    )
    signer: str | None = Field(default=None, description="Signer certificate subject DN")
    signer_common_name: str | None = None
    issuer: str | None = Field(default=None, description="Signer certificate issuer DN")
    certificate_serial: str | None = Field(default=None, description="Hexadecimal")
    claimed_signing_time: datetime | None = Field(
        default=None, description="The signing-time the signer claims (not proven)"
    )
    timestamp_time: datetime | None = Field(
        default=None, description="Time proven by the signature's (or document's) RFC 3161 timestamp"
    )
    intact: bool = Field(description="The signed bytes hash to the signed digest")
    cryptographically_valid: bool
    trusted: bool = Field(description="A chain to a configured trust root was validated")
    revoked: bool = False
    certified: bool = Field(default=False, description="A certification (DocMDP) signature")
    covers_whole_document: bool = Field(description="Nothing was appended after it")
    coverage: str = Field(description="ENTIRE_FILE, ENTIRE_REVISION, CONTIGUOUS_BLOCK_FROM_START, UNCLEAR")
    modifications_after_signing: str | None = Field(
        default=None,
        description="NONE, LTA_UPDATES, FORM_FILLING, ANNOTATIONS or OTHER (not permitted); "
        "None when the signature covers the whole file",
    )
    pades_level: PadesLevel | None = Field(
        default=None, description="Highest PAdES baseline level reached; None if not PAdES"
    )
    messages: list[str] = Field(default_factory=list)


class SignatureReport(BaseModel):
    """Validation of every signature in one PDF; an unsigned PDF has no signatures."""

    model_config = ConfigDict(frozen=True)

    sha256: str = Field(description="SHA-256 of the validated bytes")
    validated_at: datetime
    revocation_fetching: bool = Field(
        description="Whether OCSP/CRL/certificates were fetched from the network"
    )
    signatures: list[SignatureResult] = Field(default_factory=list)
    error: str | None = Field(default=None, description="Why the file could not be examined")

    @property
    def signed(self) -> bool:
        return any(s.kind == "signature" for s in self.signatures)

    @property
    def all_passed(self) -> bool:
        """Signed, readable, and every signature and timestamp TOTAL_PASSED."""
        return (
            self.error is None
            and self.signed
            and all(s.indication == "TOTAL_PASSED" for s in self.signatures)
        )


# name -> model; each is exported to schemas/json/<name>.schema.json by scripts/export_schemas.py
MODELS: dict[str, type[BaseModel]] = {"signature_report": SignatureReport}
