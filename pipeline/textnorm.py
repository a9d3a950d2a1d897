"""Text normalisation for matching OCR output: NFC, accent folding (đ -> d), OCR look-alike repair."""

from __future__ import annotations

import re
import unicodedata

_SPACES = re.compile(r"\s+")


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def fold(text: str) -> str:
    """Accent-folded text: "Giấy khai sinh, Đắk Lắk" -> "Giay khai sinh, Dak Lak" (case kept)."""
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn")


def fold_upper(text: str) -> str:
    """Folded, upper case, whitespace collapsed: the form cue tables are matched in."""
    return _SPACES.sub(" ", fold(text).upper()).strip()


def squash(text: str) -> str:
    """Folded upper case letters and digits only: robust to broken or merged words."""
    return re.sub(r"[^0-9A-Z]", "", fold(text).upper())


def upper_ratio(text: str) -> float:
    letters = [ch for ch in text if ch.isalpha()]
    if not letters:
        return 0.0
    return sum(ch.isupper() for ch in letters) / len(letters)


# Characters OCR reads in place of digits.
DIGIT_LOOKALIKES = str.maketrans({"O": "0", "o": "0", "D": "0", "Q": "0", "l": "1", "I": "1", "i": "1", "|": "1",
                                  "!": "1", "S": "5", "s": "5", "B": "8", "Z": "2", "z": "2", "G": "6", "b": "6",
                                  "g": "9", "q": "9", "T": "7"})


def digits_from_ocr(token: str) -> str:
    """Map look-alike letters to digits and drop spaces/dots: "O79 1O5" -> "079105"."""
    return re.sub(r"[\s.\-]", "", token.translate(DIGIT_LOOKALIKES))


def title_case_vi(text: str) -> str:
    """"NGUYỄN THỊ LẤP LÁNH" -> "Nguyễn Thị Lấp Lánh" (NFC; every word capitalised)."""
    words = nfc(text).split()
    return " ".join(w[:1].upper() + w[1:].lower() for w in words)


def fold_aligned(text: str) -> str:
    """Accent-folded text of exactly the same length (NFC input), so offsets map back."""
    out = []
    for ch in text:
        f = fold(ch)
        out.append(f if len(f) == 1 else (" " if not f else ch))
    return "".join(out)
