"""The Tesseract wrapper: the real program reads rendered Vietnamese, gets its thread limit in its own
environment (never ours), and its failures come back as our exceptions; the in-process engine
(tesserocr) reads the same words as the program with its model loaded once, and the program takes
over when the binding cannot be imported."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from pipeline.errors import OcrFailed, OcrTimeout, ToolMissing
from pipeline.stages import tesseract
from pipeline.textnorm import nfc

FONT = "/usr/share/fonts/truetype/liberation2/LiberationSerif-Regular.ttf"
LINES = (
    "Ủy ban nhân dân phường Phước Bình",
    "Bà Nguyễn Thị Lấp Lánh, sinh năm 1987",
    "nơi thường trú tại số 45 đường Lê Văn Việt",
    "Giấy khai sinh bản sao cấp ngày 12 tháng 3",
)

MONO = "/usr/share/fonts/truetype/liberation2/LiberationMono-Regular.ttf"
MRZ_LINES = (
    "IDVNM0870123456001087012345<<4",
    "8705129M3005126VNM<<<<<<<<<<<8",
    "NGUYEN<<THI<LAP<LANH<<<<<<<<<<",
)

needs_tesseract = pytest.mark.skipif(shutil.which("tesseract") is None, reason="tesseract is not installed")
needs_tesserocr = pytest.mark.skipif(tesseract._binding() is None, reason="tesserocr is not installed")


def rendered(lines: tuple[str, ...], font_file: str = FONT) -> np.ndarray:
    """Black Liberation Serif (or another font's) text on white, ~17 pt at 300 dpi, one line under
    the other."""
    font = ImageFont.truetype(font_file, 48)
    image = Image.new("L", (1800, 120 + 80 * len(lines)), 255)
    draw = ImageDraw.Draw(image)
    for number, line in enumerate(lines):
        draw.text((60, 60 + 80 * number), line, font=font, fill=0)
    return np.asarray(image)


class ChildEnvironments:
    """Stands in for subprocess.run only to note the environment each child is given; the program
    itself still runs, for real."""

    def __init__(self, run):
        self.run = run
        self.seen: list[dict[str, str] | None] = []

    def __call__(self, *args, **kwargs):
        self.seen.append(kwargs.get("env"))
        return self.run(*args, **kwargs)


@pytest.fixture
def child_environments(monkeypatch) -> ChildEnvironments:
    spy = ChildEnvironments(subprocess.run)
    monkeypatch.setattr(subprocess, "run", spy)
    return spy


@needs_tesseract
def test_recognition_gives_tesseract_its_thread_limit_and_leaves_ours_alone(monkeypatch, child_environments):
    """GIVEN a rendered Vietnamese line and a process with no OMP_THREAD_LIMIT of its own
    WHEN it is recognised with threads=2
    THEN tesseract reads the line, its child environment says OMP_THREAD_LIMIT=2, and our own
    environment is exactly as it was"""
    monkeypatch.delenv("OMP_THREAD_LIMIT", raising=False)
    before = dict(os.environ)

    words = tesseract.recognise(
        rendered(LINES[:1]), languages="vie", page_segmentation_mode=7, timeout_seconds=60, threads=2,
        engine="program",
    )

    assert " ".join(nfc(word.text) for word in words) == LINES[0]
    assert [env["OMP_THREAD_LIMIT"] for env in child_environments.seen] == ["2"]
    assert dict(os.environ) == before


@needs_tesseract
def test_orientation_detection_overrides_our_thread_limit_for_the_child_only(monkeypatch, child_environments):
    """GIVEN four rendered Vietnamese lines turned a quarter turn clockwise, in a process whose own
    environment says OMP_THREAD_LIMIT=7
    WHEN their orientation is detected with threads=1
    THEN Tesseract finds the 90° turn in Latin script, the child got OMP_THREAD_LIMIT=1, and ours
    still says 7"""
    monkeypatch.setenv("OMP_THREAD_LIMIT", "7")
    turned_clockwise = np.rot90(rendered(LINES), k=-1).copy()

    orientation = tesseract.detect_orientation(turned_clockwise, timeout_seconds=60, threads=1, engine="program")

    assert (orientation.rotation, orientation.script) == (90, "Latin")
    assert [env["OMP_THREAD_LIMIT"] for env in child_environments.seen] == ["1"]
    assert os.environ["OMP_THREAD_LIMIT"] == "7"


@needs_tesseract
@pytest.mark.parametrize("engine", ["program", pytest.param("library", marks=needs_tesserocr)])
def test_recognition_running_out_of_time_raises_ocr_timeout(engine):
    """GIVEN rendered Vietnamese lines and a timeout far shorter than Tesseract needs to read them
    WHEN they are recognised, by the program or in process
    THEN OcrTimeout is raised"""
    with pytest.raises(OcrTimeout):
        tesseract.recognise(
            rendered(LINES), languages="vie", page_segmentation_mode=3, timeout_seconds=0.01, threads=1,
            engine=engine,
        )


@needs_tesseract
@pytest.mark.parametrize("engine", ["program", pytest.param("library", marks=needs_tesserocr)])
def test_a_page_without_text_has_no_orientation(engine):
    """GIVEN a blank page
    WHEN its orientation is detected, by the program or in process
    THEN OcrFailed carries Tesseract's reason"""
    blank = np.full((600, 1800), 255, dtype=np.uint8)

    with pytest.raises(OcrFailed, match="Too few characters"):
        tesseract.detect_orientation(blank, timeout_seconds=60, threads=1, engine=engine)


@pytest.mark.parametrize(
    "call",
    [
        lambda image: tesseract.recognise(
            image, languages="vie", page_segmentation_mode=7, timeout_seconds=60, threads=1, engine="program"
        ),
        lambda image: tesseract.detect_orientation(image, timeout_seconds=60, threads=1, engine="program"),
    ],
    ids=["recognise", "detect_orientation"],
)
def test_no_tesseract_on_the_path_raises_tool_missing(monkeypatch, tmp_path, call):
    """GIVEN a PATH on which there is no tesseract program
    WHEN a rendered Vietnamese line is recognised, or its orientation detected
    THEN ToolMissing names the program and how to install it"""
    monkeypatch.setenv("PATH", str(tmp_path))

    with pytest.raises(ToolMissing, match=r"tesseract is not installed \(apt-get install tesseract-ocr\)"):
        call(rendered(LINES[:1]))


# --- in process (tesserocr) ------------------------------------------------------------------------


def words_of(words: tuple[tesseract.TsvWord, ...]) -> list[tuple[str, int, int, int, int, float]]:
    return [(w.text, w.left, w.top, w.width, w.height, w.confidence) for w in words]


@pytest.fixture
def no_binding(monkeypatch):
    """tesserocr cannot be imported in this process (as on a machine without the wheel)."""
    monkeypatch.setitem(sys.modules, "tesserocr", None)  # `import tesserocr` raises ImportError
    tesseract._binding.cache_clear()
    yield
    tesseract._binding.cache_clear()


@needs_tesseract
@needs_tesserocr
@pytest.mark.parametrize(
    "lines, call",
    [
        (LINES, dict(languages="vie", page_segmentation_mode=3, variables=("tessedit_do_invert=0",))),
        (LINES, dict(languages="vie", page_segmentation_mode=11, variables=("tessedit_do_invert=0",))),
        (MRZ_LINES, dict(languages="eng", page_segmentation_mode=6,
                         variables=("tessedit_char_whitelist=ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789<",
                                    "load_system_dawg=0", "load_freq_dawg=0"))),
    ],
    ids=["page", "sparse-reading", "mrz-band"],
)
def test_the_engine_in_process_reads_exactly_what_the_program_reads(lines, call):
    """GIVEN rendered lines and each way the product calls Tesseract (the page, the orientation
    reading's sparse text, the MRZ band's whitelisted English without dictionaries)
    WHEN they are recognised by the program and by the engine in process
    THEN both give the same words, boxes and confidences"""
    image = rendered(lines, MONO if lines is MRZ_LINES else FONT)

    by_program = tesseract.recognise(image, timeout_seconds=60, threads=1, engine="program", **call)
    in_process = tesseract.recognise(image, timeout_seconds=60, threads=1, engine="library", **call)

    assert words_of(in_process) == words_of(by_program)
    assert len(in_process) >= len(lines)


@needs_tesseract
@needs_tesserocr
def test_orientation_in_process_matches_the_program():
    """GIVEN four rendered Vietnamese lines turned a quarter turn clockwise
    WHEN their orientation is detected by the program and in process
    THEN both find the 90° turn in Latin script, with the same confidence (to the program's
    two decimals)"""
    turned_clockwise = np.rot90(rendered(LINES), k=-1).copy()

    by_program = tesseract.detect_orientation(turned_clockwise, timeout_seconds=60, threads=1, engine="program")
    in_process = tesseract.detect_orientation(turned_clockwise, timeout_seconds=60, threads=1, engine="library")

    assert (in_process.rotation, in_process.script) == (by_program.rotation, by_program.script) == (90, "Latin")
    assert in_process.confidence == pytest.approx(by_program.confidence, abs=0.006)


@needs_tesserocr
def test_pages_in_process_start_no_program_and_load_the_model_once(child_environments):
    """GIVEN a process whose Vietnamese engine is already loaded
    WHEN three more pages are recognised in it, one after the other
    THEN no tesseract program is started and the process still holds one Vietnamese engine"""
    tesseract.recognise(rendered(LINES[:1]), languages="vie", page_segmentation_mode=7, timeout_seconds=60,
                        threads=1, engine="library")
    child_environments.seen.clear()

    for line in LINES[1:]:
        words = tesseract.recognise(rendered((line,)), languages="vie", page_segmentation_mode=7,
                                    timeout_seconds=60, threads=1, engine="library")
        assert " ".join(nfc(w.text) for w in words) == line

    assert child_environments.seen == []
    assert len(tesseract._idle[("vie", ())]) == 1


@needs_tesserocr
def test_the_engine_in_process_runs_no_openmp_threads():
    """GIVEN the Vietnamese engine loaded in a fresh process (this one has loaded other libraries,
    some of which bring an OpenMP runtime of their own)
    WHEN the libraries mapped into that process are listed
    THEN no OpenMP runtime is among them: the engine reads on the calling thread only, as the
    program does with OMP_THREAD_LIMIT=1 (pages get their cores from separate processes)"""
    probe = (
        "import numpy as np\n"
        "from pathlib import Path\n"
        "from pipeline.stages import tesseract\n"
        "page = np.full((60, 400), 255, dtype=np.uint8)\n"
        "tesseract.recognise(page, languages='vie', page_segmentation_mode=7, timeout_seconds=60,\n"
        "                    threads=1, engine='library')\n"
        "print(Path('/proc/self/maps').read_text())\n"
    )
    mapped = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True,
                            cwd=Path(__file__).resolve().parent.parent, timeout=120).stdout

    assert "libtesseract" in mapped
    assert not any(runtime in mapped for runtime in ("libgomp", "libomp", "libiomp"))


