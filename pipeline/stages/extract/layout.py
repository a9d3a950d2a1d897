"""Layout-aware key-value reading over OCR words with their boxes.

Each OCR line is searched for the lexicon's labels (schemas/field_labels.yaml); a label's value is
the rest of its line up to the next label, or, when the label ends its line, the line just below
it that starts under it. Values are read by kind (a name with honorifics stripped, a date, an ID,
a document or register number...) and validated by the parsers in values.py, so a label followed
by something that is not such a value gives nothing. Beside the labels: the place-and-date line
of Decree 30 layouts ("Hà Nội, ngày 05 tháng 3 năm 2024", under the motto) as the issue date, a
number printed alone under the title, and a person introduced in a sentence ("ông Nguyễn Văn A,
sinh năm 1965"). Every value carries its confidence, page and the boxes of its words.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace

from pipeline.stages.extract.rules import fix_surname, is_surname, name_word
from pipeline.stages.extract.syllables import is_syllable
from pipeline.stages.extract.lexicon import (
    OTHER,
    CompiledLabel,
    folded_lower,
    honorific_pattern,
    label_pattern,
    labels_for,
)
from pipeline.stages.extract.values import find_dates, parse_doc_number, parse_tax_code, personal_id_problems
from pipeline.textnorm import digits_from_ocr, fold_upper, nfc, title_case_vi, upper_ratio
from schemas.field_labels import default_field_labels
from schemas.models import OcrPageRecord

Box = tuple[float, float, float, float]


@dataclass(frozen=True)
class Word:
    text: str
    bbox: Box | None
    confidence: float


@dataclass(frozen=True)
class Line:
    """One OCR line: its words, their text joined by single spaces, and each word's offsets."""

    page: int
    order: int  # reading order over the whole document
    words: tuple[Word, ...]
    text: str
    folded: str  # accent-folded, lower case, same length as text
    offsets: tuple[tuple[int, int], ...]

    @property
    def bbox(self) -> Box | None:
        return _union([w.bbox for w in self.words])

    def span_words(self, start: int, end: int) -> list[Word]:
        return [w for w, (a, b) in zip(self.words, self.offsets) if a < end and b > start]


@dataclass(frozen=True)
class Found:
    """A value read by the layout reader."""

    field: str
    value: str
    confidence: float
    page: int
    order: int
    boxes: tuple[Box, ...]
    how: str  # "label", "label beside", "label below", "place-date", "number alone", "sentence"
    label: str = ""

    @property
    def bbox(self) -> Box | None:
        return _union(list(self.boxes))


def _union(boxes: Sequence[Box | None]) -> Box | None:
    real = [b for b in boxes if b is not None]
    if not real:
        return None
    return (min(b[0] for b in real), min(b[1] for b in real), max(b[2] for b in real), max(b[3] for b in real))


def document_lines(pages: Sequence[OcrPageRecord]) -> list[Line]:
    """The OCR lines of every page in reading order (a text layer without words: its text lines)."""
    lines: list[Line] = []
    for index, page in enumerate(pages):
        number = page.page or index + 1
        if page.words:
            by_line: dict[int, list[Word]] = {}
            for w in page.words:
                if w.text.strip():
                    by_line.setdefault(w.line, []).append(Word(nfc(w.text.strip()), tuple(w.bbox), w.confidence))
            groups = [by_line[k] for k in sorted(by_line)]
        else:
            groups = [[Word(t, None, -1.0) for t in raw.split()] for raw in nfc(page.text).split("\n")]
        for words in groups:
            if words:
                lines.append(_line(number, len(lines), words))
    return lines


def _line(page: int, order: int, words: list[Word]) -> Line:
    offsets, pos = [], 0
    for w in words:
        offsets.append((pos, pos + len(w.text)))
        pos += len(w.text) + 1
    text = " ".join(w.text for w in words)
    folded = "".join(c if len(c) == 1 else " " for c in (folded_lower(ch) for ch in text))
    return Line(page, order, tuple(words), text, folded, tuple(offsets))


# --------------------------------------------------------------------------------------------
# Values by kind: (value, start, end) on the line, or None


_NAME_WORD = re.compile(r"[^\W\d_]+")
_NOT_NAMES = ("UY BAN", "UBND", "CONG TY", "PHONG ", "SO ", "CHU TICH", "VIET NAM", "CONG HOA", "HO KINH DOANH",
              "GIAY ", "BO CONG AN", "CONG AN", "NGAY ", "NAM ", "NU ")


