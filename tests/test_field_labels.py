"""The label lexicon (schemas/field_labels.yaml) and the layout reader: each family of labels found
on OCR words laid out as papers we did not write print them."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from ocr_words import laid_out_page, stacked
from pipeline.stages.extract import extract_fields, pages_from_texts
from pipeline.stages.extract.layout import read_layout
from pipeline.stages.extract.lexicon import compile_lexicon, label_pattern
from schemas.catalog import CatalogError
from schemas.field_labels import FIELD_LABELS_PATH, LabelLexicon, default_field_labels, load_field_labels

HEADER = ["CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc"]


def test_the_lexicon_validates_and_every_label_compiles():
    """GIVEN the lexicon shipped in schemas/
    WHEN it is loaded and compiled
    THEN every field has labels, every label is a pattern, scoped labels name known types, and
    its JSON Schema is exported"""
    lexicon = load_field_labels()
    assert {"full_name", "date_of_birth", "owner_id", "doc_number", "issue_date", "valid_until"} <= set(lexicon.fields)
    compiled = compile_lexicon(lexicon)
    assert len(compiled) >= 100
    assert LabelLexicon.model_json_schema()["title"] == "LabelLexicon"
    assert (FIELD_LABELS_PATH.parent / "json" / "label_lexicon.schema.json").is_file()


@pytest.mark.parametrize("printed, label", [
    ("HỌ VÀ TÊN / FULL NAME:", "Họ và tên / Full name"),
    ("Ho va ten:", "Họ và tên / Full name"),
    ("Full name:", "Họ và tên / Full name"),
    ("Họ chữ đệm tên", "Họ, chữ đệm, tên"),
    ("HỌ,CHỮ ĐỆM,TÊN:", "Họ, chữ đệm, tên"),
    ("Ngày, tháng, năm sinh / Date of birth", "Ngày, tháng, năm sinh / Date of birth"),
    ("Có giá trị đến/Date of expiry:", "Có giá trị đến / Date of expiry"),
])
def test_labels_match_with_or_without_diacritics_punctuation_and_english(printed, label):
    """GIVEN a label as the lexicon writes it
    WHEN the same label is printed in caps, without diacritics, without its commas or in only one
    of its two languages
    THEN it still matches (accent-folded, case-blind)"""
    from pipeline.stages.extract.lexicon import folded_lower

    assert label_pattern(label).search(folded_lower(printed))


def test_a_new_variant_is_one_line_in_the_yaml(tmp_path: Path):
    """GIVEN a copy of the lexicon with one more full-name label line ("Tên công dân")
    WHEN it is loaded
    THEN the variant is a label of full_name; a label scoped to an unknown type and a duplicate
    label are refused, naming the field"""
    data = yaml.safe_load(FIELD_LABELS_PATH.read_text(encoding="utf-8"))
    data["fields"]["full_name"]["labels"].append("Tên công dân")
    path = tmp_path / "labels.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    lexicon = load_field_labels(path)
    assert "Tên công dân" in [entry.label for entry in lexicon.fields["full_name"].labels]

    data["fields"]["full_name"]["labels"].append({"label": "Tên chủ nhà", "types": ["giay_bay"]})
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(CatalogError, match="unknown document type.*giay_bay"):
        load_field_labels(path)
    data["fields"]["full_name"]["labels"][-1] = "Ten cong dan"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(CatalogError, match="full_name.*listed twice"):
        load_field_labels(path)


# ------------------------------------------------------------------------------------------
# Label families on laid-out words: (doc_type, lines, field, expected)

CCCD_FRONT = [
    *HEADER[:1], "SOCIALIST REPUBLIC OF VIET NAM", "CĂN CƯỚC CÔNG DÂN", "Citizen Identity Card",
    "Số / No.: 079187012345",
    "Họ và tên / Full name:",
    "NGUYỄN THỊ LẤP LÁNH",
    "Ngày sinh / Date of birth: 12/03/1987",
    "Giới tính / Sex: Nữ   Quốc tịch / Nationality: Việt Nam",
    "Quê quán / Place of origin: Phước Bình, Đồng Xoài, Bình Phước",
    "Có giá trị đến / Date of expiry: 12/03/2027",
]
FAMILIES = [
    ("can_cuoc", CCCD_FRONT, {"owner_id": "079187012345", "full_name": "Nguyễn Thị Lấp Lánh",
                              "date_of_birth": "1987-03-12", "sex": "Nữ", "valid_until": "2027-03-12"}),
    ("can_cuoc", ["CĂN CƯỚC", "IDENTITY CARD", "Số định danh cá nhân / Personal identification number:",
                  "001205012345", "Họ, chữ đệm và tên khai sinh / Full name:", "TRẦN MINH KHÔI",
                  "Ngày, tháng, năm sinh / Date of birth: 01/02/2005"],
     {"owner_id": "001205012345", "full_name": "Trần Minh Khôi", "date_of_birth": "2005-02-01"}),
    ("can_cuoc", ["CHUNG MINH NHAN DAN", "So CMND: 271234567", "Ho va ten: LE VAN TAM", "Sinh ngay: 05-06-1970"],
     {"old_id_number": "271234567", "full_name": "Lê Van Tam", "date_of_birth": "1970-06-05"}),
    ("can_cuoc", ["GIẤY CHỨNG MINH NHÂN DÂN", "Số: 024123456", "Họ tên: TRỊNH VĂN NAM", "Sinh ngày: 02-11-1965",
                  "Nguyên quán: Hải Hậu, Nam Định"],
     {"old_id_number": "024123456", "full_name": "Trịnh Văn Nam", "date_of_birth": "1965-11-02"}),
    ("giay_chung_nhan_quyen_su_dung_dat",
     [*HEADER, "GIẤY CHỨNG NHẬN QUYỀN SỬ DỤNG ĐẤT", "1. Người sử dụng đất:",
      "Ông (Bà): PHẠM VĂN HÙNG, sinh năm 1968, CCCD số: 036068001234", "Số vào sổ cấp GCN: CS 01234",
      "Ngày vào sổ: 05/03/2015"],
     {"full_name": "Phạm Văn Hùng", "owner_id": "036068001234", "register_number": "CS 01234",
      "issue_date": "2015-03-05"}),
    ("giay_chung_nhan_dang_ky_ho_kinh_doanh",
     [*HEADER, "GIẤY CHỨNG NHẬN ĐĂNG KÝ HỘ KINH DOANH", "Mã số hộ kinh doanh: 01A8001234",
      "Đăng ký lần đầu, ngày 05 tháng 3 năm 2020", "1. Tên hộ kinh doanh: TẠP HÓA BÌNH AN",
      "2. Chủ hộ kinh doanh: Bà Võ Thị Bích Ngọc", "Số định danh cá nhân: 079185004321"],
     {"doc_number": "01A8001234", "issue_date": "2020-03-05", "full_name": "Võ Thị Bích Ngọc",
      "owner_id": "079185004321"}),
    ("giay_phep_xay_dung",
     [*HEADER, "GIẤY PHÉP XÂY DỰNG", "1. Cấp cho chủ đầu tư: Ông Lê Văn Tám",
      "Địa chỉ: 12 Nguyễn Huệ, phường Bến Nghé", "Thủ Đức, ngày 05 tháng 02 năm 2024", "Số giấy phép: 45/GPXD"],
     {"full_name": "Lê Văn Tám", "doc_number": "45/GPXD", "issue_date": "2024-02-05"}),
    ("giay_phep_xay_dung", [*HEADER, "GIẤY PHÉP XÂY DỰNG", "123/GPXD-UBND", "Chủ đầu tư: anh Đỗ Quang Huy"],
     {"doc_number": "123/GPXD-UBND", "full_name": "Đỗ Quang Huy"}),
    ("quyet_dinh",
     ["ỦY BAN NHÂN DÂN", "QUẬN BA ĐÌNH", "Số: 15/2019/QĐ-UBND", *HEADER, "Hà Nội, ngày 05 tháng 3 năm 2024",
      "QUYẾT ĐỊNH", "Về việc cấp giấy phép cho chị Hoàng Thu Trang"],
     {"doc_number": "15/2019/QĐ-UBND", "issue_date": "2024-03-05", "full_name": "Hoàng Thu Trang"}),
    ("giay_khai_sinh",
     ["GIẤY KHAI SINH", "Số: 45", "Họ, chữ đệm, tên: ĐINH NGỌC ANH", "Giới tính: Nam",
      "Họ và tên cha: Đinh Văn Bảo", "Ngày, tháng, năm đăng ký: 12/12/2012"],
     {"full_name": "Đinh Ngọc Anh", "doc_number": "45", "sex": "Nam", "issue_date": "2012-12-12"}),
    ("trich_luc_khai_tu",
     ["TRÍCH LỤC KHAI TỬ", "Số: 88", "Họ và tên người chết: HOÀNG VĂN SỬU", "Giới tính: Nam",
      "Ngày, tháng, năm đăng ký: 02/03/2023"],
     {"full_name": "Hoàng Văn Sửu", "doc_number": "88", "issue_date": "2023-03-02"}),
    ("can_cuoc",  # the back of the chip CCCD: its issue date under the identifying marks
     ["Đặc điểm nhân dạng / Personal identification", "Nốt ruồi cách 2cm trên mép phải",
      "Ngày, tháng, năm / Date, month, year: 14/08/2021", "CỤC TRƯỞNG CỤC CẢNH SÁT"],
     {"issue_date": "2021-08-14"}),
    ("can_cuoc",  # a year's 0 read as D
     ["Đặc điểm nhân dạng / Personal identification", "Ngày, tháng, năm / Date, month, year: 30/06/2D24"],
     {"issue_date": "2024-06-30"}),
    ("to_khai",  # a dotted leader and the form's filler digits run on from the name
     ["TỜ KHAI", "Họ, chữ đệm, tên người yêu cầu: LÊ KHÁNH GIANG......................---:2- 2222222"],
     {"full_name": "Lê Khánh Giang"}),
    ("giay_chung_nhan_dang_ky_ho_kinh_doanh",  # the next label glued on, its capital with it
     ["GIẤY CHỨNG NHẬN ĐĂNG KÝ HỘ KINH DOANH", "Họ, chữ đệm và tên: ĐÀO MINH KHÁNHGiới tính: Nam"],
     {"full_name": "Đào Minh Khánh"}),
]


@pytest.mark.parametrize("doc_type, lines, expected", FAMILIES,
                         ids=[f"{t}-{n}" for n, (t, _l, _e) in enumerate(FAMILIES)])
def test_each_label_family_gives_its_fields(doc_type, lines, expected):
    """GIVEN a paper's lines as another office prints them (bilingual card labels, a value under
    its label, the land register number at the foot, an owner named with an honorific, a
    first-registration date, a number alone under the title, the place-and-date line)
    WHEN the layout reader reads the words
    THEN each field has the printed value, with a confidence and the boxes of its words"""
    found = read_layout([stacked(lines)], doc_type)
    for name, value in expected.items():
        assert name in found, (name, {k: [f.value for f in v] for k, v in found.items()})
        best = found[name][0]
        assert best.value == value, (name, [f.value for f in found[name]])
        assert 0.5 <= best.confidence <= 1.0 and best.boxes and best.page == 1


def test_a_label_with_more_words_before_its_colon_is_another_label():
    """GIVEN a birth certificate printing the father's name as "Họ, chữ đệm, tên người cha: ..."
    WHEN the layout reader reads it
    THEN the father is not taken for the child"""
    found = read_layout([stacked(["Họ, chữ đệm, tên người cha: ĐINH VĂN BẢO", "Họ, chữ đệm, tên: ĐINH NGỌC ANH"])],
                        "giay_khai_sinh")
    assert [f.value for f in found["full_name"]] == ["Đinh Ngọc Anh"]


def test_value_below_its_label_is_the_aligned_one_in_two_columns():
    """GIVEN a card whose label ends its line in the left column, with the right column's text
    on the next line too
    WHEN read
    THEN the value is the line that starts under the label, not the other column's"""
    page = laid_out_page([
        (40, 100, "Họ và tên / Full name:"), (330, 100, "Quê quán / Place of origin:"),
        (330, 116, "Xã An Bình, Huyện Phú Giáo"), (40, 117, "NGUYỄN VĂN AN"),
    ])
    found = read_layout([page], "can_cuoc")
    assert found["full_name"][0].value == "Nguyễn Văn An"
    assert found["full_name"][0].how == "label below"
    assert found["full_name"][0].bbox[1] == 117


