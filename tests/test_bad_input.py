"""Bad input: a clear error naming the file, a stable code, a quarantined copy, the batch goes on."""

from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path

import pikepdf
import pytest

from pipeline.stages.ingest import InputFile, discover
from pipeline.samples import make_scan


@pytest.fixture(scope="module")
def good_png_bytes() -> bytes:
    scan = make_scan(7, doc_type="giay_khai_sinh", skew=1.5, rotation=0, colour=False, dpi=200)
    buffer = io.BytesIO()
    scan.image.save(buffer, "PNG", dpi=(200, 200))
    return buffer.getvalue()


@pytest.fixture(scope="module")
def good_jpeg_bytes() -> bytes:
    scan = make_scan(8, doc_type="quyet_dinh", skew=-1.0, rotation=0, colour=False, dpi=200)
    buffer = io.BytesIO()
    scan.image.save(buffer, "JPEG", quality=80, dpi=(200, 200))
    return buffer.getvalue()


@pytest.fixture(scope="module")
def good_pdf_bytes(good_jpeg_bytes: bytes) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.open(io.BytesIO(good_jpeg_bytes)).save(buffer, "PDF", resolution=200)
    return buffer.getvalue()


def png_header_only(width: int, height: int) -> bytes:
    """A PNG whose header claims a size; what a decompression bomb looks like before decoding."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 64)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


BAD_INPUTS = {
    "empty.png": ("empty_file", lambda png, jpg, pdf: b""),
    "truncated.png": ("corrupt_file", lambda png, jpg, pdf: png[: len(png) // 3]),
    "truncated.jpg": ("corrupt_file", lambda png, jpg, pdf: jpg[: len(jpg) // 3]),
    "truncated.pdf": ("corrupt_file", lambda png, jpg, pdf: pdf[: len(pdf) // 2]),
    "random-bytes.pdf": ("corrupt_file", lambda png, jpg, pdf: bytes(range(256)) * 40),
    "bomb.png": ("image_too_large", lambda png, jpg, pdf: png_header_only(20_000, 15_000)),
    "notes.docx": ("unsupported_type", lambda png, jpg, pdf: b"PK\x03\x04" + b"\x00" * 200),
}


def test_each_bad_input_fails_with_its_code_and_the_batch_goes_on(
    tmp_path: Path, run_sohoa, settings, good_png_bytes, good_jpeg_bytes, good_pdf_bytes
):
    """GIVEN a dossier folder with one good scan and every kind of bad input
    WHEN it is ingested from the command line
    THEN the good scan is stored, each bad file fails with its stable code and a `file: reason`
    message, a copy and the reason sit in quarantine, and the exit code says something failed"""
    dossier = tmp_path / "in" / "000.00.24.H29-240515-0009"
    dossier.mkdir(parents=True)
    (dossier / "good.png").write_bytes(good_png_bytes)
    for name, (_code, make) in BAD_INPUTS.items():
        (dossier / name).write_bytes(make(good_png_bytes, good_jpeg_bytes, good_pdf_bytes))
    encrypted = io.BytesIO()
    with pikepdf.open(io.BytesIO(good_pdf_bytes)) as pdf:
        pdf.save(encrypted, encryption=pikepdf.Encryption(user="mat-khau", owner="chu-so-huu"))
    (dossier / "encrypted.pdf").write_bytes(encrypted.getvalue())
    (dossier / "unreadable.tif").symlink_to(tmp_path / "gone.tif")  # a dangling link
    report = tmp_path / "report.jsonl"

    result = run_sohoa("ingest", dossier, "--jobs", "1", "--report", report)

    assert result.returncode == 3, result.stderr
    lines = {Path(line["source"]).name: line for line in result.report(report)}
    assert lines["good.png"]["status"] == "stored"
    expected = {name: code for name, (code, _make) in BAD_INPUTS.items()}
    expected |= {"encrypted.pdf": "encrypted_pdf", "unreadable.tif": "unreadable_file"}
    for name, code in expected.items():
        line = lines[name]
        assert (line["status"], line["error_code"]) == ("failed", code), line
        assert f"{name}: {line['error']}" in " ".join(result.stderr.split()) or name in result.stderr
        assert line["error"], "a failure always carries a human-readable reason"
        reason_file = Path(line["quarantined_as"])
        if name != "unreadable.tif":
            assert reason_file.read_bytes() == (dossier / name).read_bytes()
            reason_file = reason_file.with_name(reason_file.name + ".reason.txt")
        assert code in reason_file.read_text()
    assert set(lines) == {"good.png", *expected}


def test_a_failure_changes_nothing_already_stored(tmp_path: Path, ingestor, good_png_bytes):
    """GIVEN a stored scan
    WHEN a later batch holds a damaged copy of it and an empty file
    THEN the stored document, its objects and its index row are unchanged"""
    first = tmp_path / "a" / "scan.png"
    first.parent.mkdir()
    first.write_bytes(good_png_bytes)
    [stored] = list(ingestor.ingest([InputFile(first)]))
    row_before = ingestor.index.get(stored.document_id)
    objects_before = {k: ingestor.store.get(k) for k in ingestor.store.keys()}

    damaged = tmp_path / "b" / "scan.png"
    damaged.parent.mkdir()
    damaged.write_bytes(good_png_bytes[:-500])
    (tmp_path / "b" / "empty.jpg").write_bytes(b"")
    lines = list(ingestor.ingest(discover([tmp_path / "b"])))

    assert {line.status for line in lines} == {"failed"}
    assert ingestor.index.get(stored.document_id) == row_before
    assert {k: ingestor.store.get(k) for k in ingestor.store.keys()} == objects_before
    assert len(ingestor.index.list()) == 1
