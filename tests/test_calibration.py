"""Doubt instead of a confidently wrong field (pipeline/stages/extract/calibrate.py and the
reading fixes beside it), on synthetic OCR word lists."""

from __future__ import annotations

from datetime import date

import pytest

from pipeline.stages.extract import ExtractSettings, extract_fields, pages_from_texts
from pipeline.stages.extract.calibrate import check_issuer, check_name

SETTINGS = ExtractSettings(today=date(2026, 1, 1))


def _extract(doc_type: str, text: str):
    return extract_fields(doc_type, pages_from_texts([text]), settings=SETTINGS)


@pytest.mark.parametrize("read, kept", [
    ("Âu Văn Toàn Lê Bích Quyên", "Âu Văn Toàn"),            # the wife's name in the next column
    ("Huỳnh Bá Duy Khánh Lương Thu", "Huỳnh Bá Duy Khánh"),
    ("Nguyễn Thị Minh Khai", "Nguyễn Thị Minh Khai"),        # four words: one name
])
def test_a_second_name_read_on_from_the_next_column_is_cut(read, kept):
    """GIVEN a name read on into the next column's name
    WHEN its shape is checked
    THEN it is cut where the second person's surname starts, and not doubted"""
    assert check_name(read) == (kept, None)


def test_a_name_that_does_not_start_with_a_surname_is_doubtful():
    """GIVEN a 'name' that is an address read under a name label
    WHEN its shape is checked
    THEN it is doubtful (the document goes to review)"""
    assert check_name("Thôn Phú Lộc")[1] is not None
    assert check_name("Ông Xuân Luân")[1] is None  # Ông is a surname as well as an honorific


@pytest.mark.parametrize("read", ["ỦY BAN NHÂN DÂN PHƯỜNG ĐIỆN BIÊ&", "ỦY BAN NHÂN DÂN XÃ CAM HẢI ĐÔ NG",
                                  "ỦY BAN NHÂN DÂN PHƯỜNG XUÂN KHé", "ỦY BAN NHÂN DÂN HUYỆN QUẾ VÕ 38ES/OĐ-URE"])
def test_an_issuer_with_ocr_debris_is_doubtful(read):
    """GIVEN an issuing body's name with OCR debris (a sign, a word without vowel, lower case)
    WHEN its shape is checked
    THEN it is doubtful"""
    assert check_issuer(read)[1] is not None


def test_an_issuer_is_repaired_when_the_cause_is_clear():
    """GIVEN a national body run on into the next line, a superior body before the issuer, a hyphen
    WHEN the shape is checked
    THEN the body's own name is kept and nothing is doubted"""
    assert check_issuer("BẢO HIỂM XÃ HỘI VIỆT NAM THẺ OHIẾM Y") == ("BẢO HIỂM XÃ HỘI VIỆT NAM", None)
    assert check_issuer("ỦY BAN NHÂN DÂN HUYỆN PHÚ VANG - Y BAN NHÂN DÂN XÃ PHÚ MẬU") == \
        ("ỦY BAN NHÂN DÂN XÃ PHÚ MẬU", None)
    assert check_issuer("PHÒNG TÀI CHÍNH - KẾ HOẠCH") == ("PHÒNG TÀI CHÍNH - KẾ HOẠCH", None)


def test_doubtful_issuer_sends_the_document_to_review():
    """GIVEN a decision whose issuer line ends in OCR debris
    WHEN its fields are extracted
    THEN a problem names the issuer as doubtful"""
    text = ("ỦY BAN NHÂN DÂN PHƯỜNG MÁY CH/I\nCỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\nSố: 12/QĐ-UBND\n"
            "Hải Phòng, ngày 05 tháng 3 năm 2024\nQUYẾT ĐỊNH\nÔng Trần Văn Bình, sinh năm 1980")
    extraction = _extract("quyet_dinh", text)
    assert any(p.startswith("issuer doubtful") for p in extraction.problems), extraction.problems


def test_a_name_with_the_next_label_glued_on_keeps_its_capitals():
    """GIVEN a name in capitals glued by OCR to the next label, or followed by a colon
    WHEN the household business certificate is read
    THEN the whole name is the value"""
    for line, name in (("Họ, chữ đệm và tên: HỒ ĐÌNH ANH TUẤNiới tính: Nam", "Hồ Đình Anh Tuấn"),
                       ("Họ, chữ đệm và tên: MAI KIM QUYÊN: Giới tính: Nữ", "Mai Kim Quyên")):
        extraction = _extract("giay_chung_nhan_dang_ky_ho_kinh_doanh",
                              f"GIẤY CHỨNG NHẬN ĐĂNG KÝ HỘ KINH DOANH\n{line}")
        assert extraction.value("full_name") == name, line


