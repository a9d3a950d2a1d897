"""Separation wired into ingestion (issue 13): a scanner's stream becomes its documents, each
naming the original file and its pages; the original is stored once, byte-identical; blank backs
and separator sheets are left out of the documents; sheets label what follows; a doubtful
boundary is one document for review; a re-ingest or a resumed run stores nothing twice; page
files of one paper are one document; the queued path separates the same way.

Streams come from pipeline.samples.streams (generated papers with their truth). The pages of the
main stream are processed once per module (`stream_pages`); most tests store them again with
other settings into their own index, which costs no OCR."""

from __future__ import annotations

import hashlib
import io
import json
from dataclasses import dataclass, replace
from pathlib import Path

import pytest
from sqlalchemy import delete, func, select

from conftest import cli_env
from pipeline.core.config import PipelineSettings
from pipeline.core.document import input_bytes, open_item, store_input
from pipeline.core.pages import PageResult, page_tasks, process_page
from pipeline.core.run import Ingestor
from pipeline.core.runtime import Runtime
from pipeline.samples.streams import make_stream, page_files
from pipeline.settings import Settings
from pipeline.stages.ingest import InputFile, OpenedInput, discover
from pipeline.stores.index import Index, documents
from pipeline.stores.objects import open_store, original_key
from queue_helpers import write_paragraph_scans
from workers.tasks import finalise_item, ingest_item, ocr_page

TYPES = ("giay_khai_sinh", "xac_nhan_cu_tru", "to_khai", "quyet_dinh")


def write_tiff(stream, path: Path) -> Path:
    """The stream as a feeder writes it: one multi-page TIFF."""
    images = [page.image.convert("L") for page in stream.pages]
    images[0].save(path, save_all=True, append_images=images[1:], dpi=(stream.dpi, stream.dpi),
                   compression="tiff_deflate")
    return path


@dataclass
class StreamPages:
    stream: object
    path: Path
    item: InputFile
    opened: OpenedInput
    data: bytes
    results: dict[int, PageResult]


@pytest.fixture(scope="module")
def stream_pages(tmp_path_factory) -> StreamPages:
    """Three papers scanned duplex without separator sheets (6 pages: each front, then its blank
    back), processed once: image signals and OCR per page, as the ingestor does."""
    stream = make_stream(3, documents=3, separators="none", duplex=True, severity="light", doc_types=TYPES)
    assert [p.role for p in stream.pages] == ["content", "blank"] * 3
    path = write_tiff(stream, tmp_path_factory.mktemp("stream") / "may-quet-0001.tif")
    settings = PipelineSettings()
    item = InputFile(path, dossier_code="HS-TEST-1")
    opened = open_item(item, settings)
    results = {task.page: process_page(task) for task in page_tasks(opened, settings)}
    return StreamPages(stream, path, item, opened, input_bytes(opened, settings), results)


def store_stream(pages: StreamPages, home: Path, classifier, settings: PipelineSettings | None = None):
    settings = settings or PipelineSettings()
    store, index = open_store(f"file://{home / 'objects'}"), Index(f"sqlite:///{home / 'index.sqlite3'}")
    lines = store_input(pages.opened, pages.item, pages.data, pages.results, store=store, index=index,
                        settings=settings, classifier=classifier)
    return lines, store, index


def test_a_stream_becomes_its_documents_each_naming_the_original_and_its_pages(stream_pages, tmp_path, classifier):
    """GIVEN a six-page duplex TIFF of three papers, each with a blank back, no separator sheets
    WHEN it is separated and stored
    THEN there are three documents of one page each, of the papers' types, each naming the file,
    its sha256 and its page range (the blank back inside the range, left out of the document);
    the original is stored once, byte-identical, and every document points at it"""
    lines, store, index = store_stream(stream_pages, tmp_path, classifier)
    stream = stream_pages.stream
    assert [line.status for line in lines] == ["stored"] * 3
    assert [line.doc_type for line in lines] == [doc.doc_type for doc in stream.documents]
    rows = [index.get(line.document_id) for line in lines]
    file_sha = hashlib.sha256(stream_pages.path.read_bytes()).hexdigest()
    assert [(r.source_first_page, r.source_last_page, r.source_pages, r.pages) for r in rows] == [
        (1, 2, "1", 1), (3, 4, "3", 1), (5, 6, "5", 1)]
    assert {(r.source_sha256, r.original_key, r.source_documents, r.filename) for r in rows} == {
        (file_sha, original_key(file_sha), 3, "may-quet-0001.tif")}
    assert store.get(original_key(file_sha)) == stream_pages.path.read_bytes()
    assert len([k for k in store.keys("originals/")]) == 1
    assert len({r.id for r in rows}) == 3 and all(r.id != file_sha[:32] for r in rows)
    assert all("blank" in line.separation[-1] and "dropped" in line.separation[-1] for line in lines)
    assert "a new document starts" in lines[1].separation[0]
    assert all(r.dossier_code == "HS-TEST-1" for r in rows)
    from pipeline.core.verify import verify

    checked = verify(index, store, None)  # each document's original is the file, by its own hash
    assert checked.ok and not checked.findings, checked.findings


