"""Realistic Vietnamese administrative scans with their ground truth, made from a seed.

The test suite, the demo, the benchmarks and the document classifier's training set all come from
here. A document is made in three steps, each usable alone:

    make_document(seed)        content and page layout (Decree 30/2020 layout, sizes in mm and pt)
    render_pages(document)     clean page images (Liberation Serif, Pillow) + ground-truth text
    degrade(image, rng)        "office scan" damage: skew, rotation, blur, noise, JPEG, borders...

`make_scan(s)` chain the three; `write_sample_batch` writes dossiers of files in the formats the
one-stop-shop receives (PNG, JPEG, multi-page TIFF, scanned PDF, born-digital PDF) with a
`<file>.gt.txt` beside each (tesstrain convention; pages separated by form feed).

Ground truth is the visible text in the reading order Tesseract (``--psm 3``) produces for these
layouts: a two-column block (header, or "Nơi nhận" + signer) gives its left column's lines, then its
right column's; everything else reads top to bottom. Lines are joined by "\\n"; all text is NFC.

Conventions other modules rely on:
- ``skew``: degrees the content is rotated counter-clockwise (PIL ``Image.rotate``), applied first.
- ``rotation``: 0/90/180/270, degrees the page appears rotated clockwise in the final image;
  rotating the final image counter-clockwise by ``rotation`` makes it upright.

The names, ID numbers, addresses and documents are invented; any match with a real person is chance.
"""

from __future__ import annotations

import csv
import math
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont
from rapidfuzz.distance import Levenshtein

FONT_DIR = Path("/usr/share/fonts/truetype/liberation2")
FONT_FILES = {
    "regular": "LiberationSerif-Regular.ttf",
    "bold": "LiberationSerif-Bold.ttf",
    "italic": "LiberationSerif-Italic.ttf",
    "bold_italic": "LiberationSerif-BoldItalic.ttf",
}
A4_MM = (210.0, 297.0)
MM_PER_PT = 25.4 / 72

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

DOC_TYPES: tuple[str, ...] = (
    "giay_khai_sinh",
    "quyet_dinh",
    "to_khai",
    "xac_nhan_tinh_trang_hon_nhan",
    "giay_chung_nhan_ket_hon",
    "trich_luc_khai_tu",
    "xac_nhan_cu_tru",
    "giay_phep_xay_dung",
    "giay_chung_nhan_dang_ky_ho_kinh_doanh",
    "can_cuoc",
    "the_bao_hiem_y_te",
    "giay_chung_nhan_quyen_su_dung_dat",
)


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


# --------------------------------------------------------------------------------------------
# Public data types
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TextLine:
    """One visible line, placed in mm on an A4 page; ``x_mm``/``width_mm`` is the alignment box."""

    text: str
    x_mm: float
    y_mm: float  # top of the line box
    width_mm: float
    size_pt: float
    style: str = "regular"  # regular | bold | italic | bold_italic
    align: str = "left"  # left | center | right | justify
    underline_mm: float = 0.0  # a rule of this length centred under the line (Decree 30 headings)
    joined: bool = False  # read on the same text line as the previous one (a row across two columns)


@dataclass(frozen=True)
class Shape:
    """A drawn, text-free mark: ``rect`` outline, ``fill`` box (photo placeholder) or ``hline``."""

    kind: str
    x_mm: float
    y_mm: float
    w_mm: float
    h_mm: float
    grey: int = 0


@dataclass(frozen=True)
class PageLayout:
    lines: tuple[TextLine, ...]  # in ground-truth (reading) order
    shapes: tuple[Shape, ...] = ()
    signature_box_mm: tuple[float, float, float, float] | None = None  # x, y, w, h of the gap

    @property
    def text(self) -> str:
        """The ground truth: lines in reading order, a row across two columns read as one line."""
        out: list[str] = []
        for line in self.lines:
            if line.joined and out:
                out[-1] += " " + line.text
            else:
                out.append(line.text)
        return "\n".join(out)


@dataclass(frozen=True)
class Person:
    full_name: str  # title case, NFC
    sex: str  # "Nam" | "Nữ"
    date_of_birth: date
    personal_id: str
    birth_province: str  # code, e.g. "079"
    address: str
    ethnicity: str = "Kinh"


@dataclass(frozen=True)
class SampleDocument:
    """The content of one document, laid out on pages, before rendering."""

    doc_type: str
    template: str
    title: str
    fields: dict[str, str]
    pages: tuple[PageLayout, ...]
    seed: int = 0
    owner: Person | None = None  # whom the document is about; some of it may not be printed

    @property
    def texts(self) -> list[str]:
        return [page.text for page in self.pages]


@dataclass(frozen=True)
class SampleScan:
    """One degraded page image and its ground truth."""

    image: Image.Image  # "L" or "RGB"
    text: str
    skew: float
    rotation: int
    dpi: int
    colour: bool
    doc_type: str = ""
    page: int = 1


# --------------------------------------------------------------------------------------------
# Personal data
# --------------------------------------------------------------------------------------------

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


# --------------------------------------------------------------------------------------------
# Vietnamese wording helpers
# --------------------------------------------------------------------------------------------

_DIGITS = ["không", "một", "hai", "ba", "bốn", "năm", "sáu", "bảy", "tám", "chín"]


def _three_digits(n: int, full: bool) -> str:
    hundreds, tens, units = n // 100, (n // 10) % 10, n % 10
    words: list[str] = []
    if full or hundreds:
        words += [_DIGITS[hundreds], "trăm"]
    if tens == 0 and units:
        if words:
            words.append("linh")
        words.append(_DIGITS[units])
    elif tens == 1:
        words.append("mười")
        if units:
            words.append("lăm" if units == 5 else _DIGITS[units])
    elif tens > 1:
        words += [_DIGITS[tens], "mươi"]
        if units:
            words.append({1: "mốt", 5: "lăm"}.get(units, _DIGITS[units]))
    return " ".join(words)


def number_words(n: int) -> str:
    """Vietnamese reading of a non-negative integer: 2020 -> "hai nghìn không trăm hai mươi"."""
    if n == 0:
        return "không"
    groups: list[int] = []
    while n:
        groups.append(n % 1000)
        n //= 1000
    units = ["", "nghìn", "triệu", "tỷ", "nghìn tỷ"]
    words: list[str] = []
    for index in range(len(groups) - 1, -1, -1):
        value = groups[index]
        if value == 0:
            continue
        leading = index == len(groups) - 1
        words.append(_three_digits(value, full=not leading))
        if units[index]:
            words.append(units[index])
    return " ".join(words)


def date_long(d: date) -> str:
    return f"ngày {d.day:02d} tháng {d.month:02d} năm {d.year}"


def date_short(d: date) -> str:
    return f"{d.day:02d}/{d.month:02d}/{d.year}"


def date_words(d: date) -> str:
    return f"Ngày {number_words(d.day)} tháng {number_words(d.month)} năm {number_words(d.year)}"


def add_months(d: date, months: int) -> date:
    # Deliberately not pipeline.stages.extract.add_months: ground truth must not share code with what
    # it checks, or a bug in one would hide in both.
    month = d.month - 1 + months
    year, month = d.year + month // 12, month % 12 + 1
    for day in (d.day, 30, 29, 28):
        try:
            return date(year, month, day)
        except ValueError:
            continue
    raise ValueError(d)


def upper_vi(text: str) -> str:
    return nfc(text.upper())


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


# --------------------------------------------------------------------------------------------
# Layout: a composer that places lines on A4 pages in mm
# --------------------------------------------------------------------------------------------


@lru_cache(maxsize=256)
def _font(style: str, px: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(FONT_DIR / FONT_FILES[style]), px)


_MEASURE_PX = 200


def text_width_mm(text: str, style: str, size_pt: float) -> float:
    length = _font(style, _MEASURE_PX).getlength(text)
    return length / _MEASURE_PX * size_pt * MM_PER_PT


@dataclass(frozen=True)
class PageStyle:
    left: float = 30.0
    right: float = 15.0
    top: float = 20.0
    bottom: float = 20.0
    body_pt: float = 13.0
    header_pt: float = 12.5
    spacing: float = 1.25  # line height / font size
    paragraph_gap: float = 1.5  # mm
    justify: bool = True
    indent: float = 10.0  # first-line indent, mm

    @property
    def text_width(self) -> float:
        return A4_MM[0] - self.left - self.right

    @staticmethod
    def random(rng: np.random.Generator) -> PageStyle:
        return PageStyle(
            left=float(rng.uniform(20, 30)),
            right=float(rng.uniform(15, 20)),
            top=float(rng.uniform(15, 25)),
            bottom=float(rng.uniform(18, 25)),
            body_pt=float(rng.choice([13.0, 13.0, 13.5, 14.0])),
            header_pt=float(rng.choice([12.0, 12.5, 13.0])),
            spacing=float(rng.uniform(1.1, 1.4)),
            paragraph_gap=float(rng.uniform(0.3, 2.5)),
            justify=bool(rng.random() < 0.7),
            indent=float(rng.choice([0.0, 10.0, 12.7])),
        )


@dataclass
class Cell:
    """A line of a two-column block before wrapping."""

    text: str
    style: str = "regular"
    size: float | None = None
    underline: bool = False
    skip: int = 0  # empty rows before this cell
    align: str = "center"


