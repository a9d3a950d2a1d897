"""Accent-insensitive full-text search: the folded words written at insert, the query, the snippet."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from datetime import date

from sqlalchemy import ARRAY, REAL, Text, bindparam, func, literal_column, select, text as sql_text
from sqlalchemy.exc import OperationalError

from pipeline.errors import StorageUnavailable
from pipeline.stores.index.engine import IndexConnection
from pipeline.stores.index.records import SearchHit, as_date
from pipeline.stores.index.tables import documents, documents_fts
from pipeline.textnorm import fold_aligned

#: PostgreSQL ranks at most this many matches: the first ones in the table's physical order.
SEARCH_RANK_CANDIDATES = 1000
#: Heap blocks read in physical order before the GIN index is asked (`_postgresql_candidates`).
SEARCH_PREFIX_FIRST_BLOCKS = 256
SEARCH_PREFIX_MAX_BLOCKS = 16384


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
        try:
            with self._connect() as conn:
                if self.dialect == "postgresql":
                    rows = _postgresql_search(conn, terms, filters, limit)
                else:
                    rows = conn.execute(_sqlite_search(terms, filters, limit)).all()
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


def _postgresql_search(conn, terms: list[str], filters: list, limit: int) -> list:
    """The `limit` best of the first SEARCH_RANK_CANDIDATES matches in physical order, by
    ts_rank_cd then id; only their rows are read whole."""
    tsquery = func.to_tsquery(literal_column("'simple'::regconfig"), bindparam("tsq", " & ".join(terms)))
    # the candidates are gathered by several statements: all of them see the same rows
    conn.execute(sql_text("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY"))
    candidates = _postgresql_candidates(conn, tsquery, filters)
    if not candidates:
        return []
    conn.execute(sql_text("SELECT " + _planner(indexscan=True, bitmapscan=True, seqscan=True)))
    given = func.unnest(bindparam("ids", [i for i, _ in candidates], type_=ARRAY(Text)),
                        bindparam("ranks", [r for _, r in candidates], type_=ARRAY(REAL))
                        ).table_valued("id", "rank").render_derived(name="c")
    ranked = (
        select(given.c.id, given.c.rank)
        .order_by(given.c.rank.desc(), given.c.id)
        .limit(limit)
        .subquery("ranked")
    )
    return conn.execute(
        select(*_HIT_COLUMNS, ranked.c.rank)
        .select_from(ranked.join(documents, documents.c.id == ranked.c.id))
        .order_by(ranked.c.rank.desc(), documents.c.id)
    ).all()


def _postgresql_candidates(conn, tsquery, filters: list) -> list[tuple[str, float]]:
    """(id, ts_rank_cd) of the first SEARCH_RANK_CANDIDATES matches in physical (ctid) order.

    Ranking every match of a very common word ("quyen su dung dat" matches a third of a
    million-row table) takes seconds, so only that many are ranked. Very common words fill them
    from the first blocks of the table, while the GIN index would first build the bitmap of all
    their matches (a third of the table): the table is read in order from its first block, a few
    blocks first, then as many more as the matches found so far promise, at most
    SEARCH_PREFIX_MAX_BLOCKS; rarer words find the rest through the index, after the blocks read.
    Both ways yield rows in ctid order, so the candidates are the same either way (plain index
    scans, which would yield another order, are not used, nor synchronised sequential scans,
    which start where another scan is).
    """
    wanted = SEARCH_RANK_CANDIDATES
    vector = literal_column("documents.search_vector")
    ctid = literal_column("documents.ctid")
    rank = func.ts_rank_cd(vector, tsquery)

    def scan(first_block: int, end_block: int | None, count: int):
        bounds = [ctid >= literal_column(f"'({int(first_block)},0)'::tid")]
        if end_block is not None:
            bounds.append(ctid < literal_column(f"'({int(end_block)},0)'::tid"))
        return conn.execute(
            select(documents.c.id, rank).where(*bounds, *filters, vector.op("@@")(tsquery)).limit(count)
        ).all()

    # a TID range scan of the first blocks: no index, no sequential scan of the whole table
    table_blocks = conn.execute(sql_text(
        "SELECT pg_relation_size('documents') / current_setting('block_size')::int, "
        + _planner(indexscan=False, bitmapscan=False, seqscan=False))).scalar_one()
    found: list[tuple[str, float]] = []
    read, step = 0, SEARCH_PREFIX_FIRST_BLOCKS
    while read < table_blocks:
        end = min(read + step, SEARCH_PREFIX_MAX_BLOCKS)
        if end <= read:
            break
        found += scan(read, end, wanted - len(found))
        read = end
        if len(found) >= wanted:
            return found
        # the blocks still needed at the density seen so far, with a margin
        missing = wanted - len(found)
        step = (2 * missing * read) // len(found) + 1 if found else SEARCH_PREFIX_MAX_BLOCKS
        if read + step > SEARCH_PREFIX_MAX_BLOCKS:
            break
    if read >= table_blocks:
        return found
    conn.execute(sql_text("SELECT " + _planner(indexscan=False, bitmapscan=True, seqscan=True)))
    return found + scan(read, None, wanted - len(found))


def _planner(**scans: bool) -> str:
    """Select-list items setting the planner's ``enable_<scan>`` for this transaction, and never a
    synchronised sequential scan (which starts where another scan of the table is)."""
    settings = {"synchronize_seqscans": False} | {f"enable_{name}": on for name, on in scans.items()}
    return ", ".join(f"set_config('{name}', '{'on' if on else 'off'}', true)"
                     for name, on in settings.items())


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
    return unicodedata.normalize("NFC", value).translate(_FOLDED)


class _FoldedCharacters(dict):
    """Each character's search form (`fold_aligned`, then lower case where that is one
    character), worked out the first time the character is seen: `str.translate` then folds a
    long text without a Python step per character."""

    def __missing__(self, code: int) -> str:
        folded = fold_aligned(chr(code))
        lowered = folded.lower()
        self[code] = form = lowered if len(lowered) == 1 else folded
        return form


_FOLDED = _FoldedCharacters()


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
    wanted = set(terms)
    spans, words = [], []
    for m in _WORD.finditer(folded):
        if m.group() in wanted:
            spans.append((m.start(), m.end()))
            words.append(m.group())
    if not spans:
        head = " ".join(original[:width].split())
        return head + ("…" if len(original) > width else "")
    # the first window of `width` characters from a query word holding the most different query
    # words wins; one pass (a long text holds thousands of very common words)
    best_start, best_count, present = spans[0][0], 0, len(set(words))
    inside: dict[str, int] = {}  # query words of spans[i:j] (those ending within the window)
    j = 0
    for i, (start, _) in enumerate(spans):
        j = max(j, i)
        while j < len(spans) and spans[j][1] <= start + width:
            inside[words[j]] = inside.get(words[j], 0) + 1
            j += 1
        if len(inside) > best_count:
            best_start, best_count = start, len(inside)
            if best_count == present:
                break
        if j > i:
            inside[words[i]] -= 1
            if not inside[words[i]]:
                del inside[words[i]]
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
