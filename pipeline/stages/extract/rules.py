"""The rule readers: fields per document type found by label patterns on the document read as one
string, each with a confidence, the page and the union of the word boxes that carried it.

Labels are matched on accent-folded text of the same length as the OCR text, so values are cut
from what was read (NFC) while lost or wrong diacritics in labels do not matter. The layout
reader (layout.py) reads the same words as lines with boxes; extract_fields (fields.py) combines
both.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache

from pipeline.stages.extract.bodies import confirm_place
from pipeline.stages.extract.lexicon import folded_lower
from pipeline.stages.extract.values import (
    add_months,
    birth_year_of_id,
    find_dates,
    parse_doc_number,
    parse_tax_code,
    personal_id_problems,
)
from pipeline.textnorm import digits_from_ocr, fold_aligned, fold_upper, nfc, squash, title_case_vi, upper_ratio
from schemas.catalog import UNKNOWN_TYPE, Catalog, DocumentType, FieldValue, Validity, default_catalog
from schemas.field_labels import default_field_labels
from schemas.models import OcrPageRecord, OcrWordRecord

# --------------------------------------------------------------------------------------------
# The document as one string with word boxes


@dataclass(frozen=True)
class _Span:
    start: int
    end: int
    page: int
    bbox: tuple[float, float, float, float] | None
    confidence: float


@dataclass
class _Text:
    text: str  # NFC, lines joined by "\n", pages by "\n\f\n"
    folded: str  # same length, accent-folded
    spans: list[_Span]
    line_starts: list[tuple[int, int]]  # (offset, page)

    @classmethod
    def of(cls, pages: Sequence[OcrPageRecord]) -> _Text:
        parts: list[str] = []
        spans: list[_Span] = []
        line_starts: list[tuple[int, int]] = []
        offset = 0

        def add(chunk: str) -> None:
            nonlocal offset
            parts.append(chunk)
            offset += len(chunk)

        for index, page in enumerate(pages):
            number = page.page or index + 1
            if index:
                add("\n\f\n")
            if page.words:
                by_line: dict[int, list[OcrWordRecord]] = {}
                for word in page.words:
                    by_line.setdefault(word.line, []).append(word)
                for n, line in enumerate(sorted(by_line)):
                    if n:
                        add("\n")
                    line_starts.append((offset, number))
                    for w_index, word in enumerate(by_line[line]):
                        if w_index:
                            add(" ")
                        text = nfc(word.text)
                        spans.append(_Span(offset, offset + len(text), number, word.bbox, word.confidence))
                        add(text)
            else:
                for n, line in enumerate(nfc(page.text).split("\n")):
                    if n:
                        add("\n")
                    line_starts.append((offset, number))
                    add(line)
        text = "".join(parts)
        return cls(text, fold_aligned(text), spans, line_starts)

    def page_at(self, offset: int) -> int | None:
        page = None
        for start, number in self.line_starts:
            if start > offset:
                break
            page = number
        return page

    def value(self, value: str, start: int, end: int, confidence: float, source: str = "ocr") -> FieldValue:
        covered = [s for s in self.spans if s.start < end and s.end > start]
        bbox = None
        boxes = [s.bbox for s in covered if s.bbox is not None]
        if boxes:
            bbox = (min(b[0] for b in boxes), min(b[1] for b in boxes), max(b[2] for b in boxes),
                    max(b[3] for b in boxes))
        ocr_conf = [s.confidence for s in covered if s.confidence >= 0]
        if ocr_conf:
            confidence *= 0.6 + 0.4 * min(1.0, sum(ocr_conf) / len(ocr_conf) / 100.0)
        page = covered[0].page if covered else self.page_at(start)
        return FieldValue(value=value, confidence=round(min(1.0, max(0.0, confidence)), 3), page=page,
                          bbox=bbox, boxes=tuple(boxes), source=source)


# --------------------------------------------------------------------------------------------
# Field finders


@dataclass(frozen=True)
class ExtractSettings:
    header_lines: int = 10  # the issuing body is looked for in this many first lines
    today: date | None = None  # for "birth year in the future" checks; None = date.today()


@dataclass(frozen=True)
class Extraction:
    fields: dict[str, FieldValue]
    problems: tuple[str, ...] = ()
    notes: tuple[str, ...] = field(default=())

    def value(self, name: str) -> str | None:
        f = self.fields.get(name)
        return f.value if f else None


_ID_RUN = re.compile(r"(?<![0-9A-Za-z])[0-9OoDlI|](?:[ .]?[0-9OoDlI|]){8,13}(?![0-9A-Za-z])")
_ID_LABEL = re.compile(r"(dinh danh|can cuoc|cccd|identification|cmnd|chung minh)[^\n]{0,40}$", re.I)


def _id_candidates(doc: _Text) -> list[tuple[int, int, str, bool]]:
    """(start, end, digits, labelled) for every 12-digit run that validates structurally."""
    out = []
    for m in _ID_RUN.finditer(doc.text):
        start, run = m.start(), m.group()
        # A table's column rule read as "|" before the number ("cá nhân | 066081601503").
        rule = re.match(r"[|lI] ", run)
        if rule and len(digits_from_ocr(run)) == 13:
            start, run = start + rule.end(), run[rule.end():]
        digits = digits_from_ocr(run)
        if len(digits) != 12 or sum(ch.isdigit() for ch in run) < 9:
            continue
        before = doc.folded[max(0, start - 60): start]
        out.append((start, m.end(), digits, bool(_ID_LABEL.search(before.replace("\n", " ")))))
    return out


_NAME_WORD = r"[^\W\d_]+"
_NAME_LABELS = [
    r"ho,? chu dem,? (?:va )?ten(?: khai sinh)?(?: chong| vo| nguoi yeu cau)?\s*(?:/\s*full name)?\s*:",
    r"ho va ten\s*:",
    r"ten chu dau tu \(ten chu ho\)\s*:",
    r"cap cho\s*:\s*(?:ong|ba)\s+",
    r"(?:^|\n)\s*(?:ong|ba)\s*:\s*",
    r"\b(?:cho|thuong|nhan|cua) (?:ong|ba)\s+",  # a decision about someone: "cho ông X", "của bà X"
]


# The commonest Vietnamese surnames; OCR often misreads their stacked accents in caps
# ("NGUYỄN" -> "NGUYÊN"), and a surname is read back from its accent-folded form when that is
# unambiguous.
SURNAMES = ("Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi", "Đỗ", "Hồ",
            "Ngô", "Dương", "Lý", "Đinh", "Trương", "Lâm", "Mai", "Tạ", "Quách", "Lương", "Châu", "Đoàn",
            "Trịnh", "Cao", "Tô", "Hà", "Lưu", "Kiều", "Thái", "Triệu", "Văn", "Đào", "Lại", "Mạc", "Tăng")
CARD_DEPARTMENT = "CỤC CẢNH SÁT QUẢN LÝ HÀNH CHÍNH VỀ TRẬT TỰ XÃ HỘI"
# Less common surnames: not repaired from their folded form, but a name may start with them
# (the name-shape check) and a second person's name in the next column starts with one.
RARER_SURNAMES = ("Âu", "Bạch", "Bành", "Bế", "Chu", "Chung", "Cù", "Diệp", "Doãn", "Đàm", "Đậu", "Đồng",
                  "Giang", "Giáp", "Hàn", "Hầu", "Hứa", "Khổng", "Khúc", "Khương", "Kim", "La", "Lã", "Lạc",
                  "Lò", "Lục", "Mã", "Mẫn", "Nghiêm", "Ninh", "Nông", "Ông", "Phí", "Phó", "Phùng", "Phương",
                  "Quan", "Sầm", "Tào", "Thạch", "Thân", "Thi", "Tiêu", "Tôn", "Tống", "Từ", "Ung", "Uông",
                  "Vi", "Vương", "Yên", "Chế", "Lường", "Ngọ", "Nhâm", "Thiều", "Trang", "Trình")
_SURNAME_BY_FOLD = {}
for _s in SURNAMES:
    _SURNAME_BY_FOLD.setdefault(fold_upper(_s), []).append(_s)


_VOWELS = set("AEIOUY")


def _collapse_doubled_vowels(name: str) -> str:
    """OCR sometimes reads one accented vowel as two ("Hiêền"): keep the one with more marks."""
    out: list[str] = []
    for ch in name:
        if out and not ch.isascii() and not out[-1].isascii() and fold_upper(ch) in _VOWELS \
                and fold_upper(ch) == fold_upper(out[-1]) and ch.lower() != out[-1].lower():
            if len(unicodedata.normalize("NFD", ch)) > len(unicodedata.normalize("NFD", out[-1])):
                out[-1] = ch
            continue
        out.append(ch)
    return "".join(out)


_ANY_SURNAME = {fold_upper(x) for x in SURNAMES + RARER_SURNAMES}


def is_surname(word: str) -> bool:
    """A Vietnamese surname, told by its folded form ("NGUYÊN" is Nguyễn misread)."""
    return fold_upper(word) in _ANY_SURNAME


def fix_surname(name: str) -> str:
    name = _collapse_doubled_vowels(name)
    first, _, rest = name.partition(" ")
    known = _SURNAME_BY_FOLD.get(fold_upper(first), [])
    if len(known) == 1 and known[0] != first and rest:
        return f"{known[0]} {rest}"
    return name


def glued_name_word(word: str) -> str:
    """A name word in capitals with the next label glued on by OCR: the capitals ("TUẤNiới tính"),
    less the capital that starts the label ("KHÁNHGiới tính")."""
    lower = next((i for i, ch in enumerate(word) if ch.islower()), None)
    if lower is None or lower < 2 or not word[:lower].isupper():
        return word
    if lower >= 3 and any(folded_lower(word[lower - 1:]).startswith(w) for w in _label_first_words()):
        return word[:lower - 1]
    return word[:lower]


def name_word(raw: str) -> str:
    """The name word an OCR token carries: punctuation and a dotted leader after it dropped
    ("GIANG........---:2-"), a label glued on cut off."""
    letters = re.match(r"[^\W\d_]+", raw)
    if letters and letters.end() < len(raw) and raw[letters.end()] in ".,;:…-–—_·":
        raw = letters.group()
    return glued_name_word(raw.rstrip(",;.:…"))


@lru_cache(maxsize=1)
def _label_first_words() -> frozenset[str]:
    """The first word of every label in the lexicon, folded ("gioi" of "Giới tính")."""
    lexicon = default_field_labels()
    labels = [entry.label for spec in lexicon.fields.values() for entry in spec.labels] + list(lexicon.other)
    words = set()
    for label in labels:
        for half in label.split("/"):
            first = re.findall(r"[a-z]+", folded_lower(half))
            if first and len(first[0]) >= 3:
                words.add(first[0])
    return frozenset(words)


def _name_after(doc: _Text, pos: int, *, wrap: bool = False) -> tuple[int, int, str] | None:
    """The capitalised words starting at ``pos`` on its line (the next line when the rest of the
    line is empty; with ``wrap`` a name broken over two lines is followed)."""
    text = doc.text
    line_end = _line_end(text, pos)
    if not text[pos:line_end].strip():
        pos = line_end + 1
    words: list[tuple[int, int]] = []
    for m in re.finditer(r"\S+", text[pos: pos + 120]):
        raw = m.group()
        word = name_word(raw)
        gap = text[pos + (words[-1][1] if words else 0): pos + m.start()]
        if words and ("\f" in gap or ("\n" in gap and not wrap)):
            break
        if not re.fullmatch(_NAME_WORD, word) or not word[0].isupper() or squash(word) == "CCCD":
            break
        if words and len(word) > 1 and word.isupper() != text[pos + words[0][0]: pos + words[0][1]].isupper():
            break  # "Phan Công Thắng" then the next line's "CHỦ TỊCH"
        words.append((m.start(), m.start() + len(word)))
        if word != raw or len(words) == 6:
            break
    if len(words) < 2:
        return None
    start, end = pos + words[0][0], pos + words[-1][1]
    value = " ".join(text[start:end].split())
    return start, end, fix_surname(title_case_vi(value) if upper_ratio(value) > 0.6 else nfc(value))


def _labelled_date(doc: _Text, label: str, *, last: bool = False, within: int = 40) -> tuple[int, int, date] | None:
    dates = find_dates(doc.text)
    hits = []
    for m in re.finditer(label, doc.folded, re.I):
        for start, end, d in dates:
            if m.end() <= start <= m.end() + within and "\n" not in doc.text[m.end(): start].strip(" :"):
                hits.append((start, end, d))
                break
    if not hits:
        return None
    return hits[-1] if last else hits[0]


_PLACE_DATE = re.compile(r"(?:^|\n)[^\n,]{2,45},\s*(?=ngay\s*[0-9OolI]{1,2}\s*thang)", re.I)


def _place_date(doc: _Text) -> tuple[int, int, date] | None:
    dates = find_dates(doc.text)
    for m in _PLACE_DATE.finditer(doc.folded):
        for start, end, d in dates:
            if start == m.end():
                return start, end, d
    return None


_BODY_PREFIXES = [  # folded, upper -> canonical
    ("UY BAN NHAN DAN", "ỦY BAN NHÂN DÂN"), ("UBND", "ỦY BAN NHÂN DÂN"), ("CONG AN", "CÔNG AN"),
    ("SO ", "SỞ "), ("PHONG ", "PHÒNG "), ("BAO HIEM XA HOI", "BẢO HIỂM XÃ HỘI"), ("BO ", "BỘ "),
    ("CHI CUC", "CHI CỤC"), ("CUC ", "CỤC "), ("VAN PHONG", "VĂN PHÒNG"),
]
# Short prefixes that are also common words once accents are gone ("PHONG ĐIỀN", "SỞ HỮU"): they
# must be read with their accents and followed by what such a body is called.
_STRICT_PREFIXES = {"SO ": r"SỞ (?!HỮU)", "PHONG ": "PHÒNG ", "BO ": "BỘ ", "CUC ": "CỤC "}
# The national heading where OCR merged it into the issuer's line, also glued to the body's last word
# with its first letters lost ("XUÂN KHÁNHỘNG HÒA XÃ HỘI").
_NATIONAL_WORDS = re.compile(r"\b(CONG\s*HOA\s*XA\s*HOI|CONG\s*HOA|DOC\s*LAP|SOCIALIST)\b.*$"
                             r"|(?:C?O?NG\s*)?HOA\s*XA\s*HOI\s*CHU\s*NGHIA.*$"
                             r"|DOC\s*LAP\s*-?\s*TU\s*DO.*$")  # the motto glued on ("HƯNG DŨNGĐộc lập")


def _issuer(doc: _Text, settings: ExtractSettings, title_keys: Sequence[str]) -> FieldValue | None:
    """The issuing body: the last body named in the top-left header (left of the national heading
    when OCR merged the two columns into one line)."""
    from pipeline.stages.classify import title_similarity

    text, folded = doc.text, doc.folded
    fragments: list[tuple[int, int]] = []
    for index, (start, _) in enumerate(doc.line_starts[: settings.header_lines]):
        end = _line_end(text, start)
        line_folded = folded[start:end].upper()
        key = squash(text[start:end])
        if not key:
            continue
        if re.match(r"^\s*SO\s*[:.]", line_folded) or re.search(r"NGAY\s*\d{1,2}\s*THANG", line_folded):
            break
        if any(title_similarity(k, key) >= 0.85 for k in title_keys):
            break
        cut = _NATIONAL_WORDS.search(line_folded)
        piece_end = start + (cut.start() if cut else len(line_folded))
        piece = text[start:piece_end].strip()
        if not re.search(r"[^\W\d_]", piece):
            continue  # speckle left of the national heading (")", "-"): no words at all
        if upper_ratio(piece) < 0.7:
            if fragments:
                break
            continue
        lead = len(text[start:piece_end]) - len(text[start:piece_end].lstrip())
        fragments.append((start + lead, start + lead + len(piece)))
    if not fragments:
        return None
    # Split the fragments' words into bodies at each known prefix; the last body issued the paper.
    words: list[tuple[int, int]] = []
    for a, b in fragments:
        words += [(a + m.start(), a + m.end()) for m in re.finditer(r"\S+", text[a:b])]
    return _last_body(doc, words, 0.85)


# The signature block of Decree 30 layouts: "TM. ỦY BAN NHÂN DÂN HUYỆN X" (on behalf of a
# collective body), or the body's name above "KT. GIÁM ĐỐC" / "Q. CHỦ TỊCH" / "GIÁM ĐỐC".
_ON_BEHALF = re.compile(r"^\s*(?:T\.?\s*M|KT|TL|TUQ|Q|TQ)\s*[.:]\s*")
_SIGNER_TITLE = re.compile(r"^\s*(?:(?:T\.?\s*M|KT|TL|TUQ|Q)\s*[.:]|P?H?O\s+(?:GIAM DOC|CHU TICH|TRUONG)"
                           r"|GIAM DOC|CHU TICH|TRUONG\s|CUC TRUONG|THU TRUONG)")


def _signing_body(doc: _Text) -> FieldValue | None:
    """The issuing body named in the signature block at the foot (land-use right certificates
    carry no header; the agency that grants them signs): the last such line below the
    place-and-date line. A bare "TM. ỦY BAN NHÂN DÂN" names no one and is not taken."""
    place_date = _place_date(doc)
    after = place_date[1] if place_date else 0
    text, folded = doc.text, doc.folded
    found: FieldValue | None = None
    lines = [(start, _line_end(text, start)) for start, _ in doc.line_starts if start >= after]
    for index, (start, end) in enumerate(lines):
        lead = _ON_BEHALF.match(folded[start:end].upper())
        following = folded[slice(*lines[index + 1])].upper() if index + 1 < len(lines) else ""
        if not lead and not _SIGNER_TITLE.match(following):
            continue
        body_start = start + (lead.end() if lead else 0)
        piece = text[body_start:end].strip()
        if not piece or upper_ratio(piece) < 0.7:
            continue
        offset = body_start + (len(text[body_start:end]) - len(text[body_start:end].lstrip()))
        words = [(offset + m.start(), offset + m.end()) for m in re.finditer(r"\S+", piece)]
        value = _last_body(doc, words, 0.75, whole_line=True)
        if value is not None and len(value.value.split()) > _prefix_words(value.value):
            found = value
    return found


def _line_end(text: str, start: int) -> int:
    end = text.find("\n", start)
    return len(text) if end < 0 else end


def _prefix_words(value: str) -> int:
    folded = fold_upper(value) + " "
    return next((len(prefix.split()) for prefix, _ in _BODY_PREFIXES if folded.startswith(prefix)), 0)


def _last_body(doc: _Text, words: list[tuple[int, int]], confidence: float, *,
               whole_line: bool = False) -> FieldValue | None:
    """The last body named in ``words`` (a known prefix starts each), canonically spelled.
    ``whole_line``: the words must begin with the body (a signature block line)."""
    text = doc.text
    starts = []
    for i, (a, _) in enumerate(words):
        rest = fold_upper(" ".join(text[x:y] for x, y in words[i: i + 4])) + " "
        exact = nfc(" ".join(text[x:y] for x, y in words[i: i + 2])).upper() + " "
        for prefix, _canonical in _BODY_PREFIXES:
            if rest.startswith(prefix):
                if prefix in _STRICT_PREFIXES and not re.match(_STRICT_PREFIXES[prefix], exact):
                    continue
                starts.append(i)
                break
    if not starts or (whole_line and starts[0] != 0):
        return None
    first = starts[-1]
    a, b = words[first][0], words[-1][1]
    value = " ".join(text[x:y] for x, y in words[first:])
    value_folded = fold_upper(value) + " "
    for prefix, canonical in _BODY_PREFIXES:
        if value_folded.startswith(prefix):
            n = len(prefix.split())
            value = " ".join([canonical.strip(), *value.split()[n:]])
            break
    # OCR speckle after the name ("ĐIỀN A ˆ", "TRƯỜNG —"), digits glued to a word ("PHƯỜNG10").
    tokens = [t for t in re.sub(r"(?<=[^\W\d_])(?=\d)", " ", value).split()
              if t in ("-", "–") or any(ch.isalnum() and unicodedata.category(ch) != "Lm" for ch in t)]
    value = re.sub(r"[\s\-–—.,;:]+$", "", " ".join(tokens))
    if len(value.split()) < 2:
        return None
    value, confirmed = confirm_place(doc.text, nfc(value), (a, b))
    return doc.value(value, a, b, min(1.0, confidence + 0.05) if confirmed else confidence)


def _first(pattern: str, doc: _Text, flags: int = re.I) -> re.Match | None:
    return re.search(pattern, doc.folded, flags)


def rule_fields(
    doc_type: str,
    pages: Sequence[OcrPageRecord],
    catalog: Catalog | None = None,
    settings: ExtractSettings = ExtractSettings(),
) -> Extraction:
    """The catalog's fields for ``doc_type`` found by the rules in ``pages``, and what is invalid.

    The readers run in this order because later ones use what earlier ones found: the birth date
    decides between ID candidates, the form's subject line bounds the owner's own fields, the
    document number may be a business's tax code, and the issue date feeds a computed validity."""
    catalog = catalog or default_catalog()
    spec = catalog.document_types.get(doc_type) or catalog.document_types[UNKNOWN_TYPE]
    wanted = wanted_fields(spec, doc_type)
    doc = _Text.of(pages)
    notes: list[str] = []
    if doc_type == UNKNOWN_TYPE:
        notes.append("type unknown: generic fields only")

    cutoff = _form_subject_start(doc, doc_type)
    # Dates of birth first: they decide between ID candidates.
    dob = _find_birth_date(doc, cutoff)
    fields = _date_field(doc, "date_of_birth", dob, 0.9)
    ids, problems = _read_personal_ids(doc, doc_type, dob[2] if dob else None, settings)
    fields |= ids
    fields |= _read_full_name(doc)
    fields |= _read_sex(doc, cutoff)
    number = _find_doc_number(doc, doc_type)
    if number:
        fields["doc_number"] = doc.value(number[2], number[0], number[1], 0.85)
    fields |= _read_tax_code(doc, doc_type, number)
    fields |= _date_field(doc, "date_of_death", _find_death_date(doc), 0.85)
    fields |= _read_insurance_code(doc)
    fields |= _date_field(doc, "issue_date", _find_issue_date(doc, doc_type), 0.85)
    if "issuer" in wanted:
        fields |= _read_issuer(doc, doc_type, catalog, settings)
    if "valid_until" in wanted:
        validity, validity_notes = read_validity(doc, spec.validity, fields.get("issue_date"))
        fields |= validity
        notes += validity_notes

    fields = {k: v for k, v in fields.items() if k in wanted}
    return Extraction(fields, tuple(problems), tuple(notes))


