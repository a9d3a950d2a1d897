"""Doubt, not a confident wrong value: shape checks on what the readers found.

A value that does not look like what the field holds is repaired when the cause is clear (a
second person's name read on from the next column, a national body's name run on into the next
line) and otherwise reported as a problem, so the document goes to review instead of passing a
wrong value. The checks are general (a Vietnamese name starts with a surname; an issuing body's
name is words of capital letters, each with a vowel), never wording of one template.
"""

from __future__ import annotations

import re

from pipeline.stages.extract.rules import is_surname
from pipeline.stages.extract.syllables import is_syllable
from pipeline.textnorm import fold_upper
from schemas.catalog import FieldValue

NAME_MAX_WORDS = 4  # "Huỳnh Bá Duy Khánh"; five words or more is two names or a name and more
_NATIONAL_BODIES = ("BẢO HIỂM XÃ HỘI VIỆT NAM",)
_VOWEL = re.compile(r"[AEIOUY]")
# Syllables of the Central Highlands' place names, written in the peoples' own spelling ("ĐẮK
# LẮK", "KRÔNG BÚK", "EA H'LEO", "CƯ M'GAR"), which Vietnamese syllables do not cover; folded.
HIGHLAND_SYLLABLES = frozenset("""
DAK LAK KRONG EA H'LEO M'GAR M'DRAK GLEI PLEI KUIN R'LAP SONG DRAK KBANG KPA K'NAK MANG YANG CHU PAH
PRONG SE PUK BUK NANG NO LAP BONG KAR ANA
""".split())


def calibrate(fields: dict[str, FieldValue]) -> tuple[dict[str, FieldValue], list[str]]:
    """``fields`` with clear misreads repaired, and a problem for each value left doubtful."""
    fields = dict(fields)
    problems: list[str] = []
    name = fields.get("full_name")
    if name is not None and name.source == "ocr":
        repaired, doubt = check_name(name.value)
        if repaired != name.value:
            fields["full_name"] = name.model_copy(update={"value": repaired, "confidence": name.confidence * 0.9})
        if doubt:
            problems.append(f"full_name doubtful: {doubt}")
    issuer = fields.get("issuer")
    if issuer is not None and issuer.source == "ocr":
        repaired, doubt = check_issuer(issuer.value)
        if repaired != issuer.value:
            fields["issuer"] = issuer.model_copy(update={"value": repaired})
        if doubt:
            problems.append(f"issuer doubtful: {doubt}")
    return fields, problems


def check_name(value: str) -> tuple[str, str | None]:
    """A person's name: a second name read on from the next column is cut at its surname; a name
    that does not start with a surname, too long to be one, or with a word that is no Vietnamese
    syllable ("TRÂW", "TUYẾ": misread), is doubtful."""
    words = value.split()
    if len(words) > NAME_MAX_WORDS:
        for i in range(2, len(words) - 1):
            if is_surname(words[i]):
                words = words[:i]
                break
    repaired = " ".join(words)
    if not words or not is_surname(words[0]):
        return repaired, f"'{words[0] if words else ''}' is not a surname"
    if len(words) > NAME_MAX_WORDS:
        return repaired, f"{len(words)} words"
    misread = next((w for w in words if not is_syllable(w)), None)
    if misread:
        return repaired, f"'{misread}' is not a Vietnamese syllable"
    return repaired, None


def check_issuer(value: str) -> tuple[str, str | None]:
    """An issuing body: a national body's name ends where it ends; the name must be words of
    capitals that are syllables (OCR debris such as '&', '/', 'BIÊ&', 'PN', 'BIÊNÊNYA' or a word in
    lower case is doubtful); a numbered ward or district and the highlands' names are words too."""
    for body in _NATIONAL_BODIES:
        if value.upper().startswith(body + " "):
            return body, None
    last = value.rfind("BAN NHÂN DÂN")
    if last > 0:  # the superior body, then the issuer ("... HUYỆN PHÚ VANG - Y BAN NHÂN DÂN XÃ PHÚ MẬU")
        value = "ỦY " + value[last:]
    words = value.split()
    for index, word in enumerate(words):
        if word in ("-", "–"):  # "PHÒNG TÀI CHÍNH - KẾ HOẠCH"
            continue
        if re.fullmatch(r"[0-9]{1,2}", word) and index and fold_upper(words[index - 1]) in ("PHUONG", "QUAN"):
            continue  # "PHƯỜNG 10", "QUẬN 3": the city's numbered wards and districts
        if not re.fullmatch(r"[^\W\d_]+(?:'[^\W\d_]+)?", word) or not word.isupper():
            return value, f"'{word}' is not a word of a body's name"
        if not _VOWEL.search(fold_upper(word)):
            return value, f"'{word}' has no vowel"
        if not is_syllable(word) and fold_upper(word) not in HIGHLAND_SYLLABLES:
            return value, f"'{word}' is not a Vietnamese syllable"
    return value, None
