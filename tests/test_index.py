"""The metadata index, on the embedded SQLite and on a real PostgreSQL.

PostgreSQL tests use a throw-away database `sohoa_test_<random>` on the server named by
SOHOA_TEST_POSTGRES_URL (default postgresql+psycopg://postgres@127.0.0.1:5432/postgres), dropped
at the end of the session (tests/postgres.py; the `index` fixtures are in conftest.py); if the
server cannot be reached they are skipped with the reason.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import create_engine, inspect, select

from index_rows import make_row
from pipeline.errors import DocumentNotFound, StorageUnavailable
from pipeline.stores.index import (
    NEEDS_REVIEW,
    DocumentRow,
    DuplicateDocument,
    Index,
    SchemaNotCurrent,
    fold_text,
    schema_revision,
    upgrade,
)
from pipeline.stores.index.tables import dossiers
from postgres import create_database, drop_database


# --- documents ----------------------------------------------------------------------------------

def test_a_stored_document_reads_back_the_same(index):
    """GIVEN a document row as ingest writes it (no classification yet)
    WHEN it is added and read back by id, by id prefix, by sha256 and in the dossier list
    THEN every field is as written, with the classification fields empty"""
    row = make_row(1, text="Giấy khai sinh\nHọ và tên: Nguyễn Thị Hoa")
    index.add(row)
    assert index.get(row.id) == row
    assert index.get(row.id[:8]) == row
    assert index.find_by_sha256(row.sha256) == row.id
    assert index.list(dossier_code="HS-001") == [row]
    assert index.list(dossier_code="HS-404") == []
    stored = index.get(row.id)
    assert stored.doc_type is None and stored.fields == {} and stored.valid_until is None
    assert stored.public()["created_at"] == row.created_at.isoformat()
    with pytest.raises(DocumentNotFound):
        index.get("f" * 32)


def test_the_same_content_twice_is_a_duplicate(index):
    """GIVEN a stored document
    WHEN a row with the same sha256 is added again under another id
    THEN DuplicateDocument names the existing id and nothing else is written"""
    first = make_row(1)
    index.add(first)
    with pytest.raises(DuplicateDocument) as raised:
        index.add(make_row(1, id="0" * 32))
    assert raised.value.existing_id == first.id
    assert [r.id for r in index.list()] == [first.id]



@pytest.mark.parametrize("looked_up", [
    "{prefix}%%", "{prefix}__", "%", "%%%%%%", "______", "{upper}", "{prefix}\x00", "\x00" * 6,
    "{prefix}\\", "{prefix}' OR '1'='1",
])
def test_an_id_prefix_is_lowercase_hex_never_a_pattern(index, looked_up):
    """GIVEN a stored document
    WHEN it is looked up by its first characters followed by LIKE wildcards (`%`, `_`), by
    wildcards alone, by the prefix in capitals, with a NUL byte, a backslash or a quote
    THEN it is not found (DocumentNotFound, never a database error); only the lowercase hex
    prefix names it"""
    row = make_row(1)
    index.add(row)
    with pytest.raises(DocumentNotFound):
        index.get(looked_up.format(prefix=row.id[:6], upper=row.id[:8].upper()))
    assert index.get(row.id[:6]) == row


def test_a_batch_id_prefix_is_lowercase_hex_never_a_pattern(index):
    """GIVEN a queued batch
    WHEN its id is resolved from its first characters, from those in capitals, from an empty
    string and from wildcards
    THEN only the lowercase hex prefix resolves it; the others are BatchNotFound"""
    from pipeline.core.batches import Batches, BatchNotFound, NewItem

    batches = Batches(index)
    batch_id, item_ids = batches.new_ids(1)
    batches.create(batch_id, item_ids, [NewItem(source="a.png")])
    assert batches.resolve_batch_id(batch_id[:8]) == batch_id
    # The whole id in capitals: its first 8 characters alone are all digits one time in 40.
    shouted = (batch_id.upper(),) if batch_id.upper() != batch_id else ()
    for looked_up in (*shouted, "", "%", batch_id[:8] + "%", "_" * 8, batch_id[:8] + "\x00"):
        with pytest.raises(BatchNotFound):
            batches.resolve_batch_id(looked_up)



def test_a_failed_statement_never_shows_its_parameters(postgres_database):
    """GIVEN the PostgreSQL index
    WHEN a row whose title holds a NUL byte (which PostgreSQL refuses) is added for an owner
    THEN the error raised names the problem but not the values sent: the owner's personal ID is
    nowhere in its text, so no log line that prints it can leak it"""
    owner = "079203001234"
    index = Index(postgres_database)
    try:
        with pytest.raises(Exception) as raised:
            index.add(make_row(90, owner_id=owner, title="Giấy khai sinh\x00"))
    finally:
        index.close()
    assert "NUL" in str(raised.value)
    assert owner not in str(raised.value) and owner not in repr(raised.value)


# --- schema and migrations -----------------------------------------------------------------------

def test_embedded_sqlite_is_migrated_to_head_when_opened(tmp_path):
    """GIVEN no index file
    WHEN the index is opened
    THEN the file holds the whole schema at the head revision"""
    url = f"sqlite:///{tmp_path / 'home' / 'index.sqlite3'}"
    Index(url).close()
    current, head = schema_revision(url)
    assert current == head
    engine = create_engine(url)
    assert {"documents", "corrections", "document_versions", "documents_fts"} <= set(
        inspect(engine).get_table_names())
    engine.dispose()


def test_the_head_read_from_the_migration_scripts_is_alembics_head():
    """GIVEN the migration scripts
    WHEN the index reads the head revision from their text (without loading Alembic)
    THEN it is the head Alembic's script directory gives"""
    from alembic.script import ScriptDirectory

    from pipeline.stores.index.engine import _alembic_config, _head_revision

    assert _head_revision() == ScriptDirectory.from_config(_alembic_config()).get_current_head()


