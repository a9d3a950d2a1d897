"""Invented people, places, numbers and dates for the evaluation documents.

Nothing here is shared with the training generator (pipeline/samples): its own name lists, its own
places and its own number formats, so a figure measured on evalgen says how the product does on
papers it was not tuned on. Every value is NFC.
"""

from __future__ import annotations

import random
import unicodedata
from dataclasses import dataclass
from datetime import date, timedelta


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


SURNAMES = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi", "Đỗ",
            "Hồ", "Ngô", "Dương", "Lý", "Đinh", "Trịnh", "Lương", "Mai", "Tạ", "Quách", "Kiều", "Lưu",
            "Châu", "Thái", "Tôn", "Văn", "Khúc", "Giáp", "Âu", "Ứng", "Ông", "Thân", "Nghiêm"]
MIDDLE_MALE = ["Văn", "Hữu", "Đức", "Minh", "Quang", "Công", "Thành", "Xuân", "Bá", "Trọng", "Đình", "Ngọc", ""]
MIDDLE_FEMALE = ["Thị", "Ngọc", "Thu", "Kim", "Thanh", "Mỹ", "Bích", "Hồng", "Diệu", "Phương", "Khánh", ""]
GIVEN_MALE = ["Khải", "Tùng", "Lộc", "Thắng", "Dũng", "Nghĩa", "Phúc", "Quyết", "Toàn", "Hiếu", "Luân",
              "Nhân", "Sơn", "Trí", "Vĩnh", "Khoa", "Đạt", "Hưng", "Kiên", "Thịnh", "Cường", "Hoà", "Uy",
              "Ẩn", "Triết", "Bảo", "Duy Khánh", "Gia Huy", "Anh Tuấn", "Nguyên"]
GIVEN_FEMALE = ["Nhung", "Quyên", "Thảo", "Uyên", "Yến", "Trâm", "Loan", "Ngân", "Diệp", "Hạnh", "Oanh",
                "Xuyến", "Tuyết", "Hương", "Nguyệt", "Liễu", "Ánh", "Giang", "Vy", "Châu", "Ngọc Hân",
                "Bảo Ngọc", "Thuỳ Dương", "Khánh Linh", "Mỹ Duyên"]

# (code, province name, a few communes/wards with their district or town)
PROVINCES = [
    ("001", "Hà Nội", [("phường", "Kim Liên", "quận Đống Đa"), ("xã", "Bát Tràng", "huyện Gia Lâm"),
                       ("phường", "Phúc Xá", "quận Ba Đình")]),
    ("079", "Hồ Chí Minh", [("phường", "Đa Kao", "Quận 1"), ("xã", "Tân Thạnh Đông", "huyện Củ Chi"),
                            ("phường", "Thảo Điền", "thành phố Thủ Đức")]),
    ("048", "Đà Nẵng", [("phường", "Hòa Cường Bắc", "quận Hải Châu"), ("xã", "Hòa Khương", "huyện Hòa Vang")]),
    ("031", "Hải Phòng", [("phường", "Máy Chai", "quận Ngô Quyền"), ("xã", "Kiến Quốc", "huyện Kiến Thụy")]),
    ("092", "Cần Thơ", [("phường", "Xuân Khánh", "quận Ninh Kiều"), ("xã", "Mỹ Khánh", "huyện Phong Điền")]),
    ("038", "Thanh Hóa", [("xã", "Quảng Lợi", "huyện Quảng Xương"), ("phường", "Điện Biên", "thành phố Thanh Hóa")]),
    ("040", "Nghệ An", [("xã", "Nghi Phong", "huyện Nghi Lộc"), ("phường", "Hưng Dũng", "thành phố Vinh")]),
    ("066", "Đắk Lắk", [("xã", "Ea Tu", "thành phố Buôn Ma Thuột"), ("xã", "Cư Suê", "huyện Cư M'gar")]),
    ("046", "Thừa Thiên Huế", [("phường", "Vĩnh Ninh", "thành phố Huế"), ("xã", "Phú Mậu", "huyện Phú Vang")]),
    ("027", "Bắc Ninh", [("phường", "Đình Bảng", "thành phố Từ Sơn"), ("xã", "Phù Lãng", "huyện Quế Võ")]),
    ("089", "An Giang", [("phường", "Mỹ Long", "thành phố Long Xuyên"), ("xã", "Núi Voi", "huyện Tịnh Biên")]),
    ("056", "Khánh Hòa", [("phường", "Lộc Thọ", "thành phố Nha Trang"), ("xã", "Cam Hải Đông", "huyện Cam Lâm")]),
    ("010", "Lào Cai", [("phường", "Cốc Lếu", "thành phố Lào Cai"), ("xã", "Tả Van", "thị xã Sa Pa")]),
    ("075", "Đồng Nai", [("phường", "Tân Phong", "thành phố Biên Hòa"), ("xã", "Phú Hữu", "huyện Nhơn Trạch")]),
]
STREETS = ["Lê Thánh Tôn", "Nguyễn Trãi", "Trần Phú", "Hai Bà Trưng", "Điện Biên Phủ", "Lý Thường Kiệt",
           "Phan Đình Phùng", "Võ Thị Sáu", "Nguyễn Huệ", "Bạch Đằng", "Hùng Vương", "Cách Mạng Tháng Tám"]
OCCUPATIONS = ["Nông dân", "Kỹ sư xây dựng", "Giáo viên", "Buôn bán", "Công nhân", "Kế toán", "Lao động tự do",
               "Bác sĩ", "Nhân viên văn phòng", "Thợ may"]
