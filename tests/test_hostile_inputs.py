"""Hostile and odd inputs: each one fails alone with a reason written for a person, or is read
right; the batch always goes on and nothing stored is touched."""

from __future__ import annotations

import io
import json
import os
import time
from dataclasses import replace
from pathlib import Path

import cv2
import numpy as np
import pikepdf
import pytest
from pdf_samples import DECISION_TEXT, blank_pdf, born_digital_pdf, image_pdf, pdf_from_objects
from queue_helpers import write_paragraph_scans
from PIL import Image

from pipeline.core import pages as page_work
from pipeline.core.config import PipelineSettings
from pipeline.core.pages import page_task, process_page
from pipeline.core.quarantine import quarantine_file
from pipeline.errors import (
    CorruptFile,
    EncryptedPdf,
    InputError,
    InputTooLarge,
    TooManyPages,
)
from pipeline.samples import make_scan
from pipeline.stages.assemble import (
    AssembleSettings,
    EncodedPageImage,
    PdfMetadata,
    PdfPage,
    assemble_pdf,
)
from pipeline.stages.ingest import (
    InputFile,
    InputKind,
    discover,
    load_page,
    open_input,
    read_bytes,
)
from pipeline.stages.ocr import OcrPage

NAME_MAX = 255  # bytes per file name on every Linux file system we store on
MACHINE_TEXT = ("object at 0x", "Traceback", "'NoneType'", "<_io.", "objid", "Error(")


def assert_written_for_a_person(reason: str) -> None:
    assert reason and reason.strip() == reason
    for fragment in MACHINE_TEXT:
        assert fragment not in reason, reason


@pytest.fixture(scope="module")
def scan_grey() -> Image.Image:
    """A realistic A4 office scan at 200 dpi, greyscale."""
    return make_scan(21, doc_type="quyet_dinh", skew=0.0, rotation=0, colour=False, dpi=200).image.convert("L")


@pytest.fixture(scope="module")
def good_png_bytes(tmp_path_factory) -> bytes:
    """A good scan to store beside the hostile files: one paragraph of Vietnamese at 200 dpi
    (quick to OCR; the full-page scan is for the tests that look at what OCR reads)."""
    (path,) = write_paragraph_scans(tmp_path_factory.mktemp("good-scan"), 1)
    return path.read_bytes()


def jpeg_bytes(image: Image.Image, quality: int = 85) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=quality)
    return buffer.getvalue()


def hand_written_pdf(page: str, text: str, *, count: int = 1) -> bytes:
    """A PDF written object by object, so its structure can be exactly as odd as a real file's.
    ``page`` is what the page tree's /Kids holds (``count`` pages); ``%CONTENT%`` in it refers
    to the text stream."""
    content = f"BT /F1 14 Tf 72 760 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        (f"<< /Type /Pages /Count {count} /Kids [ " + page.replace("%CONTENT%", "3 0 R") + " ] >>").encode(),
        b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
    ]
    return pdf_from_objects(objects)


def ingest_cli(run_sohoa, tmp_path: Path, *paths: Path | str, timeout: float = 600):
    report = tmp_path / "report.jsonl"
    result = run_sohoa("ingest", *paths, "--jobs", "1", "--report", report, timeout=timeout)
    lines = {Path(line["source"]).name: line for line in result.report(report)} if report.exists() else {}
    return result, lines


# --- a folder with things in it that are not files ------------------------------------------


def test_a_symlink_loop_fails_alone_and_the_batch_goes_on(tmp_path: Path, run_sohoa, good_png_bytes):
    """GIVEN a dossier folder with a good scan, two links pointing at each other and a link to
    itself
    WHEN it is ingested
    THEN the scan is stored, each loop fails as unreadable with a reason saying it is a link loop,
    and the batch finishes"""
    dossier = tmp_path / "in" / "ho-so-vong-lap"
    dossier.mkdir(parents=True)
    (dossier / "good.png").write_bytes(good_png_bytes)
    (dossier / "vong-a.png").symlink_to("vong-b.png")
    (dossier / "vong-b.png").symlink_to("vong-a.png")
    (dossier / "tu-tro.pdf").symlink_to("tu-tro.pdf")

    result, lines = ingest_cli(run_sohoa, tmp_path, dossier)

    assert result.returncode == 3, result.stderr
    assert lines["good.png"]["status"] == "stored"
    for name in ("vong-a.png", "vong-b.png", "tu-tro.pdf"):
        line = lines[name]
        assert (line["status"], line["error_code"]) == ("failed", "unreadable_file"), line
        assert "link loop" in line["error"]
        assert_written_for_a_person(line["error"])
        assert Path(line["quarantined_as"]).name.endswith(".reason.txt")


