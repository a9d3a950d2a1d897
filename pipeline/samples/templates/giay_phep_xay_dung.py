"""Giấy phép xây dựng: construction permit for a private house."""

from __future__ import annotations

from datetime import date

from pipeline.samples.blocks import (
    Built,
    built_document,
    district_issuer,
    header,
    person_fields,
    place_date_line,
    signature_block,
    title,
)
from pipeline.samples.choices import Ctx
from pipeline.samples.layout import Composer
from pipeline.samples.people import Person
from pipeline.samples.wording import add_months


def t_giay_phep_xay_dung(ctx: Ctx, c: Composer, owner: Person | None) -> Built:
    variant = ctx.variant()
    issued = ctx.date_between(date(2018, 1, 1), date(2025, 6, 30))
    place = ctx.place()
    issuer = district_issuer(ctx, place)
    p = owner or ctx.person(born=(date(1950, 1, 1), date(2000, 12, 31)))
    number = ctx.choice([f"{ctx.integer(1, 3000)}/GPXD", f"{ctx.integer(1, 3000)}/GPXD-UBND", f"{ctx.integer(1, 3000)}/{issued.year}/GPXD"])
    header(c, ctx, issuer, f"Số: {number}" if variant != 1 else None, place_date_line(place, issued, ctx))
    title(c, "GIẤY PHÉP XÂY DỰNG", f"Số: {number}" if variant == 1 else "(Sử dụng cho nhà ở riêng lẻ)")
    c.paragraph(f"1. Cấp cho: {'Ông' if p.sex == 'Nam' else 'Bà'} {p.full_name}", indent=0)
    c.field("Số định danh cá nhân", p.personal_id, ) if variant != 2 else None
    c.field("Địa chỉ", p.address)
    c.paragraph("2. Được phép xây dựng công trình: Nhà ở riêng lẻ", indent=0)
    c.field("- Theo thiết kế", f"do {ctx.choice(['Công ty TNHH Tư vấn Thiết kế Xây dựng An Phát', 'Công ty Cổ phần Kiến trúc Nam Việt', 'chủ đầu tư tự lập'])} lập")
    c.paragraph("- Gồm các nội dung sau:", indent=0)
    site = f"thửa đất số {ctx.integer(10, 900)}, tờ bản đồ số {ctx.integer(1, 80)}, {ctx.street_address(place)}"
    items = [
        f"+ Vị trí xây dựng: {site}.",
        f"+ Cốt nền xây dựng công trình: +{ctx.integer(15, 60) / 100:.2f} m so với cốt vỉa hè.".replace(".", ",", 1),
        f"+ Mật độ xây dựng: {ctx.integer(50, 100)}%; hệ số sử dụng đất: {ctx.integer(10, 50) / 10:.1f} lần.".replace(".", ",", 1),
        f"+ Chỉ giới đường đỏ, chỉ giới xây dựng: cách tim đường {ctx.integer(4, 15)},{ctx.integer(0, 9)} m.",
        f"+ Màu sắc công trình: {ctx.choice(['trắng, vàng nhạt', 'xám nhạt', 'kem, nâu'])}.",
        f"+ Diện tích xây dựng tầng 1 (tầng trệt): {ctx.integer(40, 150)},{ctx.integer(0, 9)} m2.",
        f"+ Tổng diện tích sàn: {ctx.integer(100, 600)},{ctx.integer(0, 9)} m2 (bao gồm cả tầng hầm, tầng lửng và tum).",
        f"+ Chiều cao công trình: {ctx.integer(4, 20)},{ctx.integer(0, 9)} m.",
        f"+ Số tầng: {ctx.integer(1, 5)} tầng{ctx.choice(['', ' và 1 tum', ', 1 tầng lửng'])}.",
    ]
    for item in items:
        c.paragraph(item, indent=0, hanging=4, gap=0.5)
    months = 12
    valid = add_months(issued, months)
    c.paragraph(f"3. Giấy phép này có hiệu lực khởi công xây dựng trong thời hạn {months} tháng kể từ ngày cấp; quá "
                "thời hạn trên thì phải đề nghị gia hạn giấy phép xây dựng.", indent=0)
    signature_block(c, ctx, recipients=["- Chủ đầu tư;", "- Lưu: VT, QLĐT."],
                    authority=["KT. CHỦ TỊCH", "PHÓ CHỦ TỊCH"] if ctx.chance(0.6) else ["CHỦ TỊCH"],
                    signer=ctx.name(ctx.choice(["Nam", "Nữ"])))
    if variant != 2:
        c.new_page()
        c.centered("CHỦ ĐẦU TƯ PHẢI THỰC HIỆN CÁC NỘI DUNG SAU ĐÂY:", size=c.s.body_pt, gap=3)
        duties = [
            "Phải hoàn toàn chịu trách nhiệm trước pháp luật nếu xâm phạm các quyền hợp pháp của các chủ sở hữu liền kề.",
            "Phải thực hiện đúng các quy định của pháp luật về đất đai, về đầu tư xây dựng và Giấy phép xây dựng này.",
            "Phải thông báo cho cơ quan cấp phép xây dựng đến kiểm tra khi định vị công trình, xây móng và công trình ngầm.",
            "Giấy phép xây dựng phải được công khai tại địa điểm thi công xây dựng trong suốt quá trình thi công.",
            "Khi cần thay đổi thiết kế thì phải báo cáo và chờ quyết định của cơ quan cấp giấy phép xây dựng.",
            "Chủ đầu tư chịu trách nhiệm bảo đảm an toàn cho công trình và các công trình lân cận, vệ sinh môi trường trong suốt thời gian thi công.",
        ]
        for index, duty in enumerate(duties, 1):
            c.paragraph(f"{index}. {duty}", indent=0)
        if variant == 0:
            c.centered("ĐIỀU CHỈNH / GIA HẠN GIẤY PHÉP", size=c.s.body_pt, gap=3)
            for label in ("1. Nội dung điều chỉnh/gia hạn:", "2. Thời gian có hiệu lực của giấy phép:"):
                c.paragraph(label, indent=0)
    fields = person_fields(p) | {"doc_number": number, "issue_date": issued.isoformat(), "issuer": issuer.body,
                                  "valid_until": valid.isoformat()}
    fields.pop("date_of_birth")
    fields.pop("sex")
    if variant == 2:
        fields.pop("owner_id")
    return built_document(c, p, f"giay_phep_xay_dung/v{variant}", "GIẤY PHÉP XÂY DỰNG", fields)