def test_an_index_made_before_migrations_is_upgraded_in_place(tmp_path):
    """GIVEN an SQLite index written by the old create_all() schema, holding one document
    WHEN this version opens it
    THEN it is upgraded, the document is kept and can be found by full-text search"""
    import sqlite3

    path = tmp_path / "index.sqlite3"
    row = make_row(7, title="Quyết định cấp phép", text="QUYẾT ĐỊNH về việc cấp giấy phép xây dựng")
    with sqlite3.connect(path) as db:
        db.execute("""CREATE TABLE documents (id VARCHAR(32) PRIMARY KEY, sha256 VARCHAR(64) NOT
            NULL UNIQUE, source TEXT NOT NULL, filename TEXT NOT NULL, media_type VARCHAR(64) NOT
            NULL, input_kind VARCHAR(32) NOT NULL, dossier_code VARCHAR(128), owner_id VARCHAR(32),
            procedure_code VARCHAR(64), title TEXT, pages INTEGER NOT NULL, ocr_confidence FLOAT,
            status VARCHAR(32) NOT NULL, version INTEGER NOT NULL, original_key TEXT NOT NULL,
            searchable_key TEXT NOT NULL, ocr_key TEXT NOT NULL, searchable_sha256 VARCHAR(64) NOT
            NULL, ocr_sha256 VARCHAR(64) NOT NULL, text TEXT NOT NULL, stage_seconds TEXT NOT NULL,
            created_at DATETIME NOT NULL)""")
        db.execute("CREATE INDEX ix_documents_dossier_code ON documents (dossier_code)")
        db.execute("CREATE INDEX ix_documents_owner_id ON documents (owner_id)")
        old_columns = list(row.__dict__)[:22]  # id … created_at, before classification
        values = {**{k: row.__dict__[k] for k in old_columns}, "stage_seconds": '{"ocr": 1.25}',
                  "created_at": row.created_at.replace(tzinfo=None).isoformat(sep=" ")}
        db.execute(f"INSERT INTO documents ({', '.join(values)}) VALUES "
                   f"({', '.join('?' * len(values))})", list(values.values()))
    index = Index(f"sqlite:///{path}")
    assert index.get(row.id).text == row.text
    assert [h.document_id for h in index.search("giay phep xay dung")] == [row.id]
    assert {r.variant for r in index.object_refs()} == {"original", "searchable", "ocr"}
    index.close()