def test_ids_are_stable_and_a_second_store_is_a_duplicate(stream_pages, tmp_path, classifier):
    """GIVEN the stream stored once
    WHEN the same pages are stored again into the same index, and separately into a fresh one
    THEN the second store reports every document as a duplicate of the first, adds no row, and
    the fresh index gives the same ids (they derive from the file's hash and the page range)"""
    first, _store, index = store_stream(stream_pages, tmp_path / "a", classifier)
    again, _store, _index = store_stream(stream_pages, tmp_path / "a", classifier)
    fresh, _store, _index = store_stream(stream_pages, tmp_path / "b", classifier)
    assert [line.status for line in again] == ["duplicate"] * 3
    assert [line.document_id for line in again] == [line.document_id for line in first]
    assert [line.document_id for line in fresh] == [line.document_id for line in first]
    assert len(index.list()) == 3


def test_a_run_cut_short_is_completed_without_duplicates(stream_pages, tmp_path, classifier):
    """GIVEN the stream whose third document's row never reached the index (a crash after two)
    WHEN planning looks at the file, and it is stored again
    THEN the file is not taken for a duplicate (only two of its three documents are stored); the
    two come out as duplicates, the third is stored, and the index holds three rows"""
    from pipeline.core.planning import stored_documents

    lines, _store, index = store_stream(stream_pages, tmp_path, classifier)
    with index.engine.begin() as conn:
        conn.execute(delete(documents).where(documents.c.id == lines[2].document_id))
    assert stored_documents(index, stream_pages.opened.sha256) == []
    again, _store, _index = store_stream(stream_pages, tmp_path, classifier)
    assert [line.status for line in again] == ["duplicate", "duplicate", "stored"]
    assert stored_documents(index, stream_pages.opened.sha256) == [line.document_id for line in lines]
    with index.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(documents)).scalar_one() == 3


def test_blank_backs_are_kept_when_dropping_is_off(stream_pages, tmp_path, classifier):
    """GIVEN the stream, with blank-page dropping turned off (SOHOA_DROP_BLANK_PAGES=false)
    WHEN it is stored
    THEN the three documents hold their blank backs (two pages each)"""
    settings = PipelineSettings.from_settings(Settings(home=tmp_path, drop_blank_pages=False))
    lines, _store, index = store_stream(stream_pages, tmp_path, classifier, settings)
    assert [(index.get(line.document_id).pages, line.source_pages) for line in lines] == [
        (2, "1-2"), (2, "3-4"), (2, "5-6")]


def test_a_doubtful_boundary_keeps_the_pages_together_for_review(stream_pages, tmp_path, classifier):
    """GIVEN the stream, with a split threshold no boundary reaches
    WHEN it is stored
    THEN it is one document of the three papers, marked needs_review with "possible document
    boundary after page 2" and "after page 4" (the pages before each doubtful start)"""
    settings = replace(PipelineSettings(), separate=replace(PipelineSettings().separate, split_confidence=1.0))
    (line,), _store, index = store_stream(stream_pages, tmp_path, classifier, settings)
    row = index.get(line.document_id)
    assert (row.status, row.pages, row.source_pages, line.needs_review) == ("needs_review", 3, "1,3,5", True)
    assert "possible document boundary after page 1" in row.review_note
    assert "possible document boundary after page 3" in row.review_note
    assert row.id == stream_pages.opened.sha256[:32]  # the whole file: the id as before separation


def test_separation_off_stores_the_file_as_one_document(stream_pages, tmp_path, classifier):
    """GIVEN the stream, with separation turned off (SOHOA_SEPARATION=false)
    WHEN it is stored
    THEN it is one document of all six pages, with the file's hash as its id, as before issue 13"""
    settings = PipelineSettings.from_settings(Settings(home=tmp_path, separation=False))
    (line,), _store, index = store_stream(stream_pages, tmp_path, classifier, settings)
    row = index.get(line.document_id)
    assert (row.id, row.sha256, row.pages, row.source_pages) == (
        stream_pages.opened.sha256[:32], stream_pages.opened.sha256, 6, "1-6")


