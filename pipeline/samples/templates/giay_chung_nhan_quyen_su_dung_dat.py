"""Giấy chứng nhận quyền sử dụng đất: land use right certificate (red book)."""

from __future__ import annotations

from datetime import date

from pipeline.samples.blocks import Built, Issuer, built_document, header, person_fields, signature_block, title
from pipeline.samples.choices import Ctx
from pipeline.samples.layout import Cell, Composer
from pipeline.samples.people import Person
from pipeline.samples.wording import date_long, date_short, number_words, upper_vi


def t_giay_chung_nhan_quyen_su_dung_dat(ctx: Ctx, c: Composer, owner: Person | None) -> Built:
    variant = ctx.variant()
    issued = ctx.date_between(date(2010, 1, 1), date(2025, 6, 30))
    place = ctx.place()
    if variant == 2:
        body = upper_vi(f"ỦY BAN NHÂN DÂN {place.district_full}")
        parent = ""
    else:
        body = "SỞ TÀI NGUYÊN VÀ MÔI TRƯỜNG"
        parent = upper_vi(f"ỦY BAN NHÂN DÂN {place.province_full}")
    issuer = Issuer(parent, body, place)
    p = owner or ctx.person(born=(date(1940, 1, 1), date(2000, 12, 31)))
    long_title = ("GIẤY CHỨNG NHẬN QUYỀN SỬ DỤNG ĐẤT, QUYỀN SỞ HỮU TÀI SẢN GẮN LIỀN VỚI ĐẤT" if issued.year >= 2024
                  else "GIẤY CHỨNG NHẬN QUYỀN SỬ DỤNG ĐẤT, QUYỀN SỞ HỮU NHÀ Ở VÀ TÀI SẢN KHÁC GẮN LIỀN VỚI ĐẤT")
    if variant == 1:
        long_title = "GIẤY CHỨNG NHẬN QUYỀN SỬ DỤNG ĐẤT"
    header(c, ctx, issuer if variant != 0 else None, None, None)
    title(c, long_title)
    serial = f"{ctx.choice(['CS', 'CT', 'DA', 'BV', 'CH'])} {ctx.integer(100_000, 999_999)}"
    entry = f"CS {ctx.integer(1000, 99999):05d}"
    area = ctx.integer(40, 800)
    decimal = ctx.integer(0, 9)
    c.paragraph("I. Người sử dụng đất, chủ sở hữu nhà ở và tài sản khác gắn liền với đất", style="bold", indent=0)
    c.paragraph(f"{'Ông' if p.sex == 'Nam' else 'Bà'}: {upper_vi(p.full_name)}, sinh năm {p.date_of_birth.year}, "
                f"CCCD số: {p.personal_id}; địa chỉ thường trú: {p.address}.", indent=0)
    if ctx.chance(0.5):
        sp = ctx.person(sex="Nữ" if p.sex == "Nam" else "Nam")
        c.paragraph(f"{'Bà' if sp.sex == 'Nữ' else 'Ông'}: {upper_vi(sp.full_name)}, sinh năm {sp.date_of_birth.year}, "
                    f"CCCD số: {sp.personal_id}; cùng địa chỉ.", indent=0)
    c.paragraph("II. Thửa đất, nhà ở và tài sản khác gắn liền với đất", style="bold", indent=0)
    c.paragraph("1. Thửa đất:", indent=0)
    land = [
        f"a) Thửa đất số: {ctx.integer(1, 999)}, tờ bản đồ số: {ctx.integer(1, 90)};",
        f"b) Địa chỉ: {ctx.street_address(place)};",
        f"c) Diện tích: {area},{decimal} m2 (bằng chữ: {number_words(area)} phẩy {number_words(decimal)} mét vuông);",
        f"d) Hình thức sử dụng: {ctx.choice(['Sử dụng riêng', 'Sử dụng chung'])};",
        f"đ) Mục đích sử dụng: {ctx.choice(['Đất ở tại đô thị', 'Đất ở tại nông thôn', 'Đất trồng cây lâu năm'])};",
        f"e) Thời hạn sử dụng: {ctx.choice(['Lâu dài', 'đến ngày 15/10/2063'])};",
        f"g) Nguồn gốc sử dụng: {ctx.choice(['Nhà nước công nhận quyền sử dụng đất', 'Nhận chuyển nhượng đất được công nhận quyền sử dụng đất', 'Được tặng cho đất được công nhận quyền sử dụng đất'])}.",
    ]
    for item in land:
        c.paragraph(item, indent=5, hanging=5, gap=0.5)
    c.paragraph(f"2. Nhà ở: {ctx.choice(['Nhà ở riêng lẻ; diện tích xây dựng: ' + str(ctx.integer(40, 150)) + ' m2; kết cấu: bê tông cốt thép; số tầng: ' + str(ctx.integer(1, 4)), '-/-'])}", indent=0)
    c.paragraph("3. Công trình xây dựng khác: -/-", indent=0)
    c.paragraph("4. Rừng sản xuất là rừng trồng: -/-", indent=0)
    c.paragraph("5. Cây lâu năm: -/-", indent=0)
    c.paragraph("6. Ghi chú: " + ctx.choice(["Không", "Thửa đất có một phần diện tích thuộc hành lang an toàn giao thông."]), indent=0)
    signature_block(c, ctx, recipients=None,
                    left_cells=[Cell(f"Số vào sổ cấp GCN: {entry}", "regular", c.s.body_pt, align="left")],
                    authority=[f"{place.place_name}, {date_long(issued)}",
                               "TM. ỦY BAN NHÂN DÂN" if variant == 2 else "KT. GIÁM ĐỐC",
                               "CHỦ TỊCH" if variant == 2 else "PHÓ GIÁM ĐỐC"],
                    signer=ctx.name(ctx.choice(["Nam", "Nữ"])))
    if variant != 1:
        c.new_page()
        c.paragraph("III. Sơ đồ thửa đất, nhà ở và tài sản khác gắn liền với đất", style="bold", indent=0)
        c.shape("rect", c.s.left + 30, c.y + 3, 90, 70)
        c.space(80)
        c.paragraph("IV. Những thay đổi sau khi cấp Giấy chứng nhận", style="bold", indent=0)
        for _ in range(ctx.integer(0, 2)):
            changed = ctx.date_between(issued, date(2025, 6, 30))
            c.paragraph(f"- Ngày {date_short(changed)}: {ctx.choice(['Thế chấp bằng quyền sử dụng đất tại Ngân hàng Nông nghiệp và Phát triển Nông thôn Việt Nam', 'Xóa thế chấp theo hồ sơ số ' + str(ctx.integer(100, 9999)), 'Đính chính thông tin người sử dụng đất do cấp Căn cước'])}.",
                        indent=0)
    fields = person_fields(p) | {"doc_number": serial, "issue_date": issued.isoformat(), "issuer": body,
                                  "register_number": entry}
    fields.pop("date_of_birth")
    fields.pop("sex")
    fields["birth_year"] = str(p.date_of_birth.year)
    c.pages  # noqa: B018 - the serial is printed on the cover, which is not reproduced
    return built_document(c, p, f"giay_chung_nhan_quyen_su_dung_dat/v{variant}", long_title, fields)