def test_postgresql_is_migrated_to_head_from_an_empty_database():
    """GIVEN an empty PostgreSQL database
    WHEN the index is opened without upgrading
    THEN it refuses with a message to run `sohoa db upgrade`, and after upgrade() it opens"""
    url = create_database("sohoa_test_migrate")
    try:
        with pytest.raises(SchemaNotCurrent, match="sohoa db upgrade") as raised:
            Index(url)
        assert isinstance(raised.value, StorageUnavailable)
        head = upgrade(url)
        assert schema_revision(url) == (head, head)
        index = Index(url)
        index.add(make_row(1))
        assert len(index.list()) == 1
        index.close()
        assert upgrade(url) == head  # a second upgrade is a no-op
    finally:
        drop_database(url)


def test_postgresql_can_be_upgraded_when_opened_on_request():
    """GIVEN an empty PostgreSQL database
    WHEN the index is opened with upgrade=True (as a test or a one-off admin tool may)
    THEN the schema is brought to head"""
    url = create_database("sohoa_test_migrate")
    try:
        Index(url, upgrade=True).close()
        current, head = schema_revision(url)
        assert current == head
    finally:
        drop_database(url)


def test_an_unreachable_database_is_storage_unavailable():
    """GIVEN a PostgreSQL URL where nothing listens
    WHEN the index is opened
    THEN StorageUnavailable says which index (without its password)"""
    with pytest.raises(StorageUnavailable) as raised:
        Index("postgresql+psycopg://sohoa:secret@127.0.0.1:1/sohoa?connect_timeout=2")
    assert "secret" not in raised.value.message
    assert "127.0.0.1:1" in raised.value.message


# --- search -------------------------------------------------------------------------------------

QUYET_DINH = (
    "ỦY BAN NHÂN DÂN QUẬN BA ĐÌNH\nSố: 125/QĐ-UBND\n"
    "QUYẾT ĐỊNH\nVề việc cấp giấy phép xây dựng nhà ở riêng lẻ\n"
    "Cấp cho ông Trần Văn Đức, địa chỉ số 12 phố Đội Cấn, được phép xây dựng công trình "
    "nhà ở riêng lẻ 5 tầng."
)
THONG_BAO = (
    "ỦY BAN NHÂN DÂN PHƯỜNG ĐỘI CẤN\nTHÔNG BÁO\nVề việc tạm dừng thi công\n"
    "Công trình xây dựng tại số 40 phố Liễu Giai chưa có giấy phép. Theo quyết định của "
    "Chủ tịch, đề nghị chủ đầu tư dừng thi công ngay."
)
KHAI_SINH = (
    "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\nGIẤY KHAI SINH\nHọ, chữ đệm, tên: Đặng Thị Hồng Nhung\n"
    "Ngày, tháng, năm sinh: 02/09/2019\nNơi sinh: Bệnh viện Phụ sản Hà Nội"
)


@pytest.fixture
def papers(index) -> dict[str, DocumentRow]:
    rows = {
        "quyet_dinh": make_row(1, title="Quyết định cấp giấy phép xây dựng", text=QUYET_DINH,
                               owner_id="001080000111", dossier_code="HS-2024-0001"),
        "thong_bao": make_row(2, title="Thông báo tạm dừng thi công", text=THONG_BAO,
                              owner_id="001080000222", dossier_code="HS-2024-0002"),
        "khai_sinh": make_row(3, title="Giấy khai sinh", text=KHAI_SINH,
                              owner_id="001080000111", dossier_code="HS-2024-0003"),
    }
    for row in rows.values():
        index.add(row)
    index.set_classification(rows["quyet_dinh"].id, "quyet_dinh_hanh_chinh", 0.93, "title",
                             {}, "stored", issue_date=date(2024, 3, 15))
    index.set_classification(rows["thong_bao"].id, "thong_bao", 0.88, "title",
                             {}, "stored", issue_date=date(2024, 6, 1))
    index.set_classification(rows["khai_sinh"].id, "giay_khai_sinh", 0.97, "title",
                             {}, "stored", issue_date=date(2019, 9, 5))
    return rows