def test_a_single_sided_feeders_duplex_scan_is_collated(stream_pages, tmp_path, classifier):
    """GIVEN the stream's pages as a single-sided feeder gives a duplex stack: the three fronts,
    then the stack turned over and the backs last sheet first (the processed pages put in that
    order), with SOHOA_SINGLE_SIDED_DUPLEX on
    WHEN it is stored
    THEN the pages are interleaved back before separation: three documents, each its front
    (input pages 1, 2 and 3), each back found blank and left out"""
    perm = [0, 2, 4, 5, 3, 1]  # fronts f1 f2 f3, then backs b3 b2 b1
    results = {j: replace(stream_pages.results[i], index=j) for j, i in enumerate(perm)}
    settings = PipelineSettings.from_settings(Settings(home=tmp_path, single_sided_duplex=True))
    store, index = open_store(f"file://{tmp_path / 'objects'}"), Index(f"sqlite:///{tmp_path / 'index.sqlite3'}")
    lines = store_input(stream_pages.opened, stream_pages.item, stream_pages.data, results, store=store,
                        index=index, settings=settings, classifier=classifier)
    assert [(line.source_pages, line.pages, line.doc_type) for line in lines] == [
        ("1", 1, doc.doc_type) for doc in stream_pages.stream.documents[:1]] + [
        ("2", 1, stream_pages.stream.documents[1].doc_type), ("3", 1, stream_pages.stream.documents[2].doc_type)]
    assert [line.separation[-1].split(":")[0] for line in lines] == ["page 6", "page 5", "page 4"]


def test_the_queued_path_separates_the_same_way(stream_pages, tmp_path, classifier):
    """GIVEN the stream queued for workers (run in this process, messages collected)
    WHEN its item, page and finalise messages are delivered (the finalise twice)
    THEN the workers store the same three documents (ids, pages) as a local store, and the item
    is settled stored"""
    local, _store, _index = store_stream(stream_pages, tmp_path / "local", classifier)
    sent: list[tuple] = []
    rt = Runtime(Settings(home=tmp_path / "queued"), classifier=classifier, send=lambda *m: sent.append(m))
    batch_id = rt.queue_batch([stream_pages.item])
    actors = {"ingest_item": ingest_item, "ocr_page": ocr_page, "finalise_item": finalise_item}
    while sent:
        actor, *args = sent.pop(0)
        actors[actor](rt, *args)
        if actor == "finalise_item":
            actors[actor](rt, *args)
    rows = sorted(rt.index.list(), key=lambda r: r.source_first_page)
    assert [(r.id, r.pages, r.source_pages) for r in rows] == [
        (line.document_id, line.pages, line.source_pages) for line in local]
    (item,) = rt.batches.items(batch_id)
    assert (item.status, item.document_id) == ("stored", local[0].document_id)


# --- through the ingestor: separator sheets, the report, `sohoa show` -------------------------


@pytest.fixture(scope="module")
def sheet_stream(tmp_path_factory, classifier):
    """Two papers behind sohoa's sheets (a cover naming the dossier and owner, a document sheet
    naming each type): five pages, ingested once by the Ingestor, then once more."""
    stream = make_stream(3, documents=2, separators="sohoa", duplex=False, severity="light", doc_types=TYPES)
    assert [p.role for p in stream.pages] == ["separator", "separator", "content", "separator", "content"]
    root = tmp_path_factory.mktemp("sheets")
    path = write_tiff(stream, root / "lo-quet.tif")
    settings = Settings(home=root / "home")
    ingestor = Ingestor(open_store(settings.objects_url), Index(settings.index_url),
                        PipelineSettings.from_settings(settings), quarantine_dir=settings.quarantine_dir,
                        classifier=classifier)
    first = list(ingestor.ingest(discover([path])))
    again = list(ingestor.ingest(discover([path])))
    return stream, path, settings, ingestor, first, again


