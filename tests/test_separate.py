"""Separating a scanner's stream into documents: separator sheets (Kodak Patch T bars, sohoa's own
sheets with their metadata), blank back sides by ink, content boundaries on OCR text with their
confidence, pages scanned apart joined, single-sided duplex collated. Streams come from
pipeline.samples.streams (generated documents with their truth)."""

from __future__ import annotations

import logging
import random
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image, ImageDraw

from pipeline.core.training import simulate_ocr_noise
from pipeline.samples import DOC_TYPES, degrade, make_document, make_scan, render_page
from pipeline.samples.pages import PageLayout, TextLine
from pipeline.samples.render import mm_to_px
from pipeline.samples.streams import (
    blank_back,
    make_stream,
    page_files,
    patch_t_sheet,
    single_sided_passes,
    sohoa_sheet_image,
)
from pipeline.stages.separate import (
    InkMeasure,
    PageSignals,
    SeparateSettings,
    Separator,
    SeparatorSheet,
    SheetPayloadError,
    analysis_image,
    collate_duplex,
    find_patch_codes,
    group_page_files,
    inspect_page,
    measure_ink,
    page_file_groups,
    parse_sheet_payload,
    separate,
    separate_pages,
)

DPI = 200
SETTINGS = SeparateSettings()
OWNER = "079190123456"


def kept_pages(separation) -> list[tuple[int, ...]]:
    return [doc.pages for doc in separation.documents]


def truth_pages(stream) -> list[tuple[int, ...]]:
    return [stream.content_pages(i) for i in range(len(stream.documents))]


def grey(image: Image.Image) -> np.ndarray:
    return np.asarray(image.convert("L"))


def ink_of(image: Image.Image) -> InkMeasure:
    small, px_per_mm = analysis_image(grey(image), DPI, SETTINGS)
    return measure_ink(small, px_per_mm, SETTINGS)


CONTENT = PageSignals(ink=InkMeasure(0.03, 500, False))
BLANK = PageSignals(ink=InkMeasure(0.0, 0, True))


# ------------------------------------------------------------------------------------------------
# Blank pages


def test_blank_back_sides_of_a_duplex_stream_are_dropped():
    """GIVEN a duplex scan of papers printed on one side (blank backs with dust, hairs and the
    front showing through), some printed on both sides
    WHEN it is separated
    THEN every blank back is dropped, no content page is, and the documents are exact"""
    stream = make_stream(21, documents=4, duplex=True, dpi=DPI)
    separation = separate_pages([grey(p.image) for p in stream.pages], stream.texts, dpi=DPI)
    blanks = {n for n, page in enumerate(stream.pages, 1) if page.role == "blank"}
    assert blanks and set(separation.dropped_pages) == blanks
    assert kept_pages(separation) == truth_pages(stream)


def test_ink_not_file_size_decides_blank():
    """GIVEN a blank back scanned heavily (noise, dark lid shadows, punch holes, a yellowed sheet)
    saved as a large JPEG, and a page with only one short line of text
    WHEN their ink is measured
    THEN the first is blank and the second is not"""
    rng = np.random.default_rng(4)
    noisy_blank, _, _ = degrade(blank_back(None, DPI, rng), rng, severity="heavy")
    line = PageLayout((TextLine("Ghi chú: bản sao.", 30, 120, 150, 13),))
    one_line, _, _ = degrade(render_page(line, dpi=DPI), rng, severity="heavy")
    assert ink_of(noisy_blank).blank
    assert not ink_of(one_line).blank


def test_bleed_through_and_specks_are_not_ink():
    """GIVEN the blank back of a dense page with its text showing through faintly
    WHEN its ink is measured
    THEN it is blank"""
    rng = np.random.default_rng(7)
    front = render_page(make_document(7, "quyet_dinh").pages[0], dpi=DPI)
    for _ in range(5):
        back = blank_back(front, DPI, rng)
        assert ink_of(degrade(back, rng, severity="medium")[0]).blank


def test_dropping_blank_pages_can_be_turned_off():
    """GIVEN a page, its blank back, a second page of the same paper
    WHEN it is separated with drop_blank_pages off
    THEN the blank page stays in the document and the decision says so"""
    separation = separate([CONTENT, BLANK, CONTENT], None, SeparateSettings(drop_blank_pages=False))
    assert kept_pages(separation) == [(1, 2, 3)]
    assert [d.kind for d in separation.decisions if d.page == 2] == ["blank_kept"]