def test_named_pipes_and_devices_are_refused_without_blocking(tmp_path: Path, run_sohoa, good_png_bytes):
    """GIVEN a dossier folder holding a good scan, a named pipe, a link to a named pipe elsewhere
    and a link to /dev/null, and /dev/zero itself named on the command line
    WHEN they are ingested
    THEN the batch finishes promptly: the scan is stored and each of the others fails as 'not a
    regular file', with a reason in quarantine and no copy of its (endless) content"""
    dossier = tmp_path / "in" / "ho-so-dac-biet"
    dossier.mkdir(parents=True)
    (dossier / "good.png").write_bytes(good_png_bytes)
    os.mkfifo(dossier / "ong.png")
    os.mkfifo(tmp_path / "ong-ngoai")
    (dossier / "lien-ket-ong.pdf").symlink_to(tmp_path / "ong-ngoai")
    (dossier / "so-khong.jpg").symlink_to("/dev/null")

    started = time.monotonic()
    result, lines = ingest_cli(run_sohoa, tmp_path, dossier, "/dev/zero", timeout=180)

    assert time.monotonic() - started < 180
    assert result.returncode == 3, result.stderr
    assert lines["good.png"]["status"] == "stored"
    for name in ("ong.png", "lien-ket-ong.pdf", "so-khong.jpg", "zero"):
        line = lines[name]
        assert (line["status"], line["error_code"]) == ("failed", "unreadable_file"), line
        assert "not a regular file" in line["error"]
        assert_written_for_a_person(line["error"])
        assert Path(line["quarantined_as"]).name.endswith(".reason.txt")


def test_discover_lists_what_is_not_a_regular_file_so_it_is_reported(tmp_path: Path):
    """GIVEN a folder with a file, a symlink loop and a named pipe
    WHEN it is discovered
    THEN all three are inputs (the odd ones will fail with their reason), nothing raises"""
    (tmp_path / "a.png").write_bytes(b"x")
    (tmp_path / "loop.png").symlink_to("loop.png")
    os.mkfifo(tmp_path / "pipe.pdf")

    names = sorted(item.path.name for item in discover([tmp_path]))

    assert names == ["a.png", "loop.png", "pipe.pdf"]


def test_reading_refuses_what_is_not_a_regular_file_or_is_too_large(tmp_path: Path):
    """GIVEN a named pipe, a character device, a symlink loop and a file over the size limit
    WHEN their bytes are read
    THEN each raises an input error with a plain reason, without blocking or reading on"""
    os.mkfifo(tmp_path / "pipe")
    (tmp_path / "loop").symlink_to("loop")
    big = tmp_path / "big.pdf"
    big.write_bytes(b"%PDF-1.7\n" + b"0" * 2000)

    for path, expected in ((tmp_path / "pipe", ("not a regular file", "named pipe")),
                           (Path("/dev/zero"), ("not a regular file", "device")),
                           (tmp_path / "loop", ("link loop",))):
        with pytest.raises(InputError) as raised:
            read_bytes(path)
        assert raised.value.code == "unreadable_file"
        assert all(phrase in raised.value.message for phrase in expected), raised.value.message
        assert_written_for_a_person(raised.value.message)
    with pytest.raises(InputTooLarge) as raised:
        read_bytes(big, max_bytes=1000)
    assert raised.value.code == "too_large"
    assert_written_for_a_person(raised.value.message)
    assert read_bytes(big, max_bytes=10_000) == big.read_bytes()