class Composer:
    """Places lines top to bottom, wrapping to the text width and breaking pages."""

    def __init__(self, style: PageStyle, *, number_pages: bool = True):
        self.s = style
        self.number_pages = number_pages
        self.pages: list[PageLayout] = []
        self._lines: list[TextLine] = []
        self._shapes: list[Shape] = []
        self._signature: tuple[float, float, float, float] | None = None
        self.y = style.top

    # -- page handling
    def _line_height(self, size: float) -> float:
        return size * MM_PER_PT * self.s.spacing

    @property
    def bottom(self) -> float:
        return A4_MM[1] - self.s.bottom

    def new_page(self) -> None:
        self._flush()
        self.y = self.s.top
        if self.number_pages:
            number = str(len(self.pages) + 1)
            self._lines.append(TextLine(number, self.s.left, self.y, self.s.text_width, 13, "regular", "center"))
            self.y += 12

    def new_page_carrying(self, count: int) -> None:
        """Break the page, taking the last ``count`` body lines along, so that a block such as
        the signature never stands alone on a page (offices retype to avoid that too)."""
        taken: list[TextLine] = []
        while self._lines and len(taken) < count and not self._lines[-1].joined:
            taken.insert(0, self._lines.pop())
        if taken and len(self._lines) <= 2:  # nothing would remain: keep the page as it is
            self._lines += taken
            taken = []
        top = taken[0].y_mm if taken else self.y
        offset = self.y - top
        self.new_page()
        shift = self.y - top
        for line in taken:
            self._lines.append(TextLine(line.text, line.x_mm, line.y_mm + shift, line.width_mm, line.size_pt,
                                        line.style, line.align, line.underline_mm))
        self.y += offset

    def _flush(self) -> None:
        self.pages.append(PageLayout(tuple(self._lines), tuple(self._shapes), self._signature))
        self._lines, self._shapes, self._signature = [], [], None

    def finish(self) -> tuple[PageLayout, ...]:
        self._flush()
        return tuple(self.pages)

    def ensure(self, height: float) -> None:
        if self.y + height > self.bottom and self.y > self.s.top + 30:
            self.new_page()

    def space(self, mm: float) -> None:
        self.y += mm

    # -- text
    def wrap(self, text: str, width: float, style: str, size: float, first_indent: float = 0.0) -> list[str]:
        words = nfc(text).split()
        lines: list[str] = []
        current = ""
        limit = width - first_indent
        for word in words:
            trial = f"{current} {word}" if current else word
            if current and text_width_mm(trial, style, size) > limit * 0.99:
                lines.append(current)
                current = word
                limit = width
            else:
                current = trial
        if current:
            lines.append(current)
        return lines

    def paragraph(
        self,
        text: str,
        *,
        style: str = "regular",
        size: float | None = None,
        align: str | None = None,
        indent: float | None = None,
        hanging: float = 0.0,
        gap: float | None = None,
    ) -> None:
        size = size or self.s.body_pt
        align = align or ("justify" if self.s.justify else "left")
        indent = self.s.indent if indent is None else indent
        width = self.s.text_width
        lines = self.wrap(text, width - hanging, style, size, first_indent=indent)
        height = self._line_height(size)
        for index, line in enumerate(lines):
            self.ensure(height)
            last = index == len(lines) - 1
            x = self.s.left + (indent if index == 0 else hanging)
            w = width - (indent if index == 0 else hanging)
            line_align = align
            if align == "justify" and last:
                line_align = "left"
            if align in ("center", "right"):
                x, w = self.s.left, width
            self._lines.append(TextLine(line, x, self.y, w, size, style, line_align))
            self.y += height
        self.y += self.s.paragraph_gap if gap is None else gap

    def centered(self, text: str, *, style: str = "bold", size: float | None = None, gap: float = 0.5,
                 underline: float = 0.0) -> None:
        size = size or self.s.body_pt
        for line in self.wrap(text, self.s.text_width * 0.9, style, size):
            self.ensure(self._line_height(size))
            self._lines.append(TextLine(line, self.s.left, self.y, self.s.text_width, size, style, "center",
                                        underline))
            self.y += self._line_height(size)
        self.y += gap

    def field(self, label: str, value: str, **kwargs) -> None:
        """A "Label: value" line of a certificate or form (tighter spacing than body paragraphs)."""
        kwargs.setdefault("gap", self.s.paragraph_gap * 0.5)
        self.paragraph(f"{label}: {value}" if value else label, indent=0.0, hanging=0.0, align="left", **kwargs)

    # -- two-column blocks (header, signature)
    def columns(
        self,
        left: Sequence[Cell],
        right: Sequence[Cell],
        *,
        left_box: tuple[float, float],
        right_box: tuple[float, float],
        signature_after: int | None = None,
        keep_together: bool = True,
    ) -> None:
        """Two columns side by side on one grid of rows.

        Tesseract (psm 3) does not split short two-column blocks into columns: it reads each row
        across both, so the ground truth joins a row's left and right text with a space. Keeping
        both columns on the same row pitch makes those rows exact. ``signature_after`` is the index
        of the right cell after which the gap for the signature and seal starts."""
        sizes = [cell.size or self.s.header_pt for cell in (*left, *right)]
        pitch = max(sizes) * MM_PER_PT * 1.35
        rows: dict[int, list[TextLine]] = {}
        signature = None
        for column, (cells, (x, w)) in enumerate(((left, left_box), (right, right_box))):
            row = 0
            for index, cell in enumerate(cells):
                size = cell.size or self.s.header_pt
                row += cell.skip
                if column == 1 and signature_after is not None and index == signature_after + 1:
                    signature = (x + w * 0.15, (row - cell.skip) * pitch, w * 0.7, cell.skip * pitch)
                for text in self.wrap(cell.text, w, cell.style, size):
                    underline = 0.0
                    if cell.underline:
                        underline = text_width_mm(text, cell.style, size) * (1.0 if column == 1 else 0.45)
                    rows.setdefault(row, []).append(TextLine(text, x, row * pitch, w, size, cell.style, cell.align,
                                                             underline))
                    row += 1
        height = (max(rows) + 1) * pitch if rows else 0.0
        if keep_together and self.y + height > self.bottom:
            self.new_page_carrying(3)
        for row in sorted(rows):
            for position, line in enumerate(rows[row]):
                self._lines.append(TextLine(line.text, line.x_mm, line.y_mm + self.y, line.width_mm, line.size_pt,
                                            line.style, line.align, line.underline_mm, joined=position > 0))
        if signature:
            sx, sy, sw, sh = signature
            self._signature = (sx, sy + self.y, sw, sh)
        self.y += height

    def shape(self, kind: str, x: float, y: float, w: float, h: float, grey: int = 0) -> None:
        self._shapes.append(Shape(kind, x, y, w, h, grey))

    def absolute(self, line: TextLine) -> None:
        self._lines.append(line)


# --------------------------------------------------------------------------------------------
# Content: a context of random choices shared by the templates
# --------------------------------------------------------------------------------------------


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


class Ctx:
    """Random choices for one document, drawn from one numpy Generator."""

    def __init__(self, rng: np.random.Generator, variant: int | None = None):
        self.rng = rng
        self._variant = variant

    def variant(self, count: int = 3) -> int:
        """Which of a kind's templates to use: the one asked for, or one at random."""
        drawn = self.integer(0, count - 1)
        return drawn if self._variant is None else self._variant % count

    def choice(self, options: Sequence):
        return options[int(self.rng.integers(len(options)))]

    def chance(self, p: float) -> bool:
        return bool(self.rng.random() < p)

    def integer(self, low: int, high: int) -> int:
        return int(self.rng.integers(low, high + 1))

    def date_between(self, start: date, end: date) -> date:
        if end < start:
            start, end = end, start
        return start + timedelta(days=int(self.rng.integers(0, (end - start).days + 1)))

    def place(self) -> Place:
        code = self.choice(sorted(GEOGRAPHY))
        unit, name, districts = GEOGRAPHY[code]
        d_unit, d_name, wards = self.choice(districts)
        w_unit, w_name = self.choice(wards)
        return Place(code, unit, name, d_unit, d_name, w_unit, w_name)

    def street_address(self, place: Place) -> str:
        if place.ward_unit == "Xã":
            street = f"{self.choice(['Thôn', 'Ấp', 'Xóm'])} {self.choice(['Đông', 'Tây', 'Bắc', 'Trung', '1', '2', '3', 'Phú Lợi', 'An Thịnh'])}"
        else:
            number = self.choice([f"{self.integer(1, 250)}", f"{self.integer(1, 120)}/{self.integer(1, 40)}",
                                  f"{self.integer(1, 99)}A"])
            street = f"Số {number} đường {self.choice(STREETS)}"
            if self.chance(0.4):
                street += f", khu phố {self.integer(1, 9)}"
            elif self.chance(0.3):
                street = f"Số {number}, ngõ {self.integer(2, 200)} {self.choice(STREETS)}"
        return place.address(street)

    def name(self, sex: str) -> str:
        middle = self.choice(MIDDLE[sex])
        if self.chance(0.2):
            middle += " " + self.choice([m for m in MIDDLE[sex] if m not in ("Thị", "Văn")])
        return nfc(f"{self.choice(SURNAMES)} {middle} {self.choice(GIVEN[sex])}")

    def person(self, *, born: tuple[date, date] = (date(1950, 1, 1), date(2005, 12, 31)), sex: str | None = None,
               surname: str | None = None) -> Person:
        sex = sex or self.choice(["Nam", "Nữ"])
        birth = self.date_between(*born)
        province = self.choice(sorted(GEOGRAPHY)) if self.chance(0.6) else self.choice(sorted(PROVINCE_CODES))
        name = self.name(sex)
        if surname:
            name = f"{surname} {name.split(' ', 1)[1]}"
        place = self.place()
        ethnicity = self.choice(ETHNICITIES)
        return Person(name, sex, birth, personal_id(self.rng, birth, sex, province), province,
                      self.street_address(place), ethnicity)

    def number(self, suffix: str, year: int, *, with_year: float = 0.3) -> str:
        n = self.integer(1, 2500)
        return f"{n}/{year}/{suffix}" if self.chance(with_year) else f"{n}/{suffix}"