@needs_tesseract
def test_without_the_binding_the_program_reads_the_page(no_binding, child_environments):
    """GIVEN a process in which tesserocr cannot be imported
    WHEN a rendered Vietnamese line is recognised with the default engine setting
    THEN the tesseract program reads it (one child, OMP_THREAD_LIMIT=1)"""
    words = tesseract.recognise(rendered(LINES[:1]), languages="vie", page_segmentation_mode=7, timeout_seconds=60,
                                threads=1)

    assert " ".join(nfc(word.text) for word in words) == LINES[0]
    assert [env["OMP_THREAD_LIMIT"] for env in child_environments.seen] == ["1"]
    assert tesseract.chosen_engine("auto", 1) == "program"


def test_insisting_on_the_binding_without_it_raises_tool_missing(no_binding):
    """GIVEN a process in which tesserocr cannot be imported
    WHEN a page is recognised with engine="library"
    THEN ToolMissing says how to install it"""
    with pytest.raises(ToolMissing, match=r"tesserocr is not installed \(pip install tesserocr\)"):
        tesseract.recognise(rendered(LINES[:1]), languages="vie", page_segmentation_mode=7, timeout_seconds=60,
                            threads=1, engine="library")


@needs_tesserocr
def test_more_than_one_thread_goes_to_the_program():
    """GIVEN the binding installed
    WHEN a call asks for 2 threads
    THEN the automatic choice is the program (which gets OMP_THREAD_LIMIT=2), and insisting on the
    in-process engine is refused: it cannot be given a thread limit of its own"""
    assert tesseract.chosen_engine("auto", 1) == "library"
    assert tesseract.chosen_engine("auto", 2) == "program"
    with pytest.raises(ValueError, match="one thread"):
        tesseract.chosen_engine("library", 2)


