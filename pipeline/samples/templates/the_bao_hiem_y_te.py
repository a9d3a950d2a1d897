"""Thẻ bảo hiểm y tế: health insurance card, photocopied, or its details printed from VssID."""

from __future__ import annotations

from datetime import date, timedelta

from pipeline.samples.blocks import Built, built_document, photocopied_card, title
from pipeline.samples.choices import Ctx
from pipeline.samples.layout import Composer
from pipeline.samples.people import Person
from pipeline.samples.wording import add_months, date_short, upper_vi


def t_the_bao_hiem_y_te(ctx: Ctx, c: Composer, owner: Person | None) -> Built:
    variant = ctx.variant()
    issued = ctx.date_between(date(2019, 1, 1), date(2025, 6, 30))
    p = owner or ctx.person()
    age = (issued - p.date_of_birth).days // 365
    group = "TE" if age < 6 else ctx.choice(["GD", "HS", "DN", "HC", "HT", "CN"])
    benefit = 1 if group == "TE" else ctx.integer(2, 4)
    social = f"{p.birth_province[1:]}{ctx.integer(0, 99_999_999):08d}"
    place = ctx.place()
    code = f"{group}{benefit}{place.province_code[1:]}{social}"
    valid_from = issued
    valid = add_months(issued, 12) - timedelta(days=1)
    if group == "TE":
        valid = p.date_of_birth.replace(year=p.date_of_birth.year + 6) - timedelta(days=1) if not (
            p.date_of_birth.month == 2 and p.date_of_birth.day == 29) else date(p.date_of_birth.year + 6, 2, 28)
    clinic = ctx.choice([f"Trạm Y tế {place.ward_lower}", f"Trung tâm Y tế {place.district_full}",
                         f"Bệnh viện Đa khoa {place.province}"])
    name = upper_vi(p.full_name)
    fields = {"full_name": p.full_name, "date_of_birth": p.date_of_birth.isoformat(), "sex": p.sex,
              "insurance_code": code, "issue_date": issued.isoformat(), "valid_until": valid.isoformat(),
              "issuer": "BẢO HIỂM XÃ HỘI VIỆT NAM"}
    if variant in (0, 1):
        scale = float(ctx.rng.uniform(1.3, 1.7))
        x = c.s.left + ctx.rng.uniform(0, max(1.0, c.s.text_width - 85.6 * scale))
        head = ["BẢO HIỂM XÃ HỘI VIỆT NAM", "THẺ BẢO HIỂM Y TẾ"]
        if variant == 0:
            rows = [f"Mã số: {code}", f"Họ và tên: {name}", f"Ngày sinh: {date_short(p.date_of_birth)}   Giới tính: {p.sex}",
                    "Địa chỉ:", p.address, f"Nơi ĐKKCB ban đầu: {clinic}",
                    f"Giá trị sử dụng: từ {date_short(valid_from)} đến {date_short(valid)}"]
        else:
            rows = [f"Mã số: {social}", f"Họ và tên: {name}", f"Ngày sinh: {date_short(p.date_of_birth)}",
                    f"Giới tính: {p.sex}", f"Nơi ĐKKCB ban đầu: {clinic}",
                    f"Giá trị sử dụng từ ngày: {date_short(valid_from)}", f"Thời điểm đủ 5 năm liên tục: {date_short(add_months(valid_from, 60))}"]
            fields["insurance_code"] = social
        photocopied_card(c, ctx, x=x, y=c.s.top + ctx.rng.uniform(0, 20), scale=scale, head=head, rows=rows,
                         photo=variant == 1, bold_rows=(0, 1))
        return built_document(c, p, f"the_bao_hiem_y_te/v{variant}", "THẺ BẢO HIỂM Y TẾ", fields)
    # variant 2: the card information printed from the VssID application / the insurance portal
    c.centered("BẢO HIỂM XÃ HỘI VIỆT NAM", size=c.s.body_pt, gap=1)
    title(c, "THÔNG TIN THẺ BẢO HIỂM Y TẾ")
    c.field("Họ và tên", name)
    c.field("Ngày sinh", date_short(p.date_of_birth))
    c.field("Giới tính", p.sex)
    c.field("Số CCCD/Số định danh cá nhân", p.personal_id)
    c.field("Mã số BHXH", social)
    c.field("Mã thẻ BHYT", code)
    c.field("Nơi đăng ký khám chữa bệnh ban đầu", clinic)
    c.field("Hạn thẻ", f"từ {date_short(valid_from)} đến {date_short(valid)}")
    c.field("Địa chỉ", p.address)
    c.paragraph(f"Thông tin được tra cứu ngày {date_short(issued)} và có giá trị tham khảo.", style="italic", indent=0)
    fields["owner_id"] = p.personal_id
    return built_document(c, p, "the_bao_hiem_y_te/tra_cuu", "THẺ BẢO HIỂM Y TẾ", fields)
