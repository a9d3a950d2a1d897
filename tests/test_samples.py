"""The sample generator: realistic Vietnamese scans with ground truth, reproducible from a seed."""

from __future__ import annotations

import csv
import unicodedata
from datetime import date
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from pipeline import samples
from pipeline.samples import (
    DOC_TYPES,
    PROVINCE_CODES,
    UPRIGHT_TRANSPOSE,
    character_error_rate,
    degrade,
    make_document,
    make_scan,
    make_scans,
    render_pages,
    write_sample_batch,
)


def _id_is_valid(number: str, birth: date, sex: str | None) -> bool:
    """Circular 07/2016/TT-BCA, written out independently of the generator."""
    if len(number) != 12 or not number.isdigit() or number[:3] not in PROVINCE_CODES:
        return False
    century = (birth.year - 1900) // 100
    digit = int(number[3])
    if digit // 2 != century:
        return False
    if sex is not None and digit % 2 != (1 if sex == "Nữ" else 0):
        return False
    return number[4:6] == f"{birth.year % 100:02d}"


def test_same_seed_gives_the_same_document_and_scan():
    """GIVEN a seed
    WHEN a document and its scan are made twice
    THEN the content, the ground truth and the pixels are identical, and another seed differs"""
    first, again = make_document(7), make_document(7)
    assert first == again
    a, b = make_scan(7, dpi=200), make_scan(7, dpi=200)
    assert a.text == b.text and (a.skew, a.rotation, a.colour) == (b.skew, b.rotation, b.colour)
    assert np.array_equal(np.asarray(a.image), np.asarray(b.image))
    assert make_document(8).texts != first.texts


@pytest.mark.parametrize("doc_type", DOC_TYPES)
def test_every_kind_has_three_templates_with_filled_fields(doc_type):
    """GIVEN each document kind
    WHEN its three template variants are made
    THEN they are different templates, their title is printed, the fields are NFC, and the
    owner's personal ID (where shown) appears in the text"""
    documents = [make_document(100 + v, doc_type, variant=v) for v in range(3)]
    assert len({d.template for d in documents}) == 3
    for document in documents:
        text = "\n".join(document.texts)
        assert document.doc_type == doc_type
        assert document.title.split(" (")[0] in text.replace("\n", " ")
        assert all(unicodedata.is_normalized("NFC", v) for v in document.fields.values())
        assert document.fields.get("issue_date")
        date.fromisoformat(document.fields["issue_date"])
        if "owner_id" in document.fields:
            assert document.fields["owner_id"] in text


def test_every_generated_personal_id_is_valid():
    """GIVEN many documents of every kind
    WHEN their owner's personal ID is checked against birth date and sex
    THEN the province code is on the official list, the century/sex digit matches, and digits
    5-6 are the birth year's last two digits"""
    checked = 0
    for seed in range(120):
        document = make_document(seed, DOC_TYPES[seed % len(DOC_TYPES)])
        owner = document.owner
        assert _id_is_valid(owner.personal_id, owner.date_of_birth, owner.sex), owner
        assert samples.personal_id_problems(owner.personal_id, owner.date_of_birth, owner.sex) == []
        fields = document.fields
        if "owner_id" in fields:
            assert fields["owner_id"] == owner.personal_id
            if "date_of_birth" in fields:
                birth = date.fromisoformat(fields["date_of_birth"])
                assert _id_is_valid(fields["owner_id"], birth, fields.get("sex"))
        checked += 1
    assert samples.personal_id_problems("123456789012") != []  # 123 is no province
    assert checked > 80


def test_validity_dates_follow_the_rules():
    """GIVEN marital status confirmations and Căn cước cards
    WHEN their valid_until is compared with the issue and birth dates
    THEN a confirmation is valid 6 months and a card until the holder turns 25, 40 or 60"""
    for seed in range(6):
        fields = make_document(seed, "xac_nhan_tinh_trang_hon_nhan").fields
        issued, valid = date.fromisoformat(fields["issue_date"]), date.fromisoformat(fields["valid_until"])
        assert (valid.year - issued.year) * 12 + valid.month - issued.month == 6
        card = make_document(seed, "can_cuoc").fields
        if "valid_until" in card:
            born, until = date.fromisoformat(card["date_of_birth"]), date.fromisoformat(card["valid_until"])
            assert until.year - born.year in (25, 40, 60)