def test_a_page_with_text_read_is_never_dropped_as_blank():
    """GIVEN a page whose ink looks blank but whose OCR text has words
    WHEN it is separated
    THEN it is kept"""
    separation = separate([CONTENT, BLANK], ["", "Ghi chú: bản sao đúng với bản chính, lưu hồ sơ"])
    assert separation.dropped_pages == ()


# ------------------------------------------------------------------------------------------------
# Kodak patch codes


def draw_patch(pattern: str, *, at_bottom: bool = False, vertical: bool = False) -> Image.Image:
    """A patch drawn to Kodak's figures: wide bars 5.08 mm, narrow 2.03 mm, spaces 2.03 mm,
    ``pattern`` read from the leading edge (the top, or the right edge for an end-fed patch)."""
    page = Image.new("L", (mm_to_px(210, DPI), mm_to_px(297, DPI)), 255)
    draw = ImageDraw.Draw(page)
    position = 15.0
    for letter in pattern:
        width = 5.08 if letter == "W" else 2.03
        if vertical:
            x1 = 210 - position
            draw.rectangle([mm_to_px(x1 - width, DPI), mm_to_px(60, DPI), mm_to_px(x1, DPI) - 1, mm_to_px(180, DPI)], fill=0)
        else:
            y0 = 297 - position - width if at_bottom else position
            draw.rectangle([mm_to_px(40, DPI), mm_to_px(y0, DPI), mm_to_px(160, DPI), mm_to_px(y0 + width, DPI) - 1], fill=0)
        position += width + 2.03
    return page


def patches(image: Image.Image) -> list[str]:
    small, px_per_mm = analysis_image(grey(image), DPI, SETTINGS)
    return [p.name for p in find_patch_codes(small, px_per_mm)]


def test_patch_t_is_found_upright_upside_down_and_end_fed():
    """GIVEN a Kodak Patch T (narrow, wide, narrow, wide from the leading edge)
    WHEN the sheet is scanned upright, upside down, skewed, or the patch is end-fed
    THEN it reads as Patch T and separates"""
    patch = draw_patch("NWNW")
    assert patches(patch) == ["T"]
    assert patches(patch.rotate(180)) == ["T"]
    assert patches(patch.rotate(3, fillcolor=255)) == ["T"]
    assert patches(draw_patch("NWNW", vertical=True)) == ["T"]
    assert inspect_page(grey(patch), DPI).separator.kind == "patch_t"


def test_patch_t_inside_an_open_lid_shadow_is_found():
    """GIVEN a Patch T sheet scanned with the lid open: a dark band all round the page
    WHEN it is inspected
    THEN the patch is still found (the frame does not hide what lies within it)"""
    page = draw_patch("NWNW")
    ImageDraw.Draw(page).rectangle([0, 0, page.width - 1, page.height - 1], outline=40, width=mm_to_px(4, DPI))
    assert patches(page) == ["T"]


def test_other_patch_codes_do_not_separate():
    """GIVEN a Patch 3 (wide, narrow, wide, narrow: Patch T read from the wrong side)
    WHEN it is inspected
    THEN it is seen as Patch 3 and does not separate"""
    signals = inspect_page(grey(draw_patch("WNWN")), DPI)
    assert signals.patch_codes == ("3",)
    assert signals.separator is None


def test_generated_patch_t_sheets_through_scan_damage_separate():
    """GIVEN Patch T sheets degraded as office scans (some turned, skewed, noisy)
    WHEN each is inspected
    THEN every one separates"""
    for seed in range(6):
        rng = np.random.default_rng(seed)
        image, _, _ = degrade(patch_t_sheet(DPI, rng), rng, severity="heavy" if seed % 2 else "medium")
        assert inspect_page(grey(image), DPI).separator is not None, seed


def test_forms_and_cards_are_not_patch_codes():
    """GIVEN documents with ruled boxes, photo placeholders and rules (cards, forms, certificates)
    WHEN they are inspected
    THEN no patch code is seen"""
    for seed, doc_type in enumerate(("can_cuoc", "the_bao_hiem_y_te", "giay_khai_sinh", "to_khai", "quyet_dinh")):
        assert patches(make_scan(70 + seed, doc_type=doc_type, dpi=DPI).image) == []


# ------------------------------------------------------------------------------------------------
# sohoa's separator sheets

