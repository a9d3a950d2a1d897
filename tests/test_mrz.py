"""The machine-readable zone on the back of the chip CCCD (ICAO 9303 TD1): parsed through OCR's
look-alike characters, check digits validated, cross-checked with the card's front; the card's
expiry rule."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from card_scans import card_on_a4
from ocr_words import stacked
from pipeline.stages.classify import Classification
from pipeline.stages.extract import ExtractSettings, extract_fields, needs_review
from pipeline.stages.extract.mrz import check_digit, find_td1, parse_td1, td1_lines
from pipeline.stages.extract.values import PROVINCE_CODES
from pipeline.stages.ocr import OcrSettings, recognise
from pipeline.stages.preprocess import PreprocessSettings, preprocess
from schemas.models import OcrPageRecord, OcrWordRecord, PageDiagnostics

TODAY = date(2026, 1, 1)

provinces = st.sampled_from(sorted(PROVINCE_CODES))
births = st.dates(min_value=date(1940, 1, 1), max_value=date(2010, 12, 31))
expiries = st.dates(min_value=date(2016, 1, 1), max_value=date(2099, 12, 31))
# Name parts as the zone writes Vietnamese syllables: no "KK", none ends in K.
letters = st.text(alphabet="ABCDEGHIKLMNOPQRSTUVXY", min_size=1, max_size=7).filter(
    lambda s: "KK" not in s and not s.endswith("K"))


def _id(province: str, birth: date, female: bool, tail: int) -> str:
    return f"{province}{2 * ((birth.year - 1900) // 100) + int(female)}{birth.year % 100:02d}{tail:06d}"


def test_check_digits_follow_icao_9303():
    """GIVEN the ICAO 9303 specimen fields
    WHEN their check digits are computed
    THEN they are the specimen's (weights 7, 3, 1; A=10; < = 0)"""
    assert check_digit("D23145890") == 7
    assert check_digit("740812") == 2
    assert check_digit("120415") == 9
    assert check_digit("L898902C<") == 3


@settings(max_examples=60, deadline=None)
@given(provinces, births, st.booleans(), st.integers(0, 999_999), expiries, letters, letters, letters)
def test_a_printed_zone_reads_back(province, birth, female, tail, expiry, surname, given1, given2):
    """GIVEN any card's zone as printed (ID, birth date, sex, expiry, name)
    WHEN parsed
    THEN every field comes back and the check digits hold"""
    pid = _id(province, birth, female, tail)
    zone = td1_lines(pid, birth, "Nữ" if female else "Nam", expiry, surname, f"{given1} {given2}")
    assert all(len(line) == 30 for line in zone)
    mrz = parse_td1(zone, today=TODAY)
    assert mrz.valid, mrz.problems
    assert (mrz.personal_id, mrz.birth_date, mrz.expiry) == (pid, birth, expiry)
    assert mrz.sex == ("Nữ" if female else "Nam")
    assert (mrz.surname, mrz.given_names) == (surname, f"{given1} {given2}")


_DIGIT_LOOKALIKES = {"0": "O", "1": "I", "5": "S", "8": "B", "2": "Z", "6": "G"}


@settings(max_examples=60, deadline=None)
@given(provinces, births, st.booleans(), st.integers(0, 999_999), expiries, st.data())
def test_ocr_look_alikes_and_misread_fillers_are_repaired(province, birth, female, tail, expiry, data):
    """GIVEN a zone as OCR reads it: digits read as look-alike letters (O, I, S, B, Z, G), fillers
    read as K, « or a space, one filler lost, spaces inserted
    WHEN parsed
    THEN the same fields come back, check digits valid"""
    pid = _id(province, birth, female, tail)
    l1, l2, l3 = td1_lines(pid, birth, "Nam", expiry, "NGUYEN", "VAN AN")

    def damage(line: str, digits_from: int) -> str:
        out = []
        for i, ch in enumerate(line):
            if i >= digits_from and ch in _DIGIT_LOOKALIKES and data.draw(st.booleans()):
                ch = _DIGIT_LOOKALIKES[ch]
            out.append(ch)
        text = "".join(out)
        text = text.replace("<<<", data.draw(st.sampled_from(["<<<", "KKK", "«<", "< <", "<<"])), 1)
        cut = data.draw(st.integers(5, 25))
        return text[:cut] + data.draw(st.sampled_from(["", " "])) + text[cut:]

    mrz = parse_td1((damage(l1, 5), damage(l2, 0), l3.replace("<<<<", "KKKK")), today=TODAY)
    assert mrz.valid, (mrz.problems, l1, l2)
    assert (mrz.personal_id, mrz.birth_date, mrz.expiry) == (pid, birth, expiry)
    assert mrz.name == "NGUYEN VAN AN"


