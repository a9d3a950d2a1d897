"""Queued batches and their status (`sohoa batch status --json`)."""

from __future__ import annotations

from pydantic import BaseModel

# name -> model; each is exported to schemas/json/<name>.schema.json by scripts/export_schemas.py
MODELS: dict[str, type[BaseModel]] = {}