def wanted_fields(spec: DocumentType, doc_type: str) -> set[str]:
    """The type's catalog fields, and the personal ones any paper may print."""
    wanted = set(spec.field_names) | {"sex", "tax_code", "insurance_code", "spouse_id", "old_id_number",
                                      "date_of_death", "mrz"}
    if doc_type == UNKNOWN_TYPE:  # still offer the reviewer what any paper may carry
        wanted |= {"owner_id", "full_name", "date_of_birth", "doc_number", "issue_date", "issuer"}
    return wanted


def _date_field(
    doc: _Text, name: str, found: tuple[int, int, date] | None, confidence: float
) -> dict[str, FieldValue]:
    return {name: doc.value(found[2].isoformat(), found[0], found[1], confidence)} if found else {}


def _form_subject_start(doc: _Text, doc_type: str) -> int:
    """Where a form's own fields end: a form's requester comes first; a person the form is *for*
    (the child to register) is not its owner. The end of the text for any other paper."""
    subject = _first(r"(cho nguoi duoi day|nguoi duoc khai sinh\s*:)", doc) if doc_type == "to_khai" else None
    return subject.start() if subject else len(doc.text)


def _find_birth_date(doc: _Text, cutoff: int) -> tuple[int, int, date] | None:
    dob = _labelled_date(doc, r"(ngay,? thang,? nam sinh|ngay sinh|sinh ngay|date of birth)[^\n:0-9]{0,20}:?")
    if dob and dob[0] > cutoff:
        return None
    return dob


