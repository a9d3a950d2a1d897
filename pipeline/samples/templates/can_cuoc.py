"""Căn cước / căn cước công dân: citizen identity card, photocopied front and back, sometimes
with the commune's certification of the copy.
"""

from __future__ import annotations

from datetime import date, timedelta

from pipeline.samples.blocks import Built, built_document, person_fields, photocopied_card, signature_block
from pipeline.samples.choices import Ctx
from pipeline.samples.layout import Composer
from pipeline.samples.people import Person
from pipeline.samples.wording import date_long, date_short, upper_vi


def card_valid_until(birth: date, issued: date) -> date | None:
    """Căn cước validity: until the holder turns 25, 40 or 60 (none after 60)."""
    for age in (25, 40, 60):
        try:
            limit = birth.replace(year=birth.year + age)
        except ValueError:
            limit = date(birth.year + age, 3, 1)
        if issued < limit - timedelta(days=730) or (age == 60 and issued < limit):
            return limit
    return None


def t_can_cuoc(ctx: Ctx, c: Composer, owner: Person | None) -> Built:
    variant = ctx.variant()
    issued = ctx.date_between(date(2021, 1, 1), date(2025, 6, 30))
    p = owner or ctx.person(born=(date(1960, 1, 1), issued - timedelta(days=365 * 15)))
    valid = card_valid_until(p.date_of_birth, issued)
    valid_text = date_short(valid) if valid else "Không thời hạn"
    name = upper_vi(p.full_name)
    origin = ctx.place()
    scale = float(ctx.rng.uniform(1.25, 1.6)) if variant != 2 else float(ctx.rng.uniform(1.3, 1.5))
    x = c.s.left + ctx.rng.uniform(0, max(1.0, c.s.text_width - 85.6 * scale))
    y = c.s.top + ctx.rng.uniform(0, 15)
    if variant == 0:
        title_text = "CĂN CƯỚC CÔNG DÂN"
        head = ["CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc", "CĂN CƯỚC CÔNG DÂN"]
        rows = [f"Số: {p.personal_id}", "Họ và tên:", name, f"Ngày sinh: {date_short(p.date_of_birth)}",
                f"Giới tính: {p.sex}   Quốc tịch: Việt Nam", "Quê quán:", f"{origin.ward_full}, {origin.district_full}, {origin.province_full}",
                "Nơi thường trú:", p.address, f"Có giá trị đến: {valid_text}"]
        bold = (0, 2)
        back = ["Đặc điểm nhân dạng: Nốt ruồi cách 2 cm trên đầu lông mày phải",
                f"Ngày, tháng, năm: {date_short(issued)}", "CỤC TRƯỞNG CỤC CẢNH SÁT",
                "QUẢN LÝ HÀNH CHÍNH VỀ TRẬT TỰ XÃ HỘI"]
    else:
        title_text = "CĂN CƯỚC"
        head = ["CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "SOCIALIST REPUBLIC OF VIET NAM", "CĂN CƯỚC", "IDENTITY CARD"]
        rows = ["Số định danh cá nhân / Personal identification number:", p.personal_id,
                "Họ, chữ đệm và tên khai sinh / Full name:", name,
                f"Ngày, tháng, năm sinh / Date of birth: {date_short(p.date_of_birth)}",
                f"Giới tính / Sex: {p.sex}   Quốc tịch / Nationality: Việt Nam"]
        bold = (1, 3)
        back = ["Nơi cư trú / Place of residence:", p.address,
                "Nơi đăng ký khai sinh / Place of birth:", f"{origin.ward_full}, {origin.district_full}, {origin.province_full}",
                f"Ngày, tháng, năm cấp / Date of issue: {date_short(issued)}",
                f"Ngày, tháng, năm hết hạn / Date of expiry: {valid_text}", "BỘ CÔNG AN", "MINISTRY OF PUBLIC SECURITY"]
    bottom = photocopied_card(c, ctx, x=x, y=y, scale=scale, head=head, rows=rows, photo=True, bold_rows=bold)
    bottom = photocopied_card(c, ctx, x=x, y=bottom + ctx.rng.uniform(10, 25), scale=scale, head=[], rows=back,
                              photo=False)
    fields = person_fields(p) | {"issue_date": issued.isoformat(), "issuer": "BỘ CÔNG AN"}
    if valid:
        fields["valid_until"] = valid.isoformat()
    if variant == 2:  # certified copy: the commune's certification under the photocopy
        place = ctx.place()
        c.y = bottom + 12
        c.paragraph("CHỨNG THỰC BẢN SAO ĐÚNG VỚI BẢN CHÍNH", style="bold", indent=0, align="left")
        c.paragraph(f"Số chứng thực: {ctx.integer(1, 9000)}   Quyển số: {ctx.integer(1, 9):02d}/{issued.year}-SCT/BS", indent=0, align="left")
        c.paragraph(f"{place.place_name}, {date_long(issued + timedelta(days=ctx.integer(1, 300)))}", style="italic", indent=0, align="left")
        signature_block(c, ctx, recipients=None, authority=["NGƯỜI THỰC HIỆN CHỨNG THỰC"], signer=ctx.name(ctx.choice(["Nam", "Nữ"])))
        fields["issuer"] = "BỘ CÔNG AN"
    return built_document(c, p, f"can_cuoc/v{variant}", title_text, fields)