def test_ground_truth_is_nfc_and_matches_the_page_count():
    """GIVEN documents of every kind
    WHEN they are rendered
    THEN each page is an A4 image at the asked resolution, with NFC ground truth and no empty page"""
    for index, doc_type in enumerate(DOC_TYPES):
        document = make_document(index, doc_type)
        pages = render_pages(document, dpi=200)
        assert len(pages) == len(document.pages) >= 1
        for image, text in pages:
            assert image.size == (1654, 2339) and image.mode == "L"
            assert text.strip() and unicodedata.is_normalized("NFC", text)
    image, _ = render_pages(make_document(1, "quyet_dinh"))[0]
    assert image.size == (2480, 3508)


def test_long_documents_take_several_pages():
    """GIVEN the kinds that carry lists or obligations
    WHEN many are made
    THEN some run to two or three pages"""
    counts = {len(make_document(s, k).pages) for s in range(8) for k in ("quyet_dinh", "giay_phep_xay_dung")}
    assert max(counts) >= 2 and max(counts) <= 4


def test_rotation_convention_turns_the_page_clockwise():
    """GIVEN a page scanned with rotation=90 and no skew
    WHEN the scan is looked at
    THEN it is landscape, the text (originally at the top) is now on the right side, and turning it
    counter-clockwise by 90 degrees gives back the portrait page"""
    scan = make_scan(3, doc_type="quyet_dinh", rotation=90, skew=0.0, dpi=200)
    assert scan.rotation == 90 and scan.image.width > scan.image.height
    ink = np.asarray(scan.image.convert("L")) < 128
    assert ink[:, scan.image.width // 2:].sum() > 0
    upright = scan.image.transpose(UPRIGHT_TRANSPOSE[90])
    assert upright.width < upright.height
    clean = np.asarray(render_pages(make_document(3, "quyet_dinh"), dpi=200)[0][0]) < 128
    rows = np.asarray(upright.convert("L"))[: upright.height // 4] < 128
    assert rows.sum() > 0 and clean[: clean.shape[0] // 4].sum() > 0  # the header is at the top again
    for rotation in (180, 270):
        turned = make_scan(3, doc_type="quyet_dinh", rotation=rotation, skew=0.0, dpi=200)
        assert turned.rotation == rotation
        assert turned.image.transpose(UPRIGHT_TRANSPOSE[rotation]).size == (1654, 2339)


def test_skew_convention_is_counter_clockwise():
    """GIVEN a clean page with a long horizontal rule
    WHEN it is degraded with skew=+4 (no other damage)
    THEN the rule rises to the right, as PIL's Image.rotate(+4) would turn it"""
    page = Image.new("L", (1000, 1400), 255)
    page.paste(0, (100, 700, 900, 706))
    rng = np.random.default_rng(0)
    out, skew, rotation = degrade(page, rng, skew=4.0, rotation=0, colour=False, severity="none")
    assert (skew, rotation) == (4.0, 0)
    ink = np.asarray(out) < 128
    left_rows = np.nonzero(ink[:, 150])[0].mean()
    right_rows = np.nonzero(ink[:, 850])[0].mean()
    assert right_rows < left_rows - 40  # y grows downwards: the right end is higher


def test_degraded_scans_vary_in_damage_and_colour():
    """GIVEN scans with colour asked for and not
    WHEN they are made
    THEN colour scans are RGB on yellowish paper and the others grayscale; random skew stays
    within ±5°"""
    colour = make_scan(4, doc_type="xac_nhan_tinh_trang_hon_nhan", colour=True, rotation=0, dpi=200)
    assert colour.image.mode == "RGB" and colour.colour
    r, g, b = np.asarray(colour.image).reshape(-1, 3).mean(axis=0)
    assert r > b + 10  # yellowish paper
    grey = make_scan(4, colour=False, dpi=200)
    assert grey.image.mode == "L" and not grey.colour
    rng = np.random.default_rng(5)
    clean = render_pages(make_document(5), dpi=200)[0][0]
    skews = [degrade(clean, rng, rotation=0)[1] for _ in range(6)]
    assert all(abs(s) <= 5.0 for s in skews) and len(set(skews)) == 6


def test_all_pages_of_a_document_are_scanned():
    """GIVEN a multi-page decision
    WHEN make_scans is asked for it
    THEN there is one scan per page, numbered, each with its own page's ground truth"""
    document = make_document(22, "quyet_dinh", variant=1)
    scans = make_scans(22, doc_type="quyet_dinh", dpi=200, document=document)
    assert [s.page for s in scans] == list(range(1, len(document.pages) + 1))
    assert [s.text for s in scans] == document.texts


def test_batch_writes_every_format_with_ground_truth(tmp_path: Path):
    """GIVEN a batch of two dossiers of three documents at 200 dpi
    WHEN it is written
    THEN PNG, JPEG, TIFF, scanned PDF and one born-digital PDF are there, readable, each with a
    .gt.txt whose form-feed-separated pages match the file's page count; one dossier has a
    manifest; the same seed writes the same files"""
    import pdfplumber

    files = write_sample_batch(tmp_path / "a", seed=3, dossiers=2, documents_per_dossier=3, dpi=200)
    suffixes = {p.suffix for p in files}
    assert {".png", ".jpg", ".tif", ".pdf"} <= suffixes
    born_digital = 0
    for path in files:
        assert path.exists()
        truth = Path(f"{path}.gt.txt").read_text(encoding="utf-8")
        pages = truth.rstrip("\n").split("\f")
        assert unicodedata.is_normalized("NFC", truth)
        if path.suffix == ".pdf":
            with pdfplumber.open(path) as pdf:
                assert len(pdf.pages) == len(pages)
                text = "\n".join(page.extract_text() or "" for page in pdf.pages)
            if text.strip():
                born_digital += 1
                assert character_error_rate("\n".join(pages), text) < 0.01
        else:
            with Image.open(path) as image:
                assert getattr(image, "n_frames", 1) == len(pages)
                image.load()
                assert round(image.info["dpi"][0]) == 200
    assert born_digital == 1
    assert any(Image.open(p).n_frames >= 1 for p in files if p.suffix == ".tif")
    dossiers = {p.parent.name for p in files}
    assert len(dossiers) == 2 and all(d.count("-") == 2 for d in dossiers)
    manifests = list((tmp_path / "a").glob("*/manifest.csv"))
    assert len(manifests) == 1
    with open(manifests[0], encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert rows and set(rows[0]) == {"file", "dossier_code", "owner_id", "procedure_code"}
    assert all((manifests[0].parent / row["file"]).exists() for row in rows)
    again = write_sample_batch(tmp_path / "b", seed=3, dossiers=2, documents_per_dossier=3, dpi=200)
    assert [p.relative_to(tmp_path / "b") for p in again] == [p.relative_to(tmp_path / "a") for p in files]
    first_image = next(p for p in files if p.suffix == ".png")
    assert (tmp_path / "b" / first_image.relative_to(tmp_path / "a")).read_bytes() == first_image.read_bytes()


def test_character_error_rate_basics():
    """GIVEN reference and hypothesis texts
    WHEN the character error rate is computed
    THEN identical text is 0, one substitution in 100 characters is 0.01, and whitespace or
    NFD-versus-NFC differences do not count"""
    reference = "a" * 100
    assert character_error_rate(reference, reference) == 0.0
    assert character_error_rate(reference, "a" * 99 + "b") == pytest.approx(0.01)
    text = "Cộng hòa xã hội chủ nghĩa Việt Nam"
    assert character_error_rate(text, "  Cộng hòa\n\nxã hội   chủ nghĩa\tViệt Nam ") == 0.0
    assert character_error_rate(text, unicodedata.normalize("NFD", text)) == 0.0
    assert character_error_rate("", "") == 0.0


def test_vietnamese_numbers_and_dates_are_written_out():
    """GIVEN numbers and dates
    WHEN they are written in words or in the place-and-date style
    THEN they read as a clerk writes them"""
    assert samples.number_words(2020) == "hai nghìn không trăm hai mươi"
    assert samples.number_words(105) == "một trăm linh năm"
    assert samples.number_words(15) == "mười lăm"
    assert samples.number_words(21) == "hai mươi mốt"
    assert samples.date_long(date(2024, 2, 5)) == "ngày 05 tháng 02 năm 2024"


@pytest.mark.slow
def test_tesseract_reads_a_clean_render_as_the_ground_truth():
    """GIVEN a clean 300 dpi render of a marital status confirmation (two-column header,
    signature block)
    WHEN Tesseract reads it in Vietnamese
    THEN the text matches the ground truth with a character error rate under 1%"""
    pytesseract = pytest.importorskip("pytesseract")
    try:
        languages = pytesseract.get_languages()
    except pytesseract.TesseractNotFoundError:
        pytest.skip("tesseract is not installed")
    if "vie" not in languages:
        pytest.skip("tesseract has no 'vie' language data")
    image, truth = render_pages(make_document(21, "xac_nhan_tinh_trang_hon_nhan", variant=0))[0]
    text = pytesseract.image_to_string(image, lang="vie", config="--psm 3")
    assert character_error_rate(truth, text) < 0.01, text
