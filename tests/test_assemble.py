"""Searchable PDF/A-2b assembly: page images, invisible Vietnamese text layer, metadata, size."""

from __future__ import annotations

import io
import re
import subprocess
import time
import unicodedata
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path

import cv2
import numpy as np
import pdfplumber
import pikepdf
import pytest
from PIL import Image, ImageDraw, ImageFont

from pipeline.stages.assemble import (
    AssembleSettings,
    ImageSettings,
    PdfMetadata,
    PdfPage,
    assemble_pdf,
    encode_page_image,
)
from pipeline.errors import ToolMissing
from pipeline.stages.ocr import OcrSettings, OcrWord, recognise

DPI = 300
A4_PIXELS_300 = (2480, 3508)  # width, height
A4_POINTS = (595.276, 841.89)
FONT_DIR = Path("/usr/share/fonts/truetype/liberation2")
INK = 30

HEADER = [
    ("ỦY BAN NHÂN DÂN", 13, True),
    ("PHƯỜNG PHƯỚC BÌNH", 13, True),
    ("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", 13, True),
    ("Độc lập - Tự do - Hạnh phúc", 14, True),
    ("GIẤY XÁC NHẬN THÔNG TIN VỀ CƯ TRÚ", 14, True),
]
BODY = (
    "Ủy ban nhân dân phường Phước Bình xác nhận: Bà Nguyễn Thị Lấp Lánh, sinh ngày 12 tháng 3 "
    "năm 1987, số định danh cá nhân 079187001234, nơi thường trú tại số 45 đường Lê Văn Việt, "
    "phường Phước Bình, thành phố Thủ Đức, Thành phố Hồ Chí Minh. Căn cứ Luật Cư trú năm 2020 và "
    "Nghị định số 62/2021/NĐ-CP ngày 29 tháng 6 năm 2021 của Chính phủ quy định chi tiết một số "
    "điều của Luật Cư trú, công dân có tên nêu trên hiện đang cư trú tại địa chỉ đã khai báo cùng "
    "chồng là ông Trần Văn Hưng và hai con. Giấy xác nhận này có giá trị sử dụng trong thời hạn "
    "ba mươi ngày kể từ ngày ký, dùng để bổ sung hồ sơ đăng ký thường trú cho con và làm thủ tục "
    "chuyển trường theo đề nghị của công dân."
)
SIGNATURE = [
    ("Phước Bình, ngày 06 tháng 5 năm 2024", 13, False),
    ("TM. ỦY BAN NHÂN DÂN", 13, True),
    ("CHỦ TỊCH", 13, True),
    ("Lê Thị Ngọc Ánh", 13, True),
]


def _font(size_pt: float, bold: bool, dpi: int) -> ImageFont.FreeTypeFont:
    name = "LiberationSerif-Bold.ttf" if bold else "LiberationSerif-Regular.ttf"
    return ImageFont.truetype(str(FONT_DIR / name), round(size_pt * dpi / 72))


class PageDrawer:
    """Draws lines of Vietnamese text and records each word's box, as OCR would report it."""

    def __init__(self, size: tuple[int, int], dpi: int, mode: str = "L"):
        self.image = Image.new(mode, size, "white")
        self.draw = ImageDraw.Draw(self.image)
        self.dpi = dpi
        self.words: list[OcrWord] = []
        self.lines: list[str] = []

    def line(self, text: str, x: float, y: float, size_pt: float = 13, bold: bool = False):
        font = _font(size_pt, bold, self.dpi)
        for word in text.split():
            left, top, right, bottom = self.draw.textbbox((x, y), word, font=font)
            self.draw.text((x, y), word, font=font, fill=INK)
            box = (left, top, right - left, bottom - top)
            self.words.append(OcrWord(word, *box, confidence=96.0, line=len(self.lines)))
            x += self.draw.textlength(word + " ", font=font)
        self.lines.append(" ".join(text.split()))

    def centred(self, text: str, y: float, size_pt: float = 13, bold: bool = False, centre_x=None):
        font = _font(size_pt, bold, self.dpi)
        centre_x = self.image.width / 2 if centre_x is None else centre_x
        self.line(text, centre_x - self.draw.textlength(text, font=font) / 2, y, size_pt, bold)

    def paragraph(self, text: str, x: float, y: float, width: float, size_pt: float = 13) -> float:
        font = _font(size_pt, False, self.dpi)
        step = size_pt * self.dpi / 72 * 1.5
        current: list[str] = []
        for word in text.split():
            if current and self.draw.textlength(" ".join(current + [word]), font=font) > width:
                self.line(" ".join(current), x, y, size_pt)
                y += step
                current = []
            current.append(word)
        if current:
            self.line(" ".join(current), x, y, size_pt)
            y += step
        return y

    def scan(self, seed: int, noise: float = 5.0) -> np.ndarray:
        """The cleaned scan the preprocess stage hands over: mild sensor noise remains."""
        pixels = np.asarray(self.image).astype(np.float32)
        pixels += np.random.default_rng(seed).normal(0.0, noise, pixels.shape)
        return np.clip(pixels, 0, 255).astype(np.uint8)


