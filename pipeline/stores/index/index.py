"""The metadata index, composed of its concerns: one class, each part in its own module."""

from __future__ import annotations

from pipeline.stores.index.audited import AuditedReadsIndex
from pipeline.stores.index.corrections import CorrectionsIndex
from pipeline.stores.index.documents import DocumentsIndex
from pipeline.stores.index.figures import FiguresIndex
from pipeline.stores.index.search import SearchIndex
from pipeline.stores.index.signatures import SignaturesIndex
from pipeline.stores.index.versions import VersionsIndex


class Index(DocumentsIndex, CorrectionsIndex, VersionsIndex, SignaturesIndex, SearchIndex, FiguresIndex,
            AuditedReadsIndex):
    """The metadata index: ``Index(url)`` opens it (see `IndexConnection`), its methods read and
    write documents, corrections, versions, signatures and search, count the figures, and answer
    the API's audited reads."""