dossier_codes = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=1, max_size=40)
owners = st.from_regex(r"\A[0-9]{12}\Z") | st.from_regex(r"\A[0-9]{9}\Z")


@given(kind=st.sampled_from(["doc", "cover"]), dossier=st.none() | dossier_codes,
       doc_type=st.none() | st.sampled_from(DOC_TYPES), owner=st.none() | owners)
def test_sheet_payload_round_trips(kind, dossier, doc_type, owner):
    """A sheet's payload reads back as the same sheet, whatever the dossier code holds (';', '=',
    '%', Vietnamese letters)."""
    from pipeline.textnorm import nfc

    sheet = SeparatorSheet(kind, nfc(dossier) if dossier else None, doc_type, owner)
    assert parse_sheet_payload(sheet.payload()) == sheet


def test_sheet_payload_of_an_unknown_version_or_kind_is_refused():
    with pytest.raises(SheetPayloadError, match="version 2"):
        parse_sheet_payload("SOHOA-SEP:2;k=doc;t=giay_khai_sinh")
    with pytest.raises(SheetPayloadError, match="kind"):
        parse_sheet_payload("SOHOA-SEP:1;k=box")
    assert parse_sheet_payload("SOHOA-SEP:1;k=doc;t=to_khai;z=later").doc_type == "to_khai"  # unknown keys ignored


def sheet_page(payload: str) -> np.ndarray:
    rng = np.random.default_rng(len(payload))
    return grey(degrade(sohoa_sheet_image(payload, DPI), rng, severity="medium")[0])


def paper(seed: int, doc_type: str) -> np.ndarray:
    return grey(make_scan(seed, doc_type=doc_type, dpi=DPI, severity="light").image)


def test_cover_and_document_sheets_set_dossier_type_and_owner(caplog):
    """GIVEN a stream: a cover sheet (dossier D1, owner), a document sheet (birth certificate), a
    paper, a document sheet (declaration), a paper, a cover sheet (dossier D2), a paper
    WHEN it is separated
    THEN three documents: the first starts dossier D1 with its owner and type, the second
    inherits D1 and the owner with its own type, the third starts D2; the owner ID is in no
    decision, no log line and no repr"""
    pages = [
        sheet_page(f"SOHOA-SEP:1;k=cover;d=000.00.24.H29-240515-0001;o={OWNER}"),
        sheet_page("SOHOA-SEP:1;k=doc;t=giay_khai_sinh"),
        paper(81, "giay_khai_sinh"),
        sheet_page("SOHOA-SEP:1;k=doc;t=to_khai"),
        paper(82, "to_khai"),
        sheet_page("SOHOA-SEP:1;k=cover;d=000.00.12.H57-240601-0042"),
        paper(83, "can_cuoc"),
    ]
    with caplog.at_level(logging.DEBUG):
        separation = separate_pages(pages, dpi=DPI)
    assert kept_pages(separation) == [(3,), (5,), (7,)]
    assert separation.separator_pages == (1, 2, 4, 6)
    first, second, third = (doc.metadata for doc in separation.documents)
    assert (first.dossier_code, first.doc_type, first.owner_id, first.starts_dossier) == (
        "000.00.24.H29-240515-0001", "giay_khai_sinh", OWNER, True)
    assert (second.dossier_code, second.doc_type, second.owner_id, second.starts_dossier) == (
        "000.00.24.H29-240515-0001", "to_khai", OWNER, False)
    assert (third.dossier_code, third.doc_type, third.owner_id, third.starts_dossier) == (
        "000.00.12.H57-240601-0042", None, None, True)
    said = " ".join(d.reason for d in separation.decisions) + caplog.text + repr(separation)
    assert OWNER not in said
    assert "owner set" in said


def test_a_sheet_of_a_later_version_splits_and_sets_nothing():
    """GIVEN a sohoa sheet of a version this reader does not know between two papers
    WHEN the stream is separated
    THEN it still splits (the code is ours and readable) and sets no metadata, saying why"""
    from pipeline.samples.streams import _qr_image

    later = Image.new("L", (mm_to_px(210, DPI), mm_to_px(297, DPI)), 255)
    later.paste(_qr_image("SOHOA-SEP:2;k=doc;t=quyet_dinh;x=new", 10), (500, 400))
    pages = [paper(84, "quyet_dinh"), grey(later), paper(85, "quyet_dinh")]
    separation = separate_pages(pages, dpi=DPI)
    assert kept_pages(separation) == [(1,), (3,)]
    assert separation.documents[1].metadata is None
    assert "version 2" in next(d for d in separation.decisions if d.page == 2).reason


