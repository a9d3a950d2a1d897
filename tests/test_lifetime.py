"""A killed ingest leaves nothing running: its page workers die with it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import REPO, cli_env
from pipeline.samples import make_scan


def children_of(pid: int) -> set[int]:
    found: set[int] = set()
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found |= {int(c) for c in (task / "children").read_text().split()}
        except OSError:
            continue
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def descendants_of(pid: int) -> set[int]:
    found, stack = set(), [pid]
    while stack:
        for child in children_of(stack.pop()):
            if child not in found:
                found.add(child)
                stack.append(child)
    return found


def command_of(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def loaded_tesseract(pid: int) -> bool:
    """Whether the process has Tesseract's library mapped (the in-process engine, tesserocr)."""
    try:
        return "libtesseract" in Path(f"/proc/{pid}/maps").read_text()
    except OSError:
        return False


def tesserocr_installed() -> bool:
    from pipeline.stages import tesseract

    return tesseract._binding() is not None


@pytest.mark.parametrize("engine", [
    "program",
    pytest.param("library", marks=pytest.mark.skipif(not tesserocr_installed(), reason="tesserocr is not installed")),
])
def test_page_workers_and_their_tesseract_die_when_the_ingest_is_killed(settings, classifier, tmp_path, engine):
    """GIVEN `sohoa ingest --jobs 2` OCR-ing a folder of scans in its page pool, Tesseract run as a
    program (one child per page) or in the page workers themselves (SOHOA_OCR_ENGINE)
    WHEN the command is killed with SIGKILL (no handler can run) while Tesseract runs
    THEN within a few seconds none of its page workers, nor any Tesseract they started, is running"""
    folder = tmp_path / "scans"
    folder.mkdir()
    for seed in range(4):  # whole A4 pages at 300 dpi: Tesseract takes seconds on each
        make_scan(seed, doc_type="quyet_dinh", dpi=300).image.save(folder / f"quyet-dinh-{seed}.png")
    process = subprocess.Popen([sys.executable, "-m", "pipeline", "ingest", str(folder), "--jobs", "2"],
                               env=cli_env(settings.home, SOHOA_OCR_ENGINE=engine), cwd=REPO,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    workers: set[int] = set()
    tesseracts: set[int] = set()

    def tesseract_runs() -> bool:
        if engine == "program":
            return bool(tesseracts)
        return any(loaded_tesseract(pid) for pid in workers)

    deadline = time.monotonic() + 120
    while not (len(workers) >= 2 and tesseract_runs()) and time.monotonic() < deadline and process.poll() is None:
        below = descendants_of(process.pid)
        workers = {pid for pid in below if "python" in command_of(pid)}
        tesseracts = {pid for pid in below if "tesseract" in command_of(pid)}
        time.sleep(0.05)
    assert len(workers) >= 2 and tesseract_runs(), "the page pool never ran Tesseract"

    os.kill(process.pid, signal.SIGKILL)
    process.wait()

    # Tesseract would go on for seconds by itself; dying with its parent takes milliseconds.
    deadline = time.monotonic() + 1.0
    while any(alive(pid) for pid in workers | tesseracts) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not any(alive(pid) for pid in workers), "page workers outlived the killed ingest"
    assert not any(alive(pid) for pid in tesseracts), "Tesseract outlived the killed ingest"
