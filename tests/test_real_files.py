"""Real files from other projects' test corpora: OCRmyPDF's odd scans and images, pyHanko's signed
PDFs with structural traps. Each is stored, or fails alone with a stable code and a reason for a
person; the batch finishes and the store verifies clean.

The corpora are the two projects' source distributions, fetched by scripts/fetch_corpora.sh into
build/corpora/ (never committed). The whole set (189 files) takes ~6 minutes on 2 cores; this
test ingests a fixed selection of 60 that covers every kind in it.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import cli_env, run_cli
from corpora import CORPORA, sdist
from pipeline.errors import SohoaError
from pipeline.stages import preprocess  # noqa: F401  (its BadPageImage is one of the codes)

OCRMYPDF = "ocrmypdf-17.13.0/tests/resources"
PYHANKO = "pyhanko-0.38.0/pyhanko_testing_commons/test_data/data"

SELECTION = {
    # images: every colour model the corpora hold
    f"{OCRMYPDF}/baiona.png": "RGB PNG",
    f"{OCRMYPDF}/baiona_alpha.png": "RGBA PNG",
    f"{OCRMYPDF}/baiona_cmyk.jpg": "CMYK JPEG (Adobe, inverted)",
    f"{OCRMYPDF}/baiona_color.jpg": "RGB JPEG without resolution",
    f"{OCRMYPDF}/baiona_colormapped.png": "palette PNG",
    f"{OCRMYPDF}/baiona_gray.png": "grey PNG",
    f"{OCRMYPDF}/crom.png": "a 400×50 strip",
    f"{PYHANKO}/img/stamp-indexed.png": "palette PNG with transparency",
    # scanned PDFs: encodings and geometry
    f"{OCRMYPDF}/2400dpi.pdf": "scan at 2400 dpi",
    f"{OCRMYPDF}/aspect.pdf": "200 × 100 dpi scan",
    f"{OCRMYPDF}/ccitt.pdf": "CCITT G4 bilevel scan",
    f"{OCRMYPDF}/jbig2.pdf": "JBIG2 scan",
    f"{OCRMYPDF}/lichtenstein.pdf": "JPEG 2000 image",
    f"{OCRMYPDF}/palette.pdf": "indexed-colour image",
    f"{OCRMYPDF}/poster.pdf": "UserUnit 10: a 250 × 500 inch poster",
    f"{OCRMYPDF}/rotated_skew.pdf": "/Rotate 90 and skewed",
    f"{OCRMYPDF}/type3_font_nomapping.pdf": "CropBox smaller than the MediaBox",
    f"{OCRMYPDF}/acroform.pdf": "form fields over a scan",
    f"{OCRMYPDF}/livecycle.pdf": "claims dynamic XFA forms",
    f"{OCRMYPDF}/blank.pdf": "a blank page full of metadata",
    f"{PYHANKO}/pdf/empty-a4.pdf": "an empty A4 page",
    f"{OCRMYPDF}/hugemono.pdf": "35000 × 35000 bilevel image",
    # born-digital PDFs
    f"{OCRMYPDF}/cmyk.pdf": "CMYK with a text layer",
    f"{OCRMYPDF}/formxobject.pdf": "text in a form XObject",
    f"{OCRMYPDF}/graph_ocred.pdf": "already OCR'd by another tool",
    f"{OCRMYPDF}/link.pdf": "two pages with links",
    f"{PYHANKO}/pdf/minimal-pdf-ua-and-a.pdf": "PDF/UA and PDF/A",
    f"{PYHANKO}/pdf/simple-acroform-states.pdf": "form with appearance states",
    f"{PYHANKO}/pdf/layout-tests/bitmap-bg.pdf": "text over a bitmap background",
    f"{PYHANKO}/pdf/layout-tests/ja-vert-stamps.pdf": "vertical Japanese text",
    f"{PYHANKO}/pdf/safedocs/CompactedPDFSyntaxTest.pdf": "compacted syntax, UserUnit 0.88",
    # signed PDFs
    f"{PYHANKO}/pdf/minimal-signed-twice-both-created.pdf": "two signatures",
    f"{PYHANKO}/pdf/pades-lta-dss-indirect-arrs-test.pdf": "PAdES-LTA with a DSS",
    f"{PYHANKO}/pdf/sig-no-signed-attrs.pdf": "a signature without signed attributes",
    f"{PYHANKO}/pdf/coverage-anomalies/tail-uncovered.pdf": "bytes after the signed range",
    f"{PYHANKO}/pdf/ed448-disallowed-hash.pdf": "Ed448 with a disallowed hash",
    # damaged structure that qpdf repairs
    f"{PYHANKO}/pdf/broken-objstream4.pdf": "damaged object stream",
    f"{PYHANKO}/pdf/malformed-xref-space-padded.pdf": "space-padded xref",
    f"{PYHANKO}/pdf/minimal-badxref.pdf": "wrong xref offsets",
    f"{PYHANKO}/pdf/minimal-illegal-header.pdf": "illegal header",
    f"{PYHANKO}/pdf/minimal-startxref-hopeless.pdf": "startxref pointing nowhere",
    f"{PYHANKO}/pdf/minimal-startxref-obo4.pdf": "startxref off by one; pdfminer cannot parse it",
    f"{PYHANKO}/pdf/minimal-with-nonexistent-refs.pdf": "references to missing objects",
    f"{PYHANKO}/pdf/minimal-two-pages.pdf": "two pages",
    f"{PYHANKO}/pdf/no-mediabox.pdf": "a page without a MediaBox",
    f"{PYHANKO}/pdf/page-tree-direct-kid.pdf": "a page written directly into the page tree",
    f"{PYHANKO}/pdf/form-tree-circular-ref-input.pdf": "form field tree that loops",
    f"{PYHANKO}/pdf/struct-tree-circular-ref.pdf": "structure tree that loops",
    # beyond repair
    f"{OCRMYPDF}/invalid.pdf": "a header and %%EOF, nothing else",
    f"{PYHANKO}/pdf/broken-objstream1.pdf": "the page tree is lost in a broken object stream",
    f"{PYHANKO}/pdf/circular-page-tree.pdf": "page tree that loops",
    f"{PYHANKO}/pdf/circular-xref-chain.pdf": "xref chain that loops",
    f"{PYHANKO}/pdf/xref-malformed-prev.pdf": "malformed /Prev",
    f"{PYHANKO}/pdf/malformed-encrypt-dict2.pdf": "/Encrypt that is not a dictionary",
    f"{PYHANKO}/pdf/minimal-aes256-malformed-oe.pdf": "AES-256 with a malformed /OE",
    # encrypted
    f"{PYHANKO}/pdf/minimal-aes256.pdf": "AES-256 with a user password",
    f"{PYHANKO}/pdf/minimal-rc4.pdf": "RC4 with a user password",
    f"{PYHANKO}/pdf/embedded-encrypted-nocf.pdf": "encrypted attachments only, no crypt filter",
    f"{PYHANKO}/pdf/minimal-pubkey-aes256.pdf": "public-key security handler, AES-256",
    f"{PYHANKO}/pdf/pubkey-ecc-test.pdf": "public-key security handler, ECC recipient",
}

# Everything else in SELECTION is stored. Why these fail is in README ("Bad input: hostile and
# odd files").
EXPECTED_FAILURES = {
    "hugemono.pdf": "image_too_large",
    "invalid.pdf": "corrupt_file",
    "broken-objstream1.pdf": "corrupt_file",
    "circular-page-tree.pdf": "corrupt_file",
    "circular-xref-chain.pdf": "corrupt_file",
    "xref-malformed-prev.pdf": "corrupt_file",
    "malformed-encrypt-dict2.pdf": "corrupt_file",
    "minimal-aes256-malformed-oe.pdf": "corrupt_file",
    "minimal-aes256.pdf": "encrypted_pdf",
    "minimal-rc4.pdf": "encrypted_pdf",
    "embedded-encrypted-nocf.pdf": "encrypted_pdf",
    "minimal-pubkey-aes256.pdf": "encrypted_pdf",
    "pubkey-ecc-test.pdf": "encrypted_pdf",
}
MACHINE_TEXT = ("object at 0x", "Traceback", "'NoneType'", "<_io.", "objid")


def _stable_codes() -> set[str]:
    codes, stack = set(), [SohoaError]
    while stack:
        cls = stack.pop()
        codes.add(cls.code)
        stack.extend(cls.__subclasses__())
    return codes - {"error", "bad_input"}


@pytest.fixture(scope="session")
def corpora() -> Path:
    """The unpacked corpora, fetched once (quiet and quick when they are there)."""
    sdist("ocrmypdf", "17.13.0")
    sdist("pyhanko", "0.38.0")
    return CORPORA


def test_real_files_from_other_projects_are_stored_or_fail_alone(tmp_path: Path, corpora: Path, classifier):
    """GIVEN 60 PDFs and images from OCRmyPDF's and pyHanko's test corpora (scans in every
    encoding, odd geometry, signed, damaged, encrypted)
    WHEN they are ingested in one batch with --jobs 2
    THEN the batch finishes; each file is stored, or fails with a stable code, a reason for a
    person and a quarantined copy; the expected ones fail and no other; and `sohoa verify --all`
    finds nothing wrong"""
    sources = [corpora / relative for relative in SELECTION]
    assert all(path.is_file() for path in sources), [str(p) for p in sources if not p.is_file()]
    assert len({path.name for path in sources}) == len(sources)  # names identify files below
    home = tmp_path / "home"
    report = tmp_path / "report.jsonl"

    result = run_cli(cli_env(home), "ingest", *sources, "--jobs", "2", "--report", report)

    assert result.returncode in (0, 3), result.stderr[-3000:]
    lines = {Path(line["source"]).name: line for line in map(json.loads, report.read_text().splitlines())}
    assert set(lines) == {path.name for path in sources}
    codes = _stable_codes()
    failed = {}
    for source in sources:
        line = lines[source.name]
        if line["status"] == "failed":
            failed[source.name] = line["error_code"]
            assert line["error_code"] in codes, line
            reason = line["error"] or ""
            assert reason and not any(fragment in reason for fragment in MACHINE_TEXT), line
            copy = Path(line["quarantined_as"])
            assert copy.read_bytes() == source.read_bytes(), line
            assert line["error_code"] in copy.with_name(copy.name + ".reason.txt").read_text()
        else:
            assert line["status"] in ("stored", "duplicate"), line
            assert line["document_id"], line
    assert failed == EXPECTED_FAILURES

    verified = run_cli(cli_env(home), "verify", "--all", "--json")
    assert verified.returncode == 0, verified.stdout[-3000:] + verified.stderr[-3000:]
