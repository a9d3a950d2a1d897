"""The evaluation generator's ground truth holds together without any OCR: MRZ check digits,
NFC text, valid personal IDs, every printed field visible in the page's printed text, and the
same seed giving the same document."""

from __future__ import annotations

import hashlib
import unicodedata
from datetime import date

import pytest

from evalgen import DOC_TYPES, make_document
from evalgen.mrz import check_digit, td1_lines, td1_valid
from pipeline.stages.extract import personal_id_problems
from schemas.catalog import UNKNOWN_TYPE, default_catalog

LOW_DPI = 60  # fields and wording do not depend on the resolution; pixels are cheap at 60 dpi


@pytest.fixture(scope="module")
def documents():
    return [make_document(seed, dpi=LOW_DPI) for seed in range(2 * len(DOC_TYPES))]


def _date_forms(iso_value: str) -> list[str]:
    d = date.fromisoformat(iso_value)
    month = f"{d.month:02d}" if d.month <= 2 else str(d.month)
    return [f"{d.day:02d}/{d.month:02d}/{d.year}", f"{d.day:02d}-{d.month:02d}-{d.year}",
            f"ngày {d.day:02d} tháng {month} năm {d.year}"]


def test_every_printed_field_is_on_the_page(documents):
    """GIVEN two documents of each of the 12 types
    WHEN their ground truth is compared with the text printed on their pages
    THEN every field value is printed (dates in one of their printed forms, names in any case)
    and the types are those of the catalogue"""
    assert {d.doc_type for d in documents} == set(DOC_TYPES) == set(default_catalog().document_types) - {UNKNOWN_TYPE}
    for doc in documents:
        text = "\n".join(p.text for p in doc.pages)
        folded = " ".join(text.split()).casefold()
        for name, value in doc.fields.items():
            if name in ("date_of_birth", "issue_date", "valid_until", "date_of_death"):
                assert any(form.casefold() in folded for form in _date_forms(value)), (doc.name, name, value)
            else:
                assert value.casefold() in folded, (doc.name, doc.variant, name, value)


def test_ground_truth_is_nfc_and_ids_are_valid(documents):
    """GIVEN the generated documents
    WHEN their fields and page texts are checked
    THEN all text is NFC and every printed personal ID is structurally valid for its birth date"""
    for doc in documents:
        for value in [*doc.fields.values(), *(p.text for p in doc.pages)]:
            assert unicodedata.is_normalized("NFC", value)
        if "owner_id" in doc.fields:
            birth = date.fromisoformat(doc.fields["date_of_birth"]) if "date_of_birth" in doc.fields else None
            assert personal_id_problems(doc.fields["owner_id"], birth) == [], doc.name
        assert all(p.rotation in (0, 90, 180, 270) for p in doc.pages)


def test_card_backs_carry_a_valid_td1_zone(documents):
    """GIVEN the chip CCCD and 2024 Căn cước cards of the set
    WHEN their MRZ lines are verified
    THEN all check digits hold, the zone names the holder and carries the ID, and one changed
    digit breaks it"""
    cards = [d for d in documents if d.mrz]
    assert cards
    for doc in cards:
        assert td1_valid(doc.mrz), doc.mrz
        assert doc.fields["owner_id"] in doc.mrz[0]
        assert doc.mrz[2].startswith(unicodedata.normalize("NFD", doc.fields["full_name"].split()[-1])[:1].upper()
                                     ) or "<<" in doc.mrz[2]
        assert all(line in doc.pages[-1].text for line in doc.mrz)
        broken = [doc.mrz[0], doc.mrz[1][:6] + str((int(doc.mrz[1][6]) + 1) % 10) + doc.mrz[1][7:], doc.mrz[2]]
        assert not td1_valid(broken)


def test_td1_matches_the_icao_specimen_check_digits():
    """GIVEN the check-digit examples of ICAO 9303 part 3 and a built zone
    WHEN the digits are computed
    THEN they match the specimen ("D23145890" -> 7, "740812" -> 2, "120415" -> 9)"""
    assert check_digit("D23145890") == "7"
    assert check_digit("740812") == "2"
    assert check_digit("120415") == "9"
    lines = td1_lines("079185012345", date(1985, 3, 12), False, None, "Trần Thị Ánh")
    assert td1_valid(lines) and lines[2].startswith("TRAN<<THI<ANH<")


def test_the_same_seed_gives_the_same_document():
    """GIVEN one seed generated twice
    WHEN the pixels and ground truth are compared
    THEN they are identical; another seed differs"""
    a, b, c = (make_document(s, "can_cuoc", dpi=LOW_DPI) for s in (5, 5, 17))
    digest = [hashlib.sha256(p.image.tobytes()).hexdigest() for p in a.pages]
    assert digest == [hashlib.sha256(p.image.tobytes()).hexdigest() for p in b.pages]
    assert a.truth() == b.truth()
    assert a.truth() != c.truth()
