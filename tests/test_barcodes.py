"""Separator barcodes as scanners deliver them: a PATCHT code (Code 128, Code 39, QR rendered with
python-barcode and segno) is read upright, upside down, turned, skewed, blurred, distorted, on a
CCITT-G4 fax page and inside a multi-page TIFF; a damaged code splits nothing."""

from __future__ import annotations

import io

import cv2
import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFilter

from pipeline.samples import degrade, make_scan
from pipeline.samples.streams import patcht_sheet
from pipeline.stages import barcodes
from pipeline.stages.barcodes import read_barcodes
from pipeline.stages.separate import inspect_page, separate

DPI = 200
STYLES = ("patcht_code128", "patcht_code39", "patcht_qr")


def sheet(style: str, seed: int = 0) -> Image.Image:
    return patcht_sheet(style, DPI, np.random.default_rng(seed))


def separator_found(image: Image.Image, dpi: float = DPI) -> bool:
    signals = inspect_page(np.asarray(image), dpi)
    return signals.separator is not None and signals.separator.kind == "barcode"


def perspective(image: Image.Image, strength: float) -> Image.Image:
    """The sheet photographed or fed at an angle: one corner pulled in."""
    array = np.asarray(image)
    h, w = array.shape[:2]
    d = strength * w
    source = np.float32([[0, 0], [w, 0], [w, h], [0, h]])
    target = np.float32([[d, d * 0.5], [w - d * 0.3, 0], [w, h - d], [0, h]])
    matrix = cv2.getPerspectiveTransform(source, target)
    return Image.fromarray(cv2.warpPerspective(array, matrix, (w, h), borderValue=255))


def faxed(image: Image.Image) -> Image.Image:
    """Sent by fax: thresholded to 1 bit, CCITT Group 4 in a TIFF at 204 x 196 dpi, read back."""
    bitonal = image.convert("L").point(lambda v: 255 if v > 140 else 0).convert("1")
    buffer = io.BytesIO()
    bitonal.save(buffer, "TIFF", compression="group4", dpi=(204, 196))
    buffer.seek(0)
    reread = Image.open(buffer)
    assert reread.info.get("compression") == "group4"
    return reread.convert("L")


@pytest.mark.parametrize("style", STYLES)
def test_patcht_code_is_read_in_every_orientation(style):
    """GIVEN a PATCHT separator sheet (Code 128, Code 39 or QR)
    WHEN it is scanned upright, upside down, turned a quarter and skewed 4°
    THEN it is found as a separator each time"""
    image = sheet(style)
    turned = {
        "upright": image,
        "upside down": image.rotate(180),
        "quarter turn": image.transpose(Image.Transpose.ROTATE_90),
        "skewed": image.rotate(4, fillcolor=255),
    }
    missed = [name for name, page in turned.items() if not separator_found(page)]
    assert not missed


@pytest.mark.parametrize("style", STYLES)
def test_blurred_and_distorted_patcht_code_is_read(style):
    """GIVEN a PATCHT sheet scanned out of focus (Gaussian blur of 1.5 px at 200 dpi) or fed at an
    angle (perspective distortion)
    WHEN the page is inspected
    THEN the separator is found"""
    for seed in range(3):
        image = sheet(style, seed)
        assert separator_found(image.filter(ImageFilter.GaussianBlur(1.5))), f"blurred, seed {seed}"
        assert separator_found(perspective(image, 0.06)), f"distorted, seed {seed}"


@pytest.mark.parametrize("style", STYLES)
def test_patcht_code_on_a_g4_fax_page_is_read(style):
    """GIVEN a PATCHT sheet that came by fax (1 bit, CCITT G4), upright and upside down askew
    WHEN the page is inspected
    THEN the separator is found"""
    image = sheet(style, 1)
    assert separator_found(faxed(image))
    assert separator_found(faxed(image.rotate(181.5, fillcolor=255)))


