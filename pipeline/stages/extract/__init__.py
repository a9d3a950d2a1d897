"""Extract stage: fields per document type (owner ID, name, dates, số/ký hiệu, issuer, validity)
from OCR pages, each with a confidence, the page and the boxes of the words that carried it.

    values.py   parsers of IDs, dates, document numbers and tax codes (property-tested)
    lexicon.py  the label lexicon (schemas/field_labels.yaml) compiled to patterns
    layout.py   key-value reading over OCR lines with word boxes
    rules.py    the label rules over the document read as one string
    mrz.py      the card's machine-readable zone (ICAO 9303 TD1)
    fields.py   extract_fields: both readers combined, the MRZ cross-check, what is missing
"""

from pipeline.stages.extract.fields import (
    card_expiry_problems,
    cross_check_mrz,
    extract_fields,
    needs_review,
    pages_from_texts,
)
from pipeline.stages.extract.rules import ExtractSettings, Extraction
from pipeline.stages.extract.values import (
    CENTURY_DIGITS,
    PROVINCE_CODES,
    add_months,
    birth_year_of_id,
    find_dates,
    parse_date,
    parse_doc_number,
    parse_personal_id,
    parse_tax_code,
    personal_id_problems,
)

__all__ = [
    "CENTURY_DIGITS", "PROVINCE_CODES", "ExtractSettings", "Extraction", "add_months", "birth_year_of_id",
    "card_expiry_problems", "cross_check_mrz", "extract_fields", "find_dates", "needs_review",
    "pages_from_texts", "parse_date", "parse_doc_number", "parse_personal_id", "parse_tax_code",
    "personal_id_problems",
]
