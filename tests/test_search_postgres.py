"""Full-text search on PostgreSQL ranks the first matches in the table's physical order, whichever
way it finds them (its first blocks read in order, or the GIN index after them).

Uses a throw-away database on the test PostgreSQL server (tests/postgres.py), skipped with the
reason when the server is absent. The candidate limit and the block budgets are made small here so
that a few hundred documents take every path a million do.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import text

import pipeline.stores.index.search as search_module
from index_rows import make_row
from pipeline.stores.index import Index, search_terms, upgrade
from postgres import create_database, drop_database

pytestmark = pytest.mark.postgres

TYPES = ["quyet_dinh", "giay_phep_xay_dung", "giay_khai_sinh", "can_cuoc"]
LINES = [
    "Về việc cấp giấy phép xây dựng nhà ở riêng lẻ",
    "Quyền sử dụng đất, quyền sở hữu nhà ở",
    "Mục đích sử dụng: đất ở tại đô thị",
    "Nơi sinh: Bệnh viện Phụ sản Hà Nội",
    "Thửa đất số 125, tờ bản đồ số 7",
]


def _text(n: int) -> str:
    """Every document says "Ủy ban nhân dân"; the other lines come and go with n, so words range
    from every document to a few, and ranks differ."""
    lines = ["ỦY BAN NHÂN DÂN QUẬN BA ĐÌNH"]
    lines += [line for k, line in enumerate(LINES) if (n // (k + 1)) % (k + 2) == 0]
    if n % 97 == 0:
        lines.append("Đặc điểm nhân dạng: nốt ruồi hiếm gặp")
    return "\n".join(lines)


@pytest.fixture(scope="module")
def filled():
    url = create_database("sohoa_test_search")
    upgrade(url)
    index = Index(url)
    first = date(2020, 1, 1)
    for n in range(600):
        index.add(make_row(n, title=f"Giấy tờ số {n}" + (" xây dựng" if n % 7 == 0 else ""),
                           text=_text(n), doc_type=TYPES[n % len(TYPES)],
                           issue_date=first + timedelta(days=3 * n)))
    yield index
    index.close()
    drop_database(url)


@pytest.fixture
def small_budgets(monkeypatch):
    monkeypatch.setattr(search_module, "SEARCH_RANK_CANDIDATES", 40)
    monkeypatch.setattr(search_module, "SEARCH_PREFIX_FIRST_BLOCKS", 1)
    monkeypatch.setattr(search_module, "SEARCH_PREFIX_MAX_BLOCKS", 24)


def best_of_first_matches(index: Index, query: str, limit: int, where: str = "",
                          params: dict | None = None) -> list[tuple[str, float]]:
    """What the search must answer, said plainly: the first SEARCH_RANK_CANDIDATES matches in
    ctid order, best ts_rank_cd first, then by id."""
    sql = f"""
        SELECT id, rank FROM (
            SELECT id, ts_rank_cd(search_vector, q) AS rank
            FROM documents, to_tsquery('simple'::regconfig, :tsq) AS q
            WHERE search_vector @@ q {where}
            ORDER BY ctid LIMIT :candidates) AS first_matches
        ORDER BY rank DESC, id LIMIT :limit"""
    with index.engine.connect() as conn:
        rows = conn.execute(text(sql), {
            "tsq": " & ".join(search_terms(query)), "limit": limit,
            "candidates": search_module.SEARCH_RANK_CANDIDATES, **(params or {})}).all()
    return [(r.id, float(r.rank)) for r in rows]


# With the small budgets the first words are all found in the table's first blocks, the others
# partly there and the rest through the index.
QUERIES = [
    ("uy ban nhan dan", {}),                       # every document: the first blocks suffice
    ("quyen su dung dat", {}),                     # a third of them
    ("dat", {"doc_type": "can_cuoc"}),             # common, filtered
    ("xay dung", {"date_from": date(2022, 6, 1)}),  # common, filtered by date
    ("nhan dang hiem gap", {}),                    # a few: through the index after the first blocks
    ("thua dat so 125", {"doc_type": "giay_khai_sinh", "date_to": date(2023, 1, 1)}),
    ("khong co tu nay", {}),
]


def _where(filters: dict) -> tuple[str, dict]:
    clauses = {"doc_type": "doc_type = :doc_type", "date_from": "issue_date >= :date_from",
               "date_to": "issue_date <= :date_to"}
    return "".join(f" AND {clauses[name]}" for name in filters), filters


@pytest.mark.parametrize(("query", "filters"), QUERIES)
def test_search_answers_the_best_of_the_first_matches_in_physical_order(filled, small_budgets,
                                                                        query, filters):
    """GIVEN 600 documents on PostgreSQL whose words range from every document to a few, and a
    search that ranks at most 40 matches, reads 1 block first and at most 24 in order (the table
    has about 90)
    WHEN searching words common or rare, with or without filters
    THEN the hits and their ranks are those of the 40 first matches in physical order, best
    first (ties by id), the same however the matches were found, and again when asked again"""
    where, params = _where(filters)
    for limit in (20, 3):
        expected = best_of_first_matches(filled, query, limit, where, params)
        hits = filled.search(query, limit=limit, **filters)
        assert [(h.document_id, h.rank) for h in hits] == expected
        assert filled.search(query, limit=limit, **filters) == hits
    if query != "khong co tu nay":
        assert expected


def test_the_budgets_do_not_change_the_answer(filled, monkeypatch):
    """GIVEN the same documents
    WHEN the same searches run with every candidate found in the first blocks, with none of them
    (straight to the index) and with the small budgets
    THEN they answer the same hits in the same order"""
    monkeypatch.setattr(search_module, "SEARCH_RANK_CANDIDATES", 40)
    answers = []
    for first, most in ((10_000, 10_000), (0, 0), (1, 24)):
        monkeypatch.setattr(search_module, "SEARCH_PREFIX_FIRST_BLOCKS", first)
        monkeypatch.setattr(search_module, "SEARCH_PREFIX_MAX_BLOCKS", most)
        answers.append([[(h.document_id, h.rank, h.snippet) for h in filled.search(q, **f)]
                        for q, f in QUERIES])
    assert answers[0] == answers[1] == answers[2]