def test_the_place_and_date_line_under_the_motto_is_the_issue_date():
    """GIVEN a Decree 30 header: body and number on the left, motto and place-and-date on the
    right, a later date in the body
    WHEN the fields of the decision are extracted
    THEN the issue date is the one under the motto, the number the one after "Số:" """
    page = laid_out_page([
        (40, 40, "ỦY BAN NHÂN DÂN"), (300, 40, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"),
        (40, 56, "PHƯỜNG BẾN NGHÉ"), (300, 56, "Độc lập - Tự do - Hạnh phúc"),
        (40, 80, "Số: 123/QĐ-UBND"), (320, 80, "Quận 1, ngày 05 tháng 3 năm 2024"),
        (200, 120, "QUYẾT ĐỊNH"), (40, 140, "Điều 1. Có hiệu lực từ ngày 10 tháng 3 năm 2024."),
    ])
    extraction = extract_fields("quyet_dinh", [page])
    assert extraction.value("issue_date") == "2024-03-05"
    assert extraction.value("doc_number") == "123/QĐ-UBND"
    assert extraction.fields["issue_date"].bbox[0] >= 320


def test_an_owner_named_in_a_sentence_with_only_a_birth_year():
    """GIVEN a land certificate naming its owner inside a sentence with only a birth year, and
    the same with an ID whose year digits say 1975
    WHEN extracted
    THEN the name is the owner's, honorific stripped; the disagreeing ID is a problem"""
    lines = [*HEADER, "GIẤY CHỨNG NHẬN QUYỀN SỬ DỤNG ĐẤT",
             "Cấp cho hộ gia đình ông Nguyễn Văn Bình, sinh năm 1965, CCCD số 001065001234;",
             "Thửa đất số: 12, tờ bản đồ số: 3", "Hà Nội, ngày 05 tháng 02 năm 2010"]
    extraction = extract_fields("giay_chung_nhan_quyen_su_dung_dat", [stacked(lines)])
    assert extraction.value("full_name") == "Nguyễn Văn Bình"
    assert extraction.value("owner_id") == "001065001234"
    assert extraction.value("issue_date") == "2010-02-05"
    assert extraction.problems == ()
    lines[3] = lines[3].replace("001065001234", "001075001234")
    wrong = extract_fields("giay_chung_nhan_quyen_su_dung_dat", [stacked(lines)])
    assert any("birth year" in p and "1965" in p for p in wrong.problems)


def test_fields_come_from_any_page_with_that_page_and_box():
    """GIVEN a two-page permit: the number and the owner on page 1, the signing place-and-date
    on page 2
    WHEN extracted
    THEN every required field is found, the issue date says page 2 with its box there"""
    first = stacked(["ỦY BAN NHÂN DÂN THÀNH PHỐ THỦ ĐỨC", *HEADER, "GIẤY PHÉP XÂY DỰNG", "Số: 45/GPXD", "Cấp cho: Ông TRẦN VĂN LONG"], page=1)
    second = stacked(["2. Chủ đầu tư phải thực hiện các nội dung sau:", "Thủ Đức, ngày 15 tháng 8 năm 2023",
                      "KT. CHỦ TỊCH", "PHÓ CHỦ TỊCH"], page=2)
    extraction = extract_fields("giay_phep_xay_dung", [first, second])
    assert extraction.value("full_name") == "Trần Văn Long"
    assert extraction.value("doc_number") == "45/GPXD"
    issue = extraction.fields["issue_date"]
    assert (issue.value, issue.page) == ("2023-08-15", 2)
    assert issue.bbox is not None and issue.boxes
    assert not [p for p in extraction.problems if "required" in p]


def test_the_bilingual_card_needs_no_review():
    """GIVEN a chip CCCD front as printed (bilingual labels, name under its label)
    WHEN extracted as a can_cuoc
    THEN owner, name, birth date and expiry are found and nothing sends it to review"""
    extraction = extract_fields("can_cuoc", [stacked(CCCD_FRONT)])
    assert extraction.value("full_name") == "Nguyễn Thị Lấp Lánh"
    assert extraction.value("valid_until") == "2027-03-12"
    assert extraction.problems == ()


def test_the_shipped_lexicon_is_the_default():
    """GIVEN no lexicon path
    WHEN the default is asked for
    THEN it is the shipped file's content"""
    assert default_field_labels() == load_field_labels(FIELD_LABELS_PATH)


def test_a_land_certificate_numbered_and_dated_at_its_foot():
    """GIVEN a land certificate whose only number is the register entry at the foot, on the same
    OCR line as the place-and-date of the other column
    WHEN extracted
    THEN the register number is its number (noted) and the date after the place its issue date"""
    lines = [*HEADER, "GIẤY CHỨNG NHẬN QUYỀN SỬ DỤNG ĐẤT", "Người sử dụng đất: Bà LÊ THỊ HOA",
             "CCCD số: 036168001234", "Số vào sổ cấp GCN: CS 01234 Lê Lợi, ngày 05 tháng 01 năm 2015"]
    extraction = extract_fields("giay_chung_nhan_quyen_su_dung_dat", [stacked(lines)])
    assert extraction.value("register_number") == "CS 01234"
    assert extraction.value("doc_number") == "CS 01234"
    assert "doc_number: the register number" in extraction.notes
    assert extraction.value("issue_date") == "2015-01-05"
    assert extraction.value("full_name") == "Lê Thị Hoa"
    assert extraction.problems == ()


def test_ocr_glued_national_heading_is_neither_issuer_nor_person():
    """GIVEN header lines where OCR glued the national heading to the issuer's last word with its
    first letters lost, and read "CỘNG" as "SŒỘNG"
    WHEN extracted
    THEN the issuer ends with its own name and "ÔNG HÒA XÃ" is no person after an honorific"""
    extraction = extract_fields("xac_nhan_tinh_trang_hon_nhan", [stacked([
        "ỦY BAN NHÂN DÂN QUẬN BA ĐÌNH", "ỦY BAN NHÂN DÂN PHƯỜNG XUÂN KHÁNHỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Số: 12/XNTTHN"])])
    assert extraction.value("issuer") == "ỦY BAN NHÂN DÂN PHƯỜNG XUÂN KHÁNH"
    found = read_layout([stacked(["UBND TỪ SŒỘNG HÒA XÃ HỀ Ê"])], "giay_chung_nhan_dang_ky_ho_kinh_doanh")
    assert "full_name" not in found


ISSUERS = [
    ("quyet_dinh",  # the motto glued to the issuer's line
     ["UBND THÀNH PHỐ VINH CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "ỦY BAN NHÂN DÂN PHƯỜNG HƯNG DŨNGĐộc lập - Tự do - Hạnh phúc",
      "Số: 1145/QĐ-UBND Vinh, ngày 16 tháng 10 năm 2023", "QUYẾT ĐỊNH"],
     {"issuer": "ỦY BAN NHÂN DÂN PHƯỜNG HƯNG DŨNG"}),
    ("quyet_dinh",  # the header's place garbled; the deciding authority's line names it
     ["ỦY BAN NHÂN DÂN THỊ XÃ SA ĐÊNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Số: 7505/QĐ-UBND", "QUYẾT ĐỊNH",
      "Về việc hỗ trợ kinh phí", "CHỦ TỊCH ỦY BAN NHÂN DÂN THỊ XÃ SA PA"],
     {"issuer": "ỦY BAN NHÂN DÂN THỊ XÃ SA PA"}),
    ("xac_nhan_tinh_trang_hon_nhan",
     ["ỦY BAN NHÂN DÂN PHƯỜNG TÂN PN", *HEADER, "GIẤY XÁC NHẬN TÌNH TRẠNG HÔN NHÂN",
      "ỦY BAN NHÂN DÂN PHƯỜNG TÂN PHONG XÁC NHẬN:", "Họ, chữ đệm, tên: VĂN KIM QUYÊN"],
     {"issuer": "ỦY BAN NHÂN DÂN PHƯỜNG TÂN PHONG"}),
    ("the_bao_hiem_y_te",  # a province is spelled from the list of provinces
     ["BẢO HIỂM XÃ HỘI VIỆT NAM", "BẢO HIỂM XÃ HỘI THÀNH PHỐ HỒ CHÍMINH", "THÔNG TIN THẺ BẢO HIỂM Y TẾ"],
     {"issuer": "BẢO HIỂM XÃ HỘI THÀNH PHỐ HỒ CHÍ MINH"}),
    ("the_bao_hiem_y_te",  # speckle read on the heading's line between the national and the local body
     ["BẢO HIỂM XÃ HỘI VIỆT NAM", ") CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "BẢO HIỂM XÃ HỘI THÀNH PHỐ HÀ NỘI",
      "Độc lập - Tự do - Hạnh phúc", "THÔNG TIN THẺ BẢO HIỂM Y TẾ"],
     {"issuer": "BẢO HIỂM XÃ HỘI THÀNH PHỐ HÀ NỘI"}),
    ("the_bao_hiem_y_te", ["BẢO HIỂM XÃ HỘI TỈNH ĐÁK LẮK", "THÔNG TIN THẺ BẢO HIỂM Y TẾ"],
     {"issuer": "BẢO HIỂM XÃ HỘI TỈNH ĐẮK LẮK"}),
    ("giay_chung_nhan_quyen_su_dung_dat",  # no header: the body that grants it signs at the foot
     [*HEADER, "GIẤY CHỨNG NHẬN QUYỀN SỬ DỤNG ĐẤT", "Ông: TẠ VĂN LỘC, sinh năm 1970",
      "Hòa Vang, ngày 11 tháng 8 năm 2017", "SỞ TÀI NGUYÊN VÀ MỐI TRƯỜNG THÀNH PHỐ ĐÀ NẴNG", "KT. GIÁM ĐỐC",
      "PHÓ GIÁM ĐỐC", "Trần Văn Bình"],
     {"issuer": "SỞ TÀI NGUYÊN VÀ MÔI TRƯỜNG THÀNH PHỐ ĐÀ NẴNG", "issue_date": "2017-08-11"}),
    ("giay_chung_nhan_quyen_su_dung_dat",
     [*HEADER, "GIẤY CHỨNG NHẬN QUYỀN SỬ DỤNG ĐẤT", "Bà: VŨ THỊ MẬN, sinh năm 1981",
      "Long Xuyên, ngày 09 tháng 4 năm 2008", "TM. ỦY BAN NHÂN DÂN THÀNH PHỐ LONG XUYÊN", "KT. CHỦ TỊCH",
      "PHÓ CHỦ TỊCH", "Âu Thành Tuấn"],
     {"issuer": "ỦY BAN NHÂN DÂN THÀNH PHỐ LONG XUYÊN"}),
    ("trich_luc_khai_tu",  # the capitals lost a mark; the place named again in running text has it
     ["ỦY BAN NHÂN DÂN XÃ KIÊN QUỐC", *HEADER, "TRÍCH LỤC KHAI TỬ", "Số: 12",
      "Nơi cư trú cuối cùng: thôn 3, xã Kiến Quốc, huyện Kiến Thụy",
      "Nơi đăng ký khai tử: Ủy ban nhân dân xã Kiến Quốc", "TM. ỦY BAN NHÂN DÂN", "CHỦ TỊCH"],
     {"issuer": "ỦY BAN NHÂN DÂN XÃ KIẾN QUỐC"}),
    ("quyet_dinh",  # two words run together and the last letters lost, both named in an address
     ["ỦY BAN NHÂN DÂN HUYỆN CAMLÂM", *HEADER, "QUYẾT ĐỊNH", "Số: 5/QĐ-UBND",
      "thường trú tại xã Cam Hải Đông, huyện Cam Lâm, tỉnh Khánh Hòa"],
     {"issuer": "ỦY BAN NHÂN DÂN HUYỆN CAM LÂM"}),
    ("quyet_dinh",
     ["SỞ TƯ PHÁP THÀNH PHỐ HỒ CHÍ MI", *HEADER, "QUYẾT ĐỊNH", "Số: 7/QĐ-STP",
      "Địa chỉ: 143 Pasteur, Quận 3, Thành phố Hồ Chí Minh"],
     {"issuer": "SỞ TƯ PHÁP THÀNH PHỐ HỒ CHÍ MINH"}),
]


@pytest.mark.parametrize("doc_type, lines, expected", ISSUERS, ids=[f"{t}-{n}" for n, (t, _l, _e) in enumerate(ISSUERS)])
def test_the_issuing_body_is_read_where_the_paper_names_it_and_spelled_as_it_is(doc_type, lines, expected):
    """GIVEN a paper whose issuer is only in its signature block ("SỞ ..." above "KT. GIÁM ĐỐC",
    "TM. ỦY BAN NHÂN DÂN ..."), or whose header capitals OCR misread (a lost mark, two words run
    together, the last letters gone) while the place is named again in running text
    WHEN its fields are extracted
    THEN the issuer is the body's name as spelled: kind and level from their vocabulary, the place
    from the better reading"""
    extraction = extract_fields(doc_type, pages_from_texts(["\n".join(lines)]))
    for name, value in expected.items():
        assert extraction.fields[name].value == value, (name, extraction.fields.get(name))


def test_a_bare_on_behalf_line_names_no_issuer():
    """GIVEN a death extract whose header is lost and whose foot says only "TM. ỦY BAN NHÂN DÂN"
    WHEN its fields are extracted
    THEN no issuer is made up from the bare body kind"""
    lines = ["TRÍCH LỤC KHAI TỬ", "Số: 12", "Họ và tên người chết: LÝ VĂN AN",
             "Nghi Lộc, ngày 08 tháng 7 năm 2016", "TM. ỦY BAN NHÂN DÂN", "CHỦ TỊCH", "Vũ Xuân Luân"]
    extraction = extract_fields("trich_luc_khai_tu", pages_from_texts(["\n".join(lines)]))
    assert "issuer" not in extraction.fields
    assert extraction.fields["full_name"].value == "Lý Văn An"


def test_a_table_read_column_by_column_still_pairs_each_label_with_its_cell():
    """GIVEN a health-insurance card printout whose ruled table Tesseract read as two blocks (every
    label of the left column, then every value of the right), each value on its label's row
    WHEN the layout reader reads the words
    THEN each label takes the cell beside it, not the next label below"""
    labels = ["Họ và tên", "Ngày sinh", "Giới tính", "Mã số BHYT", "Giá trị sử dụng"]
    values = ["ĐINH THỊ HOA", "09/11/1990", "Nữ", "DN4797912345678", "Từ 01/01/2025 đến 31/12/2025"]
    rows = [(50.0, 200.0 + 24 * n, label) for n, label in enumerate(labels)]
    rows += [(260.0, 201.0 + 24 * n, value) for n, value in enumerate(values)]
    page = laid_out_page(rows)
    found = read_layout([page], "the_bao_hiem_y_te")
    assert found["full_name"][0].value == "Đinh Thị Hoa" and found["full_name"][0].how == "label beside"
    assert found["date_of_birth"][0].value == "1990-11-09"
    extraction = extract_fields("the_bao_hiem_y_te", [page])
    assert extraction.fields["insurance_code"].value == "DN4797912345678"
    assert extraction.fields["full_name"].value == "Đinh Thị Hoa"
    assert extraction.fields["valid_until"].value == "2025-12-31"  # the end of the period


def test_a_column_rule_read_as_a_bar_does_not_hide_the_first_spouse():
    """GIVEN a marriage extract printed as a table, its ID row read with the column rule as "|"
    WHEN its fields are extracted
    THEN the husband's ID (the first column) is the owner's and the wife's the spouse's"""
    lines = ["TRÍCH LỤC KẾT HÔN", "Số: 110", "Họ, chữ đệm, tên | NGHIÊM VĂN THỊNH NGÔ THỊ LOAN",
             "Ngày, tháng, năm sinh | 29/06/1981 04/05/1984",
             "Số định danh cá nhân | 066081601503 048184668871"]
    extraction = extract_fields("giay_chung_nhan_ket_hon", pages_from_texts(["\n".join(lines)]))
    assert extraction.fields["owner_id"].value == "066081601503"
    assert extraction.fields["spouse_id"].value == "048184668871"


def test_a_name_the_sentence_broke_at_the_line_end_is_read_whole():
    """GIVEN a decision naming its beneficiary in a sentence whose line ends inside the name
    WHEN its fields are extracted
    THEN the name takes the next line's first word, up to the comma"""
    lines = ["QUYẾT ĐỊNH:", "Điều 1. Công nhận danh hiệu Gia đình văn hóa cho hộ bà Huỳnh Hồng Mỹ",
             "Duyên, sinh ngày 06/05/1960, số định danh cá nhân 048160612345"]
    extraction = extract_fields("quyet_dinh", pages_from_texts(["\n".join(lines)]))
    assert extraction.fields["full_name"].value == "Huỳnh Hồng Mỹ Duyên"