def office_letter(dpi: int = DPI, seed: int = 1, body_repeats: int = 1) -> PageDrawer:
    """A one-page administrative paper: header, title, body, place/date and signature block."""
    scale = dpi / 300
    page = PageDrawer((round(A4_PIXELS_300[0] * scale), round(A4_PIXELS_300[1] * scale)), dpi)
    y = 240 * scale
    for text, size, bold in HEADER:
        page.centred(text, y, size, bold)
        y += size * dpi / 72 * 1.7
    y = page.paragraph(" ".join([BODY] * body_repeats), 280 * scale, y + 80 * scale, 1950 * scale)
    y += 80 * scale
    for text, size, bold in SIGNATURE:
        page.centred(text, y, size, bold, centre_x=1700 * scale)
        y += size * dpi / 72 * 1.7
    assert y < page.image.height, "the text must fit on the page"
    return page


SEAL_CENTRE, SEAL_RADIUS, SEAL_RED = (1450, 1850), 190, (200, 30, 40)


def colour_letter(seed: int = 2) -> tuple[np.ndarray, list[OcrWord]]:
    """The same letter scanned in colour, its red seal overlapping the signature block."""
    page = office_letter(seed=seed)
    rgb = np.stack([page.scan(seed)] * 3, axis=-1)
    (x, y) = SEAL_CENTRE
    cv2.circle(rgb, SEAL_CENTRE, SEAL_RADIUS, SEAL_RED, 9, lineType=cv2.LINE_AA)
    cv2.circle(rgb, SEAL_CENTRE, SEAL_RADIUS - 40, SEAL_RED, 4, lineType=cv2.LINE_AA)
    font = cv2.FONT_HERSHEY_SIMPLEX
    cv2.putText(rgb, "UBND", (x - 120, y + 30), font, 2.6, SEAL_RED, 8, cv2.LINE_AA)
    return rgb, page.words


def metadata(**changes) -> PdfMetadata:
    base = PdfMetadata(
        title="Giấy xác nhận thông tin về cư trú",
        created=datetime(2024, 5, 6, 9, 30, 0, tzinfo=timezone(timedelta(hours=7))),
        dossier_code="HS-2024-000125",
        document_id="3f2a9c0d1e7b4a6f8c5d2e1f0a9b8c7d",
    )
    return replace(base, **changes)


def collapse(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).split())


