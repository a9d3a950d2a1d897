"""The spine end to end: a generated multi-dossier batch of office scans through the real CLI."""

from __future__ import annotations

import io
import json
import subprocess
import unicodedata
from pathlib import Path

import pdfplumber
import pytest
from rapidfuzz.distance import Levenshtein

from conftest import cli_env, run_cli
from pipeline.samples import character_error_rate, write_sample_batch


@pytest.fixture(scope="module")
def batch(tmp_path_factory) -> tuple[Path, list[Path]]:
    root = tmp_path_factory.mktemp("batch")
    files = write_sample_batch(root, seed=4242, dossiers=2, documents_per_dossier=3, dpi=300)
    return root, files


@pytest.fixture(scope="module")
def ingested(batch, tmp_path_factory, classifier):
    """The batch ingested once, with two page processes, through the command line."""
    root, files = batch
    home = tmp_path_factory.mktemp("home")
    report = home / "report.jsonl"
    env = cli_env(home)
    completed = run_cli(env, "ingest", root, "--jobs", "2", "--report", report, timeout=900)
    lines = [json.loads(line) for line in report.read_text().splitlines()]
    return completed, lines, home, env


@pytest.fixture(scope="module")
def stored_texts(ingested) -> dict[str, list[str]]:
    """Each stored document's pages of text, as `sohoa text ID` prints them (asked once each)."""
    _completed, lines, _home, env = ingested
    return {line["document_id"]: run_cli(env, "text", line["document_id"]).stdout.rstrip("\n").split("\f")
            for line in lines}


def ground_truth_pages(source: Path) -> list[str]:
    return source.with_name(source.name + ".gt.txt").read_text(encoding="utf-8").split("\f")


def test_every_file_of_the_batch_is_stored_with_its_dossier(batch, ingested):
    """GIVEN a generated batch of two dossiers of PNG, JPEG, TIFF and PDF scans
    WHEN `sohoa ingest DIR --jobs 2 --report R` runs
    THEN it exits 0, every file is stored once, in the dossier its directory (or manifest) names,
    and the report has one line per file with pages, confidence and per-stage seconds"""
    root, files = batch
    completed, lines, _home, _env = ingested
    assert completed.returncode == 0, completed.stderr
    assert sorted(Path(line["source"]).resolve() for line in lines) == sorted(f.resolve() for f in files)
    for line in lines:
        assert line["status"] == "stored", line
        assert line["dossier_code"], line
        assert line["pages"] >= 1
        assert line["seconds"]["store"] >= 0
        assert line["document_id"]
    assert "seconds/page" in completed.stdout
    dossier_dirs = {f.parent.name for f in files}
    assert len(dossier_dirs) == 2


def test_ocr_text_matches_the_source_documents(batch, ingested, stored_texts):
    """GIVEN the stored batch
    WHEN each document's text is compared with the text the scans were rendered from
    THEN the character error rate over all pages stays under 2% (NFC, whitespace collapsed)

    The product target is 1%; what is left above it is almost all in signer blocks, where the red
    seal and the signature cover the position and the name (measured 1.6% on this batch, see
    README "Benchmark")."""
    _root, files = batch
    _completed, lines, _home, _env = ingested
    by_source = {Path(line["source"]).resolve(): line for line in lines}
    errors, characters, worst = 0.0, 0, (0.0, "")
    for source in files:
        line = by_source[source.resolve()]
        stored_pages = stored_texts[line["document_id"]]
        truth_pages = ground_truth_pages(source)
        assert len(stored_pages) == len(truth_pages), source
        for page_number, (truth, stored) in enumerate(zip(truth_pages, stored_pages), 1):
            assert unicodedata.is_normalized("NFC", stored)
            cer = character_error_rate(truth, stored)
            length = len(" ".join(truth.split()))
            errors += cer * length
            characters += length
            worst = max(worst, (cer, f"{source.name} page {page_number}"))
    overall = errors / characters
    assert overall < 0.02, f"CER {overall:.2%}; worst page {worst[1]} at {worst[0]:.2%}"
    assert worst[0] < 0.06, f"worst page {worst[1]} at {worst[0]:.2%}"


