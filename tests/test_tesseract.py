"""The Tesseract wrapper: the real program reads rendered Vietnamese, gets its thread limit in its own
environment (never ours), and its failures come back as our exceptions."""

from __future__ import annotations

import os
import shutil
import subprocess

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

needs_tesseract = pytest.mark.skipif(shutil.which("tesseract") is None, reason="tesseract is not installed")


def rendered(lines: tuple[str, ...]) -> np.ndarray:
    """Black Liberation Serif text on white, ~17 pt at 300 dpi, one line under the other."""
    font = ImageFont.truetype(FONT, 48)
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
        rendered(LINES[:1]), languages="vie", page_segmentation_mode=7, timeout_seconds=60, threads=2
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

    orientation = tesseract.detect_orientation(turned_clockwise, timeout_seconds=60, threads=1)

    assert (orientation.rotation, orientation.script) == (90, "Latin")
    assert [env["OMP_THREAD_LIMIT"] for env in child_environments.seen] == ["1"]
    assert os.environ["OMP_THREAD_LIMIT"] == "7"


@needs_tesseract
def test_recognition_running_out_of_time_raises_ocr_timeout():
    """GIVEN rendered Vietnamese lines and a timeout far shorter than Tesseract needs to start
    WHEN they are recognised
    THEN OcrTimeout is raised"""
    with pytest.raises(OcrTimeout):
        tesseract.recognise(
            rendered(LINES), languages="vie", page_segmentation_mode=3, timeout_seconds=0.01, threads=1
        )


@needs_tesseract
def test_a_page_without_text_has_no_orientation():
    """GIVEN a blank page
    WHEN its orientation is detected
    THEN OcrFailed carries Tesseract's reason"""
    blank = np.full((600, 1800), 255, dtype=np.uint8)

    with pytest.raises(OcrFailed, match="Too few characters"):
        tesseract.detect_orientation(blank, timeout_seconds=60, threads=1)


@pytest.mark.parametrize(
    "call",
    [
        lambda image: tesseract.recognise(
            image, languages="vie", page_segmentation_mode=7, timeout_seconds=60, threads=1
        ),
        lambda image: tesseract.detect_orientation(image, timeout_seconds=60, threads=1),
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