@dataclass
class Issuer:
    parent: str  # upper case, may be ""
    body: str  # upper case
    place: Place

    @property
    def name(self) -> str:
        return self.body


def commune_issuer(ctx: Ctx, place: Place) -> Issuer:
    parent = ctx.choice([f"ỦY BAN NHÂN DÂN {place.district_full}", f"UBND {place.district_full}", ""])
    return Issuer(upper_vi(parent), upper_vi(f"ỦY BAN NHÂN DÂN {place.ward_full}"), place)


def district_issuer(ctx: Ctx, place: Place) -> Issuer:
    parent = ctx.choice([f"ỦY BAN NHÂN DÂN {place.province_full}", ""])
    return Issuer(upper_vi(parent), upper_vi(f"ỦY BAN NHÂN DÂN {place.district_full}"), place)


def police_issuer(ctx: Ctx, place: Place) -> Issuer:
    return Issuer(upper_vi(f"CÔNG AN {place.district_full}"), upper_vi(f"CÔNG AN {place.ward_full}"), place)


# --------------------------------------------------------------------------------------------
# Shared layout blocks
# --------------------------------------------------------------------------------------------

NATIONAL = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
MOTTO = "Độc lập - Tự do - Hạnh phúc"


def header(c: Composer, ctx: Ctx, issuer: Issuer | None, number_line: str | None, place_date: str | None) -> None:
    """Decree 30 header: issuing body and number top-left, national heading top-right, then the
    italic place-and-date line under the national heading."""
    s = c.s
    size = s.header_pt
    right_w = text_width_mm(NATIONAL, "bold", size) + ctx.rng.uniform(2, 8)
    right_x = A4_MM[0] - s.right - right_w + ctx.rng.uniform(0, 4)
    left_x = max(12.0, s.left - ctx.rng.uniform(0, 10))
    left_w = min(right_x - left_x - 6.0, 85.0)
    right_cells = [Cell(NATIONAL, "bold", size), Cell(MOTTO, "bold", size + 0.5, underline=True)]
    if issuer is None:  # forms: national heading centred alone
        c.centered(NATIONAL, size=size, gap=0.0)
        c.centered(MOTTO, size=size + 0.5, underline=text_width_mm(MOTTO, "bold", size + 0.5), gap=2)
        c.space(4)
        return
    left_cells = []
    if issuer.parent:
        left_cells += [Cell(part, "regular", size) for part in _split_body(issuer.parent, left_w, "regular", size)]
    body = _split_body(issuer.body, left_w, "bold", size)
    left_cells += [Cell(part, "bold", size, underline=part is body[-1]) for part in body]
    if number_line:
        left_cells.append(Cell(number_line, "regular", size + 0.5, skip=1))
    c.columns(left_cells, right_cells, left_box=(left_x, left_w), right_box=(right_x, right_w), keep_together=False)
    if place_date:
        c.space(ctx.rng.uniform(2, 5))
        date_size = s.body_pt
        c.absolute(TextLine(place_date, right_x, c.y, right_w, date_size, "italic", "center"))
        c.y += date_size * MM_PER_PT * 1.3
    c.space(ctx.rng.uniform(5, 10))


_BODY_PREFIXES = ("ỦY BAN NHÂN DÂN", "UBND", "CÔNG AN", "SỞ", "PHÒNG")


def _split_body(text: str, width: float, style: str, size: float) -> list[str]:
    """Break a too-long body name where an office would: after "ỦY BAN NHÂN DÂN", "CÔNG AN"..."""
    if text_width_mm(text, style, size) <= width:
        return [text]
    for prefix in _BODY_PREFIXES:
        if text.startswith(prefix + " ") and prefix not in ("SỞ", "PHÒNG"):
            rest = text[len(prefix) + 1:]
            if text_width_mm(rest, style, size) <= width:
                return [prefix, rest]
    return [text]  # the column wraps it


def title(c: Composer, text: str, summary: str | None = None, *, size: float | None = None) -> None:
    size = size or c.s.body_pt + 0.5
    c.centered(text, size=size, gap=0.5)
    if summary:
        c.centered(summary, size=c.s.body_pt, gap=0.5, underline=30.0)
    c.space(5)


def signature_block(
    c: Composer,
    ctx: Ctx,
    *,
    recipients: Sequence[str] | None,
    authority: Sequence[str],
    signer: str,
    left_cells: Sequence[Cell] = (),
) -> None:
    """"Nơi nhận:" (or another left block) bottom-left; the signer's position and name bottom-right
    with a gap for the signature and seal."""
    s = c.s
    widest = max(text_width_mm(a, "bold", s.body_pt) for a in authority) + 2
    right_w = min(max(ctx.rng.uniform(70, 85), widest), s.text_width * 0.62)
    right_x = A4_MM[0] - s.right - right_w
    left_x = s.left
    left_w = right_x - left_x - 8
    left: list[Cell] = list(left_cells)
    if recipients:
        left.append(Cell("Nơi nhận:", "bold_italic", 12, align="left"))
        left += [Cell(r, "regular", 11, align="left") for r in recipients]
    right = [Cell(a, "bold", s.body_pt) for a in authority]
    right.append(Cell(signer, "bold", s.body_pt, skip=int(ctx.integer(3, 5))))
    c.space(ctx.rng.uniform(3, 8))
    c.columns(left, right, left_box=(left_x, left_w), right_box=(right_x, right_w),
              signature_after=len(authority) - 1)


def place_date_line(place: Place, issued: date, ctx: Ctx) -> str:
    return f"{place.place_name}, {date_long(issued)}"


def legal_bases(ctx: Ctx, extra: Sequence[str]) -> list[str]:
    bases = [
        "Căn cứ Luật Tổ chức chính quyền địa phương ngày 19 tháng 6 năm 2015; Luật sửa đổi, bổ sung "
        "một số điều của Luật Tổ chức Chính phủ và Luật Tổ chức chính quyền địa phương ngày 22 tháng 11 năm 2019;",
    ]
    bases += list(extra)
    return bases


# --------------------------------------------------------------------------------------------
# Templates: one function per document kind, each with several variants
# --------------------------------------------------------------------------------------------


@dataclass
class Built:
    template: str
    title: str
    fields: dict[str, str]
    pages: tuple[PageLayout, ...]
    owner: Person


def _finish(c: Composer, owner: Person, template: str, title_text: str, fields: dict[str, str]) -> Built:
    return Built(template, title_text, {k: nfc(v) for k, v in fields.items() if v}, c.finish(), owner)


def _common_fields(p: Person) -> dict[str, str]:
    return {"owner_id": p.personal_id, "full_name": p.full_name, "date_of_birth": p.date_of_birth.isoformat(),
            "sex": p.sex}


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
    fields = _common_fields(child) | {"doc_number": doc_number, "issue_date": issued.isoformat(),
                                      "issuer": issuer.body, "father_name": father.full_name,
                                      "mother_name": mother.full_name}
    return _finish(c, child, template, "GIẤY KHAI SINH" if variant != 1 else "TRÍCH LỤC KHAI SINH", fields)


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
    return _finish(c, person, template, "QUYẾT ĐỊNH", fields)


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
    fields = _common_fields(p) | {"issue_date": issued.isoformat()}
    return _finish(c, p, template, title_text, fields)


def t_xac_nhan_tinh_trang_hon_nhan(ctx: Ctx, c: Composer, owner: Person | None) -> Built:
    variant = ctx.variant()
    issued = ctx.date_between(date(2018, 1, 1), date(2025, 6, 30))
    place = ctx.place()
    issuer = commune_issuer(ctx, place)
    p = owner or ctx.person(born=(date(1960, 1, 1), date(2005, 12, 31)))
    number = ctx.choice([f"{ctx.integer(1, 400)}/XNTTHN", f"{ctx.integer(1, 400)}/UBND-XNTTHN", f"{ctx.integer(1, 400)}"])
    header(c, ctx, issuer, f"Số: {number}", place_date_line(place, issued, ctx) if variant != 2 else None)
    title(c, "GIẤY XÁC NHẬN TÌNH TRẠNG HÔN NHÂN")
    level = f"Ủy ban nhân dân {place.ward_lower}, {place.district_lower}, {place.province_full}"
    if variant == 1:
        c.paragraph(f"Xét đề nghị của {'ông' if p.sex == 'Nam' else 'bà'} {p.full_name} về việc cấp Giấy xác nhận tình trạng hôn nhân,")
        c.paragraph(f"{level} xác nhận:", indent=0)
    else:
        c.paragraph(f"{level}", indent=0, align="left")
        c.paragraph("Xác nhận:", style="bold", indent=0)
    c.field("Họ, chữ đệm, tên", upper_vi(p.full_name) if ctx.chance(0.5) else p.full_name)
    c.field("Ngày, tháng, năm sinh", date_short(p.date_of_birth))
    c.field("Giới tính", f"{p.sex}   Dân tộc: {p.ethnicity}   Quốc tịch: Việt Nam")
    c.field("Giấy tờ tùy thân", f"Căn cước số {p.personal_id}")
    c.field("Nơi cư trú", p.address)
    c.field("Trong thời gian cư trú tại", f"{place.ward_lower}, {place.district_lower} từ ngày "
            f"{date_short(p.date_of_birth + timedelta(days=365 * 18))} đến ngày {date_short(issued)}")
    status = ctx.choice(["Chưa đăng ký kết hôn với ai.", "Hiện tại chưa đăng ký kết hôn với ai.",
                         f"Đã đăng ký kết hôn, nhưng đã ly hôn theo Bản án số {ctx.integer(10, 500)}/{issued.year - 2}/HNGĐ-ST; hiện tại chưa đăng ký kết hôn với ai."])
    c.field("Tình trạng hôn nhân", status)
    c.field("Giấy này được cấp để", ctx.choice(["làm thủ tục đăng ký kết hôn.", "bổ sung hồ sơ vay vốn ngân hàng.",
                                                 "làm thủ tục chuyển nhượng quyền sử dụng đất."]))
    valid = add_months(issued, 6)
    c.paragraph("Giấy này có giá trị sử dụng trong thời hạn 6 tháng, kể từ ngày cấp.", style="italic", indent=0)
    authority = ["TM. ỦY BAN NHÂN DÂN", ctx.choice(["CHỦ TỊCH", "KT. CHỦ TỊCH"])]
    if variant == 2:
        authority = [place_date_line(place, issued, ctx), "NGƯỜI KÝ GIẤY XÁC NHẬN"]
    signature_block(c, ctx, recipients=["- Như trên;", "- Lưu: VT, HT."] if variant == 0 else None,
                    authority=authority, signer=ctx.name(ctx.choice(["Nam", "Nữ"])))
    fields = _common_fields(p) | {"doc_number": number, "issue_date": issued.isoformat(), "issuer": issuer.body,
                                  "valid_until": valid.isoformat()}
    return _finish(c, p, f"xac_nhan_tinh_trang_hon_nhan/v{variant}", "GIẤY XÁC NHẬN TÌNH TRẠNG HÔN NHÂN", fields)


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
    fields = _common_fields(first) | {"doc_number": number, "issue_date": issued.isoformat(), "issuer": issuer.body,
                                      "spouse_name": second.full_name, "spouse_id": second.personal_id}
    return _finish(c, first, f"giay_chung_nhan_ket_hon/v{variant}", "GIẤY CHỨNG NHẬN KẾT HÔN", fields)


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
    fields = _common_fields(p) | {"doc_number": number, "issue_date": issued.isoformat(), "issuer": issuer.body,
                                  "date_of_death": died.isoformat()}
    return _finish(c, p, f"trich_luc_khai_tu/v{variant}", "TRÍCH LỤC KHAI TỬ", fields)