def _honorific_is_surname(text: str, pos: int, length: int, end: int) -> bool:
    """"Ông Xuân Luân": Ông is a surname too; it is an honorific only before a surname."""
    word = text[pos:pos + length].strip(" :.")
    if not is_surname(word):
        return False
    following = text[pos + length:end].split()
    return not following or not is_surname(following[0].strip(",;."))


def read_name(line: Line, start: int, end: int) -> tuple[str, int, int] | None:
    """Capitalised words after any honorific: "Ông (Bà): NGUYỄN VĂN AN, sinh năm" -> Nguyễn Văn An."""
    text = line.text
    pos = start + len(text[start:end]) - len(text[start:end].lstrip(" :;/-.|"))
    for _ in range(2):
        honorific = honorific_pattern().match(line.folded[pos:end])
        if not honorific or honorific.end() == 0 or _honorific_is_surname(line.text, pos, honorific.end(), end):
            break
        pos += honorific.end()
    words: list[tuple[int, int]] = []
    for m in re.finditer(r"\S+", text[pos:end]):
        raw = m.group()
        word = name_word(raw)
        if not _NAME_WORD.fullmatch(word) or not word[0].isupper():
            break
        if words and len(word) > 1 and word.isupper() != text[words[0][0]: words[0][1]].isupper():
            break
        words.append((pos + m.start(), pos + m.start() + len(word)))
        if word != raw or len(words) == 6:
            break
    if len(words) < 2:
        return None
    a, b = words[0][0], words[-1][1]
    value = " ".join(text[a:b].split())
    if any((fold_upper(value) + " ").startswith(p) for p in _NOT_NAMES):
        return None
    return fix_surname(title_case_vi(value) if upper_ratio(value) > 0.6 else value), a, b


def read_date(line: Line, start: int, end: int) -> tuple[str, int, int] | None:
    """The first date after the label, when little else comes between ("Sinh ngày: 05/8/2019")."""
    found = find_dates(line.text[start:end])
    if not found:
        return None
    s, e, d = found[0]
    if s > 12 and line.text[start:start + s].strip(" :/-.,"):
        return None
    return d.isoformat(), start + s, start + e


def read_year(line: Line, start: int, end: int) -> tuple[str, int, int] | None:
    m = re.match(r"[\s:]*((?:19|20)[0-9]{2})(?![0-9])", line.text[start:end])
    return (m.group(1), start + m.start(1), start + m.end(1)) if m else None


def read_sex(line: Line, start: int, end: int) -> tuple[str, int, int] | None:
    m = re.match(r"[\s:/]*(nam|nu|male|female)(?![a-z])", line.folded[start:end])
    if not m:
        return None
    return ("Nam" if m.group(1) in ("nam", "male") else "Nữ"), start + m.start(1), start + m.end(1)


_DIGIT_RUN = re.compile(r"[0-9OoDlI|](?:[ .]?[0-9OoDlI|]){8,13}(?![0-9A-Za-z])")


def read_personal_id(line: Line, start: int, end: int) -> tuple[str, int, int] | None:
    m = _DIGIT_RUN.search(line.text[start:end])
    if not m or len(line.text[start:start + m.start()].strip(" :/-.").split()) > 2:
        return None  # at most two words between the label and the number ("Căn cước số 0791…")
    digits = digits_from_ocr(m.group())
    if len(digits) != 12 or sum(ch.isdigit() for ch in m.group()) < 9 or personal_id_problems(digits):
        return None
    return digits, start + m.start(), start + m.end()


def read_old_id(line: Line, start: int, end: int) -> tuple[str, int, int] | None:
    m = re.match(r"[\s:]*([0-9]{9})(?![0-9])", line.text[start:end])
    return (m.group(1), start + m.start(1), start + m.end(1)) if m else None


_REGISTER = re.compile(r"[\s:.]*([A-Z]{1,3}) ?([0-9]{4,8})(?![0-9])")
_CODE = re.compile(r"[\s:.]*([0-9][0-9A-Z]{7,12})(?![0-9A-Za-z])")


def read_doc_number(line: Line, start: int, end: int) -> tuple[str, int, int] | None:
    """"123/QĐ-UBND", "15/2019/QĐ-UBND", register numbers ("CS 01234", "CH00123"), codes."""
    text = line.text[start:end]
    m = re.match(r"[\s:.]*([^\s]+(?:\s*/\s*[^\s]+)*)", text)
    if m:
        parsed = parse_doc_number(m.group(1))
        if parsed:
            return parsed, start + m.start(1), start + m.end(1)
    m = _REGISTER.match(text)
    if m:
        spaced = text[m.end(1):m.start(2)] == " "
        value = f"{m.group(1)} {m.group(2)}" if spaced else m.group(1) + m.group(2)  # as printed
        return value, start + m.start(1), start + m.end(2)
    m = _CODE.match(text)
    if m and sum(ch.isdigit() for ch in m.group(1)) >= 6:
        return m.group(1), start + m.start(1), start + m.end(1)
    return None


