"""`sohoa separator-sheet`: the printed sheets, rendered as a scanner sees them (pdftoppm), are found
by the separation stage with their dossier, type and owner."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from conftest import cli_env, run_cli
from PIL import Image

from pipeline.samples import degrade, make_scan
from pipeline.stages.separate import inspect_page, separate

OWNER = "079190123456"
DOSSIER = "000.00.24.H29-240515-0001"

pytestmark = pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="pdftoppm (poppler-utils) is not installed")


def rendered(pdf: Path, out: Path, dpi: int = 200) -> list[np.ndarray]:
    """The PDF's pages as a scanner at ``dpi`` would see a clean print of them (pdftoppm, grey)."""
    subprocess.run(["pdftoppm", "-r", str(dpi), "-gray", "-png", str(pdf), str(out / "page")], check=True)
    return [np.asarray(Image.open(path)) for path in sorted(out.glob("page-*.png"))]


def test_printed_sheets_are_found_with_their_metadata(tmp_path):
    """GIVEN a cover sheet for a dossier with its owner and a document sheet for a birth
    certificate, printed by `sohoa separator-sheet`, then scanned (with office-scan damage) in
    front of two papers
    WHEN the stream is separated
    THEN both sheets are found and dropped, the first paper carries the dossier, owner and type
    and starts the dossier, the second inherits the dossier and owner"""
    env = cli_env(tmp_path / "home")
    cover = run_cli(env, "separator-sheet", "--cover", "--dossier", DOSSIER, "--owner-id", OWNER,
                    "-o", tmp_path / "cover.pdf")
    assert cover.returncode == 0, cover.stderr
    assert OWNER not in cover.stdout + cover.stderr and "owner set" in cover.stderr
    sheet = run_cli(env, "separator-sheet", "--type", "giay_khai_sinh", "-o", tmp_path / "doc.pdf")
    assert sheet.returncode == 0, sheet.stderr
    (cover_page,) = rendered(tmp_path / "cover.pdf", _folder(tmp_path / "c"))
    (doc_page,) = rendered(tmp_path / "doc.pdf", _folder(tmp_path / "d"))
    rng = np.random.default_rng(3)
    scanned_cover = np.asarray(degrade(Image.fromarray(cover_page), rng, severity="medium", rotation=180)[0])
    scanned_doc = np.asarray(degrade(Image.fromarray(doc_page), rng, severity="heavy")[0])
    papers = [np.asarray(make_scan(s, doc_type=t, dpi=200).image) for s, t in ((91, "giay_khai_sinh"), (92, "to_khai"))]
    pages = [scanned_cover, scanned_doc, papers[0], scanned_doc, papers[1]]
    separation = separate([inspect_page(page, 200) for page in pages])
    assert separation.separator_pages == (1, 2, 4)
    assert [doc.pages for doc in separation.documents] == [(3,), (5,)]
    first, second = (doc.metadata for doc in separation.documents)
    assert (first.dossier_code, first.owner_id, first.doc_type, first.starts_dossier) == (
        DOSSIER, OWNER, "giay_khai_sinh", True)
    assert (second.dossier_code, second.owner_id, second.doc_type, second.starts_dossier) == (
        DOSSIER, OWNER, "giay_khai_sinh", False)


def test_copies_print_one_sheet_each(tmp_path):
    """GIVEN `--copies 3`
    WHEN the PDF is rendered
    THEN three A4 sheets, each a separator"""
    result = run_cli(cli_env(tmp_path / "home"), "separator-sheet", "--copies", "3", "-o", tmp_path / "s.pdf")
    assert result.returncode == 0, result.stderr
    pages = rendered(tmp_path / "s.pdf", _folder(tmp_path / "r"), dpi=100)
    assert len(pages) == 3 and all(abs(p.shape[0] / p.shape[1] - 297 / 210) < 0.01 for p in pages)
    assert all(inspect_page(p, 100).separator.kind == "sohoa_sheet" for p in pages)


@pytest.mark.parametrize("args, complaint", [
    (("--type", "giay_khai_tu"), "unknown type"),
    (("--owner-id", "999190123456"), "province"),
    (("--owner-id", "12ab"), "owner ID must be"),
    (("--cover",), "names its dossier"),
])
def test_wrong_options_are_refused(tmp_path, args, complaint):
    result = run_cli(cli_env(tmp_path / "home"), "separator-sheet", *args, "-o", tmp_path / "x.pdf")
    assert result.returncode == 2
    assert complaint in result.stderr
    assert not (tmp_path / "x.pdf").exists()


def _folder(path: Path) -> Path:
    path.mkdir(parents=True)
    return path
