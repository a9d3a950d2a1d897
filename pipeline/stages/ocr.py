"""OCR stage: Tesseract (Vietnamese by default) -> words with boxes and confidences, NFC text."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from pipeline.stages import tesseract
from pipeline.textnorm import nfc


@dataclass(frozen=True)
class OcrWord:
    """One recognised word; the box is in pixels of the page image that was OCR'd."""

    text: str
    left: int
    top: int
    width: int
    height: int
    confidence: float  # 0..100, as Tesseract reports it
    line: int  # words with the same number share a text line, numbered in reading order


@dataclass(frozen=True)
class OcrPage:
    words: tuple[OcrWord, ...]
    text: str  # lines joined by "\n", paragraphs by a blank line, NFC
    width: int
    height: int
    seconds: float = 0.0
    # A card back's machine-readable zone, read again by its own pass (stages/mrz_band.py): 3 lines
    mrz: tuple[str, ...] = ()

    @property
    def mean_confidence(self) -> float:
        confident = [w.confidence for w in self.words if w.confidence >= 0]
        return float(np.mean(confident)) if confident else 0.0


@dataclass(frozen=True)
class OcrSettings:
    # Measured on 10 generated office scans: vie alone 0.78 % CER, vie+eng 1.11 % and ~20 % slower
    # (the English model "corrects" low-confidence Vietnamese words into unaccented ones).
    languages: str = "vie"
    page_segmentation_mode: int = 3  # fully automatic layout analysis, no OSD
    timeout_seconds: float = 180.0
    extra_config: tuple[str, ...] = field(default_factory=tuple)  # Tesseract parameters, "name=value"
    # OMP_THREAD_LIMIT of each tesseract process: pages are OCR'd in parallel, one process per
    # core, so Tesseract's own threads would only compete with the other pages for the same cores.
    threads: int = 1
    # "auto": Tesseract in process (tesserocr, the model loaded once per process) when it can be
    # imported, else the program; "library" or "program" to insist (SOHOA_OCR_ENGINE)
    engine: str = "auto"


def recognise(image: np.ndarray, settings: OcrSettings) -> OcrPage:
    """Run Tesseract once on a grayscale (or RGB) page image and return its words and text."""
    started = time.perf_counter()
    tsv_words = tesseract.recognise(
        image,
        languages=settings.languages,
        page_segmentation_mode=settings.page_segmentation_mode,
        timeout_seconds=settings.timeout_seconds,
        threads=settings.threads,
        # Inverted-text retries cost much time on noisy scans and office papers are dark on light.
        variables=("tessedit_do_invert=0", *settings.extra_config),
        engine=settings.engine,
    )

    words: list[OcrWord] = []
    line_numbers: dict[tuple[int, int, int], int] = {}
    lines: dict[int, list[str]] = {}
    paragraph_of_line: dict[int, tuple[int, int]] = {}
    for word in tsv_words:
        # Tesseract emits decomposed or compatibility forms for some Vietnamese letters; we keep NFC.
        text = nfc(word.text).strip()
        key = (word.block, word.paragraph, word.line)
        line = line_numbers.setdefault(key, len(line_numbers))
        paragraph_of_line[line] = key[:2]
        words.append(
            OcrWord(
                text=text,
                left=word.left,
                top=word.top,
                width=word.width,
                height=word.height,
                confidence=word.confidence,
                line=line,
            )
        )
        lines.setdefault(line, []).append(text)

    page_lines: list[str] = []
    previous_paragraph = None
    for line in sorted(lines):
        paragraph = paragraph_of_line[line]
        if previous_paragraph is not None and paragraph != previous_paragraph:
            page_lines.append("")
        page_lines.append(" ".join(lines[line]))
        previous_paragraph = paragraph
    height, width = image.shape[:2]
    return OcrPage(
        words=tuple(words),
        text="\n".join(page_lines),
        width=width,
        height=height,
        seconds=time.perf_counter() - started,
    )