def test_separator_sheets_split_and_label_what_follows(sheet_stream):
    """GIVEN a stream of a cover sheet, then a document sheet before each of two papers
    WHEN it is ingested
    THEN there are two documents; the sheets are in none of them; each has the type its sheet
    names, the cover's dossier code and owner; the report gives each its pages and the sheets'
    decisions, without the owner's number"""
    stream, _path, _settings, ingestor, first, _again = sheet_stream
    assert [line.status for line in first] == ["stored"] * 2
    rows = [ingestor.index.get(line.document_id) for line in first]
    truth = stream.documents
    assert [r.source_pages for r in rows] == [",".join(map(str, d.pages)) for d in truth]
    assert [(r.doc_type, r.type_reason) for r in rows] == [(d.sheet_type, "named by a separator sheet") for d in truth]
    assert {(r.dossier_code, r.owner_id) for r in rows} == {(truth[0].sheet_dossier, truth[0].sheet_owner)}
    assert [line.dossier_code for line in first] == [truth[0].sheet_dossier] * 2
    decisions = [d for line in first for d in line.separation]
    assert sum("separator" in d and "not stored" in d for d in decisions) == 3
    assert "cover (starts a dossier)" in decisions[0]
    assert truth[0].sheet_owner not in json.dumps([line.model_dump() for line in first])


def test_ingesting_the_stream_again_stores_nothing_twice(sheet_stream):
    """GIVEN the stream ingested once
    WHEN the same file is ingested again
    THEN every one of its documents is reported a duplicate, and the index holds two rows"""
    _stream, _path, _settings, ingestor, first, again = sheet_stream
    assert [(line.status, line.document_id) for line in again] == [
        ("duplicate", line.document_id) for line in first]
    assert len(ingestor.index.list()) == 2


def test_show_and_list_say_which_file_and_pages_a_document_came_from(sheet_stream):
    """GIVEN the ingested stream
    WHEN `sohoa show ID` and `sohoa list --json` run (in this process)
    THEN show says the file, the pages and that it is one of two documents; list gives the
    source pages of each"""
    from click.testing import CliRunner

    from pipeline.cli import cli

    _stream, _path, settings, _ingestor, first, _again = sheet_stream
    env = {k: v for k, v in cli_env(settings.home).items() if k.startswith("SOHOA_")}
    runner = CliRunner()
    shown = runner.invoke(cli, ["show", first[1].document_id], env=env, terminal_width=200)
    assert shown.exit_code == 0, shown.output
    assert f"lo-quet.tif, pages {first[1].source_pages}" in shown.output
    assert "one of 2 documents in that input" in shown.output
    listed = runner.invoke(cli, ["list", "--json"], env=env)
    pages = {json.loads(line)["id"]: json.loads(line)["source_pages"] for line in listed.output.splitlines()}
    assert pages == {line.document_id: line.source_pages for line in first}


# --- page files --------------------------------------------------------------------------------


def test_page_files_of_one_paper_are_one_document_in_page_order(tmp_path, classifier):
    """GIVEN a folder with a two-page decision photographed page by page (quyet-dinh-01-p1.png,
    quyet-dinh-01-p2.png) and a note scanned on its own beside it
    WHEN the folder is ingested, and again
    THEN the decision's page files are one document of two pages, p1 first; each file's original
    is stored byte-identical under its own key, named in the row and the report; the note is a
    document of its own; the second ingest stores nothing"""
    stream = make_stream(1, documents=1, separators="none", duplex=False, severity="light",
                         doc_types=("quyet_dinh", "xac_nhan_cu_tru", "giay_khai_sinh"))
    folder = tmp_path / "HS-ANH"
    files = page_files(stream, folder, naming="paper", fmt="png")
    assert [p.name for p in files] == ["quyet-dinh-01-p1.png", "quyet-dinh-01-p2.png"]
    (note,) = write_paragraph_scans(folder, 1)
    settings = Settings(home=tmp_path / "home")
    ingestor = Ingestor(open_store(settings.objects_url), Index(settings.index_url),
                        PipelineSettings.from_settings(settings), quarantine_dir=settings.quarantine_dir,
                        classifier=classifier)
    lines = sorted(ingestor.ingest(discover([folder])), key=lambda line: line.source)
    assert [(Path(line.source).name, line.status, line.pages) for line in lines] == [
        ("quyet-dinh-01-p1.png", "stored", 2), (note.name, "stored", 1)]
    assert (lines[0].doc_type, lines[0].source_files, lines[1].source_files) == (
        "quyet_dinh", [str(p) for p in files], None)
    row = ingestor.index.get(lines[0].document_id)
    assert (row.pages, row.source_pages, row.filename) == (2, "1-2", "quyet-dinh-01-p1.png")
    listed = json.loads(row.source_files)
    assert [f["name"] for f in listed] == ["quyet-dinh-01-p1.png", "quyet-dinh-01-p2.png"]
    for entry, path in zip(listed, files):
        assert ingestor.store.get(entry["key"]) == path.read_bytes()
    assert ingestor.index.get(lines[1].document_id).source_files is None
    from pipeline.core.verify import verify

    checked = verify(ingestor.index, ingestor.store, None)
    assert checked.ok and not checked.findings, checked.findings  # each page file is referenced
    again = list(ingestor.ingest(discover([folder])))
    assert sorted(line.status for line in again) == ["duplicate", "duplicate"]


