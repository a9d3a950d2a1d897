"""The product reads a scan the same way whether Tesseract runs in process (tesserocr) or as the
program: on a machine where the binding cannot be imported, ingest still works, through the program."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from conftest import REPO, cli_env, run_cli
from pipeline.samples import character_error_rate, make_scan
from pipeline.stages import tesseract

needs_tesseract = pytest.mark.skipif(shutil.which("tesseract") is None, reason="tesseract is not installed")
needs_tesserocr = pytest.mark.skipif(tesseract._binding() is None, reason="tesserocr is not installed")


def without_tesserocr(env: dict[str, str], folder: Path) -> dict[str, str]:
    """``env`` in which `import tesserocr` fails, as on a machine without the wheel: a module of
    that name that raises ImportError comes first on the path."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "tesserocr.py").write_text('raise ImportError("tesserocr is not installed here")\n')
    path = os.pathsep.join(p for p in (str(folder), str(REPO), env.get("PYTHONPATH", "")) if p)
    return env | {"PYTHONPATH": path}


def stored_text(env: dict[str, str], report: Path) -> str:
    (line,) = report.read_text(encoding="utf-8").splitlines()
    return run_cli(env, "text", json.loads(line)["document_id"]).stdout


@needs_tesseract
@needs_tesserocr
def test_without_the_binding_ingest_runs_the_program_and_stores_the_same_text(tmp_path, classifier):
    """GIVEN a degraded office scan, and one machine where tesserocr imports and one where it does not
    WHEN `sohoa -vv ingest` stores it on each
    THEN with the binding Tesseract is loaded in process and no tesseract program runs; without it
    the program reads the page; both store the same text, within 2 % CER of what was rendered"""
    scan = make_scan(7, doc_type="giay_khai_sinh", dpi=300)
    folder = tmp_path / "scans"
    folder.mkdir()
    scan.image.save(folder / "khai-sinh.png", dpi=(300, 300))
    in_process_env = cli_env(tmp_path / "home-in-process")
    program_env = without_tesserocr(cli_env(tmp_path / "home-program"), tmp_path / "blocked")

    in_process = run_cli(in_process_env, "-vv", "ingest", folder, "--jobs", "1", "--report", tmp_path / "a.jsonl")
    by_program = run_cli(program_env, "-vv", "ingest", folder, "--jobs", "1", "--report", tmp_path / "b.jsonl")

    assert in_process.returncode == 0, in_process.stderr
    assert by_program.returncode == 0, by_program.stderr
    assert "loaded in process" in in_process.stderr
    assert "tesseract /" not in in_process.stderr  # run_tool's log of a program run: tesseract <png> …
    assert "tesserocr cannot be loaded" in by_program.stderr
    assert "OMP_THREAD_LIMIT=1 tesseract /" in by_program.stderr
    text = stored_text(in_process_env, tmp_path / "a.jsonl")
    assert text.strip() and text == stored_text(program_env, tmp_path / "b.jsonl")
    assert character_error_rate(scan.text, text) < 0.02
