"""The machine-readable zone on the back of the chip CCCD and the Căn cước card: ICAO 9303 TD1,
three lines of 30 characters.

    line 1  I D V N M <doc no., 9> <check> <optional 15: the 12-digit ID, fillers, composite?>
    line 2  <birth YYMMDD> <check> <sex> <expiry YYMMDD> <check> V N M <optional 11> <composite>
    line 3  SURNAME<<GIVEN<NAMES<<<<

OCR reads the monospace zone with look-alike characters: O/0, I/1, S/5, B/8, Z/2, G/6 are
repaired by position (a digit field takes digits, a letter field letters) and a filler `<` read
as K, « or a space is restored where the format wants fillers. Check digits (weights 7, 3, 1;
A=10 … Z=35, `<`=0) decide: a field whose check digit fails is reported, never trusted.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

TO_DIGIT = str.maketrans({"O": "0", "Q": "0", "D": "0", "U": "0", "I": "1", "L": "1", "T": "7", "Z": "2",
                          "S": "5", "B": "8", "G": "6", "A": "4", "<": "<", "K": "<"})
TO_LETTER = str.maketrans({"0": "O", "1": "I", "5": "S", "8": "B", "2": "Z", "6": "G", "4": "A"})
_WEIGHTS = (7, 3, 1)


def check_digit(data: str) -> int:
    """ICAO 9303 check digit of ``data`` (digits, A-Z, <)."""
    total = 0
    for i, ch in enumerate(data):
        if ch.isdigit():
            value = int(ch)
        elif "A" <= ch <= "Z":
            value = ord(ch) - 55
        elif ch == "<":
            value = 0
        else:
            raise ValueError(f"not an MRZ character: {ch!r}")
        total += value * _WEIGHTS[i % 3]
    return total % 10


@dataclass(frozen=True)
class Mrz:
    document_number: str  # 9 characters as printed in line 1
    personal_id: str | None  # the 12-digit ID in the optional data of line 1
    birth_date: date | None
    sex: str | None  # "Nam" | "Nữ" | None
    expiry: date | None  # None: no expiry printed (all fillers)
    nationality: str
    surname: str
    given_names: str
    problems: tuple[str, ...] = field(default=())
    lines: tuple[str, str, str] = ("", "", "")  # the zone as read, repaired: 3 x 30 characters

    @property
    def name(self) -> str:
        return " ".join(p for p in (self.surname, self.given_names) if p)

    @property
    def valid(self) -> bool:
        return not self.problems


def clean_line(text: str) -> str:
    """Upper case, "«" read for "<<", only MRZ characters, spaces dropped (a space between two
    fillers stands for a filler when the line is short)."""
    text = text.upper().replace("«", "<<").replace("‹", "<").replace("(", "<")
    text = re.sub(r"[^A-Z0-9<\s]", "", text.strip())
    while len(re.sub(r"\s", "", text)) < 30 and re.search(r"(?<=<)\s+(?=<)", text):
        text = re.sub(r"(?<=<)\s+(?=<)", "<", text, count=1)
    return re.sub(r"\s+", "", text)


def fit_line(line: str) -> str:
    """30 characters: a short line's last filler run is lengthened (a trailing check digit keeps
    its place), a long one's longest filler run shortened."""
    while len(line) < 30:
        runs = list(re.finditer(r"<+", line))
        if not runs or line.endswith("<"):
            return line.ljust(30, "<")
        at = runs[-1].end()
        line = line[:at] + "<" + line[at:]
    while len(line) > 30:
        runs = sorted(re.finditer(r"<{2,}", line), key=lambda m: len(m.group()))
        if not runs:
            return line[:30]
        at = runs[-1].start()
        line = line[:at] + line[at + 1:]
    return line


def _digits(field_text: str) -> str:
    return field_text.translate(TO_DIGIT)


def _yymmdd(text: str, *, future: bool, today: date) -> date | None:
    if not re.fullmatch(r"\d{6}", text):
        return None
    yy, mm, dd = int(text[:2]), int(text[2:4]), int(text[4:])
    # An expiry is this century (chip cards date from 2021); a birth date is not in the future.
    century = 2000 if (future or 2000 + yy <= today.year) else 1900
    try:
        return date(century + yy, mm, dd)
    except ValueError:
        return None


def _checked(name: str, data: str, check: str, problems: list[str]) -> bool:
    if not check.isdigit() or any(not (c.isdigit() or "A" <= c <= "Z" or c == "<") for c in data):
        problems.append(f"MRZ {name}: unreadable")
        return False
    if check_digit(data) != int(check):
        problems.append(f"MRZ {name}: check digit {check} does not match")
        return False
    return True


def _fillers_as_k(text: str) -> str:
    """Ks in filler runs back to "<": any run of two or more (no Vietnamese name has "KK") and a
    trailing run after a filler (no Vietnamese syllable ends in K)."""
    text = re.sub(r"K{2,}", lambda m: "<" * len(m.group()), text)
    return re.sub(r"(?<=<)[K<]+$", lambda m: "<" * len(m.group()), text)


