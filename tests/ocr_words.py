"""OCR-like pages laid out by hand: each row is one OCR line of words at a position, so the layout
reader meets labels and values where a real page puts them (two columns, a value under its label,
a place-and-date line on the right). The unit under test reads words, so these are real inputs
to it; Tesseract's own behaviour is covered by the few real-OCR tests."""

from __future__ import annotations

from schemas.models import OcrPageRecord, OcrWordRecord, PageDiagnostics

CHAR_WIDTH = 6.0
LINE_HEIGHT = 12.0


def laid_out_page(rows: list[tuple[float, float, str]], *, page: int = 1, confidence: float = 92.0) -> OcrPageRecord:
    """A page from rows of (x, y, text) in points: one OCR line per row, words left to right."""
    words: list[OcrWordRecord] = []
    for line, (x, y, text) in enumerate(rows):
        for word in text.split():
            width = CHAR_WIDTH * len(word)
            words.append(OcrWordRecord(text=word, bbox=(x, y, x + width, y + LINE_HEIGHT), confidence=confidence,
                                       line=line))
            x += width + CHAR_WIDTH
    text = "\n".join(t for _x, _y, t in rows)
    return OcrPageRecord(page=page, width=595.0, height=842.0, text=text, words=words,
                         diagnostics=PageDiagnostics(page=page))


def stacked(lines: list[str], *, x: float = 40.0, top: float = 40.0, page: int = 1) -> OcrPageRecord:
    """Lines one under the other at the left margin."""
    return laid_out_page([(x, top + 16.0 * i, t) for i, t in enumerate(lines)], page=page)
