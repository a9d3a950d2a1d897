"""Quyết định: decision of a people's committee or its chair (a building permit, an approved
list of households, a decision about one person).
"""

from __future__ import annotations

from datetime import date

from pipeline.samples.blocks import (
    Built,
    built_document,
    commune_issuer,
    district_issuer,
    header,
    legal_bases,
    place_date_line,
    signature_block,
    title,
)
from pipeline.samples.choices import Ctx
from pipeline.samples.layout import Composer
from pipeline.samples.people import Person
from pipeline.samples.wording import date_short, upper_vi


def t_quyet_dinh(ctx: Ctx, c: Composer, owner: Person | None) -> Built:
    variant = ctx.variant()
    issued = ctx.date_between(date(2018, 1, 1), date(2025, 6, 30))
    place = ctx.place()
    district = ctx.chance(0.5)
    issuer = district_issuer(ctx, place) if district else commune_issuer(ctx, place)
    level = place.district_full if district else place.ward_full
    level_lower = place.district_lower if district else place.ward_lower
    number = ctx.number("QĐ-UBND", issued.year, with_year=0.25)
    header(c, ctx, issuer, f"Số: {number}", place_date_line(place, issued, ctx))
    person = owner or ctx.person(born=(date(1950, 1, 1), date(2000, 12, 31)))
    subject = "ông" if person.sex == "Nam" else "bà"
    if variant == 0:
        summary = f"Về việc cấp giấy phép xây dựng nhà ở riêng lẻ cho {subject} {person.full_name}"
        template = "quyet_dinh/cap_phep"
    elif variant == 1:
        summary = ctx.choice(["Về việc phê duyệt danh sách hộ gia đình được hỗ trợ kinh phí sửa chữa nhà ở",
                              "Về việc phê duyệt danh sách đối tượng hưởng trợ cấp xã hội hằng tháng",
                              "Về việc hỗ trợ kinh phí mua thẻ bảo hiểm y tế cho người thuộc hộ cận nghèo"])
        template = "quyet_dinh/danh_sach"
    else:
        summary = ctx.choice([f"Về việc công nhận kết quả hòa giải thành ngoài Tòa án cho {subject} {person.full_name}",
                              f"Về việc thu hồi Giấy chứng nhận đăng ký hộ kinh doanh của {subject} {person.full_name}",
                              f"Về việc khen thưởng {subject} {person.full_name} đã có thành tích xuất sắc"])
        template = "quyet_dinh/ca_nhan"
    title(c, "QUYẾT ĐỊNH", summary)
    c.centered(f"ỦY BAN NHÂN DÂN {upper_vi(level)}" if ctx.chance(0.5) else f"CHỦ TỊCH ỦY BAN NHÂN DÂN {upper_vi(level)}",
               size=c.s.body_pt, gap=3)
    extra = {
        0: ["Căn cứ Luật Xây dựng ngày 18 tháng 6 năm 2014; Luật sửa đổi, bổ sung một số điều của Luật Xây dựng ngày 17 tháng 6 năm 2020;",
            "Căn cứ Nghị định số 15/2021/NĐ-CP ngày 03 tháng 3 năm 2021 của Chính phủ quy định chi tiết một số nội dung về quản lý dự án đầu tư xây dựng;"],
        1: ["Căn cứ Nghị định số 20/2021/NĐ-CP ngày 15 tháng 3 năm 2021 của Chính phủ quy định chính sách trợ giúp xã hội đối với đối tượng bảo trợ xã hội;",
            f"Căn cứ Kế hoạch số {ctx.integer(10, 300)}/KH-UBND ngày {ctx.integer(10, 28)} tháng {ctx.integer(1, 12):02d} năm {issued.year - 1} của Ủy ban nhân dân {level_lower};"],
        2: ["Căn cứ Luật Thi đua, khen thưởng ngày 15 tháng 6 năm 2022;",
            "Căn cứ Nghị định số 98/2023/NĐ-CP ngày 31 tháng 12 năm 2023 của Chính phủ quy định chi tiết thi hành một số điều của Luật Thi đua, khen thưởng;"],
    }[variant]
    for base in legal_bases(ctx, extra):
        c.paragraph(base, style="italic")
    office = ctx.choice(["Trưởng phòng Quản lý đô thị", "Trưởng phòng Tư pháp", "Công chức Văn phòng - Thống kê",
                         "Trưởng phòng Lao động - Thương binh và Xã hội", "Công chức Địa chính - Xây dựng"])
    c.paragraph(f"Theo đề nghị của {office} tại Tờ trình số {ctx.integer(5, 400)}/TTr ngày {ctx.integer(1, 28):02d} "
                f"tháng {issued.month:02d} năm {issued.year}.", style="italic")
    c.centered("QUYẾT ĐỊNH:", size=c.s.body_pt, gap=2)
    if variant == 0:
        plot = ctx.integer(10, 900)
        c.paragraph(f"Điều 1. Cấp giấy phép xây dựng nhà ở riêng lẻ cho {subject} {person.full_name}, sinh năm "
                    f"{person.date_of_birth.year}, số định danh cá nhân {person.personal_id}, nơi cư trú: {person.address}.")
        c.paragraph(f"Vị trí xây dựng: thửa đất số {plot}, tờ bản đồ số {ctx.integer(1, 80)}, "
                    f"{ctx.street_address(place)}. Diện tích xây dựng tầng 1: {ctx.integer(40, 150)},{ctx.integer(0, 9)} m2; "
                    f"số tầng: {ctx.integer(1, 5)} tầng; chiều cao công trình: {ctx.integer(4, 20)},{ctx.integer(0, 9)} m.")
    elif variant == 1:
        count = ctx.integer(4, 40)
        c.paragraph(f"Điều 1. Phê duyệt danh sách gồm {count} hộ gia đình, cá nhân (có danh sách kèm theo) với tổng "
                    f"kinh phí là {count * ctx.integer(2, 20)}.000.000 đồng.")
        for index in range(1, count + 1):
            p = ctx.person()
            c.paragraph(f"{index}. {p.full_name}, sinh năm {p.date_of_birth.year}, {p.address}.", indent=0,
                        hanging=0, gap=0.5)
    else:
        c.paragraph(f"Điều 1. {summary.replace('Về việc ', '').capitalize()}, sinh ngày "
                    f"{date_short(person.date_of_birth)}, số định danh cá nhân {person.personal_id}, nơi cư trú: {person.address}.")
        c.paragraph("Lý do: " + ctx.choice(["đã hoàn thành xuất sắc nhiệm vụ được giao trong năm.",
                                            "theo đề nghị của cơ quan chuyên môn và hồ sơ kèm theo.",
                                            "chấm dứt hoạt động kinh doanh theo đề nghị của chủ hộ."]))
    c.paragraph("Điều 2. Quyết định này có hiệu lực kể từ ngày ký.")
    c.paragraph(f"Điều 3. Chánh Văn phòng Ủy ban nhân dân {level_lower}, {office.lower()}, Thủ trưởng các cơ quan, "
                f"đơn vị có liên quan và {subject} {person.full_name} chịu trách nhiệm thi hành Quyết định này./.")
    signer = ctx.name(ctx.choice(["Nam", "Nữ"]))
    deputy = ctx.chance(0.5)
    signature_block(c, ctx, recipients=["- Như Điều 3;", f"- TT. HĐND {level_lower};", "- Lưu: VT."],
                    authority=["TM. ỦY BAN NHÂN DÂN", "KT. CHỦ TỊCH" if deputy else "CHỦ TỊCH"]
                    + (["PHÓ CHỦ TỊCH"] if deputy else []), signer=signer)
    fields = {"doc_number": number, "issue_date": issued.isoformat(), "issuer": issuer.body,
              "owner_id": person.personal_id, "full_name": person.full_name}
    if variant == 1:
        fields.pop("owner_id")
        fields.pop("full_name")
    return built_document(c, person, template, "QUYẾT ĐỊNH", fields)