# --- split and merge after the fact ------------------------------------------------------------


def test_merge_then_split_make_new_documents_and_keep_the_old_ones(stream_pages, tmp_path, classifier):
    """GIVEN the stream's first two documents stored, the second with a reviewer's correction of
    a field
    WHEN a person merges them, then splits the merged document after page 1
    THEN the merge is one two-page document of source pages 1 and 3, classified again, and the
    two it replaced stay findable as superseded, naming it; the split gives two one-page
    documents whose types are the originals'; the corrected field is carried over to the merged
    document, then to the half holding its page; a record says who merged and who split; the
    original file is untouched, and no old row was deleted"""
    from pipeline.core.regroup import merge_documents, split_document

    lines, store, index = store_stream(stream_pages, tmp_path, classifier)
    first, second = (index.get(line.document_id) for line in lines[:2])
    field = next(name for name, value in second.fields.items() if value.get("value"))
    index.record_correction(second.id, "field", field, "ĐÃ SỬA", "chi.lan")
    original = store.get(first.original_key)
    settings = PipelineSettings()

    merged = merge_documents(index, store, classifier, settings, [first.id, second.id], by="anh.tuan")
    (one,) = merged.documents
    assert (one.pages, one.source_pages, one.source_sha256) == (2, "1,3", first.source_sha256)
    assert one.text == first.text + "\f" + second.text
    import pikepdf

    with pikepdf.open(io.BytesIO(store.get(one.searchable_key))) as pdf:
        assert len(pdf.pages) == 2 and "/OutputIntents" in pdf.Root
        assert pdf.open_metadata()["dc:identifier"] == one.id
    for old in (first, second):
        kept = index.get(old.id)
        assert (kept.status, kept.superseded_by) == ("superseded", one.id)
        assert "merged by anh.tuan" in kept.review_note

    halves = split_document(index, store, classifier, settings, one.id, 1, by="anh.tuan").documents
    assert [(h.pages, h.source_pages, h.doc_type) for h in halves] == [
        (1, "1", first.doc_type), (1, "3", second.doc_type)]
    merged_field = index.get(one.id).fields[field]
    assert merged_field["value"] == "ĐÃ SỬA"  # carried from the second document into the merge
    holder = halves[int(merged_field["page"]) - 1]  # and from the merge to the half with its page
    assert holder.fields[field]["value"] == "ĐÃ SỬA"
    assert [c.new_value for c in index.corrections(holder.id)] == ["ĐÃ SỬA"]
    assert [(r["kind"], r["done_by"], r["made"]) for r in index.regroupings(one.id)] == [
        ("merge", "anh.tuan", one.id), ("split", "anh.tuan", ",".join(h.id for h in halves))]
    assert [r["replaced"] for r in index.regroupings(first.id)] == [f"{first.id},{second.id}"]
    assert store.get(first.original_key) == original
    assert len(index.list()) == 3 + 1 + 2


def test_a_signed_or_replaced_document_is_never_split_or_merged(stream_pages, tmp_path, classifier):
    """GIVEN the stream's documents, one of them with a validated signature recorded
    WHEN a person tries to merge it, or to split a one-page document, or to merge a document
    already replaced by a merge
    THEN each is refused with a clear error and its stable code, and nothing is written"""
    from pipeline.core.regroup import RegroupRefused, merge_documents, split_document

    lines, store, index = store_stream(stream_pages, tmp_path, classifier)
    a, b, c = (line.document_id for line in lines)
    index.record_signature(c, 1, [{"field_name": "Signature1", "indication": "TOTAL_PASSED"}])
    settings = PipelineSettings()
    with pytest.raises(RegroupRefused) as signed:
        merge_documents(index, store, classifier, settings, [b, c], by="x")
    assert signed.value.code == "document_signed"
    assert signed.value.message.startswith(f"document {c} is signed")
    with pytest.raises(RegroupRefused, match="has one page: nothing to split"):
        split_document(index, store, classifier, settings, a, 1, by="x")
    merge_documents(index, store, classifier, settings, [a, b], by="x")
    with pytest.raises(RegroupRefused, match="already replaced by"):
        merge_documents(index, store, classifier, settings, [a, b], by="x")
    assert len(index.list()) == 4