def qpdf_check(pdf: bytes, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    path = tmp_path / "check.pdf"
    path.write_bytes(pdf)
    command = ["qpdf", "--check", str(path)]
    return subprocess.run(command, capture_output=True, text=True, timeout=60)


@pytest.fixture(scope="module")
def letter() -> PageDrawer:
    return office_letter()


@pytest.fixture(scope="module")
def letter_pdf(letter: PageDrawer) -> bytes:
    image = encode_page_image(letter.scan(seed=1), DPI, ImageSettings())
    return assemble_pdf([PdfPage(image, letter.words, DPI)], metadata(), AssembleSettings())


def test_output_passes_qpdf_check_and_pdfa_validation(letter_pdf: bytes, tmp_path: Path):
    """GIVEN a scanned administrative letter with its OCR words
    WHEN it is assembled into a PDF/A-2b
    THEN qpdf finds no structural errors and pikepdf's PDF/A-2b validator approves the file"""
    checked = qpdf_check(letter_pdf, tmp_path)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "No syntax or stream encoding errors found" in checked.stdout

    pdfa = pytest.importorskip("pikepdf.pdfa", reason="pikepdf[pdfa] extras not installed")
    report = pdfa.validate_written(io.BytesIO(letter_pdf), "2b")
    assert report.passed, "\n".join(str(finding) for finding in report.findings)


def test_extracted_text_is_the_ocr_text_with_diacritics(letter: PageDrawer, letter_pdf: bytes):
    """GIVEN the OCR words of a Vietnamese letter
    WHEN the assembled PDF's text is extracted with pdfplumber
    THEN it is the OCR text line by line, with spaces between words and every diacritic intact"""
    with pdfplumber.open(io.BytesIO(letter_pdf)) as pdf:
        extracted = pdf.pages[0].extract_text()

    assert collapse(extracted) == collapse(" ".join(letter.lines))
    lines = [collapse(line) for line in extracted.splitlines()]
    assert lines == [collapse(line) for line in letter.lines]
    assert "Ủy ban nhân dân phường Phước Bình" in collapse(extracted)
    assert "Nguyễn Thị Lấp Lánh" in collapse(extracted)
    assert "Nghị định số 62/2021/NĐ-CP" in collapse(extracted)


def test_text_boxes_sit_on_the_scanned_words(letter: PageDrawer, letter_pdf: bytes):
    """GIVEN OCR word boxes in 300 dpi pixels
    WHEN pdfplumber reads word boxes from the PDF
    THEN each spans its OCR word horizontally within half a point, and vertically covers the
    word's line box (the union of its words' boxes) within half a point"""
    scale = 72 / DPI
    with pdfplumber.open(io.BytesIO(letter_pdf)) as pdf:
        found = pdf.pages[0].extract_words(keep_blank_chars=False, use_text_flow=True)
    assert [w["text"] for w in found] == [w.text for w in letter.words]

    line_boxes: dict[int, tuple[float, float]] = {}
    for word in letter.words:
        top, bottom = line_boxes.get(word.line, (word.top, word.top + word.height))
        line_boxes[word.line] = (min(top, word.top), max(bottom, word.top + word.height))
    for word, box in zip(letter.words, found, strict=True):
        assert box["x0"] == pytest.approx(word.left * scale, abs=0.5), word
        assert box["x1"] == pytest.approx((word.left + word.width) * scale, abs=0.5), word
        line_top, line_bottom = line_boxes[word.line]
        assert box["top"] == pytest.approx(line_top * scale, abs=0.5), word
        assert box["bottom"] == pytest.approx(line_bottom * scale, abs=0.5), word
        assert box["top"] - 0.5 <= word.top * scale
        assert (word.top + word.height) * scale <= box["bottom"] + 0.5


def test_real_ocr_words_round_trip_through_the_pdf(tmp_path: Path):
    """GIVEN a strip of a 300 dpi letter recognised by the real OCR stage (Tesseract, vie)
    WHEN its words are assembled into a PDF
    THEN pdfplumber extracts exactly the OCR text, and qpdf accepts the file"""
    strip = PageDrawer((A4_PIXELS_300[0], 420), DPI)
    strip.line("Ủy ban nhân dân phường Phước Bình", 280, 60)
    strip.line("Bà Nguyễn Thị Lấp Lánh, sinh năm 1987", 280, 160)
    strip.line("nơi thường trú tại số 45 đường Lê Văn Việt", 280, 260)
    image = strip.scan(seed=3, noise=3.0)
    ocr = recognise(image, OcrSettings(languages="vie", page_segmentation_mode=6))

    pdf = assemble_pdf(
        [PdfPage(encode_page_image(image, DPI, ImageSettings()), ocr.words, DPI)],
        metadata(),
        AssembleSettings(),
    )

    with pdfplumber.open(io.BytesIO(pdf)) as opened:
        extracted = opened.pages[0].extract_text()
    assert collapse(extracted) == collapse(ocr.text)
    assert "Phước Bình" in collapse(extracted)
    assert qpdf_check(pdf, tmp_path).returncode == 0


def test_metadata_declares_pdfa_2b_title_language_and_identifiers(letter_pdf: bytes):
    """GIVEN a document title, dossier code and document id
    WHEN the PDF is assembled
    THEN XMP declares PDF/A-2B with title, language, producer, dates and identifiers; the Info
    dictionary agrees; an sRGB output intent, a trailer /ID and no encryption are present"""
    with pikepdf.open(io.BytesIO(letter_pdf)) as pdf:
        meta = pdf.open_metadata()
        assert meta["pdfaid:part"] == "2"
        assert meta["pdfaid:conformance"] == "B"
        assert meta["dc:title"] == "Giấy xác nhận thông tin về cư trú"
        assert meta["dc:language"] == {"vi"}
        assert meta["dc:source"] == "HS-2024-000125"
        assert meta["dc:identifier"] == "3f2a9c0d1e7b4a6f8c5d2e1f0a9b8c7d"
        assert meta["pdf:Producer"].startswith("sohoa ")
        assert meta["xmp:CreateDate"].startswith("2024-05-06T09:30:00+07:00")
        assert pdf.docinfo.Title == "Giấy xác nhận thông tin về cư trú"
        assert pdf.docinfo.Producer == meta["pdf:Producer"]
        assert str(pdf.docinfo.CreationDate).startswith("D:20240506093000+07'00")
        assert pdf.Root.Lang == "vi"

        intent = pdf.Root.OutputIntents[0]
        assert intent.S == pikepdf.Name.GTS_PDFA1
        assert intent.DestOutputProfile.N == 3
        profile = intent.DestOutputProfile.read_bytes()
        assert profile[36:40] == b"acsp" and profile[16:20] == b"RGB "

        assert len(pdf.trailer.ID) == 2
        assert not pdf.is_encrypted
        assert b"LZWDecode" not in letter_pdf


def test_text_font_is_embedded_glyphless_type0_like_tesseracts(letter_pdf: bytes):
    """GIVEN an assembled PDF
    WHEN its text font is inspected
    THEN it is a Type0/Identity-H font over an embedded CIDFontType2 (pdf.ttf) whose every CID
    maps to glyph 1, with DW 500 matching the glyph's advance and a ToUnicode CMap"""
    with pikepdf.open(io.BytesIO(letter_pdf)) as pdf:
        font = pdf.pages[0].Resources.Font.F1
        assert font.Subtype == pikepdf.Name.Type0
        assert font.Encoding == pikepdf.Name("/Identity-H")
        assert b"beginbfrange" in font.ToUnicode.read_bytes()
        cid_font = font.DescendantFonts[0]
        assert cid_font.Subtype == pikepdf.Name.CIDFontType2
        assert cid_font.DW == 500
        gids = np.frombuffer(cid_font.CIDToGIDMap.read_bytes(), dtype=">u2")
        assert len(gids) == 65536 and set(gids.tolist()) == {1}
        program = cid_font.FontDescriptor.FontFile2
        assert program.Length1 == len(program.read_bytes()) > 0
        content = pdf.pages[0].Contents.read_bytes()
        assert b"3 Tr" in content  # invisible text


def misregistered(grey: np.ndarray, seed: int, shift: int = 2) -> np.ndarray:
    """A grey page as a colour scanner delivers it: per-channel noise, and red and blue planes
    `shift` pixels off, leaving coloured fringes along every black stroke."""
    rgb = np.stack([grey] * 3, axis=-1).astype(np.int16)
    rgb += np.random.default_rng(seed).normal(0, 4, rgb.shape).astype(np.int16)
    rgb[:, shift:, 0] = rgb[:, :-shift, 0]
    rgb[shift:, :, 2] = rgb[:-shift, :, 2]
    return np.clip(rgb, 0, 255).astype(np.uint8)


def test_grey_page_is_stored_grey_and_colour_page_stays_colour(letter: PageDrawer):
    """GIVEN a grey letter delivered as RGB with scanner noise and colour fringes, the same letter
    with a red seal, and the same letter signed in blue ballpoint
    WHEN their images are encoded and assembled
    THEN the grey one is a DeviceGray JPEG, the sealed and signed ones DeviceRGB JPEGs"""
    grey = misregistered(letter.scan(seed=4), seed=4)
    sealed, words = colour_letter()
    signed = np.stack([letter.scan(seed=5)] * 3, axis=-1)
    stroke = np.array([[1450 + 3 * i, 2950 + int(40 * np.sin(i / 6))] for i in range(120)])
    stroke = stroke.astype(np.int32)
    cv2.polylines(signed, [stroke], False, (40, 60, 170), 5, cv2.LINE_AA)  # ~0.4 mm blue ink

    grey_image = encode_page_image(grey, DPI, ImageSettings())
    colour_image = encode_page_image(sealed, DPI, ImageSettings())
    signed_image = encode_page_image(signed, DPI, ImageSettings())
    assert not grey_image.colour, grey_image.colour_fraction
    assert colour_image.colour, colour_image.colour_fraction
    assert signed_image.colour, signed_image.colour_fraction

    pdf_bytes = assemble_pdf(
        [PdfPage(grey_image, letter.words, DPI), PdfPage(colour_image, words, DPI)],
        metadata(),
        AssembleSettings(),
    )
    with pikepdf.open(io.BytesIO(pdf_bytes)) as pdf:
        spaces = [page.Resources.XObject.Im0.ColorSpace for page in pdf.pages]
        filters = [page.Resources.XObject.Im0.Filter for page in pdf.pages]
    assert spaces == [pikepdf.Name.DeviceGray, pikepdf.Name.DeviceRGB]
    assert filters == [pikepdf.Name.DCTDecode] * 2

    decoded = cv2.imdecode(np.frombuffer(colour_image.data, np.uint8), cv2.IMREAD_COLOR)
    ring = (SEAL_CENTRE[1] * 2 // 3, (SEAL_CENTRE[0] - SEAL_RADIUS) * 2 // 3)  # at 200 dpi
    b, g, r = decoded[ring].astype(int)
    assert r > g + 60 and r > b + 60, "the seal is still red (RGB, not BGR)"


def test_a4_scan_is_an_a4_page_at_200_dpi_under_the_size_budget(letter: PageDrawer, letter_pdf):
    """GIVEN a 300 dpi A4 scan of a typical office letter
    WHEN it is encoded and assembled
    THEN the page is A4 in points, the stored image is 200 dpi, the JPEG bytes are embedded as
    encoded, and the file is under 0.3 MB"""
    image = encode_page_image(letter.scan(seed=1), DPI, ImageSettings())
    assert (image.pixel_width, image.pixel_height) == (1653, 2339)
    assert image.image_dpi == pytest.approx(200, abs=0.5)

    with pikepdf.open(io.BytesIO(letter_pdf)) as pdf:
        page = pdf.pages[0]
        _, _, width, height = (float(v) for v in page.MediaBox)
        embedded = page.Resources.XObject.Im0.read_raw_bytes()
    assert width == pytest.approx(A4_POINTS[0], abs=1.0)
    assert height == pytest.approx(A4_POINTS[1], abs=1.0)
    assert embedded == image.data
    assert len(letter_pdf) / 1e6 < 0.3


def test_low_resolution_scans_are_not_upsampled():
    """GIVEN a 150 dpi A4 scan
    WHEN it is encoded for storage at 200 dpi
    THEN its pixels are kept as they are and the page is still A4"""
    scan = office_letter(dpi=150).scan(seed=5)
    image = encode_page_image(scan, 150, ImageSettings())
    assert (image.pixel_width, image.pixel_height) == (scan.shape[1], scan.shape[0])
    assert image.page_width_pt == pytest.approx(A4_POINTS[0], abs=1.0)
    assert image.page_height_pt == pytest.approx(A4_POINTS[1], abs=1.0)


def test_page_without_words_and_multi_page_documents(letter: PageDrawer, tmp_path: Path):
    """GIVEN a three-page document whose middle page is blank (no OCR words)
    WHEN it is assembled
    THEN the file is valid, has three pages sharing one embedded font, the blank page has no
    text, and the other pages extract their own text"""
    first = encode_page_image(letter.scan(seed=6), DPI, ImageSettings())
    blank = encode_page_image(np.full((3508, 2480), 250, np.uint8), DPI, ImageSettings())
    pages = [
        PdfPage(first, letter.words, DPI),
        PdfPage(blank, [], DPI),
        PdfPage(first, letter.words[:5], DPI),
    ]

    anonymous = metadata(dossier_code=None, document_id=None)
    pdf_bytes = assemble_pdf(pages, anonymous, AssembleSettings())

    assert qpdf_check(pdf_bytes, tmp_path).returncode == 0
    with pikepdf.open(io.BytesIO(pdf_bytes)) as pdf:
        assert len(pdf.pages) == 3
        fonts = {page.Resources.Font.F1.objgen for page in pdf.pages}
        assert len(fonts) == 1
        assert "dc:source" not in pdf.open_metadata()
    with pdfplumber.open(io.BytesIO(pdf_bytes)) as pdf:
        texts = [page.extract_text() for page in pdf.pages]
    assert collapse(texts[0]) == collapse(" ".join(letter.lines))
    assert texts[1] == ""
    assert collapse(texts[2]) == collapse(" ".join(w.text for w in letter.words[:5]))


def test_output_is_reproducible_and_assembly_is_fast(letter: PageDrawer):
    """GIVEN ten encoded pages of ~200 OCR words each
    WHEN the document is assembled twice
    THEN the bytes are identical (the /ID derives from content) and assembly takes < 50 ms a page"""
    image = encode_page_image(letter.scan(seed=7), DPI, ImageSettings())
    pages = [PdfPage(image, letter.words, DPI)] * 10
    assemble_pdf(pages[:1], metadata(), AssembleSettings())  # loads font and ICC profile, once

    started = time.perf_counter()
    first = assemble_pdf(pages, metadata(), AssembleSettings())
    per_page = (time.perf_counter() - started) / len(pages)
    second = assemble_pdf(pages, metadata(), AssembleSettings())

    assert first == second
    assert per_page < 0.050, f"{per_page * 1000:.1f} ms per page"


def test_plain_pdf_without_pdfa_identification():
    """GIVEN settings with PDF/A switched off
    WHEN a page is assembled
    THEN the file carries no PDF/A identification or output intent but keeps its text"""
    page = PageDrawer((1240, 400), 150)
    page.line("Nguyễn Thị Lấp Lánh", 100, 100)
    image = encode_page_image(page.scan(seed=8), 150, ImageSettings())
    plain = AssembleSettings(pdfa=False)
    pdf_bytes = assemble_pdf([PdfPage(image, page.words, 150)], metadata(), plain)
    with pikepdf.open(io.BytesIO(pdf_bytes)) as pdf:
        assert "pdfaid:part" not in pdf.open_metadata()
        assert "/OutputIntents" not in pdf.Root
    with pdfplumber.open(io.BytesIO(pdf_bytes)) as pdf:
        assert collapse(pdf.pages[0].extract_text()) == "Nguyễn Thị Lấp Lánh"


def test_missing_glyphless_font_is_a_clear_error(letter: PageDrawer, tmp_path: Path):
    """GIVEN settings pointing at a glyphless font that does not exist
    WHEN a document is assembled
    THEN a ToolMissing error names the missing font"""
    image = encode_page_image(np.full((350, 248), 255, np.uint8), 30, ImageSettings())
    missing = tmp_path / "pdf.ttf"
    with pytest.raises(ToolMissing, match=re.escape(str(missing))):
        assemble_pdf([PdfPage(image, [], 30)], metadata(), AssembleSettings(glyphless_font=missing))


def test_naive_creation_time_is_refused():
    """GIVEN a creation time without a timezone
    WHEN metadata is built
    THEN it is refused, since PDF and XMP dates must carry an offset"""
    with pytest.raises(ValueError, match="timezone"):
        PdfMetadata(title="x", created=datetime(2024, 5, 6, 9, 30))


def test_dense_page_stays_near_the_size_budget():
    """GIVEN an A4 page filled with body text at 300 dpi (a worst case, not the typical page)
    WHEN it is encoded and assembled
    THEN the file stays near the 0.3 MB budget (under 0.4 MB)"""
    dense = office_letter(body_repeats=3)
    image = encode_page_image(dense.scan(seed=9), DPI, ImageSettings())
    pdf_bytes = assemble_pdf([PdfPage(image, dense.words, DPI)], metadata(), AssembleSettings())
    assert len(pdf_bytes) / 1e6 < 0.4