def t_xac_nhan_cu_tru(ctx: Ctx, c: Composer, owner: Person | None) -> Built:
    variant = ctx.variant()
    issued = ctx.date_between(date(2021, 7, 1), date(2025, 6, 30))
    place = ctx.place()
    issuer = police_issuer(ctx, place)
    p = owner or ctx.person(born=(date(1950, 1, 1), date(2005, 12, 31)))
    number = ctx.choice([f"{ctx.integer(1, 3000)}/XNCT", f"{ctx.integer(1, 3000)}/GXN-CA", f"{ctx.integer(1, 3000)}"])
    header(c, ctx, issuer, f"Số: {number}", place_date_line(place, issued, ctx))
    title_text = ["GIẤY XÁC NHẬN THÔNG TIN VỀ CƯ TRÚ", "XÁC NHẬN THÔNG TIN VỀ CƯ TRÚ", "GIẤY XÁC NHẬN CƯ TRÚ"][variant]
    title(c, title_text)
    c.paragraph(f"Công an {place.ward_lower} xác nhận thông tin về cư trú của công dân như sau:", indent=c.s.indent)
    c.field("1. Họ, chữ đệm và tên", upper_vi(p.full_name))
    c.field("2. Ngày, tháng, năm sinh", date_short(p.date_of_birth))
    c.field("3. Giới tính", p.sex)
    c.field("4. Số định danh cá nhân", p.personal_id)
    c.field("5. Nơi thường trú", p.address)
    c.field("6. Nơi tạm trú", ctx.choice(["Không", ctx.street_address(place)]))
    c.field("7. Nơi ở hiện tại", p.address)
    c.field("8. Họ, chữ đệm và tên chủ hộ", p.full_name if ctx.chance(0.5) else ctx.person().full_name)
    c.field("9. Quan hệ với chủ hộ", ctx.choice(["Chủ hộ", "Con", "Vợ", "Chồng", "Cháu"]))
    if variant != 1:
        c.paragraph("10. Thông tin các thành viên trong hộ gia đình:", indent=0)
        for index in range(1, ctx.integer(2, 5)):
            member = ctx.person()
            c.paragraph(f"- {member.full_name}, sinh ngày {date_short(member.date_of_birth)}, số định danh cá nhân "
                        f"{member.personal_id}, quan hệ với chủ hộ: {ctx.choice(['Con', 'Vợ', 'Chồng', 'Mẹ', 'Cha'])}.",
                        indent=0, gap=0.5)
    valid = issued + timedelta(days=30)
    c.paragraph(f"Giấy xác nhận có giá trị 30 ngày kể từ ngày cấp, đến hết ngày {date_short(valid)}. Trường hợp thông tin "
                "về cư trú của công dân có sự thay đổi, điều chỉnh thì giấy xác nhận hết giá trị kể từ thời điểm thay đổi.",
                style="italic")
    signature_block(c, ctx, recipients=["- Công dân;", "- Lưu: hồ sơ cư trú."],
                    authority=["TRƯỞNG CÔNG AN", "(Ký, ghi rõ họ tên và đóng dấu)"] if variant == 2 else ["TRƯỞNG CÔNG AN"],
                    signer=ctx.choice(["Thiếu tá", "Trung tá", "Đại úy"]) + " " + ctx.name("Nam"))
    fields = _common_fields(p) | {"doc_number": number, "issue_date": issued.isoformat(), "issuer": issuer.body,
                                  "valid_until": valid.isoformat()}
    return _finish(c, p, f"xac_nhan_cu_tru/v{variant}", title_text, fields)


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
    fields = _common_fields(p) | {"doc_number": number, "issue_date": issued.isoformat(), "issuer": issuer.body,
                                  "valid_until": valid.isoformat()}
    fields.pop("date_of_birth")
    fields.pop("sex")
    if variant == 2:
        fields.pop("owner_id")
    return _finish(c, p, f"giay_phep_xay_dung/v{variant}", "GIẤY PHÉP XÂY DỰNG", fields)


MONEY = [(50_000_000, "Năm mươi triệu đồng"), (100_000_000, "Một trăm triệu đồng"),
         (200_000_000, "Hai trăm triệu đồng"), (350_000_000, "Ba trăm năm mươi triệu đồng"),
         (30_000_000, "Ba mươi triệu đồng"), (500_000_000, "Năm trăm triệu đồng")]  # fmt: skip
TRADES = ["Bán lẻ lương thực, thực phẩm, đồ uống trong các cửa hàng chuyên doanh",
          "Dịch vụ ăn uống: quán cà phê, giải khát", "Cắt tóc, làm đầu, gội đầu",
          "Sửa chữa xe có động cơ, mô tô, xe máy", "Bán lẻ hàng may mặc, giày dép",
          "Kinh doanh nhà hàng, quán ăn", "Bán lẻ vật liệu xây dựng, đồ ngũ kim"]  # fmt: skip
SHOP_NAMES = ["TẠP HÓA {n}", "CÀ PHÊ {n}", "QUÁN ĂN {n}", "SỬA XE {n}", "THỜI TRANG {n}", "VẬT LIỆU XÂY DỰNG {n}"]


def t_giay_chung_nhan_dang_ky_ho_kinh_doanh(ctx: Ctx, c: Composer, owner: Person | None) -> Built:
    variant = ctx.variant()
    issued = ctx.date_between(date(2016, 1, 1), date(2025, 6, 30))
    place = ctx.place()
    p = owner or ctx.person(born=(date(1955, 1, 1), date(2003, 12, 31)))
    body = ctx.choice(["PHÒNG TÀI CHÍNH - KẾ HOẠCH", "PHÒNG KINH TẾ", "PHÒNG KINH TẾ - HẠ TẦNG"])
    issuer = Issuer(upper_vi(f"ỦY BAN NHÂN DÂN {place.district_full}"), body, place)
    tax_code = f"8{ctx.integer(0, 999_999_999):09d}"
    reg_number = f"{place.province_code[1:]}{ctx.choice(['A', 'B', 'C', 'D', 'E', 'M'])}{ctx.integer(8_000_000, 8_999_999)}"
    header(c, ctx, issuer, None, place_date_line(place, issued, ctx) if variant == 1 else None)
    title(c, "GIẤY CHỨNG NHẬN ĐĂNG KÝ HỘ KINH DOANH")
    if variant == 0:
        c.centered(f"Số: {reg_number}", style="regular", size=c.s.body_pt, gap=1)
    else:
        c.centered(f"Mã số hộ kinh doanh: {tax_code}", style="regular", size=c.s.body_pt, gap=1)
    c.centered(f"Đăng ký lần đầu: {date_long(issued - timedelta(days=ctx.integer(0, 900)))}", style="italic",
               size=c.s.body_pt, gap=0)
    if ctx.chance(0.5):
        c.centered(f"Đăng ký thay đổi lần thứ {ctx.integer(1, 4)}: {date_long(issued)}", style="italic", size=c.s.body_pt, gap=0)
    c.space(4)
    shop = upper_vi("HỘ KINH DOANH " + ctx.choice(SHOP_NAMES).format(n=upper_vi(p.full_name.split()[-1] + " " + ctx.choice(["PHÁT", "ANH", "LỘC", "AN", "HƯNG"]))))
    amount, words = ctx.choice(MONEY)
    c.field("1. Tên hộ kinh doanh", shop)
    c.field("2. Địa điểm kinh doanh", ctx.street_address(place))
    c.field("Điện thoại", f"09{ctx.integer(10000000, 99999999)}   Email: không")
    c.field("3. Ngành, nghề kinh doanh", ctx.choice(TRADES))
    c.field("4. Vốn kinh doanh", f"{amount:,} đồng".replace(",", ".") + f" (Bằng chữ: {words})")
    if variant != 1:
        c.field("5. Mã số thuế", tax_code)
    c.paragraph(f"{6 if variant != 1 else 5}. Thông tin về chủ hộ kinh doanh:", indent=0)
    c.field("Họ, chữ đệm và tên", upper_vi(p.full_name))
    c.field("Giới tính", f"{p.sex}   Sinh ngày: {date_short(p.date_of_birth)}   Dân tộc: {p.ethnicity}")
    c.field("Quốc tịch", "Việt Nam")
    c.field("Số định danh cá nhân", p.personal_id)
    c.field("Nơi cư trú", p.address)
    if variant == 2:
        c.paragraph("7. Danh sách thành viên hộ gia đình tham gia kinh doanh:", indent=0)
        for index in range(1, ctx.integer(2, 4)):
            m = ctx.person()
            c.paragraph(f"{index}. {m.full_name}, sinh ngày {date_short(m.date_of_birth)}, số định danh cá nhân {m.personal_id}.",
                        indent=0, gap=0.5)
    signature_block(c, ctx, recipients=["- Chủ hộ kinh doanh;", "- Chi cục Thuế khu vực;", "- Lưu: VT."] if variant != 0 else None,
                    authority=["TRƯỞNG PHÒNG"] if ctx.chance(0.6) else ["KT. TRƯỞNG PHÒNG", "PHÓ TRƯỞNG PHÒNG"],
                    signer=ctx.name(ctx.choice(["Nam", "Nữ"])))
    fields = _common_fields(p) | {"doc_number": reg_number if variant == 0 else tax_code, "issue_date": issued.isoformat(),
                                  "issuer": issuer.body, "tax_code": tax_code, "business_name": shop}
    return _finish(c, p, f"giay_chung_nhan_dang_ky_ho_kinh_doanh/v{variant}", "GIẤY CHỨNG NHẬN ĐĂNG KÝ HỘ KINH DOANH", fields)