def test_the_api_splits_and_merges_with_the_write_scope(stream_pages, tmp_path, classifier):
    """GIVEN the stream stored in an API's home, a key with documents:write and one with
    documents:read only
    WHEN POST /v1/documents/merge and POST /v1/documents/{id}/split are called
    THEN the read key is refused (403); the write key merges (201, the new document with its
    source pages) and splits it again; splitting after page 9 of a two-page document is a 422
    problem with code regroup_refused"""
    from fastapi.testclient import TestClient

    from pipeline.core.access import AccessStore
    from pipeline.service.api import build_services, create_app

    settings = Settings(home=tmp_path / "home")
    home = settings.resolved_home
    lines, _store, _index = store_stream(stream_pages, home, classifier)
    rt = Runtime(settings, classifier=classifier)
    client = TestClient(create_app(build_services(rt)))
    access = AccessStore(rt.index)
    keys = {scope: access.create_key(f"k-{scope.replace(':', '-')}", [scope]).key
            for scope in ("documents:read", "documents:write")}

    def post(path, scope, body):
        return client.post(path, json=body, headers={"Authorization": f"Bearer {keys[scope]}"})

    ids = [lines[0].document_id, lines[1].document_id]
    assert post("/v1/documents/merge", "documents:read", {"document_ids": ids}).status_code == 403
    merged = post("/v1/documents/merge", "documents:write", {"document_ids": ids})
    assert merged.status_code == 201, merged.text
    (document,) = merged.json()["documents"]
    assert (document["pages"], document["source_pages"], merged.json()["replaced"]) == (2, "1,3", ids)
    refused = post(f"/v1/documents/{document['id']}/split", "documents:write", {"after_page": 9})
    assert (refused.status_code, refused.json()["code"]) == (422, "regroup_refused")
    split = post(f"/v1/documents/{document['id']}/split", "documents:write", {"after_page": 1})
    assert split.status_code == 201, split.text
    assert [d["source_pages"] for d in split.json()["documents"]] == ["1", "3"]
    assert client.get(f"/v1/documents/{ids[0]}", headers={"Authorization": f"Bearer {keys['documents:read']}",
                                                           "X-Purpose": "kiem-tra"}).json()["superseded_by"] == [document["id"]]


def test_discovery_joins_a_papers_page_files_and_sequences_only_when_asked(tmp_path):
    """GIVEN a folder with x-p2.png, x-p1.png, x-p10.png, giay (2).jpg beside giay.jpg, scanner files
    scan_0001.jpg… and a PDF named like a page (to-khai-p1.pdf)
    WHEN it is discovered, then discovered with sequences joined (`ingest --scan-sequence`)
    THEN the paper's images are one input in page order (p10 last), giay.jpg and giay (2).jpg one
    input, the PDF alone; the scanner files stay apart unless sequences are joined, and then are
    one "sequence" input in number order"""
    from PIL import Image

    folder = tmp_path / "HS-9"
    folder.mkdir()
    names = ["x-p2.png", "x-p1.png", "x-p10.png", "giay.jpg", "giay (2).jpg",
             "scan_0002.jpg", "scan_0001.jpg", "scan_0003.jpg"]
    for name in names:
        Image.new("L", (20, 20), 255).save(folder / name)
    (folder / "to-khai-p1.pdf").write_bytes(b"%PDF-1.4\n")

    def shapes(items):
        return sorted((item.path.name, [p.name for p in item.parts], item.joined, item.dossier_code) for item in items)

    assert shapes(discover([folder])) == [
        ("giay.jpg", ["giay.jpg", "giay (2).jpg"], "paper", "HS-9"),
        ("scan_0001.jpg", [], "", "HS-9"), ("scan_0002.jpg", [], "", "HS-9"), ("scan_0003.jpg", [], "", "HS-9"),
        ("to-khai-p1.pdf", [], "", "HS-9"),
        ("x-p1.png", ["x-p1.png", "x-p2.png", "x-p10.png"], "paper", "HS-9")]
    joined = {item.path.name: item for item in discover([folder], join_sequences=True)}
    assert [p.name for p in joined["scan_0001.jpg"].parts] == ["scan_0001.jpg", "scan_0002.jpg", "scan_0003.jpg"]
    assert joined["scan_0001.jpg"].joined == "sequence"