def read_tax_code(line: Line, start: int, end: int) -> tuple[str, int, int] | None:
    m = re.match(r"[\s:]*([0-9OoIl]{10}(?:\s*-\s*[0-9]{3})?)", line.text[start:end])
    code = parse_tax_code(m.group(1)) if m else None
    return (code, start + m.start(1), start + m.end(1)) if code else None


def read_insurance_code(line: Line, start: int, end: int) -> tuple[str, int, int] | None:
    """A health-insurance card number: two letters (the beneficiary group) and 13 digits, OCR's
    look-alike digits repaired ("HS4O10..." -> HS4010...)."""
    m = re.match(r"[\s:|]*([A-Za-z]{2})\s?([0-9OoIl]{13})(?![0-9A-Za-z])", line.text[start:end])
    if not m:
        return None
    return fold_upper(m.group(1)) + digits_from_ocr(m.group(2)), start + m.start(1), start + m.end(2)


READERS = {"name": read_name, "date": read_date, "year": read_year, "sex": read_sex,
           "personal_id": read_personal_id, "old_id": read_old_id, "doc_number": read_doc_number,
           "tax_code": read_tax_code, "insurance_code": read_insurance_code}


# --------------------------------------------------------------------------------------------
# Labels and their values


@dataclass(frozen=True)
class _Hit:
    label: CompiledLabel
    start: int
    end: int
    colon: bool


def label_hits(line: Line, labels: Sequence[CompiledLabel]) -> list[_Hit]:
    """The labels on a line, left to right; where two overlap the longer one is the label."""
    hits = []
    for label in labels:
        for m in label.pattern.finditer(line.folded):
            hits.append(_Hit(label, m.start(), m.end(), m.group("colon") is not None))
    hits.sort(key=lambda h: (h.start, -(h.end - h.start), h.label.field == OTHER))
    kept: list[_Hit] = []
    for hit in hits:
        if kept and hit.start < kept[-1].end:
            same = (hit.start, hit.end) == (kept[-1].start, kept[-1].end)
            if not (same and hit.label.field != OTHER):
                continue  # the same words may label two fields ("Số": a number or an ID)
        kept.append(hit)
    return kept


def _is_longer_label(line: Line, hit: _Hit, end: int) -> bool:
    """"Họ và tên cha: ..." is not "Họ và tên": words and then a colon follow the label."""
    rest = line.text[hit.end:end]
    colon = rest.find(":")
    return not hit.colon and colon > 0 and bool(re.search(r"[^\W\d_]", rest[:colon])) \
        and not re.search(r"\d", rest[:colon]) and rest[:colon].strip() == rest[:colon].strip().lower()


def _below(lines: Sequence[Line], index: int, hit_words: list[Word]) -> Line | None:
    """The line just below a label that starts under it (text layers: simply the next line)."""
    line = lines[index]
    nxt = lines[index + 1] if index + 1 < len(lines) and lines[index + 1].page == line.page else None
    box = _union([w.bbox for w in hit_words])
    if box is None:
        return nxt
    height = max(4.0, box[3] - box[1])
    best = None
    for other in lines[index + 1: index + 40]:
        ob = other.bbox
        if other.page != line.page or ob is None:
            continue
        gap = ob[1] - box[3]
        if gap < -0.4 * height or gap > 2.2 * height:
            continue
        if ob[2] < box[0] - 2 * height or ob[0] > box[2] + 4 * height:
            continue
        if best is None or (ob[1], abs(ob[0] - box[0])) < (best.bbox[1], abs(best.bbox[0] - box[0])):
            best = other
    return best


def found_value(field: str, value: tuple[str, int, int], line: Line, base: float, how: str, label: str) -> Found:
    words = line.span_words(value[1], value[2])
    conf = [w.confidence for w in words if w.confidence >= 0]
    if conf:
        base *= 0.6 + 0.4 * min(1.0, sum(conf) / len(conf) / 100.0)
    boxes = tuple(w.bbox for w in words if w.bbox is not None)
    return Found(field, value[0], round(min(1.0, max(0.0, base)), 3), line.page, line.order, boxes, how, label)


