"""Vietnamese wording as offices print it: numbers in words, dates, upper case; month arithmetic."""

from __future__ import annotations

from datetime import date

from pipeline.textnorm import nfc

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
