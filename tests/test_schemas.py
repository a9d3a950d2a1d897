"""The JSON Schema exports in schemas/json/ match the pydantic models."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def test_exported_json_schemas_are_in_sync():
    """GIVEN the contract models
    WHEN their JSON Schema is rendered
    THEN it equals the files committed in schemas/json/ (run scripts/export_schemas.py)"""
    spec = importlib.util.spec_from_file_location("export_schemas", REPO / "scripts" / "export_schemas.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    for filename, text in module.rendered_schemas().items():
        committed = REPO / "schemas" / "json" / filename
        assert committed.is_file(), f"{filename} is not exported"
        assert committed.read_text(encoding="utf-8") == text, f"{filename} is out of date"


def test_a_report_line_validates_against_its_schema(tmp_path):
    """GIVEN a failed-input report line
    WHEN it is dumped to JSON
    THEN it carries the documented keys and a stable error code"""
    from schemas.models import IngestReportLine

    line = IngestReportLine(source="a.pdf", status="failed", error_code="encrypted_pdf", error="x")
    dumped = json.loads(line.model_dump_json())
    schema = json.loads((REPO / "schemas" / "json" / "ingest_report_line.schema.json").read_text())
    assert set(schema["required"]) <= set(dumped)
    for key in ("source", "document_id", "dossier_code", "status", "error_code", "error", "pages",
                "ocr_confidence", "seconds"):
        assert key in dumped