def labelled_values(lines: Sequence[Line], doc_type: str) -> list[Found]:
    """Every labelled value of every line, in reading order."""
    labels = labels_for(doc_type)
    hits_by_line = [label_hits(line, labels) for line in lines]
    out: list[Found] = []
    for index, line in enumerate(lines):
        hits = hits_by_line[index]
        for n, hit in enumerate(hits):
            if hit.label.field == OTHER:
                continue
            later = [h.start for h in hits[n + 1:] if h.start > hit.start]
            end = later[0] if later else len(line.text)
            if _is_longer_label(line, hit, end):
                continue
            value = _read_value(hit, line, hit.end, end)
            if value and hit.label.line_start and not hit.colon and line.text[value[2]:end].strip(" .,;"):
                continue  # "Số 51 đường Hùng Vương": an address, not "Số: 51"
            weight = hit.label.weight
            if value:
                out.append(found_value(hit.label.field, value, line, (0.9 if hit.colon else 0.8) * weight, "label",
                                  hit.label.label))
            elif not line.text[hit.end:end].strip(" :/-.|") and not later:
                label_words = line.span_words(hit.start, hit.end)
                for how, other in (("label beside", _beside(lines, index, label_words)),
                                   ("label below", _below(lines, index, label_words))):
                    if other is None:
                        continue
                    other_hits = hits_by_line[other.order] if other.order < len(hits_by_line) else []
                    stop = other_hits[0].start if other_hits else len(other.text)
                    value = _read_value(hit, other, 0, stop) if stop > 0 else None
                    if value:
                        out.append(found_value(hit.label.field, value, other, 0.85 * weight, how, hit.label.label))
                        break
    return out


def _read_value(hit: _Hit, line: Line, start: int, end: int) -> tuple[str, int, int] | None:
    """The value of the label's kind on ``line`` between ``start`` and ``end``; a validity printed
    as a period is its end."""
    value = READERS[hit.label.kind](line, start, end)
    if value and hit.label.field == "valid_until":
        value = _period_end(line, value, end)
    return value


_UNTIL = re.compile(r"\s*(?:den|toi|-|–)\s*(?:ngay\s*)?$")


def _period_end(line: Line, value: tuple[str, int, int], end: int) -> tuple[str, int, int]:
    """A validity printed as a period ("Giá trị sử dụng: Từ 01/04/2024 đến 31/03/2025"): its end."""
    for s, e, d in find_dates(line.text[value[2]:end]):
        if _UNTIL.match(line.folded[value[2]:value[2] + s]):
            return d.isoformat(), value[2] + s, value[2] + e
        break
    return value


def _beside(lines: Sequence[Line], index: int, hit_words: list[Word]) -> Line | None:
    """The line to the right of a label on the same row: a table's next cell, which Tesseract
    often reads as a block of its own (the labels' column, then the values' column)."""
    line = lines[index]
    box = _union([w.bbox for w in hit_words])
    if box is None:
        return None
    height = max(4.0, box[3] - box[1])
    best = None
    for other in lines:
        ob = other.bbox
        if other is line or other.page != line.page or ob is None or ob[0] <= box[2]:
            continue
        overlap = min(box[3], ob[3]) - max(box[1], ob[1])
        if overlap < 0.5 * min(height, ob[3] - ob[1]) or ob[3] - ob[1] > 2.5 * height:
            continue
        if best is None or ob[0] < best.bbox[0]:
            best = other
    return best


_PLACE_DATE = re.compile(r"^\s*([^\W\d_][^,\d:]{1,44}),\s*(?=ngay\s*[0-9oli]{1,2}\s*thang)")
_MOTTO = re.compile(r"doc\s*lap\s*.{0,6}tu\s*do\s*.{0,6}hanh\s*phuc")


_PLACE_DATE_INSIDE = re.compile(r"(?<=\s)(?=[^\W\d_])([^,\d:;]{2,30}),\s*(?=ngay\s*[0-9oli]{1,2}\s*thang)")


def _place_date_at(line: Line) -> tuple[int, float] | None:
    """Where the date of a place-and-date line starts, and how sure: at the line's start, or
    after another column's text that OCR put on the same line ("Số vào sổ: CS 01234  Hà Nội, ngày")."""
    m = _PLACE_DATE.match(line.folded)
    if m:
        return (None if re.search(r"\b(sinh|chet|cap|tu|den)\s*$", m.group(1)) else (m.end(), 1.0))
    for m in _PLACE_DATE_INSIDE.finditer(line.folded):
        place = line.text[m.start(1):m.end(1)].split()
        if place and all(w[:1].isupper() for w in place) and len(place) <= 5:
            return m.end(), 0.9
    return None