def _undoubled(name_line: str) -> str:
    """The name line (letters and fillers only, and no check digit covers it) with a letter read
    twice, once as its look-alike digit ("VO0<<THI" for VO<<THI), read once."""
    def once(m: re.Match) -> str:
        letter, digit = (m.group(1), m.group(2)) if m.group(1) else (m.group(4), m.group(3))
        return letter if digit.translate(TO_LETTER) == letter else m.group(0)

    return re.sub(r"([A-Z])([0-9])|([0-9])([A-Z])", once, name_line)


def _fit_name_line(line: str) -> str:
    return (line + "<" * 30)[:30]


def parse_td1(lines: tuple[str, str, str], *, today: date | None = None) -> Mrz:
    """The three TD1 lines (OCR text; spaces, look-alikes and misread fillers tolerated)."""
    today = today or date.today()
    l1, l2, l3 = (fit_line(clean_line(x)) for x in lines)
    problems: list[str] = []
    l1 = "I" + l1[1].replace("0", "D").replace("O", "D") + l1[2:5].translate(TO_LETTER) + _digits(l1[5:15]) \
        + _digits(_fillers_as_k(l1[15:30]))
    l2 = _digits(l2[:7]) + l2[7].translate(TO_LETTER) + _digits(l2[8:15]) + l2[15:18].translate(TO_LETTER) \
        + _digits(_fillers_as_k(l2[18:30]))
    l3 = _fit_name_line(_fillers_as_k(_undoubled(l3)).translate(TO_LETTER))
    number_ok = _checked("document number", l1[5:14], l1[14], problems)
    birth_ok = _checked("birth date", l2[0:6], l2[6], problems)
    expiry_text = l2[8:14]
    no_expiry = expiry_text == "<<<<<<"
    expiry_ok = _checked("expiry date", expiry_text, l2[14] if not no_expiry else "0", problems) \
        if not no_expiry else True
    composite = l1[5:30] + l2[0:7] + l2[8:15] + l2[18:29]
    if l2[29].isdigit() and all(c.isdigit() or "A" <= c <= "Z" or c == "<" for c in composite):
        if check_digit(composite) != int(l2[29]):
            problems.append(f"MRZ composite: check digit {l2[29]} does not match")
    optional = l1[15:30].rstrip("<")
    pid = optional[:12] if re.fullmatch(r"\d{12}", optional[:12]) else None
    if pid and number_ok and pid[-9:] != l1[5:14]:
        problems.append("MRZ document number is not the end of the personal ID")
    surname, _, given = l3.partition("<<")
    return Mrz(
        document_number=l1[5:14],
        personal_id=pid,
        birth_date=_yymmdd(l2[0:6], future=False, today=today) if birth_ok else None,
        sex={"M": "Nam", "F": "Nữ"}.get(l2[7]),
        expiry=_yymmdd(expiry_text, future=True, today=today) if expiry_ok and not no_expiry else None,
        nationality=l2[15:18],
        surname=surname.replace("<", " ").strip(),
        given_names=" ".join(given.replace("<", " ").split()),
        problems=tuple(problems),
        lines=(l1, l2, l3),
    )


_LINE1 = re.compile(r"^[I1lT|][D0O<]?[VW][NM][MN]")


def find_td1(lines: list[str]) -> tuple[str, str, str] | None:
    """Three consecutive lines that look like a TD1 zone (the first starts IDVNM), or None.
    Empty lines between them do not count (OCR leaves one where the zone's lines stand apart)."""
    kept = [(x, c) for x in lines if (c := clean_line(x))]
    lines, cleaned = [x for x, _ in kept], [c for _, c in kept]
    for i, first in enumerate(cleaned[:-2]):
        first = _DOUBLED_LEAD.sub("", first)
        if not _LINE1.match(first) or not 24 <= len(first) <= 34:
            continue
        second, third = cleaned[i + 1], cleaned[i + 2]
        if 24 <= len(second) <= 34 and len(third) >= 6 and re.match(r"^[0-9OIDSBZG]{6}", second):
            return _DOUBLED_LEAD.sub("", lines[i].strip()), lines[i + 1], lines[i + 2]
    return None


# The document code's "I" read twice ("I1DVNM...": 31 characters, every field one place late).
_DOUBLED_LEAD = re.compile(r"^[I1lT|](?=[I1lT|][D0O<][VW][NM])")


def td1_lines(personal_id: str, birth: date, sex: str, expiry: date | None, surname: str, given: str) -> tuple[str, str, str]:
    """The TD1 zone a Vietnamese card prints (a writer for tests and samples)."""
    number = personal_id[-9:]
    optional = (personal_id + "<" * 15)[:15]
    l1 = f"IDVNM{number}{check_digit(number)}{optional}"
    b = birth.strftime("%y%m%d")
    e = expiry.strftime("%y%m%d") if expiry else "<<<<<<"
    e_check = str(check_digit(e)) if expiry else "<"
    l2_head = f"{b}{check_digit(b)}{'M' if sex == 'Nam' else 'F'}{e}{e_check}VNM"
    optional2 = "<" * 11
    composite = l1[5:30] + l2_head[0:7] + l2_head[8:15] + optional2
    l2 = f"{l2_head}{optional2}{check_digit(composite)}"
    name = f"{surname.replace(' ', '<')}<<{given.replace(' ', '<')}"
    l3 = (name + "<" * 30)[:30]
    return l1, l2, l3