def test_search_ignores_accents_and_case(index, papers):
    """GIVEN a building permit decision, a notice that mentions a decision and building, and a
    birth certificate
    WHEN a user types "quyet dinh xay dung" without accents
    THEN both papers holding all four words are found, the decision first, with a snippet in the
    original Vietnamese around the match"""
    hits = index.search("quyet dinh xay dung")
    assert [h.document_id for h in hits] == [papers["quyet_dinh"].id, papers["thong_bao"].id]
    assert hits[0].rank > hits[1].rank
    assert hits[0].title == "Quyết định cấp giấy phép xây dựng"
    assert "[QUYẾT] [ĐỊNH]" in hits[0].snippet and "[xây] [dựng]" in hits[0].snippet
    assert hits[0].doc_type == "quyet_dinh_hanh_chinh"
    assert hits[0].issue_date == date(2024, 3, 15)


def test_search_folds_d_with_stroke_and_accepts_accented_queries(index, papers):
    """GIVEN the same papers
    WHEN a user searches "dang thi hong nhung", "ĐẶNG Thị Hồng NHUNG" or "doi can"
    THEN đ/Đ match d, accented and unaccented queries find the same documents"""
    assert [h.document_id for h in index.search("dang thi hong nhung")] == [papers["khai_sinh"].id]
    assert [h.document_id for h in index.search("ĐẶNG Thị Hồng NHUNG")] == [papers["khai_sinh"].id]
    # decomposed (NFD) input, as some keyboards and PDFs produce, is the same query
    import unicodedata
    nfd = unicodedata.normalize("NFD", "Đội Cấn")
    assert {h.document_id for h in index.search(nfd)} == {
        papers["quyet_dinh"].id, papers["thong_bao"].id}
    assert "[Đặng] [Thị] [Hồng] [Nhung]" in index.search("dang thi hong nhung")[0].snippet


def test_search_filters(index, papers):
    """GIVEN the same papers
    WHEN a search is narrowed by type, owner, dossier or issue date
    THEN only the documents that match the filter are returned"""
    ids = lambda hits: [h.document_id for h in hits]  # noqa: E731
    assert ids(index.search("xay dung", doc_type="thong_bao")) == [papers["thong_bao"].id]
    assert ids(index.search("xay dung", owner_id="001080000111")) == [papers["quyet_dinh"].id]
    assert ids(index.search("uy ban", dossier_code="HS-2024-0002")) == [papers["thong_bao"].id]
    assert ids(index.search("xay dung", date_from=date(2024, 5, 1))) == [papers["thong_bao"].id]
    assert ids(index.search("xay dung", date_to=date(2024, 3, 15))) == [papers["quyet_dinh"].id]
    assert ids(index.search("xay dung", limit=1)) == [papers["quyet_dinh"].id]
    assert index.search("giấy khai sinh", doc_type="thong_bao") == []
    assert index.search("  ...  ") == []
    assert index.search("khong co tu nay") == []


def test_search_ranks_title_matches_first(index, papers):
    """GIVEN a birth certificate titled so, and a notice whose text mentions no birth
    WHEN searching "giay"
    THEN the paper with the word in its title ranks above those with it only in the text"""
    hits = index.search("giay khai sinh")
    assert hits[0].document_id == papers["khai_sinh"].id


# --- classification, review and corrections ---------------------------------------------------

