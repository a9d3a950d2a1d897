"""ICAO 9303 TD1 machine-readable zone (three lines of 30) as on the back of the chip CCCD.

Written for the evaluation generator and its tests: `td1_lines` builds the zone, `check_digit`
and `td1_valid` verify it. Vietnamese cards put the 9 last digits of the personal ID in the
document-number field and the full 12-digit ID in the optional data of line 1.
"""

from __future__ import annotations

import unicodedata
from datetime import date

WEIGHTS = (7, 3, 1)


def _value(ch: str) -> int:
    if ch.isdigit():
        return int(ch)
    if "A" <= ch <= "Z":
        return ord(ch) - ord("A") + 10
    if ch == "<":
        return 0
    raise ValueError(f"not an MRZ character: {ch!r}")


def check_digit(field: str) -> str:
    return str(sum(_value(ch) * WEIGHTS[i % 3] for i, ch in enumerate(field)) % 10)


def mrz_name(full_name: str, width: int = 30) -> str:
    """'Nguyễn Văn An' -> 'NGUYEN<<VAN<AN<<<...' (accents and đ folded, padded to ``width``)."""
    folded = unicodedata.normalize("NFD", full_name.replace("đ", "d").replace("Đ", "D"))
    ascii_name = "".join(ch for ch in folded if unicodedata.category(ch) != "Mn").upper()
    parts = ["".join(c for c in p if "A" <= c <= "Z") for p in ascii_name.split()]
    parts = [p for p in parts if p]
    text = parts[0] + "<<" + "<".join(parts[1:]) if len(parts) > 1 else parts[0]
    return text[:width].ljust(width, "<")


def _yymmdd(d: date | None) -> str:
    return "<<<<<<" if d is None else f"{d.year % 100:02d}{d.month:02d}{d.day:02d}"


def td1_lines(personal_id: str, birth: date, male: bool, expiry: date | None, full_name: str) -> list[str]:
    """The three 30-character lines of the card's MRZ with valid check digits."""
    number = personal_id[3:12]  # 9 characters
    line1 = f"IDVNM{number}{check_digit(number)}{personal_id}<<<"  # 5 + 9 + 1 + 12 + 3 = 30
    birth_s = _yymmdd(birth)
    expiry_s = _yymmdd(expiry)
    expiry_cd = check_digit(expiry_s) if expiry else "<"
    line2_head = f"{birth_s}{check_digit(birth_s)}{'M' if male else 'F'}{expiry_s}{expiry_cd}VNM"
    line2_body = line2_head + "<" * 11
    composite = line1[5:30] + line2_body[0:7] + line2_body[8:15] + line2_body[18:29]
    line2 = line2_body + check_digit(composite)
    line3 = mrz_name(full_name)
    lines = [line1, line2, line3]
    assert all(len(line) == 30 for line in lines), lines
    return lines


def td1_valid(lines: list[str]) -> bool:
    """Whether all four check digits of a TD1 zone hold."""
    if len(lines) != 3 or any(len(line) != 30 for line in lines):
        return False
    l1, l2 = lines[0], lines[1]
    try:
        ok = check_digit(l1[5:14]) == l1[14]
        ok &= check_digit(l2[0:6]) == l2[6]
        ok &= (l2[14] == "<" and l2[8:14] == "<<<<<<") or check_digit(l2[8:14]) == l2[14]
        composite = l1[5:30] + l2[0:7] + l2[8:15] + l2[18:29]
        ok &= check_digit(composite) == l2[29]
    except ValueError:
        return False
    return bool(ok)