@needs_tesserocr
def test_a_language_without_a_model_fails_naming_it():
    """GIVEN no model for the language "xyz" in the tessdata directory
    WHEN a page is recognised in it in process
    THEN OcrFailed names the language and the directory"""
    with pytest.raises(OcrFailed, match=r"no xyz model in /\S+tessdata"):
        tesseract.recognise(rendered(LINES[:1]), languages="vie+xyz", page_segmentation_mode=7,
                            timeout_seconds=60, threads=1, engine="library")


@needs_tesserocr
def test_threads_of_one_process_read_side_by_side_each_with_its_engine():
    """GIVEN four threads of one process (a worker run with --threads 4)
    WHEN each recognises a different rendered line at the same time
    THEN each reads its own line (no thread sees another's image), and the engines loaded are
    kept for the next pages: at most one per thread"""
    from concurrent.futures import ThreadPoolExecutor

    def read(line: str) -> str:
        words = tesseract.recognise(rendered((line,)), languages="vie", page_segmentation_mode=7,
                                    timeout_seconds=60, threads=1, variables=("textord_min_linesize=1.25",),
                                    engine="library")
        return " ".join(nfc(w.text) for w in words)

    with ThreadPoolExecutor(max_workers=4) as pool:
        read_back = list(pool.map(read, LINES * 2))

    assert read_back == list(LINES * 2)
    assert 1 <= len(tesseract._idle[("vie", ("textord_min_linesize=1.25",))]) <= 4