# ------------------------------------------------------------------------------------------------
# Content boundaries


def noisy(texts, seed: int, level: float = 1.0) -> list[str]:
    return [simulate_ocr_noise(text, seed * 100 + i, level) for i, text in enumerate(texts)]


def test_a_stream_without_sheets_is_split_by_content():
    """GIVEN a feeder stream of 16 papers of every type (1-4 pages: card backs, annexes, numbered
    and unnumbered continuation pages) read with OCR noise
    WHEN it is separated
    THEN every document's page set is exact"""
    stream = make_stream(23, documents=16, render=False)
    separation = separate([None] * len(stream.pages), noisy(stream.texts, 23))
    assert separation.content_boundaries_used
    assert kept_pages(separation) == truth_pages(stream)
    assert all(d.needs_review is None for d in separation.documents)


HEADED = "UBND HUYỆN PHONG ĐIỀN CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\nỦY BAN NHÂN DÂN Độc lập - Tự do - Hạnh phúc\n"


def boundaries(texts: list[str]) -> list[tuple[int, ...]]:
    return kept_pages(separate([None] * len(texts), texts))


def test_national_heading_and_title_start_a_paper():
    """GIVEN two papers, the second opening with the national heading and a catalog title
    WHEN separated
    THEN two documents, the boundary sure and explained"""
    texts = [HEADED + "GIẤY KHAI SINH\nHọ, chữ đệm, tên: Nguyễn Văn An",
             HEADED + "TỜ KHAI ĐĂNG KÝ KẾT HÔN\nKính gửi: Ủy ban nhân dân xã Mỹ Khánh"]
    separation = separate([None, None], texts)
    assert kept_pages(separation) == [(1,), (2,)]
    decision = next(d for d in separation.decisions if d.page == 2)
    assert decision.kind == "boundary" and decision.confidence > 0.99
    assert "national heading at the top" in decision.reason and "TỜ KHAI" in decision.reason


def test_continuing_page_numbers_and_running_text_continue_a_paper():
    """GIVEN a page 1, a page headed "2" that runs on mid-sentence, an unnumbered page 3
    WHEN separated
    THEN one document"""
    texts = [HEADED + "QUYẾT ĐỊNH\nVề việc cấp giấy phép xây dựng cho ông Nguyễn Văn An và các",
             "2\nhộ liền kề theo hồ sơ đề nghị.\nĐiều 2. Quyết định này có hiệu lực kể từ ngày ký.",
             "Nơi nhận: KT. CHỦ TỊCH\n- Như Điều 3; PHÓ CHỦ TỊCH\n- Lưu: VT."]
    assert boundaries(texts) == [(1, 2, 3)]


def test_trang_1_restarting_starts_a_paper():
    """GIVEN pages numbered "Trang 1/2", "Trang 2/2", "Trang 1/1" without headings
    WHEN separated
    THEN the restart at "Trang 1/1" starts a second document"""
    texts = ["Danh sách thành viên hộ gia đình\nTrang 1/2", "Nguyễn Văn Bình, con\nTrang 2/2",
             "Bản kê khai tài sản\nTrang 1/1"]
    assert boundaries(texts) == [(1, 2), (3,)]


def test_a_doubtful_boundary_keeps_one_document_for_review():
    """GIVEN a page with no heading and no page number that names a different person's ID
    WHEN separated
    THEN the pages stay one document marked "possible document boundary after page 1\""""
    texts = [HEADED + "GIẤY XÁC NHẬN CƯ TRÚ\nSố định danh cá nhân: 079190123456\nNơi thường trú: Cần Thơ.",
             "Họ và tên chủ hộ: Trần Văn Cường\nSố định danh cá nhân: 001085012345\nQuan hệ: chủ hộ."]
    separation = separate([None, None], texts)
    assert kept_pages(separation) == [(1, 2)]
    assert separation.documents[0].needs_review.startswith("possible document boundary after page 1")
    assert "079190123456" not in separation.documents[0].needs_review
    assert [d.kind for d in separation.decisions if d.page == 2] == ["possible_boundary"]