def test_classification_review_and_corrections(index):
    """GIVEN an ingested paper the classifier is unsure of
    WHEN it is classified with status needs_review, then a reviewer corrects its type and a field
    THEN it is listed for review until accepted, the corrections are recorded with the old values,
    and the document carries the corrected values"""
    row = make_row(1, text="GIẤY CHỨNG NHẬN QUYỀN SỬ DỤNG ĐẤT")
    index.add(row)
    index.add(make_row(2))
    fields = {"so_giay": {"value": "CS 01234", "confidence": 0.61, "page": 1,
                          "bbox": [120, 80, 420, 110]}}
    index.set_classification(row.id, "giay_phep_xay_dung", 0.42, "keywords: giấy, chứng nhận",
                             fields, NEEDS_REVIEW, owner_id="001090012345",
                             valid_until=None, issue_date=date(2020, 1, 2))
    assert [r.id for r in index.list_needing_review()] == [row.id]
    stored = index.get(row.id)
    assert (stored.doc_type, stored.type_confidence, stored.owner_id) == (
        "giay_phep_xay_dung", 0.42, "001090012345")
    assert stored.fields == fields and stored.issue_date == date(2020, 1, 2)

    index.record_correction(row.id, "type", "doc_type", "giay_chung_nhan_qsdd", "reviewer.lan")
    index.record_correction(row.id, "field", "so_giay", "CS 01235", "reviewer.lan")
    index.set_status(row.id, "stored", "đã kiểm tra")

    stored = index.get(row.id)
    assert stored.doc_type == "giay_chung_nhan_qsdd" and stored.type_confidence == 1.0
    assert stored.fields["so_giay"] == {"value": "CS 01235", "confidence": 1.0, "page": 1,
                                        "bbox": [120, 80, 420, 110]}
    assert stored.review_note == "đã kiểm tra"
    assert [(c.kind, c.name, c.old_value, c.new_value) for c in index.corrections(row.id)] == [
        ("type", "doc_type", "giay_phep_xay_dung", "giay_chung_nhan_qsdd"),
        ("field", "so_giay", "CS 01234", "CS 01235"),
    ]
    assert index.list_needing_review() == []
    with pytest.raises(DocumentNotFound):
        index.set_classification("f" * 32, "x", 1.0, "", {}, "stored")
    with pytest.raises(ValueError):
        index.record_correction(row.id, "title", "title", "x", "reviewer.lan")


def test_documents_of_an_owner_valid_today(index):
    """GIVEN one citizen's ID card (valid), an expired passport, a birth certificate (no expiry)
    and another citizen's ID card
    WHEN a procedure asks for this citizen's ID card or passport valid today
    THEN only the valid ID card is returned; without types, the birth certificate too"""
    today = date.today()
    owner, other = "001090000001", "001090000002"
    papers = [
        (make_row(1, owner_id=owner), "can_cuoc_cong_dan", today + timedelta(days=365)),
        (make_row(2, owner_id=owner), "ho_chieu", today - timedelta(days=1)),
        (make_row(3, owner_id=owner), "giay_khai_sinh", None),
        (make_row(4, owner_id=other), "can_cuoc_cong_dan", today + timedelta(days=30)),
        (make_row(5, owner_id=owner), "can_cuoc_cong_dan", today),  # last valid day
    ]
    for row, doc_type, valid_until in papers:
        index.add(row)
        index.set_classification(row.id, doc_type, 0.9, "", {}, "stored", valid_until=valid_until)
    found = index.find_for_owner(owner, ["can_cuoc_cong_dan", "ho_chieu"])
    assert {r.id for r in found} == {papers[0][0].id, papers[4][0].id}
    assert {r.id for r in index.find_for_owner(owner)} == {
        papers[0][0].id, papers[2][0].id, papers[4][0].id}
    later = index.find_for_owner(owner, ["can_cuoc_cong_dan"], valid_on=today + timedelta(days=2))
    assert [r.id for r in later] == [papers[0][0].id]