def test_separator_inside_a_multipage_tiff_splits_it():
    """GIVEN a multi-page G4 TIFF: a document page, a PATCHT sheet, another document page
    WHEN its pages are read back with Pillow (as ingest loads them) and separated
    THEN it makes two documents and the sheet page is not in either"""
    pages = [make_scan(31, doc_type="quyet_dinh", dpi=DPI, severity="light").image,
             sheet("patcht_code128", 2),
             make_scan(32, doc_type="giay_khai_sinh", dpi=DPI, severity="light").image]
    bitonal = [page.convert("L").point(lambda v: 255 if v > 150 else 0).convert("1") for page in pages]
    buffer = io.BytesIO()
    bitonal[0].save(buffer, "TIFF", compression="group4", save_all=True, append_images=bitonal[1:], dpi=(DPI, DPI))
    buffer.seek(0)
    with Image.open(buffer) as tiff:
        loaded = []
        for index in range(tiff.n_frames):
            tiff.seek(index)
            loaded.append(np.asarray(tiff.convert("L")))
    separation = separate([inspect_page(page, DPI) for page in loaded])
    assert [doc.pages for doc in separation.documents] == [(1,), (3,)]
    assert separation.separator_pages == (2,)


def test_patcht_sheet_through_office_scan_damage_is_read():
    """GIVEN PATCHT sheets degraded like office scans (skew, noise, light, JPEG, some turned)
    WHEN each is inspected
    THEN every one is a separator"""
    missed = []
    for seed in range(6):
        style = STYLES[seed % 3]
        rng = np.random.default_rng(seed)
        image, _, rotation = degrade(sheet(style, seed), rng, severity="heavy" if seed % 2 else "medium")
        if not separator_found(image):
            missed.append((style, seed, rotation))
    assert not missed


def test_damaged_code_splits_nothing_and_the_page_stays():
    """GIVEN a stream whose middle page is a PATCHT QR sheet torn through its finder patterns
    WHEN the stream is separated
    THEN there is no split and the damaged page stays in the document"""
    image = sheet("patcht_qr", 3)
    array = np.asarray(image).copy()
    code = read_barcodes(array)[0]
    x, y, w, h = code.box
    damaged = Image.fromarray(array)
    draw = ImageDraw.Draw(damaged)
    draw.rectangle([x, y, x + w // 2, y + h // 2], fill=255)  # a corner torn off
    draw.rectangle([x + w // 2, y + h // 2, x + w, y + h], fill=0)  # a dark smudge
    pages = [make_scan(41, doc_type="to_khai", dpi=DPI, severity="light").image, damaged,
             make_scan(42, doc_type="to_khai", dpi=DPI, severity="light").image]
    separation = separate([inspect_page(np.asarray(page), DPI) for page in pages], None)
    assert separation.separator_pages == ()
    assert [doc.pages for doc in separation.documents] == [(1, 2, 3)]


def test_other_codes_are_not_separators():
    """GIVEN a page with a QR code that is not PATCHT (an issuing system's code on a result)
    WHEN the page is inspected
    THEN it is not a separator and its content is not kept in the signals"""
    from pipeline.samples.streams import _qr_image

    page = make_scan(51, doc_type="giay_khai_sinh", dpi=DPI, severity="light").image.convert("L")
    page.paste(_qr_image('{"ma_ho_so":"000.00.24.H29-240515-0001"}', 6), (60, 60))
    signals = inspect_page(np.asarray(page), DPI)
    assert signals.separator is None
    assert signals.other_codes == ("QRCode",)


def test_opencv_reads_qr_codes_when_zxing_is_missing(monkeypatch):
    """GIVEN a machine without zxing-cpp
    WHEN a PATCHT QR sheet is read
    THEN OpenCV's detector still reads it (1-D codes need zxing-cpp)"""
    monkeypatch.setattr(barcodes, "zxing_available", lambda: False)
    codes = read_barcodes(np.asarray(sheet("patcht_qr", 4)))
    assert [(c.text, c.reader) for c in codes] == [("PATCHT", "opencv")]


def test_text_is_not_read_as_a_code():
    """GIVEN an ordinary 300 dpi office scan
    WHEN it is read for barcodes, sharpened retries included
    THEN no code is found on the text"""
    page = np.asarray(make_scan(61, doc_type="quyet_dinh", dpi=300).image.convert("L"))
    assert not [c for c in read_barcodes(page) if c.valid]