def _read_personal_ids(
    doc: _Text, doc_type: str, birth: date | None, settings: ExtractSettings
) -> tuple[dict[str, FieldValue], list[str]]:
    """The owner's 12-digit ID (the one agreeing with the birth date), a marriage certificate's
    second ID as the spouse's, and the old 9-digit CMND; with why a labelled ID is invalid."""
    fields: dict[str, FieldValue] = {}
    problems: list[str] = []
    candidates = _id_candidates(doc)
    valid = [(s, e, d, lab) for s, e, d, lab in candidates if not personal_id_problems(d, today=settings.today)]
    invalid = [(s, e, d, lab) for s, e, d, lab in candidates if lab and personal_id_problems(d, today=settings.today)]
    owner = None
    if valid:
        agreeing = [c for c in valid if birth is None or birth_year_of_id(c[2]) == birth.year]
        owner = agreeing[0] if agreeing and doc_type != "giay_chung_nhan_ket_hon" else valid[0]
        s, e, digits, labelled = owner
        repaired = not re.fullmatch(r"\d{12}", doc.text[s:e])
        conf = (0.95 if labelled else 0.8) - (0.1 if repaired else 0.0)
        fields["owner_id"] = doc.value(digits, s, e, conf)
        if birth is not None and birth_year_of_id(digits) != birth.year and doc_type != "giay_chung_nhan_ket_hon":
            problems.append("owner_id: " + "; ".join(personal_id_problems(digits, birth, today=settings.today)))
        if doc_type == "giay_chung_nhan_ket_hon":
            others = [c for c in valid if c[2] != digits]
            if others:
                fields["spouse_id"] = doc.value(others[0][2], others[0][0], others[0][1], 0.85)
    elif invalid:
        s, e, digits, _ = invalid[0]
        problems.append(f"owner_id: {'; '.join(personal_id_problems(digits, today=settings.today))}")
    cmnd = _first(r"(?:cmnd|chung minh nhan dan)[^\n0-9]{0,15}([0-9]{9})(?![0-9])", doc)
    if cmnd:
        fields["old_id_number"] = doc.value(cmnd.group(1), cmnd.start(1), cmnd.end(1), 0.8)
    return fields, problems