def test_a_file_over_the_size_limit_is_refused_unread_and_not_copied(tmp_path: Path, run_sohoa, good_png_bytes):
    """GIVEN a 600 MB file (sparse: it costs no disk) beside a good scan
    WHEN the folder is ingested with the default limit (500 MB)
    THEN it fails as too_large saying its size and the limit, quarantine holds only its reason,
    and the scan is stored"""
    dossier = tmp_path / "in" / "ho-so-lon"
    dossier.mkdir(parents=True)
    (dossier / "good.png").write_bytes(good_png_bytes)
    with open(dossier / "rat-lon.pdf", "wb") as handle:
        handle.write(b"%PDF-1.7\n")
        handle.truncate(600_000_000)

    result, lines = ingest_cli(run_sohoa, tmp_path, dossier, timeout=300)

    assert result.returncode == 3, result.stderr
    assert lines["good.png"]["status"] == "stored"
    line = lines["rat-lon.pdf"]
    assert (line["status"], line["error_code"]) == ("failed", "too_large"), line
    assert "600 MB" in line["error"] and "500 MB" in line["error"]
    assert Path(line["quarantined_as"]).name == "rat-lon.pdf.reason.txt"
    assert not (Path(line["quarantined_as"]).parent / "rat-lon.pdf").exists()


# --- quarantine -----------------------------------------------------------------------------