def test_a_new_version_keeps_the_old_objects_listed(index):
    """GIVEN a stored document
    WHEN a signed PDF is recorded as version 2
    THEN the row points at the signed PDF and both versions' objects are listed"""
    row = make_row(1)
    index.add(row)
    version = index.add_version(row.id, {"searchable": (
        f"documents/{row.id}/v2/searchable.pdf", "c" * 64)})
    assert version == 2
    stored = index.get(row.id)
    assert (stored.version, stored.searchable_key, stored.searchable_sha256) == (
        2, f"documents/{row.id}/v2/searchable.pdf", "c" * 64)
    keys = {r.key for r in index.object_refs([row.id])}
    assert keys == {row.original_key, row.searchable_key, row.ocr_key,
                    f"documents/{row.id}/v2/searchable.pdf"}


def test_versions_list_their_objects_and_the_latest_of_a_variant_is_found(index):
    """GIVEN a stored document signed into version 2
    WHEN its versions and the latest object of a variant are asked for
    THEN version 1 holds the three objects of ingest and version 2 the signed PDF; the latest
    signed and original objects come from the versions that have them, a version can be named,
    and a variant no version has is None"""
    row = make_row(1)
    index.add(row)
    signed_key = f"documents/{row.id}/v2/signed.pdf"
    index.add_version(row.id, {"signed": (signed_key, "d" * 64), "searchable": (signed_key, "d" * 64)})

    versions = index.versions(row.id)
    assert [v.version for v in versions] == [1, 2]
    assert sorted(versions[0].objects) == ["ocr", "original", "searchable"]
    assert versions[0].objects["original"].key == row.original_key
    assert sorted(versions[1].objects) == ["searchable", "signed"]
    assert versions[1].created_at.tzinfo is not None

    signed = index.latest_object(row.id, "signed")
    assert (signed.version, signed.key, signed.sha256) == (2, signed_key, "d" * 64)
    assert index.latest_object(row.id, "original").version == 1
    assert index.latest_object(row.id, "searchable", version=1).key == row.searchable_key
    assert index.latest_object(row.id, "signed", version=1) is None
    assert index.latest_object(row.id, "ocr", version=2) is None
    assert index.versions("0" * 32) == []


def test_ping_answers_while_the_database_does(index):
    """GIVEN an open index WHEN pinged THEN it answers; with its database gone,
    StorageUnavailable"""
    index.ping()
    working, index.engine = index.engine, create_engine(
        "postgresql+psycopg://nobody@127.0.0.1:1/none", connect_args={"connect_timeout": 1})
    try:
        with pytest.raises(StorageUnavailable):
            index.ping()
    finally:
        index.engine.dispose()
        index.engine = working


# --- folding ----------------------------------------------------------------------------------

def test_folding_keeps_positions_and_drops_every_vietnamese_mark():
    """Each character folds to one character, so a match in the folded text marks the original."""
    source = "Đường Nguyễn Trãi, QUẬN THANH XUÂN — ưởng ỳ ạ"
    assert fold_text(source) == "duong nguyen trai, quan thanh xuan — uong y a"
    assert len(fold_text(source)) == len(source)


def test_folding_matches_folding_each_character_alone():
    """GIVEN every character up to U+2FFF, decomposed as well as composed
    WHEN folded as one text (through the table of characters seen)
    THEN each comes out as folding it alone gives, lower case where that is one character"""
    import unicodedata

    from pipeline.textnorm import fold_aligned
    source = "".join(chr(c) for c in range(0x20, 0x3000) if not 0xD800 <= c < 0xE000)
    composed = unicodedata.normalize("NFC", source)
    alone = "".join(f.lower() if len(f.lower()) == 1 else f
                    for f in (fold_aligned(c) for c in composed))
    assert fold_text(source) == alone
    assert fold_text(unicodedata.normalize("NFD", source)) == alone