def _read_full_name(doc: _Text) -> dict[str, FieldValue]:
    """Full name: the first labelled name."""
    best = None
    for label in _NAME_LABELS:
        for m in re.finditer(label, doc.folded, re.I):
            found = _name_after(doc, m.end(), wrap=label.startswith(r"\b(?:cho"))
            if found and (best is None or found[0] < best[0]):
                best = found
            if found:
                break
    return {"full_name": doc.value(best[2], best[0], best[1], 0.85)} if best else {}


def _read_sex(doc: _Text, cutoff: int) -> dict[str, FieldValue]:
    sex = _first(r"gioi tinh(?:\s*/\s*sex)?\s*:?\s*(nam|nu)\b", doc)
    if sex and sex.start() < cutoff:
        return {"sex": doc.value("Nam" if sex.group(1).lower() == "nam" else "Nữ", sex.start(1), sex.end(1), 0.9)}
    return {}


def _find_doc_number(doc: _Text, doc_type: str) -> tuple[int, int, str] | None:
    """Số/ký hiệu (a land certificate's series and number), as (start, end, value)."""
    if doc_type == "giay_chung_nhan_quyen_su_dung_dat":
        m = re.search(r"(?<![A-Z0-9])([A-Z]{2}) ?([0-9]{6})(?![0-9])", doc.text)
        return (m.start(), m.end(), f"{m.group(1)} {m.group(2)}") if m else None
    for m in re.finditer(r"(?:^|\n)\s*(?:so|ma so ho kinh doanh)\s*[:.]\s*([^\s]+(?:\s*/\s*[^\s]+)*)", doc.folded, re.I):
        raw = doc.text[m.start(1): m.end(1)]
        parsed = parse_doc_number(raw)
        if parsed is None and doc_type == "giay_chung_nhan_dang_ky_ho_kinh_doanh" and re.fullmatch(r"[0-9A-Z]{8,13}", raw):
            parsed = raw
        if parsed:
            return m.start(1), m.end(1), parsed
    return None


