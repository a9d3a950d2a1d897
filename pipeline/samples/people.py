"""Invented people and addresses: names, ethnicities, streets, the provinces, districts and wards
used for addresses and issuing offices, and the 12-digit personal identification number.

The names, ID numbers and addresses are invented; any match with a real person is chance.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np

# Province codes of the personal identification number (Circular 07/2016/TT-BCA).
PROVINCE_CODES: dict[str, str] = {
    "001": "Hà Nội", "002": "Hà Giang", "004": "Cao Bằng", "006": "Bắc Kạn", "008": "Tuyên Quang",
    "010": "Lào Cai", "011": "Điện Biên", "012": "Lai Châu", "014": "Sơn La", "015": "Yên Bái",
    "017": "Hòa Bình", "019": "Thái Nguyên", "020": "Lạng Sơn", "022": "Quảng Ninh",
    "024": "Bắc Giang", "025": "Phú Thọ", "026": "Vĩnh Phúc", "027": "Bắc Ninh", "030": "Hải Dương",
    "031": "Hải Phòng", "033": "Hưng Yên", "034": "Thái Bình", "035": "Hà Nam", "036": "Nam Định",
    "037": "Ninh Bình", "038": "Thanh Hóa", "040": "Nghệ An", "042": "Hà Tĩnh", "044": "Quảng Bình",
    "045": "Quảng Trị", "046": "Thừa Thiên Huế", "048": "Đà Nẵng", "049": "Quảng Nam",
    "051": "Quảng Ngãi", "052": "Bình Định", "054": "Phú Yên", "056": "Khánh Hòa",
    "058": "Ninh Thuận", "060": "Bình Thuận", "062": "Kon Tum", "064": "Gia Lai", "066": "Đắk Lắk",
    "067": "Đắk Nông", "068": "Lâm Đồng", "070": "Bình Phước", "072": "Tây Ninh",
    "074": "Bình Dương", "075": "Đồng Nai", "077": "Bà Rịa - Vũng Tàu", "079": "Hồ Chí Minh",
    "080": "Long An", "082": "Tiền Giang", "083": "Bến Tre", "084": "Trà Vinh", "086": "Vĩnh Long",
    "087": "Đồng Tháp", "089": "An Giang", "091": "Kiên Giang", "092": "Cần Thơ", "093": "Hậu Giang",
    "094": "Sóc Trăng", "095": "Bạc Liêu", "096": "Cà Mau",
}  # fmt: skip


@dataclass(frozen=True)
class Person:
    full_name: str  # title case, NFC
    sex: str  # "Nam" | "Nữ"
    date_of_birth: date
    personal_id: str
    birth_province: str  # code, e.g. "079"
    address: str
    ethnicity: str = "Kinh"


SURNAMES = (
    ["Nguyễn"] * 12 + ["Trần"] * 4 + ["Lê"] * 3 + ["Phạm"] * 2
    + ["Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi", "Đỗ", "Hồ", "Ngô", "Dương", "Lý",
       "Đinh", "Trương", "Lâm", "Mai", "Tạ", "Quách", "Lương", "Châu", "Đoàn", "Trịnh", "Cao"]
)  # fmt: skip
MIDDLE = {
    "Nam": ["Văn", "Văn", "Hữu", "Đức", "Minh", "Quốc", "Thanh", "Công", "Gia", "Hoàng", "Xuân",
            "Đình", "Ngọc", "Trọng", "Bảo", "Tấn", "Thành"],
    "Nữ": ["Thị", "Thị", "Thị", "Ngọc", "Thu", "Thanh", "Kim", "Bảo", "Mỹ", "Phương", "Hoài",
           "Diệu", "Khánh", "Thùy", "Ánh"],
}  # fmt: skip
GIVEN = {
    "Nam": ["Anh", "Bình", "Cường", "Dũng", "Đạt", "Hải", "Hiếu", "Hùng", "Huy", "Khang", "Khoa",
            "Long", "Minh", "Nam", "Phúc", "Quang", "Sơn", "Tài", "Thắng", "Thành", "Toàn",
            "Trung", "Tuấn", "Việt", "Vũ", "Hưng", "Lộc", "Khải", "Nghĩa", "Đông", "Quý", "Kiên"],
    "Nữ": ["Anh", "Châu", "Dung", "Giang", "Hà", "Hạnh", "Hằng", "Hiền", "Hoa", "Hương", "Lan",
           "Linh", "Loan", "Mai", "My", "Ngân", "Ngọc", "Nhung", "Oanh", "Phương", "Quyên",
           "Thảo", "Thư", "Trang", "Trâm", "Uyên", "Vy", "Yến", "Tuyết", "Ánh", "Nguyệt", "Xuân"],
}  # fmt: skip
ETHNICITIES = ["Kinh"] * 14 + ["Tày", "Thái", "Mường", "Khmer", "Hoa", "Nùng", "Ê Đê"]
STREETS = [
    "Lê Lợi", "Nguyễn Huệ", "Trần Hưng Đạo", "Hai Bà Trưng", "Lý Thường Kiệt", "Nguyễn Trãi",
    "Phan Đình Phùng", "Võ Văn Ngân", "Quang Trung", "Lê Duẩn", "Điện Biên Phủ", "Nguyễn Du",
    "Hùng Vương", "Trần Phú", "Bà Triệu", "Lê Văn Việt", "Đặng Văn Bi", "Nguyễn Văn Cừ",
]  # fmt: skip

# province code -> (province unit, name, [(district unit, name, [(ward unit, name)])])
GEOGRAPHY: dict[str, tuple[str, str, list[tuple[str, str, list[tuple[str, str]]]]]] = {
    "079": ("Thành phố", "Hồ Chí Minh", [
        ("Thành phố", "Thủ Đức", [("Phường", "Phước Bình"), ("Phường", "Linh Trung"),
                                   ("Phường", "Hiệp Phú"), ("Phường", "An Khánh")]),
        ("Quận", "Gò Vấp", [("Phường", "10"), ("Phường", "17")]),
        ("Huyện", "Củ Chi", [("Xã", "Tân Thạnh Đông"), ("Thị trấn", "Củ Chi")]),
    ]),
    "001": ("Thành phố", "Hà Nội", [
        ("Quận", "Cầu Giấy", [("Phường", "Dịch Vọng"), ("Phường", "Nghĩa Đô"), ("Phường", "Yên Hòa")]),
        ("Huyện", "Gia Lâm", [("Xã", "Bát Tràng"), ("Thị trấn", "Trâu Quỳ"), ("Xã", "Kiêu Kỵ")]),
        ("Quận", "Hoàn Kiếm", [("Phường", "Hàng Bạc"), ("Phường", "Tràng Tiền")]),
    ]),
    "048": ("Thành phố", "Đà Nẵng", [
        ("Quận", "Hải Châu", [("Phường", "Thạch Thang"), ("Phường", "Hòa Cường Bắc")]),
        ("Quận", "Sơn Trà", [("Phường", "An Hải Bắc"), ("Phường", "Mân Thái")]),
        ("Huyện", "Hòa Vang", [("Xã", "Hòa Phước"), ("Xã", "Hòa Châu")]),
    ]),
    "092": ("Thành phố", "Cần Thơ", [
        ("Quận", "Ninh Kiều", [("Phường", "Tân An"), ("Phường", "An Hòa"), ("Phường", "Xuân Khánh")]),
        ("Huyện", "Phong Điền", [("Xã", "Mỹ Khánh"), ("Thị trấn", "Phong Điền")]),
    ]),
    "038": ("Tỉnh", "Thanh Hóa", [
        ("Thành phố", "Thanh Hóa", [("Phường", "Điện Biên"), ("Phường", "Đông Thọ")]),
        ("Huyện", "Thọ Xuân", [("Xã", "Xuân Hòa"), ("Thị trấn", "Thọ Xuân")]),
    ]),
    "040": ("Tỉnh", "Nghệ An", [
        ("Thành phố", "Vinh", [("Phường", "Hưng Bình"), ("Phường", "Lê Lợi")]),
        ("Huyện", "Nghi Lộc", [("Xã", "Nghi Phong"), ("Xã", "Nghi Thạch")]),
    ]),
    "066": ("Tỉnh", "Đắk Lắk", [
        ("Thành phố", "Buôn Ma Thuột", [("Phường", "Tân Lợi"), ("Phường", "Ea Tam")]),
        ("Huyện", "Krông Pắc", [("Xã", "Ea Phê"), ("Thị trấn", "Phước An")]),
    ]),
    "089": ("Tỉnh", "An Giang", [
        ("Thành phố", "Long Xuyên", [("Phường", "Mỹ Bình"), ("Phường", "Mỹ Long")]),
        ("Huyện", "Chợ Mới", [("Xã", "Long Điền A"), ("Thị trấn", "Chợ Mới")]),
    ]),
    "031": ("Thành phố", "Hải Phòng", [
        ("Quận", "Lê Chân", [("Phường", "An Biên"), ("Phường", "Trại Cau")]),
        ("Huyện", "Thủy Nguyên", [("Xã", "Lập Lễ"), ("Xã", "Phả Lễ")]),
    ]),
    "074": ("Tỉnh", "Bình Dương", [
        ("Thành phố", "Thủ Dầu Một", [("Phường", "Phú Cường"), ("Phường", "Hiệp Thành")]),
        ("Thành phố", "Dĩ An", [("Phường", "Đông Hòa"), ("Phường", "Tân Bình")]),
    ]),
}  # fmt: skip


def personal_id(rng: np.random.Generator, birth: date, sex: str, province: str) -> str:
    """A 12-digit personal identification number valid for the birth year, sex and province."""
    century = (birth.year - 1900) // 100
    digit = 2 * century + (1 if sex == "Nữ" else 0)
    tail = "".join(str(d) for d in rng.integers(0, 10, size=6))
    return f"{province}{digit}{birth.year % 100:02d}{tail}"


def personal_id_problems(number: str, birth: date | None = None, sex: str | None = None) -> list[str]:
    """Why ``number`` is not a valid personal ID (empty list = valid)."""
    problems: list[str] = []
    if len(number) != 12 or not number.isdigit():
        return ["not 12 digits"]
    if number[:3] not in PROVINCE_CODES:
        problems.append(f"unknown province code {number[:3]}")
    if birth is not None:
        expected = 2 * ((birth.year - 1900) // 100) + (0 if sex in (None, "Nam") else 1)
        if sex is None:
            if int(number[3]) // 2 != expected // 2:
                problems.append("century digit does not match the birth year")
        elif int(number[3]) != expected:
            problems.append("century/sex digit does not match")
        if number[4:6] != f"{birth.year % 100:02d}":
            problems.append("year digits do not match the birth year")
    return problems


@dataclass
class Place:
    province_code: str
    province_unit: str
    province: str
    district_unit: str
    district: str
    ward_unit: str
    ward: str

    @property
    def ward_full(self) -> str:
        return f"{self.ward_unit} {self.ward}"

    @property
    def district_full(self) -> str:
        return f"{self.district_unit} {self.district}"

    @property
    def province_full(self) -> str:
        return f"{self.province_unit} {self.province}"

    @property
    def ward_lower(self) -> str:
        return f"{self.ward_unit.lower()} {self.ward}"

    @property
    def district_lower(self) -> str:
        return f"{self.district_unit.lower()} {self.district}"

    @property
    def province_lower(self) -> str:
        return f"{self.province_unit.lower()} {self.province}"

    @property
    def place_name(self) -> str:
        """The name written before "ngày ... tháng ... năm ..." on the place-and-date line."""
        return self.district if self.ward.isdigit() else self.ward

    def address(self, street: str) -> str:
        parts = [street] if street else []
        parts += [self.ward_lower, self.district_lower, self.province_lower]
        return ", ".join(parts)