ETHNICITIES = ["Kinh", "Kinh", "Kinh", "Tày", "Mường", "Khmer", "Ê Đê", "Hoa"]
INSURANCE_GROUPS = ["DN", "HC", "HT", "TE", "HS", "SV", "GD", "CN", "NO", "CK"]


@dataclass(frozen=True)
class Place:
    province_code: str
    province: str
    level: str  # "phường" | "xã"
    commune: str
    district: str

    @property
    def commune_full(self) -> str:
        return f"{self.level} {self.commune}"

    @property
    def address_tail(self) -> str:
        return f"{self.level} {self.commune}, {self.district}, {self.province_title}"

    @property
    def province_title(self) -> str:
        city = self.province in ("Hà Nội", "Hồ Chí Minh", "Đà Nẵng", "Hải Phòng", "Cần Thơ")
        return f"thành phố {self.province}" if city else f"tỉnh {self.province}"

    @property
    def town(self) -> str:
        """The place name a Decree-30 date line starts with."""
        d = self.district
        for prefix in ("thành phố ", "thị xã ", "quận ", "huyện "):
            if d.startswith(prefix):
                return d[len(prefix):]
        return d


@dataclass(frozen=True)
class Person:
    surname: str
    middle: str
    given: str
    male: bool
    birth: date
    personal_id: str
    cmnd: str
    place: Place  # where the birth was registered (the ID's province)
    home: Place
    street_address: str
    ethnicity: str
    occupation: str

    @property
    def full_name(self) -> str:
        return nfc(" ".join(p for p in (self.surname, self.middle, self.given) if p))

    @property
    def sex(self) -> str:
        return "Nam" if self.male else "Nữ"

    @property
    def residence(self) -> str:
        return f"{self.street_address}, {self.home.address_tail}"


def random_place(rng: random.Random, province_code: str | None = None) -> Place:
    choices = [p for p in PROVINCES if province_code is None or p[0] == province_code] or PROVINCES
    code, name, communes = rng.choice(choices)
    level, commune, district = rng.choice(communes)
    return Place(code, name, level, commune, district)


def personal_id(rng: random.Random, province_code: str, birth: date, male: bool) -> str:
    """A structurally valid 12-digit personal ID (Circular 07/2016: province, century+sex, year)."""
    century = (birth.year // 100) - 19  # 1900s -> 0, 2000s -> 1
    digit = century * 2 + (0 if male else 1)
    return f"{province_code}{digit}{birth.year % 100:02d}{rng.randrange(10**6):06d}"


def random_date(rng: random.Random, start: date, end: date) -> date:
    return start + timedelta(days=rng.randrange(max(1, (end - start).days)))


def random_person(rng: random.Random, *, born_from: date = date(1950, 1, 1), born_to: date = date(2005, 12, 31),
                  male: bool | None = None, surname: str | None = None) -> Person:
    male = rng.random() < 0.5 if male is None else male
    birth = random_date(rng, born_from, born_to)
    place = random_place(rng)
    home = random_place(rng) if rng.random() < 0.4 else place
    middle = rng.choice(MIDDLE_MALE if male else MIDDLE_FEMALE)
    given = rng.choice(GIVEN_MALE if male else GIVEN_FEMALE)
    cmnd = f"{rng.choice(['0', '1', '2', '3'])}{rng.randrange(10**8):08d}"
    street = f"Số {rng.randrange(1, 300)}{rng.choice(['', '', '/4', 'A', '/12'])} đường {rng.choice(STREETS)}"
    if home.level == "xã":
        street = f"Thôn {rng.choice(['Đông', 'Trung', 'Hạ', 'Phú Lộc', 'An Bình', '3', '5'])}"
    return Person(
        surname=surname or rng.choice(SURNAMES), middle=middle, given=given, male=male, birth=birth,
        personal_id=personal_id(rng, place.province_code, birth, male), cmnd=cmnd, place=place, home=home,
        street_address=street, ethnicity=rng.choice(ETHNICITIES), occupation=rng.choice(OCCUPATIONS),
    )


def enterprise_tax_code(rng: random.Random) -> str:
    return f"{rng.randrange(1, 64):02d}{rng.randrange(10**8):08d}"


def insurance_code(rng: random.Random, province_code: str) -> str:
    """15 characters: group (2 letters), benefit level (1-5), province (2 digits), 10-digit number."""
    group, level = rng.choice(INSURANCE_GROUPS), rng.randrange(1, 6)
    return f"{group}{level}{int(province_code) % 100:02d}{rng.randrange(10**10):010d}"


def card_expiry(birth: date, issued: date) -> date | None:
    """The CCCD rule: valid until the holder turns 25, 40 or 60; none when issued after 60."""
    for age in (25, 40, 60):
        try:
            birthday = birth.replace(year=birth.year + age)
        except ValueError:  # 29 February
            birthday = date(birth.year + age, 3, 1)
        if issued < birthday - timedelta(days=2 * 365):  # renewal in the 2 years before is allowed
            return birthday
    return None


def iso(d: date | None) -> str | None:
    return d.isoformat() if d else None


def dmy(d: date, sep: str = "/") -> str:
    return f"{d.day:02d}{sep}{d.month:02d}{sep}{d.year}"


def long_date(d: date, lead: str = "ngày") -> str:
    """'ngày 05 tháng 02 năm 2024' (Decree 30: a leading zero for days < 10 and months 1-2)."""
    month = f"{d.month:02d}" if d.month <= 2 else str(d.month)
    return f"{lead} {d.day:02d} tháng {month} năm {d.year}"