@given(st.integers(0, 8), st.integers(1, 9))
def test_a_wrong_check_digit_is_reported(position, shift):
    """GIVEN a zone with one digit of the document number changed
    WHEN parsed
    THEN its check digit fails and the zone is not valid"""
    l1, l2, l3 = td1_lines("079187012345", date(1987, 3, 12), "Nữ", date(2027, 3, 12), "LE", "THI MAI")
    digit = str((int(l1[5 + position]) + shift) % 10)
    broken = l1[:5 + position] + digit + l1[6 + position:]
    mrz = parse_td1((broken, l2, l3), today=TODAY)
    assert not mrz.valid
    assert any("document number" in p for p in mrz.problems)


def test_a_zone_is_found_among_the_back_lines():
    """GIVEN the OCR lines of a card's back: features, issue date, then the zone
    WHEN the zone is looked for
    THEN its three lines are found; no zone on a page without one"""
    zone = td1_lines("079187012345", date(1987, 3, 12), "Nữ", date(2027, 3, 12), "LE", "THI MAI")
    lines = ["Đặc điểm nhân dạng: Nốt ruồi", "Ngày, tháng, năm: 10/05/2021", *(" ".join(z) for z in zone)]
    assert find_td1(lines) == tuple(" ".join(z) for z in zone)
    assert find_td1(["GIẤY KHAI SINH", "Họ và tên: A", "Số: 12"]) is None


FRONT = ["CĂN CƯỚC CÔNG DÂN", "Số / No.: 079187012345", "Họ và tên / Full name:", "LÊ THỊ MAI",
         "Ngày sinh / Date of birth: 12/03/1987", "Giới tính / Sex: Nữ",
         "Có giá trị đến / Date of expiry: 12/03/2027"]


def _card(front: list[str], zone: tuple[str, str, str]):
    back = stacked(["Đặc điểm nhân dạng: Sẹo chấm", "Ngày, tháng, năm: 10/05/2021", *zone], page=2)
    return [stacked(front, page=1), back]


def test_a_zone_read_with_a_doubled_first_letter_or_blank_lines_between_is_found():
    """GIVEN the zone as OCR read it on a phone photo and a card scan: the document code's "I"
    read twice ("I1DVNM", 31 characters, every field one place late), and an empty line left
    between the first two lines, a letter of the name read twice (once as its look-alike digit)
    WHEN the back's lines are searched and parsed
    THEN both zones are found, their check digits pass and the fields are in place"""
    l1, l2, l3 = td1_lines("066190012345", date(1990, 12, 3), "Nữ", date(2030, 12, 3), "VO", "THI ANH")
    doubled = find_td1(["Ngón trỏ phải", "I1" + l1[1:], l2, l3])
    spaced = find_td1(["T" + l1[1:], "", l2, "", l3])
    letter_twice = (l1, l2, "VO0" + l3[2:-1])  # the name line has no check digit: "O" read as "O0"
    for zone in (doubled, spaced, letter_twice):
        mrz = parse_td1(zone, today=date(2026, 1, 1))
        assert mrz.valid, mrz.problems
        assert (mrz.personal_id, mrz.birth_date, mrz.name) == ("066190012345", date(1990, 12, 3), "VO THI ANH")


def test_front_and_zone_that_agree_pass_and_fill_what_the_front_lost():
    """GIVEN a card's front and back whose zone agrees with it, and the same card with the
    front's birth date unreadable
    WHEN extracted
    THEN nothing is a problem; the lost birth date is taken from the zone, marked mrz"""
    zone = td1_lines("079187012345", date(1987, 3, 12), "Nữ", date(2027, 3, 12), "LE", "THI MAI")
    extraction = extract_fields("can_cuoc", _card(FRONT, zone), settings=ExtractSettings(today=TODAY))
    assert extraction.problems == ()
    assert any("MRZ read (check digits valid)" in n for n in extraction.notes)
    assert extraction.value("mrz").split("\n") == list(zone)
    assert extraction.fields["mrz"].page == 2
    blurred = [line if "Date of birth" not in line else "Ngày sinh / Date of birth: ##/##/####" for line in FRONT]
    filled = extract_fields("can_cuoc", _card(blurred, zone), settings=ExtractSettings(today=TODAY))
    assert filled.fields["date_of_birth"].value == "1987-03-12"
    assert filled.fields["date_of_birth"].source == "mrz"
    assert filled.problems == ()