def _card(c: Composer, ctx: Ctx, *, x: float, y: float, scale: float, head: Sequence[str],
          rows: Sequence[str], photo: bool, bold_rows: Sequence[int] = ()) -> float:
    """A card (85.6 × 54 mm times ``scale``) as a photocopy shows it; returns its bottom."""
    w, h = 85.6 * scale, 54.0 * scale
    c.shape("rect", x, y, w, h)
    size = 6.5 * scale
    line_h = size * MM_PER_PT * 1.25
    ty = y + 2.5 * scale
    for text in head:
        c.absolute(TextLine(text, x, ty, w, size, "bold", "center"))
        ty += line_h
    ty += 1.5 * scale
    text_x = x + 3 * scale
    if photo:
        c.shape("fill", x + 3 * scale, ty, 20 * scale, 25 * scale, grey=int(ctx.integer(150, 200)))
        text_x = x + 26 * scale
    width = x + w - text_x - 2 * scale
    for index, row in enumerate(rows):
        style = "bold" if index in bold_rows else "regular"
        for text in c.wrap(row, width, style, size):
            c.absolute(TextLine(text, text_x, ty, width, size, style, "left"))
            ty += line_h
    return y + h


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
    bottom = _card(c, ctx, x=x, y=y, scale=scale, head=head, rows=rows, photo=True, bold_rows=bold)
    bottom = _card(c, ctx, x=x, y=bottom + ctx.rng.uniform(10, 25), scale=scale, head=[], rows=back, photo=False)
    fields = _common_fields(p) | {"issue_date": issued.isoformat(), "issuer": "BỘ CÔNG AN"}
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
    return _finish(c, p, f"can_cuoc/v{variant}", title_text, fields)


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
        _card(c, ctx, x=x, y=c.s.top + ctx.rng.uniform(0, 20), scale=scale, head=head, rows=rows, photo=variant == 1,
              bold_rows=(0, 1))
        return _finish(c, p, f"the_bao_hiem_y_te/v{variant}", "THẺ BẢO HIỂM Y TẾ", fields)
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
    return _finish(c, p, "the_bao_hiem_y_te/tra_cuu", "THẺ BẢO HIỂM Y TẾ", fields)


def t_giay_chung_nhan_quyen_su_dung_dat(ctx: Ctx, c: Composer, owner: Person | None) -> Built:
    variant = ctx.variant()
    issued = ctx.date_between(date(2010, 1, 1), date(2025, 6, 30))
    place = ctx.place()
    if variant == 2:
        body = upper_vi(f"ỦY BAN NHÂN DÂN {place.district_full}")
        parent = ""
    else:
        body = "SỞ TÀI NGUYÊN VÀ MÔI TRƯỜNG"
        parent = upper_vi(f"ỦY BAN NHÂN DÂN {place.province_full}")
    issuer = Issuer(parent, body, place)
    p = owner or ctx.person(born=(date(1940, 1, 1), date(2000, 12, 31)))
    long_title = ("GIẤY CHỨNG NHẬN QUYỀN SỬ DỤNG ĐẤT, QUYỀN SỞ HỮU TÀI SẢN GẮN LIỀN VỚI ĐẤT" if issued.year >= 2024
                  else "GIẤY CHỨNG NHẬN QUYỀN SỬ DỤNG ĐẤT, QUYỀN SỞ HỮU NHÀ Ở VÀ TÀI SẢN KHÁC GẮN LIỀN VỚI ĐẤT")
    if variant == 1:
        long_title = "GIẤY CHỨNG NHẬN QUYỀN SỬ DỤNG ĐẤT"
    header(c, ctx, issuer if variant != 0 else None, None, None)
    title(c, long_title)
    serial = f"{ctx.choice(['CS', 'CT', 'DA', 'BV', 'CH'])} {ctx.integer(100_000, 999_999)}"
    entry = f"CS {ctx.integer(1000, 99999):05d}"
    area = ctx.integer(40, 800)
    decimal = ctx.integer(0, 9)
    c.paragraph("I. Người sử dụng đất, chủ sở hữu nhà ở và tài sản khác gắn liền với đất", style="bold", indent=0)
    c.paragraph(f"{'Ông' if p.sex == 'Nam' else 'Bà'}: {upper_vi(p.full_name)}, sinh năm {p.date_of_birth.year}, "
                f"CCCD số: {p.personal_id}; địa chỉ thường trú: {p.address}.", indent=0)
    if ctx.chance(0.5):
        sp = ctx.person(sex="Nữ" if p.sex == "Nam" else "Nam")
        c.paragraph(f"{'Bà' if sp.sex == 'Nữ' else 'Ông'}: {upper_vi(sp.full_name)}, sinh năm {sp.date_of_birth.year}, "
                    f"CCCD số: {sp.personal_id}; cùng địa chỉ.", indent=0)
    c.paragraph("II. Thửa đất, nhà ở và tài sản khác gắn liền với đất", style="bold", indent=0)
    c.paragraph("1. Thửa đất:", indent=0)
    land = [
        f"a) Thửa đất số: {ctx.integer(1, 999)}, tờ bản đồ số: {ctx.integer(1, 90)};",
        f"b) Địa chỉ: {ctx.street_address(place)};",
        f"c) Diện tích: {area},{decimal} m2 (bằng chữ: {number_words(area)} phẩy {number_words(decimal)} mét vuông);",
        f"d) Hình thức sử dụng: {ctx.choice(['Sử dụng riêng', 'Sử dụng chung'])};",
        f"đ) Mục đích sử dụng: {ctx.choice(['Đất ở tại đô thị', 'Đất ở tại nông thôn', 'Đất trồng cây lâu năm'])};",
        f"e) Thời hạn sử dụng: {ctx.choice(['Lâu dài', 'đến ngày 15/10/2063'])};",
        f"g) Nguồn gốc sử dụng: {ctx.choice(['Nhà nước công nhận quyền sử dụng đất', 'Nhận chuyển nhượng đất được công nhận quyền sử dụng đất', 'Được tặng cho đất được công nhận quyền sử dụng đất'])}.",
    ]
    for item in land:
        c.paragraph(item, indent=5, hanging=5, gap=0.5)
    c.paragraph(f"2. Nhà ở: {ctx.choice(['Nhà ở riêng lẻ; diện tích xây dựng: ' + str(ctx.integer(40, 150)) + ' m2; kết cấu: bê tông cốt thép; số tầng: ' + str(ctx.integer(1, 4)), '-/-'])}", indent=0)
    c.paragraph("3. Công trình xây dựng khác: -/-", indent=0)
    c.paragraph("4. Rừng sản xuất là rừng trồng: -/-", indent=0)
    c.paragraph("5. Cây lâu năm: -/-", indent=0)
    c.paragraph("6. Ghi chú: " + ctx.choice(["Không", "Thửa đất có một phần diện tích thuộc hành lang an toàn giao thông."]), indent=0)
    signature_block(c, ctx, recipients=None,
                    left_cells=[Cell(f"Số vào sổ cấp GCN: {entry}", "regular", c.s.body_pt, align="left")],
                    authority=[f"{place.place_name}, {date_long(issued)}",
                               "TM. ỦY BAN NHÂN DÂN" if variant == 2 else "KT. GIÁM ĐỐC",
                               "CHỦ TỊCH" if variant == 2 else "PHÓ GIÁM ĐỐC"],
                    signer=ctx.name(ctx.choice(["Nam", "Nữ"])))
    if variant != 1:
        c.new_page()
        c.paragraph("III. Sơ đồ thửa đất, nhà ở và tài sản khác gắn liền với đất", style="bold", indent=0)
        c.shape("rect", c.s.left + 30, c.y + 3, 90, 70)
        c.space(80)
        c.paragraph("IV. Những thay đổi sau khi cấp Giấy chứng nhận", style="bold", indent=0)
        for _ in range(ctx.integer(0, 2)):
            changed = ctx.date_between(issued, date(2025, 6, 30))
            c.paragraph(f"- Ngày {date_short(changed)}: {ctx.choice(['Thế chấp bằng quyền sử dụng đất tại Ngân hàng Nông nghiệp và Phát triển Nông thôn Việt Nam', 'Xóa thế chấp theo hồ sơ số ' + str(ctx.integer(100, 9999)), 'Đính chính thông tin người sử dụng đất do cấp Căn cước'])}.",
                        indent=0)
    fields = _common_fields(p) | {"doc_number": serial, "issue_date": issued.isoformat(), "issuer": body,
                                  "register_number": entry}
    fields.pop("date_of_birth")
    fields.pop("sex")
    fields["birth_year"] = str(p.date_of_birth.year)
    c.pages  # noqa: B018 - the serial is printed on the cover, which is not reproduced
    return _finish(c, p, f"giay_chung_nhan_quyen_su_dung_dat/v{variant}", long_title, fields)


