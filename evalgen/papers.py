"""The A4 papers of the evaluation set: one function per document type, each with its own
variants of wording and layout. Every function returns a `Paper`: its pages (Sheets) and the
fields printed on them (ISO dates, names in title case, NFC).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta

from evalgen import people as P
from evalgen.canvas import BODY_FAMILIES, Sheet, Style
from evalgen.layout import A4, Writer
from evalgen.people import dmy, iso, long_date


@dataclass
class Paper:
    doc_type: str
    variant: str
    pages: list[Sheet]
    fields: dict[str, str]
    derived: dict[str, str] = field(default_factory=dict)  # true but not printed (e.g. "valid 6 months")
    alternatives: dict[str, list[str]] = field(default_factory=dict)  # other printed values as right


class Pages:
    """New A4 pages sharing one typeface and size."""

    def __init__(self, rng: random.Random, dpi: int):
        self.rng = rng
        self.dpi = dpi
        self.style = Style(family=rng.choice(BODY_FAMILIES), size=rng.choice([12.0, 12.5, 13.0, 13.5, 14.0]))
        if self.style.family.startswith("dejavu"):
            self.style.size -= 1.0  # DejaVu runs wide
        self.sheets: list[Sheet] = []
        self.margin = rng.uniform(18.0, 28.0)

    def new(self) -> Writer:
        sheet = Sheet(*A4, dpi=self.dpi)
        self.sheets.append(sheet)
        return Writer(sheet, self.rng, self.style, left=self.margin, right=A4[0] - self.rng.uniform(14.0, 20.0),
                      y=self.rng.uniform(10.0, 18.0))

    def footer(self, w: Writer, text: str) -> None:
        w.sheet.text((w.left + w.right) / 2, 280.0, text, w.s(size=w.style.size - 2), "center")


def ubnd(place: P.Place, rng: random.Random) -> tuple[list[str], str]:
    """The heading lines of a commune People's Committee and the issuer's name as printed."""
    district = place.district.upper()
    commune = place.commune_full.upper()
    parent = rng.choice([f"UBND {district}", f"ỦY BAN NHÂN DÂN {district}"])
    body = f"ỦY BAN NHÂN DÂN {commune}"
    return [parent, body] if rng.random() < 0.6 else [body], body


def district_body(place: P.Place, rng: random.Random) -> tuple[list[str], str]:
    body = f"ỦY BAN NHÂN DÂN {place.district.upper()}"
    parent = f"ỦY BAN NHÂN DÂN {place.province_title.upper()}"
    return [parent, body] if rng.random() < 0.5 else [body], body


def date_line(place: P.Place, d: date) -> str:
    return f"{place.town}, {long_date(d)}"


def official(rng: random.Random) -> str:
    return P.random_person(rng).full_name


def issued_after(rng: random.Random, birth: date, min_days: int = 30) -> date:
    start = max(birth + timedelta(days=min_days), date(2008, 1, 1))
    end = date(2025, 10, 30)
    return P.random_date(rng, start, end if end > start else start + timedelta(days=40))


# --- civil status (Ministry of Justice forms) ------------------------------------------------


def khai_sinh(rng: random.Random, pages: Pages) -> Paper:
    child = P.random_person(rng, born_from=date(1990, 1, 1), born_to=date(2025, 6, 1))
    issued = min(child.birth + timedelta(days=rng.randrange(5, 60)), date(2025, 10, 30))
    copy = rng.random() < 0.4
    if copy:
        issued = P.random_date(rng, max(issued, date(2016, 1, 1)), date(2025, 10, 30))
    lines, body = ubnd(child.place, rng)
    number = str(rng.randrange(1, 900))
    book = f"{rng.randrange(1, 5):02d}/{issued.year}"
    w = pages.new()
    variant = "trich_luc_ban_sao" if copy else "giay_khai_sinh_ban_chinh"
    w.heading(lines, None, None)
    w.title("TRÍCH LỤC KHAI SINH" if copy else "GIẤY KHAI SINH", "(BẢN SAO)" if copy else None)
    w.pair([("Số:", number), ("Quyển số:", book)])
    w.gap(2)
    dots = rng.random() < 0.5
    w.field("Họ, chữ đệm, tên:", child.full_name.upper(), dots=dots, value_bold=True)
    w.field("Ngày, tháng, năm sinh:", f"{dmy(child.birth)}", dots=dots)
    w.pair([("Giới tính:", child.sex), ("Dân tộc:", child.ethnicity), ("Quốc tịch:", "Việt Nam")])
    w.field("Nơi sinh:", f"Bệnh viện đa khoa {child.place.province}", dots=dots)
    w.field("Quê quán:", child.place.address_tail, dots=dots)
    w.field("Số định danh cá nhân:", child.personal_id, dots=dots)
    mother = P.random_person(rng, born_from=date(1960, 1, 1), born_to=date(1995, 1, 1), male=False)
    father = P.random_person(rng, born_from=date(1958, 1, 1), born_to=date(1993, 1, 1), male=True,
                             surname=child.surname)
    w.gap(2)
    for role, parent in (("mẹ", mother), ("cha", father)):
        w.field(f"Họ, chữ đệm, tên người {role}:", parent.full_name.upper(), dots=dots)
        w.pair([("Năm sinh:", str(parent.birth.year)), ("Dân tộc:", parent.ethnicity),
                ("Quốc tịch:", "Việt Nam")])
        w.field("Nơi cư trú:", parent.residence, dots=dots)
    w.gap(2)
    w.field("Nơi đăng ký khai sinh:", body.title().replace("Ủy Ban Nhân Dân", "Ủy ban nhân dân"), dots=dots)
    if copy:
        w.field("Ngày, tháng, năm đăng ký:", dmy(child.birth + timedelta(days=rng.randrange(5, 50))))
        w.gap(4)
        w.signature(["TM. ỦY BAN NHÂN DÂN", "KT. CHỦ TỊCH", "PHÓ CHỦ TỊCH"], official(rng),
                    date_line=date_line(child.place, issued))
    else:
        w.gap(4)
        w.signature(["NGƯỜI KÝ GIẤY KHAI SINH"], official(rng), date_line=date_line(child.place, issued))
    fields = {"owner_id": child.personal_id, "full_name": child.full_name, "date_of_birth": iso(child.birth),
              "sex": child.sex, "doc_number": number, "issue_date": iso(issued), "issuer": body}
    return Paper("giay_khai_sinh", variant, pages.sheets, fields)


def khai_tu(rng: random.Random, pages: Pages) -> Paper:
    person = P.random_person(rng, born_from=date(1925, 1, 1), born_to=date(1990, 1, 1))
    died = P.random_date(rng, date(2016, 1, 1), date(2025, 8, 1))
    issued = min(died + timedelta(days=rng.randrange(1, 40)), date(2025, 10, 30))
    lines, body = ubnd(person.home, rng)
    number = f"{rng.randrange(1, 400)}/TLKT" if rng.random() < 0.5 else str(rng.randrange(1, 400))
    w = pages.new()
    old = rng.random() < 0.3
    w.heading(lines, number if not old else None, date_line(person.home, issued) if rng.random() < 0.5 else None)
    w.title("GIẤY CHỨNG TỬ" if old else "TRÍCH LỤC KHAI TỬ")
    if old:
        w.line(f"Số: {number}", align="center")
    w.gap(2)
    w.field("Họ, chữ đệm, tên người đã chết:" if rng.random() < 0.6 else "Họ và tên người chết:",
            person.full_name.upper(), value_bold=True)
    w.field("Ngày, tháng, năm sinh:", dmy(person.birth))
    w.pair([("Giới tính:", person.sex), ("Dân tộc:", person.ethnicity), ("Quốc tịch:", "Việt Nam")])
    w.field("Số định danh cá nhân:", person.personal_id)
    w.field("Nơi cư trú cuối cùng:", person.residence)
    hour = f"{rng.randrange(0, 24):02d} giờ {rng.randrange(0, 60):02d} phút"
    w.field("Đã chết vào lúc:", f"{hour}, ngày {dmy(died)}")
    w.field("Nơi chết:", rng.choice(["Tại nhà riêng", f"Bệnh viện đa khoa tỉnh {person.home.province}"]))
    w.field("Nguyên nhân chết:", rng.choice(["Bệnh già", "Bệnh lý tim mạch", "Tai nạn giao thông"]))
    w.gap(2)
    requester = P.random_person(rng, born_from=date(1950, 1, 1), born_to=date(2000, 1, 1))
    w.field("Họ, chữ đệm, tên người đi khai tử:", requester.full_name)
    w.field("Giấy tờ tùy thân:", f"Căn cước công dân số {requester.personal_id}")
    w.field("Nơi đăng ký khai tử:", body.title().replace("Ủy Ban Nhân Dân", "Ủy ban nhân dân"))
    w.field("Ngày, tháng, năm đăng ký:", dmy(issued))
    w.gap(5)
    w.signature(["TM. ỦY BAN NHÂN DÂN", "CHỦ TỊCH"], official(rng))
    fields = {"owner_id": person.personal_id, "full_name": person.full_name, "date_of_birth": iso(person.birth),
              "sex": person.sex, "date_of_death": iso(died), "doc_number": number, "issue_date": iso(issued),
              "issuer": body}
    return Paper("trich_luc_khai_tu", "giay_chung_tu" if old else "trich_luc", pages.sheets, fields)


def ket_hon(rng: random.Random, pages: Pages) -> Paper:
    husband = P.random_person(rng, born_from=date(1960, 1, 1), born_to=date(2003, 1, 1), male=True)
    wife = P.random_person(rng, born_from=date(1962, 1, 1), born_to=date(2004, 1, 1), male=False)
    adult = max(husband.birth, wife.birth).replace(day=1) + timedelta(days=20 * 366)
    issued = P.random_date(rng, max(adult, date(2010, 1, 1)), date(2025, 10, 30))
    lines, body = ubnd(husband.home, rng)
    number = str(rng.randrange(1, 300))
    w = pages.new()
    w.heading(lines, None, None)
    extract = rng.random() < 0.4
    w.title("TRÍCH LỤC KẾT HÔN" if extract else "GIẤY CHỨNG NHẬN KẾT HÔN")
    w.pair([("Số:", number), ("Quyển số:", f"{rng.randrange(1, 4):02d}/{issued.year}")])
    w.gap(2)
    table = rng.random() < 0.6
    if table:
        rows = [["", "Thông tin của chồng", "Thông tin của vợ"],
                ["Họ, chữ đệm, tên", husband.full_name.upper(), wife.full_name.upper()],
                ["Ngày, tháng, năm sinh", dmy(husband.birth), dmy(wife.birth)],
                ["Dân tộc", husband.ethnicity, wife.ethnicity],
                ["Quốc tịch", "Việt Nam", "Việt Nam"],
                ["Số định danh cá nhân", husband.personal_id, wife.personal_id]]
        w.table([48, 60, 60], rows, row_height=9.0)
        w.field("Nơi cư trú của chồng:", husband.residence)
        w.field("Nơi cư trú của vợ:", wife.residence)
    else:
        for role, person in (("Chồng", husband), ("Vợ", wife)):
            w.line(f"{role}:", bold=True)
            w.field("Họ, chữ đệm, tên:", person.full_name.upper())
            w.field("Ngày, tháng, năm sinh:", dmy(person.birth))
            w.pair([("Dân tộc:", person.ethnicity), ("Quốc tịch:", "Việt Nam")])
            w.field("Nơi cư trú:", person.residence)
            w.field("Giấy tờ tùy thân:", f"CCCD số {person.personal_id}")
    w.field("Nơi đăng ký kết hôn:", body.title().replace("Ủy Ban Nhân Dân", "Ủy ban nhân dân"))
    w.field("Ngày, tháng, năm đăng ký:", dmy(issued))
    w.gap(3)
    cx_left = w.left + 30
    y0 = w.y
    w.line("Chồng", x=cx_left, align="center", bold=True)
    w.line("(ký, ghi rõ họ tên)", x=cx_left, align="center", italic=True, size=w.style.size - 2)
    w.y = y0
    w.line("Vợ", x=(w.left + w.right) / 2, align="center", bold=True)
    w.gap(16)
    w.signature(["TM. ỦY BAN NHÂN DÂN", "CHỦ TỊCH"], official(rng))
    fields = {"owner_id": husband.personal_id, "spouse_id": wife.personal_id, "full_name": husband.full_name,
              "date_of_birth": iso(husband.birth), "doc_number": number, "issue_date": iso(issued), "issuer": body}
    return Paper("giay_chung_nhan_ket_hon", "bang" if table else "hai_khoi", pages.sheets, fields)


def tinh_trang_hon_nhan(rng: random.Random, pages: Pages) -> Paper:
    person = P.random_person(rng, born_from=date(1960, 1, 1), born_to=date(2005, 1, 1))
    issued = issued_after(rng, person.birth, 18 * 366)
    lines, body = ubnd(person.home, rng)
    number = f"{rng.randrange(1, 500)}/XNTTHN" if rng.random() < 0.6 else str(rng.randrange(1, 500))
    w = pages.new()
    w.heading(lines, number, date_line(person.home, issued))
    w.title("GIẤY XÁC NHẬN TÌNH TRẠNG HÔN NHÂN")
    honor = "ông" if person.male else "bà"
    w.para(f"Xét đề nghị của {honor} {person.full_name} về việc xác nhận tình trạng hôn nhân,")
    w.line(f"{body} XÁC NHẬN:", bold=True)
    w.field("Họ, chữ đệm, tên:", person.full_name.upper(), value_bold=True)
    w.field("Ngày, tháng, năm sinh:", dmy(person.birth))
    w.pair([("Giới tính:", person.sex), ("Dân tộc:", person.ethnicity), ("Quốc tịch:", "Việt Nam")])
    card_date = issued_after(rng, person.birth, 14 * 366)
    card_date = min(card_date, issued)
    w.para(f"Giấy tờ tùy thân: Căn cước công dân số {person.personal_id}, cấp ngày {dmy(card_date)}", indent=0)
    w.field("Nơi cư trú:", person.residence)
    w.field("Tình trạng hôn nhân:", rng.choice(["Chưa đăng ký kết hôn với ai.", "Đã ly hôn, chưa kết hôn lại.",
                                                "Hiện tại chưa kết hôn với ai."]))
    w.field("Giấy này được cấp để:", rng.choice(["Làm thủ tục đăng ký kết hôn", "Bổ túc hồ sơ vay vốn",
                                                 "Làm thủ tục mua bán nhà đất"]))
    until = _add_months(issued, 6) - timedelta(days=1)
    derived = {}
    fields = {"owner_id": person.personal_id, "full_name": person.full_name, "date_of_birth": iso(person.birth),
              "sex": person.sex, "doc_number": number, "issue_date": iso(issued), "issuer": body}
    if rng.random() < 0.4:
        w.para(f"Giấy này có giá trị sử dụng đến ngày {dmy(until)}.", indent=0, italic=True)
        fields["valid_until"] = iso(until)
    else:
        w.para("Giấy này có giá trị sử dụng trong thời hạn 6 tháng, kể từ ngày cấp.", indent=0, italic=True)
        derived["valid_until"] = iso(_add_months(issued, 6))
    w.gap(4)
    w.signature(["TM. ỦY BAN NHÂN DÂN", rng.choice(["CHỦ TỊCH", "KT. CHỦ TỊCH\u00a0"]).strip()], official(rng))
    return Paper("xac_nhan_tinh_trang_hon_nhan", "mau_tp", pages.sheets, fields, derived)


def _add_months(d: date, months: int) -> date:
    year, month = divmod(d.month - 1 + months, 12)
    day = min(d.day, [31, 29 if (d.year + year) % 4 == 0 else 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month])
    return date(d.year + year, month + 1, day)


def cu_tru(rng: random.Random, pages: Pages) -> Paper:
    person = P.random_person(rng, born_from=date(1950, 1, 1), born_to=date(2008, 1, 1))
    issued = issued_after(rng, person.birth, 14 * 366)
    issued = max(issued, date(2021, 7, 1))
    place = person.home
    province = place.province_title.upper()
    body = f"CÔNG AN {place.commune_full.upper()}"
    lines = [f"CÔNG AN {province}" if rng.random() < 0.5 else f"CÔNG AN {place.district.upper()}", body]
    number = f"{rng.randrange(10, 9999)}/XN-CA{'X' if place.level == 'xã' else 'P'}"
    w = pages.new()
    w.heading(lines, number, date_line(place, issued))
    w.title("GIẤY XÁC NHẬN THÔNG TIN VỀ CƯ TRÚ")
    w.para(f"{body.title().replace('Công An', 'Công an')} xác nhận:", indent=0)
    honor = "Ông" if person.male else "Bà"
    if rng.random() < 0.5:
        w.field(f"{honor}:", person.full_name.upper(), value_bold=True)
    else:
        w.field("Họ, chữ đệm và tên:", person.full_name.upper(), value_bold=True)
    w.pair([("Ngày, tháng, năm sinh:", dmy(person.birth)), ("Giới tính:", person.sex)])
    w.field("Số định danh cá nhân:", person.personal_id)
    w.field("Nơi thường trú:", person.residence)
    w.field("Nơi tạm trú:", "Không")
    w.field("Nơi ở hiện tại:", person.residence)
    w.line("Thông tin các thành viên trong hộ gia đình:", bold=True)
    rows = [["TT", "Họ, chữ đệm và tên", "Ngày sinh", "Quan hệ với chủ hộ"]]
    rows.append(["1", person.full_name, dmy(person.birth), "Chủ hộ"])
    for i in range(rng.randrange(1, 4)):
        member = P.random_person(rng, born_from=date(1950, 1, 1), born_to=date(2020, 1, 1), surname=person.surname)
        rows.append([str(i + 2), member.full_name, dmy(member.birth), rng.choice(["Vợ", "Con", "Mẹ", "Cháu"])])
    w.table([12, 72, 34, 48], rows, row_height=8.0)
    derived = {"valid_until": iso(issued + timedelta(days=30))}
    w.para("Giấy xác nhận này có giá trị 30 ngày kể từ ngày cấp.", indent=0, italic=True)
    w.gap(3)
    w.signature(["TRƯỞNG CÔNG AN"], official(rng))
    fields = {"owner_id": person.personal_id, "full_name": person.full_name, "date_of_birth": iso(person.birth),
              "sex": person.sex, "doc_number": number, "issue_date": iso(issued), "issuer": body}
    return Paper("xac_nhan_cu_tru", "ct07", pages.sheets, fields, derived)


# --- permits, businesses, land ----------------------------------------------------------------


def xay_dung(rng: random.Random, pages: Pages) -> Paper:
    owner = P.random_person(rng, born_from=date(1950, 1, 1), born_to=date(1998, 1, 1))
    issued = issued_after(rng, owner.birth, 25 * 366)
    lines, body = district_body(owner.home, rng)
    number = f"{rng.randrange(1, 3000)}/GPXD"
    w = pages.new()
    late_date = rng.random() < 0.6  # the date under the motto, or only beside the signature on page 2
    w.heading(lines, number, None if late_date else date_line(owner.home, issued))
    w.title("GIẤY PHÉP XÂY DỰNG", rng.choice(["Số giấy phép theo sổ:", "(Sử dụng cho nhà ở riêng lẻ)"])
            if rng.random() < 0.5 else "(Sử dụng cho nhà ở riêng lẻ)")
    honor = ("Ông" if owner.male else "Bà") if rng.random() < 0.7 else "Ông (Bà)"
    if rng.random() < 0.5:
        w.field("1. Cấp cho:", f"{honor} {owner.full_name.upper()}", value_bold=True)
    else:
        w.para(f"1. Cấp cho {honor.lower()} {owner.full_name}, sinh năm {owner.birth.year}, "
               f"số định danh cá nhân {owner.personal_id}.", indent=0)
    w.field("Địa chỉ:", owner.residence)
    w.field("Số CCCD:" if rng.random() < 0.5 else "Số căn cước:", owner.personal_id)
    parcel = rng.randrange(10, 900)
    sheet_no = rng.randrange(1, 60)
    w.para(f"2. Được phép xây dựng công trình: Nhà ở riêng lẻ, tại thửa đất số {parcel}, tờ bản đồ số "
           f"{sheet_no}, {owner.home.address_tail}.", indent=0)
    floors = rng.randrange(1, 6)
    rows = [["Hạng mục", "Thông số"], ["Cấp công trình", "Cấp III"],
            ["Diện tích xây dựng tầng 1", f"{rng.randrange(40, 180)},{rng.randrange(10)} m²"],
            ["Tổng diện tích sàn", f"{rng.randrange(80, 600)},{rng.randrange(10)} m²"],
            ["Chiều cao công trình", f"{floors * 3 + 2},{rng.randrange(10)} m"],
            ["Số tầng", f"{floors} tầng"]]
    w.table([80, 80], rows, row_height=8.0)
    w.para("3. Giấy tờ về quyền sử dụng đất: Giấy chứng nhận quyền sử dụng đất số vào sổ "
           f"CH{rng.randrange(1000, 99999):05d}.", indent=0)
    w.para("4. Giấy phép này có hiệu lực khởi công xây dựng trong thời hạn 12 tháng kể từ ngày cấp; "
           "quá thời hạn trên thì phải đề nghị gia hạn giấy phép xây dựng.", indent=0)
    w2 = pages.new()
    w2.para("5. Chủ đầu tư phải thông báo khởi công xây dựng bằng văn bản cho cơ quan quản lý xây dựng tại "
            "địa phương trước thời điểm khởi công xây dựng 03 ngày làm việc.", indent=0)
    w2.para("6. Chủ đầu tư phải thực hiện đúng nội dung giấy phép và các quy định của pháp luật về xây dựng.",
            indent=0)
    w2.gap(6)
    y0 = w2.y
    w2.recipients(["Như trên", "Lưu: VT, QLĐT"])
    w2.y = y0
    w2.signature(["KT. CHỦ TỊCH", "PHÓ CHỦ TỊCH"], official(rng), date_line=date_line(owner.home, issued)
                 if late_date else None)
    pages.footer(w2, "Trang 2/2")
    fields = {"owner_id": owner.personal_id, "full_name": owner.full_name, "doc_number": number,
              "issue_date": iso(issued), "issuer": body}
    derived = {"valid_until": iso(_add_months(issued, 12))}
    return Paper("giay_phep_xay_dung", "date_p2" if late_date else "date_p1", pages.sheets, fields, derived)


def ho_kinh_doanh(rng: random.Random, pages: Pages) -> Paper:
    owner = P.random_person(rng, born_from=date(1955, 1, 1), born_to=date(2002, 1, 1))
    issued = issued_after(rng, owner.birth, 20 * 366)
    place = owner.home
    body = "PHÒNG TÀI CHÍNH - KẾ HOẠCH"
    lines = [f"ỦY BAN NHÂN DÂN {place.district.upper()}", body]
    number = f"{int(place.province_code) % 100:02d}{rng.choice('ABCDEFGH')}{rng.randrange(8)}{rng.randrange(10**6):06d}"
    w = pages.new()
    w.heading(lines, None, None)
    w.title("GIẤY CHỨNG NHẬN ĐĂNG KÝ HỘ KINH DOANH")
    w.line(f"Mã số hộ kinh doanh: {number}" if rng.random() < 0.5 else f"Số: {number}", align="center", bold=True)
    w.line(f"Đăng ký lần đầu: {long_date(issued)}", align="center", italic=True)
    w.gap(3)
    trade = rng.choice(["TẠP HÓA", "CƠM BÌNH DÂN", "SỬA XE", "MAY MẶC", "CÀ PHÊ", "VẬT LIỆU XÂY DỰNG"])
    w.field("1. Tên hộ kinh doanh:", f"HỘ KINH DOANH {trade} {owner.given.upper()}", value_bold=True)
    w.field("2. Địa điểm kinh doanh:", owner.residence)
    w.field("Điện thoại:", f"09{rng.randrange(10**8):08d}")
    w.field("3. Ngành, nghề kinh doanh:", rng.choice(["Bán lẻ hàng tạp hóa", "Dịch vụ ăn uống",
                                                     "Sửa chữa xe có động cơ", "Bán lẻ vật liệu xây dựng"]))
    w.field("4. Vốn kinh doanh:", f"{rng.randrange(5, 500) * 10_000_000:,} đồng".replace(",", "."))
    w.line("5. Chủ hộ kinh doanh:" if rng.random() < 0.5 else "5. Thông tin về chủ hộ kinh doanh:", bold=True)
    w.pair([("Họ, chữ đệm và tên:", owner.full_name.upper()), ("Giới tính:", owner.sex)])
    w.pair([("Sinh ngày:", dmy(owner.birth)), ("Dân tộc:", owner.ethnicity), ("Quốc tịch:", "Việt Nam")])
    w.field("Loại giấy tờ pháp lý của cá nhân:", "Căn cước công dân")
    w.field("Số giấy tờ pháp lý của cá nhân:", owner.personal_id)
    card_date = min(issued_after(rng, owner.birth, 14 * 366), issued)
    w.pair([("Ngày cấp:", dmy(card_date)), ("Nơi cấp:", "Cục Cảnh sát QLHC về TTXH")])
    w.field("Địa chỉ thường trú:", owner.residence)
    fields = {"owner_id": owner.personal_id, "full_name": owner.full_name, "date_of_birth": iso(owner.birth),
              "sex": owner.sex, "doc_number": number, "issue_date": iso(issued), "issuer": body}
    if rng.random() < 0.5:
        tax = P.enterprise_tax_code(rng)
        w.field("Mã số thuế:", tax)
        fields["tax_code"] = tax
    w.gap(4)
    w.signature(["TRƯỞNG PHÒNG"], official(rng))
    return Paper("giay_chung_nhan_dang_ky_ho_kinh_doanh", "mau_hkd", pages.sheets, fields)


def quyen_su_dung_dat(rng: random.Random, pages: Pages) -> Paper:
    owner = P.random_person(rng, born_from=date(1945, 1, 1), born_to=date(1995, 1, 1))
    spouse = P.random_person(rng, born_from=date(1945, 1, 1), born_to=date(1995, 1, 1), male=not owner.male)
    issued = issued_after(rng, owner.birth, 25 * 366)
    place = owner.home
    by_department = rng.random() < 0.5
    body = (f"SỞ TÀI NGUYÊN VÀ MÔI TRƯỜNG {place.province_title.upper()}" if by_department
            else f"ỦY BAN NHÂN DÂN {place.district.upper()}")
    serial = f"{rng.choice(['BX', 'CS', 'DĐ', 'AK', 'CH'])} {rng.randrange(10**6):06d}"
    register = f"{rng.choice(['CH', 'CS', 'VP'])}{rng.randrange(10**5):05d}"
    w = pages.new()
    w.gap(18)
    w.national_only()
    w.gap(8)
    w.title("GIẤY CHỨNG NHẬN", size=w.style.size + 8)
    w.line("QUYỀN SỬ DỤNG ĐẤT", align="center", bold=True, size=w.style.size + 3)
    w.line("QUYỀN SỞ HỮU NHÀ Ở VÀ TÀI SẢN KHÁC GẮN LIỀN VỚI ĐẤT", align="center", bold=True, size=w.style.size + 1)
    w.gap(10)
    w.line("I. Người sử dụng đất, chủ sở hữu nhà ở và tài sản khác gắn liền với đất", bold=True)
    w.gap(2)
    for person in (owner, spouse) if rng.random() < 0.6 else (owner,):
        honor = "Ông" if person.male else "Bà"
        w.para(f"{honor}: {person.full_name.upper()}, sinh năm {person.birth.year}, CCCD số "
               f"{person.personal_id}; địa chỉ thường trú: {person.residence}.", indent=0)
    w.sheet.text(w.right - 5, 272.0, serial, w.s(size=w.style.size + 2, bold=True, ink=(170, 30, 30)), "right")
    w2 = pages.new()
    w2.line("II. Thửa đất, nhà ở và tài sản khác gắn liền với đất", bold=True)
    w2.line("1. Thửa đất:", bold=True)
    area = f"{rng.randrange(40, 900)},{rng.randrange(10)}"
    for label, value in [("a) Thửa đất số:", str(rng.randrange(1, 900))), ("Tờ bản đồ số:", str(rng.randrange(1, 80))),
                         ("b) Địa chỉ:", place.address_tail), ("c) Diện tích:", f"{area} m²"),
                         ("d) Hình thức sử dụng:", "Sử dụng riêng"), ("đ) Mục đích sử dụng:", "Đất ở tại đô thị"),
                         ("e) Thời hạn sử dụng:", "Lâu dài"),
                         ("g) Nguồn gốc sử dụng:", "Nhận chuyển nhượng đất được công nhận quyền sử dụng đất")]:
        w2.field(label, value)
    w2.line("2. Nhà ở:", bold=True)
    w2.table([60, 100], [["Loại nhà ở", "Nhà ở riêng lẻ"], ["Diện tích xây dựng", f"{rng.randrange(40, 200)} m²"],
                         ["Kết cấu", "Bê tông cốt thép"], ["Số tầng", str(rng.randrange(1, 5))]], header=False)
    w2.line("3. Ghi chú: Không", italic=True)
    w2.gap(4)
    position = ([body, "KT. GIÁM ĐỐC", "PHÓ GIÁM ĐỐC"] if by_department
                else [f"TM. {body}", "KT. CHỦ TỊCH", "PHÓ CHỦ TỊCH"])
    w2.signature(position, official(rng), date_line=date_line(place, issued), x=w2.right - 58)
    w2.sheet.text(w2.left, 272.0, f"Số vào sổ cấp GCN: {register}", w2.s(bold=True))
    fields = {"owner_id": owner.personal_id, "full_name": owner.full_name, "doc_number": register,
              "issue_date": iso(issued), "issuer": body}
    # The serial on page 1 identifies the certificate as well as its register number does.
    return Paper("giay_chung_nhan_quyen_su_dung_dat", "so_do_2p", pages.sheets, fields,
                 alternatives={"doc_number": [serial]})


# --- decisions and forms ------------------------------------------------------------------------


def quyet_dinh(rng: random.Random, pages: Pages) -> Paper:
    person = P.random_person(rng, born_from=date(1945, 1, 1), born_to=date(2000, 1, 1))
    place = person.home
    issued = P.random_date(rng, date(2016, 1, 1), date(2025, 10, 30))
    lines, body = district_body(place, rng) if rng.random() < 0.6 else ubnd(place, rng)
    year_in_number = rng.random() < 0.2
    n = rng.randrange(1, 9000)
    number = f"{n}/{issued.year}/QĐ-UBND" if year_in_number else f"{n}/QĐ-UBND"
    subject, article = rng.choice([
        ("Về việc hỗ trợ kinh phí cho hộ gia đình có hoàn cảnh khó khăn",
         "Hỗ trợ kinh phí {amount} đồng cho"),
        ("Về việc công nhận hộ gia đình văn hóa", "Công nhận danh hiệu Gia đình văn hóa cho hộ"),
        ("Về việc giao đất ở không thông qua đấu giá quyền sử dụng đất", "Giao {area} m² đất ở cho"),
        ("Về việc phê duyệt phương án bồi thường, hỗ trợ", "Phê duyệt phương án bồi thường, hỗ trợ {amount} đồng cho"),
    ])
    amount = f"{rng.randrange(2, 300) * 1_000_000:,}".replace(",", ".")
    article = article.format(amount=amount, area=rng.randrange(50, 300))
    w = pages.new()
    w.heading(lines, number, date_line(place, issued))
    w.title("QUYẾT ĐỊNH", subject)
    chair = body.replace("ỦY BAN NHÂN DÂN", "CHỦ TỊCH ỦY BAN NHÂN DÂN")
    w.line(chair, align="center", bold=True)
    w.gap(2)
    for basis in ["Căn cứ Luật Tổ chức chính quyền địa phương ngày 19 tháng 6 năm 2015;",
                  "Căn cứ Nghị định số 30/2020/NĐ-CP ngày 05 tháng 3 năm 2020 của Chính phủ về công tác văn thư;",
                  f"Xét đề nghị của Trưởng phòng Lao động - Thương binh và Xã hội tại Tờ trình số "
                  f"{rng.randrange(10, 900)}/TTr-LĐTBXH ngày {dmy(issued - timedelta(days=rng.randrange(3, 30)))}."]:
        w.para(basis, italic=True)
    w.line("QUYẾT ĐỊNH:", align="center", bold=True)
    honor = "ông" if person.male else "bà"
    w.para(f"Điều 1. {article} {honor} {person.full_name}, sinh ngày {dmy(person.birth)}, số định danh cá nhân "
           f"{person.personal_id}, thường trú tại {person.residence}.")
    w.para("Điều 2. Giao Trưởng phòng Tài chính - Kế hoạch, Chủ tịch Ủy ban nhân dân phường, xã có liên quan "
           "tổ chức thực hiện Quyết định này.")
    two_pages = rng.random() < 0.5
    if two_pages:
        w.para("Điều 3. Quyết định này có hiệu lực kể từ ngày ký. Chánh Văn phòng Hội đồng nhân dân và Ủy ban "
               "nhân dân, Thủ trưởng các cơ quan, đơn vị có liên quan và cá nhân có tên tại Điều 1 chịu trách "
               "nhiệm thi hành Quyết định này./.")
        w = pages.new()
        w.gap(6)
    else:
        w.para("Điều 3. Quyết định này có hiệu lực kể từ ngày ký./.")
    w.gap(4)
    y0 = w.y
    w.recipients(["Như Điều 3", "Lưu: VT"])
    w.y = y0
    w.signature(["KT. CHỦ TỊCH", "PHÓ CHỦ TỊCH"] if rng.random() < 0.6 else ["CHỦ TỊCH"], official(rng))
    if two_pages:
        pages.footer(w, "2")
    fields = {"doc_number": number, "issue_date": iso(issued), "issuer": body, "owner_id": person.personal_id,
              "full_name": person.full_name}
    return Paper("quyet_dinh", "2p" if two_pages else "1p", pages.sheets, fields)


def to_khai(rng: random.Random, pages: Pages) -> Paper:
    person = P.random_person(rng, born_from=date(1950, 1, 1), born_to=date(2005, 1, 1))
    signed = P.random_date(rng, date(2020, 1, 1), date(2025, 10, 30))
    lines, body = ubnd(person.home, rng)
    title, purpose = rng.choice([
        ("TỜ KHAI THAY ĐỔI THÔNG TIN CƯ TRÚ", "Nội dung đề nghị: Đăng ký thường trú"),
        ("ĐƠN ĐỀ NGHỊ CẤP GIẤY PHÉP XÂY DỰNG", "Đề nghị cấp giấy phép xây dựng nhà ở riêng lẻ"),
        ("TỜ KHAI CẤP BẢN SAO TRÍCH LỤC HỘ TỊCH", "Đề nghị cấp bản sao trích lục khai sinh"),
        ("PHIẾU ĐỀ NGHỊ GIẢI QUYẾT THỦ TỤC HÀNH CHÍNH", "Đề nghị xác nhận tình trạng hôn nhân"),
    ])
    w = pages.new()
    w.national_only()
    w.title(title)
    w.line(f"Kính gửi: {body.title().replace('Ủy Ban Nhân Dân', 'Ủy ban nhân dân')}", align="center")
    w.gap(3)
    dots = rng.random() < 0.7
    w.field("1. Họ, chữ đệm và tên:" if rng.random() < 0.5 else "Họ, chữ đệm, tên người yêu cầu:",
            person.full_name.upper(), dots=dots)
    w.field("2. Ngày, tháng, năm sinh:", dmy(person.birth), dots=dots)
    w.field("3. Giới tính:", person.sex, dots=dots)
    w.field("4. Số định danh cá nhân:", person.personal_id, dots=dots)
    w.field("5. Số điện thoại liên hệ:", f"09{rng.randrange(10**8):08d}", dots=dots)
    w.field("6. Email:", "", dots=dots)
    w.field("7. Nơi cư trú:", person.residence, dots=dots)
    w.field("8. Nghề nghiệp:", person.occupation, dots=dots)
    w.field("9.", purpose, dots=dots)
    w.para("Tôi xin cam đoan những nội dung khai trên đây là đúng sự thật và chịu trách nhiệm trước pháp luật "
           "về lời khai của mình.", indent=10, italic=True)
    w.gap(4)
    w.signature(["NGƯỜI KÊ KHAI"], person.full_name, date_line=date_line(person.home, signed))
    fields = {"owner_id": person.personal_id, "full_name": person.full_name, "date_of_birth": iso(person.birth),
              "sex": person.sex, "issue_date": iso(signed)}
    return Paper("to_khai", title.split()[0].lower(), pages.sheets, fields)


def bhyt_printout(rng: random.Random, pages: Pages) -> Paper:
    """The A4 'THÔNG TIN THẺ BẢO HIỂM Y TẾ' printout (VssID / the social-insurance portal)."""
    person = P.random_person(rng, born_from=date(1940, 1, 1), born_to=date(2022, 1, 1))
    code = P.insurance_code(rng, person.home.province_code)
    start = P.random_date(rng, date(2021, 1, 1), date(2025, 6, 1)).replace(day=1)
    until = _add_months(start, 12) - timedelta(days=1)
    issued = start - timedelta(days=rng.randrange(3, 25))
    body = f"BẢO HIỂM XÃ HỘI {person.home.province_title.upper()}"
    w = pages.new()
    w.heading(["BẢO HIỂM XÃ HỘI VIỆT NAM", body], None, date_line(person.home, issued))
    w.title("THÔNG TIN THẺ BẢO HIỂM Y TẾ")
    rows = [["Thông tin", "Nội dung"], ["Họ và tên", person.full_name.upper()], ["Ngày sinh", dmy(person.birth)],
            ["Giới tính", person.sex], ["Mã số BHYT", code], ["Số CCCD", person.personal_id],
            ["Nơi đăng ký KCB ban đầu", f"Trạm Y tế {person.home.commune_full}"],
            ["Giá trị sử dụng", f"Từ {dmy(start)} đến {dmy(until)}"]]
    w.table([62, 106], rows, row_height=9.0)
    w.gap(6)
    w.signature(["GIÁM ĐỐC"], official(rng))
    fields = {"full_name": person.full_name, "date_of_birth": iso(person.birth), "sex": person.sex,
              "insurance_code": code, "owner_id": person.personal_id, "issue_date": iso(issued),
              "valid_until": iso(until), "issuer": body}
    return Paper("the_bao_hiem_y_te", "ban_in_a4", pages.sheets, fields)


PAPERS = {
    "giay_khai_sinh": khai_sinh, "trich_luc_khai_tu": khai_tu, "giay_chung_nhan_ket_hon": ket_hon,
    "xac_nhan_tinh_trang_hon_nhan": tinh_trang_hon_nhan, "xac_nhan_cu_tru": cu_tru,
    "giay_phep_xay_dung": xay_dung, "giay_chung_nhan_dang_ky_ho_kinh_doanh": ho_kinh_doanh,
    "giay_chung_nhan_quyen_su_dung_dat": quyen_su_dung_dat, "quyet_dinh": quyet_dinh, "to_khai": to_khai,
}