def _plain_snippet_window(folded: str, spans: list, width: int) -> int:
    """Where the snippet starts, said plainly: the first query word from which `width` characters
    hold the most different query words."""
    best_start, best_count = spans[0][0], 0
    for i, (start, _) in enumerate(spans):
        count = len({folded[s:e] for s, e in spans[i:] if e <= start + width})
        if count > best_count:
            best_start, best_count = start, count
    return best_start


def test_a_snippet_of_a_long_text_is_around_the_most_query_words():
    """GIVEN a long text (about 25,000 characters) where two of the query's words are very common
    and the three stand together only once, near its end
    WHEN its snippet is made
    THEN it shows the three words in brackets, from the first query word after which all three
    fall within its width: the window a plain search from every query word finds"""
    import random
    import re

    from pipeline.stores.index import make_snippet, search_terms
    rng = random.Random(7)
    words = ["quyền", "sử", "dụng", "đất", "nhà", "ở", "Ủy", "ban", "nhân", "số"]
    body = [rng.choice(words) for _ in range(6_000)]
    body[5_500:5_503] = ["Thửa", "đất", "số"]
    text = " ".join(body)
    terms = search_terms("thua dat so")
    snippet = make_snippet(text, terms)
    assert all(f"[{w}]" in snippet for w in ("Thửa", "đất", "số"))
    folded = fold_text(text)
    spans = [(m.start(), m.end()) for m in re.finditer(r"[^\W_]+", folded) if m.group() in terms]
    assert len(spans) > 1000
    start = _plain_snippet_window(folded, spans, 160)
    assert 5_000 * 3 < start
    assert folded[start:start + 40] in fold_text(snippet.replace("[", "").replace("]", ""))


def test_the_figures_counts_follow_documents_and_dossiers_as_they_change(index):
    """GIVEN two ID cards and an unclassified scan of one owner, then the scan classified as a
    form; a dossier opened for the marital-status procedure (the card taken from file, the form
    missing), then the form received into it
    WHEN the index's figure counts are read after each step
    THEN documents and pages per type follow the reclassification, and the dossier's counts go
    from one paper handed in (digitised, one of two required reused) to two"""
    import secrets

    from pipeline.core.reuse import open_dossier, receive_papers
    from schemas.catalog import default_catalog

    catalog, owner, creator = default_catalog(), "001090000001", f"test:{secrets.token_hex(4)}"
    base = 7000 + secrets.randbelow(10**6) * 10  # fresh ids on the shared PostgreSQL test database
    card, other, scan = (make_row(base + n, owner_id=owner, doc_type=t, pages=n + 1)
                         for n, t in enumerate(("can_cuoc", "can_cuoc", None)))
    for row in (card, other, scan):
        index.add(row)

    def by_type():
        return index.figure_counts(result_types={"to_khai"}).by_type

    before = by_type()
    index.set_classification(scan.id, "to_khai", 0.9, "test", status="stored")
    after = by_type()
    assert after.get("to_khai", 0) - before.get("to_khai", 0) == 1
    assert before.get(None, 0) - after.get(None, 0) == 1
    assert after.get("can_cuoc", 0) == before.get("can_cuoc", 0)

    def mine():
        return [h for h in index.figure_counts(result_types=set()).dossiers if h.created_by == creator]

    dossier = open_dossier(index, catalog, procedure_code="1.004873", owner_id=owner, created_by=creator,
                           agency_code=f"T{secrets.token_hex(3)}")
    [opened] = mine()
    assert (opened.dossiers, opened.digitised, opened.required, opened.reused) == (1, 1, 2, 1)
    form = make_row(base + 5, owner_id=owner, doc_type="to_khai", dossier_code=dossier.code)
    index.add(form)
    receive_papers(index, dossier.code)
    [received] = mine()
    assert (received.dossiers, received.digitised, received.required, received.reused) == (1, 1, 2, 1)
    with index.engine.connect() as conn:
        handed = conn.execute(select(dossiers.c.handed).where(dossiers.c.code == dossier.code)).scalar_one()
    assert handed == 2