TEMPLATES: dict[str, Callable[[Ctx, Composer, Person | None], Built]] = {
    "giay_khai_sinh": t_giay_khai_sinh,
    "quyet_dinh": t_quyet_dinh,
    "to_khai": t_to_khai,
    "xac_nhan_tinh_trang_hon_nhan": t_xac_nhan_tinh_trang_hon_nhan,
    "giay_chung_nhan_ket_hon": t_giay_chung_nhan_ket_hon,
    "trich_luc_khai_tu": t_trich_luc_khai_tu,
    "xac_nhan_cu_tru": t_xac_nhan_cu_tru,
    "giay_phep_xay_dung": t_giay_phep_xay_dung,
    "giay_chung_nhan_dang_ky_ho_kinh_doanh": t_giay_chung_nhan_dang_ky_ho_kinh_doanh,
    "can_cuoc": t_can_cuoc,
    "the_bao_hiem_y_te": t_the_bao_hiem_y_te,
    "giay_chung_nhan_quyen_su_dung_dat": t_giay_chung_nhan_quyen_su_dung_dat,
}


def make_document(
    seed: int, doc_type: str | None = None, *, owner: Person | None = None, variant: int | None = None
) -> SampleDocument:
    """The content and layout of one document; the same seed gives the same document.

    ``owner`` fixes the person the document is about (a dossier's documents share one);
    ``variant`` picks one of the kind's templates (0, 1, 2) instead of drawing it."""
    rng = np.random.default_rng([seed, 0x5A])
    ctx = Ctx(rng, variant)
    doc_type = doc_type or ctx.choice(DOC_TYPES)
    if doc_type not in TEMPLATES:
        raise ValueError(f"unknown document type {doc_type!r}; known: {', '.join(DOC_TYPES)}")
    composer = Composer(PageStyle.random(rng), number_pages=ctx.chance(0.8))
    built = TEMPLATES[doc_type](ctx, composer, owner)
    pages = tuple(page for page in built.pages if page.lines)
    return SampleDocument(doc_type, built.template, nfc(built.title), dict(built.fields), pages, seed, built.owner)


def make_person(seed: int, *, born: tuple[date, date] = (date(1960, 1, 1), date(2003, 12, 31))) -> Person:
    """A random person (name, sex, birth date, valid personal ID, address) for a dossier's owner."""
    return Ctx(np.random.default_rng([seed, 0xB0])).person(born=born)


# --------------------------------------------------------------------------------------------
# Rendering
# --------------------------------------------------------------------------------------------


def _px(mm: float, dpi: int) -> int:
    return int(round(mm / 25.4 * dpi))


def render_page(page: PageLayout, *, dpi: int = 300) -> Image.Image:
    size = (_px(A4_MM[0], dpi), _px(A4_MM[1], dpi))
    image = Image.new("L", size, 255)
    draw = ImageDraw.Draw(image)
    for shape in page.shapes:
        box = [_px(shape.x_mm, dpi), _px(shape.y_mm, dpi), _px(shape.x_mm + shape.w_mm, dpi),
               _px(shape.y_mm + shape.h_mm, dpi)]
        if shape.kind == "rect":
            draw.rounded_rectangle(box, radius=_px(2.5, dpi), outline=shape.grey, width=max(1, _px(0.3, dpi)))
        elif shape.kind == "fill":
            draw.rectangle(box, fill=shape.grey)
        else:
            draw.rectangle(box, fill=shape.grey)
    for line in page.lines:
        font = _font(line.style, max(6, int(round(line.size_pt * dpi / 72))))
        x0, y0, width = _px(line.x_mm, dpi), _px(line.y_mm, dpi), _px(line.width_mm, dpi)
        text_w = font.getlength(line.text)
        words = line.text.split(" ")
        if line.align == "justify" and len(words) > 1:
            widths = [font.getlength(w) for w in words]
            gap = (width - sum(widths)) / (len(words) - 1)
            if gap < font.getlength(" ") * 3:
                x = float(x0)
                for word, w in zip(words, widths):
                    draw.text((x, y0), word, font=font, fill=0, anchor="la")
                    x += w + gap
            else:
                draw.text((x0, y0), line.text, font=font, fill=0, anchor="la")
            text_x = x0
        else:
            if line.align == "center":
                text_x = x0 + (width - text_w) / 2
            elif line.align == "right":
                text_x = x0 + width - text_w
            else:
                text_x = x0
            draw.text((text_x, y0), line.text, font=font, fill=0, anchor="la")
        if line.underline_mm:
            ascent, descent = font.getmetrics()
            uy = y0 + ascent + descent + _px(0.6, dpi)
            cx = x0 + width / 2
            half = _px(line.underline_mm, dpi) / 2
            draw.line([(cx - half, uy), (cx + half, uy)], fill=0, width=max(1, _px(0.25, dpi)))
    return image


def render_pages(document: SampleDocument, *, dpi: int = 300) -> list[tuple[Image.Image, str]]:
    """Clean page images ("L", A4 at ``dpi``) and the ground-truth text of each."""
    return [(render_page(page, dpi=dpi), page.text) for page in document.pages]


def _signature_strokes(draw: ImageDraw.ImageDraw, rng: np.random.Generator, box: tuple[int, int, int, int],
                       colour, width: int) -> None:
    x, y, w, h = box
    points = []
    n = int(rng.integers(12, 25))
    for i in range(n):
        t = i / (n - 1)
        px = x + w * (0.1 + 0.8 * t) + rng.normal(0, w * 0.03)
        py = y + h * (0.5 + 0.3 * math.sin(t * rng.uniform(6, 14))) + rng.normal(0, h * 0.08)
        points.append((px, py))
    draw.line(points, fill=colour, width=width, joint="curve")
    sx = x + w * rng.uniform(0.2, 0.6)
    draw.line([(sx, y + h * 0.8), (sx + w * rng.uniform(0.2, 0.4), y + h * rng.uniform(0.2, 0.4))], fill=colour, width=width)


def add_seal_and_signature(image: Image.Image, page: PageLayout, rng: np.random.Generator, *, dpi: int,
                           issuer: str = "") -> Image.Image:
    """The blue signature strokes in the signer's gap and the red seal overlapping its left third."""
    if page.signature_box_mm is None:
        return image
    page_rgb = image.convert("RGB")
    stamp = Image.new("RGB", page_rgb.size, (255, 255, 255))
    draw = ImageDraw.Draw(stamp)
    x, y, w, h = page.signature_box_mm
    box = (_px(x, dpi), _px(y, dpi), _px(w, dpi), _px(h, dpi))
    _signature_strokes(draw, rng, box, (30, 50, 160), max(2, _px(0.5, dpi)))
    if issuer and rng.random() < 0.85:
        radius = _px(rng.uniform(16, 19), dpi)
        cx = box[0] + int(box[2] * rng.uniform(0.05, 0.25))
        cy = box[1] + box[3] // 2 + int(rng.normal(0, box[3] * 0.1))
        red = (int(rng.integers(180, 225)), 30, 45)
        ring = max(2, _px(0.6, dpi))
        for r in (radius, radius - _px(1.0, dpi), int(radius * 0.62)):
            draw.ellipse([cx - r, cy - r, cx + r, cy + r], outline=red, width=ring)
        star = [(cx + radius * 0.3 * (1 if i % 2 == 0 else 0.45) * math.cos(math.pi / 2 + i * math.pi / 5),
                 cy - radius * 0.3 * (1 if i % 2 == 0 else 0.45) * math.sin(math.pi / 2 + i * math.pi / 5)) for i in range(10)]
        draw.polygon(star, fill=red)
        _arc_text(stamp, issuer, (cx, cy), int(radius * 0.81), red, _px(2.6, dpi))
    return Image.fromarray(np.minimum(np.asarray(page_rgb), np.asarray(stamp)))


def _arc_text(image: Image.Image, text: str, centre: tuple[int, int], radius: int, colour, size: int) -> None:
    font = _font("bold", max(6, size))
    chars = list(text)
    span = min(300.0, 12.0 * len(chars))
    for index, char in enumerate(chars):
        angle = -span / 2 + span * index / max(1, len(chars) - 1)  # degrees from the top, clockwise
        tile = Image.new("L", (size * 2, size * 2), 0)
        ImageDraw.Draw(tile).text((size, size), char, font=font, fill=255, anchor="mm")
        tile = tile.rotate(-angle, resample=Image.BILINEAR)
        theta = math.radians(angle)
        px = int(centre[0] + radius * math.sin(theta)) - size
        py = int(centre[1] - radius * math.cos(theta)) - size
        image.paste(Image.new("RGB", tile.size, colour), (px, py), tile)