def place_dates(lines: Sequence[Line]) -> list[Found]:
    """Place-and-date lines ("Hà Nội, ngày 05 tháng 3 năm 2024"); the one under the motto first."""
    out: list[Found] = []
    motto_seen = False
    for line in lines:
        if _MOTTO.search(line.folded):
            motto_seen = True
            continue
        at = _place_date_at(line)
        value = read_date(line, at[0], len(line.text)) if at else None
        if value:
            base = (0.88 if motto_seen else 0.82) * at[1]
            out.append(found_value("issue_date", value, line, base, "place-date", "under the motto" if motto_seen else ""))
            motto_seen = False
    return out


def numbers_alone(lines: Sequence[Line]) -> list[Found]:
    """A document number on a line of its own ("123/GPXD", "Số 45/2024/QĐ-UBND" under the title)."""
    out = []
    for line in lines:
        if len(line.words) > 3 or "/" not in line.text:
            continue
        text = re.sub(r"^(s[oố]|no\.?)\s*", "", line.text, flags=re.I)
        parsed = parse_doc_number(text)
        if parsed and "/" in parsed and re.search(r"[A-ZĐ]", parsed):
            start = len(line.text) - len(text)
            out.append(found_value("doc_number", (parsed, start, len(line.text)), line, 0.7, "number alone", ""))
    return out


_SENTENCE_PERSON = re.compile(r"(?<![^\W\d_])(ong|ba|anh|chi)\s*(?:\(\s*ba\s*\)|/\s*ba)?\s*:?\s+(?=\S)")
_BIRTH_YEAR = re.compile(r"(?:sinh nam|nam sinh)\s*:?\s*((?:19|20)[0-9]{2})(?![0-9])")


def people_in_sentences(lines: Sequence[Line]) -> list[Found]:
    """A person named after an honorific inside a sentence, and the birth year printed after them."""
    out = []
    for index, line in enumerate(lines):
        for m in _SENTENCE_PERSON.finditer(line.folded):
            name = read_name(line, m.end(), len(line.text))
            if not name:
                continue
            found = found_value("full_name", name, line, 0.7, "sentence", "")
            out.append(_name_run_on(found, name, line, lines[index + 1] if index + 1 < len(lines) else None))
            year = _BIRTH_YEAR.search(line.folded, name[2], name[2] + 40)
            if year:
                out.append(found_value("birth_year", (year.group(1), year.start(1), year.end(1)), line, 0.7,
                                  "sentence", ""))
            break
    return out


def _name_run_on(found: Found, name: tuple[str, int, int], line: Line, following: Line | None) -> Found:
    """A name the sentence broke at the end of its line ("... cho hộ bà Huỳnh Hồng Mỹ" / "Duyên,
    sinh ngày ..."): the next line's first word joins it when it is a capitalised name word
    ending at a comma or before "sinh", and the name is short of four words."""
    if following is None or following.page != line.page or line.text[name[2]:].strip() \
            or len(found.value.split()) >= 4 or not following.words:
        return found
    m = re.match(r"([^\W\d_]+)(?=\s*,|\s+sinh\b)", following.text)
    if not m or not m.group(1)[0].isupper() or not is_syllable(m.group(1)):
        return found
    word = title_case_vi(m.group(1)) if m.group(1).isupper() else m.group(1)
    boxes = found.boxes + tuple(w.bbox for w in following.words[:1] if w.bbox is not None)
    return replace(found, value=f"{found.value} {word}", boxes=boxes)


def read_layout(pages: Sequence[OcrPageRecord], doc_type: str) -> dict[str, list[Found]]:
    """Every value the layout reader finds, per field, best first: labelled values in reading
    order, then the place-and-date line, a number alone, a person named in a sentence."""
    lines = document_lines(pages)
    boundary = subject_end(lines, doc_type)
    found: dict[str, list[Found]] = {}
    for item in (*labelled_values(lines, doc_type), *place_dates(lines), *numbers_alone(lines),
                 *people_in_sentences(lines)):
        if item.field in PERSONAL_FIELDS and item.order >= boundary:
            continue
        found.setdefault(item.field, []).append(item)
    return found


PERSONAL_FIELDS = frozenset({"full_name", "date_of_birth", "birth_year", "sex", "owner_id"})


def subject_end(lines: Sequence[Line], doc_type: str) -> int:
    """The first line where another person's fields begin (the lexicon's ``subject_ends``)."""
    phrases = [label_pattern(p) for p in default_field_labels().subject_ends.get(doc_type, ())]
    for line in lines:
        if any(p.search(line.folded) for p in phrases):
            return line.order
    return len(lines)