def test_the_back_of_a_card_and_an_annex_continue_their_paper():
    """GIVEN a card's front, its back (features, the police department, the MRZ), a decision and
    its annex ("PHỤ LỤC (Kèm theo Quyết định số …)")
    WHEN separated
    THEN two documents: card front and back, decision and annex"""
    texts = ["CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\nĐộc lập - Tự do - Hạnh phúc\nCĂN CƯỚC CÔNG DÂN\nSố: 079190123456",
             ("Đặc điểm nhân dạng: Nốt ruồi cách 2 cm trên đầu lông mày phải\nCỤC TRƯỞNG CỤC CẢNH SÁT\n"
              "IDVNM1901234561079190123456<<<\n9001017M3001017VNM<<<<<<<<<<<8\nNGUYEN<<VAN<AN<<<<<<<<<<<<<<<<"),
             HEADED + "Số: 650/QĐ-UBND\nQUYẾT ĐỊNH\nVề việc cấp giấy phép",
             "PHỤ LỤC\n(Kèm theo Quyết định số 650/QĐ-UBND ngày 24/01/2021)\n1. Hồ sơ đề nghị."]
    assert boundaries(texts) == [(1, 2), (3, 4)]


def test_sheets_turn_content_boundaries_off_unless_asked():
    """GIVEN a stream with a separator sheet, whose second paper has two papers' worth of headings
    WHEN separated by default, then with content_boundaries="always"
    THEN by default only the sheet splits; "always" also splits on the heading"""
    sheet = PageSignals(separator=Separator("barcode", "Code128"), ink=InkMeasure(0.01, 30, False))
    texts = [HEADED + "GIẤY KHAI SINH", "", HEADED + "TỜ KHAI", HEADED + "QUYẾT ĐỊNH"]
    signals = [CONTENT, sheet, CONTENT, CONTENT]
    assert kept_pages(separate(signals, texts)) == [(1,), (3, 4)]
    always = separate(signals, texts, SeparateSettings(content_boundaries="always"))
    assert kept_pages(always) == [(1,), (3,), (4,)]


# ------------------------------------------------------------------------------------------------
# A mixed feeder stream, end to end on images


def test_mixed_adf_stream_with_sheets_and_blank_backs_is_split_exactly():
    """GIVEN a duplex feeder stream of 5 papers with separator sheets of every kind (PATCHT Code
    128/39/QR, Patch T, sohoa sheets), blank backs, all degraded as office scans
    WHEN it is separated
    THEN the separator pages are exactly the sheets, each document's pages are exact and no
    content page is dropped"""
    stream = make_stream(24, documents=5, separators="mixed", duplex=True, dpi=DPI)
    separation = separate_pages([grey(p.image) for p in stream.pages], stream.texts, dpi=DPI)
    sheets = tuple(n for n, page in enumerate(stream.pages, 1) if page.role == "separator")
    assert separation.separator_pages == sheets
    assert kept_pages(separation) == truth_pages(stream)
    content = {n for n, page in enumerate(stream.pages, 1) if page.role == "content"}
    assert not content & set(separation.dropped_pages)


# ------------------------------------------------------------------------------------------------
# Every page is accounted for


page_kinds = st.lists(st.sampled_from(["content", "blank", "sheet", "heading"]), min_size=0, max_size=25)


@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow])
@given(kinds=page_kinds, drop=st.booleans(), mode=st.sampled_from(["auto", "always", "never"]))
def test_every_page_is_in_one_document_or_is_a_separator(kinds, drop, mode):
    """Whatever the stream: documents do not overlap, never contain a separator page, and every
    page is in a document, a separator, or a blank page between separators."""
    sheet = PageSignals(separator=Separator("barcode", "Code128"), ink=InkMeasure(0.01, 30, False))
    signals = [sheet if k == "sheet" else BLANK if k == "blank" else CONTENT for k in kinds]
    texts = [HEADED + "GIẤY KHAI SINH" if k == "heading" else "tiếp theo trang trước" if k == "content" else ""
             for k in kinds]
    separation = separate(signals, texts, SeparateSettings(drop_blank_pages=drop, content_boundaries=mode))
    covered: list[int] = []
    for doc in separation.documents:
        span = list(range(doc.first_page, doc.last_page + 1))
        assert not set(span) & set(separation.separator_pages)
        assert set(doc.dropped_pages) <= set(span)
        assert doc.pages
        covered += span
    covered += list(separation.separator_pages) + list(separation.unassigned_pages)
    assert sorted(covered) == list(range(1, len(kinds) + 1))
    starts = [doc.first_page for doc in separation.documents]
    assert starts == sorted(starts)