# --------------------------------------------------------------------------------------------
# Degradation
# --------------------------------------------------------------------------------------------

SEVERITIES = ("light", "medium", "heavy")
_TRANSPOSE_FOR_ROTATION = {  # content appears rotated clockwise by the key
    90: Image.Transpose.ROTATE_270,
    180: Image.Transpose.ROTATE_180,
    270: Image.Transpose.ROTATE_90,
}
UPRIGHT_TRANSPOSE = {  # undo a clockwise rotation: rotate the image counter-clockwise
    90: Image.Transpose.ROTATE_90,
    180: Image.Transpose.ROTATE_180,
    270: Image.Transpose.ROTATE_270,
}


def _smooth_field(rng: np.random.Generator, shape: tuple[int, int], strength: float) -> np.ndarray:
    """A smooth multiplicative illumination field around 1.0 (a gradient plus an off-centre vignette)."""
    h, w = shape
    yy, xx = np.mgrid[0:1:complex(0, 24), 0:1:complex(0, 17)]
    angle = rng.uniform(0, 2 * math.pi)
    gradient = (xx - 0.5) * math.cos(angle) + (yy - 0.5) * math.sin(angle)
    cx, cy = rng.uniform(0.2, 0.8, size=2)
    vignette = (xx - cx) ** 2 + (yy - cy) ** 2
    small = 1.0 - strength * (rng.uniform(0.3, 1.0) * (gradient + 0.5) + rng.uniform(0, 1.0) * vignette)
    return cv2.resize(small.astype(np.float32), (w, h), interpolation=cv2.INTER_LINEAR)


def _noise(rng: np.random.Generator, shape: tuple[int, int], sigma: float) -> np.ndarray:
    """Sensor noise: a seeded 512-pixel tile of Gaussian noise repeated from a random offset
    (drawing 9 million normals per page would cost more than the rest of the damage together)."""
    h, w = shape
    tile = rng.standard_normal((512, 512), dtype=np.float32) * sigma
    oy, ox = (int(v) for v in rng.integers(0, 512, size=2))
    reps = (math.ceil((h + oy) / 512), math.ceil((w + ox) / 512))
    return np.tile(tile, reps)[oy: oy + h, ox: ox + w]


def _border_mask(rng: np.random.Generator, shape: tuple[int, int]) -> np.ndarray | None:
    """Dark bands on one or more edges, as when the scanner lid is left open; 1.0 = band."""
    h, w = shape
    edges = [e for e in ("top", "bottom", "left", "right") if rng.random() < 0.45] or [str(rng.choice(["left", "top"]))]
    mask = np.zeros((h, w), np.float32)
    for edge in edges:
        across = h if edge in ("left", "right") else w
        depth = int(rng.uniform(0.004, 0.035) * (w if edge in ("left", "right") else h)) + 2
        ragged = depth * (1 + rng.uniform(0.03, 0.12) * np.sin(np.linspace(0, rng.uniform(1, 4), across) + rng.uniform(0, 6)))
        band = (np.arange(int(ragged.max()) + 1)[None, :] < ragged[:, None]).astype(np.float32)  # across x depth
        d = band.shape[1]
        if edge == "left":
            mask[:, :d] = np.maximum(mask[:, :d], band)
        elif edge == "right":
            mask[:, w - d:] = np.maximum(mask[:, w - d:], band[:, ::-1])
        elif edge == "top":
            mask[:d] = np.maximum(mask[:d], band.T)
        else:
            mask[h - d:] = np.maximum(mask[h - d:], band.T[::-1])
    return mask


