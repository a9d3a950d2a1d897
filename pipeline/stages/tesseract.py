"""The one module that runs the tesseract program: word recognition (TSV) and orientation detection (OSD).

Each call writes the page image to a temporary PNG, runs tesseract on it with a timeout and
OMP_THREAD_LIMIT=<threads> in the CHILD's environment (ours is never changed: pages run in parallel
processes and each Tesseract must stay on its own core), and turns failures into our exceptions:
ToolMissing (no tesseract on PATH), OcrTimeout, OcrFailed (any other failure, with Tesseract's message).
"""

from __future__ import annotations

import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from pipeline.errors import OcrFailed, OcrTimeout
from pipeline.stages.tools import run_tool

PROGRAM = "tesseract"
INSTALL_HINT = "apt-get install tesseract-ocr"


@dataclass(frozen=True)
class TsvWord:
    """One row of Tesseract's TSV output that carries text, as Tesseract wrote it (not yet NFC)."""

    text: str
    left: int
    top: int
    width: int
    height: int
    confidence: float  # 0..100, a whole number (see _tsv_words)
    block: int
    paragraph: int
    line: int  # numbered within its paragraph, as in the TSV


@dataclass(frozen=True)
class Orientation:
    """Tesseract's orientation and script detection for one page."""

    rotation: int  # 0/90/180/270: degrees the content appears rotated CLOCKWISE
    confidence: float  # Tesseract's own "Orientation confidence" scale (unbounded, ~2 is unsure)
    script: str | None  # e.g. "Latin"
    script_confidence: float | None


def recognise(
    image: np.ndarray,
    *,
    languages: str,
    page_segmentation_mode: int,
    timeout_seconds: float,
    threads: int,
    variables: tuple[str, ...] = (),
) -> tuple[TsvWord, ...]:
    """The words Tesseract reads on a grey (or RGB) page image, in its reading order.

    `variables` are Tesseract parameters as "name=value", each passed with -c.
    """
    arguments = ["-l", languages, "-c", "tessedit_create_tsv=1", "--psm", str(page_segmentation_mode)]
    for variable in variables:
        arguments += ["-c", variable]
    tsv = _run_on_image(
        image, arguments, output_suffix=".tsv", timeout_seconds=timeout_seconds, threads=threads
    )
    return _tsv_words(tsv)


def detect_orientation(image: np.ndarray, *, timeout_seconds: float, threads: int) -> Orientation:
    """Tesseract's orientation guess; OcrFailed when it has none (e.g. "Too few characters")."""
    arguments = ["-l", "osd", "--psm", "0"]
    report = _run_on_image(
        image, arguments, output_suffix=".osd", timeout_seconds=timeout_seconds, threads=threads
    )
    degrees = re.search(r"Orientation in degrees:\s*(\d+)", report)
    confidence = re.search(r"Orientation confidence:\s*([\d.]+)", report)
    if not degrees or not confidence:
        raise OcrFailed("tesseract OSD reported no orientation")
    script = re.search(r"Script:\s*(\S+)", report)
    script_confidence = re.search(r"Script confidence:\s*([\d.]+)", report)
    return Orientation(
        rotation=int(degrees.group(1)) % 360,
        confidence=float(confidence.group(1)),
        script=script.group(1) if script else None,
        script_confidence=float(script_confidence.group(1)) if script_confidence else None,
    )


def _run_on_image(
    image: np.ndarray, arguments: list[str], *, output_suffix: str, timeout_seconds: float, threads: int
) -> str:
    """Run tesseract on `image` with `arguments`; return the text of the output file it writes."""
    if threads < 1:
        raise ValueError(f"Tesseract needs at least one thread, not {threads}")
    with tempfile.TemporaryDirectory(prefix="sohoa-tesseract-") as work:
        page = Path(work) / "page.png"
        output = Path(work) / "out"
        Image.fromarray(image).save(page, format="PNG")
        completed = run_tool(
            [PROGRAM, str(page), str(output), *arguments],
            timeout=timeout_seconds,
            error=OcrFailed,
            timeout_error=OcrTimeout,
            env={"OMP_THREAD_LIMIT": str(threads)},
            install_hint=INSTALL_HINT,
            check=False,
        )
        if completed.returncode != 0:
            # Tesseract's message spans lines ("Too few characters. Skipping this page" / "Error
            # during processing."): keep all of it.
            message = " ".join(completed.stderr.decode("utf-8", "replace").splitlines()).strip()
            raise OcrFailed(f"tesseract failed: {message or f'exit code {completed.returncode}'}")
        return output.with_suffix(output_suffix).read_text(encoding="utf-8")


def _tsv_words(tsv: str) -> tuple[TsvWord, ...]:
    """The rows of a TSV report that carry text.

    Numbers are read as int(float(cell)), so confidences are whole numbers: the reading pytesseract
    gave before this module existed, which our thresholds and stored pages were measured with.
    """
    rows = [row.split("\t") for row in tsv.strip().split("\n")]
    if len(rows) < 2:
        return ()
    header = rows.pop(0)
    words = []
    for row in rows:
        # The text is the last column; a row whose text is empty may lack that cell altogether.
        cells = dict(zip(header, row + [""] * (len(header) - len(row))))
        if not cells["text"].strip():
            continue
        words.append(
            TsvWord(
                text=cells["text"],
                left=_whole(cells["left"]),
                top=_whole(cells["top"]),
                width=_whole(cells["width"]),
                height=_whole(cells["height"]),
                confidence=float(_whole(cells["conf"])),
                block=_whole(cells["block_num"]),
                paragraph=_whole(cells["par_num"]),
                line=_whole(cells["line_num"]),
            )
        )
    return tuple(words)


def _whole(cell: str) -> int:
    return int(float(cell))
