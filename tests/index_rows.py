"""Index rows as ingest writes them, for tests that start from a filled index."""

from __future__ import annotations

import hashlib

from pipeline.clock import utcnow
from pipeline.stores.index import DocumentRow


def make_row(n: int, **overrides) -> DocumentRow:
    sha = hashlib.sha256(f"document {n}".encode()).hexdigest()
    values = dict(
        id=sha[:32], sha256=sha, source=f"/scans/{n}.png", filename=f"{n}.png",
        media_type="image/png", input_kind="image", dossier_code="HS-001", owner_id="001090000001",
        procedure_code=None, title=f"Tài liệu {n}", pages=1, ocr_confidence=91.5,
        status="stored", version=1, original_key=f"originals/sha256/{sha[:2]}/{sha[2:4]}/{sha}",
        searchable_key=f"documents/{sha[:32]}/v1/searchable.pdf",
        ocr_key=f"documents/{sha[:32]}/v1/ocr.json", searchable_sha256="a" * 64,
        ocr_sha256="b" * 64, text="", stage_seconds={"ocr": 1.25}, created_at=utcnow(),
    )
    values.update(overrides)
    return DocumentRow(**values)
