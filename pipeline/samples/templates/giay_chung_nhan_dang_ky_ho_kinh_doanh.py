"""Giấy chứng nhận đăng ký hộ kinh doanh: household business registration certificate."""

from __future__ import annotations

from datetime import date, timedelta

from pipeline.samples.blocks import (
    Built,
    Issuer,
    built_document,
    header,
    person_fields,
    place_date_line,
    signature_block,
    title,
)
from pipeline.samples.choices import Ctx
from pipeline.samples.layout import Composer
from pipeline.samples.people import Person
from pipeline.samples.wording import date_long, date_short, upper_vi

MONEY = [(50_000_000, "Năm mươi triệu đồng"), (100_000_000, "Một trăm triệu đồng"),
         (200_000_000, "Hai trăm triệu đồng"), (350_000_000, "Ba trăm năm mươi triệu đồng"),
         (30_000_000, "Ba mươi triệu đồng"), (500_000_000, "Năm trăm triệu đồng")]  # fmt: skip
TRADES = ["Bán lẻ lương thực, thực phẩm, đồ uống trong các cửa hàng chuyên doanh",
          "Dịch vụ ăn uống: quán cà phê, giải khát", "Cắt tóc, làm đầu, gội đầu",
          "Sửa chữa xe có động cơ, mô tô, xe máy", "Bán lẻ hàng may mặc, giày dép",
          "Kinh doanh nhà hàng, quán ăn", "Bán lẻ vật liệu xây dựng, đồ ngũ kim"]  # fmt: skip
SHOP_NAMES = ["TẠP HÓA {n}", "CÀ PHÊ {n}", "QUÁN ĂN {n}", "SỬA XE {n}", "THỜI TRANG {n}", "VẬT LIỆU XÂY DỰNG {n}"]


def t_giay_chung_nhan_dang_ky_ho_kinh_doanh(ctx: Ctx, c: Composer, owner: Person | None) -> Built:
    variant = ctx.variant()
    issued = ctx.date_between(date(2016, 1, 1), date(2025, 6, 30))
    place = ctx.place()
    p = owner or ctx.person(born=(date(1955, 1, 1), date(2003, 12, 31)))
    body = ctx.choice(["PHÒNG TÀI CHÍNH - KẾ HOẠCH", "PHÒNG KINH TẾ", "PHÒNG KINH TẾ - HẠ TẦNG"])
    issuer = Issuer(upper_vi(f"ỦY BAN NHÂN DÂN {place.district_full}"), body, place)
    tax_code = f"8{ctx.integer(0, 999_999_999):09d}"
    reg_number = f"{place.province_code[1:]}{ctx.choice(['A', 'B', 'C', 'D', 'E', 'M'])}{ctx.integer(8_000_000, 8_999_999)}"
    header(c, ctx, issuer, None, place_date_line(place, issued, ctx) if variant == 1 else None)
    title(c, "GIẤY CHỨNG NHẬN ĐĂNG KÝ HỘ KINH DOANH")
    if variant == 0:
        c.centered(f"Số: {reg_number}", style="regular", size=c.s.body_pt, gap=1)
    else:
        c.centered(f"Mã số hộ kinh doanh: {tax_code}", style="regular", size=c.s.body_pt, gap=1)
    c.centered(f"Đăng ký lần đầu: {date_long(issued - timedelta(days=ctx.integer(0, 900)))}", style="italic",
               size=c.s.body_pt, gap=0)
    if ctx.chance(0.5):
        c.centered(f"Đăng ký thay đổi lần thứ {ctx.integer(1, 4)}: {date_long(issued)}", style="italic", size=c.s.body_pt, gap=0)
    c.space(4)
    shop = upper_vi("HỘ KINH DOANH " + ctx.choice(SHOP_NAMES).format(n=upper_vi(p.full_name.split()[-1] + " " + ctx.choice(["PHÁT", "ANH", "LỘC", "AN", "HƯNG"]))))
    amount, words = ctx.choice(MONEY)
    c.field("1. Tên hộ kinh doanh", shop)
    c.field("2. Địa điểm kinh doanh", ctx.street_address(place))
    c.field("Điện thoại", f"09{ctx.integer(10000000, 99999999)}   Email: không")
    c.field("3. Ngành, nghề kinh doanh", ctx.choice(TRADES))
    c.field("4. Vốn kinh doanh", f"{amount:,} đồng".replace(",", ".") + f" (Bằng chữ: {words})")
    if variant != 1:
        c.field("5. Mã số thuế", tax_code)
    c.paragraph(f"{6 if variant != 1 else 5}. Thông tin về chủ hộ kinh doanh:", indent=0)
    c.field("Họ, chữ đệm và tên", upper_vi(p.full_name))
    c.field("Giới tính", f"{p.sex}   Sinh ngày: {date_short(p.date_of_birth)}   Dân tộc: {p.ethnicity}")
    c.field("Quốc tịch", "Việt Nam")
    c.field("Số định danh cá nhân", p.personal_id)
    c.field("Nơi cư trú", p.address)
    if variant == 2:
        c.paragraph("7. Danh sách thành viên hộ gia đình tham gia kinh doanh:", indent=0)
        for index in range(1, ctx.integer(2, 4)):
            m = ctx.person()
            c.paragraph(f"{index}. {m.full_name}, sinh ngày {date_short(m.date_of_birth)}, số định danh cá nhân {m.personal_id}.",
                        indent=0, gap=0.5)
    signature_block(c, ctx, recipients=["- Chủ hộ kinh doanh;", "- Chi cục Thuế khu vực;", "- Lưu: VT."] if variant != 0 else None,
                    authority=["TRƯỞNG PHÒNG"] if ctx.chance(0.6) else ["KT. TRƯỞNG PHÒNG", "PHÓ TRƯỞNG PHÒNG"],
                    signer=ctx.name(ctx.choice(["Nam", "Nữ"])))
    fields = person_fields(p) | {"doc_number": reg_number if variant == 0 else tax_code, "issue_date": issued.isoformat(),
                                  "issuer": issuer.body, "tax_code": tax_code, "business_name": shop}
    return built_document(c, p, f"giay_chung_nhan_dang_ky_ho_kinh_doanh/v{variant}", "GIẤY CHỨNG NHẬN ĐĂNG KÝ HỘ KINH DOANH", fields)
