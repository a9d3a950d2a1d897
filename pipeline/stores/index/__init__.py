"""Metadata index: one row per stored document, its classification, corrections and versions.

SQLite is the embedded default; PostgreSQL is the production index (``postgresql+psycopg://…``).
The schema is owned by the Alembic migrations in ``pipeline/stores/migrations``: the embedded SQLite is
upgraded when it is opened; a PostgreSQL index must already be at head (``sohoa db upgrade``), so
that many workers never race to change a shared schema.

Full-text search is accent-insensitive the way a Vietnamese user expects ("quyet dinh xay dung"
finds "Quyết định … xây dựng"): Python folds title and text (NFC, lower case, tone and vowel marks
dropped, đ→d) into the ``search_title``/``search_text`` columns at write time, the same on both
backends. SQLite indexes them with an FTS5 table kept in sync by triggers; PostgreSQL with a
generated ``tsvector`` column under a GIN index, ranked by ``ts_rank_cd``. The snippet is cut by
Python from the original (accented) text at the place the folded query matched.
"""

from pipeline.stores.index.documents import is_id_prefix, shown_id
from pipeline.stores.index.engine import SchemaNotCurrent, schema_revision, upgrade
from pipeline.stores.index.index import Index
from pipeline.stores.index.records import (
    NEEDS_REVIEW,
    REJECTED,
    SUPERSEDED,
    AuditRecord,
    Correction,
    DocumentRow,
    DocumentVersion,
    DuplicateDocument,
    ObjectRef,
    SearchHit,
    SignatureRecord,
    as_date,
)
from pipeline.stores.index.search import fold_text, make_snippet, search_terms, search_words
from pipeline.stores.index.signatures import SIGNATURE_STATUSES, signature_status_of
from pipeline.stores.index.tables import document_versions, documents, metadata, signatures

__all__ = [
    "AuditRecord",
    "NEEDS_REVIEW",
    "REJECTED",
    "SIGNATURE_STATUSES",
    "SUPERSEDED",
    "Correction",
    "DocumentRow",
    "DocumentVersion",
    "DuplicateDocument",
    "Index",
    "ObjectRef",
    "SchemaNotCurrent",
    "SearchHit",
    "SignatureRecord",
    "as_date",
    "document_versions",
    "documents",
    "fold_text",
    "is_id_prefix",
    "make_snippet",
    "metadata",
    "schema_revision",
    "search_terms",
    "search_words",
    "shown_id",
    "signature_status_of",
    "signatures",
    "upgrade",
]