def _read_tax_code(doc: _Text, doc_type: str, number: tuple[int, int, str] | None) -> dict[str, FieldValue]:
    """The labelled tax code, else a household business's number when it is one."""
    tax = _first(r"ma so thue\s*:?\s*([0-9OoIl]{10}(?:\s*-\s*[0-9]{3})?)", doc)
    if tax and parse_tax_code(doc.text[tax.start(1): tax.end(1)]):
        code = parse_tax_code(doc.text[tax.start(1): tax.end(1)])
        return {"tax_code": doc.value(code, tax.start(1), tax.end(1), 0.85)}
    if doc_type == "giay_chung_nhan_dang_ky_ho_kinh_doanh" and number and parse_tax_code(number[2]):
        return {"tax_code": doc.value(number[2], number[0], number[1], 0.7)}
    return {}


def _find_death_date(doc: _Text) -> tuple[int, int, date] | None:
    return _labelled_date(doc, r"(da ch\w{1,3} vao luc|ngay chet)[^\n]{0,25}?", within=30)


def _read_insurance_code(doc: _Text) -> dict[str, FieldValue]:
    ins = _first(r"(?:ma the(?: bhyt)?|ma so(?: bhyt| the| bao hiem y te)?)\s*[:|]?\s*\|?\s*"
                 r"([A-Z]{2}[^\s0-9]?[0-9OoIl]{13}|[0-9]{10})(?![0-9A-Z])", doc)
    if not ins:
        return {}
    raw = doc.text[ins.start(1): ins.end(1)]
    code = fold_upper(raw[:2]) + digits_from_ocr(raw[-13:]) if raw[:2].isalpha() else raw
    return {"insurance_code": doc.value(code, ins.start(1), ins.end(1), 0.85)}