def test_stored_pdfs_are_valid_searchable_and_compact(ingested, stored_texts):
    """GIVEN the stored batch
    WHEN the searchable PDFs are exported
    THEN qpdf --check passes, pdfplumber reads back the same words OCR produced, and pages of
    image scans take at most 0.3 MB each (median)"""
    _completed, lines, home, env = ingested
    sizes_per_page = []
    for line in lines:
        out = home / f"{line['document_id']}.pdf"
        assert run_cli(env, "export", line["document_id"], "-o", out).returncode == 0
        check = subprocess.run(["qpdf", "--check", str(out)], capture_output=True, text=True)
        assert check.returncode == 0, check.stdout + check.stderr
        stored_text = stored_texts[line["document_id"]]
        with pdfplumber.open(out) as pdf:
            for page, ocr_text in zip(pdf.pages, stored_text):
                read_back = unicodedata.normalize("NFC", page.extract_text() or "").split()
                # The same words; pdfplumber orders them by position, so a stray mark (a "#" read
                # in a signature) may come at another place in the sequence than in OCR's lines.
                assert sorted(read_back) == sorted(ocr_text.split())
                assert Levenshtein.normalized_distance(read_back, ocr_text.split()) < 0.02
        if line["input_kind"] in ("image", "scanned_pdf"):
            sizes_per_page.append(out.stat().st_size / line["pages"] / 1e6)
    sizes_per_page.sort()
    assert sizes_per_page[len(sizes_per_page) // 2] <= 0.3, sizes_per_page


def test_show_list_and_export_the_original(batch, ingested):
    """GIVEN the stored batch
    WHEN a user asks for a record, a dossier's list and the original
    THEN show --json has the record, list --dossier filters, and the original is byte-identical"""
    _root, files = batch
    _completed, lines, home, env = ingested
    line = lines[0]
    record = json.loads(run_cli(env, "show", line["document_id"], "--json").stdout)
    assert record["id"] == line["document_id"]
    assert record["pages"] == line["pages"]
    assert record["status"] == "stored"
    listed = [json.loads(x) for x in run_cli(env, "list", "--dossier", line["dossier_code"], "--json").stdout.splitlines()]
    assert {r["dossier_code"] for r in listed} == {line["dossier_code"]}
    assert line["document_id"] in {r["id"] for r in listed}
    out = home / "original.bin"
    assert run_cli(env, "export", line["document_id"], "--variant", "original", "-o", out).returncode == 0
    assert out.read_bytes() == Path(line["source"]).read_bytes()
    missing = run_cli(env, "show", "ffffffffffffffff")
    assert missing.returncode == 5 and "no document" in missing.stderr


def test_ingesting_the_same_folder_again_skips_what_is_stored(batch, ingested):
    """GIVEN the stored batch
    WHEN the same folder is ingested again
    THEN every file is reported as a duplicate of the stored document, nothing new is stored"""
    root, files = batch
    _completed, lines, home, env = ingested
    report = home / "again.jsonl"
    again = run_cli(env, "ingest", root, "--jobs", "1", "--report", report)
    assert again.returncode == 0, again.stderr
    second = [json.loads(x) for x in report.read_text().splitlines()]
    first_ids = {line["source"]: line["document_id"] for line in lines}
    assert {line["status"] for line in second} == {"duplicate"}
    assert {line["source"]: line["document_id"] for line in second} == first_ids
    assert "duplicate" in again.stderr
    listed = run_cli(env, "list", "--json").stdout.splitlines()
    assert len(listed) == len(files)


def test_stored_pdf_text_layer_is_aligned_with_the_words(ingested):
    """GIVEN a stored scan and its OCR words
    WHEN pdfplumber reads the words of the searchable PDF
    THEN each sits within 3 points of the box OCR found for it"""
    _completed, lines, home, env = ingested
    line = next(x for x in lines if x["input_kind"] == "image")
    record = json.loads(run_cli(env, "show", line["document_id"], "--json").stdout)
    from pipeline.stores.objects import open_store

    store = open_store((home / "objects").as_uri())
    ocr = json.loads(store.get(record["ocr_key"]))
    pdf_bytes = store.get(record["searchable_key"])
    with pdfplumber.open(io.BytesIO(pdf_bytes)) as pdf:
        read = pdf.pages[0].extract_words()
    expected = ocr["pages"][0]["words"]
    assert len(read) == len(expected)
    for got, want in zip(read, expected):
        assert got["text"] == want["text"]
        assert abs(got["x0"] - want["bbox"][0]) < 3 and abs(got["x1"] - want["bbox"][2]) < 3