def test_front_and_zone_that_disagree_send_the_card_to_review():
    """GIVEN a card whose zone carries another ID and another name than its front
    WHEN extracted
    THEN both disagreements are problems and the card needs review; no ID is in the reason"""
    zone = td1_lines("079187099999", date(1987, 3, 12), "Nữ", date(2027, 3, 12), "TRAN", "VAN BINH")
    extraction = extract_fields("can_cuoc", _card(FRONT, zone), settings=ExtractSettings(today=TODAY))
    assert "owner_id on the front disagrees with the MRZ" in extraction.problems
    assert "full_name on the front disagrees with the MRZ" in extraction.problems
    review, reason = needs_review(Classification("can_cuoc", 0.97, False, "title"), extraction)
    assert review and "MRZ" in reason and "079187099999" not in reason


def test_a_printed_expiry_off_the_card_rule_is_a_problem():
    """GIVEN a card born 12/03/1987 and issued 10/05/2021 (aged 34): its expiry must be 12/03/2027
    (age 40); read as 12/03/2037 (no renewal age) or 12/03/2047 (20 years off: age 60, skipping 40)
    WHEN extracted
    THEN each wrong expiry is a problem naming the rule; the right one is not"""
    issued = "Ngày, tháng, năm cấp / Date of issue: 10/05/2021"

    def problems(expiry: str) -> tuple[str, ...]:
        lines = [*FRONT[:-1], f"Có giá trị đến / Date of expiry: {expiry}", issued]
        return extract_fields("can_cuoc", [stacked(lines)]).problems

    assert problems("12/03/2027") == ()
    assert any("birthday at 14, 25, 40 or 60" in p for p in problems("12/03/2037"))
    assert any("14/25/40/60 rule" in p for p in problems("12/03/2047"))


@pytest.mark.slow
def test_a_photocopied_card_on_a4_is_read_front_and_back():
    """GIVEN a chip CCCD photocopied front and back on one A4 page (small type, most of the page
    blank, the zone in a monospace font), preprocessed and OCR'd by Tesseract (vie)
    WHEN its fields are extracted as a can_cuoc
    THEN the owner ID, name, birth date and expiry are the printed ones, the zone is read with
    valid check digits and agrees with the front, and nothing sends it to review"""
    scan = card_on_a4(personal_id="079187012345", name="Nguyễn Thị Lấp Lánh", surname_ascii="NGUYEN",
                      given_ascii="THI LAP LANH", birth=date(1987, 3, 12), sex="Nữ", expiry=date(2027, 3, 12),
                      issued=date(2021, 5, 10), seed=3)
    pre = preprocess(scan, PreprocessSettings())
    ocr = recognise(pre.ocr_image, OcrSettings())
    scale = 72.0 / 300
    page = OcrPageRecord(
        page=1, width=ocr.width * scale, height=ocr.height * scale, text=ocr.text,
        words=[OcrWordRecord(text=w.text, bbox=(w.left * scale, w.top * scale, (w.left + w.width) * scale,
                                                (w.top + w.height) * scale), confidence=w.confidence, line=w.line)
               for w in ocr.words],
        diagnostics=PageDiagnostics(page=1))
    extraction = extract_fields("can_cuoc", [page], settings=ExtractSettings(today=TODAY))
    assert extraction.value("owner_id") == "079187012345"
    assert extraction.value("full_name") == "Nguyễn Thị Lấp Lánh"
    assert extraction.value("date_of_birth") == "1987-03-12"
    assert extraction.value("valid_until") == "2027-03-12"
    assert "MRZ read (check digits valid)" in extraction.notes, ocr.text
    assert extraction.problems == (), ocr.text
    assert extraction.fields["full_name"].boxes
