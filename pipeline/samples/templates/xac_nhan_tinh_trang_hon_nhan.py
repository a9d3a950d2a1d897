"""Giấy xác nhận tình trạng hôn nhân: marital status confirmation."""

from __future__ import annotations

from datetime import date, timedelta

from pipeline.samples.blocks import (
    Built,
    built_document,
    commune_issuer,
    header,
    person_fields,
    place_date_line,
    signature_block,
    title,
)
from pipeline.samples.choices import Ctx
from pipeline.samples.layout import Composer
from pipeline.samples.people import Person
from pipeline.samples.wording import add_months, date_short, upper_vi


def t_xac_nhan_tinh_trang_hon_nhan(ctx: Ctx, c: Composer, owner: Person | None) -> Built:
    variant = ctx.variant()
    issued = ctx.date_between(date(2018, 1, 1), date(2025, 6, 30))
    place = ctx.place()
    issuer = commune_issuer(ctx, place)
    p = owner or ctx.person(born=(date(1960, 1, 1), date(2005, 12, 31)))
    number = ctx.choice([f"{ctx.integer(1, 400)}/XNTTHN", f"{ctx.integer(1, 400)}/UBND-XNTTHN", f"{ctx.integer(1, 400)}"])
    header(c, ctx, issuer, f"Số: {number}", place_date_line(place, issued, ctx) if variant != 2 else None)
    title(c, "GIẤY XÁC NHẬN TÌNH TRẠNG HÔN NHÂN")
    level = f"Ủy ban nhân dân {place.ward_lower}, {place.district_lower}, {place.province_full}"
    if variant == 1:
        c.paragraph(f"Xét đề nghị của {'ông' if p.sex == 'Nam' else 'bà'} {p.full_name} về việc cấp Giấy xác nhận tình trạng hôn nhân,")
        c.paragraph(f"{level} xác nhận:", indent=0)
    else:
        c.paragraph(f"{level}", indent=0, align="left")
        c.paragraph("Xác nhận:", style="bold", indent=0)
    c.field("Họ, chữ đệm, tên", upper_vi(p.full_name) if ctx.chance(0.5) else p.full_name)
    c.field("Ngày, tháng, năm sinh", date_short(p.date_of_birth))
    c.field("Giới tính", f"{p.sex}   Dân tộc: {p.ethnicity}   Quốc tịch: Việt Nam")
    c.field("Giấy tờ tùy thân", f"Căn cước số {p.personal_id}")
    c.field("Nơi cư trú", p.address)
    c.field("Trong thời gian cư trú tại", f"{place.ward_lower}, {place.district_lower} từ ngày "
            f"{date_short(p.date_of_birth + timedelta(days=365 * 18))} đến ngày {date_short(issued)}")
    status = ctx.choice(["Chưa đăng ký kết hôn với ai.", "Hiện tại chưa đăng ký kết hôn với ai.",
                         f"Đã đăng ký kết hôn, nhưng đã ly hôn theo Bản án số {ctx.integer(10, 500)}/{issued.year - 2}/HNGĐ-ST; hiện tại chưa đăng ký kết hôn với ai."])
    c.field("Tình trạng hôn nhân", status)
    c.field("Giấy này được cấp để", ctx.choice(["làm thủ tục đăng ký kết hôn.", "bổ sung hồ sơ vay vốn ngân hàng.",
                                                 "làm thủ tục chuyển nhượng quyền sử dụng đất."]))
    valid = add_months(issued, 6)
    c.paragraph("Giấy này có giá trị sử dụng trong thời hạn 6 tháng, kể từ ngày cấp.", style="italic", indent=0)
    authority = ["TM. ỦY BAN NHÂN DÂN", ctx.choice(["CHỦ TỊCH", "KT. CHỦ TỊCH"])]
    if variant == 2:
        authority = [place_date_line(place, issued, ctx), "NGƯỜI KÝ GIẤY XÁC NHẬN"]
    signature_block(c, ctx, recipients=["- Như trên;", "- Lưu: VT, HT."] if variant == 0 else None,
                    authority=authority, signer=ctx.name(ctx.choice(["Nam", "Nữ"])))
    fields = person_fields(p) | {"doc_number": number, "issue_date": issued.isoformat(), "issuer": issuer.body,
                                  "valid_until": valid.isoformat()}
    return built_document(c, p, f"xac_nhan_tinh_trang_hon_nhan/v{variant}", "GIẤY XÁC NHẬN TÌNH TRẠNG HÔN NHÂN", fields)