def degrade(
    image: Image.Image,
    rng: np.random.Generator,
    *,
    skew: float | None = None,
    rotation: int | None = None,
    colour: bool | None = None,
    severity: str = "mixed",
    max_skew: float = 5.0,
) -> tuple[Image.Image, float, int]:
    """Office-scan damage for a clean page.

    Returns the image ("L", or "RGB" when ``colour``), the skew applied (degrees counter-clockwise)
    and the rotation (degrees the content appears turned clockwise). ``None`` draws at random;
    ``severity`` is "light", "medium", "heavy", "none" (geometry only) or "mixed" (drawn)."""
    if severity == "mixed":
        severity = str(rng.choice(SEVERITIES, p=[0.4, 0.4, 0.2]))
    if severity not in SEVERITIES and severity != "none":
        raise ValueError(f"unknown severity {severity!r}")
    level = {"none": 0.0, "light": 0.35, "medium": 0.7, "heavy": 1.0}[severity]
    if skew is None:
        skew = float(rng.uniform(-1, 1) * max_skew * max(level, 0.15)) if level else 0.0
    if rotation is None:
        rotation = int(rng.choice([0, 90, 180, 270], p=[0.85, 0.06, 0.06, 0.03])) if level else 0
    if rotation not in (0, 90, 180, 270):
        raise ValueError(f"rotation must be 0, 90, 180 or 270, not {rotation}")
    if colour is None:
        colour = bool(rng.random() < 0.25)
    scale = max(image.size) / 3508  # 1.0 at 300 dpi

    if image.mode == "RGB" and not colour:
        image = image.convert("L")
    channels = [np.asarray(band) for band in image.split()] if image.mode == "RGB" else [np.asarray(image.convert("L"))]
    h, w = channels[0].shape
    if skew:
        matrix = cv2.getRotationMatrix2D(((w - 1) / 2, (h - 1) / 2), skew, 1.0)  # positive = counter-clockwise
        channels = [cv2.warpAffine(c, matrix, (w, h), flags=cv2.INTER_LINEAR, borderValue=255) for c in channels]

    # gain and offset per pixel: ink not quite black, paper not quite white, uneven light
    black = rng.uniform(0.02, 0.08 + 0.14 * level) if level else 0.0
    if colour:
        paper = [rng.uniform(0.95, 1.0), rng.uniform(0.90, 0.97), rng.uniform(0.74, 0.88)]
    else:
        paper = [rng.uniform(0.88, 1.0) if level else 1.0]
    light = _smooth_field(rng, (h, w), rng.uniform(0.03, 0.22) * level) if level else np.ones((h, w), np.float32)
    if level and rng.random() < 0.15 * level:  # bleed-through from the back of thin paper
        back = cv2.blur(cv2.flip(channels[0], 1), (max(3, int(9 * scale)),) * 2).astype(np.float32)
        light = light * (1 - rng.uniform(0.05, 0.12) * (1 - back / 255.0))
    if level and rng.random() < 0.12 * level:  # punch holes for the ring binder
        holes = np.zeros((h, w), np.uint8)
        radius, x = int(3 * scale * 300 / 25.4), int(12 * scale * 300 / 25.4)
        for fy in (0.38, 0.62):
            cv2.circle(holes, (x, int(h * fy)), radius, 1, -1)
        light[holes > 0] *= rng.uniform(0.1, 0.35)
    if level:  # dust specks
        count = int(rng.integers(0, int(400 * level) + 1))
        ys, xs = rng.integers(0, h - 2, count), rng.integers(0, w - 2, count)
        for dy in range(2):
            for dx in range(2):
                light[ys + dy, xs + dx] *= 0.3
    border = _border_mask(rng, (h, w)) if level and rng.random() < 0.45 * level + 0.1 else None
    tone = rng.uniform(0.05, 0.45)
    noise = _noise(rng, (h, w), rng.uniform(0.008, 0.02 + 0.03 * level) * 255) if level else None

    if colour and len(channels) == 1:
        channels = channels * 3
    inside = np.nonzero(border > 0) if border is not None else None
    out = []
    for channel, tint in zip(channels, paper * (3 if len(channels) == 3 and len(paper) == 1 else 1)):
        # value = light * tint * ((1 - black) * ink + black * 255), in two vectorised OpenCV passes
        value = cv2.multiply(channel, light, dtype=cv2.CV_32F, scale=tint * (1 - black))
        value = cv2.scaleAdd(light, tint * black * 255.0, value)
        if inside is not None:
            band = border[inside]
            value[inside] = value[inside] * (1 - band) + (tone * 255.0) * band
        if noise is not None:
            value = cv2.add(value, noise)
        out.append(cv2.convertScaleAbs(value))  # saturates to 0..255
    array = cv2.merge(out) if len(out) == 3 else out[0]
    if level:
        sigma = rng.uniform(0.2, 0.5 + 0.7 * level) * scale
        array = cv2.GaussianBlur(array, (0, 0), sigma)
    if level:
        quality = int(rng.integers(50, 91))
        code = cv2.IMWRITE_JPEG_QUALITY
        if array.ndim == 3:
            array = cv2.cvtColor(cv2.imdecode(cv2.imencode(".jpg", cv2.cvtColor(array, cv2.COLOR_RGB2BGR), [code, quality])[1],
                                              cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)
        else:
            array = cv2.imdecode(cv2.imencode(".jpg", array, [code, quality])[1], cv2.IMREAD_GRAYSCALE)
    result = Image.fromarray(array, "RGB" if array.ndim == 3 else "L")
    if rotation:
        result = result.transpose(_TRANSPOSE_FOR_ROTATION[rotation])
    return result, float(skew), int(rotation)


# --------------------------------------------------------------------------------------------
# Scans
# --------------------------------------------------------------------------------------------


def make_scans(
    seed: int,
    *,
    doc_type: str | None = None,
    skew: float | None = None,
    rotation: int | None = None,
    colour: bool | None = None,
    dpi: int = 300,
    severity: str = "mixed",
    document: SampleDocument | None = None,
) -> list[SampleScan]:
    """Every page of one document, rendered, signed and stamped, and degraded as one scan job."""
    document = document or make_document(seed, doc_type)
    rng = np.random.default_rng([seed, 0xD3])
    if colour is None:
        colour = bool(rng.random() < 0.25)
    if severity == "mixed":
        severity = str(rng.choice(SEVERITIES, p=[0.4, 0.4, 0.2]))
    scans = []
    issuer = document.fields.get("issuer", "")
    for number, (page, (image, text)) in enumerate(zip(document.pages, render_pages(document, dpi=dpi)), 1):
        if page.signature_box_mm is not None and rng.random() < 0.8:
            image = add_seal_and_signature(image, page, rng, dpi=dpi, issuer=issuer if rng.random() < 0.9 else "")
        degraded, applied_skew, applied_rotation = degrade(image, rng, skew=skew, rotation=rotation, colour=colour,
                                                           severity=severity)
        scans.append(SampleScan(degraded, text, applied_skew, applied_rotation, dpi, colour, document.doc_type, number))
    return scans


def make_scan(seed: int, *, doc_type: str | None = None, skew: float | None = None, rotation: int | None = None,
              colour: bool | None = None, dpi: int = 300, severity: str = "mixed") -> SampleScan:
    """Page 1 of a document, degraded."""
    document = make_document(seed, doc_type)
    first = SampleDocument(document.doc_type, document.template, document.title, document.fields,
                           document.pages[:1], document.seed, document.owner)
    return make_scans(seed, skew=skew, rotation=rotation, colour=colour, dpi=dpi, severity=severity,
                      document=first)[0]


# --------------------------------------------------------------------------------------------
# Ground-truth comparison
# --------------------------------------------------------------------------------------------


def normalise_text(text: str) -> str:
    return " ".join(nfc(text).split())


def character_error_rate(reference: str, hypothesis: str) -> float:
    """Levenshtein distance / reference length, after NFC and collapsing whitespace runs."""
    ref, hyp = normalise_text(reference), normalise_text(hypothesis)
    if not ref:
        return 0.0 if not hyp else 1.0
    return Levenshtein.distance(ref, hyp) / len(ref)


# --------------------------------------------------------------------------------------------
# Batches of dossiers on disk
# --------------------------------------------------------------------------------------------

PROCEDURES: tuple[tuple[str, str, tuple[str, ...]], ...] = (  # illustrative codes, configurable upstream
    ("1.001193", "Đăng ký khai sinh", ("to_khai", "can_cuoc", "giay_khai_sinh", "the_bao_hiem_y_te")),
    ("1.000894", "Đăng ký kết hôn", ("to_khai", "xac_nhan_tinh_trang_hon_nhan", "can_cuoc", "giay_chung_nhan_ket_hon")),
    ("1.009994", "Cấp giấy phép xây dựng nhà ở riêng lẻ", ("to_khai", "can_cuoc", "giay_chung_nhan_quyen_su_dung_dat", "giay_phep_xay_dung")),
    ("2.000720", "Đăng ký thành lập hộ kinh doanh", ("can_cuoc", "xac_nhan_cu_tru", "giay_chung_nhan_dang_ky_ho_kinh_doanh", "quyet_dinh")),
    ("1.000656", "Đăng ký khai tử", ("to_khai", "can_cuoc", "trich_luc_khai_tu", "xac_nhan_cu_tru")),
)  # fmt: skip
FORMATS = ("pdf_scan", "tiff", "png", "jpeg")
AGENCY_CODES = ("000.00.24.H29", "000.00.12.H57", "000.21.15.H26", "000.30.42.H14")


def _save_pages(path: Path, images: list[Image.Image], fmt: str, dpi: int) -> None:
    if fmt == "png":
        images[0].save(path, "PNG", dpi=(dpi, dpi), compress_level=1)  # noisy scans barely compress
    elif fmt == "jpeg":
        images[0].convert("RGB" if images[0].mode == "RGB" else "L").save(path, "JPEG", quality=85, dpi=(dpi, dpi))
    elif fmt == "tiff":
        # deflate on a noisy 300 dpi page costs about a second; scanners write JPEG-in-TIFF anyway
        images[0].save(path, "TIFF", save_all=True, append_images=images[1:], compression="jpeg", quality=85,
                       dpi=(dpi, dpi))
    elif fmt == "pdf_scan":
        images[0].save(path, "PDF", resolution=float(dpi), save_all=True, append_images=images[1:], quality=80)
    else:
        raise ValueError(fmt)


def write_born_digital_pdf(path: Path, document: SampleDocument) -> None:
    """A PDF with a real text layer, as an office exports it from a word processor."""
    from fpdf import FPDF
    from fpdf.enums import Align

    pdf = FPDF(unit="mm", format="A4")
    pdf.set_auto_page_break(False)
    pdf.set_margins(0, 0, 0)
    styles = {"regular": "", "bold": "B", "italic": "I", "bold_italic": "BI"}
    for style, suffix in styles.items():
        pdf.add_font("LiberationSerif", suffix, str(FONT_DIR / FONT_FILES[style]))
    for page in document.pages:
        pdf.add_page()
        for shape in page.shapes:
            if shape.kind == "rect":
                pdf.set_line_width(0.3)
                pdf.rect(shape.x_mm, shape.y_mm, shape.w_mm, shape.h_mm)
            else:
                pdf.set_fill_color(shape.grey)
                pdf.rect(shape.x_mm, shape.y_mm, shape.w_mm, shape.h_mm, style="F")
        for line in page.lines:
            pdf.set_font("LiberationSerif", styles[line.style], line.size_pt)
            height = line.size_pt * MM_PER_PT * 1.15
            align = {"left": Align.L, "center": Align.C, "right": Align.R, "justify": Align.J}[line.align]
            pdf.set_xy(line.x_mm, line.y_mm)
            if line.align == "justify":
                pdf.multi_cell(line.width_mm, height, line.text, align=Align.J, new_x="LEFT", new_y="NEXT")
                # fpdf leaves the last (only) line of a multi_cell unjustified: stretch it by word spacing
            else:
                pdf.cell(line.width_mm, height, line.text, align=align)
            if line.underline_mm:
                cx = line.x_mm + line.width_mm / 2
                uy = line.y_mm + height + 0.4
                pdf.set_line_width(0.25)
                pdf.line(cx - line.underline_mm / 2, uy, cx + line.underline_mm / 2, uy)
    pdf.output(str(path))


@dataclass
class _Planned:
    document: SampleDocument
    fmt: str
    name: str


def write_sample_batch(
    out_dir: Path,
    *,
    seed: int,
    dossiers: int = 3,
    documents_per_dossier: int = 4,
    dpi: int = 300,
) -> list[Path]:
    """Dossier folders of scanned (and one born-digital) documents with ``<file>.gt.txt`` beside each.

    Every format appears when the batch has at least five documents: image-only PDF, multi-page
    TIFF, PNG and JPEG (a multi-page document saved as PNG/JPEG becomes one file per page, as phone
    photos do), and the first document as a born-digital PDF. The first dossier has a manifest.csv.
    Returns the input files written (not the .gt.txt files nor the manifest)."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng([seed, 0xBA7C])
    written: list[Path] = []
    counter = 0
    for dossier_index in range(dossiers):
        code, _name, kinds = PROCEDURES[int(rng.integers(len(PROCEDURES)))]
        received = date(2024, 1, 1) + timedelta(days=int(rng.integers(0, 540)))
        dossier_code = f"{AGENCY_CODES[int(rng.integers(len(AGENCY_CODES)))]}-{received:%y%m%d}-{int(rng.integers(1, 9999)):04d}"
        folder = out_dir / dossier_code
        folder.mkdir(parents=True, exist_ok=True)
        owner = make_person(seed * 1000 + dossier_index)
        manifest_rows = []
        for doc_index in range(documents_per_dossier):
            kind = kinds[doc_index % len(kinds)]
            doc_seed = seed * 100_000 + dossier_index * 100 + doc_index
            document = make_document(doc_seed, kind, owner=owner)
            fmt = "pdf_text" if counter == 0 else FORMATS[(counter - 1) % len(FORMATS)]
            counter += 1
            stem = f"{kind.replace('_', '-')}-{doc_index + 1:02d}"
            if fmt == "pdf_text":
                path = folder / f"{stem}.pdf"
                write_born_digital_pdf(path, document)
                paths_and_texts = [(path, document.texts)]
            else:
                scans = make_scans(doc_seed, dpi=dpi, document=document)
                images = [s.image for s in scans]
                if fmt in ("png", "jpeg") and len(scans) > 1:
                    ext = "png" if fmt == "png" else "jpg"
                    paths_and_texts = []
                    for scan in scans:
                        path = folder / f"{stem}-p{scan.page}.{ext}"
                        _save_pages(path, [scan.image], fmt, dpi)
                        paths_and_texts.append((path, [scan.text]))
                else:
                    ext = {"pdf_scan": "pdf", "tiff": "tif", "png": "png", "jpeg": "jpg"}[fmt]
                    path = folder / f"{stem}.{ext}"
                    _save_pages(path, images, fmt, dpi)
                    paths_and_texts = [(path, [s.text for s in scans])]
            for path, texts in paths_and_texts:
                Path(f"{path}.gt.txt").write_text("\f".join(texts) + "\n", encoding="utf-8")
                written.append(path)
                manifest_rows.append((path.name, dossier_code, owner.personal_id, code))
        if dossier_index == 0:
            with open(folder / "manifest.csv", "w", newline="", encoding="utf-8") as handle:
                writer = csv.writer(handle)
                writer.writerow(["file", "dossier_code", "owner_id", "procedure_code"])
                writer.writerows(manifest_rows)
    return written
