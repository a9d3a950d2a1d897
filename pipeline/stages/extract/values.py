"""Parsers of the values fields carry: personal IDs (province list, century/sex digit, birth year),
dates as printed ("ngày 05 tháng 8 năm 2019", "05/8/2019"), số/ký hiệu of documents, tax codes.
Each is property-tested; the readers only propose candidates and let these decide."""

from __future__ import annotations

import re
from datetime import date

from pipeline.textnorm import digits_from_ocr, fold_aligned, nfc


# Province codes of the personal identification number (Circular 07/2016/TT-BCA; DOMAIN.md).
PROVINCE_CODES: frozenset[str] = frozenset("""
001 002 004 006 008 010 011 012 014 015 017 019 020 022 024 025 026 027 030 031 033 034 035 036 037 038
040 042 044 045 046 048 049 051 052 054 056 058 060 062 064 066 067 068 070 072 074 075 077 079 080 082
083 084 086 087 089 091 092 093 094 095 096
""".split())
# Digit 4: 0/1 born 1900-1999 (male/female), 2/3 2000-2099. Later centuries cannot be alive yet.
CENTURY_DIGITS = {"0": 1900, "1": 1900, "2": 2000, "3": 2000}


# --------------------------------------------------------------------------------------------
# Parsers


def personal_id_problems(number: str, date_of_birth: date | None = None, *, today: date | None = None) -> list[str]:
    """Why ``number`` is not a valid 12-digit personal identification number (empty = valid)."""
    if len(number) != 12 or not number.isdigit():
        return [f"{len(number)} characters, not 12 digits"]  # never the number itself: it may be a person's ID
    problems = []
    if number[:3] not in PROVINCE_CODES:
        problems.append(f"unknown province code {number[:3]}")
    century = CENTURY_DIGITS.get(number[3])
    if century is None:
        problems.append(f"century/sex digit {number[3]} is not 0-3")
    else:
        year = century + int(number[4:6])
        if year > (today or date.today()).year:
            problems.append(f"birth year {year} is in the future")
        if date_of_birth is not None and date_of_birth.year != year:
            problems.append(f"birth year {number[4:6]} (century digit {number[3]}) disagrees with "
                            f"date_of_birth {date_of_birth.isoformat()}")
    return problems


def parse_personal_id(text: str, date_of_birth: date | None = None) -> str | None:
    """The 12-digit personal ID in ``text`` (spaces, dots and O-for-0 tolerated), or None when it
    does not validate (province list, century digit, birth year when given)."""
    digits = digits_from_ocr(text.strip())
    if personal_id_problems(digits, date_of_birth):
        return None
    return digits


def birth_year_of_id(number: str) -> int | None:
    century = CENTURY_DIGITS.get(number[3]) if len(number) == 12 else None
    return None if century is None else century + int(number[4:6])


# A year's inner digits may also be read "D" for 0 ("30/06/2D24"); its first is a 1 or 2 look-alike.
_YEAR = r"([12lI][0-9OolID]{3})"
_DATE_LONG = re.compile(rf"ngay\s*([0-9OolI]{{1,2}})\s*thang\s*([0-9OolI]{{1,2}})\s*nam\s*{_YEAR}", re.I)
_DATE_SHORT = re.compile(rf"(?<![0-9])([0-9OolI]{{1,2}})\s?[/.\-]\s?([0-9OolI]{{1,2}})\s?[/.\-]\s?{_YEAR}(?![0-9])")


def _make_date(day: str, month: str, year: str) -> date | None:
    try:
        d, m, y = (int(digits_from_ocr(x)) for x in (day, month, year))
        if not 1800 <= y <= 2200:
            return None
        return date(y, m, d)
    except ValueError:
        return None


def find_dates(text: str) -> list[tuple[int, int, date]]:
    """Every date in ``text`` ("ngày 05 tháng 8 năm 2019", "05/8/2019"), as (start, end, date)."""
    folded = fold_aligned(text)
    found = []
    for pattern in (_DATE_LONG, _DATE_SHORT):
        for m in pattern.finditer(folded):
            d = _make_date(*m.groups())
            if d is not None:
                found.append((m.start(), m.end(), d))
    return sorted(found)


def parse_date(text: str) -> date | None:
    """The first valid date in ``text``; None for none or impossible ones (31/02/2020)."""
    dates = find_dates(text)
    return dates[0][2] if dates else None


_DOC_NUMBER = re.compile(
    r"^(\d{1,5})(?:\s*/\s*(\d{4}))?(?:\s*/\s*([A-ZĐ][A-ZĐ0-9]*(?:\s*-\s*[A-ZĐ0-9]+)*))?$"
)
_SUFFIX_FIXES = {"QD": "QĐ", "ND": "NĐ", "TTLT": "TTLT", "UBNO": "UBND", "UBN0": "UBND"}


def parse_doc_number(text: str) -> str | None:
    """Số/ký hiệu: "Số: 123 / 2024 / QĐ-UBND" -> "123/2024/QĐ-UBND", "45/QĐ-UBND", "780"; None when
    it is not one (no leading number, impossible year, lower-case code)."""
    text = nfc(text).strip().rstrip(".,;").replace("Ð", "Đ")  # Icelandic eth read for Đ
    text = re.sub(r"Đ{2,}", "Đ", re.sub(r"^s[ốoóồ]\s*:?\s*", "", text, flags=re.I))
    text = re.sub(r"^(\d{1,5})(?=[A-ZĐ]{2})", r"\1/", text)  # "75UBND-XNTTHN": the slash was lost
    m = _DOC_NUMBER.match(text)
    if not m:
        return None
    number, year, code = m.groups()
    if year and not 1945 <= int(year) <= 2100:
        return None
    parts = [str(int(number)) if number.lstrip("0") else number]
    if year:
        parts.append(year)
    if code:
        code = re.sub(r"\s+", "", code)
        code = "-".join(_SUFFIX_FIXES.get(p, p) for p in code.split("-"))
        parts.append(code)
    return "/".join(parts)


def parse_tax_code(text: str) -> str | None:
    """10-digit tax code, or 13 written "0101234567-001" for a branch; None otherwise."""
    cleaned = re.sub(r"[\s.]", "", nfc(text).strip()).translate(str.maketrans("OoIl", "0011"))
    m = re.fullmatch(r"(\d{10})(?:-(\d{3}))?", cleaned)
    if not m:
        return None
    return m.group(1) + (f"-{m.group(2)}" if m.group(2) else "")


def add_months(d: date, months: int) -> date:
    month = d.month - 1 + months
    year, month = d.year + month // 12, month % 12 + 1
    for day in (d.day, 30, 29, 28):
        try:
            return date(year, month, day)
        except ValueError:
            continue
    raise ValueError(d)