def test_dates_read_from_the_right_line():
    """GIVEN a health insurance card with its cover start and its place-and-date line, a marital
    status certificate printing its own end of validity, and a birth extract (copy)
    WHEN they are read
    THEN the card's issue date is the place-and-date, the validity is the printed one, and the
    copy is dated when it was issued, not when the birth was registered"""
    card = _extract("the_bao_hiem_y_te", "THẺ BẢO HIỂM Y TẾ\nGiá trị sử dụng: từ 01/04/2021 đến 31/12/2021\n"
                                         "Tịnh Biên, ngày 18 tháng 3 năm 2021")
    assert card.value("issue_date") == "2021-03-18"
    status = _extract("xac_nhan_tinh_trang_hon_nhan",
                      "GIẤY XÁC NHẬN TÌNH TRẠNG HÔN NHÂN\nNinh Kiều, ngày 16 tháng 7 năm 2023\n"
                      "Giấy này có giá trị sử dụng đến ngày 15/01/2024.")
    assert status.value("valid_until") == "2024-01-15"
    copy = _extract("giay_khai_sinh", "TRÍCH LỤC KHAI SINH\n(BẢN SAO)\nNgày, tháng, năm đăng ký: 21/01/2010\n"
                                      "Huế, ngày 07 tháng 7 năm 2023")
    assert copy.value("issue_date") == "2023-07-07"


@pytest.mark.parametrize("read, misread", [
    ("Tôn Hồng Trâw", "Trâw"),       # m read as w: no Vietnamese syllable ends in w
    ("Thân Thị Tuyế", "Tuyế"),       # the final t lost: "uyê" is always closed
    ("Phương Thưỳ Dương", "Thưỳ"),   # ư before y
    ("Lê Hồng Phùc", "Phùc"),        # a stop final takes only the sắc or nặng tone
    ("Vũ Minh Duy Khánhg", "Khánhg"),
])
def test_a_name_word_that_is_no_vietnamese_syllable_is_doubtful(read, misread):
    """GIVEN a name OCR misread into a word no Vietnamese syllable can be
    WHEN its shape is checked
    THEN the name is doubtful, naming that word (the document goes to a person)"""
    repaired, doubt = check_name(read)
    assert doubt is not None and misread in doubt


@pytest.mark.parametrize("name", ["Nguyễn Thị Thuỳ Dương", "Quách Ngọc Quyên", "Đặng Văn Khuyến", "Giáp Gìn Hoà",
                                  "Lương Minh Ẩn", "Huỳnh Quốc Tuấn", "Trương Thị Yến Oanh", "Tạ Uyên Phương"])
def test_real_names_are_syllables(name):
    """GIVEN well-formed Vietnamese names (stacked marks, qu-, gi-, closed nuclei)
    WHEN their shape is checked
    THEN none is doubted"""
    assert check_name(name) == (name, None)


@pytest.mark.parametrize("printed, born", [("31/01/20044......", "2004-01-31"), ("19/10/109776,....", "1976-10-19"),
                                           ("09/12/19849.......", "1989-12-09")])
def test_a_birth_year_run_into_the_dotted_leader_is_read_as_the_id_gives_it(printed, born):
    """GIVEN a form whose birth date OCR read with digits of the dotted leader after it
    WHEN its fields are extracted
    THEN the birth date is the one whose year the owner's ID encodes, found in order in those
    digits; with an ID of another year, none is made up"""
    year = born[:4]
    century = "0" if year.startswith("19") else "2"
    owner = f"079{century}{year[2:]}123456"
    text = f"TỜ KHAI\nHọ, chữ đệm, tên: TRẦN VĂN AN\nNgày, tháng, năm sinh: {printed}\nSố định danh cá nhân: {owner}"
    assert _extract("to_khai", text).fields["date_of_birth"].value == born
    other = f"079{century}{int(year[2:]) - 1:02d}123456"
    text = text.replace(owner, other)
    assert "date_of_birth" not in _extract("to_khai", text).fields


@pytest.mark.parametrize("issuer, doubtful", [
    ("ỦY BAN NHÂN DÂN THÀNH PHỐ BIÊNÊNYA", True), ("ỦY BAN NHÂN DÂN PHƯỜNG 10", False),
    ("ỦY BAN NHÂN DÂN HUYỆN CƯ M'GAR", False), ("ỦY BAN NHÂN DÂN HUYỆN KRÔNG PẮC", False),
    ("SỞ TÀI NGUYÊN VÀ MÔI TRƯỜNG TỈNH ĐẮK LẮK", False),
])
def test_an_issuer_word_that_is_no_syllable_is_doubtful_but_numbered_wards_and_highland_names_are_not(issuer, doubtful):
    """GIVEN issuers as read: a garbled place, a numbered ward, the Central Highlands' names
    WHEN their shape is checked
    THEN only the garbled one is doubtful"""
    assert (check_issuer(issuer)[1] is not None) == doubtful
