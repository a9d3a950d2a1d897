"""extract_fields: the rule readers (rules.py) and the layout reader (layout.py) over the same
OCR words, combined field by field by confidence; the card's machine-readable zone (mrz.py)
cross-checked with its front; the card's expiry rule; what is missing or invalid."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date, timedelta
from difflib import SequenceMatcher

from pipeline.stages.extract.layout import Found, read_layout
from pipeline.stages.extract.learned import FieldTagger
from pipeline.stages.extract.mrz import Mrz, find_td1, parse_td1
from pipeline.stages.extract.calibrate import calibrate
from pipeline.stages.extract.rules import ExtractSettings, Extraction, rule_fields, wanted_fields
from pipeline.stages.extract.values import add_months, birth_year_of_id
from pipeline.textnorm import fold, nfc, squash
from schemas.catalog import UNKNOWN_TYPE, Catalog, FieldValue, Validity, default_catalog
from schemas.models import OcrPageRecord, OcrWordRecord, PageDiagnostics

CARD_TYPES = ("can_cuoc",)
# The layout reader's own finds, by how they were found: labelled values first.
_HOW_RANK = {"label": 0, "label beside": 0, "label below": 0, "place-date": 1, "number alone": 2, "sentence": 3, "learned": 4}


def extract_fields(
    doc_type: str,
    pages: Sequence[OcrPageRecord],
    catalog: Catalog | None = None,
    settings: ExtractSettings = ExtractSettings(),
    tagger: FieldTagger | None = None,
) -> Extraction:
    """The catalog's fields for ``doc_type`` read from every page, and what is missing or invalid;
    with a learned ``tagger``, the fields neither reader found are taken from it."""
    catalog = catalog or default_catalog()
    spec = catalog.document_types.get(doc_type) or catalog.document_types[UNKNOWN_TYPE]
    wanted = wanted_fields(spec, doc_type)
    ruled = rule_fields(doc_type, pages, catalog, settings)
    layout = read_layout(pages, doc_type)
    fields = dict(ruled.fields)
    notes = list(ruled.notes)
    problems = list(ruled.problems)
    copy = is_copy(pages)
    for name in sorted(wanted):
        chosen = combine(fields.get(name), _best_found(layout.get(name, []), name, doc_type, copy))
        if chosen is not None:
            fields[name] = chosen
    if "doc_number" not in fields and "register_number" in fields and "doc_number" in wanted:
        # A paper numbered only by its register entry at the foot ("Số vào sổ cấp GCN: CS 01234").
        fields["doc_number"] = fields["register_number"].model_copy(
            update={"confidence": round(fields["register_number"].confidence * 0.9, 3)})
        notes.append("doc_number: the register number")
    if tagger is not None:
        learned = tagger.read(pages, doc_type)
        for name in sorted(wanted - set(fields)):
            if learned.get(name):
                fields[name] = combine(None, learned[name][0])
                notes.append(f"{name} from the learned reader")
    if "date_of_birth" in wanted and "date_of_birth" not in fields and "owner_id" in fields:
        birth = _birth_date_with_leader_digits(pages, fields["owner_id"])
        if birth is not None:
            fields["date_of_birth"] = birth
            notes.append("date_of_birth: year read through the dotted leader, as the ID's digits give it")
    _owner_agrees_with_birth_year(fields, layout, problems)
    fields, doubts = calibrate(fields)
    problems += doubts
    if fields.get("valid_until") and fields["valid_until"].source == "computed":
        recomputed = computed_validity(spec.validity, fields.get("issue_date"))
        if recomputed:
            fields["valid_until"] = recomputed
    if doc_type in CARD_TYPES or doc_type == UNKNOWN_TYPE:
        zone = read_mrz(pages, settings)
        if zone is not None:
            mrz, page = zone
            fields, mrz_notes, mrz_problems = cross_check_mrz(mrz, fields, doc_type)
            if mrz.valid:  # the zone itself, for the reviewer and the console
                fields["mrz"] = FieldValue(value="\n".join(mrz.lines), confidence=0.95, page=page, bbox=None)
            notes += mrz_notes
            problems += mrz_problems
    if doc_type in CARD_TYPES:
        problems += card_expiry_problems(fields)
    fields = {k: v for k, v in fields.items() if k in wanted}
    for name in spec.required_fields:
        if name not in fields:
            problems.append(f"required field {name} not found")
    return Extraction(fields, tuple(dict.fromkeys(problems)), tuple(notes))


_BIRTH_LINE = re.compile(r"(?:ngay,?\s*thang,?\s*nam\s*sinh|sinh\s*ngay|ngay\s*sinh)\s*:?\s*"
                         r"([0-9]{1,2})\s?/\s?([0-9]{1,2})\s?/\s?([0-9]{5,6})(?![0-9])", re.I)


def _birth_date_with_leader_digits(pages: Sequence[OcrPageRecord], owner: FieldValue) -> FieldValue | None:
    """A birth date whose year ran into the dotted leader after it ("31/01/20044....",
    "19/10/109776"): the year is taken only when it is in those digits, in order, as the owner's
    ID gives it (digits 4-6 are the century and the birth year)."""
    year = birth_year_of_id(owner.value)
    if year is None:
        return None
    for page in pages:
        for m in _BIRTH_LINE.finditer(fold(page.text)):
            digits = iter(m.group(3))
            if not all(ch in digits for ch in str(year)):  # a subsequence, in order
                continue
            try:
                born = date(year, int(m.group(2)), int(m.group(1)))
            except ValueError:
                continue
            return FieldValue(value=born.isoformat(), confidence=0.7, page=page.page, bbox=None, source="ocr")
    return None


def is_copy(pages: Sequence[OcrPageRecord]) -> bool:
    """An extract or a copy ("TRÍCH LỤC", "BẢN SAO"): issued years after the registration it copies."""
    head = squash(" ".join(p.text for p in pages[:1])[:600])
    return "TRICHLUC" in head or "BANSAO" in head


def _best_found(found: list[Found], name: str, doc_type: str, copy: bool = False) -> Found | None:
    """The layout reader's value for a field: labelled values in reading order; for an issue date
    the place-and-date line comes before a labelled registration date on a business certificate
    and on an extract or copy."""
    if not found:
        return None
    rank = dict(_HOW_RANK)
    if name == "issue_date" and (copy or doc_type == "giay_chung_nhan_dang_ky_ho_kinh_doanh"):
        rank["place-date"] = -1
    return min(found, key=lambda f: (rank[f.how], f.label != "under the motto", f.page, f.order, -f.confidence))


def combine(ruled: FieldValue | None, found: Found | None) -> FieldValue | None:
    """Rules and layout agree: the value, with the layout's boxes when the rules had none; they
    disagree: the more confident one (the rules' on a tie)."""
    if found is None:
        return ruled
    layout = FieldValue(value=found.value, confidence=found.confidence, page=found.page, bbox=found.bbox,
                        boxes=found.boxes, source="ocr")
    if ruled is None:
        return layout
    if ruled.source != "ocr":
        return ruled
    if ruled.value == found.value:
        better = max(ruled.confidence, found.confidence)
        return ruled.model_copy(update={"confidence": better, "boxes": ruled.boxes or found.boxes})
    return layout if found.confidence > ruled.confidence else ruled


def _owner_agrees_with_birth_year(fields: dict[str, FieldValue], layout: dict[str, list[Found]],
                                  problems: list[str]) -> None:
    """A paper that prints only the owner's birth year ("sinh năm 1965"): the ID must agree."""
    owner, years = fields.get("owner_id"), layout.get("birth_year")
    if owner is None or not years or "date_of_birth" in fields:
        return
    year = int(years[0].value)
    if birth_year_of_id(owner.value) != year:
        problems.append(f"owner_id: birth year digits disagree with the printed birth year {year}")


def computed_validity(rule: Validity, issue_date: FieldValue | None) -> FieldValue | None:
    if issue_date is None or rule.kind not in ("months_from_issue", "days_from_issue"):
        return None
    issued = date.fromisoformat(issue_date.value)
    until = add_months(issued, rule.months) if rule.kind == "months_from_issue" else issued + timedelta(days=rule.days)
    return FieldValue(value=until.isoformat(), confidence=issue_date.confidence, page=None, bbox=None,
                      source="computed")


# --------------------------------------------------------------------------------------------
# The card: its machine-readable zone and its expiry rule

CARD_AGES = (14, 25, 40, 60)  # ages at which a card is renewed (Law on Identification 2023)


def read_mrz(pages: Sequence[OcrPageRecord], settings: ExtractSettings) -> tuple[Mrz, int] | None:
    """The TD1 zone on any page (the back of the card follows its front), with its page: the
    zone's own OCR pass when its check digits hold, else the page's text."""
    for page in pages:
        if len(page.mrz) == 3:
            mrz = parse_td1(tuple(page.mrz), today=settings.today)
            if mrz.valid:
                return mrz, page.page
    for page in pages:
        zone = find_td1(nfc(page.text).split("\n"))
        if zone is None and page.words:
            by_line: dict[int, list[str]] = {}
            for w in page.words:
                by_line.setdefault(w.line, []).append(w.text)
            zone = find_td1([" ".join(by_line[k]) for k in sorted(by_line)])
        if zone is not None:
            return parse_td1(zone, today=settings.today), page.page
    return None


def _same_name(front: str, mrz_name: str) -> bool:
    """Names compared as the zone prints them: unaccented, letters only (a filler read as K
    cannot be told from a K, so Ks are left out on both sides; OCR misreads a letter or two)."""
    a, b = squash(front).replace("K", ""), squash(mrz_name).replace("K", "")
    return SequenceMatcher(None, a, b).ratio() >= 0.85  # a letter or two misread is the same name


def cross_check_mrz(mrz: Mrz, fields: dict[str, FieldValue], doc_type: str
                    ) -> tuple[dict[str, FieldValue], list[str], list[str]]:
    """The zone's number, birth date, expiry and name against the front: fields the front lacks
    are taken from a zone whose check digits hold; a disagreement is a problem (review)."""
    fields = dict(fields)
    notes = [f"MRZ read ({'check digits valid' if mrz.valid else 'check digits failed'})"]
    problems = [p for p in mrz.problems]
    if not mrz.valid:
        return fields, notes, problems
    pairs = (("owner_id", mrz.personal_id), ("date_of_birth", mrz.birth_date and mrz.birth_date.isoformat()),
             ("valid_until", mrz.expiry and mrz.expiry.isoformat()), ("sex", mrz.sex))
    for name, value in pairs:
        if value is None:
            continue
        front = fields.get(name)
        if front is None:
            fields[name] = FieldValue(value=value, confidence=0.9, page=None, bbox=None, source="mrz")
            notes.append(f"{name} from the MRZ")
        elif front.value != value:
            problems.append(f"{name} on the front disagrees with the MRZ")
    front_name = fields.get("full_name")
    if front_name is not None and mrz.name and not _same_name(front_name.value, mrz.name):
        problems.append("full_name on the front disagrees with the MRZ")
    return fields, notes, problems


def _birthday(birth: date, year: int) -> date:
    try:
        return birth.replace(year=year)
    except ValueError:  # 29 February
        return date(year, 3, 1)


def card_expiry_problems(fields: dict[str, FieldValue]) -> list[str]:
    """A card's printed expiry is the holder's birthday at 14, 25, 40 or 60: the first such age
    more than two years after the issue date (a card issued in the two years before a renewal age
    runs to the next one; the age it was issued close to is accepted too)."""
    birth, until = fields.get("date_of_birth"), fields.get("valid_until")
    if birth is None or until is None:
        return []
    b, u = date.fromisoformat(birth.value), date.fromisoformat(until.value)
    limits = [_birthday(b, b.year + age) for age in CARD_AGES]
    if u not in limits:
        return [f"valid_until {u.isoformat()} is not the holder's birthday at 14, 25, 40 or 60"]
    issued = fields.get("issue_date")
    if issued is None:
        return []
    i = date.fromisoformat(issued.value)
    allowed = []
    for limit in (d for d in limits if d > i):
        allowed.append(limit)
        if i < limit - timedelta(days=730):
            break
    if u not in allowed:
        return [f"valid_until {u.isoformat()} does not follow from the issue date {i.isoformat()} under the "
                "card's 14/25/40/60 rule"]
    return []


def needs_review(classification, extraction: Extraction | None) -> tuple[bool, str]:
    """A document needs a person when the type is uncertain or a required field is missing or
    invalid; the reason says which."""
    reasons = []
    if classification is not None and (classification.needs_review or classification.doc_type == UNKNOWN_TYPE):
        reasons.append(f"type uncertain ({classification.reason})")
    if extraction is not None and extraction.problems:
        reasons.append("; ".join(extraction.problems))
    return (bool(reasons), " | ".join(reasons) if reasons else "type and required fields found")


def pages_from_texts(texts: Sequence[str], *, with_boxes: bool = True, confidence: float = 95.0,
                     width: float = 595.0, height: float = 842.0) -> list[OcrPageRecord]:
    """OCR-like page records from plain text (one per page): words on a 12-pt grid, or no words
    (a text-layer page without boxes). For tests and born-digital text."""
    pages = []
    for number, text in enumerate(texts, 1):
        words = []
        if with_boxes:
            for line_no, line in enumerate(text.split("\n")):
                x = 40.0
                top = 40.0 + 14.0 * line_no
                for word in line.split():
                    w = 6.0 * len(word)
                    words.append(OcrWordRecord(text=word, bbox=(x, top, x + w, top + 12.0), confidence=confidence,
                                               line=line_no))
                    x += w + 4.0
        pages.append(OcrPageRecord(page=number, width=width, height=height, text=text, words=words,
                                   diagnostics=PageDiagnostics(page=number)))
    return pages