# ------------------------------------------------------------------------------------------------
# Pages scanned apart, duplex from a single-sided feeder


def test_page_files_are_grouped_in_page_order():
    """GIVEN files named as pages of papers, a scanner's sequence and files of their own
    WHEN grouped
    THEN each paper's pages are one group in page order, the sequence one group, the rest alone"""
    names = ["giay-khai-sinh-p2.png", "giay-khai-sinh-p1.png", "to-khai_page10.jpg", "to-khai_page9.jpg",
             "can cuoc.jpg", "can cuoc (2).jpg", "scan_0003.jpg", "scan_0001.jpg", "scan_0002.jpg",
             "000.00.24.H29-240515-0001.pdf", "000.00.24.H29-240515-0002.pdf", "quyet-dinh-01.pdf",
             "IMG_0001.pdf"]
    groups = page_file_groups(Path("in") / n for n in names)
    as_names = [([p.name for p in g.paths], g.kind) for g in groups]
    assert (["giay-khai-sinh-p1.png", "giay-khai-sinh-p2.png"], "paper") in as_names
    assert (["to-khai_page9.jpg", "to-khai_page10.jpg"], "paper") in as_names
    assert (["can cuoc.jpg", "can cuoc (2).jpg"], "paper") in as_names
    assert (["scan_0001.jpg", "scan_0002.jpg", "scan_0003.jpg"], "sequence") in as_names
    singles = sorted(n for names_, kind in as_names if kind == "single" for n in names_)
    assert singles == ["000.00.24.H29-240515-0001.pdf", "000.00.24.H29-240515-0002.pdf", "IMG_0001.pdf",
                       "quyet-dinh-01.pdf"]
    assert sum(len(g) for g in group_page_files(Path("in") / n for n in names)) == len(names)


def test_pages_in_other_folders_are_not_joined():
    groups = group_page_files([Path("a/x-p1.png"), Path("b/x-p2.png")])
    assert groups == [[Path("a/x-p1.png")], [Path("b/x-p2.png")]]


def test_a_scanner_sequence_is_separated_by_content_across_files(tmp_path):
    """GIVEN a scanner that wrote one JPEG per page (scan_0001.jpg…) for a stack of 4 papers
    WHEN the files are grouped, loaded in order and separated
    THEN the documents are the papers"""
    stream = make_stream(25, documents=4, dpi=DPI)
    files = page_files(stream, tmp_path, naming="sequence")
    random.Random(1).shuffle(files)
    (group,) = group_page_files(files)
    images = [grey(Image.open(path)) for path in group]
    separation = separate_pages(images, [stream.texts[int(p.stem[-4:]) - 1] for p in group], dpi=DPI)
    assert kept_pages(separation) == truth_pages(stream)


def test_a_papers_page_files_form_one_group_each(tmp_path):
    """GIVEN papers photographed page by page (<type>-NN-p1.png, -p2.png…)
    WHEN the files are grouped
    THEN each paper is one group holding its pages in order"""
    stream = make_stream(26, documents=5, dpi=150)
    groups = group_page_files(page_files(stream, tmp_path, naming="paper", fmt="png"))
    by_paper = {g[0].stem.rsplit("-p", 1)[0]: [p.stem.rsplit("-p", 1)[1] for p in g] for g in groups}
    expected = {f"{d.doc_type.replace('_', '-')}-{i + 1:02d}": [str(n) for n in range(1, len(pages) + 1)]
                for i, (d, pages) in enumerate(zip(stream.documents, truth_pages(stream)))}
    assert by_paper == expected


def test_single_sided_duplex_passes_are_collated():
    """GIVEN a duplex stack scanned on a single-sided feeder: fronts, then backs last sheet first
    WHEN collated
    THEN the pages are in the order a duplex scanner gives"""
    stream = make_stream(27, documents=4, duplex=True, render=False)
    fronts, backs = single_sided_passes(stream)
    assert collate_duplex(fronts, backs) == list(stream.pages)
    assert collate_duplex([1, 2, 3], [6, 5, 4]) == [1, 4, 2, 5, 3, 6]
    with pytest.raises(ValueError, match="same sheets"):
        collate_duplex([1, 2], [3])