def test_a_damaged_file_with_a_very_long_name_is_quarantined(tmp_path: Path, run_sohoa, settings, good_png_bytes):
    """GIVEN a damaged scan whose name is 250 characters long, beside a good scan
    WHEN the folder is ingested
    THEN the damaged file is quarantined under a shortened name that keeps its suffix, its reason
    file names the full original path, and the good scan is stored"""
    dossier = tmp_path / "in" / "ho-so-ten-dai"
    dossier.mkdir(parents=True)
    (dossier / "good.png").write_bytes(good_png_bytes)
    long_name = ("giay-khai-sinh-ban-sao-" * 11)[:246] + ".png"
    assert len(long_name) == 250
    (dossier / long_name).write_bytes(good_png_bytes[: len(good_png_bytes) // 3])

    result, lines = ingest_cli(run_sohoa, tmp_path, dossier)

    assert result.returncode == 3, result.stderr
    assert lines["good.png"]["status"] == "stored"
    line = lines[long_name]
    assert (line["status"], line["error_code"]) == ("failed", "corrupt_file"), line
    copy = Path(line["quarantined_as"])
    assert copy.read_bytes() == (dossier / long_name).read_bytes()
    assert copy.suffix == ".png" and copy.parent == settings.quarantine_dir
    reason = copy.with_name(copy.name + ".reason.txt")
    assert len(reason.name.encode()) <= NAME_MAX
    assert reason.read_text(encoding="utf-8").splitlines()[0] == str(dossier / long_name)


def test_ingesting_a_quarantined_file_again_adds_no_second_copy(tmp_path: Path, run_sohoa, settings, good_png_bytes):
    """GIVEN a damaged scan that was ingested and quarantined
    WHEN it is ingested twice more, and then a differently damaged file of the same name
    THEN the quarantine holds one copy and one reason for the first, and a second slot only for
    the file with other bytes"""
    dossier = tmp_path / "in" / "ho-so-lap-lai"
    dossier.mkdir(parents=True)
    damaged = dossier / "hong.png"
    damaged.write_bytes(good_png_bytes[: len(good_png_bytes) // 3])

    for _ in range(3):
        result, lines = ingest_cli(run_sohoa, tmp_path, dossier)
        assert lines["hong.png"]["error_code"] == "corrupt_file", result.stderr
        assert Path(lines["hong.png"]["quarantined_as"]).name == "hong.png"
    assert sorted(p.name for p in settings.quarantine_dir.iterdir()) == ["hong.png", "hong.png.reason.txt"]

    damaged.write_bytes(good_png_bytes[: len(good_png_bytes) // 2])
    result, lines = ingest_cli(run_sohoa, tmp_path, dossier)

    assert Path(lines["hong.png"]["quarantined_as"]).name == "hong.1.png"
    assert sorted(p.name for p in settings.quarantine_dir.iterdir()) == [
        "hong.1.png", "hong.1.png.reason.txt", "hong.png", "hong.png.reason.txt"]


def test_a_quarantine_that_cannot_be_written_does_not_stop_the_batch(tmp_path: Path, run_sohoa, settings, good_png_bytes):
    """GIVEN a quarantine that cannot be written (its path is taken by a file, as on a broken or
    full disk) and a folder with a damaged and a good scan
    WHEN the folder is ingested
    THEN the good scan is stored, the damaged one is reported failed, and the summary says it
    could not be quarantined instead of claiming it was copied"""
    settings.home.mkdir(parents=True)
    settings.quarantine_dir.write_text("not a folder")
    dossier = tmp_path / "in" / "ho-so"
    dossier.mkdir(parents=True)
    (dossier / "good.png").write_bytes(good_png_bytes)
    (dossier / "hong.png").write_bytes(good_png_bytes[:500])

    result, lines = ingest_cli(run_sohoa, tmp_path, dossier)

    assert result.returncode == 3, result.stderr
    assert lines["good.png"]["status"] == "stored"
    assert lines["hong.png"]["error_code"] == "corrupt_file"
    assert lines["hong.png"]["quarantined_as"] is None
    summary = " ".join(result.stdout.split())
    assert "were copied" not in summary
    assert "could not be quarantined" in summary


def test_quarantine_never_raises(tmp_path: Path):
    """GIVEN a quarantine folder that cannot be created
    WHEN a failed input is quarantined
    THEN nothing is raised and nothing is claimed"""
    blocked = tmp_path / "quarantine"
    blocked.write_text("a file, not a folder")
    source = tmp_path / "hong.png"
    source.write_bytes(b"\x89PNG\r\n\x1a\nbroken")

    assert quarantine_file(blocked, source, CorruptFile("damaged PNG image")) is None


def test_a_path_that_does_not_exist_is_a_usage_error_that_writes_nothing(tmp_path: Path, run_sohoa, settings):
    """GIVEN a path that does not exist
    WHEN it is ingested
    THEN the command says the path does not exist, exits as a usage error (2), and writes no
    quarantine reason"""
    result = run_sohoa("ingest", tmp_path / "khong-co-thu-muc")

    assert result.returncode == 2, result.stderr
    assert "does not exist" in " ".join(result.stderr.split())
    assert not settings.quarantine_dir.exists()


# --- limits ---------------------------------------------------------------------------------


def test_a_pdf_with_more_pages_than_the_limit_is_refused_before_any_page_work(tmp_path: Path, run_sohoa):
    """GIVEN a small PDF of 1,001 blank pages (the default limit is 1,000)
    WHEN it is ingested
    THEN it fails at once as too_many_pages, saying its page count and the limit"""
    source = tmp_path / "nghin-trang.pdf"
    source.write_bytes(blank_pdf(1001))

    started = time.monotonic()
    result, lines = ingest_cli(run_sohoa, tmp_path, source, timeout=120)

    assert time.monotonic() - started < 60
    line = lines["nghin-trang.pdf"]
    assert (line["status"], line["error_code"]) == ("failed", "too_many_pages"), line
    assert "1001" in line["error"].replace(",", "") and "1000" in line["error"].replace(",", "")
    assert_written_for_a_person(line["error"])
    assert result.returncode == 3


def test_the_page_limit_applies_to_pdfs_and_multi_page_tiffs(tmp_path: Path):
    """GIVEN a 6-page PDF and a 6-frame TIFF
    WHEN they are opened with a limit of 5 pages
    THEN each is refused as too_many_pages; with a limit of 6 both open"""
    pdf = blank_pdf(6)
    frames = [Image.new("L", (64, 64), 255) for _ in range(6)]
    buffer = io.BytesIO()
    frames[0].save(buffer, "TIFF", save_all=True, append_images=frames[1:])
    tiff = buffer.getvalue()

    for name, data in (("a.pdf", pdf), ("a.tif", tiff)):
        with pytest.raises(TooManyPages) as raised:
            open_input(Path(name), data, max_image_pixels=10**8, max_pages=5)
        assert raised.value.code == "too_many_pages"
        assert "6 pages" in raised.value.message and "5" in raised.value.message
        assert open_input(Path(name), data, max_image_pixels=10**8, max_pages=6).page_count == 6


class TesseractMustNotRun:
    """Stands in for the OCR call where the page must not reach Tesseract."""

    def __call__(self, image, settings):
        raise AssertionError("a blank page was sent to Tesseract")


class RecordingOcr:
    """Stands in for the OCR call and counts the pages that reach it."""

    def __init__(self):
        self.calls = 0

    def __call__(self, image, settings):
        self.calls += 1
        return OcrPage(words=(), text="", width=image.shape[1], height=image.shape[0])


def test_a_blank_page_is_not_sent_to_tesseract_and_keeps_its_image(tmp_path: Path, monkeypatch):
    """GIVEN an A4 PDF page with nothing on it
    WHEN the page is processed
    THEN Tesseract is not run, the page has no words and a note saying why, and its page image
    is still kept at A4 size for the PDF"""
    source = tmp_path / "trang-trang.pdf"
    source.write_bytes(blank_pdf(1))
    monkeypatch.setattr(page_work, "recognise", TesseractMustNotRun())

    result = process_page(page_task(source, InputKind.SCANNED_PDF, 0, PipelineSettings()))

    assert result.ocr.words == () and result.ocr.text == ""
    assert any("blank" in note for note in result.diagnostics.notes)
    assert result.diagnostics.ocr_confidence is None
    assert result.image is not None
    assert result.image.page_width_pt == pytest.approx(595, abs=1)
    assert result.image.page_height_pt == pytest.approx(842, abs=1)


def test_a_page_with_only_a_page_number_is_not_blank(tmp_path: Path, monkeypatch):
    """GIVEN a white A4 page at 200 dpi holding nothing but a small page number
    WHEN the page is processed
    THEN it is OCR'd like any page"""
    page = np.full((2339, 1654), 255, np.uint8)
    cv2.putText(page, "7", (820, 2250), cv2.FONT_HERSHEY_SIMPLEX, 0.9, 0, 2)
    source = tmp_path / "so-trang.png"
    Image.fromarray(page).save(source, dpi=(200, 200))
    ocr = RecordingOcr()
    monkeypatch.setattr(page_work, "recognise", ocr)

    process_page(page_task(source, InputKind.IMAGE, 0, PipelineSettings()))

    assert ocr.calls == 1


def test_blank_pages_between_scanned_pages_are_stored_as_pages(tmp_path: Path, ingestor, scan_grey):
    """GIVEN a 3-page scanned PDF whose first and last pages are blank, with blank-page dropping
    turned off (SOHOA_DROP_BLANK_PAGES=false; by default separation leaves them out, issue 13)
    WHEN it is ingested
    THEN it is stored with 3 pages, each with its page image, and only page 2 has text"""
    pdf = pikepdf.new()
    for part in (blank_pdf(1), image_pdf(scan_grey, (595, 842)), blank_pdf(1)):
        pdf.pages.extend(pikepdf.open(io.BytesIO(part)).pages)
    source = tmp_path / "ba-trang.pdf"
    pdf.save(source)
    settings = ingestor.settings
    ingestor.settings = replace(settings, separate=replace(settings.separate, drop_blank_pages=False))

    [line] = list(ingestor.ingest([InputFile(source)]))

    assert line.status == "stored", line
    assert line.pages == 3
    row = ingestor.index.get(line.document_id)
    ocr = json.loads(ingestor.store.get(row.ocr_key))
    assert [bool(page["words"]) for page in ocr["pages"]] == [False, True, False]
    with pikepdf.open(io.BytesIO(ingestor.store.get(row.searchable_key))) as stored:
        assert len(stored.pages) == 3
        assert all(len(page.get_images()) == 1 for page in stored.pages)


# --- image encodings --------------------------------------------------------------------------


def _write_variant(image: Image.Image, variant: str, path: Path) -> np.ndarray:
    """Save the grey scan in one encoding; returns the grey page a viewer would show."""
    grey = np.asarray(image)
    if variant == "16-bit grey PNG":
        Image.fromarray(grey.astype(np.uint16) * 257).save(path, "PNG")
    elif variant == "16-bit RGB PNG":
        cv2.imwrite(str(path), np.dstack([grey] * 3).astype(np.uint16) * 257)
    elif variant == "palette PNG":
        image.convert("RGB").quantize(64).save(path, "PNG")
        return np.asarray(Image.open(path).convert("L"))
    elif variant == "grey+alpha PNG":
        alpha = np.full_like(grey, 255)
        alpha[:, :100] = 0  # a transparent margin shows the paper: white
        Image.merge("LA", (image, Image.fromarray(alpha))).save(path, "PNG")
        grey = grey.copy()
        grey[:, :100] = 255
    elif variant == "CMYK JPEG":
        image.convert("CMYK").save(path, "JPEG", quality=95)
    elif variant == "1-bit TIFF G4":
        bilevel = image.point(lambda v: 255 if v > 140 else 0).convert("1")
        bilevel.save(path, "TIFF", compression="group4", dpi=(200, 200))
        return np.asarray(bilevel.convert("L"))
    else:
        raise ValueError(variant)
    return grey


@pytest.mark.parametrize(
    "variant",
    ["16-bit grey PNG", "16-bit RGB PNG", "palette PNG", "grey+alpha PNG", "CMYK JPEG", "1-bit TIFF G4"],
)
def test_each_image_encoding_loads_as_the_page_it_shows(tmp_path: Path, scan_grey, variant: str):
    """GIVEN the same office scan saved as 16-bit grey or RGB PNG, palette PNG, grey with alpha,
    CMYK JPEG or 1-bit CCITT G4 TIFF
    WHEN its page is loaded
    THEN the pixels are the page a viewer shows (not clipped white, not inverted)"""
    path = tmp_path / ("scan.jpg" if "JPEG" in variant else "scan.tif" if "TIFF" in variant else "scan.png")
    expected = _write_variant(scan_grey, variant, path).astype(np.float32)
    opened = open_input(path, path.read_bytes(), max_image_pixels=10**8)

    loaded = load_page(path, opened.kind, 0, max_image_pixels=10**8)

    pixels = loaded.pixels if loaded.pixels.ndim == 2 else cv2.cvtColor(loaded.pixels, cv2.COLOR_RGB2GRAY)
    assert pixels.shape == expected.shape
    assert float(np.abs(pixels.astype(np.float32) - expected).mean()) < 3.0
    assert pixels.std() > 20  # the text is there


def test_a_16_bit_grey_scan_is_ocred_not_stored_blank(tmp_path: Path, ingestor, scan_grey):
    """GIVEN an office scan saved as a 16-bit greyscale PNG (as some scanners do)
    WHEN it is ingested
    THEN its text is read with a real OCR confidence"""
    source = tmp_path / "scan-16bit.png"
    _write_variant(scan_grey, "16-bit grey PNG", source)

    [line] = list(ingestor.ingest([InputFile(source)]))

    assert line.status == "stored", line
    assert line.ocr_confidence > 60
    assert "QUYẾT ĐỊNH" in ingestor.index.get(line.document_id).text


# --- page geometry ----------------------------------------------------------------------------


def _stored_page_size(ingestor, document_id: str) -> tuple[float, float]:
    """Physical size in points of the stored searchable PDF's first page, as a viewer shows it."""
    row = ingestor.index.get(document_id)
    with pikepdf.open(io.BytesIO(ingestor.store.get(row.searchable_key))) as stored:
        page = stored.pages[0]
        unit = float(page.obj.get("/UserUnit", 1))
        box = [float(v) for v in page.mediabox]
    return (box[2] - box[0]) * unit, (box[3] - box[1]) * unit


def test_a_page_in_large_user_units_keeps_its_physical_size(tmp_path: Path, ingestor, scan_grey):
    """GIVEN an A4 scan in a PDF whose page is 59.5 × 84.2 units of UserUnit 10 (that is, A4)
    WHEN it is ingested
    THEN the stored page is A4 (595 × 842 pt), not a tenth of it, and the scan's 200 dpi is kept"""
    source = tmp_path / "user-unit.pdf"
    source.write_bytes(image_pdf(scan_grey, (59.5, 84.2), UserUnit=10))

    [line] = list(ingestor.ingest([InputFile(source)]))

    assert line.status == "stored", line
    width, height = _stored_page_size(ingestor, line.document_id)
    assert (width, height) == (pytest.approx(595, abs=2), pytest.approx(842, abs=2))
    ocr = json.loads(ingestor.store.get(ingestor.index.get(line.document_id).ocr_key))
    assert ocr["pages"][0]["diagnostics"]["source_dpi"] == pytest.approx(200, abs=2)
    assert ocr["pages"][0]["width"] == pytest.approx(595, rel=0.15)


def test_the_crop_box_is_the_page_that_is_stored(tmp_path: Path, ingestor, scan_grey):
    """GIVEN an A4 scan in a PDF whose CropBox shows only the top half of the page
    WHEN it is ingested
    THEN the stored page is that top half (595 × 421 pt), as every viewer shows it"""
    source = tmp_path / "crop-box.pdf"
    source.write_bytes(image_pdf(scan_grey, (595, 842), CropBox=pikepdf.Array([0, 421, 595, 842])))

    [line] = list(ingestor.ingest([InputFile(source)]))

    assert line.status == "stored", line
    width, height = _stored_page_size(ingestor, line.document_id)
    assert (width, height) == (pytest.approx(595, abs=2), pytest.approx(421, abs=2))
    assert "QUYẾT ĐỊNH" in ingestor.index.get(line.document_id).text


def test_a_poster_larger_than_pdf_units_allow_is_assembled_at_its_physical_size():
    """GIVEN a page image of a 250 × 500 inch poster (18,000 × 36,000 pt; PDF/A pages stop at
    14,400 units)
    WHEN the PDF is assembled
    THEN the page carries a UserUnit so that its boxes stay within 14,400 units while its
    physical size is the poster's"""
    image = np.full((500, 250), 255, np.uint8)
    _, jpeg = cv2.imencode(".jpg", image)
    encoded = EncodedPageImage(data=jpeg.tobytes(), pixel_width=250, pixel_height=500, colour=False,
                               page_width_pt=18000.0, page_height_pt=36000.0, image_dpi=1.0)
    from datetime import UTC, datetime

    data = assemble_pdf([PdfPage(image=encoded, words=(), source_dpi=1.0)],
                        PdfMetadata(title="poster", created=datetime(2024, 5, 1, tzinfo=UTC)),
                        AssembleSettings())

    with pikepdf.open(io.BytesIO(data)) as pdf:
        page = pdf.pages[0]
        unit = float(page.obj.UserUnit)
        box = [float(v) for v in page.mediabox]
    assert max(box[2], box[3]) <= 14400
    assert (box[2] * unit, box[3] * unit) == (pytest.approx(18000, abs=1), pytest.approx(36000, abs=1))


# --- damaged and odd PDFs ---------------------------------------------------------------------


def _pdf_with_xref_stream(data: bytes) -> bytes:
    out = io.BytesIO()
    with pikepdf.open(io.BytesIO(data)) as pdf:
        pdf.save(out, object_stream_mode=pikepdf.ObjectStreamMode.generate)
    return out.getvalue()


TEXT = "GIAY XAC NHAN TINH TRANG HON NHAN so 125/UBND cap ngay 15 thang 5"
READABLE_DAMAGE = {
    "no MediaBox": lambda: hand_written_pdf(
        "<< /Type /Page /Parent 2 0 R /Contents %CONTENT% /Resources << /Font << /F1 4 0 R >> >> >>", TEXT),
    "direct kid in the page tree": lambda: hand_written_pdf(
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents %CONTENT% "
        "/Resources << /Font << /F1 4 0 R >> >> >>", TEXT),
    "junk before %PDF-": lambda: b"From: may-scan@ubnd\r\n\r\n" + _pdf_with_xref_stream(born_digital_pdf(DECISION_TEXT)),
}


@pytest.mark.parametrize("damage", list(READABLE_DAMAGE))
def test_a_damaged_pdf_that_others_read_is_repaired_for_reading_and_stored_unchanged(tmp_path: Path, ingestor, damage: str):
    """GIVEN a born-digital PDF with a defect that poppler and qpdf read past (a page without a
    MediaBox, a page written directly into the page tree, a mail header before `%PDF-`)
    WHEN it is ingested
    THEN its text is read from a repaired copy, and the original stored is the exact bytes received"""
    data = READABLE_DAMAGE[damage]()
    source = tmp_path / "hong-nhe.pdf"
    source.write_bytes(data)

    [line] = list(ingestor.ingest([InputFile(source)]))

    assert line.status == "stored", line
    assert line.input_kind == "born_digital_pdf"
    row = ingestor.index.get(line.document_id)
    expected = "ỦY BAN NHÂN DÂN" if damage.startswith("junk") else TEXT
    assert expected in row.text
    assert ingestor.store.get(row.original_key) == data
    assert source.read_bytes() == data


def test_a_page_written_directly_into_the_page_tree_is_rendered_whole(tmp_path: Path):
    """GIVEN a two-page PDF whose second page is written directly into the page tree (poppler
    renders such a page as a single pixel)
    WHEN its second page is loaded
    THEN it is rendered whole, at A4 size, from qpdf's repaired copy"""
    kid = ("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents %CONTENT% "
           "/Resources << /Font << /F1 4 0 R >> >> >>")
    source = tmp_path / "truc-tiep.pdf"
    source.write_bytes(hand_written_pdf(f"{kid} {kid}", "Trang 2", count=2))
    opened = open_input(source, source.read_bytes(), max_image_pixels=10**8)
    assert (opened.kind, opened.page_count) == (InputKind.SCANNED_PDF, 2)

    loaded = load_page(source, opened.kind, 1, max_image_pixels=10**8)

    height, width = loaded.pixels.shape[:2]
    assert (width * 72 / loaded.dpi, height * 72 / loaded.dpi) == (pytest.approx(595, abs=2), pytest.approx(842, abs=2))
    assert loaded.pixels.min() < 100  # the text is drawn


def _public_key_encrypted_pdf() -> bytes:
    import datetime as dt

    from asn1crypto import x509 as asn1_x509
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.pdf_utils.writer import copy_into_new_writer

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Văn thư UBND")])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=30))
            .add_extension(x509.KeyUsage(digital_signature=False, content_commitment=False, key_encipherment=True,
                                         data_encipherment=False, key_agreement=False, key_cert_sign=False,
                                         crl_sign=False, encipher_only=False, decipher_only=False), critical=True)
            .sign(key, hashes.SHA256()))
    writer = copy_into_new_writer(PdfFileReader(io.BytesIO(born_digital_pdf(DECISION_TEXT))))
    writer.encrypt_pubkey([asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))])
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def test_a_pdf_encrypted_for_certificates_is_reported_as_encrypted(tmp_path: Path):
    """GIVEN a PDF encrypted with the public-key security handler (for a recipient's certificate)
    WHEN it is opened
    THEN it is refused as encrypted_pdf, with a reason saying what would open it"""
    with pytest.raises(EncryptedPdf) as raised:
        open_input(Path("ma-hoa.pdf"), _public_key_encrypted_pdf(), max_image_pixels=10**8)

    assert raised.value.code == "encrypted_pdf"
    assert "certificate" in raised.value.message
    assert_written_for_a_person(raised.value.message)


UNREADABLE = {
    "header-only.pdf": b"%PDF-1.7\n%%EOF\n",
    "no-objects.pdf": b"%PDF-1.4\n1 0 obj << /Type /Catalog\ntrailer << >>\n%%EOF\n",
    "garbage.png": b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4,
    "garbage.jpg": b"\xff\xd8\xff\xe0" + b"\x00\x10JFIF" + bytes(range(256)) * 4,
    "garbage.tif": b"II*\x00" + bytes(range(256)) * 4,
}


@pytest.mark.parametrize("name", list(UNREADABLE))
def test_a_file_nothing_can_read_is_refused_with_a_reason_for_a_person(name: str):
    """GIVEN a file that starts like a PDF, PNG, JPEG or TIFF and is garbage after
    WHEN it is opened
    THEN it is refused as corrupt_file with a reason a person can act on: no Python object
    reprs, no internal exception text"""
    with pytest.raises(InputError) as raised:
        open_input(Path(name), UNREADABLE[name], max_image_pixels=10**8)

    assert raised.value.code == "corrupt_file"
    assert_written_for_a_person(raised.value.message)
