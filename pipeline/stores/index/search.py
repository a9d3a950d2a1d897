"""Accent-insensitive full-text search: the folded words written at insert, the query, the snippet."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from datetime import date

from sqlalchemy import bindparam, func, literal_column, select, text as sql_text
from sqlalchemy.exc import OperationalError

from pipeline.errors import StorageUnavailable
from pipeline.stores.index.engine import IndexConnection
from pipeline.stores.index.records import SearchHit, as_date
from pipeline.stores.index.tables import documents, documents_fts
from pipeline.textnorm import fold_aligned

SEARCH_RANK_CANDIDATES = 1000
SEARCH_FUZZY_LIMIT = 20000


class SearchIndex(IndexConnection):
    """Full-text search over the documents' folded title and text."""

    def search(
        self,
        query: str,
        *,
        doc_type: str | None = None,
        owner_id: str | None = None,
        dossier_code: str | None = None,
        date_from: date | None = None,
        date_to: date | None = None,
        limit: int = 20,
    ) -> list[SearchHit]:
        """Documents containing every word of ``query``, accents and case ignored, best first.

        ``date_from``/``date_to`` bound the document's issue date (inclusive).
        """
        terms = search_terms(query)
        if not terms:
            return []
        filters = _filters(doc_type, owner_id, dossier_code, date_from, date_to)
        if self.dialect == "postgresql":
            stmt = _postgresql_search(terms, filters, limit)
        else:
            stmt = _sqlite_search(terms, filters, limit)
        try:
            with self._connect() as conn:
                if self.dialect == "postgresql":
                    # A search for very common words would build a bitmap of a third of the table
                    # before ranking; GIN may instead return a sample of that many matches
                    # (PostgreSQL's documented remedy). A sample can miss the few matches a filter
                    # keeps, so a short answer is asked again without it.
                    conn.execute(sql_text(f"SET LOCAL gin_fuzzy_search_limit = {SEARCH_FUZZY_LIMIT}"))
                    rows = conn.execute(stmt).all()
                    if len(rows) < limit:
                        conn.execute(sql_text("SET LOCAL gin_fuzzy_search_limit = 0"))
                        rows = conn.execute(stmt).all()
                else:
                    rows = conn.execute(stmt).all()
        except OperationalError as exc:
            raise StorageUnavailable(f"index unavailable: {exc.orig}") from exc
        return [
            SearchHit(
                document_id=r.id, title=r.title,
                snippet=make_snippet(r.text or r.title or "", terms),
                rank=float(r.rank), doc_type=r.doc_type, owner_id=r.owner_id,
                dossier_code=r.dossier_code, issue_date=as_date(r.issue_date),
            )
            for r in rows
        ]


_HIT_COLUMNS = (documents.c.id, documents.c.title, documents.c.text, documents.c.doc_type,
                documents.c.owner_id, documents.c.dossier_code, documents.c.issue_date)


def _filters(doc_type, owner_id, dossier_code, date_from, date_to) -> list:
    filters = []
    if doc_type:
        filters.append(documents.c.doc_type == doc_type)
    if owner_id:
        filters.append(documents.c.owner_id == owner_id)
    if dossier_code:
        filters.append(documents.c.dossier_code == dossier_code)
    if date_from:
        filters.append(documents.c.issue_date >= date_from)
    if date_to:
        filters.append(documents.c.issue_date <= date_to)
    return filters


def _postgresql_search(terms: list[str], filters: list, limit: int):
    tsquery = func.to_tsquery(literal_column("'simple'::regconfig"), bindparam("tsq", " & ".join(terms)))
    vector = literal_column("documents.search_vector")
    # Ranking every match of a very common word ("quyen su dung dat" matches a third of
    # a million-row table) takes seconds; rank at most SEARCH_RANK_CANDIDATES matches,
    # which the GIN index yields without reading the rest.
    candidates = (
        select(documents.c.id, vector.label("search_vector"))
        .where(vector.op("@@")(tsquery), *filters)
        .limit(SEARCH_RANK_CANDIDATES)
        .subquery("candidates")
    )
    rank = func.ts_rank_cd(candidates.c.search_vector, tsquery).label("rank")
    return (
        select(*_HIT_COLUMNS, rank)
        .select_from(candidates.join(documents, documents.c.id == candidates.c.id))
        .order_by(rank.desc(), documents.c.id)
        .limit(limit)
    )


def _sqlite_search(terms: list[str], filters: list, limit: int):
    match = " ".join(f'"{t}"' for t in terms)
    # bm25() is lower-is-better; the title weighs ten times the text.
    rank = (-literal_column("bm25(documents_fts, 0.0, 10.0, 1.0)")).label("rank")
    return (
        select(*_HIT_COLUMNS, rank)
        .select_from(documents_fts.join(documents, documents.c.id == documents_fts.c.document_id))
        .where(literal_column("documents_fts").op("MATCH")(bindparam("m", match)), *filters)
        .order_by(literal_column("rank").desc(), documents.c.id).limit(limit)
    )


# --- accent folding and snippets ----------------------------------------------------------------

# Letters and digits; "_" and punctuation separate words, as in PostgreSQL's and FTS5's parsers.
_WORD = re.compile(r"[^\W_]+")


def fold_text(value: str) -> str:
    """NFC text to its search form: lower case, no tone or vowel marks, đ→d.

    Each character of the NFC text folds to exactly one character, so a position in the folded
    text is the same position in ``unicodedata.normalize("NFC", value)``.
    """
    folded = fold_aligned(unicodedata.normalize("NFC", value))
    return "".join(c.lower() if len(c.lower()) == 1 else c for c in folded)


def search_words(value: str) -> str:
    """What the full-text index stores for a text: its folded words separated by spaces."""
    return " ".join(_WORD.findall(fold_text(value)))


def search_terms(query: str) -> list[str]:
    """The folded words of a query, in order, without repeats."""
    return list(dict.fromkeys(_WORD.findall(fold_text(query))))


def make_snippet(value: str, terms: Sequence[str], *, width: int = 160) -> str:
    """About ``width`` characters of ``value`` around the first query word, words in [brackets].

    Prefers the place where the query's words stand closest together.
    """
    original = unicodedata.normalize("NFC", value)
    folded = fold_text(original)
    spans = [
        (m.start(), m.end())
        for m in _WORD.finditer(folded)
        if m.group() in terms
    ]
    if not spans:
        head = " ".join(original[:width].split())
        return head + ("…" if len(original) > width else "")
    # the window of `width` characters holding the most different query words wins
    best_start, best_count = spans[0][0], 0
    for i, (start, _) in enumerate(spans):
        words = {folded[s:e] for s, e in spans[i:] if e <= start + width}
        if len(words) > best_count:
            best_start, best_count = start, len(words)
    start = max(0, best_start - width // 4)
    while start > 0 and not original[start - 1].isspace():
        start -= 1
    end = min(len(original), start + width)
    while end < len(original) and not original[end].isspace():
        end += 1
    pieces, cursor = [], start
    for s, e in spans:
        if s >= start and e <= end:
            pieces += [original[cursor:s], "[", original[s:e], "]"]
            cursor = e
    pieces.append(original[cursor:end])
    snippet = " ".join("".join(pieces).split())
    return ("…" if start > 0 else "") + snippet + ("…" if end < len(original) else "")
