"""Orientation that is never confidently wrong: pages the cheap ink vote cannot settle (ID cards
photocopied on a mostly blank A4, a signature page of a few lines, a card back with its MRZ) are
decided by reading a sample of their text each way up. Pages come from the evaluation generator
(evalgen), which the product was not tuned on."""

from __future__ import annotations

import pytest

from evalgen import make_document
from evalgen.scans import rotate_quarter
from pipeline.stages.preprocess import PreprocessSettings, preprocess, reading_hits

SETTINGS = PreprocessSettings()


def _decided(image):
    page = preprocess(image, SETTINGS)
    return page, " | ".join(page.notes)


def test_card_photocopied_on_a4_upside_down_comes_out_upright():
    """GIVEN the front and back of a chip CCCD photocopied on one A4 page (small type, most of the
    page blank, the MRZ in monospace), fed upside down
    WHEN it is preprocessed
    THEN it is turned 180° back upright, decided by reading, not by Tesseract OSD"""
    doc = make_document(0, "can_cuoc", presentation="card_on_a4", p_turned=0.0)
    assert doc.variant == "cccd_chip_2021" and doc.mrz

    page, notes = _decided(rotate_quarter(doc.pages[0].image, 180))

    assert page.rotation == 180, notes
    assert "reading decided" in notes and "OSD" not in notes


def test_mostly_blank_signature_page_turned_over_is_read_upright():
    """GIVEN page 2 of a two-page decision (a few lines, the signature block, the rest blank),
    photocopied and fed upside down
    WHEN it is preprocessed
    THEN it comes out upright"""
    doc = make_document(43, "quyet_dinh", presentation="photocopy", p_turned=0.0, dpi=200)
    assert len(doc.pages) == 2

    page, notes = _decided(rotate_quarter(doc.pages[1].image, 180))

    assert page.rotation == 180, notes
    assert "reading decided" in notes


def test_card_back_with_mrz_scanned_sideways_is_turned_upright():
    """GIVEN the back of a chip CCCD scanned alone (fingerprint boxes, a few bilingual lines and
    the three MRZ lines), fed a quarter turn clockwise
    WHEN it is preprocessed
    THEN the quarter turn is found and undone"""
    doc = make_document(48, "can_cuoc", presentation="card_alone", p_turned=0.0, dpi=300)
    assert doc.mrz

    page, notes = _decided(rotate_quarter(doc.pages[1].image, 90))

    assert page.rotation == 90, notes


@pytest.mark.parametrize(("words", "reads"), [
    (["Họ", "và", "tên", "/", "Full", "name:", "NGUYỄN", "VĂN", "AN", "Ngày", "sinh:", "12/03/1985"], True),
    (["IDVNM2045328723048204532872<<<"], True),
    (["ʇ", "ɐ", "ƃu", "˙:ɯ", "uıs", "ʎɐƃN", "'", "S86I/E0/ZI"], False),
])
def test_reading_score_counts_words_dates_and_mrz_lines_not_junk(words, reads):
    """GIVEN words as OCR reads them upright, an MRZ line, and junk read from upside-down text
    WHEN they are scored
    THEN upright text and the MRZ score at least the minimum hits and the junk scores nothing"""
    hits = reading_hits(words)
    assert (hits >= SETTINGS.reading_min_hits) is reads
    if not reads:
        assert hits == 0
