"""Giấy chứng nhận kết hôn: marriage certificate."""

from __future__ import annotations

from datetime import date, timedelta

from pipeline.samples.blocks import Built, built_document, commune_issuer, header, person_fields, signature_block, title
from pipeline.samples.choices import Ctx
from pipeline.samples.layout import Cell, Composer
from pipeline.samples.people import Person
from pipeline.samples.wording import date_long, date_short, upper_vi


def t_giay_chung_nhan_ket_hon(ctx: Ctx, c: Composer, owner: Person | None) -> Built:
    variant = ctx.variant()
    issued = ctx.date_between(date(2016, 1, 1), date(2025, 6, 30))
    place = ctx.place()
    issuer = commune_issuer(ctx, place)
    born = (date(1960, 1, 1), issued - timedelta(days=365 * 20))
    first = owner or ctx.person(born=born)
    second = ctx.person(born=born, sex="Nữ" if first.sex == "Nam" else "Nam")
    husband, wife = (first, second) if first.sex == "Nam" else (second, first)
    number = f"{ctx.integer(1, 300)}"
    book = f"{ctx.integer(1, 2):02d}/{issued.year}"
    header(c, ctx, issuer, f"Số: {number}" if variant != 2 else None, None)
    title(c, "GIẤY CHỨNG NHẬN KẾT HÔN", "(BẢN SAO)" if variant == 1 else None)
    if variant == 2:
        c.field("Số", f"{number}   Quyển số: {book}")
    for label, p in (("chồng", husband), ("vợ", wife)):
        c.paragraph(f"Thông tin người {label}:", style="bold", indent=0) if variant == 0 else None
        c.field(f"Họ, chữ đệm, tên {label}" if variant != 0 else "Họ, chữ đệm, tên", upper_vi(p.full_name))
        c.field("Ngày, tháng, năm sinh", date_short(p.date_of_birth))
        c.field("Dân tộc", f"{p.ethnicity}   Quốc tịch: Việt Nam")
        c.field("Nơi cư trú", p.address)
        c.field("Giấy tờ tùy thân", f"Căn cước số {p.personal_id}")
    c.field("Nơi đăng ký kết hôn", f"Ủy ban nhân dân {place.ward_lower}, {place.district_lower}, {place.province_full}")
    c.field("Ngày, tháng, năm đăng ký", date_long(issued))
    if variant == 1:
        c.paragraph(f"Sao từ Sổ đăng ký kết hôn số {number}, quyển số {book}.", indent=0)
    left = [Cell("Chồng", "bold", c.s.body_pt, align="left"), Cell(husband.full_name, "regular", c.s.body_pt, skip=2, align="left"),
            Cell("Vợ", "bold", c.s.body_pt, skip=1, align="left"), Cell(wife.full_name, "regular", c.s.body_pt, skip=2, align="left")]
    signature_block(c, ctx, recipients=None, left_cells=left if variant != 1 else (),
                    authority=["TM. ỦY BAN NHÂN DÂN", ctx.choice(["CHỦ TỊCH", "KT. CHỦ TỊCH"])],
                    signer=ctx.name(ctx.choice(["Nam", "Nữ"])))
    fields = person_fields(first) | {"doc_number": number, "issue_date": issued.isoformat(), "issuer": issuer.body,
                                      "spouse_name": second.full_name, "spouse_id": second.personal_id}
    return built_document(c, first, f"giay_chung_nhan_ket_hon/v{variant}", "GIẤY CHỨNG NHẬN KẾT HÔN", fields)
