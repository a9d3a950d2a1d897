"""Identity and health-insurance cards as printed: the chip CCCD (2021) with bilingual labels and
the ICAO TD1 zone on its back, the 2024 "Căn cước", the older 9-digit CMND and the BHYT card.

`card_sides` draws both sides of one card (85.6 x 54 mm) and returns the printed fields;
`evalgen.scans` then places them on a scanner bed, on an A4 photocopy or in a phone photo.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta

from evalgen import people as P
from evalgen.canvas import MONO_FAMILIES, Sheet, Style
from evalgen.mrz import td1_lines
from evalgen.people import dmy, iso

CARD = (85.6, 54.0)


@dataclass
class Card:
    doc_type: str
    variant: str
    front: Sheet
    back: Sheet
    fields: dict[str, str]
    mrz: list[str] | None


def _blank(dpi: int, tint: tuple[int, int, int], rng: random.Random) -> Sheet:
    sheet = Sheet(*CARD, dpi=dpi, paper=tint)
    # a faint guilloche-like background: thin wavy lines in a lighter shade of the tint
    dark = tuple(max(0, c - 9) for c in tint)
    for i in range(0, 54, 3):
        sheet.rule(0, i + rng.uniform(-0.5, 0.5), CARD[0], i + rng.uniform(-1.5, 1.5), 0.15, dark)
    sheet.box(0.3, 0.3, CARD[0] - 0.3, CARD[1] - 0.3, 0.3, dark, radius_mm=3.0)
    return sheet


def _emblem(sheet: Sheet, x: float, y: float, r: float) -> None:
    sheet.draw.ellipse([sheet.px(x - r), sheet.px(y - r), sheet.px(x + r), sheet.px(y + r)], fill=(205, 45, 40))
    s = r * 0.45
    sheet.draw.polygon([(sheet.px(x), sheet.px(y - s)), (sheet.px(x + s * 0.3), sheet.px(y - s * 0.1)),
                        (sheet.px(x + s), sheet.px(y - s * 0.1)), (sheet.px(x + s * 0.4), sheet.px(y + s * 0.3)),
                        (sheet.px(x + s * 0.6), sheet.px(y + s)), (sheet.px(x), sheet.px(y + s * 0.55)),
                        (sheet.px(x - s * 0.6), sheet.px(y + s)), (sheet.px(x - s * 0.4), sheet.px(y + s * 0.3)),
                        (sheet.px(x - s), sheet.px(y - s * 0.1)), (sheet.px(x - s * 0.3), sheet.px(y - s * 0.1))],
                       fill=(250, 215, 60))


def _photo(sheet: Sheet, x: float, y: float, w: float, h: float) -> None:
    sheet.box(x, y, x + w, y + h, 0.2, (120, 120, 130), fill=(200, 205, 215))
    sheet.draw.ellipse([sheet.px(x + w * 0.25), sheet.px(y + h * 0.15), sheet.px(x + w * 0.75),
                        sheet.px(y + h * 0.6)], fill=(150, 140, 135))
    sheet.draw.chord([sheet.px(x + w * 0.05), sheet.px(y + h * 0.62), sheet.px(x + w * 0.95),
                      sheet.px(y + h * 1.38)], 180, 360, fill=(70, 75, 95))
    sheet.box(x, y, x + w, y + h, 0.2, (120, 120, 130))


def _mrz(sheet: Sheet, lines: list[str], rng: random.Random) -> None:
    family = rng.choice(MONO_FAMILIES)
    st = Style(family=family, size=8.6 if family == "liberation_mono" else 7.9, ink=(15, 15, 15))
    y = CARD[1] - 15.0
    for line in lines:
        sheet.text(3.5, y, line, st)
        y += 4.3


def _issue_date(rng: random.Random, birth: date) -> date:
    start = max(birth + timedelta(days=14 * 366), date(2021, 1, 10))
    return P.random_date(rng, start, max(start + timedelta(days=30), date(2025, 9, 30)))


def chip_cccd(rng: random.Random, dpi: int) -> Card:
    person = P.random_person(rng, born_from=date(1950, 1, 1), born_to=date(2009, 1, 1))
    issued = min(_issue_date(rng, person.birth), date(2024, 6, 30))
    expiry = P.card_expiry(person.birth, issued)
    sans = rng.choice(["liberation_sans", "dejavu_sans", "dejavu_condensed"])
    small = Style(family=sans, size=5.6 if sans != "dejavu_sans" else 5.0)
    bold = Style(family=sans, size=small.size + 1.4, bold=True)
    front = _blank(dpi, (228, 236, 238), rng)
    _emblem(front, 9.0, 9.0, 6.0)
    cx = 50.0
    front.text(cx, 2.5, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", Style(sans, 6.0, True), "center")
    front.text(cx, 5.6, "Độc lập - Tự do - Hạnh phúc", Style(sans, 6.0, True), "center")
    front.text(cx, 9.6, "CĂN CƯỚC CÔNG DÂN", Style(sans, 9.0, True, ink=(180, 30, 30)), "center")
    front.text(cx, 13.6, "Citizen Identity Card", Style(sans, 5.6, ink=(30, 40, 120)), "center")
    _photo(front, 3.0, 18.0, 19.0, 25.0)
    x = 25.0
    front.text(x, 17.2, "Số / No.:", small)
    front.text(x + 13.5, 16.6, person.personal_id, Style(sans, 8.6, True, ink=(10, 10, 10)))
    front.text(x, 21.4, "Họ và tên / Full name:", small)
    front.text(x, 24.4, person.full_name.upper(), bold)
    front.text(x, 28.6, f"Ngày sinh / Date of birth: {dmy(person.birth)}", small)
    front.text(x, 31.8, f"Giới tính / Sex: {person.sex}", small)
    front.text(x + 27.0, 31.8, "Quốc tịch / Nationality: Việt Nam", small)
    front.text(x, 35.0, "Quê quán / Place of origin:", small)
    front.text(x, 38.0, f"{person.place.commune_full}, {person.place.district}, {person.place.province}".replace(
        "thành phố thành phố", "thành phố"), small)
    front.text(x, 41.2, "Nơi thường trú / Place of residence:", small)
    front.text(x, 44.2, f"{person.street_address}, {person.home.commune_full},", small)
    front.text(x, 47.2, f"{person.home.district}, {person.home.province}", small)
    if expiry:
        front.text(2.5, 45.2, "Có giá trị đến:", Style(sans, 4.8, italic=True))
        front.text(2.5, 47.6, dmy(expiry), Style(sans, 5.2, bold=True))
        front.text(2.5, 50.2, "Date of expiry", Style(sans, 4.4, italic=True))
    else:
        front.text(2.5, 47.6, "Không thời hạn", Style(sans, 5.0, bold=True))
    back = _blank(dpi, (232, 238, 236), rng)
    back.text(3.0, 2.8, "Đặc điểm nhân dạng / Personal identification:", small)
    back.text(3.0, 6.0, rng.choice(["Nốt ruồi C: 1cm trên sau đầu mày phải", "Sẹo chấm C: 2cm dưới trước mép trái",
                                    "Nốt ruồi cách 1cm dưới sau cánh mũi trái"]), small)
    back.box(45.0, 2.5, 63.0, 22.0, 0.2, (110, 110, 110))
    back.box(65.0, 2.5, 83.0, 22.0, 0.2, (110, 110, 110))
    back.text(54.0, 22.6, "Ngón trỏ trái", Style(sans, 4.2), "center")
    back.text(74.0, 22.6, "Ngón trỏ phải", Style(sans, 4.2), "center")
    back.text(3.0, 10.5, f"Ngày, tháng, năm / Date, month, year: {dmy(issued)}", small)
    issuer = "CỤC CẢNH SÁT QUẢN LÝ HÀNH CHÍNH VỀ TRẬT TỰ XÃ HỘI"
    back.text(3.0, 14.2, "CỤC TRƯỞNG CỤC CẢNH SÁT", Style(sans, 5.2, True))
    back.text(3.0, 16.8, "QUẢN LÝ HÀNH CHÍNH VỀ TRẬT TỰ XÃ HỘI", Style(sans, 5.2, True))
    back.text(3.0, 19.4, "DIRECTOR GENERAL OF THE POLICE DEPARTMENT", Style(sans, 3.9))
    back.text(3.0, 21.4, "FOR ADMINISTRATIVE MANAGEMENT OF SOCIAL ORDER", Style(sans, 3.9))
    back.box(30.0, 23.5, 40.0, 31.0, 0.2, (160, 140, 60), fill=(215, 190, 110))  # the chip
    back.text(3.0, 29.5, P.random_person(rng, male=True).full_name, Style(sans, 6.0, True))
    mrz = td1_lines(person.personal_id, person.birth, person.male, expiry, person.full_name)
    _mrz(back, mrz, rng)
    fields = {"owner_id": person.personal_id, "full_name": person.full_name, "date_of_birth": iso(person.birth),
              "sex": person.sex, "issue_date": iso(issued), "issuer": issuer}
    if expiry:
        fields["valid_until"] = iso(expiry)
    return Card("can_cuoc", "cccd_chip_2021", front, back, fields, mrz)


def can_cuoc_2024(rng: random.Random, dpi: int) -> Card:
    person = P.random_person(rng, born_from=date(1950, 1, 1), born_to=date(2010, 1, 1))
    issued = max(_issue_date(rng, person.birth), date(2024, 7, 1))
    expiry = P.card_expiry(person.birth, issued)
    sans = rng.choice(["liberation_sans", "dejavu_condensed"])
    small = Style(family=sans, size=5.4)
    bold = Style(family=sans, size=7.0, bold=True)
    front = _blank(dpi, (238, 232, 226), rng)
    _emblem(front, 9.0, 9.5, 6.5)
    cx = 50.0
    front.text(cx, 2.6, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", Style(sans, 6.0, True), "center")
    front.text(cx, 5.7, "SOCIALIST REPUBLIC OF VIET NAM", Style(sans, 5.0), "center")
    front.text(cx, 9.4, "CĂN CƯỚC", Style(sans, 10.0, True, ink=(170, 30, 30)), "center")
    front.text(cx, 14.0, "IDENTITY CARD", Style(sans, 5.8, True, ink=(30, 40, 120)), "center")
    _photo(front, 3.0, 19.0, 19.0, 25.0)
    x = 25.0
    front.text(x, 18.6, "Số định danh cá nhân / Personal identification number:", Style(sans, 4.8))
    front.text(x, 21.4, person.personal_id, Style(sans, 8.4, True))
    front.text(x, 26.0, "Họ, chữ đệm và tên khai sinh / Full name:", small)
    front.text(x, 29.0, person.full_name.upper(), bold)
    front.text(x, 33.6, f"Ngày, tháng, năm sinh / Date of birth: {dmy(person.birth)}", small)
    front.text(x, 37.0, f"Giới tính / Sex: {person.sex}", small)
    front.text(x + 24.0, 37.0, "Quốc tịch / Nationality: Việt Nam", small)
    back = _blank(dpi, (236, 232, 228), rng)
    back.text(3.0, 2.6, "Nơi cư trú / Place of residence:", small)
    back.text(3.0, 5.4, f"{person.street_address}, {person.home.commune_full},", small)
    back.text(3.0, 8.0, f"{person.home.district}, {person.home.province}", small)
    back.text(3.0, 10.8, "Nơi đăng ký khai sinh / Place of birth:", small)
    back.text(3.0, 13.4, f"{person.place.commune_full}, {person.place.district}, {person.place.province}", small)
    back.text(3.0, 16.4, f"Ngày, tháng, năm cấp / Date of issue: {dmy(issued)}", small)
    if expiry:
        back.text(3.0, 19.4, f"Ngày, tháng, năm hết hạn / Date of expiry: {dmy(expiry)}", small)
    issuer = "BỘ CÔNG AN"
    back.text(62.0, 23.4, "BỘ CÔNG AN", Style(sans, 6.0, True), "center")
    back.text(62.0, 26.2, "MINISTRY OF PUBLIC SECURITY", Style(sans, 4.4), "center")
    back.box(6.0, 22.5, 16.0, 30.5, 0.2, (160, 140, 60), fill=(215, 190, 110))
    mrz = td1_lines(person.personal_id, person.birth, person.male, expiry, person.full_name)
    _mrz(back, mrz, rng)
    fields = {"owner_id": person.personal_id, "full_name": person.full_name, "date_of_birth": iso(person.birth),
              "sex": person.sex, "issue_date": iso(issued), "issuer": issuer}
    if expiry:
        fields["valid_until"] = iso(expiry)
    return Card("can_cuoc", "can_cuoc_2024", front, back, fields, mrz)


def cmnd(rng: random.Random, dpi: int) -> Card:
    """The 9-digit identity card (giấy chứng minh nhân dân): no personal ID, no MRZ."""
    person = P.random_person(rng, born_from=date(1950, 1, 1), born_to=date(1998, 1, 1))
    issued = P.random_date(rng, max(person.birth + timedelta(days=14 * 366), date(2005, 1, 1)), date(2015, 12, 1))
    serif = rng.choice(["liberation_serif", "dejavu_serif"])
    st = Style(serif, 6.6 if serif == "liberation_serif" else 5.8)
    front = _blank(dpi, (236, 238, 242), rng)
    _emblem(front, 12.0, 20.0, 8.5)
    _photo(front, 4.0, 31.0, 16.0, 20.0)
    cx = 54.0
    front.text(cx, 2.4, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", Style(serif, 5.6, True), "center")
    front.text(cx, 5.4, "Độc lập - Tự do - Hạnh phúc", Style(serif, 5.8, True), "center")
    front.text(cx, 9.2, "GIẤY CHỨNG MINH NHÂN DÂN", Style(serif, 8.2, True, ink=(170, 30, 30)), "center")
    front.text(cx, 14.0, f"SỐ {person.cmnd}", Style(serif, 9.5, True, ink=(170, 30, 30)), "center")
    x = 26.0
    front.text(x, 19.5, f"Họ tên: {person.full_name.upper()}", st)
    front.text(x, 24.0, f"Sinh ngày: {dmy(person.birth, '-')}", st)
    front.text(x, 28.5, f"Nguyên quán: {person.place.commune_full}, {person.place.district}", st)
    front.text(x, 33.0, f"{person.place.province_title}", st)
    front.text(x, 37.5, "Nơi ĐKHK thường trú:", st)
    front.text(x, 42.0, person.street_address, st)
    front.text(x, 46.5, f"{person.home.commune_full}, {person.home.district}", st)
    back = _blank(dpi, (240, 240, 236), rng)
    back.text(3.0, 3.0, f"Dân tộc: {person.ethnicity}", st)
    back.text(40.0, 3.0, "Tôn giáo: Không", st)
    back.text(3.0, 8.0, "DẤU VẾT RIÊNG VÀ DỊ HÌNH", Style(serif, 6.2, True))
    back.text(3.0, 12.0, "Nốt ruồi c. 2cm trên trước mày trái", st)
    back.box(4.0, 18.0, 24.0, 42.0, 0.2, (120, 120, 120))
    back.box(26.0, 18.0, 46.0, 42.0, 0.2, (120, 120, 120))
    back.text(14.0, 43.5, "NGÓN TRỎ TRÁI", Style(serif, 4.4), "center")
    back.text(36.0, 43.5, "NGÓN TRỎ PHẢI", Style(serif, 4.4), "center")
    back.text(66.0, 20.0, P.long_date(issued, "Ngày"), Style(serif, 5.6, italic=True), "center")
    body = f"CÔNG AN {person.place.province_title.upper()}"
    back.text(66.0, 24.0, "GIÁM ĐỐC", Style(serif, 6.0, True), "center")
    back.text(66.0, 27.0, body.replace("CÔNG AN ", "CA "), Style(serif, 5.6, True), "center")
    back.text(66.0, 42.0, P.random_person(rng).full_name, Style(serif, 6.0, True), "center")
    fields = {"old_id_number": person.cmnd, "full_name": person.full_name, "date_of_birth": iso(person.birth),
              "issue_date": iso(issued)}
    return Card("can_cuoc", "cmnd_9", front, back, fields, None)


def bhyt_card(rng: random.Random, dpi: int) -> Card:
    person = P.random_person(rng, born_from=date(1940, 1, 1), born_to=date(2022, 1, 1))
    code = P.insurance_code(rng, person.home.province_code)
    start = P.random_date(rng, date(2019, 1, 1), date(2025, 6, 1)).replace(day=1)
    until = date(start.year, 12, 31)
    issued = start - timedelta(days=rng.randrange(3, 25))
    sans = rng.choice(["liberation_sans", "dejavu_condensed", "liberation_serif"])
    st = Style(sans, 6.0)
    front = _blank(dpi, (230, 240, 250), rng)
    front.text(42.8, 2.5, "BẢO HIỂM XÃ HỘI VIỆT NAM", Style(sans, 6.6, True, ink=(20, 60, 140)), "center")
    front.text(42.8, 6.4, "THẺ BẢO HIỂM Y TẾ", Style(sans, 9.5, True, ink=(190, 30, 30)), "center")
    front.text(4.0, 13.0, f"Mã số: {code}", Style(sans, 7.6, True))
    front.text(4.0, 17.6, f"Họ và tên: {person.full_name.upper()}", Style(sans, 6.6, True))
    front.text(4.0, 21.8, f"Ngày sinh: {dmy(person.birth)}", st)
    front.text(48.0, 21.8, f"Giới tính: {person.sex}", st)
    front.text(4.0, 25.8, f"Địa chỉ: {person.home.commune_full}, {person.home.district}", st)
    front.text(4.0, 29.8, f"Nơi ĐKKCB BĐ: Trạm Y tế {person.home.commune_full}", st)
    front.text(4.0, 33.8, f"Giá trị sử dụng: từ {dmy(start)} đến {dmy(until)}", st)
    front.text(4.0, 37.8, f"Thời điểm đủ 5 năm liên tục: {dmy(start.replace(year=start.year + 5))}", Style(sans, 5.2))
    front.text(62.0, 41.5, f"{person.home.town}, {P.long_date(issued)}", Style(sans, 4.8, italic=True), "center")
    front.text(62.0, 44.5, "GIÁM ĐỐC", Style(sans, 5.6, True), "center")
    back = _blank(dpi, (240, 244, 248), rng)
    back.text(42.8, 4.0, "NHỮNG ĐIỀU CẦN LƯU Ý", Style(sans, 6.6, True), "center")
    y = 9.0
    for text in ["1. Xuất trình thẻ BHYT cùng với giấy tờ tùy thân có ảnh khi đi khám bệnh, chữa bệnh.",
                 "2. Không được cho người khác mượn thẻ; không sửa chữa, tẩy xóa thẻ.",
                 "3. Khi thay đổi thông tin phải làm thủ tục cấp lại thẻ.",
                 "4. Đóng BHYT đủ 5 năm liên tục được hưởng thêm quyền lợi."]:
        y = back.paragraph(3.0, y, 79.0, text, Style(sans, 5.0)) + 0.6
    fields = {"full_name": person.full_name, "date_of_birth": iso(person.birth), "sex": person.sex,
              "insurance_code": code, "issue_date": iso(issued), "valid_until": iso(until),
              "issuer": "BẢO HIỂM XÃ HỘI VIỆT NAM"}
    return Card("the_bao_hiem_y_te", "the_bhyt", front, back, fields, None)