def _find_issue_date(doc: _Text, doc_type: str) -> tuple[int, int, date] | None:
    """Issue date: the type's own label, then the place-and-date line."""
    issued = None
    if doc_type == "giay_chung_nhan_dang_ky_ho_kinh_doanh":  # dated, else its latest registration
        issued = _place_date(doc) or _labelled_date(doc, r"dang ky (?:thay doi lan thu \w+|lan dau)\s*:?", last=True)
    elif doc_type == "the_bao_hiem_y_te":
        # the place-and-date line dates the card; "từ ..." is when its cover starts
        issued = _place_date(doc) or _labelled_date(doc, r"\btu(?: ngay)?\s*:?", within=5)
    elif doc_type == "can_cuoc":
        issued = _labelled_date(doc, r"(ngay,? thang,? nam cap|date of issue|ngay,? thang,? nam\s*:)[^\n:0-9]{0,20}:?")
    elif re.search(r"\b(ban sao|trich luc)\b", doc.folded[:600], re.I):
        # an extract or copy is issued on its place-and-date line, years after the registration
        issued = _place_date(doc) or _labelled_date(doc, r"ngay,? thang,? nam dang ky\s*:?")
    else:
        issued = _labelled_date(doc, r"ngay,? thang,? nam dang ky\s*:?")
    return issued or _place_date(doc)


