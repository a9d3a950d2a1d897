"""Tờ khai / đơn: forms the applicant fills in (birth registration, building permit
application, marital status or marriage declaration).
"""

from __future__ import annotations

from datetime import date, timedelta

from pipeline.samples.blocks import Built, built_document, header, person_fields, signature_block, title
from pipeline.samples.choices import Ctx
from pipeline.samples.layout import Composer
from pipeline.samples.people import STREETS, Person
from pipeline.samples.wording import date_long, date_short, date_words, upper_vi


def t_to_khai(ctx: Ctx, c: Composer, owner: Person | None) -> Built:
    variant = ctx.variant()
    issued = ctx.date_between(date(2018, 1, 1), date(2025, 6, 30))
    place = ctx.place()
    applicant = owner or ctx.person(born=(date(1960, 1, 1), date(2003, 12, 31)))
    header(c, ctx, None, None, None)
    p = applicant
    if variant == 0:
        title_text = "TỜ KHAI ĐĂNG KÝ KHAI SINH"
        template = "to_khai/khai_sinh"
        title(c, title_text)
        c.paragraph(f"Kính gửi: Ủy ban nhân dân {place.ward_lower}, {place.district_lower}, {place.province_full}",
                    indent=15, align="left")
        c.field("Họ, chữ đệm, tên người yêu cầu", p.full_name)
        c.field("Nơi cư trú", p.address)
        c.field("Giấy tờ tùy thân", f"Căn cước số {p.personal_id}")
        c.field("Quan hệ với người được khai sinh", "cha" if p.sex == "Nam" else "mẹ")
        c.paragraph("Đề nghị cơ quan đăng ký khai sinh cho người dưới đây:", indent=0)
        child = ctx.person(born=(issued - timedelta(days=60), issued - timedelta(days=1)),
                           surname=p.full_name.split()[0])
        c.field("Họ, chữ đệm, tên", upper_vi(child.full_name))
        c.field("Ngày, tháng, năm sinh", f"{date_short(child.date_of_birth)}  ghi bằng chữ: {date_words(child.date_of_birth)}")
        c.field("Giới tính", f"{child.sex}   Dân tộc: {child.ethnicity}   Quốc tịch: Việt Nam")
        c.field("Nơi sinh", f"Bệnh viện Đa khoa {place.province}")
        c.field("Quê quán", f"{place.district_full}, {place.province_full}")
        c.paragraph("Tôi cam đoan nội dung khai trên đây là đúng sự thật và chịu trách nhiệm trước pháp luật về cam đoan của mình.")
    elif variant == 1:
        title_text = "ĐƠN ĐỀ NGHỊ CẤP GIẤY PHÉP XÂY DỰNG"
        template = "to_khai/giay_phep_xay_dung"
        title(c, title_text, "(Sử dụng cho nhà ở riêng lẻ)")
        c.paragraph(f"Kính gửi: Ủy ban nhân dân {place.district_lower}", indent=15, align="left")
        c.paragraph("1. Thông tin về chủ đầu tư:", style="bold", indent=0)
        c.field("- Tên chủ đầu tư (tên chủ hộ)", p.full_name)
        c.field("- Người đại diện", p.full_name)
        c.field("- Số định danh cá nhân", p.personal_id)
        c.field("- Địa chỉ liên hệ", p.address)
        c.field("- Số nhà", f"{ctx.integer(1, 300)}   Đường: {ctx.choice(STREETS)}")
        c.field("- Điện thoại", f"09{ctx.integer(10000000, 99999999)}")
        c.paragraph("2. Thông tin công trình:", style="bold", indent=0)
        c.field("- Địa điểm xây dựng", f"Lô đất số {ctx.integer(1, 60)}, diện tích {ctx.integer(50, 300)} m2")
        c.field("- Tại", ctx.street_address(place))
        c.paragraph("3. Nội dung đề nghị cấp phép:", style="bold", indent=0)
        c.field("- Loại công trình", "Nhà ở riêng lẻ   Cấp công trình: III")
        c.field("- Diện tích xây dựng tầng 1 (tầng trệt)", f"{ctx.integer(40, 150)} m2")
        c.field("- Tổng diện tích sàn", f"{ctx.integer(100, 500)} m2")
        c.field("- Chiều cao công trình", f"{ctx.integer(4, 20)} m   Số tầng: {ctx.integer(1, 5)}")
        c.paragraph(f"4. Dự kiến thời gian hoàn thành công trình: {ctx.integer(6, 18)} tháng.", indent=0)
        c.paragraph("5. Cam kết: Tôi xin cam đoan làm theo đúng giấy phép được cấp, nếu sai tôi xin hoàn toàn chịu "
                    "trách nhiệm và bị xử lý theo quy định của pháp luật.", indent=0)
    else:
        title_text = ctx.choice(["TỜ KHAI CẤP GIẤY XÁC NHẬN TÌNH TRẠNG HÔN NHÂN", "TỜ KHAI ĐĂNG KÝ KẾT HÔN"])
        template = "to_khai/ho_tich"
        title(c, title_text)
        c.paragraph(f"Kính gửi: Ủy ban nhân dân {place.ward_lower}, {place.district_lower}", indent=15, align="left")
        c.field("Họ, chữ đệm, tên người yêu cầu", p.full_name)
        c.field("Ngày, tháng, năm sinh", date_short(p.date_of_birth))
        c.field("Giới tính", f"{p.sex}   Dân tộc: {p.ethnicity}   Quốc tịch: Việt Nam")
        c.field("Nơi cư trú", p.address)
        c.field("Giấy tờ tùy thân", f"Căn cước số {p.personal_id}, cấp ngày {date_short(ctx.date_between(issued - timedelta(days=2000), issued))}")
        if "KẾT HÔN" in title_text:
            partner = ctx.person(sex="Nữ" if p.sex == "Nam" else "Nam")
            c.field("Họ, chữ đệm, tên người kết hôn cùng", partner.full_name)
            c.field("Ngày, tháng, năm sinh", date_short(partner.date_of_birth))
            c.field("Nơi cư trú", partner.address)
            c.paragraph("Chúng tôi cam đoan những lời khai trên đây là đúng sự thật, việc kết hôn của chúng tôi là "
                        "tự nguyện, không vi phạm quy định của Luật Hôn nhân và gia đình.")
        else:
            c.field("Tình trạng hôn nhân", ctx.choice(["Chưa đăng ký kết hôn với ai", "Đã ly hôn, hiện chưa kết hôn lại"]))
            c.field("Mục đích sử dụng giấy xác nhận", ctx.choice(["Để đăng ký kết hôn", "Để vay vốn ngân hàng",
                                                                   "Để làm thủ tục mua bán nhà đất"]))
            c.paragraph("Tôi cam đoan những nội dung khai trên đây là đúng sự thật và chịu trách nhiệm trước pháp luật "
                        "về cam đoan của mình.")
    signature_block(c, ctx, recipients=None,
                    authority=[f"Làm tại {place.place_name}, {date_long(issued)}", "NGƯỜI YÊU CẦU"],
                    signer=p.full_name)
    fields = person_fields(p) | {"issue_date": issued.isoformat()}
    return built_document(c, p, template, title_text, fields)
