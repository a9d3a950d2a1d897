"""Giấy xác nhận thông tin về cư trú: residence information confirmation, from the ward police."""

from __future__ import annotations

from datetime import date, timedelta

from pipeline.samples.blocks import (
    Built,
    built_document,
    header,
    person_fields,
    place_date_line,
    police_issuer,
    signature_block,
    title,
)
from pipeline.samples.choices import Ctx
from pipeline.samples.layout import Composer
from pipeline.samples.people import Person
from pipeline.samples.wording import date_short, upper_vi


def t_xac_nhan_cu_tru(ctx: Ctx, c: Composer, owner: Person | None) -> Built:
    variant = ctx.variant()
    issued = ctx.date_between(date(2021, 7, 1), date(2025, 6, 30))
    place = ctx.place()
    issuer = police_issuer(ctx, place)
    p = owner or ctx.person(born=(date(1950, 1, 1), date(2005, 12, 31)))
    number = ctx.choice([f"{ctx.integer(1, 3000)}/XNCT", f"{ctx.integer(1, 3000)}/GXN-CA", f"{ctx.integer(1, 3000)}"])
    header(c, ctx, issuer, f"Số: {number}", place_date_line(place, issued, ctx))
    title_text = ["GIẤY XÁC NHẬN THÔNG TIN VỀ CƯ TRÚ", "XÁC NHẬN THÔNG TIN VỀ CƯ TRÚ", "GIẤY XÁC NHẬN CƯ TRÚ"][variant]
    title(c, title_text)
    c.paragraph(f"Công an {place.ward_lower} xác nhận thông tin về cư trú của công dân như sau:", indent=c.s.indent)
    c.field("1. Họ, chữ đệm và tên", upper_vi(p.full_name))
    c.field("2. Ngày, tháng, năm sinh", date_short(p.date_of_birth))
    c.field("3. Giới tính", p.sex)
    c.field("4. Số định danh cá nhân", p.personal_id)
    c.field("5. Nơi thường trú", p.address)
    c.field("6. Nơi tạm trú", ctx.choice(["Không", ctx.street_address(place)]))
    c.field("7. Nơi ở hiện tại", p.address)
    c.field("8. Họ, chữ đệm và tên chủ hộ", p.full_name if ctx.chance(0.5) else ctx.person().full_name)
    c.field("9. Quan hệ với chủ hộ", ctx.choice(["Chủ hộ", "Con", "Vợ", "Chồng", "Cháu"]))
    if variant != 1:
        c.paragraph("10. Thông tin các thành viên trong hộ gia đình:", indent=0)
        for index in range(1, ctx.integer(2, 5)):
            member = ctx.person()
            c.paragraph(f"- {member.full_name}, sinh ngày {date_short(member.date_of_birth)}, số định danh cá nhân "
                        f"{member.personal_id}, quan hệ với chủ hộ: {ctx.choice(['Con', 'Vợ', 'Chồng', 'Mẹ', 'Cha'])}.",
                        indent=0, gap=0.5)
    valid = issued + timedelta(days=30)
    c.paragraph(f"Giấy xác nhận có giá trị 30 ngày kể từ ngày cấp, đến hết ngày {date_short(valid)}. Trường hợp thông tin "
                "về cư trú của công dân có sự thay đổi, điều chỉnh thì giấy xác nhận hết giá trị kể từ thời điểm thay đổi.",
                style="italic")
    signature_block(c, ctx, recipients=["- Công dân;", "- Lưu: hồ sơ cư trú."],
                    authority=["TRƯỞNG CÔNG AN", "(Ký, ghi rõ họ tên và đóng dấu)"] if variant == 2 else ["TRƯỞNG CÔNG AN"],
                    signer=ctx.choice(["Thiếu tá", "Trung tá", "Đại úy"]) + " " + ctx.name("Nam"))
    fields = person_fields(p) | {"doc_number": number, "issue_date": issued.isoformat(), "issuer": issuer.body,
                                  "valid_until": valid.isoformat()}
    return built_document(c, p, f"xac_nhan_cu_tru/v{variant}", title_text, fields)
