"""Queued batches and their status (`sohoa batch status --json`, `sohoa jobs failed --json`)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class BatchStatus(BaseModel):
    """How far a queued batch has got, counted from its items in the index."""

    model_config = ConfigDict(frozen=True)

    batch_id: str
    total: int = Field(ge=0, description="Input files in the batch")
    stored: int = Field(ge=0, description="Stored as new documents")
    duplicate: int = Field(ge=0, description="Already stored (in the index, or earlier in the batch)")
    failed: int = Field(ge=0, description="Failed with an error code; see `sohoa jobs failed`")
    pending: int = Field(ge=0, description="Not settled yet")
    done: bool = Field(description="Nothing is pending any more")


class FailedJob(BaseModel):
    """One failed item of a queued batch (`sohoa jobs failed --json`, one object per line)."""

    model_config = ConfigDict(frozen=True)

    item_id: str
    batch_id: str
    source: str = Field(description="The input file's path as given on the submitting machine")
    error_code: str | None = Field(description="Stable code, as in the ingest report")
    error: str | None
    attempts: int = Field(ge=0, description="Deliveries of its message so far")
    quarantined_as: str | None = Field(
        default=None, description="Copy of the input on the worker that failed it (bad input)"
    )


# name -> model; each is exported to schemas/json/<name>.schema.json by scripts/export_schemas.py
MODELS: dict[str, type[BaseModel]] = {"batch_status": BatchStatus, "failed_job": FailedJob}
