"""Trích lục khai tử: death register extract."""

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
from pipeline.samples.wording import date_long, date_short, upper_vi


def t_trich_luc_khai_tu(ctx: Ctx, c: Composer, owner: Person | None) -> Built:
    variant = ctx.variant()
    issued = ctx.date_between(date(2016, 1, 1), date(2025, 6, 30))
    died = issued - timedelta(days=ctx.integer(1, 40))
    place = ctx.place()
    issuer = commune_issuer(ctx, place)
    p = owner or ctx.person(born=(date(1925, 1, 1), date(1975, 12, 31)))
    number = ctx.choice([f"{ctx.integer(1, 300)}/TLKT-BS", f"{ctx.integer(1, 300)}/TLKT", f"{ctx.integer(1, 300)}"])
    header(c, ctx, issuer, f"Số: {number}", place_date_line(place, issued, ctx) if variant == 0 else None)
    title(c, "TRÍCH LỤC KHAI TỬ", ctx.choice(["(BẢN SAO)", "(BẢN CHÍNH)"]) if variant != 2 else None)
    c.field("Họ, chữ đệm, tên", upper_vi(p.full_name))
    c.field("Ngày, tháng, năm sinh", date_short(p.date_of_birth))
    c.field("Giới tính", f"{p.sex}   Dân tộc: {p.ethnicity}   Quốc tịch: Việt Nam")
    c.field("Số định danh cá nhân", p.personal_id)
    c.field("Nơi cư trú cuối cùng", p.address)
    c.field("Đã chết vào lúc", f"{ctx.integer(0, 23)} giờ {ctx.integer(0, 59):02d} phút, {date_long(died)}")
    c.field("Nơi chết", ctx.choice(["Tại nhà riêng", f"Bệnh viện Đa khoa {place.province}", f"Trung tâm Y tế {place.district_full}"]))
    c.field("Nguyên nhân chết", ctx.choice(["Bệnh", "Già yếu", "Tai nạn giao thông", "Bệnh lý tim mạch"]))
    c.field("Giấy báo tử/Giấy tờ thay thế Giấy báo tử", f"Số {ctx.integer(1, 999)}/GBT do {ctx.choice(['Ủy ban nhân dân', 'Trạm Y tế'])} {place.ward_lower} cấp {date_long(died + timedelta(days=1))}")
    c.field("Nơi đăng ký khai tử", f"Ủy ban nhân dân {place.ward_lower}, {place.district_lower}, {place.province_full}")
    c.field("Ngày, tháng, năm đăng ký", date_long(issued))
    if variant == 1:
        c.field("Ghi chú", "Đã xóa đăng ký thường trú theo quy định.")
    authority = [place_date_line(place, issued, ctx)] if variant != 0 else []
    authority += ["NGƯỜI KÝ TRÍCH LỤC", "(Ký, ghi rõ họ, chữ đệm, tên, chức vụ và đóng dấu)"] if variant == 2 else ["TM. ỦY BAN NHÂN DÂN", "CHỦ TỊCH"]
    signature_block(c, ctx, recipients=["- Người yêu cầu;", "- Lưu: VT, HT."] if variant == 0 else None,
                    authority=authority, signer=ctx.name(ctx.choice(["Nam", "Nữ"])))
    fields = person_fields(p) | {"doc_number": number, "issue_date": issued.isoformat(), "issuer": issuer.body,
                                  "date_of_death": died.isoformat()}
    return built_document(c, p, f"trich_luc_khai_tu/v{variant}", "TRÍCH LỤC KHAI TỬ", fields)