def _read_issuer(doc: _Text, doc_type: str, catalog: Catalog, settings: ExtractSettings) -> dict[str, FieldValue]:
    if doc_type == "can_cuoc":
        # The chip card (2021) is issued by the department its back names under the signature;
        # the 2024 card by the ministry.
        m = _first(r"cuc truong cuc canh sat|cuc canh sat\s+quan ly hanh chinh", doc)
        if m:
            return {"issuer": doc.value(CARD_DEPARTMENT, m.start(), m.end(), 0.8)}
        m = _first(r"(bo cong an|cuc canh sat)", doc)
        return {"issuer": doc.value("BỘ CÔNG AN", m.start(), m.end(), 0.8)} if m else {}
    keys = [squash(c) for t in catalog.document_types.values() for c in t.cues]
    issuer = _issuer(doc, settings, keys) or _signing_body(doc)
    return {"issuer": issuer} if issuer else {}


def read_validity(
    doc: _Text, rule: Validity, issue_date: FieldValue | None
) -> tuple[dict[str, FieldValue], list[str]]:
    """Validity: printed, else computed from the catalog's rule."""
    printed = _labelled_date(
        doc, r"(co gia tri (?:su dung )?den|date of expiry|den het ngay|han the\s*:\s*tu[^\n]{0,25}den"
             r"|gia tri su dung\s*:?\s*tu[^\n]{0,25}den)\s*(?:ngay)?\s*:?", within=25)
    if printed:
        return _date_field(doc, "valid_until", printed, 0.85), []
    if issue_date and rule.kind in ("months_from_issue", "days_from_issue"):
        issued = date.fromisoformat(issue_date.value)
        until = (add_months(issued, rule.months) if rule.kind == "months_from_issue"
                 else issued + timedelta(days=rule.days))
        computed = FieldValue(value=until.isoformat(), confidence=issue_date.confidence, page=None, bbox=None,
                              source="computed")
        return {"valid_until": computed}, [f"valid_until computed: {rule.kind} from issue_date"]
    if re.search(r"khong thoi han", doc.folded, re.I):
        return {}, ["valid_until: printed as no expiry"]
    return {}, []
