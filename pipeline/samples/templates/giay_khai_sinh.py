"""Giấy khai sinh: birth certificate (the original, a certified register extract, or one
numbered by register book).
"""

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
from pipeline.samples.layout import Cell, Composer
from pipeline.samples.people import Person
from pipeline.samples.wording import date_long, date_short, date_words, upper_vi


def t_giay_khai_sinh(ctx: Ctx, c: Composer, owner: Person | None) -> Built:
    variant = ctx.variant()
    issued = ctx.date_between(date(2016, 1, 1), date(2025, 6, 30))
    child = owner or ctx.person(born=(issued - timedelta(days=365 * 5), issued - timedelta(days=3)))
    place = ctx.place()
    issuer = commune_issuer(ctx, place)
    father = ctx.person(born=(date(1965, 1, 1), date(2000, 12, 31)), sex="Nam", surname=child.full_name.split()[0])
    mother = ctx.person(born=(date(1968, 1, 1), date(2002, 12, 31)), sex="Nữ")
    number = f"{ctx.integer(1, 900)}"
    book = f"{ctx.integer(1, 3):02d}/{issued.year}"
    header(c, ctx, issuer, None if variant == 2 else f"Số: {number}", None)
    if variant == 0:
        title(c, "GIẤY KHAI SINH")
        template = "giay_khai_sinh/ban_chinh"
        doc_number = number
    elif variant == 1:
        title(c, "TRÍCH LỤC KHAI SINH", "(BẢN SAO)")
        template = "giay_khai_sinh/trich_luc_ban_sao"
        doc_number = number
    else:
        title(c, "GIẤY KHAI SINH")
        c.field("Số", f"{number}     Quyển số: {book}")
        template = "giay_khai_sinh/quyen_so"
        doc_number = number
    up = ctx.chance(0.7)
    c.field("Họ, chữ đệm, tên", upper_vi(child.full_name) if up else child.full_name, style="regular")
    c.field("Ngày, tháng, năm sinh", date_short(child.date_of_birth))
    c.field("ghi bằng chữ", date_words(child.date_of_birth))
    c.field("Giới tính", f"{child.sex}   Dân tộc: {child.ethnicity}   Quốc tịch: Việt Nam")
    c.field("Nơi sinh", ctx.choice([f"Bệnh viện Đa khoa {place.province}", f"Bệnh viện Phụ sản {place.province}",
                                    f"Trạm Y tế {place.ward_lower}, {place.district_lower}, {place.province_full}",
                                    f"Trung tâm Y tế {place.district_full}, {place.province_full}"]))
    home = ctx.place()
    c.field("Quê quán", ctx.choice([f"{home.ward_full}, {home.district_full}, {home.province_full}",
                                    f"{home.district_full}, {home.province_full}", home.province_full]))
    c.field("Số định danh cá nhân", child.personal_id)
    for label, parent in (("mẹ", mother), ("cha", father)):
        c.field(f"Họ, chữ đệm, tên người {label}", upper_vi(parent.full_name) if up else parent.full_name)
        c.field("Năm sinh", f"{parent.date_of_birth.year}   Dân tộc: {parent.ethnicity}   Quốc tịch: Việt Nam")
        c.field("Nơi cư trú", parent.address)
    declarant = ctx.choice([father, mother])
    c.field("Họ, chữ đệm, tên người đi khai sinh", declarant.full_name)
    c.field("Giấy tờ tùy thân", f"Căn cước số {declarant.personal_id}")
    c.field("Nơi đăng ký khai sinh", f"Ủy ban nhân dân {place.ward_lower}, {place.district_lower}, {place.province_full}")
    c.field("Ngày, tháng, năm đăng ký", date_long(issued))
    if variant == 1:
        c.paragraph(f"Sao từ Sổ đăng ký khai sinh: Số {number}, Quyển số {book}.", indent=0)
    left = [Cell("Người thực hiện", "bold", c.s.body_pt)] if variant != 1 else []
    signer = ctx.name(ctx.choice(["Nam", "Nữ"]))
    signature_block(c, ctx, recipients=None, left_cells=left,
                    authority=[place_date_line(place, issued, ctx) if variant == 1 else "NGƯỜI KÝ GIẤY KHAI SINH",
                               ctx.choice(["CHỦ TỊCH", "PHÓ CHỦ TỊCH", "KT. CHỦ TỊCH"])], signer=signer)
    fields = person_fields(child) | {"doc_number": doc_number, "issue_date": issued.isoformat(),
                                      "issuer": issuer.body, "father_name": father.full_name,
                                      "mother_name": mother.full_name}
    return built_document(c, child, template, "GIẤY KHAI SINH" if variant != 1 else "TRÍCH LỤC KHAI SINH", fields)
