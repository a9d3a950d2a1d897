"""The one module that runs Tesseract: word recognition (TSV) and orientation detection (OSD).

Two ways to run it, with the same inputs, the same models and the same words out:

* ``library`` (the default when it can be imported): Tesseract's C++ API in this process through
  tesserocr. One engine per (languages, parameters) per process (per thread reading at the same
  time, in a worker run with several threads), loaded on first use and kept:
  loading the Vietnamese model costs ~0.3 s, as much as a third of reading a page, and the
  program pays it on every page. Pixels are handed over in memory (no PNG written and decoded
  again). The wheel's libtesseract is built without OpenMP (it links no libgomp), so an engine
  runs on the calling thread only: the in-process equivalent of OMP_THREAD_LIMIT=1, which is
  what one page per process needs. Tesseract's own deadline (its ETEXT_DESC monitor) is the timeout.
* ``program``: the tesseract program, one process per call, the image written to a temporary
  PNG, OMP_THREAD_LIMIT=<threads> in the CHILD's environment (ours is never changed), a timeout.
  Used when tesserocr cannot be imported, when no model directory is found for it, when a call
  asks for more than one thread (an in-process engine cannot be given a thread limit of its own
  without changing our process's environment), or when asked for (SOHOA_OCR_ENGINE=program).

The engine reads the models the program reads: the tessdata directory is the one
`tesseract --list-langs` names (TESSDATA_PREFIX included), else Debian's usual place.
Failures come back as our exceptions either way: ToolMissing (neither way is installed),
OcrTimeout, OcrFailed (any other failure, with Tesseract's message).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import logging
import os
import re
import shutil
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from pipeline.errors import OcrFailed, OcrTimeout, ToolMissing
from pipeline.stages.tools import run_tool

log = logging.getLogger(__name__)

PROGRAM = "tesseract"
INSTALL_HINT = "apt-get install tesseract-ocr"
ENGINES = ("auto", "library", "program")  # SOHOA_OCR_ENGINE
# Where Debian (tesseract-ocr 5 and 4) and source builds put the models, when the program cannot say.
KNOWN_TESSDATA = (
    Path("/usr/share/tesseract-ocr/5/tessdata"),
    Path("/usr/share/tesseract-ocr/4.00/tessdata"),
    Path("/usr/share/tessdata"),
    Path("/usr/local/share/tessdata"),
)
# The header line the program writes before the first page; the API's GetTSVText gives the rows only.
TSV_HEADER = "level\tpage_num\tblock_num\tpar_num\tline_num\tword_num\tleft\ttop\twidth\theight\tconf\ttext\n"


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
    engine: str = "auto",
) -> tuple[TsvWord, ...]:
    """The words Tesseract reads on a grey (or RGB) page image, in its reading order.

    `variables` are Tesseract parameters as "name=value" (the program's -c); `engine` is one of
    ENGINES (see the module docstring).
    """
    if chosen_engine(engine, threads) == "library":
        return _recognise_in_process(image, languages, page_segmentation_mode, timeout_seconds, variables)
    arguments = ["-l", languages, "-c", "tessedit_create_tsv=1", "--psm", str(page_segmentation_mode)]
    for variable in variables:
        arguments += ["-c", variable]
    tsv = _run_on_image(
        image, arguments, output_suffix=".tsv", timeout_seconds=timeout_seconds, threads=threads
    )
    return _tsv_words(tsv)


def detect_orientation(image: np.ndarray, *, timeout_seconds: float, threads: int,
                       engine: str = "auto") -> Orientation:
    """Tesseract's orientation guess; OcrFailed when it has none (e.g. "Too few characters").

    In process, Tesseract's OSD has no deadline of its own (it looks at a sample of the page's
    blobs, well under a second on the small analysis copy it is given)."""
    if chosen_engine(engine, threads) == "library":
        return _detect_orientation_in_process(image)
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


def chosen_engine(engine: str, threads: int) -> str:
    """"library" or "program": which way a call with this `engine` setting and thread count runs."""
    if engine not in ENGINES:
        raise ValueError(f"unknown Tesseract engine {engine!r}: one of {', '.join(ENGINES)}")
    if threads < 1:
        raise ValueError(f"Tesseract needs at least one thread, not {threads}")
    if engine == "program":
        return "program"
    if threads > 1:
        if engine == "library":
            raise ValueError(f"the in-process Tesseract runs on one thread; {threads} threads need the program")
        return "program"
    if _binding() is None or tessdata_directory() is None:
        if engine == "library":
            raise ToolMissing(
                "tesserocr is not installed (pip install tesserocr)" if _binding() is None
                else "no Tesseract models found (apt-get install tesseract-ocr-vie)"
            )
        return "program"
    return "library"


# --- in process: tesserocr ---------------------------------------------------------------------


@functools.lru_cache(maxsize=1)
def _binding():
    """The tesserocr module, or None when it cannot be loaded (not installed, or its bundled
    libraries do not load on this machine): then the program runs instead."""
    try:
        import tesserocr
    except (ImportError, OSError) as exc:
        log.info("tesserocr cannot be loaded (%s): Tesseract runs as a program, one process per call", exc)
        return None
    _quiet_leptonica(tesserocr)
    return tesserocr


_LEPTONICA_SEVERITY_NONE = 6


def _quiet_leptonica(tesserocr) -> None:
    """Leptonica writes its internal complaints ("Error in pixScanForForeground: invalid box") to
    this process's stderr, which the program's run kept to itself; they say nothing about the
    page read, and would fill the console of `sohoa ingest`. Silence them in the library the
    binding loaded (the wheel's own copy when it bundles one)."""
    package = Path(tesserocr.__file__).resolve().parent
    candidates = sorted((package.parent / "tesserocr.libs").glob("libleptonica*.so*"))
    named = ctypes.util.find_library("leptonica") or ctypes.util.find_library("lept")
    for path in [str(p) for p in candidates] + ([named] if named else []):
        try:
            library = ctypes.CDLL(path)
        except OSError:
            continue
        if hasattr(library, "setMsgSeverity"):
            library.setMsgSeverity(_LEPTONICA_SEVERITY_NONE)
            return


@functools.lru_cache(maxsize=1)
def tessdata_directory() -> Path | None:
    """The directory of the models the tesseract program reads (so both ways read the same
    files): the one `tesseract --list-langs` names, else the first of KNOWN_TESSDATA holding a
    model; None when there is none."""
    if shutil.which(PROGRAM):
        try:
            listed = run_tool([PROGRAM, "--list-langs"], timeout=30, error=OcrFailed, check=False)
        except OcrFailed as exc:
            log.info("tesseract --list-langs failed: %s", exc.message)
        else:
            named = re.search(r'"([^"]+)"', listed.stdout.decode("utf-8", "replace"))
            if named and Path(named.group(1)).is_dir():
                return Path(named.group(1))
    for candidate in KNOWN_TESSDATA:
        if candidate.is_dir() and any(candidate.glob("*.traineddata")):
            return candidate
    return None


class _Engine:
    """One loaded TessBaseAPI; it holds one image at a time, so one caller uses it at a time."""

    def __init__(self, api, description: str):
        self.api = api
        self.description = description


# Loaded engines not in use, per (languages, parameters), in this process. A caller takes one
# (or loads one when all are busy: a worker running several threads reads pages side by side, as
# it did with one program per page, since tesserocr lets go of the GIL while Tesseract reads)
# and puts it back; one thread per process, the usual case, loads each engine once.
_idle: dict[tuple[str, tuple[str, ...]], list[_Engine]] = {}
_idle_lock = threading.Lock()
_idle_pid = os.getpid()


@contextmanager
def _engine(languages: str, variables: tuple[str, ...]) -> Iterator[_Engine]:
    """An engine of this process for these languages and parameters, for the caller alone.

    Parameters are set when the engine is initialised, as the program's -c does: some
    (load_system_dawg, load_freq_dawg) only take effect then. A process forked from one holding
    engines loads its own: one in use by another thread at the fork would never come back."""
    global _idle_pid
    key = (languages, variables)
    with _idle_lock:
        if _idle_pid != os.getpid():
            _idle.clear()
            _idle_pid = os.getpid()
        idle = _idle.get(key)
        engine = idle.pop() if idle else None
    if engine is None:
        engine = _load_engine(languages, variables)
    try:
        yield engine
    finally:
        with _idle_lock:
            if _idle_pid == os.getpid():
                _idle.setdefault(key, []).append(engine)


def _load_engine(languages: str, variables: tuple[str, ...]) -> _Engine:
    tesserocr = _binding()
    tessdata = tessdata_directory()
    assert tesserocr is not None and tessdata is not None  # chosen_engine checked both
    missing = [name for name in languages.split("+") if not (tessdata / f"{name}.traineddata").is_file()]
    if missing:
        package = "tesseract-ocr-" + missing[0].replace("_", "-").lower()
        raise OcrFailed(f"tesseract failed: no {' or '.join(missing)} model in {tessdata} (apt-get install {package})")
    parameters = dict(_parameter(variable) for variable in variables)
    started = time.perf_counter()
    try:
        api = tesserocr.PyTessBaseAPI(path=f"{tessdata}/", lang=languages, variables=parameters)
    except RuntimeError as exc:
        raise OcrFailed(f"tesseract failed: cannot load {languages} from {tessdata}") from exc
    description = f"{languages}{''.join(f' -c {v}' for v in variables)}"
    log.info("Tesseract %s loaded in process in %.2f s (%s)", tesserocr.PyTessBaseAPI.Version(),
             time.perf_counter() - started, description)
    return _Engine(api, description)


def _parameter(variable: str) -> tuple[str, str]:
    name, separator, value = variable.partition("=")
    if not separator or not name:
        raise ValueError(f"a Tesseract parameter is name=value, not {variable!r}")
    return name, value


def _recognise_in_process(image: np.ndarray, languages: str, page_segmentation_mode: int,
                          timeout_seconds: float, variables: tuple[str, ...]) -> tuple[TsvWord, ...]:
    pixels, width, height, channels = _pixels(image)
    with _engine(languages, variables) as engine:
        log.debug("tesseract in process: %s --psm %d on %dx%d px", engine.description, page_segmentation_mode,
                  width, height)
        api = engine.api
        try:
            api.SetPageSegMode(page_segmentation_mode)
            api.SetImageBytes(pixels, width, height, channels, width * channels)
            started = time.perf_counter()
            # Tesseract's deadline, in ms; 0 would mean none
            finished = api.Recognize(max(1, round(timeout_seconds * 1000)))
            if not finished:
                if time.perf_counter() - started >= timeout_seconds:
                    raise OcrTimeout(f"tesseract took longer than {timeout_seconds:g} s")
                raise OcrFailed("tesseract failed: recognition did not complete")
            tsv = api.GetTSVText(0)
        finally:
            api.Clear()  # the page's image and results; the model stays loaded
    return _tsv_words(TSV_HEADER + tsv)


def _detect_orientation_in_process(image: np.ndarray) -> Orientation:
    pixels, width, height, channels = _pixels(image)
    log.debug("tesseract in process: osd on %dx%d px", width, height)
    with _engine("osd", ()) as engine:
        api = engine.api
        try:
            api.SetPageSegMode(0)  # orientation and script detection only
            api.SetImageBytes(pixels, width, height, channels, width * channels)
            found = api.DetectOrientationScript()
        finally:
            api.Clear()
    if not found:
        raise OcrFailed("tesseract OSD reported no orientation: Too few characters on the page")
    return Orientation(
        rotation=int(found["orient_deg"]) % 360,
        confidence=float(found["orient_conf"]),
        script=found.get("script_name") or None,
        script_confidence=float(found["script_conf"]) if found.get("script_conf") is not None else None,
    )


def _pixels(image: np.ndarray) -> tuple[bytes, int, int, int]:
    """The raw bytes Tesseract's SetImage takes (8-bit grey or 24-bit RGB rows), and their shape."""
    if image.dtype != np.uint8 or image.ndim not in (2, 3) or (image.ndim == 3 and image.shape[2] != 3):
        raise ValueError(f"Tesseract reads 8-bit grey or RGB images, not {image.dtype} {image.shape}")
    height, width = image.shape[:2]
    channels = 1 if image.ndim == 2 else 3
    return np.ascontiguousarray(image).tobytes(), width, height, channels


# --- the program: one process per call ---------------------------------------------------------


def _run_on_image(
    image: np.ndarray, arguments: list[str], *, output_suffix: str, timeout_seconds: float, threads: int
) -> str:
    """Run tesseract on `image` with `arguments`; return the text of the output file it writes."""
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
