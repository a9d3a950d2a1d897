"""The card back's own MRZ pass (pipeline/stages/mrz_band.py): the zone's band read again by
Tesseract with the zone's characters only, through the one Tesseract wrapper; pages without a
zone are left alone."""

from __future__ import annotations

from datetime import date

import pytest

from card_scans import card_on_a4
from pipeline.stages.extract.mrz import parse_td1, td1_lines
from pipeline.stages.mrz_band import MrzSettings, read_zone, zone_lines
from pipeline.stages.ocr import OcrPage, OcrSettings, OcrWord, recognise
from pipeline.stages.preprocess import PreprocessSettings, preprocess


@pytest.mark.slow
def test_a_card_back_on_a4_gets_its_zone_read_by_its_own_pass():
    """GIVEN a chip CCCD photocopied front and back on one A4 page, preprocessed and OCR'd (vie)
    WHEN the MRZ pass runs over the page
    THEN the page carries the three zone lines exactly as printed, with valid check digits"""
    zone = td1_lines("079187012345", date(1987, 3, 12), "Nữ", date(2027, 3, 12), "NGUYEN", "THI LAP LANH")
    scan = card_on_a4(personal_id="079187012345", name="Nguyễn Thị Lấp Lánh", surname_ascii="NGUYEN",
                      given_ascii="THI LAP LANH", birth=date(1987, 3, 12), sex="Nữ", expiry=date(2027, 3, 12),
                      issued=date(2021, 5, 10), seed=3)
    pre = preprocess(scan, PreprocessSettings())
    page = read_zone(pre.ocr_image, recognise(pre.ocr_image, OcrSettings()), MrzSettings(), OcrSettings())
    assert len(page.mrz) == 3, page.text
    parsed = parse_td1(tuple(page.mrz), today=date(2026, 1, 1))
    assert parsed.valid, (page.mrz, parsed.problems)
    assert parsed.lines == zone


def _page(lines: list[str]) -> OcrPage:
    words = []
    for n, line in enumerate(lines):
        x = 10
        for text in line.split():
            words.append(OcrWord(text=text, left=x, top=20 + 30 * n, width=12 * len(text), height=20,
                                 confidence=90.0, line=n))
            x += 12 * len(text) + 10
    return OcrPage(words=tuple(words), text="\n".join(lines), width=800, height=600)


def test_a_page_without_a_zone_is_not_read_again():
    """GIVEN a page whose first reading holds no zone-like line (an ordinary paper, a card front)
    WHEN the MRZ pass runs
    THEN no band is found and the page is returned as it was (no second Tesseract run)"""
    page = _page(["CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Họ và tên / Full name: NGUYỄN VĂN AN",
                  "Số: 123/QĐ-UBND <trích yếu>"])
    assert zone_lines(page.words) == []
    blank = __import__("numpy").full((600, 800), 255, dtype="uint8")
    assert read_zone(blank, page, MrzSettings(), OcrSettings()) is page


def test_zone_like_lines_are_found_by_their_start_or_their_fillers():
    """GIVEN a card back's first reading with the zone misread (T for I, fillers split by spaces)
    WHEN its zone lines are looked for
    THEN the three lines are the band, and the other lines are not"""
    page = _page(["BỘ CÔNG AN", "TDVNM2657809627027205780902<<<", "0503246M3003242VNM<< <<<<<<<<<4",
                  "PHAN<<C0NG<KTEN<<<<<<<<<<<<<<<", "Ngón trỏ phải"])
    found = zone_lines(page.words)
    assert [line[0].line for line in found] == [1, 2, 3]


def test_the_extractor_prefers_the_pass_zone_when_its_check_digits_hold():
    """GIVEN a card back whose page text holds the zone misread (check digits fail) and whose MRZ
    pass read it right
    WHEN its fields are extracted
    THEN the zone is read with valid check digits and the card is not sent to review for it"""
    from pipeline.stages.extract import ExtractSettings, extract_fields, pages_from_texts

    zone = td1_lines("027205780902", date(2005, 3, 24), "Nam", date(2030, 3, 24), "PHAN", "CONG KIEN")
    text = "BỘ CÔNG AN\nTDVNM2657809627027205780902<<<\n0503246M3003242VNM<<<<<<<<<<<4\nPHAN<<C0NG<KTEN<<<<<<<<<<<<<<<"
    page = pages_from_texts([text])[0]
    misread = extract_fields("can_cuoc", [page], settings=ExtractSettings(today=date(2026, 1, 1)))
    assert "MRZ read (check digits failed)" in misread.notes
    passed = extract_fields("can_cuoc", [page.model_copy(update={"mrz": list(zone)})],
                            settings=ExtractSettings(today=date(2026, 1, 1)))
    assert "MRZ read (check digits valid)" in passed.notes
    assert passed.value("owner_id") == "027205780902"
    assert not any(p.startswith("MRZ") for p in passed.problems), passed.problems
